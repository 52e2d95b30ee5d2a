"""Import wizard for the poverty office's roster: file → columns → check → import → summary.

The checking pass is a dry run of the real import (same code, nothing written), and the
import itself runs in the background in one transaction: cancel, a crash or a power cut
leave the register as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from clinic_app import roster
from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import ERROR_STYLE, TableOrNote

ISSUE_COLUMNS = [
    Column("行号", lambda r: r["row"], align_right=True),
    Column("列", lambda r: r["column"]),
    Column("原因", lambda r: r["reason"]),
]
MISSING_COLUMNS = [
    Column("姓名", lambda r: r.get("name", "")),
    Column("身份证号", lambda r: r.get("id_number", r.get("masked_id", ""))),
    Column("村", lambda r: r.get("village", "")),
    Column("户编号", lambda r: r.get("household_no", "")),
]


def _summary(report: roster.ImportReport, done: bool) -> str:
    verb = "已导入" if done else "将导入"
    lines = [
        f"读取 {report.rows_read} 行（表头在第 {report.header_row} 行）。",
        f"{verb}新居民 {report.imported} 人，新户 {report.households} 户；"
        f"{'已更新' if done else '将更新'} {report.updated} 人；无变化 {report.unchanged} 人。",
        f"有问题未导入 {report.rejected} 行，提醒 {len(report.warnings)} 条。",
    ]
    if report.skipped_other_village:
        lines.append(f"其他村的 {report.skipped_other_village} 行未导入（只导入了指定的村）。")
    if report.missing_from_roster:
        lines.append(f"登记册中有 {len(report.missing_from_roster)} 人不在这份名单里："
                     "未删除，请逐一核实是否脱贫、死亡或迁出。")
    return "\n".join(lines)


class FilePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第1步：选择扶贫办发来的名单")
        self.setSubTitle("支持 Excel（.xlsx）和 CSV（UTF-8、GBK、GB18030 都可以）。"
                         "老版 .xls 请先在 Excel 中另存为 .xlsx。")
        self.path = QLineEdit()
        self.path.setObjectName("importPath")
        browse = QPushButton("浏览(&B)…")
        browse.clicked.connect(self._browse)
        self.village = QLineEdit()
        self.village.setObjectName("importVillage")
        self.village.setPlaceholderText("留空 = 导入名单中所有的村")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("名单文件", row)
        form.addRow("只导入这个村(&V)", self.village)
        self.path.textChanged.connect(self.completeChanged)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择名单", "",
                                              "名单 (*.xlsx *.csv);;所有文件 (*)")
        if path:
            self.path.setText(path)

    def isComplete(self) -> bool:
        path = Path(self.path.text().strip())
        return path.suffix.lower() in (".xlsx", ".csv") and path.is_file()


class ColumnsPage(QWizardPage):
    """The detected columns, each field's column editable."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("第2步：核对各列")
        self.setSubTitle("软件已自动识别表头。请核对每一项对应的列，必要时修改。")
        self.preview: roster.RosterPreview | None = None
        self.combos: dict[str, QComboBox] = {}
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.sample = QTableWidget()
        self.sample.setObjectName("importSample")
        self.sample.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        form_widget = QWidget()
        self.form = QFormLayout(form_widget)
        for field, label in roster.FIELDS.items():
            combo = QComboBox()
            combo.setObjectName(f"map_{field}")
            combo.setMinimumContentsLength(12)  # 第12列 证件号码 fits without cutting
            combo.currentIndexChanged.connect(self.completeChanged)
            required = "（必需）" if field in roster.REQUIRED_FIELDS else ""
            self.form.addRow(f"{label}{required}", combo)
            self.combos[field] = combo
        layout = QHBoxLayout(self)
        layout.addWidget(form_widget)
        right = QVBoxLayout()
        right.addWidget(self.info)
        right.addWidget(self.sample, 1)
        right.addWidget(self.error)
        layout.addLayout(right, 1)

    def initializePage(self) -> None:
        path = self.field_path()
        self.error.clear()
        try:
            self.preview = roster.preview_roster(path)
        except ClinicError as exc:
            self.preview = None
            self.error.setText(str(exc))
            self.completeChanged.emit()
            return
        preview = self.preview
        where = f"工作表“{preview.sheet}”" if preview.sheet else f"编码 {preview.encoding}"
        self.info.setText(f"{Path(path).name}：{where}，表头在第 {preview.header_row} 行。"
                          "下面是前几行数据。" if preview.header_row else
                          "没有找到表头行，请手动指定各列。")
        columns = [f"第{i + 1}列 {h}".strip() for i, h in enumerate(preview.headers)] or [
            f"第{i + 1}列" for i in range(max((len(r) for r in preview.rows), default=0))]
        by_field = {name: column for column, name in preview.mapping.items()}
        for field, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("（没有这一列）", None)
            for index, text in enumerate(columns):
                combo.addItem(text, index)
            combo.setCurrentIndex(combo.findData(by_field[field]) if field in by_field else 0)
            combo.blockSignals(False)
        self.sample.setColumnCount(len(columns))
        self.sample.setHorizontalHeaderLabels(columns)
        self.sample.setRowCount(len(preview.rows))
        for r, values in enumerate(preview.rows):
            for c, value in enumerate(values[:len(columns)]):
                self.sample.setItem(r, c, QTableWidgetItem(value))
        self.sample.resizeColumnsToContents()
        self.completeChanged.emit()

    def field_path(self) -> str:
        return self.wizard().file.path.text().strip()  # type: ignore[attr-defined]

    def mapping(self) -> dict[str, int]:
        return {field: combo.currentData() for field, combo in self.combos.items()
                if combo.currentData() is not None}

    def isComplete(self) -> bool:
        if self.preview is None:
            return False
        mapping = self.mapping()
        missing = [roster.FIELDS[f] for f in roster.REQUIRED_FIELDS if f not in mapping]
        doubled = len(set(mapping.values())) != len(mapping)
        if missing:
            self.error.setText(f"请指定这些列：{'、'.join(missing)}")
        elif doubled:
            self.error.setText("同一列被指定给了两项，请检查")
        else:
            self.error.clear()
        return not missing and not doubled


class ReportPage(QWizardPage):
    """A dry run (check) or the real import, in the background, then its report."""

    def __init__(self, clinic: Clinic, *, dry_run: bool) -> None:
        super().__init__()
        self.clinic = clinic
        self.dry_run = dry_run
        self.report: roster.ImportReport | None = None
        self.task: Task | None = None
        self.failed = ""
        if dry_run:
            self.setTitle("第3步：检查名单")
            self.setSubTitle("先检查，不写入。有问题的行不会导入，其他行照常导入。")
        else:
            self.setTitle("第4步：导入完成")
            self.setSubTitle("导入在一个事务中完成：取消或断电都不会留下半份名单。")
        self.summary = QLabel("正在处理……")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.errors = TableOrNote(RowsModel(ISSUE_COLUMNS, self), "importErrors",
                                  "没有出错的行。")
        self.warnings = TableOrNote(RowsModel(ISSUE_COLUMNS, self), "importWarnings",
                                    "没有提醒。")
        self.missing = TableOrNote(RowsModel(MISSING_COLUMNS, self), "importMissing",
                                   "登记册中的人都在这份名单里。")
        self.save_errors = QPushButton("保存错误报告(&S)…")
        self.save_errors.clicked.connect(lambda: self.save_error_report())
        self.save_errors.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        for title, widget in (("未导入的行（请在表格中改正后重新导入）", self.errors),
                              ("提醒", self.warnings)):
            layout.addWidget(QLabel(title))
            layout.addWidget(widget, 1)
        if not dry_run:
            layout.addWidget(QLabel("不在新名单中的人（未删除，请核实）"))
            layout.addWidget(self.missing, 1)
        layout.addWidget(self.save_errors, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:
        wizard: Any = self.wizard()
        path = wizard.file.path.text().strip()
        village = wizard.file.village.text().strip() or None
        mapping = wizard.columns.mapping()
        db_path = self.clinic.path
        dry_run = self.dry_run
        self.report, self.failed = None, ""
        self.summary.setText("正在检查……" if dry_run else "正在导入……")

        def job(progress: Progress) -> roster.ImportReport:
            with Clinic.open(db_path, user=self.clinic.store.user) as worker:
                return worker.import_roster(path, village=village, dry_run=dry_run,
                                            progress=progress, mapping=mapping)

        self.task = run_task(self, "检查名单" if dry_run else "导入名单", job,
                             on_done=self._done, on_error=self._failed,
                             on_cancel=self._cancelled)
        self.completeChanged.emit()

    def _done(self, report: roster.ImportReport) -> None:
        self.report = report
        self.summary.setText(_summary(report, done=not self.dry_run))
        self.errors.model.set_rows([i.to_json() for i in report.errors])
        self.warnings.model.set_rows([i.to_json() for i in report.warnings])
        self.missing.model.set_rows(report.missing_from_roster)
        self.save_errors.setEnabled(bool(report.errors))
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self.failed = message
        self.summary.setText(f"无法完成：{message}\n登记册没有任何改动。")
        self.summary.setStyleSheet(ERROR_STYLE)
        self.completeChanged.emit()

    def _cancelled(self) -> None:
        self._failed("已取消")

    def isComplete(self) -> bool:
        return self.report is not None

    def save_error_report(self, path: str | None = None) -> Path | None:
        if self.report is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "保存错误报告", "名单错误报告.xlsx",
                                                  "Excel 文件 (*.xlsx)")
            if not path:
                return None
        try:
            roster.write_error_report(self.report, path)
        except ClinicError as exc:
            QMessageBox.warning(self, "保存失败", str(exc))
            return None
        return Path(path)


class ImportWizard(QWizard):
    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("导入扶贫办名单")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步(&N) >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< 上一步(&B)")
        self.setButtonText(QWizard.WizardButton.FinishButton, "完成")
        self.setButtonText(QWizard.WizardButton.CancelButton, "取消")
        self.file = FilePage()
        self.columns = ColumnsPage()
        self.check = ReportPage(clinic, dry_run=True)
        self.result = ReportPage(clinic, dry_run=False)
        for page in (self.file, self.columns, self.check, self.result):
            self.addPage(page)
        # Leaving the check page commits: once the register changed there is no going back.
        self.check.setCommitPage(True)
        self.check.setButtonText(QWizard.WizardButton.CommitButton, "开始导入(&I)")
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        # Fit the screen: at 125% a 1366×768 laptop has about 1090×580 to show it in.
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1000, 640
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(width, height)

    def imported(self) -> roster.ImportReport | None:
        return self.result.report

    def reject(self) -> None:
        """Cancel a running job first: its transaction rolls back, nothing is kept."""
        for page in (self.check, self.result):
            if page.task is not None and not page.task.wait(0):
                page.task.cancel()
                page.task.wait(60)
        super().reject()


def open_wizard(clinic: Clinic, parent: QWidget | None = None) -> ImportWizard:
    wizard = ImportWizard(clinic, parent)
    wizard.setWindowModality(Qt.WindowModality.WindowModal)
    return wizard

