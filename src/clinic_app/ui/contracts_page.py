"""The 签约 page of the main window: 团队与医生, contracts due for renewal, 履约 by village.

Also the small hooks other pages call (one line each): ``contract_pages`` and
``connect_contract_pages`` for the main window, ``sign_household`` for the household page's
全户签约 button, and ``contract_alerts`` for 今日待办 (expiring and expired apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes
from clinic_app.domain.fulfilment import SERVICE_NAMES
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.ui.contract_dialogs import DoctorDialog, HouseholdSignDialog, TeamDialog
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import TableOrNote

if TYPE_CHECKING:
    from clinic_app.ui.household_page import HouseholdPage
    from clinic_app.ui.main_window import MainWindow
    from clinic_app.ui.today_page import TodayPage

INACTIVE = QColor("#888888")


class ActiveRowsModel(RowsModel):
    """Stopped teams and doctors in grey."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and \
                not self.row_data(index.row())["active"]:
            return INACTIVE
        return super().data(index, role)


def _state(row: dict[str, Any]) -> str:
    return "在用" if row["active"] else "已停用"


TEAM_COLUMNS = [
    Column("团队", lambda r: r["name"]),
    Column("服务的村/卫生院", lambda r: r["place"]),
    Column("团队长", lambda r: r["leader"]),
    Column("医生数", lambda r: r["doctors"], align_right=True),
    Column("电话", lambda r: r["phone"]),
    Column("状态", _state),
]
DOCTOR_COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("类别", lambda r: codes.label(codes.DOCTOR_ROLES, r["role"])),
    Column("团队", lambda r: r["team"]),
    Column("所在村/卫生院", lambda r: r["place"]),
    Column("手机", lambda r: r["phone"]),
    Column("在约签约", lambda r: r["contracts"], align_right=True),
    Column("状态", _state),
]


def _left(row: dict[str, Any]) -> str:
    days = row["days_left"]
    return f"剩 {days} 天" if days >= 0 else f"已过 {-days} 天"


CONTRACT_LIST_COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("年龄", lambda r: r["age"], align_right=True),
    Column("村组", lambda r: f"{r['village'] or ''}{r['group_name'] or ''}"),
    Column("到期日", lambda r: r["end_on"]),
    Column("剩余", _left, align_right=True),
    Column("服务包", lambda r: r["package"]),
    Column("签约医生", lambda r: r["doctor"]),
    Column("电话", lambda r: r["phone"]),
]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _services_tip(row: dict[str, Any]) -> str:
    return "\n".join(f"{SERVICE_NAMES.get(code, code)}：{s['done']}/{s['items']}"
                     f"（{_rate(s['rate'])}）" for code, s in row["services"].items())


FULFILMENT_COLUMNS = [
    Column("村", lambda r: r["village"]),
    Column("在约人数", lambda r: r["contracts"], align_right=True),
    Column("全部履约人数", lambda r: r["contracts_done"], align_right=True),
    Column("履约率（人）", lambda r: _rate(r["person_rate"]), align_right=True),
    Column("应履约项目", lambda r: r["items"], align_right=True),
    Column("已完成项目", lambda r: r["items_done"], align_right=True,
           tooltip=_services_tip),
    Column("履约率（项）", lambda r: _rate(r["item_rate"]), align_right=True,
           tooltip=_services_tip),
    Column("按进度完成", lambda r: r["items_on_track"], align_right=True),
    Column("进度达标率", lambda r: _rate(r["on_track_rate"]), align_right=True),
]


def _village_combo(clinic: Clinic, name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    _fill_villages(clinic, combo)
    return combo


def _fill_villages(clinic: Clinic, combo: QComboBox) -> None:
    """(Re)list the villages, keeping the choice: an import or the demo may add some."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem("全部村", None)
    for place in clinic.places("village"):
        combo.addItem(place.name, place.id)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


class TeamsDoctorsPanel(QWidget):
    """团队与医生: add, edit, stop or restart teams and doctors."""

    message = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.team_model = ActiveRowsModel(TEAM_COLUMNS, self)
        self.doctor_model = ActiveRowsModel(DOCTOR_COLUMNS, self)
        self.teams = TableOrNote(self.team_model, "teamsTable",
                                 "还没有家庭医生团队。点“添加团队”开始。")
        self.doctors = TableOrNote(self.doctor_model, "doctorsTable",
                                   "还没有登记医生。点“添加医生”开始；签约时要选择签约医生。")
        self.buttons: dict[str, QPushButton] = {}

        def bar(items: tuple[tuple[str, str, Any], ...]) -> QHBoxLayout:
            row = QHBoxLayout()
            for key, text, slot in items:
                button = QPushButton(text)
                button.setObjectName(key)
                button.clicked.connect(slot)
                self.buttons[key] = button
                row.addWidget(button)
            row.addStretch(1)
            return row

        team_box = QWidget()
        team_layout = QVBoxLayout(team_box)
        team_layout.setContentsMargins(0, 0, 0, 0)
        team_layout.addWidget(QLabel("家庭医生团队"))
        team_layout.addLayout(bar((("addTeam", "添加团队(&T)…", self.add_team),
                                   ("editTeam", "编辑(&E)…", self.edit_team),
                                   ("toggleTeam", "停用/启用", self.toggle_team))))
        team_layout.addWidget(self.teams, 1)
        doctor_box = QWidget()
        doctor_layout = QVBoxLayout(doctor_box)
        doctor_layout.setContentsMargins(0, 0, 0, 0)
        doctor_layout.addWidget(QLabel("医生（签约医生、团队成员）"))
        doctor_layout.addLayout(bar((("addDoctor", "添加医生(&D)…", self.add_doctor),
                                     ("editDoctor", "编辑(&I)…", self.edit_doctor),
                                     ("toggleDoctor", "停用/启用", self.toggle_doctor))))
        doctor_layout.addWidget(self.doctors, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(team_box)
        splitter.addWidget(doctor_box)
        splitter.setSizes([220, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)
        self.teams.view.activated.connect(lambda _: self.edit_team())
        self.doctors.view.activated.connect(lambda _: self.edit_doctor())
        self.refresh()

    def showEvent(self, event: Any) -> None:
        self.refresh()  # contracts held change as doctors sign elsewhere in the window
        super().showEvent(event)

    def refresh(self) -> None:
        self.team_model.set_rows(self.clinic.team_list())
        self.doctor_model.set_rows(self.clinic.doctor_list())

    @staticmethod
    def _chosen(table: TableOrNote) -> dict[str, Any] | None:
        rows = table.view.selectionModel().selectedRows()
        return table.model.row_data(rows[0].row()) if rows else None

    def _run(self, dialog: QDialog, done: str) -> QDialog:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.refresh()
            self.message.emit(done)
        return dialog

    def add_team(self) -> QDialog:
        return self._run(TeamDialog(self.clinic, parent=self), "已添加团队")

    def edit_team(self) -> QDialog | None:
        if (row := self._chosen(self.teams)) is None:
            self.message.emit("请先选中一个团队")
            return None
        return self._run(TeamDialog(self.clinic, row["id"], parent=self), "已保存团队")

    def add_doctor(self) -> QDialog:
        return self._run(DoctorDialog(self.clinic, parent=self), "已添加医生")

    def edit_doctor(self) -> QDialog | None:
        if (row := self._chosen(self.doctors)) is None:
            self.message.emit("请先选中一位医生")
            return None
        return self._run(DoctorDialog(self.clinic, row["id"], parent=self), "已保存医生")

    def toggle_team(self) -> None:
        if (row := self._chosen(self.teams)) is None:
            self.message.emit("请先选中一个团队")
            return
        try:
            self.clinic.set_team_active(row["id"], not row["active"])
        except ClinicError as exc:
            self.message.emit(str(exc))
            return
        self.refresh()
        self.message.emit(f"已{'停用' if row['active'] else '启用'}：{row['name']}")

    def toggle_doctor(self) -> None:
        if (row := self._chosen(self.doctors)) is None:
            self.message.emit("请先选中一位医生")
            return
        try:
            warnings = self.clinic.set_doctor_active(row["id"], not row["active"])
        except ClinicError as exc:
            self.message.emit(str(exc))
            return
        self.refresh()
        self.message.emit("；".join([f"已{'停用' if row['active'] else '启用'}：{row['name']}",
                                    *warnings]))


class ContractListsPanel(QWidget):
    """即将到期 and 已到期未续约, apart; Enter opens the resident to renew."""

    open_resident = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.village = _village_combo(clinic, "contractListsVillage")
        self.summary = QLabel()
        self.summary.setObjectName("contractListsSummary")
        refresh = QPushButton("刷新(&R)")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(QLabel("村"))
        top.addWidget(self.village)
        top.addWidget(self.summary, 1)
        top.addWidget(refresh)
        self.expiring_model = RowsModel(CONTRACT_LIST_COLUMNS, self)
        self.expired_model = RowsModel(CONTRACT_LIST_COLUMNS, self)
        splitter = QSplitter(Qt.Orientation.Vertical)
        for title, model, name, empty in (
                ("即将到期（请及时续约）", self.expiring_model, "expiringList",
                 "近期没有即将到期的签约。"),
                ("已到期未续约", self.expired_model, "expiredList", "没有已到期未续约的签约。")):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.addWidget(QLabel(title))
            table = TableOrNote(model, name, empty)
            table.view.activated.connect(
                lambda index, m=model: self.open_resident.emit(
                    m.row_data(index.row())["resident_id"]))
            box_layout.addWidget(table, 1)
            splitter.addWidget(box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.village.currentIndexChanged.connect(self.refresh)
        self.task: Task | None = None

    def showEvent(self, event: Any) -> None:
        # Computed when looked at, not at start-up; again each time (renewals happen elsewhere).
        _fill_villages(self.clinic, self.village)
        self.refresh()
        super().showEvent(event)

    def refresh(self) -> Task:
        """Both lists in the background (a whole township takes about half a second)."""
        path, village_id, today = self.clinic.path, self.village.currentData(), \
            self.clinic.today()

        def job(progress: Progress) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            with Clinic.open(path, today=lambda: today) as worker:
                return (worker.expiring_soon(village_id=village_id),
                        worker.expired_contracts(village_id=village_id))

        self.summary.setText("正在查找……")
        self.task = run_task(self, "到期的签约", job, on_done=self._show,
                             on_error=lambda message: self.summary.setText(message))
        return self.task

    def _show(self, result: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        expiring, expired = result
        self.expiring_model.set_rows(expiring)
        self.expired_model.set_rows(expired)
        self.summary.setText(f"即将到期 {len(expiring)} 份，已到期未续约 {len(expired)} 份"
                             "（回车打开居民档案续约）")


class FulfilmentPanel(QWidget):
    """签约一人履约一人、签约一项履约一项: rates by village, computed in the background."""

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.task: Task | None = None
        self.village = _village_combo(clinic, "fulfilmentVillage")
        run = QPushButton("统计(&S)")
        run.setObjectName("runFulfilment")
        run.clicked.connect(self.refresh)
        self.summary = QLabel("选择村后点“统计”（全乡镇数量大时需要一些时间）。")
        self.summary.setObjectName("fulfilmentSummary")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("村"))
        top.addWidget(self.village)
        top.addWidget(run)
        top.addWidget(self.summary, 1)
        self.model = RowsModel(FULFILMENT_COLUMNS, self)
        self.table = TableOrNote(self.model, "villageFulfilment",
                                 "统计在约签约（今天仍在服务期内）的每项承诺服务完成情况。"
                                 "“按进度完成”按服务期已过的比例计算。")
        # Numbers right-aligned: a stretched last column would push its number far away.
        self.table.view.horizontalHeader().setStretchLastSection(False)
        note = QLabel("履约率（项）= 已完成的服务项目 ÷ 应履约的服务项目；"
                      "履约率（人）= 每项都已完成的人 ÷ 在约人数。"
                      "按需提供的服务（咨询、转诊）不计入。鼠标停在数字上可看分项。")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)

    def showEvent(self, event: Any) -> None:
        _fill_villages(self.clinic, self.village)
        super().showEvent(event)

    def refresh(self) -> Task:
        path, village_id, today = self.clinic.path, self.village.currentData(), \
            self.clinic.today()

        def job(progress: Progress) -> dict[str, Any]:
            with Clinic.open(path, today=lambda: today) as worker:
                return worker.village_fulfilment(today, village_id=village_id,
                                                 progress=progress)

        self.summary.setText("正在统计……")
        self.task = run_task(self, "统计履约情况", job, on_done=self._show,
                             on_error=self._failed)
        return self.task

    def _show(self, report: dict[str, Any]) -> None:
        rows = list(report["villages"])
        if len(rows) > 1:
            rows.append({**report["total"], "village": "合计"})
        self.model.set_rows(rows)
        total = report["total"]
        self.summary.setText(f"截至 {report['as_of']}：在约 {total['contracts']} 人，"
                             f"履约率（项）{_rate(total['item_rate'])}，"
                             f"进度达标率 {_rate(total['on_track_rate'])}")

    def _failed(self, message: str) -> None:
        self.summary.setText(f"统计失败：{message}")


class ContractsPage(QWidget):
    """签约 in the navigation: 团队与医生 · 到期与续约 · 履约统计."""

    open_resident = Signal(str)
    message = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.teams = TeamsDoctorsPanel(clinic)
        self.lists = ContractListsPanel(clinic)
        self.fulfilment = FulfilmentPanel(clinic)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("contractsTabs")
        self.tabs.addTab(self.teams, "团队与医生")
        self.tabs.addTab(self.lists, "到期与续约")
        self.tabs.addTab(self.fulfilment, "履约统计")
        hint = QLabel("为居民签约、续约、解约：打开居民档案的“签约”页，或在户页面“全户签约”。")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint)
        layout.addWidget(self.tabs, 1)
        self.teams.message.connect(self.message)
        self.lists.open_resident.connect(self.open_resident)


# ---------------------------------------------------------------------- hooks for other pages
def contract_pages(clinic: Clinic) -> dict[str, QWidget]:
    """The main window's 签约 page (its NAV_PAGES key is "contracts")."""
    return {"contracts": ContractsPage(clinic)}


def connect_contract_pages(window: MainWindow) -> None:
    page = window.pages["contracts"]
    assert isinstance(page, ContractsPage)
    page.open_resident.connect(window.open_resident)
    page.message.connect(lambda text: window.statusBar().showMessage(text, 8000))


def sign_household(page: HouseholdPage) -> QDialog | None:
    """全户签约 from the household page."""
    if page.household_id is None:
        return None
    dialog = HouseholdSignDialog(page.clinic, page.household_id, page)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        page.load(page.household_id)
        page.changed.emit(f"已为本户 {len(dialog.saved_ids)} 人签约")
    return dialog


def contract_alerts(page: TodayPage) -> QWidget:
    """今日待办's contracts: 即将到期 beside 已到期未续约, each its own list.

    Takes the page's expiring table (filled by its own background job) and adds the expired
    one, refreshed whenever the expiring one is (a village's list takes milliseconds)."""
    expired_model = RowsModel(CONTRACT_LIST_COLUMNS, page)
    expired = TableOrNote(expired_model, "expiredContracts", "没有已到期未续约的签约。")
    expired.view.activated.connect(lambda index: page.open_resident.emit(
        expired_model.row_data(index.row())["resident_id"]))
    splitter = QSplitter(Qt.Orientation.Horizontal)
    for title, table in (("即将到期的签约（请及时续约）", page.expiring),
                         ("已到期未续约（请尽快续签）", expired)):
        box = QWidget()
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(QLabel(title))
        box_layout.addWidget(table, 1)
        splitter.addWidget(box)

    def refresh() -> None:
        path, village_id, today = page.clinic.path, page.village.currentData(), \
            page.clinic.today()

        def job(progress: Progress) -> list[dict[str, Any]]:
            with Clinic.open(path, today=lambda: today) as worker:
                return worker.expired_contracts(village_id=village_id)

        run_task(page, "已到期的签约", job, on_done=expired_model.set_rows,
                 on_error=lambda message: page.message.emit(message))

    page.expiring_model.modelReset.connect(refresh)
    page.expired_model = expired_model  # type: ignore[attr-defined]
    return splitter
