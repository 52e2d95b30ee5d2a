"""今日待办 through its widgets: background load, risk order, marks, open, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from factories import Village, make_household
from helpers import show_window
from PySide6.QtCore import Qt

from clinic_app.clinic import Clinic
from clinic_app.ui.main_window import MainWindow


@pytest.fixture
def window(app, qtbot, clinic: Clinic, village: Village) -> MainWindow:
    for name, visit, sbp in (("张急", "2026-11-20", 188), ("李常", "2026-08-26", 128),
                             ("王远", "2026-11-01", 126)):
        family = make_household(clinic, village.village_id, head=name)
        clinic.add_condition(family.head_id, "hypertension", dt.date(2020, 1, 1))
        with clinic.db.atomic():
            clinic.store.insert("follow_ups", {"resident_id": family.head_id,
                                               "form": "hypertension", "visit_date": visit,
                                               "sbp": sbp, "dbp": 88})
    return show_window(qtbot, clinic)


def test_today_lists_urgent_first_marks_and_exports(window: MainWindow, qtbot,
                                                   tmp_path: Path,
                                                   screenshot_dir: Path) -> None:
    window.ui.navList.setCurrentRow(1)
    page = window.today
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert [r["name"] for r in page.model.rows()] == ["张急", "李常"]
    assert page.model.data(page.model.index(0, 0)) == "危急"
    assert "危急或需转诊 1 人" in page.summary.text()
    page.work.view.selectRow(1)
    qtbot.mouseClick(page.mark_buttons["called"], Qt.MouseButton.LeftButton)
    assert page.model.data(page.model.index(1, 10)).endswith("已电话")
    window.grab().save(str(screenshot_dir / "today-page.png"))
    out = page.export(str(tmp_path / "今日待办.xlsx"))
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("风险", "姓名") and rows[1][1] == "张急"
    page.work.view.selectRow(0)
    qtbot.keyClick(page.work.view, Qt.Key.Key_Return)
    assert window.ui.pages.currentWidget() is window.resident_page
    assert window.resident_page.detail.resident.name == "张急"
    window.go_back()
    assert window.ui.pages.currentWidget() is page


def test_work_model_passes_qtmodeltester(window: MainWindow, qtbot, qtmodeltester) -> None:
    window.ui.navList.setCurrentRow(1)
    qtbot.waitUntil(lambda: window.today.model.rowCount() == 2, timeout=5000)
    qtmodeltester.check(window.today.model)
