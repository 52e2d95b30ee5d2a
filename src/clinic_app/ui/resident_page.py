"""The resident page: identity and household, edit with on-the-spot checks, and the records."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic, ResidentDetail
from clinic_app.domain import codes, ids, validate
from clinic_app.domain.models import yuan
from clinic_app.errors import ClinicError, DuplicateResident, ValidationFailed
from clinic_app.ui.care_lists import install_resident_tabs  # 体检, 慢病小药箱 tabs (issue 6)
from clinic_app.ui.contracts_tab import install_contracts_tab  # 签约 tab (issue 5)
from clinic_app.ui.followup_form import FollowUpsPanel
from clinic_app.ui.forms.ui_resident_form import Ui_ResidentForm
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.print_actions import contact_card_button  # 打印联系卡 (issue 7)
from clinic_app.ui.trend_chart import TrendChart
from clinic_app.ui.widgets import ERROR_STYLE, OK_STYLE, TableOrNote

# combo objectName → (resident field, {code: label})
COMBOS = {
    "categoryCombo": ("poverty_category", codes.POVERTY_CATEGORIES),
    "povertyStatusCombo": ("poverty_status", codes.POVERTY_STATUS),
    "insuranceCombo": ("insurance", codes.INSURANCE_KINDS),
    "disabilityCombo": ("disability", codes.DISABILITY_KINDS),
    "batchCombo": ("treatment_batch", codes.TREATMENT_BATCHES),
}
EDITS = {
    "nameEdit": "name", "idEdit": "id_number", "phoneEdit": "phone",
    "ethnicityEdit": "ethnicity", "insuranceNoEdit": "insurance_no",
    "disabilityGradeEdit": "disability_grade", "notesEdit": "notes",
}


def _fill_combo(combo: QComboBox, table: dict[str, str]) -> None:
    combo.clear()
    if "" not in table:
        combo.addItem("（未填写）", "")
    for code, label in table.items():
        combo.addItem(label, code)


def _set_combo(combo: QComboBox, code: str) -> None:
    index = combo.findData(code or "")
    if index < 0:  # a code from data this version does not know: keep and show it
        combo.addItem(code, code)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


# Coded fields shown by label in the change history.
_CODED = {"poverty_category": codes.POVERTY_CATEGORIES, "poverty_status": codes.POVERTY_STATUS,
          "insurance": codes.INSURANCE_KINDS, "disability": codes.DISABILITY_KINDS,
          "treatment_batch": codes.TREATMENT_BATCHES, "status": codes.RESIDENT_STATUS}


def _shown(field: str, value: Any) -> str:
    if value is None or value == "":
        return "空"
    if field in _CODED:
        return codes.label(_CODED[field], str(value))
    return str(value)


def _birth_problem(text: str, today: dt.date) -> str | None:
    try:
        birth = validate.parse_date(text)
    except ValueError as exc:
        return f"出生{exc}"
    if birth is not None and not dt.date(1880, 1, 1) <= birth <= today:
        return "出生日期不合理"
    return None


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class ResidentPage(QWidget):
    back = Signal()
    open_household = Signal(str)
    open_resident = Signal(str)
    saved = Signal(str, list)  # resident id, warnings

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.resident_id: str | None = None
        self.detail: ResidentDetail | None = None
        self._loading = False

        self.title = QLabel()
        self.title.setObjectName("residentTitle")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 5)
        font.setBold(True)
        self.title.setFont(font)
        self.back_button = QPushButton("← 返回(&B)")
        self.household_button = QPushButton("查看本户(&H)")
        self.back_button.clicked.connect(self.back)
        self.household_button.clicked.connect(self._open_household)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addWidget(self.title, 1)
        top.addWidget(self.household_button)

        self.form_box = QGroupBox("基本信息")
        self.form = Ui_ResidentForm()
        self.form_widget = QWidget()
        self.form.setupUi(self.form_widget)
        # In a scroll area so the page still fits a 1366×768 screen at 125% scaling.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Wrapped labels ask for a wide minimum; let them take the width there is instead.
        for label in (self.form.idInfo, self.form.errorLabel):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        scroll.setWidget(self.form_widget)
        box_layout = QVBoxLayout(self.form_box)
        box_layout.addWidget(scroll, 1)
        # The buttons and messages stay in sight below the scrolling fields (125% scaling).
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.form.revertButton)
        buttons.addWidget(self.form.saveButton)
        box_layout.addWidget(self.form.errorLabel)
        box_layout.addLayout(buttons)
        self.restore_button = QPushButton("恢复在册(&R)…")
        self.restore_button.clicked.connect(self._restore)
        for name, (_, table) in COMBOS.items():
            _fill_combo(getattr(self.form, name), table)
        _fill_combo(self.form.sexCombo, {s: s for s in codes.SEXES})
        self.form.sexCombo.currentIndexChanged.connect(self._changed)
        self.form.birthEdit.textChanged.connect(self._changed)
        self.form.birthEdit.returnPressed.connect(self.save)
        self.form.errorLabel.linkActivated.connect(self._link)
        self.form.saveButton.clicked.connect(self.save)
        self.form.revertButton.clicked.connect(self.revert)
        for name in EDITS:
            getattr(self.form, name).textChanged.connect(self._changed)
            if name != "nameEdit":  # Enter in 姓名 must not save a search typed by mistake
                getattr(self.form, name).returnPressed.connect(self.save)
        for name in COMBOS:
            getattr(self.form, name).currentIndexChanged.connect(self._changed)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

        self.household_label = QLabel()
        self.household_label.setObjectName("householdSummary")
        self.household_label.setWordWrap(True)
        self.tabs = QTabWidget()
        self.sections: dict[str, TableOrNote] = {}
        for key, title, columns, empty in self._section_specs():
            section = TableOrNote(RowsModel(columns, self), f"{key}Table", empty)
            self.sections[key] = section
            self.tabs.addTab(section, title)
        self.chart = TrendChart()
        self.tabs.insertTab(2, self.chart, "血压血糖趋势")
        install_contracts_tab(self)  # 签约: actions and 履约 (ui/contracts_tab.py)
        # 随访 (issue 5): every visit with record / correct / withdraw, after the trend chart.
        self.follow_ups_panel = FollowUpsPanel(clinic)
        self.follow_ups_panel.changed.connect(self._reload)
        self.chart.visit_clicked.connect(self.show_visit)
        self.tabs.insertTab(3, self.follow_ups_panel, "随访")
        self.visit_button = QPushButton("记录随访 Ctrl+N")
        self.visit_button.setObjectName("recordVisit")
        self.visit_button.clicked.connect(self.record_visit)
        visit_key = QShortcut(QKeySequence("Ctrl+N"), self, activated=self.record_visit)
        visit_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.household_label)
        right_layout.addWidget(self.tabs, 1)
        install_resident_tabs(self)  # 体检 and 慢病小药箱 tabs: ui/care_lists.py (issue 6)

        splitter = QSplitter()
        splitter.addWidget(self.form_box)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([470, 760])
        top.insertWidget(2, self.restore_button)  # shown only for moved/deceased people
        top.insertWidget(3, self.visit_button)
        top.insertWidget(4, contact_card_button(self))  # 打印联系卡 (issue 7)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ sections
    def _section_specs(self) -> list[tuple[str, str, list[Column], str]]:
        def doctor(key: str) -> Any:
            return lambda r: self.detail.doctor_names.get(r[key] or "", "") if self.detail else ""

        return [
            ("conditions", "慢病与诊断", [
                Column("病种", lambda r: r["label"]),
                Column("诊断日期", lambda r: r["diagnosed_on"]),
                Column("状态", lambda r: r["status"]),
            ], "没有登记慢病或大病。"),
            ("contracts", "签约", [
                Column("服务包", lambda r: r["package"]),
                Column("开始", lambda r: r["start_on"]),
                Column("到期", lambda r: r["end_on"]),
                Column("状态", lambda r: r["status"]),
                Column("签约医生", doctor("doctor_id")),
                Column("协议号", lambda r: r["agreement_no"]),
            ], "尚未签约家庭医生。"),
            ("checkups", "体检", [
                Column("日期", lambda r: r["checkup_date"]),
                Column("血压", lambda r: r["bp"]),
                Column("评价", lambda r: r["evaluation"]),
                Column("医生", doctor("doctor_id")),
            ], "还没有健康体检记录。"),
            ("deliveries", "药品发放", [
                Column("日期", lambda r: r["delivered_on"]),
                Column("药品", lambda r: r["medicine"]),
                Column("数量", lambda r: r["quantity"], align_right=True),
                Column("金额(元)", lambda r: r["total"], align_right=True),
                Column("免费药品基金", lambda r: r["free"], align_right=True),
                Column("票据号", lambda r: r["receipt_no"]),
                Column("送药人", doctor("delivered_by")),
            ], "没有药品代购或送药记录。"),
            ("history", "修改记录", [
                Column("时间", lambda r: r["at"]),
                Column("操作人", lambda r: r["user"]),
                Column("操作", lambda r: r["op"]),
                Column("内容", lambda r: r["fields"]),
            ], "没有修改记录。"),
        ]

    # ------------------------------------------------------------------ loading
    def load(self, resident_id: str) -> None:
        self.resident_id = resident_id
        self.detail = detail = self.clinic.resident_detail(resident_id)
        person = detail.resident
        age = person.age(self.clinic.today())
        status = "" if person.status == "active" else f"（{person.status_label}）"
        age_text = f"{age}岁" if age is not None else "年龄未知"
        self.title.setText(f"{person.name}　{person.sex or '性别未填'}　{age_text}"
                           f"　{person.masked_id or '无身份证号'}{status}")
        self._fill_form()
        if detail.household:
            hh = detail.household
            village = detail.village.name if detail.village else ""
            self.household_label.setText(
                f"户编号 {hh.household_no or '（无）'}　{village} {hh.group_name}　"
                f"户主：{detail.head_name or '（未指定）'}　与户主关系：{person.relation or '未填'}"
                f"　签约：{codes.label(codes.CONTRACT_STATUS, detail.contract_status)}")
        else:
            self.household_label.setText("尚未归入任何户。")
        self.household_button.setEnabled(detail.household is not None)
        self.restore_button.setVisible(person.status != "active")
        self._fill_sections()
        self.contracts_tab.load(detail)  # 签约 tab (issue 5)
        self._fill_chart()
        self.care_tabs.load(resident_id)  # 体检, 慢病小药箱 (issue 6)

    def _fill_form(self) -> None:
        assert self.detail is not None
        person = self.detail.resident
        self._loading = True
        try:
            for name, field in EDITS.items():
                getattr(self.form, name).setText(getattr(person, field) or "")
            for name, (field, _) in COMBOS.items():
                _set_combo(getattr(self.form, name), getattr(person, field))
            _set_combo(self.form.sexCombo, person.sex)
            self.form.birthEdit.setText(_date(person.birth_date))
        finally:
            self._loading = False
        self.form.errorLabel.clear()
        self._changed()

    def _fill_chart(self) -> None:
        assert self.detail is not None and self.resident_id is not None
        profile, today = self.clinic.profile, self.clinic.today()
        age = self.detail.resident.age(today)
        sbp_limit = profile.value("bp.controlled_sbp", today)
        if age is not None and age >= profile.value("bp.elderly_age", today):
            sbp_limit = profile.value("bp.elderly_controlled_sbp", today)
        self.chart.set_series(self.clinic.follow_up_series(self.resident_id), sbp_limit,
                              profile.value("bp.controlled_dbp", today),
                              profile.value("glucose.controlled_fasting", today))

    def _fill_sections(self) -> None:
        detail = self.detail
        assert detail is not None
        today = self.clinic.today()
        expiring = self.clinic.profile.value("contract.expiring_soon_days", default=30)
        packages = {p.code: p.name for p in self.clinic.profile.packages()}
        self.sections["conditions"].model.set_rows([
            {"label": c.label, "diagnosed_on": _date(c.diagnosed_on),
             "status": codes.label(codes.CONDITION_STATUS, c.status)} for c in detail.conditions])
        self.sections["contracts"].model.set_rows([
            {"id": c.id, "package": packages.get(c.package_code, c.package_code),
             "start_on": _date(c.start_on), "end_on": _date(c.end_on),
             "status": codes.label(codes.CONTRACT_STATUS, c.status(today, expiring)),
             "doctor_id": c.doctor_id, "agreement_no": c.agreement_no}
            for c in reversed(detail.contracts)])
        assert self.resident_id is not None
        self.follow_ups_panel.load(self.resident_id, detail.doctor_names)
        self.visit_button.setEnabled(self.follow_ups_panel.add_button.isEnabled())
        self.visit_button.setToolTip(self.follow_ups_panel.add_button.toolTip())
        self.sections["checkups"].model.set_rows([
            {"checkup_date": _date(c.checkup_date),
             "bp": f"{c.sbp}/{c.dbp}" if c.sbp and c.dbp else "",
             "evaluation": {"normal": "未见异常", "abnormal": "有异常"}.get(c.evaluation,
                                                                           c.evaluation),
             "doctor_id": c.doctor_id} for c in detail.checkups])
        self.sections["deliveries"].model.set_rows([
            {"delivered_on": _date(d.delivered_on), "medicine": d.medicine,
             "quantity": f"{d.quantity}{d.unit}", "total": yuan(d.total_fen),
             "free": yuan(d.free_fund_fen), "receipt_no": d.receipt_no,
             "delivered_by": d.delivered_by} for d in detail.deliveries])
        history = []
        assert self.resident_id is not None
        for entry in reversed(self.clinic.history("residents", self.resident_id)):
            fields = entry["fields"] or {}
            text = "；".join(f"{codes.FIELD_LABELS.get(k, k)}: {_shown(k, v.get('old'))} → "
                            f"{_shown(k, v.get('new'))}"
                            for k, v in fields.items()
                            if isinstance(v, dict) and k not in ("name_pinyin", "name_initials"))
            at = dt.datetime.fromisoformat(entry["at"]).astimezone()  # stored UTC, shown local
            history.append({"at": f"{at:%Y-%m-%d %H:%M}", "user": entry["user"],
                            "op": {"insert": "建档", "update": "修改", "delete": "删除"}.get(
                                entry["op"], entry["op"]), "fields": text})
        self.sections["history"].model.set_rows(history)

    # ------------------------------------------------------------------ editing
    def changes(self) -> dict[str, Any]:
        """Fields the user changed, as the core expects them."""
        if self.detail is None:
            return {}
        person = self.detail.resident
        out: dict[str, Any] = {}
        for name, field in EDITS.items():
            text = getattr(self.form, name).text().strip()
            current = getattr(person, field) or ""
            if field == "id_number":
                if ids.normalise(text) != current:
                    out[field] = text
            elif text != current:
                out[field] = text
        for name, (field, _) in COMBOS.items():
            code = getattr(self.form, name).currentData() or ""
            if code != (getattr(person, field) or ""):
                out[field] = code
        if not self.form.idEdit.text().strip():  # without an ID, sex and birth are typed
            sex = self.form.sexCombo.currentData() or ""
            if sex != (person.sex or ""):
                out["sex"] = sex
            birth = self.form.birthEdit.text().strip()
            try:
                same = validate.parse_date(birth) == person.birth_date
            except ValueError:
                same = False
            if not same:
                out["birth_date"] = birth or None
        return out

    def _changed(self) -> None:
        if self._loading:
            return
        self._check_id()
        phone_problem = validate.phone_problem(self.form.phoneEdit.text())
        name_problem = validate.name_problem(validate.clean_name(self.form.nameEdit.text()))
        birth_problem = _birth_problem(self.form.birthEdit.text(), self.clinic.today()) \
            if self.form.birthEdit.isEnabled() else None
        problems = [p for p in (name_problem, phone_problem, birth_problem) if p]
        dirty = bool(self.changes())
        self.form.saveButton.setEnabled(dirty)
        self.form.revertButton.setEnabled(dirty)
        if problems:
            self._error("；".join(problems))
        else:
            self.form.errorLabel.clear()

    def _check_id(self) -> None:
        text = self.form.idEdit.text()
        typed = not text.strip()
        # With an ID, sex and birth date come from it; without one they are typed here.
        self.form.sexCombo.setEnabled(typed)
        self.form.birthEdit.setEnabled(typed)
        if typed:
            self.form.idInfo.setText("未填写身份证号：请在下面填写性别和出生日期")
            self.form.idInfo.setStyleSheet("")
            return
        try:
            parsed = ids.parse(text, today=self.clinic.today())
        except ids.IdNumberError as exc:
            self.form.idInfo.setText(f"✗ {exc}")
            self.form.idInfo.setStyleSheet(ERROR_STYLE)
            return
        age = ids.age_on(parsed.birth_date, self.clinic.today())
        self.form.birthEdit.setText(f"{parsed.birth_date:%Y-%m-%d}")
        _set_combo(self.form.sexCombo, parsed.sex)
        note = f"　（{'；'.join(parsed.warnings)}）" if parsed.warnings else ""
        self.form.idInfo.setText(f"✓ 出生日期 {parsed.birth_date:%Y-%m-%d}　{parsed.sex}　"
                                 f"{age}岁{note}")
        self.form.idInfo.setStyleSheet(OK_STYLE)

    def _error(self, text: str) -> None:
        self.form.errorLabel.setText(text)
        self.form.errorLabel.setStyleSheet(ERROR_STYLE)

    def save(self) -> bool:
        if self.resident_id is None:
            return False
        changes = self.changes()
        if not changes:
            return True
        try:
            saved = self.clinic.update_resident(self.resident_id, **changes)
        except DuplicateResident as exc:
            self._error(f"{html.escape(str(exc))}　<a href=\"resident:{exc.existing_id}\">"
                        f"打开 {html.escape(exc.name)} 的档案</a>")
            return False
        except ValidationFailed as exc:
            self._error(html.escape(str(exc)))
            return False
        except ClinicError as exc:
            self._error(html.escape(str(exc)))
            return False
        self.load(self.resident_id)
        self.saved.emit(self.resident_id, saved.warnings)
        return True

    def revert(self) -> None:
        if self.detail is not None:
            self._fill_form()

    def _restore(self) -> None:
        """Undo a mistaken 迁出/死亡 (the correction is kept in the history)."""
        if self.resident_id is None:
            return
        reason, ok = QInputDialog.getText(self, "恢复在册", "恢复的原因（如：误登记死亡）：")
        if not ok:
            return
        try:
            self.clinic.restore_residence(self.resident_id, reason)
        except ClinicError as exc:
            QMessageBox.warning(self, "不能恢复", str(exc))
            return
        self.load(self.resident_id)
        self.saved.emit(self.resident_id, ["已恢复在册"])

    def record_visit(self) -> None:
        """记录随访: open the form on the 随访 tab, so the saved visit shows at once."""
        if not self.visit_button.isEnabled():
            return
        self.tabs.setCurrentWidget(self.follow_ups_panel)
        self.follow_ups_panel.add()

    def show_visit(self, visit_id: str) -> None:
        """A dot on the trend chart: that visit, selected in the 随访 tab."""
        self.tabs.setCurrentWidget(self.follow_ups_panel)
        self.follow_ups_panel.select(visit_id)

    def _reload(self) -> None:
        if self.resident_id is not None:
            self.load(self.resident_id)
            self.saved.emit(self.resident_id, [])

    def _link(self, href: str) -> None:
        if href.startswith("resident:"):
            self.open_resident.emit(href.split(":", 1)[1])

    def _open_household(self) -> None:
        if self.detail and self.detail.household:
            self.open_household.emit(self.detail.household.id)
