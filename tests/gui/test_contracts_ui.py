"""家庭医生签约 through the window: sign and end by keyboard, 全户签约, 团队与医生, the lists.

Dialogs open modally from their buttons; ``on_dialog`` drives the dialog that opens, with keys
where a doctor would type. Screenshots go to screenshots/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import FIXED_TODAY, Village, make_household
from helpers import show_window, type_text
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget

from clinic_app.clinic import Clinic
from clinic_app.ui.contract_dialogs import (
    DoctorDialog,
    EndContractDialog,
    HouseholdSignDialog,
    ServiceDialog,
    ServiceRecordsDialog,
    SignDialog,
    TeamDialog,
)
from clinic_app.ui.contracts_page import ContractsPage
from clinic_app.ui.main_window import MainWindow


@pytest.fixture
def people(clinic: Clinic, village: Village) -> dict[str, str]:
    team = clinic.add_team("红星村家庭医生团队", "13800000000", village.village_id)
    doctor = clinic.add_doctor("王建国", phone="13700000001", team_id=team,
                               place_id=village.village_id)
    family = make_household(clinic, village.village_id, "6405220010001", head="张三",
                            members=(("李秀英", "配偶", "女"), ("张小明", "之子", "男")))
    clinic.add_condition(family.head_id, "hypertension", dt.date(2018, 6, 1))
    return {"team": team, "doctor": doctor, "household": family.household_id,
            "head": family.head_id, "wife": family.member_ids[0], "son": family.member_ids[1]}


@pytest.fixture
def window(app, qtbot, clinic: Clinic, people: dict[str, str]) -> MainWindow:
    shown = show_window(qtbot, clinic)
    shown.activateWindow()  # mnemonics (Alt+Q …) reach only the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is shown, timeout=2000)
    return shown


def on_dialog(qtbot, action: Callable[[QDialog], None], trigger: Callable[[], object]) -> None:
    """Run `trigger` (which opens a modal dialog) and drive that dialog with `action`."""
    seen: list[QDialog] = []
    tries = [0]

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            tries[0] += 1
            if tries[0] < 50:  # up to a second; then the assertion below says so
                QTimer.singleShot(20, drive)
            return
        seen.append(dialog)
        try:
            action(dialog)
        finally:
            if dialog.isVisible():  # a failed check must not leave a modal dialog open
                dialog.reject()

    QTimer.singleShot(0, drive)
    trigger()
    qtbot.waitUntil(lambda: tries[0] >= 50 or bool(seen), timeout=3000)
    assert seen, "no dialog opened"


def alt(qtbot, widget: QWidget, key: Qt.Key) -> Callable[[], None]:
    """Press Alt+key as the doctor would; mnemonics reach only the active window, and a
    closed modal dialog does not always hand activation back offscreen."""
    def press() -> None:
        widget.window().activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=2000)
        qtbot.keyClick(widget, key, Qt.KeyboardModifier.AltModifier)

    return press


def retype(qtbot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def test_sign_then_end_a_contract_by_keyboard(window: MainWindow, qtbot, clinic: Clinic,
                                              people: dict[str, str], qtmodeltester,
                                              screenshot_dir: Path) -> None:
    window.open_resident(people["head"])
    page = window.resident_page
    tab = page.contracts_tab
    page.tabs.setCurrentWidget(tab)
    assert "尚未签约" in tab.status.text()
    assert not tab.buttons["end"].isEnabled()

    def sign(dialog: QDialog) -> None:
        assert isinstance(dialog, SignDialog)
        # One doctor in the register: already chosen; the package follows the condition.
        assert dialog.assignment.doctor.currentData() == people["doctor"]
        assert dialog.package.currentData() == "chronic"
        assert dialog.focusWidget() is dialog.start
        retype(qtbot, dialog.start, "2026113")  # not a date yet: caught on the spot
        assert "看不懂" in dialog.error.text() and not dialog.ok.isEnabled()
        qtbot.keyClicks(dialog.start, "0")
        assert dialog.error.text() == "" and dialog.ok.isEnabled()
        assert "到期日 2027-11-29" in dialog.term_info.text()
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        assert dialog.focusWidget() is dialog.agreement
        qtbot.keyClicks(dialog.agreement, "QY-2026-0815")
        dialog.grab().save(str(screenshot_dir / "contract-sign-dialog.png"))
        qtbot.keyClick(dialog.agreement, Qt.Key.Key_Return)

    on_dialog(qtbot, sign, alt(qtbot, tab, Qt.Key.Key_Q))
    (contract,) = clinic.contracts(people["head"])
    assert (contract.start_on, contract.end_on, contract.agreement_no) == (
        dt.date(2026, 11, 30), dt.date(2027, 11, 29), "QY-2026-0815")
    assert contract.package_code == "chronic" and contract.doctor_id == people["doctor"]
    assert page.tabs.currentWidget() is tab  # the page reloaded on the same tab
    assert "王建国" in tab.status.text()
    follow = next(r for r in tab.fulfilment_model.rows() if r["code"] == "follow_up")
    assert (follow["name"], follow["promised"]) == ("慢病随访（高血压）", 4)
    qtmodeltester.check(tab.fulfilment_model)

    # A service recorded today shows in the promises at once.
    def record(dialog: QDialog) -> None:
        assert isinstance(dialog, ServiceDialog)
        assert dialog.service.currentData() == "health_education"
        assert "不在所选签约的服务期（2026-11-30 至 2027-11-29）内" in \
            dialog.note_outside.text()
        type_text(dialog.note, "高血压饮食讲座")
        dialog.grab().save(str(screenshot_dir / "contract-service-dialog.png"))
        qtbot.keyClick(dialog.note, Qt.Key.Key_Return)

    # The contract starts on 2026-11-30: a service on 11-23 is before it and does not count.
    on_dialog(qtbot, record, alt(qtbot, tab, Qt.Key.Key_G))
    assert clinic.service_records(people["head"])[0]["note"] == "高血压饮食讲座"
    education = next(r for r in tab.fulfilment_model.rows() if r["code"] == "health_education")
    assert education["done"] == 0

    def end(dialog: QDialog) -> None:
        assert isinstance(dialog, EndContractDialog)
        assert dialog.focusWidget() is dialog.reason
        assert dialog.reason.currentData() == "refused"
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Down)
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Down)
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Down)
        assert dialog.reason.currentData() == "other"
        assert "写明原因" in dialog.error.text() and not dialog.ok.isEnabled()
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Tab)
        assert dialog.focusWidget() is dialog.date
        retype(qtbot, dialog.date, "20261124")
        assert "不能晚于今天" in dialog.error.text()
        retype(qtbot, dialog.date, "20261123")
        qtbot.keyClick(dialog.date, Qt.Key.Key_Tab)
        type_text(dialog.note, "签错了服务包，重新签约")
        assert dialog.ok.isEnabled()
        dialog.grab().save(str(screenshot_dir / "contract-end-dialog.png"))
        qtbot.keyClick(dialog.note, Qt.Key.Key_Return)

    on_dialog(qtbot, end, alt(qtbot, tab, Qt.Key.Key_J))
    contract = clinic.contract(contract.id)
    assert (contract.ended_on, contract.end_reason, contract.end_note) == (
        FIXED_TODAY, "other", "签错了服务包，重新签约")
    assert "解约：其他" in tab.status.text()
    assert not tab.buttons["end"].isEnabled() and not tab.buttons["renew"].isEnabled()


def test_fulfilment_tab_and_renewal(window: MainWindow, qtbot, clinic: Clinic,
                                    people: dict[str, str], screenshot_dir: Path) -> None:
    head = people["head"]
    contract = clinic.sign_contract(head, team_id=None, doctor_id=people["doctor"],
                                    package_code="chronic", start_on=dt.date(2025, 12, 10),
                                    agreement_no="QY-2025-0101")
    with clinic.db.atomic():
        for day, method in (("2026-02-11", "clinic"), ("2026-05-09", "home"),
                            ("2026-08-20", "phone")):
            clinic.store.insert("follow_ups", {"resident_id": head, "form": "hypertension",
                                               "visit_date": day, "method": method,
                                               "sbp": 136, "dbp": 86})
        clinic.store.insert("checkups", {"resident_id": head, "checkup_date": "2026-04-02"})
    clinic.record_service(head, "health_education", dt.date(2026, 3, 15))
    window.open_resident(head)
    tab = window.resident_page.contracts_tab
    window.resident_page.tabs.setCurrentWidget(tab)
    rows = {r["name"]: r for r in tab.fulfilment_model.rows()}
    assert (rows["慢病随访（高血压）"]["done"], rows["慢病随访（高血压）"]["status_label"]) == (
        2, "落后进度")
    assert rows["健康体检"]["status_label"] == "已完成"
    assert "应履约 3 项，已完成 1 项" in tab.fulfilment_title.text()
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "contract-tab-fulfilment.png"))

    def renew(dialog: QDialog) -> None:
        assert isinstance(dialog, SignDialog) and dialog.renew is not None
        assert dialog.start.text() == "2026-12-10" and dialog.start.isReadOnly()
        assert dialog.focusWidget() is dialog.agreement
        qtbot.keyClicks(dialog.agreement, "QY-2026-0102")
        dialog.grab().save(str(screenshot_dir / "contract-renew-dialog.png"))
        qtbot.keyClick(dialog.agreement, Qt.Key.Key_Return)

    on_dialog(qtbot, renew, alt(qtbot, tab, Qt.Key.Key_X))
    renewal = clinic.contracts(head)[-1]
    assert (renewal.renewed_from_id, renewal.start_on) == (contract, dt.date(2026, 12, 10))
    assert tab.contracts.model.rowCount() == 2


def test_sign_dialog_refuses_an_overlap_on_the_spot(window: MainWindow, qtbot, clinic: Clinic,
                                                    people: dict[str, str]) -> None:
    clinic.sign_contract(people["wife"], team_id=None, doctor_id=people["doctor"],
                         package_code="basic", start_on=dt.date(2026, 6, 1))
    dialog = SignDialog(clinic, people["wife"], parent=window)
    qtbot.addWidget(dialog)
    assert "李秀英 已有签约（2026-06-01 至 2027-05-31）" in dialog.error.text()
    assert not dialog.ok.isEnabled()
    retype(qtbot, dialog.start, "2027-06-01")
    assert dialog.ok.isEnabled()


def test_sign_the_whole_household(window: MainWindow, qtbot, clinic: Clinic,
                                  people: dict[str, str], qtmodeltester,
                                  screenshot_dir: Path) -> None:
    clinic.sign_contract(people["son"], team_id=None, doctor_id=people["doctor"],
                         package_code="basic", start_on=dt.date(2026, 6, 1))
    window.open_household(people["household"])
    page = window.household_page

    def sign_all(dialog: QDialog) -> None:
        assert isinstance(dialog, HouseholdSignDialog)
        qtmodeltester.check(dialog.model)
        rows = {r["name"]: r for r in dialog.model.rows()}
        assert rows["张三"]["checked"] and rows["张三"]["package_code"] == "chronic"
        assert rows["李秀英"]["checked"] and rows["李秀英"]["package_code"] == "basic"
        assert not rows["张小明"]["eligible"] and "已有签约" in rows["张小明"]["reason"]
        assert "将为 2 人签约" in dialog.term_info.text()
        # Enter in the list unticks a member (and neither signs nor cancels); again ticks.
        wife = next(i for i, r in enumerate(dialog.model.rows()) if r["name"] == "李秀英")
        dialog.table.setFocus()
        dialog.table.selectRow(wife)
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
        assert dialog.isVisible() and "将为 1 人签约" in dialog.term_info.text()
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
        assert dialog.isVisible() and "将为 2 人签约" in dialog.term_info.text()
        qtbot.keyClick(dialog.table, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.agreement, "HH-0001")
        dialog.grab().save(str(screenshot_dir / "contract-household-dialog.png"))
        qtbot.keyClick(dialog.agreement, Qt.Key.Key_Return)

    on_dialog(qtbot, sign_all, lambda: qtbot.mouseClick(page.buttons["sign"],
                                                        Qt.MouseButton.LeftButton))
    signed = {clinic.resident(c.resident_id).name: c for rid in (people["head"],
                                                                 people["wife"])
              for c in clinic.contracts(rid)}
    assert set(signed) == {"张三", "李秀英"}
    assert {c.agreement_no for c in signed.values()} == {"HH-0001"}
    statuses = [r["contract_status"] for r in page.model.rows()]
    assert "none" not in statuses


def test_teams_and_doctors_screen(window: MainWindow, qtbot, clinic: Clinic,
                                  people: dict[str, str], qtmodeltester,
                                  screenshot_dir: Path) -> None:
    window.ui.navList.setCurrentRow(2)
    page = window.ui.pages.currentWidget()
    assert isinstance(page, ContractsPage)
    panel = page.teams
    assert panel.team_model.rowCount() == 1 and panel.doctor_model.rowCount() == 1

    def add(dialog: QDialog) -> None:
        assert isinstance(dialog, DoctorDialog)
        type_text(dialog.name, "李娟")
        qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)
        qtbot.keyClick(dialog.role, Qt.Key.Key_Down)  # 全科医生
        qtbot.keyClick(dialog.role, Qt.Key.Key_Tab)
        qtbot.keyClicks(dialog.phone, "1390000")
        assert "手机号应为11位" in dialog.error.text() and not dialog.ok.isEnabled()
        qtbot.keyClicks(dialog.phone, "1234")
        assert dialog.ok.isEnabled()
        dialog.team.setCurrentIndex(1)
        dialog.grab().save(str(screenshot_dir / "contract-doctor-dialog.png"))
        qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)

    on_dialog(qtbot, add, alt(qtbot, panel, Qt.Key.Key_D))
    li = next(d for d in clinic.doctor_list() if d["name"] == "李娟")
    assert (li["role"], li["phone"], li["team_id"]) == ("gp", "13900001234", people["team"])
    assert panel.doctor_model.rowCount() == 2

    panel.doctors.view.selectRow(next(i for i, r in enumerate(panel.doctor_model.rows())
                                      if r["name"] == "李娟"))
    qtbot.mouseClick(panel.buttons["toggleDoctor"], Qt.MouseButton.LeftButton)
    assert not clinic.doctor(li["id"]).active

    def edit_team(dialog: QDialog) -> None:
        assert isinstance(dialog, TeamDialog)
        assert dialog.name.text() == "红星村家庭医生团队"
        dialog.leader.setCurrentIndex(dialog.leader.findText("王建国"))
        dialog.grab().save(str(screenshot_dir / "contract-team-dialog.png"))
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)

    panel.teams.view.selectRow(0)
    on_dialog(qtbot, edit_team, lambda: qtbot.keyClick(panel.teams.view, Qt.Key.Key_Return))
    assert clinic.team(people["team"]).leader_id == people["doctor"]
    qtmodeltester.check(panel.team_model)
    qtmodeltester.check(panel.doctor_model)
    window.grab().save(str(screenshot_dir / "contract-teams-doctors.png"))


def test_lists_and_fulfilment_statistics(window: MainWindow, qtbot, clinic: Clinic,
                                         people: dict[str, str], qtmodeltester,
                                         screenshot_dir: Path) -> None:
    clinic.sign_contract(people["head"], team_id=None, doctor_id=people["doctor"],
                         package_code="chronic", start_on=dt.date(2025, 12, 10))
    clinic.sign_contract(people["wife"], team_id=None, doctor_id=people["doctor"],
                         package_code="basic", start_on=dt.date(2025, 10, 1))
    window.ui.navList.setCurrentRow(2)
    page = window.ui.pages.currentWidget()
    assert isinstance(page, ContractsPage)
    page.tabs.setCurrentWidget(page.lists)
    qtbot.waitUntil(lambda: page.lists.expired_model.rowCount() == 1, timeout=5000)
    assert [r["name"] for r in page.lists.expiring_model.rows()] == ["张三"]
    assert [r["name"] for r in page.lists.expired_model.rows()] == ["李秀英"]
    qtmodeltester.check(page.lists.expired_model)
    window.grab().save(str(screenshot_dir / "contract-lists.png"))

    page.tabs.setCurrentWidget(page.fulfilment)
    task = page.fulfilment.refresh()
    qtbot.waitUntil(lambda: page.fulfilment.model.rowCount() == 1, timeout=5000)
    task.wait(5)
    row = page.fulfilment.model.row_data(0)
    assert (row["village"], row["contracts"]) == ("红星村", 1)
    qtmodeltester.check(page.fulfilment.model)
    window.grab().save(str(screenshot_dir / "contract-fulfilment-stats.png"))

    # 今日待办 shows the expired contract apart from the expiring one.
    window.ui.navList.setCurrentRow(1)
    today = window.today
    qtbot.waitUntil(lambda: today.expiring_model.rowCount() == 1, timeout=5000)
    expired = today.expired_model
    qtbot.waitUntil(lambda: expired.rowCount() == 1, timeout=5000)
    assert expired.row_data(0)["name"] == "李秀英"
    assert today.expiring_model.row_data(0)["name"] == "张三"
    qtmodeltester.check(expired)
    window.wait_for_tasks()
    window.grab().save(str(screenshot_dir / "contract-today.png"))


def test_withdraw_a_recorded_service(window: MainWindow, qtbot, clinic: Clinic,
                                     people: dict[str, str], qtmodeltester) -> None:
    clinic.record_service(people["head"], "consultation", FIXED_TODAY, note="重复登记的咨询")
    dialog = ServiceRecordsDialog(clinic, people["head"], window)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    assert dialog.model.row_data(0)["note"] == "重复登记的咨询"
    dialog.withdraw()  # no reason yet: refused, nothing removed
    assert "请写明删除的原因" in dialog.error.text() and dialog.model.rowCount() == 1
    type_text(dialog.reason, "重复登记")
    dialog.withdraw()
    assert dialog.model.rowCount() == 0 and dialog.changed
    assert clinic.service_records(people["head"]) == []


def test_fulfilment_tab_owes_a_tb_patient_follow_ups(window: MainWindow, qtbot, clinic: Clinic,
                                                     people: dict[str, str], qtmodeltester,
                                                     screenshot_dir: Path) -> None:
    """Review: TB had no yearly rule, so a TB patient's 慢病随访 showed 不适用."""
    wife = people["wife"]
    clinic.add_condition(wife, "tuberculosis", dt.date(2025, 6, 1))
    clinic.sign_contract(wife, team_id=None, doctor_id=people["doctor"],
                         package_code="chronic", start_on=dt.date(2026, 1, 1))
    with clinic.db.atomic():
        clinic.store.insert("follow_ups", {"resident_id": wife, "form": "tuberculosis",
                                           "visit_date": "2026-02-01", "method": "phone"})
    window.open_resident(wife)
    tab = window.resident_page.contracts_tab
    window.resident_page.tabs.setCurrentWidget(tab)
    rows = {r["name"]: r for r in tab.fulfilment_model.rows()}
    tb = rows["慢病随访（肺结核）"]
    assert (tb["promised"], tb["done"], tb["status_label"]) == (12, 1, "落后进度")
    assert "继续期每30天随访" in tb["note"]
    qtmodeltester.check(tab.fulfilment_model)
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "contract-tab-fulfilment-tb.png"))
