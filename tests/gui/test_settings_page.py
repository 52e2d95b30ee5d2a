"""设置: choose the profile, read every rule with its citation, compare two places, and copy a
profile to a local one and edit its rules (本地方案) with validation on the spot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import show_window, type_text
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont

from clinic_app.clinic import Clinic
from clinic_app.ui.main_window import NAV_PAGES

SETTINGS_ROW = [key for key, _, _ in NAV_PAGES].index("settings")

CITE = "本地调整：乡镇卫生院会议纪要2026-03"
NAME = "中卫市 2018（兴隆镇调整）"


def test_choose_profile_and_read_rules(app, qtbot, clinic: Clinic,
                                       screenshot_dir: Path) -> None:
    window = show_window(qtbot, clinic)
    window.ui.navList.setCurrentRow(SETTINGS_ROW)
    page = window.settings
    assert window.ui.pages.currentWidget() is page
    page.clinic_name.setText("新宾镇卫生院")
    page.township_name.setText("新宾镇")
    page.profile.setCurrentIndex(page.profile.findData("xinbin"))
    page.save()
    assert clinic.profile.id == "xinbin"
    assert clinic.setting("township_name") == "新宾镇"
    assert window.status_labels["clinic"].text() == "本院：新宾镇卫生院"
    # Saved as synced rows (in the change log), not in this PC's meta.
    assert clinic.store.meta("profile_id") is None
    assert {h["key"] for h in clinic.settings_history()} == {
        "clinic_name", "township_name", "profile_id"}
    page.clinic_name.setText("新宾镇中心卫生院")
    page.profile.setCurrentIndex(page.profile.findData("zhongwei"))
    page.save()
    history = page.history_model.rows()
    assert [(r["key"], r["old_text"], r["new_text"]) for r in history[:2]] == [
        ("profile_id", "新宾满族自治县 2018（xinbin）", "中卫市 2018（zhongwei）"),
        ("clinic_name", "新宾镇卫生院", "新宾镇中心卫生院")]  # newest first
    assert len(history) == 5 and history[0]["user"] == "测试员"
    page.tabs.setCurrentWidget(page.history_tab)
    window.grab().save(str(screenshot_dir / "settings-history.png"))
    page.tabs.setCurrentIndex(0)

    page.view_profile.setCurrentIndex(page.view_profile.findData("xinbin"))
    rows = {r["spec"].key: r for r in page.rules_model.rows()}
    subsidy = rows["contract.subsidy_fen"]
    assert page.rules_model.data(page.rules_model.index(
        page.rules_model.rows().index(subsidy), 2)) == "8 元"
    assert subsidy["item"].cite.startswith("001 ")
    inherited = rows["bp.controlled_sbp"]
    assert page.rules_model.data(page.rules_model.index(
        page.rules_model.rows().index(inherited), 3)) == "继承国家默认"
    window.grab().save(str(screenshot_dir / "settings-rules.png"))


def test_policy_differences_side_by_side(app, qtbot, clinic: Clinic,
                                         screenshot_dir: Path) -> None:
    window = show_window(qtbot, clinic)
    page = window.settings
    page.left.setCurrentIndex(page.left.findData("national"))
    page.right.setCurrentIndex(page.right.findData("zhongwei"))
    labels = {r.spec.label: (r.left.value if r.left else None, r.right.value if r.right
                             else None) for r in page.diff_model.rows()}
    assert labels["高血压每年面对面随访次数"] == (4, 6)
    assert all(not r.same for r in page.diff_model.rows())
    page.only_diff.setChecked(False)
    assert any(r.same for r in page.diff_model.rows())
    page.only_diff.setChecked(True)
    window.ui.navList.setCurrentRow(SETTINGS_ROW)
    page.tabs.setCurrentWidget(page.diff_tab)
    window.grab().save(str(screenshot_dir / "settings-diff.png"))


def _row_of(editor, key: str) -> int:
    return next(i for i, r in enumerate(editor.model.rows()) if r["id"] == key)


def test_copy_and_edit_a_rule_through_the_settings_page(app, qtbot, clinic: Clinic,
                                                        screenshot_dir: Path) -> None:
    window = show_window(qtbot, clinic)
    window.ui.navList.setCurrentRow(SETTINGS_ROW)
    page = window.settings
    editor = page.editor
    assert editor.model.rowCount() == 0 and editor.rules.currentWidget() is editor.rules.note

    # 规则与出处 → 复制为本地方案: name it in the dialog.
    page.view_profile.setCurrentIndex(page.view_profile.findData("zhongwei"))
    page.findChild(type(page.editor.copy_button), "copyViewed").click()
    dialog = editor.copy_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.textValue() == "中卫市 2018（本地调整）"
    dialog.grab().save(str(screenshot_dir / "settings-copy-dialog.png"))
    dialog.setTextValue(NAME)
    dialog.accept()
    (info,) = clinic.local_profiles()
    assert info.name == NAME and info.base == "zhongwei"
    assert editor.profile_choice.currentData() == info.id
    assert page.profile.findData(info.id) >= 0  # can now be chosen for the clinic
    assert "【本地】" in page.view_profile.itemText(page.view_profile.findData(info.id))
    assert "复制自 中卫市 2018" in editor.info.text()
    assert all(not r["changed"] for r in editor.model.rows())
    # The copy's first version is the original's rules: changing it would re-judge old visits.
    editor.select_rule("followup.per_year.hypertension")
    assert not editor.line_value.isEnabled() and not editor.save_button.isEnabled()
    assert "请先点“新增版本”" in editor.message.text()
    window.grab().save(str(screenshot_dir / "settings-local-copied.png"))

    # A new version from 2026-07-01, so visits before it keep 中卫's 6 a year.
    version_dialog = editor.ask_version()
    assert version_dialog is not None
    version_dialog.valid_from.setDate(QDate(2015, 1, 1))
    version_dialog.note.setText("x")
    version_dialog.accept()
    assert version_dialog.isVisible() and "应晚于第一个版本" in version_dialog.problem.text()
    version_dialog.valid_from.setDate(QDate(2026, 7, 1))
    assert version_dialog.problem.text() == ""  # the complaint goes with the bad date
    version_dialog.note.clear()
    type_text(version_dialog.note, CITE)
    version_dialog.grab().save(str(screenshot_dir / "settings-version-dialog.png"))
    version_dialog.accept()
    assert editor.version().valid_from == dt.date(2026, 7, 1)

    # Pick the rule with the keyboard path: select it, Enter jumps to the value.
    key = "followup.per_year.hypertension"
    window.activateWindow()  # the dialogs had it
    qtbot.waitUntil(window.isActiveWindow)
    editor.table.setFocus()
    editor.select_rule(key)
    assert editor.rule_title.text() == "高血压每年面对面随访次数"
    assert editor.line_value.text() == "6"
    qtbot.keyClick(editor.table, Qt.Key.Key_Return)
    assert editor.line_value.hasFocus()
    qtbot.keyClicks(editor.line_value, "abc")
    assert "应为非负整数" in editor.message.text() and "abc" in editor.message.text()
    assert not editor.save_button.isEnabled()
    window.grab().save(str(screenshot_dir / "settings-local-invalid.png"))
    editor.line_value.selectAll()
    qtbot.keyClicks(editor.line_value, "0")
    assert "应在 1–12 次/年之间，现在是 0 次/年" in editor.message.text()
    editor.line_value.selectAll()
    qtbot.keyClicks(editor.line_value, "4")
    assert "请写明依据" in editor.message.text()  # a change needs its source
    assert not editor.save_button.isEnabled()
    qtbot.keyClick(editor.line_value, Qt.Key.Key_Return)  # → citation
    assert editor.cite.hasFocus()
    type_text(editor.cite, CITE)
    assert editor.message.text() == "将保存为：4次/年"
    assert editor.save_button.isEnabled()
    qtbot.keyClick(editor.cite, Qt.Key.Key_Return)  # saves, back to the table
    assert editor.table.hasFocus()

    profile = clinic.library.get(info.id)
    assert profile.value(key, dt.date(2026, 6, 30)) == 6
    assert profile.value(key, dt.date(2026, 7, 1)) == 4
    assert profile.rule(key, dt.date(2026, 7, 1)).cite == CITE
    row = _row_of(editor, key)
    assert editor.model.data(editor.model.index(row, 2)) == "4次/年"
    assert editor.model.data(editor.model.index(row, 3)) == "本版本修改"
    font = editor.model.data(editor.model.index(row, 1), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    other = _row_of(editor, "followup.per_year.diabetes")
    assert editor.model.data(editor.model.index(other, 3)) == "继承 中卫市 2018"
    assert editor.clear_button.isEnabled()  # this version's own change can be undone
    assert [h["op"] for h in clinic.profile_history(info.id)] == ["insert", "update", "update"]

    # Money is typed in 元; a bad amount is named before saving.
    editor.select_rule("medicine.free_cap_fen")
    editor.line_value.clear()
    qtbot.keyClicks(editor.line_value, "1000.005")
    assert "金额最多精确到分" in editor.message.text()
    editor.line_value.clear()
    qtbot.keyClicks(editor.line_value, "1000")
    type_text(editor.cite, CITE)
    assert editor.message.text() == "将保存为：1,000 元"
    assert editor.save_rule()
    assert clinic.library.get(info.id).value("medicine.free_cap_fen") == 100000

    # Esc drops what was typed.
    editor.select_rule(key)
    editor.line_value.setFocus()
    qtbot.keyClicks(editor.line_value, "9")
    qtbot.keyClick(editor.line_value, Qt.Key.Key_Escape)
    assert editor.line_value.text() == "4" and editor.table.hasFocus()

    editor.select_rule(key)
    page.tabs.setCurrentWidget(editor)
    window.grab().save(str(screenshot_dir / "settings-local-editor.png"))

    # The earlier version still shows 中卫's rule.
    editor.version_choice.setCurrentIndex(0)
    row = _row_of(editor, key)
    assert editor.model.data(editor.model.index(row, 2)) == "6次/年"
    assert editor.model.data(editor.model.index(row, 3)) == "继承 中卫市 2018"

    # 与原配置比较: the 政策差异 view lists exactly the changes.
    editor.compare_button.click()
    assert page.tabs.currentWidget() is page.diff_tab
    assert (page.left.currentData(), page.right.currentData()) == ("zhongwei", info.id)
    diff = {r.spec.key: r for r in page.diff_model.rows()}
    assert set(diff) == {key, "medicine.free_cap_fen"}
    assert (diff[key].left.value, diff[key].right.value) == (6, 4)
    assert diff[key].right.cite == CITE
    window.grab().save(str(screenshot_dir / "settings-local-diff.png"))

    # Choose it for the clinic: the schedule and the cards read it through clinic.profile.
    page.clinic_name.setText("兴隆镇卫生院")
    page.profile.setCurrentIndex(page.profile.findData(info.id))
    page.save()
    assert clinic.profile.id == info.id


def test_multiline_and_yes_no_rules(app, qtbot, clinic: Clinic, screenshot_dir: Path) -> None:
    local = clinic.copy_profile("guyang", "固阳 本地")
    clinic.add_policy_version(local, dt.date(2026, 1, 1), CITE)
    window = show_window(qtbot, clinic)
    window.ui.navList.setCurrentRow(SETTINGS_ROW)
    page = window.settings
    editor = page.editor
    editor.reload(select=local)
    page.tabs.setCurrentWidget(editor)
    editor.select_rule("card.contact.policy_lines")
    assert editor.value_stack.currentWidget() is editor.text_value
    assert editor.text_value.toPlainText().count("\n") >= 1  # one line per item
    editor.text_value.setFocus()
    editor.text_value.selectAll()
    type_text(editor.text_value, "第一条\n第二条")
    type_text(editor.cite, CITE)
    editor.text_value.setFocus()
    qtbot.keyClick(editor.text_value, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert clinic.library.get(local).value("card.contact.policy_lines") == ("第一条", "第二条")
    window.grab().save(str(screenshot_dir / "settings-local-lines.png"))

    editor.select_rule("medicine.box_enabled")
    assert editor.value_stack.currentWidget() is editor.bool_value
    assert editor.bool_value.currentText() == "是"  # 固阳 runs medicine boxes
    editor.bool_value.setCurrentIndex(editor.bool_value.findText("否"))
    type_text(editor.cite, CITE)
    assert editor.save_rule()
    assert clinic.library.get(local).value("medicine.box_enabled") is False
    editor.clear_rule()
    assert clinic.library.get(local).value("medicine.box_enabled") is True


def test_editor_shows_the_range_and_contradictions_on_the_spot(app, qtbot, clinic: Clinic,
                                                                screenshot_dir: Path) -> None:
    """Policy review: every numeric rule shows its plausible range; a value in range that
    contradicts an inherited rule is refused before 保存, naming both rules."""
    local = clinic.copy_profile("national", "国家 本地")
    clinic.add_policy_version(local, dt.date(2026, 1, 1), CITE)
    before = clinic.store.rows("SELECT toml FROM local_profiles")
    window = show_window(qtbot, clinic)
    nav = window.ui.navList
    nav.setCurrentRow(next(i for i in range(nav.count()) if nav.item(i).text() == "设置"))
    page = window.settings
    assert window.ui.pages.currentWidget() is page
    editor = page.editor
    editor.reload(select=local)
    page.tabs.setCurrentWidget(editor)
    editor.select_rule("contract.term_months")
    assert "应在 1–60 个月之间" in editor.hint.text()
    editor.select_rule("glucose.emergency_low")
    assert "应在 2.8–5 mmol/L之间" in editor.hint.text()
    type_text(editor.cite, CITE)
    editor.line_value.setFocus()
    editor.line_value.selectAll()
    qtbot.keyClicks(editor.line_value, "50")
    assert "应在 2.8–5 mmol/L之间，现在是 50 mmol/L" in editor.message.text()
    editor.select_rule("bp.elderly_controlled_sbp")
    type_text(editor.cite, CITE)
    editor.line_value.setFocus()
    editor.line_value.selectAll()
    qtbot.keyClicks(editor.line_value, "130")  # stricter than the general 140: a slip
    message = editor.message.text()
    assert "bp.controlled_sbp" in message and "bp.elderly_controlled_sbp" in message
    assert "继承自 国家默认" in message and "老年人的标准不应比一般标准更严" in message
    assert not editor.save_button.isEnabled()
    qtbot.wait(50)  # let the panel re-lay out around the longer message
    window.grab().save(str(screenshot_dir / "settings-local-contradiction.png"))
    qtbot.keyClick(editor.line_value, Qt.Key.Key_Return)  # Enter does not save it either
    assert clinic.store.rows("SELECT toml FROM local_profiles") == before
    editor.line_value.selectAll()
    qtbot.keyClicks(editor.line_value, "145")
    assert editor.message.text() == "将保存为：145mmHg" and editor.save_button.isEnabled()


def test_retire_a_local_profile(app, qtbot, clinic: Clinic) -> None:
    local = clinic.copy_profile("xinbin", "新宾 本地")
    window = show_window(qtbot, clinic)
    page = window.settings
    editor = page.editor
    editor.reload(select=local)
    dialog = editor.ask_retire()
    assert dialog is not None
    dialog.setTextValue("合并到县方案")
    dialog.accept()
    info = clinic.local_profile_info(local)
    assert info is not None and info.retired
    assert "已停用" in editor.profile_choice.currentText()
    assert "已于 2026-11-23 停用（合并到县方案）" in editor.info.text()
    assert page.profile.findData(local) < 0  # no longer offered for the clinic
    assert page.view_profile.findData(local) >= 0  # still readable
    editor.select_rule("checkup.cost_fen")
    assert not editor.line_value.isEnabled() and not editor.save_button.isEnabled()
    assert not editor.version_button.isEnabled()


def test_models_pass_qtmodeltester(app, qtbot, qtmodeltester, clinic: Clinic) -> None:
    local = clinic.copy_profile("zhongwei", NAME)
    clinic.set_policy_rule(local, "followup.per_year.hypertension", "4", CITE,
                           dt.date(2026, 7, 1))
    window = show_window(qtbot, clinic)
    page = window.settings
    page.editor.reload(select=local)
    qtmodeltester.check(page.editor.model)
    qtmodeltester.check(page.rules_model)
    page.show_comparison("zhongwei", local)
    qtmodeltester.check(page.diff_model)
    page.clinic_name.setText("兴隆镇卫生院")
    page.save()
    assert page.history_model.rowCount() == 3
    qtmodeltester.check(page.history_model)


def test_local_editor_fits_a_small_screen(app, qtbot, clinic: Clinic,
                                          screenshot_dir: Path) -> None:
    """1366×768 at 125% scaling leaves about 1092×582 logical pixels for the window."""
    local = clinic.copy_profile("zhongwei", NAME)
    clinic.set_policy_rule(local, "card.contact.policy_lines", "第一条\n第二条", CITE,
                           dt.date(2026, 7, 1))
    window = show_window(qtbot, clinic)
    window.ui.navList.setCurrentRow(SETTINGS_ROW)
    page = window.settings
    page.editor.reload(select=local)
    page.tabs.setCurrentWidget(page.editor)
    page.editor.select_rule("card.contact.policy_lines")
    window.resize(1092, 582)
    qtbot.wait(10)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1092 and hint.height() <= 582, hint
    assert page.editor.save_button.isVisible()
    window.grab().save(str(screenshot_dir / "settings-local-editor-1092x582.png"))
