"""今日待办: who is overdue or due this week, most urgent first; contracts about to expire.

The list is computed in the background (a whole township takes a moment); marks (called /
visited / can't reach) are saved at once and do not count as visits.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.ui.care_lists import CareLists  # 体检未做, 药快用完 (issue 6)
from clinic_app.ui.contracts_page import contract_alerts  # 已到期 apart (issue 5)
from clinic_app.ui.followup_form import record_due_visit
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.print_actions import visit_list_button  # 打印随访名单 (issue 7)
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import TableOrNote, fill_villages
from clinic_app.work_list import (
    CONTACT_LABELS,
    contact_text,
    export_xlsx,
    reason,
    risk_label,
    when,
)

RISK_COLOURS = {0: QColor("#ffd6d6"), 1: QColor("#ffe8cc"), 2: QColor("#fff7cc")}

WORK_COLUMNS = [
    Column("风险", risk_label, tooltip=lambda r: r["rule"]),
    Column("姓名", lambda r: r["name"]),
    Column("年龄", lambda r: r["age"], align_right=True),
    Column("慢病", lambda r: "、".join(r["conditions"])),
    Column("应随访", when, tooltip=lambda r: r["rule"]),
    # Why they are listed, readable without hovering: the rule behind the risk.
    Column("原因", reason, tooltip=lambda r: r["rule"]),
    Column("上次随访", lambda r: r["last_visit"] or "从未随访"),
    Column("血压", lambda r: r["last_bp"]),
    Column("血糖", lambda r: r["last_glucose"], align_right=True),
    # The household's phone when the resident has none (core query); say so when neither.
    Column("电话", lambda r: r["phone"] or "无电话"),
    Column("村组", lambda r: f"{r['village']}{r['group_name']}"),
    Column("联系情况", contact_text),
]
EXPIRING_COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("村", lambda r: r["village"]),
    Column("到期日", lambda r: r["end_on"]),
    Column("剩余天数", lambda r: r["days_left"] if r["days_left"] >= 0 else "已到期",
           align_right=True),
    Column("签约医生", lambda r: r["doctor"]),
    Column("电话", lambda r: r["phone"]),
]


class WorkModel(RowsModel):
    """Rows tinted by risk, so the urgent ones stand out before anyone reads."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            return RISK_COLOURS.get(self.row_data(index.row())["risk"])
        return super().data(index, role)


class TodayPage(QWidget):
    open_resident = Signal(str)
    message = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.task: Task | None = None
        # (village, as-of day) of the list on screen, for the export's title row
        self.computed_for: tuple[str, dt.date] | None = None
        self.village = QComboBox()
        self.village.setObjectName("todayVillage")
        self.summary = QLabel("正在计算……")
        self.summary.setObjectName("todaySummary")
        refresh = QPushButton("刷新(&R)")
        refresh.clicked.connect(self.refresh)
        export = QPushButton("导出 Excel(&E)…")
        export.clicked.connect(lambda: self.export())
        bar = QHBoxLayout()
        bar.addWidget(QLabel("村"))
        bar.addWidget(self.village)
        bar.addWidget(self.summary, 1)
        bar.addWidget(refresh)
        bar.addWidget(export)
        bar.addWidget(visit_list_button(self))  # 打印随访名单 (issue 7)

        self.model = WorkModel(WORK_COLUMNS, self)
        self.work = TableOrNote(self.model, "workList",
                                "今天没有逾期或本周应随访的患者。")
        self.work.view.activated.connect(lambda i: self.open_resident.emit(
            self.model.row_data(i.row())["id"]))
        marks = QHBoxLayout()
        self.mark_buttons: dict[str, QPushButton] = {}
        for outcome, text in (("called", "已电话(&1)"), ("visited", "已上门(&2)"),
                              ("unreachable", "联系不上(&3)")):
            button = QPushButton(text)
            button.setObjectName(f"mark_{outcome}")
            button.clicked.connect(lambda _=False, o=outcome: self.mark(o))
            self.mark_buttons[outcome] = button
            marks.addWidget(button)
        note = QLabel("（只记录联系情况，不算作随访；同一天再点会改掉当天的记录）")
        marks.addWidget(note)
        marks.addStretch(1)
        open_button = QPushButton("打开档案(&O)")
        open_button.clicked.connect(self._open_selected)
        marks.addWidget(open_button)
        # 记录随访 (issue 5): the form for the condition that is due, straight from the list.
        self.visit_button = QPushButton("记录随访(&V)…")
        self.visit_button.setObjectName("todayRecordVisit")
        self.visit_button.clicked.connect(self.record_visit)
        marks.addWidget(self.visit_button)

        self.expiring_model = RowsModel(EXPIRING_COLUMNS, self)
        self.expiring = TableOrNote(self.expiring_model, "expiringContracts",
                                    "近期没有需要续约的签约。")
        self.expiring.view.activated.connect(lambda i: self.open_resident.emit(
            self.expiring_model.row_data(i.row())["resident_id"]))
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(marks)
        top_layout.addWidget(self.work, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        # Contracts (issue 5): expiring and expired side by side, apart.
        bottom_layout.addWidget(contract_alerts(self), 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([480, 160])
        CareLists.attach(self, splitter)  # 体检未做 and 药快用完 under the lists (issue 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.reload_villages()
        self.village.currentIndexChanged.connect(self.refresh)

    def reload_villages(self) -> None:
        fill_villages(self.village, self.clinic.places("village"), "全部村")

    def refresh(self) -> Task:
        """Recompute in the background; the table fills when done."""
        path, village_id = self.clinic.path, self.village.currentData()
        self.care_lists.refresh(village_id)  # 体检未做, 药快用完 (issue 6)
        today = self.clinic.today()

        def job(progress: Progress) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            progress.update(0, 0, "正在计算今日待办……")
            with Clinic.open(path, today=lambda: today) as worker:
                return (worker.work_list(village_id=village_id),
                        worker.expiring_contracts(village_id=village_id))

        self.summary.setText("正在计算……")
        self.computed_for = (self.village.currentText(), today)  # the export's title says it
        self.task = run_task(self, "计算今日待办", job, on_done=self._show,
                             on_error=self._failed)
        return self.task

    def _show(self, result: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        items, expiring = result
        self.model.set_rows(items)
        self.expiring_model.set_rows(expiring)
        overdue = sum(1 for i in items if i["status"] == "overdue")
        urgent = sum(1 for i in items if i["risk"] <= 1)
        self.summary.setText(f"逾期 {overdue} 人，本周到期 {len(items) - overdue} 人，"
                             f"其中危急或需转诊 {urgent} 人；{len(expiring)} 份签约即将到期")
        if items:
            self.work.view.selectRow(0)

    def _failed(self, message: str) -> None:
        self.summary.setText("计算失败")
        QMessageBox.warning(self, "今日待办", message)

    def selected(self) -> dict[str, Any] | None:
        rows = self.work.view.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def _open_selected(self) -> None:
        if (item := self.selected()) is not None:
            self.open_resident.emit(item["id"])

    def record_visit(self) -> bool:
        """Open the follow-up form of the selected patient's due condition; refresh after."""
        item = self.selected()
        if item is None:
            self.message.emit("请先选中一位患者")
            return False
        if not record_due_visit(self, self.clinic, item["id"], item.get("condition")):
            return False
        self.message.emit(f"已保存 {item['name']} 的随访")
        self.refresh()
        return True

    def mark(self, outcome: str) -> None:
        item = self.selected()
        if item is None:
            self.message.emit("请先选中一位患者")
            return
        try:
            done = self.clinic.mark_contact(item["id"], outcome)
        except ClinicError as exc:
            QMessageBox.warning(self, "保存失败", str(exc))
            return
        label = CONTACT_LABELS[outcome]
        if done.change == "unchanged":  # one mark a day per doctor: say so, add nothing
            self.message.emit(f"{item['name']} 今天已记录过“{label}”，未重复记录")
            return
        item["contact"] = {"on_date": self.clinic.today().isoformat(), "outcome": outcome,
                           "note": ""}
        row = self.model.rows().index(item)
        self.model.dataChanged.emit(self.model.index(row, 0),
                                    self.model.index(row, self.model.columnCount() - 1))
        if done.change == "updated":
            before = CONTACT_LABELS.get(done.before or "", done.before)
            self.message.emit(f"已把 {item['name']} 今天的记录由“{before}”改为“{label}”"
                              "（每天只保留一条）")
        else:
            self.message.emit(f"已记录：{item['name']} {label}")

    def export(self, path: str | None = None) -> Path | None:
        village, as_of = self.computed_for or (self.village.currentText(), self.clinic.today())
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "导出今日待办", f"今日待办-{village}-{as_of.isoformat()}.xlsx",
                "Excel 文件 (*.xlsx)")
            if not path:
                return None
        try:
            export_xlsx(path, self.model.rows(), village=village, as_of=as_of,
                        profile_name=self.clinic.profile.name)
        except ClinicError as exc:
            QMessageBox.warning(self, "导出失败", str(exc))
            return None
        self.message.emit(f"已导出 {len(self.model.rows())} 人到 {path}")
        return Path(path)
