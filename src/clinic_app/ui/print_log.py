"""打印记录: every recorded print job — when, what, for whom, how many, how, by whom — and a
one-click 重印 (the same people and options, with the register's current content).

The rows come from ``Clinic.print_jobs``; the page adds words for them (village and doctor
names, the first few people of a batch) through Clinic reads, never SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.print_actions import (
    CHECKUP_REPORT,
    CONTACT_CARD,
    FOLLOW_UP_FORM,
    HOUSEHOLD_CARD,
    MONTHLY_REPORT,
    VISIT_LIST,
)
from clinic_app.ui.widgets import TableOrNote

LOG_LIMIT = 200
KIND_LABELS = {CONTACT_CARD: "签约服务联系卡", HOUSEHOLD_CARD: "户政策明白卡",
               FOLLOW_UP_FORM: "随访服务记录表", CHECKUP_REPORT: "健康体检报告",
               VISIT_LIST: "随访工作单", MONTHLY_REPORT: "健康扶贫月报"}
UNITS = {CONTACT_CARD: "张", HOUSEHOLD_CARD: "户", FOLLOW_UP_FORM: "份", CHECKUP_REPORT: "份",
         VISIT_LIST: "人", MONTHLY_REPORT: "份"}
LAYOUT_LABELS = {"duplex": "A4双面", "foldover": "A4对折", "single": "单张卡片"}
NAMES_SHOWN = 3


def local_time(stamp: str) -> str:
    """print_log stores UTC; the clinic reads its own clock."""
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def _count(row: dict[str, Any]) -> str:
    kind = row["kind"]
    number = row["params"].get("count", row["subjects"]) if kind == VISIT_LIST \
        else row["subjects"]
    return f"{number} {UNITS.get(kind, '份')}"


def _options(row: dict[str, Any]) -> str:
    params = row["params"]
    parts = []
    if params.get("layout"):
        parts.append(LAYOUT_LABELS.get(params["layout"], params["layout"]))
    if params.get("paper"):
        parts.append(params["paper"])
    if params.get("changed_only"):
        parts.append("只打印有变化的")
    if params.get("blank"):
        parts.append("空白表")
    return "，".join(parts)


LOG_COLUMNS = [
    Column("时间", lambda r: r["when"]),
    Column("打印内容", lambda r: KIND_LABELS.get(r["kind"], r["kind"])),
    Column("对象", lambda r: r["scope"], tooltip=lambda r: r["scope_tip"]),
    Column("数量", _count, align_right=True),
    Column("版式", _options),
    Column("打印人", lambda r: r["user"]),
    Column("方式", lambda r: r["params"].get("via", "")),  # last: a file name may be long
]


def _subject_name(clinic: Clinic, kind: str, subject_id: str) -> str:
    try:
        if kind == HOUSEHOLD_CARD:
            household = clinic.household(subject_id)
            head = clinic.resident(household.head_id).name if household.head_id else ""
            return f"{head or '（无户主）'}户"
        return clinic.resident(subject_id).name
    except ClinicError:
        return "（已删除）"


def describe_jobs(clinic: Clinic, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The jobs with words for the table: when (local time) and whom (scope)."""
    villages = {p.id: p.name for p in clinic.places("village")}
    doctors: dict[str, str] = {}
    out = []
    for job in jobs:
        params, kind = job["params"], job["kind"]
        parts = []
        if params.get("village_id"):
            parts.append(villages.get(params["village_id"], "（已删除的村）"))
        if params.get("doctor_id"):
            doctor_id = params["doctor_id"]
            if doctor_id not in doctors:
                try:
                    doctors[doctor_id] = clinic.doctor(doctor_id).name
                except ClinicError:
                    doctors[doctor_id] = "（已删除的医生）"
            parts.append(f"{doctors[doctor_id]}医生")
        if kind == MONTHLY_REPORT:
            parts.append(str(params.get("month", "")))
        elif kind == VISIT_LIST:
            parts.append(f"截至 {params.get('as_of', '')}")
            if not params.get("village_id"):
                parts.insert(0, "全部村")
        tip = ""
        if not params.get("village_id") and kind not in (VISIT_LIST, MONTHLY_REPORT):
            subjects = [r["subject_id"] for r in clinic.print_job_items(job["job_id"])
                        if r["subject_id"]]
            if not subjects:
                parts.append("空白表")
            else:
                names = [_subject_name(clinic, kind, s) for s in subjects[:30]]
                more = f" 等 {len(subjects)} {'户' if kind == HOUSEHOLD_CARD else '人'}" \
                    if len(subjects) > NAMES_SHOWN else ""
                parts.append("、".join(names[:NAMES_SHOWN]) + more)
                tip = "、".join(names) + ("……" if len(subjects) > 30 else "")
        scope = " ".join(p for p in parts if p)
        out.append({**job, "id": job["job_id"], "when": local_time(job["printed_at"]),
                    "scope": scope, "scope_tip": tip or scope})
    return out


class PrintLog(QWidget):
    """The list of recorded print jobs with 重印."""

    reprint = Signal(str, str)  # job id, its description (for the summary)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.kind = QComboBox()
        self.kind.setObjectName("logKind")
        self.kind.addItem("全部", None)
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.kind.currentIndexChanged.connect(self.refresh)
        self.count = QLabel()
        self.count.setObjectName("logCount")
        refresh = QPushButton("刷新")
        refresh.clicked.connect(self.refresh)
        self.reprint_button = QPushButton("重印(&R)")
        self.reprint_button.setObjectName("reprintButton")
        self.reprint_button.setToolTip("按这次打印的对象和版式再打印一次（内容为档案中现在的）")
        self.reprint_button.clicked.connect(self._reprint)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("种类"))
        bar.addWidget(self.kind)
        bar.addWidget(self.count, 1)
        bar.addWidget(refresh)
        bar.addWidget(self.reprint_button)
        self.model = RowsModel(LOG_COLUMNS, self)
        self.table = TableOrNote(self.model, "printLog",
                                 "还没有打印记录。打印或另存为 PDF 后，每一次都记在这里，"
                                 "可以一键重印。")
        self.table.view.activated.connect(lambda _index: self._reprint())
        note = QLabel("重印按原来的对象和版式，用档案中现在的内容重新生成；"
                      "每次打印都记下每个人卡片的版本，用于“只打印有变化的”。")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)

    def refresh(self) -> None:
        jobs = self.clinic.print_jobs(LOG_LIMIT, self.kind.currentData())
        self.model.set_rows(describe_jobs(self.clinic, jobs))
        more = f"（只显示最近 {LOG_LIMIT} 次）" if len(jobs) >= LOG_LIMIT else ""
        self.count.setText(f"共 {len(jobs)} 次打印{more}")
        if jobs:
            self.table.view.selectRow(0)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.view.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def _reprint(self) -> None:
        row = self.selected()
        if row is None:
            self.count.setText("请先在列表中选中一次打印")
            return
        what = f"{row['scope']}，{row['when']} 打印的".strip("，")
        self.reprint.emit(row["job_id"], what)
