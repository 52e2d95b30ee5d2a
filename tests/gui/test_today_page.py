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
    for name, visit, sbp, phone in (("张急", "2026-11-20", 188, "13912345678"),
                                    ("李常", "2026-08-26", 128, ""),
                                    ("王远", "2026-11-01", 126, "13912345679")):
        family = make_household(clinic, village.village_id, head=name, phone=phone)
        if not phone:  # no phone of his own: the household's is shown
            with clinic.db.atomic():
                clinic.store.update("households", family.household_id, {"phone": "0955-7654321"})
        clinic.add_condition(family.head_id, "hypertension", dt.date(2020, 1, 1))
        with clinic.db.atomic():
            clinic.store.insert("follow_ups", {"resident_id": family.head_id,
                                               "form": "hypertension", "visit_date": visit,
                                               "sbp": sbp, "dbp": 88})
    return show_window(qtbot, clinic)


def _column(page, title: str) -> int:
    titles = [page.model.headerData(c, Qt.Orientation.Horizontal)
              for c in range(page.model.columnCount())]
    return titles.index(title)


def test_today_lists_urgent_first_marks_and_exports(window: MainWindow, qtbot,
                                                   tmp_path: Path,
                                                   screenshot_dir: Path) -> None:
    window.resize(1366, 768)
    window.ui.navList.setCurrentRow(1)
    page = window.today
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert [r["name"] for r in page.model.rows()] == ["张急", "李常"]
    assert page.model.data(page.model.index(0, 0)) == "危急"
    reason = _column(page, "原因")
    assert page.model.data(page.model.index(0, reason)).startswith("危急情况，紧急转诊")
    assert page.model.data(page.model.index(1, reason)) == "控制满意，91天后常规随访"
    assert page.model.data(page.model.index(1, _column(page, "电话"))) == "0955-7654321"
    assert "危急或需转诊 1 人" in page.summary.text()
    contact = _column(page, "联系情况")
    page.work.view.selectRow(1)
    qtbot.mouseClick(page.mark_buttons["called"], Qt.MouseButton.LeftButton)
    assert page.model.data(page.model.index(1, contact)).endswith("已电话")
    # The same mark again the same day adds nothing; another one changes today's mark.
    qtbot.mouseClick(page.mark_buttons["called"], Qt.MouseButton.LeftButton)
    assert "未重复记录" in window.statusBar().currentMessage()
    qtbot.mouseClick(page.mark_buttons["unreachable"], Qt.MouseButton.LeftButton)
    assert "改为“联系不上”" in window.statusBar().currentMessage()
    assert page.model.data(page.model.index(1, contact)).endswith("联系不上")
    marks = window.clinic.store.rows("SELECT outcome FROM contact_attempts WHERE deleted = 0")
    assert [m["outcome"] for m in marks] == ["unreachable"]
    page.work.view.selectRow(0)
    window.grab().save(str(screenshot_dir / "today-page.png"))
    out = page.export(str(tmp_path / "今日待办.xlsx"))
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("全部村 今日待办（2026-11-23，") and "政策配置：" in rows[0][0]
    assert rows[1][:3] == ("风险", "原因", "姓名") and rows[2][2] == "张急"
    assert rows[3][rows[1].index("电话")] == "0955-7654321"
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


def test_record_a_visit_from_the_list(window: MainWindow, qtbot, monkeypatch) -> None:
    """记录随访 opens the due patient's form; once saved the list is computed again."""
    from clinic_app.ui import followup_form

    window.ui.navList.setCurrentRow(1)
    page = window.today
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    page.work.view.selectRow(1)  # 李常, routine and due
    opened: list[tuple[str, str]] = []

    def fake_exec(dialog) -> int:  # fill the real form as a doctor would, then save
        opened.append((dialog.person.name, dialog.form))
        dialog.fields["sbp"].widget.setText("128")
        dialog.fields["dbp"].widget.setText("80")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(followup_form.FollowUpDialog, "exec", fake_exec)
    assert page.record_visit()
    assert opened == [("李常", "hypertension")]
    qtbot.waitUntil(lambda: [r["name"] for r in page.model.rows()] == ["张急"], timeout=5000)
    assert "已保存 李常 的随访" in window.statusBar().currentMessage()
