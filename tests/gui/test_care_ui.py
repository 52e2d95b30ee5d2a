"""Checkups and medicine boxes through the window: the checkup form's pages (refused and flagged
values, enrolment), a delivery over the cap split and saved, a refund, the 今日待办 lists, the
体检 coverage chart and the 药箱 reconciliation; screenshots of each for review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from factories import Village, make_household
from helpers import show_window, type_text
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QApplication, QLabel

from clinic_app.clinic import Clinic
from clinic_app.domain import checkup
from clinic_app.ui.care_lists import CheckupsPage, MedicinePage
from clinic_app.ui.checkup_form import CheckupDialog
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.medicine_box import DeliveryDialog, RefundDialog

D = dt.date


@pytest.fixture
def people(clinic: Clinic, village: Village) -> dict[str, str]:
    clinic.set_profile("xinbin")
    doctor = clinic.add_doctor("李医生")
    family = make_household(clinic, village.village_id, head="王建国",
                            members=(("刘桂兰", "配偶", "女"),))
    clinic.add_condition(family.head_id, "hypertension", D(2019, 4, 1))
    box = clinic.open_box(family.head_id, D(2026, 1, 4))
    item = clinic.add_box_item(box, "苯磺酸氨氯地平片", strength="5mg×28片",
                               dose="每日1次，每次1片", condition_code="hypertension",
                               units_per_day=1)
    # 900 of the 1000 元 cap already used this year; the last packs run out on 11-26.
    clinic.deliver(item, quantity=1, unit_price_fen=90000, delivered_on=D(2026, 3, 1),
                   receipt_no="SJ0301", delivered_by=doctor)
    clinic.deliver(item, quantity=2, unit_price_fen=1850, insurance_fen=3700,
                   delivered_on=D(2026, 10, 1), receipt_no="SJ1001", delivered_by=doctor)
    other = clinic.add_place("village", "新庄村", clinic.places("township")[0].id)
    make_household(clinic, other, head="赵小梅")
    return {"head": family.head_id, "wife": family.member_ids[0], "item": item,
            "doctor": doctor}


@pytest.fixture
def window(app, qtbot, clinic: Clinic, people) -> MainWindow:
    return show_window(qtbot, clinic)


def _type(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.clear()
    qtbot.keyClicks(widget, text)


def _leave(qtbot, widget) -> None:
    """Leave a box as Tab would (editingFinished)."""
    widget.editingFinished.emit()


def test_checkup_form_records_refuses_flags_and_enrols(window: MainWindow, qtbot, clinic,
                                                       people, screenshot_dir: Path) -> None:
    window.open_resident(people["head"])
    page = window.resident_page
    panel = page.care_tabs.checkups
    page.tabs.setCurrentWidget(panel)
    assert "尚未完成体检" in panel.status_label.text()
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CheckupDialog)
    qtbot.waitExposed(dialog)
    dialog.resize(1280, 700)  # what fits a 1366×768 screen with its taskbar
    hint = dialog.minimumSizeHint()  # and it still fits 1366×768 at 125% scaling
    assert hint.width() <= 1092 and hint.height() <= 582, hint
    fields = dialog.fields
    _type(qtbot, fields["temperature"].widget, "36.6")
    qtbot.keyClick(fields["temperature"].widget, Qt.Key.Key_Return)  # Enter moves on
    assert dialog.isVisible() and dialog.saved is None
    assert dialog.focusWidget() is fields["pulse"].widget
    _type(qtbot, fields["pulse"].widget, "300")
    _leave(qtbot, fields["pulse"].widget)
    assert "脉率 300 次/分 不合理" in dialog.problem_label.text()
    assert "⚠" in dialog.page_list.item(0).text()
    _type(qtbot, fields["pulse"].widget, "88")
    _leave(qtbot, fields["pulse"].widget)
    assert dialog.problem_label.text() == ""
    for key, text in (("sbp_left", "152"), ("dbp_left", "96"), ("height_cm", "165"),
                      ("weight_kg", "72")):
        _type(qtbot, fields[key].widget, text)
    assert fields["sbp_left"].flag.text() == "↑偏高"
    assert fields["temperature"].flag.text() == ""
    assert "体质指数 26.4（超重）" in dialog.bmi_label.text()
    assert "偏高" in dialog.findings.text() and "有异常" in dialog.findings.text()
    fields["symptoms"].checks[1].setChecked(True)  # 头痛
    # Lab page: a glucose over the diagnostic line suggests diabetes management.
    dialog.show_page("lab")
    _type(qtbot, fields["fasting_glucose"].widget, "7.8")
    fields["ecg"].widget.setCurrentIndex(fields["ecg"].widget.findData("abnormal"))
    fields["ecg"].widget.activated.emit(fields["ecg"].widget.currentIndex())
    assert fields["ecg"].flag.text() == "异常"
    assert "纳入2型糖尿病管理" in dialog.findings.text()
    for index, (key, _title, _fields) in enumerate(checkup.pages()):
        dialog.page_list.setCurrentRow(index)
        QApplication.processEvents()
        dialog.grab().save(str(screenshot_dir / f"checkup-page-{index + 1}-{key}.png"))
    # Enrol from the guidance page, then save with Ctrl+S's slot.
    dialog.show_page("evaluation")
    next(c for c in fields["enrol"].checks if c.property("code") == "diabetes").setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is not None and dialog.saved.enrolled == ["diabetes"]
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert panel.model.rowCount() == 1
    row = panel.model.row_data(0)
    assert row["bp"] == "152/96" and row["evaluation"] == "有异常" and row["cost"] == "150.00"
    assert "已体检" in panel.status_label.text()
    assert {c.code for c in clinic.conditions(people["head"])} == {"hypertension", "diabetes"}
    assert "已登记2型糖尿病" in window.statusBar().currentMessage()
    window.grab().save(str(screenshot_dir / "resident-checkups-tab.png"))


def test_checkup_correction_through_the_form(window: MainWindow, qtbot, clinic, people
                                             ) -> None:
    saved = clinic.record_checkup(people["wife"], "2026-05-06", {"sbp_left": "250",
                                                                 "dbp_left": "90"})
    window.open_resident(people["wife"])
    panel = window.resident_page.care_tabs.checkups
    panel.table.view.selectRow(0)
    dialog = panel.correct()
    assert dialog is not None and dialog.fields["sbp_left"].raw() == "250"
    _type(qtbot, dialog.fields["sbp_left"].widget, "125")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is None and "原因" in dialog.problem_label.text()  # reason required
    type_text(dialog.reason_edit, "收缩压录错")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is not None
    assert [c.id for c in clinic.checkup_versions(saved.id)][-1] == dialog.saved.id
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    assert panel.model.row_data(0)["note"] == "已更正：收缩压录错"


def test_delivery_over_the_cap_is_split_then_refunded(window: MainWindow, qtbot, clinic,
                                                       people, screenshot_dir: Path) -> None:
    window.open_resident(people["head"])
    page = window.resident_page
    panel = page.care_tabs.box
    page.tabs.setCurrentWidget(panel)
    assert "剩余 100.00 元" in panel.balance_label.text()
    assert panel.items_model.row_data(0)["supply"] == "还够 3 天"
    qtbot.mouseClick(panel.deliver_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, DeliveryDialog)
    qtbot.waitExposed(dialog)
    assert "发药前：2026年免费慢病用药：限额 1,000.00 元" in dialog.balance_label.text()
    hint = dialog.minimumSizeHint()
    assert hint.width() <= 1092 and hint.height() <= 582, hint
    assert dialog.price_edit.text() == "18.50"  # the October delivery's price
    dialog.quantity.setValue(10)
    _type(qtbot, dialog.price_edit, "18.5")
    # Pre-filled as a doctor would split it: the 100 元 left from the fund, the rest personal.
    assert (dialog.fund_edit.text(), dialog.patient_edit.text()) == ("100.00", "85.00")
    assert dialog.save_button.isEnabled()
    # ... and said, never silently: the patient is asked to pay what the fund cannot.
    assert "其余 85.00 元记为个人支付" in dialog.problem_label.text()
    dialog.quantity.setValue(900)  # a slip: 900 boxes
    assert "请核对数量：这次发药约够" in dialog.problem_label.text()
    assert dialog.save_button.isEnabled()  # said, not refused
    dialog.quantity.setValue(10)
    assert "请核对数量" not in dialog.problem_label.text()
    # A fund share typed over what is left: the patient's share follows it, and the cap
    # refuses it on the spot (not a sum that does not add up); 按余额拆分 fixes it.
    _type(qtbot, dialog.fund_edit, "185.00")
    assert dialog.patient_edit.text() == "0.00"
    assert "超出 85.00 元" in dialog.problem_label.text()
    _type(qtbot, dialog.patient_edit, "0")
    assert "超出 85.00 元" in dialog.problem_label.text()
    assert not dialog.save_button.isEnabled()
    dialog.grab().save(str(screenshot_dir / "delivery-over-cap.png"))
    _type(qtbot, dialog.price_edit, "18.5x")
    assert "不是金额" in dialog.problem_label.text()
    _type(qtbot, dialog.price_edit, "18.50")
    qtbot.mouseClick(dialog.split_button, Qt.MouseButton.LeftButton)
    assert (dialog.fund_edit.text(), dialog.patient_edit.text()) == ("100.00", "85.00")
    assert dialog.save_button.isEnabled() and "可以保存" in dialog.problem_label.text()
    _type(qtbot, dialog.receipt_edit, "SJ1120")
    dialog.grab().save(str(screenshot_dir / "delivery-split.png"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.saved_id is not None
    row = clinic.store.get("deliveries", dialog.saved_id)
    assert (row["quantity"], row["unit_price_fen"], row["free_fund_fen"], row["patient_fen"],
            row["receipt_no"]) == (10, 1850, 10000, 8500, "SJ1120")
    assert "剩余 0.00 元" in panel.balance_label.text()
    assert panel.deliveries_model.rowCount() == 3
    # Refund 2 of the 10: the fund's share comes back to this year's cap.
    panel.deliveries.view.selectRow(0)
    refund = panel.refund()
    assert isinstance(refund, RefundDialog)
    refund.quantity.setValue(2)
    assert "免费药品基金 20.00" in refund.preview.text()
    type_text(refund.reason_edit, "停药")
    refund.accept()
    qtbot.waitUntil(lambda: panel.deliveries_model.rowCount() == 4)
    assert "剩余 20.00 元" in panel.balance_label.text()
    assert panel.deliveries_model.row_data(0)["kind_label"] == "退药"
    window.grab().save(str(screenshot_dir / "medicine-box.png"))


def test_delivery_correction_greys_the_old_row(window: MainWindow, qtbot, clinic, people,
                                               qtmodeltester) -> None:
    window.open_resident(people["head"])
    panel = window.resident_page.care_tabs.box
    panel.deliveries.view.selectRow(0)  # the October delivery
    dialog = panel.correct()
    assert isinstance(dialog, DeliveryDialog)
    assert dialog.price_edit.text() == "18.50" and dialog.insurance_edit.text() == "37.00"
    _type(qtbot, dialog.price_edit, "18.60")
    _type(qtbot, dialog.insurance_edit, "37.20")
    type_text(dialog.reason_edit, "单价录错")
    dialog.accept()
    assert dialog.saved_id is not None
    qtbot.waitUntil(lambda: panel.deliveries_model.rowCount() == 3)
    model = panel.deliveries_model
    old = next(i for i in range(model.rowCount()) if not model.row_data(i)["current"])
    assert model.data(model.index(old, 0), Qt.ItemDataRole.ForegroundRole) is not None
    assert "已被更正" in model.row_data(old)["state"]
    for checked in (panel.items_model, panel.deliveries_model,
                    window.resident_page.care_tabs.checkups.model):
        qtmodeltester.check(checked)


def test_today_lists_checkups_due_and_boxes_running_out(window: MainWindow, qtbot,
                                                        qtmodeltester,
                                                        screenshot_dir: Path) -> None:
    window.ui.navList.setCurrentRow(1)
    lists = window.today.care_lists
    qtbot.waitUntil(lambda: "正在计算" not in window.today.summary.text(), timeout=5000)
    qtbot.waitUntil(lambda: lists.due_model.rowCount() == 3, timeout=5000)
    qtbot.waitUntil(lambda: lists.runs_model.rowCount() == 1, timeout=5000)
    assert lists.tabText(0) == "体检未做（3）" and lists.tabText(1) == "药已用完或快用完（1）"
    assert lists.runs_model.row_data(0)["supply"] == "还够 3 天"
    for model in (lists.due_model, lists.runs_model):
        qtmodeltester.check(model)
    window.grab().save(str(screenshot_dir / "today-care-lists.png"))
    lists.setCurrentIndex(1)
    window.grab().save(str(screenshot_dir / "today-care-lists-runs-out.png"))
    lists.runs.view.selectRow(0)
    qtbot.keyClick(lists.runs.view, Qt.Key.Key_Return)
    assert window.ui.pages.currentWidget() is window.resident_page


def test_coverage_chart_and_reconciliation_pages(window: MainWindow, qtbot, clinic, people,
                                                 qtmodeltester, tmp_path: Path,
                                                 screenshot_dir: Path) -> None:
    clinic.record_checkup(people["head"], "2026-04-02", {})
    nav = [window.ui.navList.item(i).text() for i in range(window.ui.navList.count())]
    window.ui.navList.setCurrentRow(nav.index("体检"))
    page = window.pages["checkups"]
    assert isinstance(page, CheckupsPage)
    qtbot.waitUntil(lambda: page.coverage_model.rowCount() == 2, timeout=5000)
    rows = {r["village"]: r for r in page.coverage_model.rows()}
    assert (rows["红星村"]["checked"], rows["红星村"]["eligible"]) == (1, 2)
    assert len(page.chart.labels) == 2 and page.chart.target_line is not None
    assert "已体检 1 人" in page.summary.text()
    qtmodeltester.check(page.coverage_model)
    qtmodeltester.check(page.due_model)
    window.grab().save(str(screenshot_dir / "checkups-coverage.png"))
    out = page.export(str(tmp_path / "due.xlsx"))
    assert out is not None and len(list(openpyxl.load_workbook(out).active.rows)) == 3

    window.ui.navList.setCurrentRow(nav.index("药箱"))
    medicine_page = window.pages["medicine"]
    assert isinstance(medicine_page, MedicinePage)
    medicine_page.quarter.setCurrentIndex(medicine_page.quarter.findData("2026Q4"))
    qtbot.waitUntil(lambda: medicine_page.report is not None and
                    medicine_page.report.quarter == 4, timeout=5000)
    assert medicine_page.report_model.rowCount() == 1
    assert "37.00" in medicine_page.summary.text()
    qtmodeltester.check(medicine_page.report_model)
    window.grab().save(str(screenshot_dir / "medicine-reconciliation.png"))
    out = medicine_page.export(str(tmp_path / "q4.xlsx"))
    assert out is not None
    lines = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    total = next(r for r in lines if r[0] == "合计")
    assert Decimal(str(total[lines[0].index("金额(元)")])) == Decimal("37.00")


# ---------------------------------------------------------------- new-user test findings
LAPTOP = QRect(0, 0, 1366, 728)  # a 1366×768 screen less its taskbar


def _field_labels(dialog: CheckupDialog) -> list[QLabel]:
    return [label for label in dialog.stack.currentWidget().widget().findChildren(QLabel)
            if label.buddy() is not None]


@pytest.mark.parametrize("screen", ["laptop", "offscreen"])
def test_checkup_form_is_readable_at_the_size_it_opens(window: MainWindow, qtbot, people,
                                                       monkeypatch, screen: str,
                                                       screenshot_dir: Path) -> None:
    """Opened as it is (no resize by the test): every field label on one line at its full
    width, flags and reference ranges inside the page, the dialog within 1366×768. On the
    test platform's own 800-wide screen the pages may scroll sideways but never squeeze."""
    if screen == "laptop":
        monkeypatch.setattr(QScreen, "availableGeometry", lambda _self: LAPTOP)
    window.open_resident(people["head"])
    dialog = window.resident_page.care_tabs.checkups.add()
    assert isinstance(dialog, CheckupDialog)
    qtbot.waitExposed(dialog)
    room = dialog.screen().availableGeometry()
    assert dialog.width() <= min(1366, room.width()) and dialog.height() <= min(768, room.height())
    fields = dialog.fields
    for key, text in (("sbp_left", "152"), ("dbp_left", "96"), ("height_cm", "165"),
                      ("weight_kg", "72"), ("fasting_glucose", "7.8")):
        _type(qtbot, fields[key].widget, text)
    assert fields["sbp_left"].flag.text() == "↑偏高"
    for index, (key, _title, _specs) in enumerate(checkup.pages()):
        dialog.page_list.setCurrentRow(index)
        QApplication.processEvents()
        scroll = dialog.stack.currentWidget()
        labels = _field_labels(dialog)
        assert labels
        for label in labels:
            needed = label.fontMetrics().horizontalAdvance(label.text())
            assert label.width() >= needed, (key, label.text(), label.width(), needed)
            assert label.height() < 2 * label.fontMetrics().lineSpacing(), label.text()
        if screen == "laptop":
            # Nothing cut off on the right: the page fits its viewport without scrolling.
            page = scroll.widget()
            assert page.width() <= scroll.viewport().width(), (key, page.width())
            for spec in _specs:
                flag = fields[spec.key].flag
                right = flag.mapTo(page, flag.rect().topRight()).x()
                assert right <= scroll.viewport().width(), (spec.key, right)
            dialog.grab().save(str(screenshot_dir / f"checkup-default-{index + 1}-{key}.png"))
    dialog.reject()


def test_forms_propose_the_contract_doctor_else_the_last_one(window: MainWindow, qtbot,
                                                             clinic, people) -> None:
    """Checkup, delivery and follow-up forms preselect the same doctor: the resident's
    contract doctor, else the last doctor used on this computer (李医生, from the fixture)."""
    from factories import make_doctor, sign

    practice = make_doctor(clinic, "陈医生")
    sign(clinic, people["head"], practice)
    assert clinic.last_doctor_id() == people["doctor"]
    for resident, expected in ((people["head"], practice.doctor_id),
                               (people["wife"], people["doctor"])):
        assert clinic.default_doctor_id(resident) == expected
        assert clinic.follow_up_draft(resident, "hypertension").doctor_id == expected
        window.open_resident(resident)
        form = window.resident_page.care_tabs.checkups.add()
        assert form is not None and form.doctor_combo.currentData() == expected
        form.reject()
    window.open_resident(people["head"])
    delivery = window.resident_page.care_tabs.box.deliver()
    assert isinstance(delivery, DeliveryDialog)
    assert delivery.doctor_combo.currentData() == practice.doctor_id
    delivery.reject()


def test_delivery_labels_price_and_fund_when_the_cap_is_spent(window: MainWindow, qtbot,
                                                               clinic, people,
                                                               screenshot_dir: Path) -> None:
    # The last 100 元 of the cap goes on a 22.40 delivery: nothing is left afterwards.
    clinic.deliver(people["item"], quantity=5, unit_price_fen=2240, free_fund_fen=10000,
                   patient_fen=1200, delivered_on=D(2026, 11, 2), delivered_by=people["doctor"])
    window.open_resident(people["head"])
    dialog = window.resident_page.care_tabs.box.deliver()
    assert isinstance(dialog, DeliveryDialog)
    qtbot.waitExposed(dialog)
    # No raw "&" on screen: every label with a mnemonic names the box it jumps to.
    for label in dialog.findChildren(QLabel):
        if "&" in label.text():
            assert label.buddy() is not None, label.text()
    insurance_label = next(lb for lb in dialog.findChildren(QLabel)
                           if lb.text() == "医保支付(&I)")
    assert insurance_label.buddy() is dialog.insurance_edit
    assert "剩余 0.00 元" in dialog.balance_label.text()
    assert dialog.price_edit.text() == "22.40"  # the last delivery of this medicine
    assert (dialog.fund_edit.text(), dialog.patient_edit.text()) == ("0.00", "22.40")
    assert dialog.save_button.isEnabled() and "可以保存" in dialog.problem_label.text()
    # With insurance settled, the patient pays only the rest; the fund stays at nothing.
    dialog.quantity.setValue(2)
    _type(qtbot, dialog.insurance_edit, "30")
    dialog.insurance_edit.textEdited.emit("30")
    assert (dialog.fund_edit.text(), dialog.patient_edit.text()) == ("0.00", "14.80")
    dialog.grab().save(str(screenshot_dir / "delivery-cap-spent.png"))
    dialog.accept()
    assert dialog.saved_id is not None
    row = clinic.store.get("deliveries", dialog.saved_id)
    assert (row["unit_price_fen"], row["insurance_fen"], row["free_fund_fen"],
            row["patient_fen"]) == (2240, 3000, 0, 1480)


def test_runs_out_list_puts_those_out_of_medicine_first(app, qtbot, clinic, people,
                                                        qtmodeltester,
                                                        screenshot_dir: Path) -> None:
    """Someone whose medicine ran out 51 days ago stays on the list (they need a call), on
    top and marked, under a title that says the list holds them."""
    box = clinic.open_box(people["wife"], D(2026, 1, 4))
    item = clinic.add_box_item(box, "盐酸二甲双胍片", strength="0.5g×28片", units_per_day=1)
    clinic.deliver(item, quantity=1, unit_price_fen=980, insurance_fen=980,
                   delivered_on=D(2026, 9, 5))  # 28 days: ran out on 10-03
    rows = clinic.runs_out_soon()
    assert [(r["name"], r["supply"]) for r in rows] == [("刘桂兰", "已用完 51 天"),
                                                        ("王建国", "还够 3 天")]
    window = show_window(qtbot, clinic)
    window.ui.navList.setCurrentRow(1)
    lists = window.today.care_lists
    qtbot.waitUntil(lambda: lists.runs_model.rowCount() == 2, timeout=5000)
    assert lists.tabText(1) == "药已用完或快用完（2，已用完 1）"
    model = lists.runs_model
    assert model.data(model.index(0, 3)) == "已用完 51 天"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is None
    qtmodeltester.check(model)
    lists.setCurrentIndex(1)
    window.grab().save(str(screenshot_dir / "today-runs-out-with-ran-out.png"))



def test_delivery_without_insurance_is_questioned_when_it_was_paid_before(
        window: MainWindow, qtbot, clinic, people) -> None:
    clinic.deliver(people["item"], quantity=2, unit_price_fen=2240, insurance_fen=2688,
                   patient_fen=1792, delivered_on=D(2026, 11, 2), delivered_by=people["doctor"])
    window.open_resident(people["head"])
    dialog = window.resident_page.care_tabs.box.deliver()
    qtbot.waitExposed(dialog)
    assert dialog.price_edit.text() == "22.40" and not dialog.insurance_edit.text()
    assert "请核对：医保支付为 0，上次这种药医保支付了 60%" in dialog.problem_label.text()
    assert dialog.save_button.isEnabled()  # a warning, not a refusal: some buys aren't covered
    _type(qtbot, dialog.insurance_edit, "13.44")
    dialog.insurance_edit.textEdited.emit("13.44")
    assert "请核对" not in dialog.problem_label.text()
    dialog.reject()
