"""Resident, household and village pages driven through their real widgets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from factories import Village, id_number, make_household
from helpers import show_window, type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from clinic_app.clinic import Clinic
from clinic_app.ui.household_page import AddMemberDialog, MoveInDialog
from clinic_app.ui.main_window import MainWindow


@pytest.fixture
def window(app, qtbot, clinic: Clinic, village: Village) -> MainWindow:
    clinic.set_setting("clinic_name", "兴隆镇卫生院")
    family = make_household(clinic, village.village_id, "6405220010001", head="张三",
                            members=(("李秀英", "配偶", "女"), ("张小明", "之子", "男")))
    clinic.add_condition(family.head_id, "hypertension", dt.date(2018, 6, 1))
    team = clinic.add_team("红星村家庭医生团队", "13800000000", village.village_id)
    doctor = clinic.add_doctor("王建国", phone="13700000001", team_id=team)
    clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                         package_code="chronic", start_on=dt.date(2026, 3, 1))
    make_household(clinic, village.village_id, "6405220010002", head="赵四")
    return show_window(qtbot, clinic)


def open_by_search(window: MainWindow, qtbot, query: str) -> None:
    window.ui.searchEdit.clear()
    qtbot.keyClicks(window.ui.searchEdit, query)
    qtbot.keyClick(window.ui.searchEdit, Qt.Key.Key_Return)
    assert window.ui.pages.currentWidget() is window.resident_page


def test_enter_opens_resident_page_with_records(window: MainWindow, qtbot,
                                               screenshot_dir: Path) -> None:
    open_by_search(window, qtbot, "zs")
    page = window.resident_page
    assert page.title.text().startswith("张三")
    assert "户编号 6405220010001" in page.household_label.text()
    assert "履约中" in page.household_label.text()
    assert page.sections["conditions"].model.row_data(0)["label"] == "高血压"
    assert page.sections["contracts"].model.rowCount() == 1
    panel = page.follow_ups_panel
    assert panel.model.rowCount() == 0 and panel.table.currentWidget() is panel.table.note
    qtbot.wait(50)  # let the scroll area settle before the screenshot
    window.grab().save(str(screenshot_dir / "resident-page.png"))
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert window.ui.pages.currentWidget() is window.register_tabs


def test_fix_a_wrong_id_and_the_error_goes_away(window: MainWindow, qtbot,
                                               screenshot_dir: Path) -> None:
    open_by_search(window, qtbot, "zxm")
    form = window.resident_page.form
    good = id_number(dt.date(1990, 7, 15), "男")
    form.idEdit.clear()
    qtbot.keyClicks(form.idEdit, good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert form.idInfo.text().startswith("✗") and "校验位" in form.idInfo.text()
    window.grab().save(str(screenshot_dir / "resident-wrong-id.png"))
    qtbot.keyClick(form.idEdit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(form.idEdit, good[-1].lower())
    assert form.idInfo.text().startswith("✓ 出生日期 1990-07-15　男")
    assert form.saveButton.isEnabled()
    qtbot.keyClick(form.idEdit, Qt.Key.Key_Return)  # Enter saves
    person = window.clinic.resident(window.resident_page.resident_id)
    assert person.id_number == good and person.birth_date == dt.date(1990, 7, 15)
    assert not form.saveButton.isEnabled()
    assert "身份证号" in window.resident_page.sections["history"].model.row_data(0)["fields"]


def test_bad_phone_is_caught_while_typing(window: MainWindow, qtbot) -> None:
    open_by_search(window, qtbot, "zs")
    form = window.resident_page.form
    form.phoneEdit.clear()
    qtbot.keyClicks(form.phoneEdit, "1391234")
    assert "11位" in form.errorLabel.text()
    qtbot.keyClicks(form.phoneEdit, "5678")
    assert form.errorLabel.text() == ""
    window.resident_page.revert()


def test_duplicate_id_is_refused_with_a_link_to_the_person(window: MainWindow, qtbot,
                                                          answers) -> None:
    zhao = window.clinic.search("赵四")[0]
    zhao_id = window.clinic.resident(zhao["id"]).id_number
    open_by_search(window, qtbot, "zs")
    form = window.resident_page.form
    form.idEdit.clear()
    qtbot.keyClicks(form.idEdit, zhao_id)
    qtbot.mouseClick(form.saveButton, Qt.MouseButton.LeftButton)
    assert "已登记为 赵四" in form.errorLabel.text()
    assert f'href="resident:{zhao["id"]}"' in form.errorLabel.text()
    answers.queue.append(QMessageBox.StandardButton.Discard)  # the typed ID is not kept
    form.errorLabel.linkActivated.emit(f"resident:{zhao['id']}")
    assert answers.asked == ["这个档案有未保存的修改。要保存吗？"]
    assert window.resident_page.resident_id == zhao["id"]


def test_unsaved_edit_is_never_lost_silently(window: MainWindow, qtbot, answers) -> None:
    open_by_search(window, qtbot, "zs")
    page = window.resident_page
    page.form.phoneEdit.clear()
    qtbot.keyClicks(page.form.phoneEdit, "13800001111")
    # Typing a new search keeps the form on screen; Enter asks first.
    window.ui.searchEdit.clear()
    qtbot.keyClicks(window.ui.searchEdit, "zhaosi")
    window.run_search()
    assert window.ui.pages.currentWidget() is page
    answers.queue.append(QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(window.ui.searchEdit, Qt.Key.Key_Return)
    assert window.ui.pages.currentWidget() is page and page.changes()
    # The navigation list asks too; Save keeps the edit and moves on.
    answers.queue.append(QMessageBox.StandardButton.Save)
    window.ui.navList.setCurrentRow(1)
    assert window.clinic.resident(page.resident_id).phone == "13800001111"
    window.wait_for_tasks()
    assert len(answers.asked) == 2


def test_household_page_add_member(window: MainWindow, qtbot,
                                   screenshot_dir: Path) -> None:
    open_by_search(window, qtbot, "zs")
    qtbot.mouseClick(window.resident_page.household_button, Qt.MouseButton.LeftButton)
    page = window.household_page
    assert window.ui.pages.currentWidget() is page
    assert page.model.rowCount() == 3
    assert page.model.row_data(0)["relation"] == "户主"
    window.grab().save(str(screenshot_dir / "household-page.png"))

    dialog = AddMemberDialog(window.clinic, page.household_id, page)
    qtbot.addWidget(dialog)
    type_text(dialog.name_edit, "张小红")
    qtbot.keyClicks(dialog.id_edit, "11010519491231002")
    assert dialog.id_info.text().startswith("✗")
    dialog.id_edit.clear()
    qtbot.keyClicks(dialog.id_edit, id_number(dt.date(2012, 2, 2), "女"))
    assert dialog.id_info.text().startswith("✓")
    dialog.relation.setCurrentIndex(dialog.relation.findData("之孙女"))
    dialog.show()
    dialog.grab().save(str(screenshot_dir / "household-add-member.png"))
    qtbot.keyClick(dialog.id_edit, Qt.Key.Key_Return)  # Enter = 保存
    assert dialog.saved_id is not None
    page.load(page.household_id)
    assert page.model.rowCount() == 4
    added = window.clinic.resident(dialog.saved_id)
    assert (added.name, added.relation, added.sex) == ("张小红", "之孙女", "女")
    assert window.clinic.search("zxh")[0]["name"] == "张小红"


def test_village_lists_filter_sort_export(window: MainWindow, qtbot, qtmodeltester,
                                          tmp_path: Path, screenshot_dir: Path) -> None:
    window.register_tabs.setCurrentWidget(window.villages)
    page = window.villages
    assert page.resident_model.rowCount() == 4
    page.condition.setCurrentIndex(page.condition.findData("hypertension"))
    assert [r["name"] for r in page.resident_model.rows()] == ["张三"]
    page.condition.setCurrentIndex(0)
    page.contract.setCurrentIndex(page.contract.findData("none"))
    assert {r["name"] for r in page.resident_model.rows()} == {"李秀英", "张小明", "赵四"}
    page.contract.setCurrentIndex(0)
    page.residents.view.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # 年龄
    ages = [r["age"] for r in page.resident_model.rows()]
    assert ages == sorted(ages, reverse=True)
    qtmodeltester.check(page.resident_model)
    window.grab().save(str(screenshot_dir / "village-residents.png"))
    out = page.export(str(tmp_path / "红星村.xlsx"))
    assert out is not None
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 6 and rows[1][2] == "姓名"  # under the title row
    assert rows[0][0].startswith("红星村 花名册 导出于")
    page.mode.setCurrentIndex(page.mode.findData("households"))
    assert [r["head_name"] for r in page.household_model.rows()] == ["张三", "赵四"]
    qtmodeltester.check(page.household_model)
    window.grab().save(str(screenshot_dir / "village-households.png"))
    out = page.export(str(tmp_path / "红星村户.xlsx"))
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("红星村 户名单 导出于") and rows[0][0].endswith("共2户")
    assert rows[2][0] == "6405220010001" and rows[2][2] == "张三" and rows[2][4] == 3


def test_move_in_needs_a_relation_and_enter_moves_nobody(window: MainWindow, qtbot,
                                                         answers) -> None:
    zhao = window.clinic.search("赵四")[0]
    zhang = window.clinic.search("张三")[0]
    dialog = MoveInDialog(window.clinic, zhang["household_id"], window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.search, "zhaosi")
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)  # focuses the results, moves nobody
    assert window.clinic.resident(zhao["id"]).household_id == zhao["household_id"]
    assert dialog.relation.currentData() is None
    dialog.save()
    assert "关系" in dialog.error.text()
    dialog.relation.setCurrentIndex(dialog.relation.findData("户主"))
    answers.queue.append(QMessageBox.StandardButton.No)  # "本户已有户主" → no
    dialog.save()
    assert window.clinic.resident(zhao["id"]).household_id == zhao["household_id"]
    dialog.relation.setCurrentIndex(dialog.relation.findData("之女婿"))
    dialog.save()
    moved = window.clinic.resident(zhao["id"])
    assert (moved.household_id, moved.relation) == (zhang["household_id"], "之女婿")
    assert "没有户主" in dialog.warnings[0]  # 赵四 was the head of his old household


def test_newborn_without_id_gets_sex_and_birth_date(window: MainWindow, qtbot) -> None:
    zhang = window.clinic.search("张三")[0]
    dialog = AddMemberDialog(window.clinic, zhang["household_id"], window)
    qtbot.addWidget(dialog)
    assert dialog.sex.isEnabled() and "新生儿" in dialog.id_info.text()
    type_text(dialog.name_edit, "张宝宝")
    dialog.sex.setCurrentIndex(dialog.sex.findData("女"))
    qtbot.keyClicks(dialog.birth, "2026-05-01")
    dialog.relation.setCurrentIndex(dialog.relation.findData("之孙女"))
    dialog.save()
    baby = window.clinic.resident(dialog.saved_id)
    assert (baby.sex, baby.birth_date, baby.id_number) == ("女", dt.date(2026, 5, 1), None)
    window.open_resident(baby.id)
    page = window.resident_page
    assert "0岁" in page.title.text() and page.form.birthEdit.isEnabled()
    page.form.birthEdit.clear()
    qtbot.keyClicks(page.form.birthEdit, "2026-13-01")
    assert "出生日期" in page.form.errorLabel.text()
    page.form.birthEdit.clear()
    qtbot.keyClicks(page.form.birthEdit, "2026-04-30")
    assert page.save()
    assert window.clinic.resident(baby.id).birth_date == dt.date(2026, 4, 30)
    # Once an ID is typed, sex and birth date follow it and cannot be typed over.
    qtbot.keyClicks(page.form.idEdit, id_number(dt.date(2026, 4, 30), "女"))
    assert not page.form.birthEdit.isEnabled() and page.form.birthEdit.text() == "2026-04-30"
    assert page.save()


def test_household_buttons_explain_when_nobody_is_selected(window: MainWindow, qtbot) -> None:
    zhang = window.clinic.search("张三")[0]
    window.open_household(zhang["household_id"])
    page = window.household_page
    messages: list[str] = []
    page.changed.connect(messages.append)
    qtbot.mouseClick(page.buttons["end"], Qt.MouseButton.LeftButton)
    assert messages == ["请先在列表中点选一位成员"]
    assert window.clinic.resident(zhang["id"]).status == "active"


def test_closing_the_window_asks_about_unsaved_edits(window: MainWindow, qtbot,
                                                     answers) -> None:
    open_by_search(window, qtbot, "zs")
    page = window.resident_page
    type_text(page.form.notesEdit, "家属电话13900001111")
    answers.queue.append(QMessageBox.StandardButton.Cancel)
    assert not window.close()  # Cancel: the window stays, with the edit
    assert window.isVisible() and page.changes()
    answers.queue.append(QMessageBox.StandardButton.Save)
    assert window.close()
    assert window.clinic.resident(page.resident_id).notes == "家属电话13900001111"
    assert len(answers.asked) == 2
