"""The follow-up form by keyboard: a routine visit, an override, an emergency, a correction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factories import FIXED_TODAY, Village, make_household
from helpers import show_window, type_text
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit

from clinic_app.clinic import Clinic
from clinic_app.ui.followup_form import FollowUpDialog
from clinic_app.ui.main_window import MainWindow


@pytest.fixture
def patient(clinic: Clinic, village: Village) -> dict[str, str]:
    family = make_household(clinic, village.village_id, "6405220010001", head="张三")
    clinic.add_condition(family.head_id, "hypertension", dt.date(2018, 6, 1))
    team = clinic.add_team("红星村家庭医生团队", "13800000000", village.village_id)
    doctor = clinic.add_doctor("王建国", phone="13700000001", team_id=team)
    clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                         package_code="chronic", start_on=dt.date(2026, 3, 1))
    clinic.record_follow_up(family.head_id, "hypertension", {
        "visit_date": "2026-08-24", "sbp": "138", "dbp": "86", "weight_kg": "66",
        "heart_rate": "75", "height_cm": "168", "doctor_id": doctor,
        "medicines": "硝苯地平缓释片 每日2次 每次10mg", "salt": "medium", "salt_target": "light"})
    return {"resident": family.head_id, "doctor": doctor}


class Keyboard:
    """Counts the keys pressed, apart from the characters of the values typed."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot
        self.extra: list[str] = []
        self.typed = 0

    def press(self, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier, name: str = "",
              target=None) -> None:
        self.extra.append(name or Qt.Key(key).name)
        self.qtbot.keyClick(target or QApplication.focusWidget(), key, modifier)

    def type(self, text: str) -> None:
        self.typed += len(text)
        self.qtbot.keyClicks(QApplication.focusWidget(), text)


def when_modal(action) -> None:
    """Run `action` once the modal dialog about to open is on screen (exec() blocks)."""
    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, FollowUpDialog) and dialog.isActiveWindow():
            try:
                action()
            finally:  # whatever the action did, never leave a modal dialog hanging the run
                if dialog.isVisible():
                    dialog.done(QDialog.DialogCode.Rejected)  # not reject(): it may ask
        else:
            if isinstance(dialog, FollowUpDialog):
                dialog.activateWindow()  # a window manager does this; offscreen has none
            QTimer.singleShot(10, poll)
    QTimer.singleShot(0, poll)


def test_routine_hypertension_visit_by_keyboard_alone(app, qtbot, clinic: Clinic, patient,
                                                       screenshot_dir: Path) -> None:
    window: MainWindow = show_window(qtbot, clinic)
    window.activateWindow()  # keyboard shortcuts need the active window
    qtbot.waitUntil(window.isActiveWindow)
    window.open_resident(patient["resident"])
    page = window.resident_page
    keys = Keyboard(qtbot)
    seen: dict[str, object] = {}

    def fill_the_form() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, FollowUpDialog)
        seen["focus"] = QApplication.focusWidget().objectName()
        for i, value in enumerate(("132", "84", "65", "72")):
            if i:
                keys.press(Qt.Key.Key_Tab)
            keys.type(value)
        seen["proposal"] = dialog.proposal_label.text()
        seen["bmi"] = dialog.bmi_label.text()
        dialog.grab().save(str(screenshot_dir / "followup-hypertension.png"))
        keys.press(Qt.Key.Key_Return)
        if dialog.isVisible():  # not saved: don't hang the run on a modal dialog
            seen["stuck"] = dialog.problem_label.text() or dialog.proposal_label.text()

    when_modal(fill_the_form)
    keys.press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier, "Ctrl+N", target=page)
    assert QApplication.activeModalWidget() is None
    assert "stuck" not in seen, seen
    assert seen["focus"] == "field_sbp"  # the cursor starts where the numbers go
    assert "控制满意" in str(seen["proposal"]) and "2027-02-22" in str(seen["proposal"])
    assert "体质指数 23.0" in str(seen["bmi"])
    visits = clinic.follow_ups(patient["resident"])
    assert len(visits) == 2
    visit = visits[0]
    assert (visit.visit_date, visit.method) == (FIXED_TODAY, "clinic")
    assert (visit.sbp, visit.dbp, visit.weight_kg, visit.heart_rate) == (132, 84, 65.0, 72)
    assert visit.classification == "controlled"
    assert visit.next_visit_on == FIXED_TODAY + dt.timedelta(days=91)
    assert visit.doctor_id == patient["doctor"]  # the signed doctor, without a keystroke
    assert visit.data["medicines"][0]["name"] == "硝苯地平缓释片"  # carried over
    assert visit.height_cm == 168.0
    # The measure of this test: keys beyond the 10 characters of the four values.
    print(f"\nroutine hypertension visit: {keys.typed} value keys + {len(keys.extra)} other "
          f"keys ({', '.join(keys.extra)})")
    assert keys.extra == ["Ctrl+N", "Key_Tab", "Key_Tab", "Key_Tab", "Key_Return"]
    assert page.follow_ups_panel.model.rowCount() == 2
    assert page.follow_ups_panel.count_label.text() == "共 2 次随访，今年 2 天"


def _dialog(qtbot, clinic: Clinic, resident_id: str, **kwargs) -> FollowUpDialog:
    dialog = FollowUpDialog(clinic, resident_id, **kwargs)
    # Closed at teardown without the "放弃录入?" question a doctor would get.
    qtbot.addWidget(dialog, before_close_func=lambda d: setattr(d, "_dirty", False))
    dialog.show()
    dialog.activateWindow()  # focus moves (and editingFinished fires) in an active window only
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _field(dialog: FollowUpDialog, key: str) -> QLineEdit:
    widget = dialog.fields[key].widget
    assert isinstance(widget, QLineEdit)
    return widget


def test_implausible_value_is_refused_on_the_spot(app, qtbot, clinic, patient) -> None:
    dialog = _dialog(qtbot, clinic, patient["resident"])
    qtbot.keyClicks(_field(dialog, "sbp"), "1320")
    qtbot.keyClick(_field(dialog, "sbp"), Qt.Key.Key_Tab)
    assert "收缩压 1320mmHg 不合理" in dialog.problem_label.text()
    assert "#b00020" in _field(dialog, "sbp").styleSheet()
    qtbot.keyClick(_field(dialog, "dbp"), Qt.Key.Key_Return)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.focusWidget() is _field(dialog, "sbp")  # back to the bad value
    assert len(clinic.follow_ups(patient["resident"])) == 1


def test_emergency_is_shown_and_override_needs_a_reason(app, qtbot, clinic, patient,
                                                        screenshot_dir: Path) -> None:
    dialog = _dialog(qtbot, clinic, patient["resident"])
    qtbot.keyClicks(_field(dialog, "sbp"), "186")
    qtbot.keyClicks(_field(dialog, "dbp"), "112")
    assert "危急情况" in dialog.proposal_label.text()
    assert "紧急转诊" in dialog.proposal_label.text()
    classification = dialog.fields["classification"].widget
    assert classification.currentData() == "uncontrolled"
    dialog.grab().save(str(screenshot_dir / "followup-emergency.png"))
    # The doctor chooses otherwise: the form asks why before saving.
    classification.setCurrentIndex(classification.findData("controlled"))
    classification.activated.emit(classification.currentIndex())
    assert "未采用建议的原因" in dialog.proposal_label.text()
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "未采用规则建议的分类" in dialog.problem_label.text()
    type_text(_field(dialog, "override_reason"), "袖带过小，复测正常")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    visit = clinic.follow_up(dialog.saved_id)
    assert (visit.classification, visit.proposed_classification) == ("controlled",
                                                                     "uncontrolled")
    assert visit.override_reason == "袖带过小，复测正常"


def test_correction_through_the_panel(app, qtbot, clinic, patient, answers) -> None:
    window: MainWindow = show_window(qtbot, clinic)
    window.open_resident(patient["resident"])
    panel = window.resident_page.follow_ups_panel
    panel.table.view.selectRow(0)

    def correct() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, FollowUpDialog) and dialog.correcting
        assert _field(dialog, "sbp").text() == "138"
        _field(dialog, "sbp").setText("128")
        _field(dialog, "sbp").textEdited.emit("128")
        dialog.accept()  # no reason yet: refused
        assert dialog.focusWidget() is dialog.reason_edit
        type_text(dialog.reason_edit, "收缩压抄错")
        dialog.accept()

    when_modal(correct)
    panel.correct()
    visits = clinic.follow_ups(patient["resident"])
    assert [v.sbp for v in visits] == [128]
    assert "已更正：收缩压抄错" in panel.model.row_data(0)["note"]


@pytest.mark.parametrize("conditions", [("hypertension", "diabetes"), ("tuberculosis",),
                                        ("severe_mental",)])
def test_each_form_opens_and_fits(app, qtbot, clinic: Clinic, village: Village, conditions,
                                  screenshot_dir: Path) -> None:
    family = make_household(clinic, village.village_id, head="李四")
    for code in conditions:
        clinic.add_condition(family.head_id, code, dt.date(2026, 10, 1))
    dialog = _dialog(qtbot, clinic, family.head_id)
    form = clinic.follow_up_forms(family.head_id)[0]
    assert dialog.form == form
    assert dialog.height() <= 720 and dialog.width() <= 1366
    if form == "combined":
        qtbot.keyClicks(_field(dialog, "sbp"), "150")
        qtbot.keyClicks(_field(dialog, "dbp"), "92")
        qtbot.keyClicks(_field(dialog, "fasting_glucose"), "8.2")
        assert "控制不满意" in dialog.proposal_label.text()
    elif form == "severe_mental":
        risk = dialog.fields["risk_level"].widget
        risk.setCurrentIndex(risk.findData("3"))
        risk.activated.emit(risk.currentIndex())
        assert "不稳定" in dialog.proposal_label.text()
    else:
        assert "强化期" in dialog.proposal_label.text()
        medicines = dialog.fields["medicines"].widget
        assert "异烟肼" in medicines.placeholderText()  # the example in the form's disease
    dialog.grab().save(str(screenshot_dir / f"followup-{form}.png"))
    dialog.scroll.verticalScrollBar().setValue(dialog.scroll.verticalScrollBar().maximum())
    dialog.grab().save(str(screenshot_dir / f"followup-{form}-end.png"))


def test_chart_dot_selects_the_visit(app, qtbot, clinic: Clinic, patient) -> None:
    window: MainWindow = show_window(qtbot, clinic)
    window.open_resident(patient["resident"])
    page = window.resident_page
    (visit,) = clinic.follow_ups(patient["resident"])
    page.chart.visit_clicked.emit(visit.id)
    assert page.tabs.currentWidget() is page.follow_ups_panel
    assert page.follow_ups_panel.table.view.currentIndex().row() == 0
    assert not page.follow_ups_panel.select("no-such-visit")


def test_visits_model_passes_qtmodeltester(app, qtbot, qtmodeltester, clinic: Clinic,
                                           patient) -> None:
    window: MainWindow = show_window(qtbot, clinic)
    window.open_resident(patient["resident"])
    qtmodeltester.check(window.resident_page.follow_ups_panel.model)


def test_esc_asks_before_dropping_typed_values(app, qtbot, clinic, patient, answers) -> None:
    from PySide6.QtWidgets import QMessageBox

    dialog = _dialog(qtbot, clinic, patient["resident"])
    qtbot.keyClicks(_field(dialog, "sbp"), "150")
    answers.queue.append(QMessageBox.StandardButton.No)
    qtbot.keyClick(_field(dialog, "sbp"), Qt.Key.Key_Escape)
    assert dialog.isVisible() and _field(dialog, "sbp").text() == "150"
    answers.queue.append(QMessageBox.StandardButton.Yes)
    qtbot.keyClick(_field(dialog, "sbp"), Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert answers.asked == ["这次随访还没有保存。放弃已填写的内容吗？"] * 2


def test_a_second_visit_the_same_day_is_asked_about(app, qtbot, clinic, patient,
                                                    answers) -> None:
    from PySide6.QtWidgets import QMessageBox

    clinic.record_follow_up(patient["resident"], "hypertension", {
        "visit_date": "2026-11-23", "sbp": "132", "dbp": "84"})
    dialog = _dialog(qtbot, clinic, patient["resident"])
    qtbot.keyClicks(_field(dialog, "sbp"), "168")
    qtbot.keyClicks(_field(dialog, "dbp"), "102")
    answers.queue.append(QMessageBox.StandardButton.No)
    dialog.accept()
    assert dialog.saved_id is None and dialog.isVisible()
    assert "已经记录过一次高血压随访" in answers.asked[0]
    answers.queue.append(QMessageBox.StandardButton.Yes)
    dialog.accept()
    assert dialog.saved_id is not None
