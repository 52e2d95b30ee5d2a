"""家庭医生签约 dialogs: sign (one person or a whole household), renew, end, record a service,
and add / edit a team or a doctor.

Every dialog is keyboard-first: fields in Tab order, dates typed as digits (20261123 works),
Enter presses the main button, Esc cancels. Defaults come from the policy profile and the
person's last contract; each change is checked on the spot and the main button stays off,
with the reason in red, until the values can be saved. No SQL here: all through ``Clinic``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes, validate
from clinic_app.domain.fulfilment import FROM_OWN_FORMS, SERVICE_NAMES
from clinic_app.domain.models import Contract
from clinic_app.errors import ClinicError
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import ERROR_STYLE, table_view

Index = QModelIndex | QPersistentModelIndex

# How a recorded service was delivered (service_records.method).
SERVICE_METHODS = {"clinic": "门诊", "home": "入户", "phone": "电话",
                   "group": "集体活动（讲座、义诊）"}

# Choosing the package for a whole household: by each member's conditions, or one for all.
BY_CONDITION = "__by_condition__"


def _buttons(ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                           QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    return box


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    return label


def _date_edit(name: str, value: dt.date | None) -> QLineEdit:
    edit = QLineEdit(value.isoformat() if value else "")
    edit.setObjectName(name)
    edit.setPlaceholderText("如 2026-11-23 或 20261123")
    edit.setMaxLength(12)
    return edit


def _typed_date(edit: QLineEdit, what: str) -> tuple[dt.date | None, str | None]:
    """(date, problem) of a typed date field."""
    try:
        value = validate.parse_date(edit.text())
    except ValueError as exc:
        return None, f"{what}：{exc}"
    if value is None:
        return None, f"请填写{what}"
    return value, None


def _set_data(combo: QComboBox, data: Any) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)


def services_text(services: list[dict[str, Any]] | tuple[Any, ...], per_line: int = 0) -> str:
    """健康体检1次/年、慢病随访（按病种）、健康咨询（按需）…; with per_line, broken into
    lines of that many services (labels that wrap by themselves get clipped in dialogs)."""
    parts = []
    for s in services:
        code = s["code"] if isinstance(s, dict) else s.code
        name = s["name"] if isinstance(s, dict) else s.name
        times = s["times"] if isinstance(s, dict) else s.times
        if code == "follow_up" and times:
            parts.append(f"{name}（按病种）")
        else:
            parts.append(f"{name}{times}次/年" if times else f"{name}（按需）")
    if not per_line:
        return "、".join(parts)
    return "\n".join("、".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line))


class _FormDialog(QDialog):
    """Fields over an error line and OK/取消, as every dialog here is: OK is enabled only while
    the fields have no problem, and a refusal from the core shows in the same line, with what
    was typed kept (the doctor corrects it, nothing is lost)."""

    error: QLabel
    ok: QPushButton
    buttons: QDialogButtonBox

    def _assemble(self, form: QFormLayout, ok_text: str, error_name: str, *,
                  above: Sequence[QWidget | tuple[QWidget, int]] = (),
                  below: Sequence[QWidget] = ()) -> None:
        self.error = _error_label(error_name)
        self.buttons = _buttons(ok_text)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for item in above:
            widget, stretch = item if isinstance(item, tuple) else (item, 0)
            layout.addWidget(widget, stretch)
        layout.addLayout(form)
        for widget in (*below, self.error, self.buttons):
            layout.addWidget(widget)

    def _show_problems(self, problems: Sequence[str]) -> None:
        self.error.setText("；".join(problems))
        self.ok.setEnabled(not problems)

    def _attempt(self, write: Callable[[], object]) -> None:
        """Run the core write; close on success, else say why and stay open."""
        try:
            write()
        except ClinicError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def save(self) -> None:
        raise NotImplementedError


class _AssignmentFields:
    """Team and doctor combos; the doctor list follows the team chosen."""

    def __init__(self, clinic: Clinic, team_id: str | None, doctor_id: str | None) -> None:
        self.clinic = clinic
        self.team = QComboBox()
        self.team.setObjectName("contractTeam")
        self.doctor = QComboBox()
        self.doctor.setObjectName("contractDoctor")
        self._doctors = clinic.doctor_list(include_inactive=False)
        self.team.addItem("（所有团队）", None)
        for team in clinic.team_list(include_inactive=False):
            self.team.addItem(team["name"], team["id"])
        if team_id:
            _set_data(self.team, team_id)
        elif doctor_id:
            _set_data(self.team, next((d["team_id"] for d in self._doctors
                                       if d["id"] == doctor_id), None))
        self._fill_doctors(doctor_id)
        self.team.currentIndexChanged.connect(lambda _: self._fill_doctors(
            self.doctor.currentData()))

    def _fill_doctors(self, keep: str | None) -> None:
        team_id = self.team.currentData()
        self.doctor.blockSignals(True)
        self.doctor.clear()
        self.doctor.addItem("请选择签约医生", None)
        for doc in self._doctors:
            if team_id is None or doc["team_id"] in (team_id, None):
                role = codes.label(codes.DOCTOR_ROLES, doc["role"])
                team = f" · {doc['team']}" if doc["team"] and team_id is None else ""
                self.doctor.addItem(f"{doc['name']}（{role}）{team}", doc["id"])
        self.doctor.blockSignals(False)
        if keep:
            _set_data(self.doctor, keep)
        elif self.doctor.count() == 2:  # one doctor in the team: that is the choice
            self.doctor.setCurrentIndex(1)
        self.doctor.currentIndexChanged.emit(self.doctor.currentIndex())

    def problem(self) -> str | None:
        if not self._doctors:
            return "还没有登记医生：请先在“签约 → 团队与医生”中添加"
        if self.doctor.currentData() is None:
            return "请选择签约医生"
        return None


class SignDialog(_FormDialog):
    """签约 one resident, or 续约 (renew) a contract: the new term starts the day after."""

    def __init__(self, clinic: Clinic, resident_id: str, *, renew: Contract | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id = resident_id
        self.renew = renew
        self.saved_id: str | None = None
        person = clinic.resident(resident_id)
        today = clinic.today()
        self.setWindowTitle(f"{'续约' if renew else '签约'}：{person.name}")
        who = QLabel(f"{person.name}　{person.sex}　{person.masked_id or '无身份证号'}　"
                     + "、".join(c.label for c in clinic.conditions(resident_id)
                                if c.status == "active"))
        who.setObjectName("signWho")
        font = who.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        who.setFont(font)

        if renew is not None:
            start = clinic.renewal_start(renew)
            team_id, doctor_id = renew.team_id, renew.doctor_id
        else:
            start = today
            defaults = clinic.contract_defaults(resident_id)
            team_id, doctor_id = defaults["team_id"], defaults["doctor_id"]
        self.assignment = _AssignmentFields(clinic, team_id, doctor_id)
        self.package = QComboBox()
        self.package.setObjectName("contractPackage")
        self.package_info = QLabel()
        self.package_info.setObjectName("packageInfo")
        self.package_info.setToolTip("慢病随访的次数按此人的病种，取自政策配置（如高血压每年4次，"
                                     "中卫市每年6次）")
        self.start = _date_edit("contractStart", start)
        if renew is not None:  # a renewal continues the old term: its start is fixed
            self.start.setReadOnly(True)
            self.start.setToolTip("续约从原签约到期的次日开始")
        self.term_info = QLabel()
        self.term_info.setObjectName("termInfo")
        self.agreement = QLineEdit()
        self.agreement.setObjectName("contractAgreementNo")
        self.agreement.setPlaceholderText("纸质协议书上的编号（可不填）")
        self._fill_packages(start, renew.package_code if renew else
                            clinic.default_package(resident_id, start))

        form = QFormLayout()
        form.addRow("团队(&T)", self.assignment.team)
        form.addRow("签约医生(&D)", self.assignment.doctor)
        form.addRow("服务包(&P)", self.package)
        form.addRow("", self.package_info)
        form.addRow("开始日期(&S)", self.start)
        form.addRow("", self.term_info)
        form.addRow("协议书编号(&N)", self.agreement)
        self._assemble(form, "续约" if renew else "签约", "signError", above=[who])
        for signal in (self.assignment.doctor.currentIndexChanged,
                       self.package.currentIndexChanged, self.start.textChanged,
                       self.agreement.textChanged):
            signal.connect(self._check)
        self.start.textChanged.connect(self._start_changed)
        self._check()
        self.resize(560, 0)
        (self.assignment.doctor if self.assignment.doctor.currentData() is None
         else self.start if renew is None else self.agreement).setFocus()

    def _fill_packages(self, on: dt.date, choose: str | None) -> None:
        current = choose or self.package.currentData()
        self.package.blockSignals(True)
        self.package.clear()
        for package in self.clinic.profile.packages(on):
            self.package.addItem(package.name, package.code)
            self.package.setItemData(self.package.count() - 1, services_text(package.services),
                                     Qt.ItemDataRole.ToolTipRole)
        self.package.blockSignals(False)
        _set_data(self.package, current)

    def _start_changed(self) -> None:
        start, problem = _typed_date(self.start, "开始日期")
        if problem is None and start is not None:
            self._fill_packages(start, None)

    def values(self) -> tuple[dt.date | None, list[str]]:
        """(start date, problems) as the fields stand."""
        problems = []
        start, problem = _typed_date(self.start, "开始日期")
        if problem:
            problems.append(problem)
        if (problem := self.assignment.problem()) is not None:
            problems.append(problem)
        if self.package.currentData() is None:
            problems.append("当前政策配置没有可选的服务包")
        if start is not None and \
                (problem := self.clinic.signing_problem(self.resident_id, start)) is not None:
            problems.append(problem)
        if (problem := self.clinic.agreement_problem(self.agreement.text(),
                                                     [self.resident_id])) is not None:
            problems.append(problem)
        return start, problems

    def _check(self) -> None:
        start, problems = self.values()
        package = self.clinic.profile.package(self.package.currentData() or "", start)
        self.package_info.setText(services_text(package.services, 3) if package else "")
        if start is not None:
            months = self.clinic.profile.rule("contract.term_months", start)
            renewal = ""
            if self.renew is not None:
                lapsed = start != self.renew.end_on + dt.timedelta(days=1)
                renewal = "；原签约已到期，续约自今天起" if lapsed else "；续约自原签约到期次日起"
            self.term_info.setText(f"到期日 {self.clinic.contract_end_on(start)}"
                                   f"（签约周期 {months.value if months else '?'} 个月"
                                   f"{renewal}）")
            self.term_info.setToolTip(f"依据：{months.cite}" if months else "")
        else:
            self.term_info.setText("")
        self._show_problems(problems)

    def save(self) -> None:
        start, problems = self.values()
        if problems or start is None:
            self._check()
            return
        who = {"team_id": self.assignment.team.currentData(),
               "doctor_id": self.assignment.doctor.currentData(),
               "package_code": self.package.currentData(),
               "agreement_no": self.agreement.text()}

        def write() -> None:
            if self.renew is not None:
                self.saved_id = self.clinic.renew_contract(self.renew.id, **who)
            else:
                self.saved_id = self.clinic.sign_contract(self.resident_id, start_on=start,
                                                          **who)
        self._attempt(write)


class MembersModel(RowsModel):
    """Household members with a check box in the first column (who will be signed)."""

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
            if not self.row_data(index.row())["eligible"]:
                flags &= ~Qt.ItemFlag.ItemIsEnabled
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole and index.isValid() and index.column() == 0:
            row = self.row_data(index.row())
            return Qt.CheckState.Checked if row["checked"] else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or \
                index.column() != 0:
            return False
        row = self.row_data(index.row())
        if not row["eligible"]:
            return False
        row["checked"] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def toggle(self, row: int) -> None:
        index = self.index(row, 0)
        checked = self.row_data(row)["checked"]
        self.setData(index, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                     Qt.ItemDataRole.CheckStateRole)


class HouseholdSignDialog(_FormDialog):
    """全户签约: every member who can sign, in one transaction, on one paper agreement."""

    def __init__(self, clinic: Clinic, household_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.household_id = household_id
        self.saved_ids: list[str] = []
        household = clinic.household(household_id)
        members = clinic.members(household_id)
        head = next((m for m in members if m.id == household.head_id), None)
        self.setWindowTitle(f"全户签约：{head.name if head else ''}户 "
                            f"{household.household_no}".strip())
        packages = {p.code: p.name for p in clinic.profile.packages(clinic.today())}
        self._package_names = packages
        self.model = MembersModel([
            Column("签约", lambda r: ""),
            Column("姓名", lambda r: r["name"]),
            Column("与户主关系", lambda r: r["relation"]),
            Column("服务包", lambda r: packages.get(r["package_code"], r["package_code"])
                   if r["eligible"] else ""),
            Column("说明", lambda r: r["reason"] or "可以签约", tooltip=lambda r: r["reason"]),
        ], self)
        header = QLabel(f"户主：{head.name if head else '（未指定）'}　"
                        f"户编号 {household.household_no or '（无）'}　"
                        f"在册 {sum(1 for m in members if m.status == 'active')} 人")
        header.setObjectName("householdSignHeader")
        font = header.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        header.setFont(font)
        self.table = table_view(self.model, "householdMembers", sortable=False)
        self.table.setMinimumHeight(170)
        self.table.activated.connect(lambda index: self.model.toggle(index.row()))
        hint = QLabel("空格或回车勾选/取消；不能签约的人说明了原因。")
        defaults = clinic.contract_defaults(head.id if head else members[0].id) if members \
            else {"team_id": None, "doctor_id": None}
        self.assignment = _AssignmentFields(clinic, defaults["team_id"], defaults["doctor_id"])
        self.package = QComboBox()
        self.package.setObjectName("householdPackage")
        self.package.addItem("按病情（慢病患者用慢病服务包，其他人用基础包）", BY_CONDITION)
        for code, name in packages.items():
            self.package.addItem(f"全部用：{name}", code)
        self.start = _date_edit("householdStart", clinic.today())
        self.term_info = QLabel()
        self.term_info.setObjectName("householdTerm")
        self.agreement = QLineEdit()
        self.agreement.setObjectName("householdAgreementNo")
        self.agreement.setPlaceholderText("全户一份纸质协议书的编号（可不填）")
        form = QFormLayout()
        form.addRow("团队(&T)", self.assignment.team)
        form.addRow("签约医生(&D)", self.assignment.doctor)
        form.addRow("服务包(&P)", self.package)
        form.addRow("开始日期(&S)", self.start)
        form.addRow("", self.term_info)
        form.addRow("协议书编号(&N)", self.agreement)
        self._assemble(form, "全户签约", "householdError",
                       above=[header, (self.table, 1), hint])
        # Enter in the member list ticks a box; it must neither sign nor cancel. Enter in a
        # field below signs (as in the other dialogs).
        for button in self.buttons.buttons():
            button.setAutoDefault(False)
            button.setDefault(False)
        for edit in (self.start, self.agreement):
            edit.returnPressed.connect(self.save)
        self._reload_members()
        for signal in (self.assignment.doctor.currentIndexChanged,
                       self.package.currentIndexChanged, self.agreement.textChanged):
            signal.connect(self._check)
        self.package.currentIndexChanged.connect(self._apply_package)
        self.start.textChanged.connect(self._reload_members)
        self.model.dataChanged.connect(lambda *_: self._check())
        self.resize(760, 520)  # fits a 1366×768 screen at 125% (582 logical px high)
        self.table.setFocus()
        if self.model.rowCount():
            self.table.selectRow(0)

    def keyPressEvent(self, event: Any) -> None:
        # The list emits `activated` for Enter and passes the key on: stop it here.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                self.focusWidget() is self.table:
            event.accept()
            return
        super().keyPressEvent(event)

    def _reload_members(self) -> None:
        start, problem = _typed_date(self.start, "开始日期")
        if problem is None and start is not None:
            rows = self.clinic.signing_candidates(self.household_id, start)
            for row in rows:
                row["checked"] = row["eligible"]
                row["default_package"] = row["package_code"]
            self.model.set_rows(rows)
            self._apply_package()
        self._check()

    def _apply_package(self) -> None:
        choice = self.package.currentData()
        for row in self.model.rows():
            row["package_code"] = row["default_package"] if choice == BY_CONDITION else choice
        if self.model.rowCount():
            self.model.dataChanged.emit(self.model.index(0, 3),
                                        self.model.index(self.model.rowCount() - 1, 3))

    def chosen(self) -> dict[str, str]:
        return {r["id"]: r["package_code"] for r in self.model.rows()
                if r["checked"] and r["eligible"]}

    def _problems(self) -> tuple[dt.date | None, list[str]]:
        problems = []
        start, problem = _typed_date(self.start, "开始日期")
        if problem:
            problems.append(problem)
        if (problem := self.assignment.problem()) is not None:
            problems.append(problem)
        chosen = self.chosen()
        if not chosen:
            problems.append("请至少勾选一位可以签约的成员")
        elif (problem := self.clinic.agreement_problem(self.agreement.text(),
                                                       list(chosen))) is not None:
            problems.append(problem)
        return start, problems

    def _check(self) -> None:
        start, problems = self._problems()
        if start is not None:
            self.term_info.setText(f"到期日 {self.clinic.contract_end_on(start)}；"
                                   f"将为 {len(self.chosen())} 人签约")
        self._show_problems(problems)

    def save(self) -> None:
        start, problems = self._problems()
        if problems or start is None:
            self._check()
            return
        def write() -> None:
            self.saved_ids = self.clinic.sign_household(
                self.household_id, self.chosen(), team_id=self.assignment.team.currentData(),
                doctor_id=self.assignment.doctor.currentData(), start_on=start,
                agreement_no=self.agreement.text())
        self._attempt(write)


class EndContractDialog(_FormDialog):
    """解约: why (death, moved, refused, other) and from which day; the record stays."""

    def __init__(self, clinic: Clinic, contract: Contract,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.contract = contract
        person = clinic.resident(contract.resident_id)
        self.setWindowTitle(f"解约：{person.name}")
        summary = QLabel(f"{person.name}　{contract.start_on} 至 {contract.end_on}　"
                         f"协议书编号 {contract.agreement_no or '无'}")
        summary.setObjectName("endSummary")
        summary.setWordWrap(True)
        self.reason = QComboBox()
        self.reason.setObjectName("endReason")
        for code in ("refused", "death", "moved", "other"):
            self.reason.addItem(codes.CONTRACT_END_REASONS[code], code)
        self.date = _date_edit("endDate", clinic.today())
        self.note = QLineEdit()
        self.note.setObjectName("endNote")
        self.note.setPlaceholderText("如：外出务工，本人不再接受服务")
        hint = QLabel("死亡或迁出请同时在户页面登记人员变动（登记时签约会自动解约）。"
                      "解约后履约记录保留，可随时查看。")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("解约原因(&R)", self.reason)
        form.addRow("解约日期(&D)", self.date)
        form.addRow("说明(&N)", self.note)
        self._assemble(form, "解约", "endError", above=[summary], below=[hint])
        for signal in (self.reason.currentIndexChanged, self.date.textChanged,
                       self.note.textChanged):
            signal.connect(self._check)
        self._check()
        self.resize(480, 0)
        self.reason.setFocus()

    def _problems(self) -> tuple[dt.date | None, list[str]]:
        problems = []
        on, problem = _typed_date(self.date, "解约日期")
        if problem:
            problems.append(problem)
        elif on is not None:
            earliest = min(d for d in (self.contract.start_on, self.contract.signed_on) if d)
            if on > self.clinic.today():
                problems.append("解约日期不能晚于今天")
            elif on < earliest:
                problems.append(f"解约日期不能早于签约日期 {earliest}")
        if self.reason.currentData() == "other" and not self.note.text().strip():
            problems.append("解约原因为“其他”时请写明原因")
        return on, problems

    def _check(self) -> None:
        self._show_problems(self._problems()[1])

    def save(self) -> None:
        on, problems = self._problems()
        if problems or on is None:
            self._check()
            return
        self._attempt(lambda: self.clinic.end_contract(
            self.contract.id, self.reason.currentData(), on, self.note.text()))


class ServiceDialog(_FormDialog):
    """登记服务: one health-education session, consultation, referral, delivery…"""

    def __init__(self, clinic: Clinic, resident_id: str, contract: Contract | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id = resident_id
        self.saved_id: str | None = None
        person = clinic.resident(resident_id)
        self.setWindowTitle(f"登记签约服务：{person.name}")
        offered = [s["code"] for s in contract.services] if contract else list(SERVICE_NAMES)
        self.service = QComboBox()
        self.service.setObjectName("serviceCode")
        for code in offered:
            if code in SERVICE_NAMES and code not in FROM_OWN_FORMS:
                self.service.addItem(SERVICE_NAMES[code], code)
        self.date = _date_edit("serviceDate", clinic.today())
        self.method = QComboBox()
        self.method.setObjectName("serviceMethod")
        for code, label in SERVICE_METHODS.items():
            self.method.addItem(label, code)
        self.doctor = QComboBox()
        self.doctor.setObjectName("serviceDoctor")
        self.doctor.addItem("（未填写）", None)
        for doc in clinic.doctor_list(include_inactive=False):
            self.doctor.addItem(doc["name"], doc["id"])
        if contract and contract.doctor_id:
            _set_data(self.doctor, contract.doctor_id)
        self.note = QLineEdit()
        self.note.setObjectName("serviceNote")
        self.note.setPlaceholderText("内容，如：高血压饮食讲座")
        hint = QLabel("随访和体检请填写各自的表，这里登记其余的签约服务。")
        hint.setWordWrap(True)
        self.contract = contract
        self.note_outside = QLabel()
        self.note_outside.setObjectName("serviceOutsideTerm")
        self.note_outside.setWordWrap(True)
        form = QFormLayout()
        form.addRow("服务项目(&V)", self.service)
        form.addRow("日期(&D)", self.date)
        form.addRow("方式(&M)", self.method)
        form.addRow("医生(&O)", self.doctor)
        form.addRow("内容(&N)", self.note)
        self._assemble(form, "登记", "serviceError", above=[hint], below=[self.note_outside])
        self.date.textChanged.connect(self._check)
        self._check()
        self.resize(460, 0)
        self.service.setFocus()

    def _problems(self) -> tuple[dt.date | None, list[str]]:
        on, problem = _typed_date(self.date, "服务日期")
        problems = [problem] if problem else []
        if on is not None and on > self.clinic.today():
            problems.append("服务日期不能晚于今天")
        if self.service.count() == 0:
            problems.append("这份签约没有需要在这里登记的服务")
        return on, problems

    def _check(self) -> None:
        on, problems = self._problems()
        contract = self.contract
        outside = on is not None and contract is not None and contract.start_on is not None \
            and contract.end_on is not None and not contract.start_on <= on <= contract.end_on
        # Allowed (it is still a service given), but it will not count for this contract.
        self.note_outside.setText(f"注意：该日期不在所选签约的服务期（{contract.start_on} 至 "
                                  f"{contract.end_on}）内，不计入这份签约的履约。"
                                  if outside and contract is not None else "")
        self.note_outside.setVisible(outside)
        self._show_problems(problems)

    def save(self) -> None:
        on, problems = self._problems()
        if problems or on is None:
            self._check()
            return
        def write() -> None:
            self.saved_id = self.clinic.record_service(
                self.resident_id, self.service.currentData(), on,
                doctor_id=self.doctor.currentData(), method=self.method.currentData(),
                note=self.note.text())
        self._attempt(write)


def _place_combo(clinic: Clinic, name: str, current: str | None) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.addItem("（未填写）", None)
    for kind in ("township", "village"):
        for place in clinic.places(kind):
            prefix = "" if kind == "village" else "乡镇："
            combo.addItem(f"{prefix}{place.name}", place.id)
    _set_data(combo, current)
    return combo


class TeamDialog(_FormDialog):
    """Add or edit a family-doctor team (name, phone, the clinic or village it serves)."""

    def __init__(self, clinic: Clinic, team_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.team_id = team_id
        team = clinic.team(team_id) if team_id else None
        self.setWindowTitle("编辑团队" if team else "添加团队")
        self.name = QLineEdit(team.name if team else "")
        self.name.setObjectName("teamName")
        self.name.setPlaceholderText("如：红星村家庭医生团队")
        self.phone = QLineEdit(team.phone if team else "")
        self.phone.setObjectName("teamPhone")
        self.place = _place_combo(clinic, "teamPlace", team.place_id if team else None)
        self.leader = QComboBox()
        self.leader.setObjectName("teamLeader")
        self.leader.addItem("（未指定）", None)
        if team_id:
            for doc in clinic.doctor_list(team_id=team_id):
                self.leader.addItem(doc["name"], doc["id"])
            _set_data(self.leader, team.leader_id if team else None)
        form = QFormLayout()
        form.addRow("团队名称(&N)", self.name)
        form.addRow("联系电话(&P)", self.phone)
        form.addRow("服务的村/卫生院(&C)", self.place)
        if team_id:
            form.addRow("团队长(&L)", self.leader)
        self._assemble(form, "保存", "teamError")
        self.name.textChanged.connect(self._check)
        self.phone.textChanged.connect(self._check)
        self._check()
        self.resize(440, 0)

    def _problems(self) -> list[str]:
        problems = []
        if not self.name.text().strip():
            problems.append("请填写团队名称")
        if (problem := validate.phone_problem(self.phone.text())) is not None:
            problems.append(problem)
        return problems

    def _check(self) -> None:
        self._show_problems(self._problems())

    def save(self) -> None:
        if self._problems():
            self._check()
            return
        values = {"name": self.name.text(), "phone": self.phone.text(),
                  "place_id": self.place.currentData()}
        def write() -> None:
            if self.team_id:
                self.clinic.update_team(self.team_id, leader_id=self.leader.currentData(),
                                        **values)
            else:
                self.team_id = self.clinic.add_team(values["name"], values["phone"],
                                                    values["place_id"])
        self._attempt(write)


class DoctorDialog(_FormDialog):
    """Add or edit a doctor: name, role, phone, team, clinic or village."""

    def __init__(self, clinic: Clinic, doctor_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.doctor_id = doctor_id
        doctor = clinic.doctor(doctor_id) if doctor_id else None
        self.setWindowTitle("编辑医生" if doctor else "添加医生")
        self.name = QLineEdit(doctor.name if doctor else "")
        self.name.setObjectName("doctorName")
        self.role = QComboBox()
        self.role.setObjectName("doctorRole")
        for code, label in codes.DOCTOR_ROLES.items():
            self.role.addItem(label, code)
        _set_data(self.role, doctor.role if doctor else "village_doctor")
        self.phone = QLineEdit(doctor.phone if doctor else "")
        self.phone.setObjectName("doctorPhone")
        self.team = QComboBox()
        self.team.setObjectName("doctorTeam")
        self.team.addItem("（不属于团队）", None)
        for team in clinic.team_list():
            state = "" if team["active"] else "（已停用）"
            self.team.addItem(team["name"] + state, team["id"])
        _set_data(self.team, doctor.team_id if doctor else None)
        self.place = _place_combo(clinic, "doctorPlace", doctor.place_id if doctor else None)
        form = QFormLayout()
        form.addRow("姓名(&N)", self.name)
        form.addRow("类别(&R)", self.role)
        form.addRow("手机(&P)", self.phone)
        form.addRow("所在团队(&T)", self.team)
        form.addRow("所在村/卫生院(&C)", self.place)
        self._assemble(form, "保存", "doctorError")
        self.name.textChanged.connect(self._check)
        self.phone.textChanged.connect(self._check)
        self._check()
        self.resize(440, 0)

    def _problems(self) -> list[str]:
        problems = []
        name = validate.clean_name(self.name.text())
        if (problem := validate.name_problem(name)) is not None:
            problems.append(problem)
        if (problem := validate.phone_problem(self.phone.text())) is not None:
            problems.append(problem)
        return problems

    def _check(self) -> None:
        self._show_problems(self._problems())

    def save(self) -> None:
        if self._problems():
            self._check()
            return
        values = {"name": self.name.text(), "role": self.role.currentData(),
                  "phone": self.phone.text(), "team_id": self.team.currentData(),
                  "place_id": self.place.currentData()}
        def write() -> None:
            if self.doctor_id:
                self.clinic.update_doctor(self.doctor_id, **values)
            else:
                self.doctor_id = self.clinic.add_doctor(values.pop("name"), **values)
        self._attempt(write)


class ServiceRecordsDialog(QDialog):
    """The services recorded for a resident (登记的签约服务), with withdrawing a mistake."""

    def __init__(self, clinic: Clinic, resident_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id = resident_id
        self.changed = False
        self.setWindowTitle(f"登记的签约服务：{clinic.resident(resident_id).name}")
        self.model = RowsModel([
            Column("日期", lambda r: r["service_on"]),
            Column("服务项目", lambda r: SERVICE_NAMES.get(r["service_code"],
                                                       r["service_code"])),
            Column("方式", lambda r: SERVICE_METHODS.get(r["method"], r["method"])),
            Column("医生", lambda r: r["doctor"]),
            Column("内容", lambda r: r["note"], tooltip=lambda r: r["note"]),
        ], self)
        self.table = table_view(self.model, "serviceRecords")
        self.reason = QLineEdit()
        self.reason.setObjectName("withdrawReason")
        self.reason.setPlaceholderText("删除原因（如：重复登记）")
        withdraw = QPushButton("删除所选(&X)")
        withdraw.clicked.connect(self.withdraw)
        self.error = _error_label("recordsError")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.reason, withdraw)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.refresh()
        self.resize(620, 360)

    def refresh(self) -> None:
        self.model.set_rows(self.clinic.service_records(self.resident_id))
        if self.model.rowCount():
            self.table.selectRow(0)

    def withdraw(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.error.setText("请先选中一条记录")
            return
        try:
            self.clinic.delete_service_record(self.model.row_data(rows[0].row())["id"],
                                              self.reason.text())
        except ClinicError as exc:
            self.error.setText(str(exc))
            return
        self.changed = True
        self.error.clear()
        self.reason.clear()
        self.refresh()
