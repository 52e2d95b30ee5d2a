"""The 随访 page: a village's follow-up register (随访管理名册).

Every managed condition of every patient in the village: when it is next due and why (the same
rules as 今日待办), the last visit, and this year's visit days against the profile's count
(规范管理). Filter by disease or by what needs doing; record a visit or open the record from the
list; export it for the township. Computed in the background: a village of 1,000 people takes
a fraction of a second, but the PC may be old.
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
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes, schedule
from clinic_app.errors import ClinicError
from clinic_app.export import write_xlsx
from clinic_app.progress import Progress
from clinic_app.ui.followup_form import record_due_visit
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import TableOrNote, fill_villages
from clinic_app.work_list import risk_label

SHOWS = {"all": "全部", "overdue": "已逾期", "week": "逾期或本周到期", "behind": "今年次数未达标"}


def _risk(row: dict[str, Any]) -> str:
    """The row's risk as 今日待办 says it; routine rows say nothing (most of the register)."""
    return "" if row["risk"] == schedule.RISK_ROUTINE else risk_label(row)


def _visits_text(row: dict[str, Any]) -> str:
    done = row["visits_this_year"]
    return f"{done}/{row['per_year']}" if row.get("per_year") else f"{done}"


def _when(row: dict[str, Any]) -> str:
    if row["overdue_days"]:
        return f"逾期{row['overdue_days']}天"
    return row["due_on"]


COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("性别", lambda r: r["sex"]),
    Column("年龄", lambda r: r["age"], align_right=True),
    Column("组", lambda r: r["group_name"]),
    Column("病种", lambda r: codes.label(codes.CONDITIONS, r["condition"])),
    Column("今年随访(天/应)", _visits_text, align_right=True,
           tooltip=lambda r: "高血压、糖尿病只计门诊和家庭随访，同一天算一次"),
    Column("上次随访", lambda r: r["last_visit"] or "从未随访"),
    Column("上次血压", lambda r: r["last_bp"]),
    Column("下次随访", _when),
    Column("风险", _risk),
    Column("原因", lambda r: r["rule"], tooltip=lambda r: r["rule"]),
    Column("电话", lambda r: r["phone"] or "无电话"),
]


class RegisterModel(RowsModel):
    """Overdue rows in red, the ones due this week in amber."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            row = self.row_data(index.row())
            if row["overdue_days"] or row["risk"] <= schedule.RISK_REFERRAL:
                return QColor("#b00020")
            if row.get("due_soon"):
                return QColor("#8a4b00")
        return super().data(index, role)


class FollowUpsPage(QWidget):
    """随访: the village's follow-up register."""

    open_resident = Signal(str)
    message = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.setObjectName("followUpsPage")
        self.clinic = clinic
        self.task: Task | None = None
        self.rows: list[dict[str, Any]] = []
        self.village = QComboBox()
        self.village.setObjectName("registerVillage")
        self.condition = QComboBox()
        self.condition.setObjectName("registerCondition")
        self.condition.addItem("全部病种", None)
        for code in schedule.SCHEDULED:
            self.condition.addItem(codes.label(codes.CONDITIONS, code), code)
        self.show_combo = QComboBox()
        self.show_combo.setObjectName("registerShow")
        for key, label in SHOWS.items():
            self.show_combo.addItem(label, key)
        self.summary = QLabel()
        self.summary.setObjectName("registerSummary")
        refresh = QPushButton("刷新(&R)")
        refresh.clicked.connect(self.refresh)
        export = QPushButton("导出 Excel(&E)…")
        export.clicked.connect(lambda: self.export())
        bar = QHBoxLayout()
        for label, widget in (("村", self.village), ("病种", self.condition),
                              ("显示", self.show_combo)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.summary, 1)
        bar.addWidget(refresh)
        bar.addWidget(export)
        self.model = RegisterModel(COLUMNS, self)
        self.table = TableOrNote(self.model, "followUpRegister",
                                 "这个村没有需要随访管理的慢病患者（高血压、糖尿病、肺结核、"
                                 "严重精神障碍），或没有符合筛选条件的人。")
        self.table.view.activated.connect(lambda i: self.open_resident.emit(
            self.model.row_data(i.row())["id"]))
        actions = QHBoxLayout()
        self.visit_button = QPushButton("记录随访(&V)…")
        self.visit_button.setObjectName("registerRecordVisit")
        self.visit_button.clicked.connect(self.record_visit)
        open_button = QPushButton("打开档案(&O)")
        open_button.clicked.connect(self._open_selected)
        actions.addWidget(QLabel("双击打开档案；红色：已逾期或需转诊，橙色：本周到期。"))
        actions.addStretch(1)
        actions.addWidget(open_button)
        actions.addWidget(self.visit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        self.reload_villages()
        self.village.currentIndexChanged.connect(self.refresh)
        self.condition.currentIndexChanged.connect(self._filter)
        self.show_combo.currentIndexChanged.connect(self._filter)
        self._loaded = False

    def reload_villages(self) -> None:
        fill_villages(self.village, self.clinic.places("village"))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def refresh(self) -> Task | None:
        village_id = self.village.currentData()
        if village_id is None:
            self.summary.setText("还没有登记任何村。")
            return None
        path, today = self.clinic.path, self.clinic.today()

        def job(progress: Progress) -> list[dict[str, Any]]:
            progress.update(0, 0, "正在整理随访名册……")
            with Clinic.open(path, today=lambda: today) as worker:
                return worker.follow_up_register(village_id, today)

        self.summary.setText("正在计算……")
        self.task = run_task(self, "整理随访名册", job, on_done=self._show,
                             on_error=lambda text: QMessageBox.warning(self, "随访", text))
        return self.task

    def _show(self, rows: list[dict[str, Any]]) -> None:
        soon = self.clinic.today() + dt.timedelta(
            days=self.clinic.profile.value("followup.due_soon_days", default=7))
        for row in rows:
            row["due_soon"] = row["due_on"] <= soon.isoformat()
        order = {c: i for i, c in enumerate(schedule.SCHEDULED)}
        self.rows = sorted(rows, key=lambda r: (r["due_on"], order.get(r["condition"], 9)))
        self._filter()

    def _filter(self) -> None:
        condition, show = self.condition.currentData(), self.show_combo.currentData()

        def wanted(row: dict[str, Any]) -> bool:
            if condition and row["condition"] != condition:
                return False
            if show == "overdue":
                return bool(row["overdue_days"])
            if show == "week":
                return bool(row["overdue_days"] or row["due_soon"])
            if show == "behind":
                return bool(row.get("per_year")) and row["visits_this_year"] < row["per_year"]
            return True

        shown = [r for r in self.rows if wanted(r)]
        self.model.set_rows(shown)
        overdue = sum(1 for r in self.rows if r["overdue_days"])
        people = len({r["id"] for r in self.rows})
        self.summary.setText(f"管理 {people} 人（{len(self.rows)} 个病种），逾期 {overdue} 个；"
                             f"显示 {len(shown)} 条")

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.view.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def _open_selected(self) -> None:
        if (row := self.selected()) is not None:
            self.open_resident.emit(row["id"])

    def record_visit(self) -> bool:
        row = self.selected()
        if row is None:
            self.message.emit("请先选中一位患者")
            return False
        if not record_due_visit(self, self.clinic, row["id"], row["condition"]):
            return False
        self.message.emit(f"已保存 {row['name']} 的随访")
        self.refresh()
        return True

    def export(self, path: str | None = None) -> Path | None:
        village = self.village.currentText()
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "导出随访名册", f"{village}随访名册.xlsx",
                                                  "Excel 文件 (*.xlsx)")
            if not path:
                return None
        rows = self.model.rows()
        today = self.clinic.today()
        try:
            write_xlsx(path, "随访名册", [c.title for c in COLUMNS],
                       ([c.value(r) for c in COLUMNS] for r in rows),
                       title=f"{village} 随访管理名册（{today:%Y-%m-%d}，"
                             f"{self.show_combo.currentText()}，{self.condition.currentText()}，"
                             f"共{len(rows)}条）")
        except ClinicError as exc:
            QMessageBox.warning(self, "导出失败", str(exc))
            return None
        return Path(path)
