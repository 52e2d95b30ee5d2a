"""The household page: members and their relation to the head; change head; add, move in,
move out or record a death (people keep their records and history)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import END_STATUSES, Clinic
from clinic_app.domain import codes, ids
from clinic_app.errors import ClinicError, DuplicateResident
from clinic_app.ui.contracts_page import sign_household  # 全户签约 (issue 5)
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.print_actions import household_card_button  # 打印明白卡 (issue 7)
from clinic_app.ui.widgets import ERROR_STYLE, OK_STYLE, table_view

MEMBER_COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("与户主关系", lambda r: r["relation"]),
    Column("性别", lambda r: r["sex"]),
    Column("年龄", lambda r: r["age"], align_right=True),
    Column("身份证号", lambda r: r["masked_id"]),
    Column("电话", lambda r: r["phone"]),
    Column("慢病", lambda r: "、".join(r["conditions"])),
    Column("签约", lambda r: codes.label(codes.CONTRACT_STATUS, r["contract_status"])),
    Column("状态", lambda r: codes.label(codes.RESIDENT_STATUS, r["status"])),
]


def _relation_combo(include_head: bool = True) -> QComboBox:
    combo = QComboBox()
    combo.addItem("请选择与户主的关系", None)
    for relation in codes.RELATIONS:
        if include_head or relation != "户主":
            combo.addItem(relation, relation)
    combo.setEditable(False)
    return combo


class AddMemberDialog(QDialog):
    """Register a new person in this household; the ID is checked as it is typed."""

    def __init__(self, clinic: Clinic, household_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("添加家庭成员")
        self.clinic = clinic
        self.household_id = household_id
        self.saved_id: str | None = None
        self.warnings: list[str] = []
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("memberName")
        self.id_edit = QLineEdit()
        self.id_edit.setObjectName("memberId")
        self.id_info = QLabel("未填写身份证号")
        self.sex = QComboBox()
        self.sex.setObjectName("memberSex")
        for label, code in (("（未填写）", ""), ("男", "男"), ("女", "女")):
            self.sex.addItem(label, code)
        self.birth = QLineEdit()
        self.birth.setObjectName("memberBirth")
        self.birth.setPlaceholderText("没有身份证号时填写，如 2024-03-15")
        self.relation = _relation_combo(include_head=False)
        self.relation.setObjectName("memberRelation")
        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("memberPhone")
        self.error = QLabel()
        self.error.setObjectName("memberError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        form = QFormLayout()
        form.addRow("姓名(&N)", self.name_edit)
        form.addRow("身份证号(&I)", self.id_edit)
        form.addRow("", self.id_info)
        form.addRow("性别", self.sex)
        form.addRow("出生日期", self.birth)
        form.addRow("与户主关系(&R)", self.relation)
        form.addRow("电话(&P)", self.phone_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("保存")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.id_edit.textChanged.connect(self._check_id)
        self._check_id("")
        self.resize(460, 0)

    def _check_id(self, text: str) -> None:
        typed = not text.strip()
        self.sex.setEnabled(typed)
        self.birth.setEnabled(typed)
        if typed:
            self.id_info.setText("未填写身份证号（如新生儿）：请填写性别和出生日期")
            self.id_info.setStyleSheet("")
            return
        try:
            parsed = ids.parse(text, today=self.clinic.today())
        except ids.IdNumberError as exc:
            self.id_info.setText(f"✗ {exc}")
            self.id_info.setStyleSheet(ERROR_STYLE)
        else:
            self.id_info.setText(f"✓ 出生日期 {parsed.birth_date:%Y-%m-%d}　{parsed.sex}")
            self.id_info.setStyleSheet(OK_STYLE)

    def save(self) -> None:
        if self.relation.currentData() is None:
            self.error.setText("请选择与户主的关系")
            self.relation.setFocus()
            return
        number = self.id_edit.text().strip() or None
        typed = {} if number else {"sex": self.sex.currentData(),
                                   "birth_date": self.birth.text().strip() or None}
        try:
            saved = self.clinic.add_resident(
                self.household_id, self.relation.currentData(), name=self.name_edit.text(),
                id_number=number, phone=self.phone_edit.text(), **typed)
        except DuplicateResident as exc:
            self.error.setText(f"{exc}。如需把此人迁入本户，请用“迁入本户”。")
            return
        except ClinicError as exc:
            self.error.setText(str(exc))
            return
        self.saved_id = saved.id
        self.warnings = saved.warnings
        self.accept()


class MoveInDialog(QDialog):
    """Find a resident registered elsewhere and move them into this household."""

    def __init__(self, clinic: Clinic, household_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("迁入本户")
        self.clinic = clinic
        self.household_id = household_id
        self.search = QLineEdit()
        self.search.setPlaceholderText("拼音首字母、姓名或身份证号")
        self.model = RowsModel([
            MEMBER_COLUMNS[0], Column("身份证号", lambda r: r["masked_id"]),
            Column("村", lambda r: r["village"]), Column("户主", lambda r: r["head_name"])], self)
        self.table = table_view(self.model, "moveInResults", sortable=False)
        self.relation = _relation_combo()
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.warnings: list[str] = []
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("迁入")
        # Enter in the search box must not move anyone: only a deliberate click or Alt+M does.
        for button in buttons.buttons():
            button.setAutoDefault(False)
            button.setDefault(False)
        ok.setText("迁入(&M)")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.search.returnPressed.connect(self.table.setFocus)
        form = QFormLayout()
        form.addRow("与户主关系(&R)", self.relation)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._search)
        self.resize(620, 420)

    def _search(self, text: str) -> None:
        rows = self.clinic.search(text, 50) if text.strip() else []
        self.model.set_rows([r for r in rows if r["household_id"] != self.household_id
                             and r["status"] == "active"])
        if self.model.rowCount():
            self.table.selectRow(0)

    def save(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        if not selected:
            self.error.setText("请先在上面找到并选中要迁入的人")
            return
        person = self.model.row_data(selected[0].row())
        relation = self.relation.currentData()
        if relation is None:
            self.error.setText("请选择此人与本户户主的关系")
            self.relation.setFocus()
            return
        head = self.clinic.household(self.household_id).head_id
        if relation == "户主" and head and QMessageBox.question(
                self, "更换户主", f"本户已有户主。确定让 {person['name']} 迁入并成为户主吗？"
                "原户主将改为“其他”。") != QMessageBox.StandardButton.Yes:
            return
        resident_id = person["id"]
        try:
            self.warnings = self.clinic.move_resident(resident_id, self.household_id, relation)
        except ClinicError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class EndResidenceDialog(QDialog):
    """Moved away or deceased: the person stays, with the reason and date."""

    def __init__(self, clinic: Clinic, resident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id = resident_id
        self.warnings: list[str] = []
        person = clinic.resident(resident_id)
        self.setWindowTitle(f"{person.name}：迁出 / 死亡")
        who = QLabel(f"{person.name}　{person.sex}　{person.masked_id}")
        who.setObjectName("endWho")
        font = who.font()
        font.setPointSize(font.pointSize() + 4)
        font.setBold(True)
        who.setFont(font)
        self.status = QComboBox()
        for code in END_STATUSES:
            self.status.addItem(codes.RESIDENT_STATUS[code], code)
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        today = clinic.today()
        self.date.setDate(QDate(today.year, today.month, today.day))
        self.date.setMaximumDate(QDate(today.year, today.month, today.day))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("如：迁往某县某村；病故")
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        form = QFormLayout()
        form.addRow("变动", self.status)
        form.addRow("日期", self.date)
        form.addRow("原因/去向", self.reason)
        note = QLabel("此人的随访、签约等记录会保留，可随时查看。")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            self.warnings = self.clinic.end_residence(
                self.resident_id, self.status.currentData(), self.date.date().toPython(),
                self.reason.text().strip())
        except ClinicError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class HouseholdPage(QWidget):
    back = Signal()
    open_resident = Signal(str)
    changed = Signal(str)  # a message for the status bar

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.household_id: str | None = None
        self.title = QLabel()
        self.title.setObjectName("householdTitle")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 5)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        back = QPushButton("← 返回(&B)")
        back.clicked.connect(self.back)
        top = QHBoxLayout()
        top.addWidget(back)
        top.addWidget(self.title, 1)
        self.model = RowsModel(MEMBER_COLUMNS, self)
        self.table = table_view(self.model, "members")
        self.table.activated.connect(lambda index: self.open_resident.emit(
            self.model.row_data(index.row())["id"]))
        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for key, text, slot in (
            ("open", "打开档案(&O)", self._open),
            ("head", "设为户主(&H)", self._set_head),
            ("add", "添加成员(&A)…", self._add),
            ("move_in", "迁入本户(&M)…", self._move_in),
            ("end", "迁出/死亡(&D)…", self._end),
            ("sign", "全户签约(&Q)…", lambda: sign_household(self)),  # issue 5
        ):
            button = QPushButton(text)
            button.setObjectName(f"{key}Button")
            button.clicked.connect(slot)
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addWidget(household_card_button(self))  # 打印明白卡 (issue 7)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addLayout(actions)
        layout.addWidget(self.table, 1)

    def load(self, household_id: str) -> None:
        self.household_id = household_id
        household = self.clinic.household(household_id)
        village = self.clinic.place(household.village_id)
        members = self.clinic.members(household_id)
        head = next((m for m in members if m.id == household.head_id), None)
        self.title.setText(f"户主：{head.name if head else '（未指定）'}　"
                           f"户编号 {household.household_no or '（无）'}")
        active = sum(1 for m in members if m.status == "active")
        place = f"{village.name} {household.group_name}"
        address = household.address if household.address.replace(" ", "") != \
            place.replace(" ", "") else ""
        if head is None:
            warning = "　⚠ 本户没有户主，请选中一人“设为户主”"
        elif head.status != "active":
            warning = f"　⚠ 户主{head.name}已{head.status_label}，请选中一人“设为户主”"
        else:
            warning = ""
        self.subtitle.setText(f"{place}　{address}　在册 {active} 人，共 {len(members)} 人"
                              + warning)
        rows = self.clinic.summaries([m.id for m in members])
        self.model.set_rows(rows)  # nothing preselected: 迁出/死亡 must be a deliberate choice

    def selected_id(self) -> str | None:
        """The selected member; says so in the status bar when nobody is selected."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.changed.emit("请先在列表中点选一位成员")
            return None
        return self.model.row_data(rows[0].row())["id"]

    def _open(self) -> None:
        if (resident_id := self.selected_id()) is not None:
            self.open_resident.emit(resident_id)

    def _set_head(self) -> None:
        resident_id = self.selected_id()
        if resident_id is None or self.household_id is None:
            return
        name = self.clinic.resident(resident_id).name
        if QMessageBox.question(self, "更换户主", f"确定把 {name} 设为户主吗？\n原户主的关系将"
                                "改为“其他”，请随后核对其他成员与新户主的关系。") != \
                QMessageBox.StandardButton.Yes:
            return
        try:
            self.clinic.set_head(self.household_id, resident_id)
        except ClinicError as exc:
            QMessageBox.warning(self, "不能设为户主", str(exc))
            return
        self.load(self.household_id)
        self.changed.emit("已更换户主")

    def _add(self) -> Any:
        assert self.household_id is not None
        dialog = AddMemberDialog(self.clinic, self.household_id, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.load(self.household_id)
            self.changed.emit("；".join(["已添加家庭成员", *dialog.warnings]))
        return dialog

    def _move_in(self) -> None:
        assert self.household_id is not None
        dialog = MoveInDialog(self.clinic, self.household_id, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.load(self.household_id)
            self.changed.emit("；".join(["已迁入本户", *dialog.warnings]))

    def _end(self) -> None:
        resident_id = self.selected_id()
        if resident_id is None or self.household_id is None:
            return
        dialog = EndResidenceDialog(self.clinic, resident_id, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.load(self.household_id)
            self.changed.emit("；".join(["已登记人员变动，记录保留", *dialog.warnings]))

