"""The 随访 page: a village's follow-up register, filters, record a visit, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from factories import FIXED_TODAY, Village, make_household
from helpers import show_window

from clinic_app.clinic import Clinic
from clinic_app.ui import followup_form
from clinic_app.ui.main_window import MainWindow


@pytest.fixture
def window(app, qtbot, clinic: Clinic, village: Village) -> MainWindow:
    late = make_household(clinic, village.village_id, head="王迟").head_id
    clinic.add_condition(late, "hypertension", dt.date(2020, 1, 1))
    clinic.record_follow_up(late, "hypertension", {"visit_date": "2026-07-01", "sbp": "130",
                                                   "dbp": "80"})
    ok = make_household(clinic, village.village_id, head="李按时").head_id
    clinic.add_condition(ok, "hypertension", dt.date(2020, 1, 1))
    clinic.add_condition(ok, "diabetes", dt.date(2021, 1, 1))
    for day in ("2026-02-10", "2026-05-10", "2026-08-10", "2026-11-10"):
        clinic.record_follow_up(ok, "combined", {"visit_date": day, "sbp": "128", "dbp": "78",
                                                 "fasting_glucose": "6.0"})
    clinic.record_follow_up(ok, "combined", {"visit_date": "2026-11-11", "method": "phone",
                                             "fasting_glucose": "6.1"})
    make_household(clinic, village.village_id, head="赵健康")  # no chronic condition
    return show_window(qtbot, clinic)


def test_register_lists_filters_records_and_exports(window: MainWindow, qtbot, tmp_path: Path,
                                                    monkeypatch, qtmodeltester,
                                                    screenshot_dir: Path) -> None:
    window.ui.navList.setCurrentRow(3)
    page = window.follow_ups
    assert window.ui.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5000)
    qtmodeltester.check(page.model)
    rows = {(r["name"], r["condition"]): r for r in page.model.rows()}
    assert set(rows) == {("王迟", "hypertension"), ("李按时", "hypertension"),
                         ("李按时", "diabetes")}
    late = rows["王迟", "hypertension"]
    assert late["overdue_days"] == (FIXED_TODAY - dt.date(2026, 9, 30)).days
    assert (late["visits_this_year"], late["per_year"]) == (1, 4)
    # Four face-to-face days; the phone call does not count for the yearly number.
    assert rows["李按时", "diabetes"]["visits_this_year"] == 4
    # The phone call measured glucose only: the BP shown is the one measured the day before.
    assert rows["李按时", "hypertension"]["last_bp"] == "128/78"
    assert rows["李按时", "diabetes"]["last_glucose"] == 6.1
    window.grab().save(str(screenshot_dir / "followups-page.png"))

    page.show_combo.setCurrentIndex(page.show_combo.findData("behind"))
    assert [r["name"] for r in page.model.rows()] == ["王迟"]
    page.show_combo.setCurrentIndex(page.show_combo.findData("all"))
    page.condition.setCurrentIndex(page.condition.findData("diabetes"))
    assert [r["name"] for r in page.model.rows()] == ["李按时"]
    page.condition.setCurrentIndex(0)

    out = page.export(str(tmp_path / "名册.xlsx"))
    sheet = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert sheet[0][0].startswith("红星村 随访管理名册（2026-11-23")
    assert sheet[1][0] == "姓名" and len(sheet) == 2 + 3

    names = [r["name"] for r in page.model.rows()]
    page.table.view.selectRow(names.index("王迟"))

    def fake_exec(dialog) -> int:  # the real form, filled as a doctor would
        dialog.fields["sbp"].widget.setText("126")
        dialog.fields["dbp"].widget.setText("78")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(followup_form.FollowUpDialog, "exec", fake_exec)
    assert page.record_visit()
    qtbot.waitUntil(lambda: not any(r["name"] == "王迟" and r["overdue_days"]
                                    for r in page.model.rows()), timeout=5000)
