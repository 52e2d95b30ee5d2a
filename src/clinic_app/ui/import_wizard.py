"""Import wizard for the poverty office's roster: file → columns → check → import → summary.

The checking pass is a dry run of the real import (same code, nothing written): before
开始导入 it lists every field change, the local edits the import keeps (tick to overwrite),
the chronic diseases named in 健康状况 (tick to record) and who is missing from the roster.
The import itself runs in the background in one transaction with those choices: cancel, a
crash or a power cut leave the register as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from clinic_app import roster
from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.ui.models import Column, Index, RowsModel
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import ERROR_STYLE, TableOrNote

ISSUE_COLUMNS = [
    Column("行号", lambda r: r["row"], align_right=True),
    Column("列", lambda r: r["column"]),
    Column("原因", lambda r: r["reason"], tooltip=lambda r: r["reason"]),
]
MISSING_COLUMNS = [
    Column("村", lambda r: r.get("village", "")),
    Column("户编号", lambda r: r.get("household_no", "")),
    Column("姓名", lambda r: r.get("name", "")),
    Column("身份证号", lambda r: r.get("masked_id", "")),
    Column("与户主关系", lambda r: r.get("relation", "")),
    Column("为何列出", lambda r: r.get("reason", "")),
]
CHANGE_COLUMNS = [
    Column("行号", lambda r: r["row"], align_right=True),
    Column("姓名", lambda r: r["name"]),
    Column("户编号", lambda r: r["household_no"]),
    Column("项目", lambda r: r["label"]),
    Column("当前值", lambda r: r["current"], tooltip=lambda r: r["current"]),
    Column("名单值", lambda r: r["roster"], tooltip=lambda r: r["roster"]),
]
CONFLICT_COLUMNS = [
    Column("行号", lambda r: r["row"], align_right=True),
    Column("姓名", lambda r: r["name"]),
    Column("户编号", lambda r: r["household_no"]),
    Column("项目", lambda r: r["label"]),
    Column("本地值", lambda r: r["current"], tooltip=lambda r: r["current"]),
    Column("名单值", lambda r: r["roster"], tooltip=lambda r: r["roster"]),
    Column("本地修改人", lambda r: r["local_user"]),
    Column("修改日期", lambda r: r["local_at"][:10],
           tooltip=lambda r: f"{r['local_at']} {r['how']}"),
]
SUGGESTION_COLUMNS = [
    Column("行号", lambda r: r["row"], align_right=True),
    Column("姓名", lambda r: r["name"]),
    Column("户编号", lambda r: r["household_no"]),
    Column("健康状况（名单）", lambda r: r["health"], tooltip=lambda r: r["health"]),
    Column("慢病", lambda r: r["condition"]),
]


class ChoiceModel(RowsModel):
    """Rows with a tick box in the first column: the user's choice, row by row.

    Rows carry a "key" (a conflict's or a suggestion's); the ticked keys are ``chosen``.
    Read-only (the import's result), the first column says what was done instead.
    """

    def __init__(self, title: str, columns: list[Column], parent: Any = None, *,
                 done: tuple[str, str] = ("是", "否"), done_field: str = "",
                 editable: bool = True) -> None:
        self.chosen: set[str] = set()
        self.editable = editable
        self._done_field = done_field

        def first(row: dict[str, Any]) -> str:
            if self.editable:
                return "1" if row["key"] in self.chosen else "0"  # sorts ticked rows together
            return done[0] if row.get(self._done_field) else done[1]

        super().__init__([Column(title, first), *columns], parent)

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.chosen = set()
        super().set_rows(rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.editable and index.isValid() and index.column() == 0 and (
                0 <= index.row() < self.rowCount()):
            key = self.row_data(index.row())["key"]
            if role == Qt.ItemDataRole.CheckStateRole:
                return (Qt.CheckState.Checked if key in self.chosen
                        else Qt.CheckState.Unchecked)
            if role == Qt.ItemDataRole.DisplayRole:
                return ""
        return super().data(index, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self.editable and index.isValid() and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self.editable and index.isValid() and index.column() == 0
                and role == Qt.ItemDataRole.CheckStateRole
                and 0 <= index.row() < self.rowCount()):
            return False
        state = value if isinstance(value, Qt.CheckState) else Qt.CheckState(int(value))
        key = self.row_data(index.row())["key"]
        if state == Qt.CheckState.Checked:
            self.chosen.add(key)
        else:
            self.chosen.discard(key)
        self.dataChanged.emit(index, index, [role])
        return True

    def toggle(self, row: int) -> None:
        index = self.index(row, 0)
        ticked = self.row_data(row)["key"] in self.chosen
        self.setData(index, Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked,
                     Qt.ItemDataRole.CheckStateRole)

    def set_all(self, ticked: bool) -> None:
        self.chosen = {r["key"] for r in self.rows()} if ticked else set()
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0),
                                  [Qt.ItemDataRole.CheckStateRole])


class _SpaceToggles(QObject):
    """Space ticks the current row's box wherever the cursor is in the row (keyboard use)."""

    def __init__(self, view: QTableView, model: ChoiceModel) -> None:
        super().__init__(view)
        self.view, self.model = view, model
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and self.model.editable
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Space):
            current = self.view.currentIndex()
            if current.isValid():
                self.model.toggle(current.row())
                return True
        return super().eventFilter(watched, event)


def _summary(report: roster.ImportReport, done: bool) -> str:
    will = "已" if done else "将"
    lines = [
        f"读取 {report.rows_read} 行（表头在第 {report.header_row} 行）。"
        f"{will}导入新居民 {report.imported} 人，新户 {report.households} 户；"
        f"{will}更新 {report.updated} 人（{len(report.field_changes())} 处变动）；"
        f"无变化 {report.unchanged} 人。",
        f"有问题未导入 {report.rejected} 行，提醒 {len(report.warnings)} 条。",
    ]
    if report.conflicts:
        kept = report.kept_local
        overwritten = len(report.conflicts) - kept
        if done:
            lines.append(f"本地修改过的 {len(report.conflicts)} 处与名单不同：保留本地 {kept} 处，"
                         f"用名单覆盖 {overwritten} 处。")
        else:
            lines.append(f"本地修改过的 {len(report.conflicts)} 处与名单不同，默认保留本地的值；"
                         "要用名单的值，请在“冲突”中勾选。")
    if report.condition_suggestions:
        if done:
            lines.append(f"登记慢病 {report.conditions_added} 条（来自“健康状况”）。")
        else:
            lines.append(f"“健康状况”写明了 {len(report.condition_suggestions)} 条慢病，"
                         "勾选的才会登记，其余写入备注。")
    if report.skipped_other_village:
        lines.append(f"其他村的 {report.skipped_other_village} 行未导入（只导入了指定的村）。")
    if report.missing_from_roster:
        counts = "，".join(f"{v} {n} 人" for v, n in report.missing_by_village.items())
        lines.append(f"登记册中有 {len(report.missing_from_roster)} 人不在这份名单里（{counts}）："
                     "不会删除，请逐一核实是否脱贫、死亡或迁出。")
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
        # The fields in three columns above the sample rows: one tall column of 15 combo
        # boxes did not fit a 1366×768 laptop at 125% (about 580 px for the whole wizard).
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        rows = (len(roster.FIELDS) + 2) // 3
        for index, (field, label) in enumerate(roster.FIELDS.items()):
            combo = QComboBox()
            combo.setObjectName(f"map_{field}")
            combo.setMinimumContentsLength(12)  # 第12列 证件号码 fits without cutting
            combo.currentIndexChanged.connect(self.completeChanged)
            required = "（必需）" if field in roster.REQUIRED_FIELDS else ""
            text = QLabel(f"{label}{required}")
            text.setBuddy(combo)
            row, column = index % rows, index // rows * 2
            grid.addWidget(text, row, column, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(combo, row, column + 1)
            self.combos[field] = combo
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addLayout(grid)
        layout.addWidget(self.sample, 1)
        layout.addWidget(self.error)

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
    """A dry run (check) or the real import, in the background, then its report.

    The check shows, before anything is written, every field the import would change (who,
    which field, current value → roster value), the local edits it would keep (tick one, or
    all, to take the roster's value instead), and the chronic diseases 健康状况 names (tick
    to record them). The import page shows what was done, in the same tabs.
    """

    def __init__(self, clinic: Clinic, *, dry_run: bool) -> None:
        super().__init__()
        self.clinic = clinic
        self.dry_run = dry_run
        self.report: roster.ImportReport | None = None
        self.task: Task | None = None
        self.failed = ""
        if dry_run:
            self.setTitle("第3步：检查名单，核对变动")
            self.setSubTitle("先检查，不写入。本地修改过的字段默认保留；有问题的行不会导入，"
                             "其他行照常导入。")
        else:
            self.setTitle("第4步：导入完成")
            self.setSubTitle("导入在一个事务中完成：取消或断电都不会留下半份名单。")
        self.summary = QLabel("正在处理……")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.changes = TableOrNote(RowsModel(CHANGE_COLUMNS, self), "importChanges",
                                   "名单没有改动登记册中已有的人。")
        self.conflicts = TableOrNote(
            ChoiceModel("用名单覆盖" if dry_run else "结果", CONFLICT_COLUMNS, self,
                        done=("已用名单覆盖", "保留本地"), done_field="overwritten",
                        editable=dry_run),
            "importConflicts", "没有冲突：名单要改的字段都没有在本地修改过。")
        self.suggestions = TableOrNote(
            ChoiceModel("登记" if dry_run else "结果", SUGGESTION_COLUMNS, self,
                        done=("已登记", "未登记（在备注中）"), done_field="accepted",
                        editable=dry_run),
            "importSuggestions", "“健康状况”中没有写明可登记的慢病。")
        self.errors = TableOrNote(RowsModel(ISSUE_COLUMNS, self), "importErrors",
                                  "没有出错的行。")
        self.warnings = TableOrNote(RowsModel(ISSUE_COLUMNS, self), "importWarnings",
                                    "没有提醒。")
        self.missing = TableOrNote(RowsModel(MISSING_COLUMNS, self), "importMissing",
                                   "名单所涉及的户和以前导入的人都在这份名单里。")
        for table in (self.conflicts, self.suggestions):
            model = table.model
            assert isinstance(model, ChoiceModel)
            _SpaceToggles(table.view, model)
            table.view.setColumnWidth(0, 90)
        self.save_errors = QPushButton("保存错误报告(&S)…")
        self.save_errors.clicked.connect(lambda: self.save_error_report())
        self.save_errors.setEnabled(False)
        self.save_missing = QPushButton("保存为 Excel(&X)…")
        self.save_missing.setObjectName("saveMissing")
        self.save_missing.clicked.connect(lambda: self.save_missing_report())
        self.save_missing.setEnabled(False)
        self.overwrite_all = QPushButton("全部用名单覆盖(&O)")
        self.overwrite_all.clicked.connect(lambda: self._tick_all(self.conflicts, True))
        self.keep_all = QPushButton("全部保留本地(&K)")
        self.keep_all.clicked.connect(lambda: self._tick_all(self.conflicts, False))
        self.accept_all = QPushButton("全部登记(&A)")
        self.accept_all.clicked.connect(lambda: self._tick_all(self.suggestions, True))
        self.accept_none = QPushButton("全部不登记(&U)")
        self.accept_none.clicked.connect(lambda: self._tick_all(self.suggestions, False))
        self.missing_counts = QLabel()
        self.missing_counts.setObjectName("missingCounts")
        self.missing_counts.setWordWrap(True)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("importTabs")
        self.tabs.addTab(self._tab(
            "登记册中已有的人，这次" + ("将" if dry_run else "已") + "按名单改动的信息"
            "（当前值 → 名单值）。本地修改过的字段不在此列，见“冲突”。", self.changes, []), "")
        conflict_hint = ("这些字段在本地修改过，名单的值与之不同。默认保留本地的值；"
                         "确认名单正确的，请勾选“用名单覆盖”（空格键勾选当前行）。"
                         if dry_run else "本地修改过、与名单不同的字段及其处理结果。")
        self.tabs.addTab(self._tab(conflict_hint, self.conflicts,
                                   [self.overwrite_all, self.keep_all] if dry_run else []), "")
        suggestion_hint = ("名单的“健康状况”写明了这些慢病。勾选的将登记为慢病（可纳入随访），"
                           "未勾选的写入新居民的备注。" if dry_run else
                           "“健康状况”中写明的慢病及其处理结果。")
        self.tabs.addTab(self._tab(suggestion_hint, self.suggestions,
                                   [self.accept_all, self.accept_none] if dry_run else []), "")
        self.tabs.addTab(self._tab("这些行没有导入，请在表格中改正后重新导入。", self.errors,
                                   [self.save_errors]), "")
        self.tabs.addTab(self.warnings, "")
        self.missing_tab = self._tab(self.missing_counts, self.missing, [self.save_missing])
        self.tabs.addTab(self.missing_tab, "")
        self._retitle()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)

    @staticmethod
    def _tab(hint: str | QLabel, table: QWidget, buttons: list[QPushButton]) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        label = hint if isinstance(hint, QLabel) else QLabel(hint)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(table, 1)
        if buttons:
            row = QHBoxLayout()
            for button in buttons:
                row.addWidget(button)
            row.addStretch(1)
            layout.addLayout(row)
        return page

    def _retitle(self) -> None:
        report = self.report
        counts = (len(report.field_changes()), len(report.conflicts),
                  len(report.condition_suggestions), report.rejected, len(report.warnings),
                  len(report.missing_from_roster)) if report else (0,) * 6
        names = ("变动", "冲突", "慢病建议", "未导入的行", "提醒", "不在名单中")
        for index, (name, count) in enumerate(zip(names, counts, strict=True)):
            self.tabs.setTabText(index, f"{name}（{count}）")

    @staticmethod
    def _tick_all(table: TableOrNote, ticked: bool) -> None:
        model = table.model
        assert isinstance(model, ChoiceModel)
        model.set_all(ticked)

    def chosen_overwrites(self) -> set[str]:
        """Keys of the conflicts the user ticked: those take the roster's value."""
        model = self.conflicts.model
        assert isinstance(model, ChoiceModel)
        return set(model.chosen)

    def chosen_conditions(self) -> set[str]:
        model = self.suggestions.model
        assert isinstance(model, ChoiceModel)
        return set(model.chosen)

    def initializePage(self) -> None:
        wizard: Any = self.wizard()
        path = wizard.file.path.text().strip()
        village = wizard.file.village.text().strip() or None
        mapping = wizard.columns.mapping()
        overwrite: set[str] = set()
        conditions: set[str] = set()
        if not self.dry_run:
            overwrite = wizard.check.chosen_overwrites()
            conditions = wizard.check.chosen_conditions()
        db_path = self.clinic.path
        dry_run = self.dry_run
        self.report, self.failed = None, ""
        self.summary.setText("正在检查……" if dry_run else "正在导入……")
        self.summary.setStyleSheet("")

        def job(progress: Progress) -> roster.ImportReport:
            with Clinic.open(db_path, user=self.clinic.user) as worker:
                return worker.import_roster(path, village=village, dry_run=dry_run,
                                            progress=progress, mapping=mapping,
                                            overwrite_local=overwrite,
                                            accept_conditions=conditions)

        self.task = run_task(self, "检查名单" if dry_run else "导入名单", job,
                             on_done=self._done, on_error=self._failed,
                             on_cancel=self._cancelled)
        self.completeChanged.emit()

    def _done(self, report: roster.ImportReport) -> None:
        self.report = report
        self.summary.setText(_summary(report, done=not self.dry_run))
        self.changes.model.set_rows(report.field_changes())
        self.conflicts.model.set_rows(report.conflicts)
        self.suggestions.model.set_rows(report.condition_suggestions)
        self.errors.model.set_rows([i.to_json() for i in report.errors])
        self.warnings.model.set_rows([i.to_json() for i in report.warnings])
        self.missing.model.set_rows(report.missing_from_roster)
        if report.missing_from_roster:
            self.missing_counts.setText(
                "这些人在登记册中、名单涉及的户或以前的名单里，这份名单却没有列出。"
                "不会删除，请逐一核实。按村：" + "，".join(
                    f"{v} {n} 人" for v, n in report.missing_by_village.items()))
        else:
            self.missing_counts.setText("只核对这份名单涉及的村：名单中的户、以前导入的人。")
        self.save_errors.setEnabled(bool(report.errors))
        self.save_missing.setEnabled(bool(report.missing_from_roster))
        self._retitle()
        # Before the import, open the tab that needs a decision; after it, what changed.
        order = (self.conflicts, self.errors, self.suggestions, self.changes) if (
            self.dry_run) else (self.changes, self.errors)
        for table in order:
            if table.model.rowCount():
                self.tabs.setCurrentWidget(table.parentWidget())
                break
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

    def _save(self, what: str, default: str, path: str | None,
              write: Callable[[roster.ImportReport, str], int]) -> Path | None:
        if self.report is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, what, default, "Excel 文件 (*.xlsx)")
            if not path:
                return None
        try:
            write(self.report, path)
        except ClinicError as exc:
            QMessageBox.warning(self, "保存失败", str(exc))
            return None
        return Path(path)

    def save_error_report(self, path: str | None = None) -> Path | None:
        return self._save("保存错误报告", "名单错误报告.xlsx", path, roster.write_error_report)

    def save_missing_report(self, path: str | None = None) -> Path | None:
        """Save the people missing from the roster (per village, full ID numbers) as .xlsx."""
        villages = list(self.report.missing_by_village) if self.report else []
        default = f"{villages[0] if len(villages) == 1 else ''}不在名单中的人员.xlsx"
        return self._save("保存不在名单中的人员", default, path, roster.write_missing_report)


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

