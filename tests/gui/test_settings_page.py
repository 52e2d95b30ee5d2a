"""设置: choose the profile, read every rule with its citation, compare two places."""

from __future__ import annotations

from pathlib import Path

from helpers import show_window

from clinic_app.clinic import Clinic


def test_choose_profile_and_read_rules(app, qtbot, clinic: Clinic,
                                       screenshot_dir: Path) -> None:
    window = show_window(qtbot, clinic)
    window.ui.navList.setCurrentRow(9)
    page = window.settings
    assert window.ui.pages.currentWidget() is page
    page.clinic_name.setText("新宾镇卫生院")
    page.profile.setCurrentIndex(page.profile.findData("xinbin"))
    page.save()
    assert clinic.profile.id == "xinbin"
    assert window.status_labels["clinic"].text() == "本院：新宾镇卫生院"

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
    window.ui.navList.setCurrentRow(9)
    page.tabs.setCurrentWidget(page.diff_tab)
    window.grab().save(str(screenshot_dir / "settings-diff.png"))
