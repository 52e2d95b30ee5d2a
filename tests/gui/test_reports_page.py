"""统计 page: the 月报's numbers on screen per village and in total, the same numbers in the
Excel export (with its title row), the rates chart, 打印月报 handing the month to the 打印 page,
and a screenshot at 1366×768."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from factories import FIXED_TODAY, open_clinic
from helpers import show_window
from PySide6.QtCore import Qt

from clinic_app import demo
from clinic_app.clinic import Clinic
from clinic_app.domain.models import yuan
from clinic_app.printing import report as monthly
from clinic_app.ui import reports_page
from clinic_app.ui.main_window import NAV_PAGES, MainWindow
from clinic_app.ui.reports_page import ReportsPage

MEDICINE_FEN = 3 * 2150  # one delivery in October: 3 packs at 21.50 元


@pytest.fixture
def township(clinic: Clinic) -> Clinic:
    """A demo township of 1,500 residents, plus one known medicine delivery in October."""
    demo.generate(clinic, 1500)
    resident = clinic.monthly_report_rows(dt.date(2026, 10, 1), dt.date(2026, 10, 31))[
        "residents"][0]["id"]
    box = clinic.open_box(resident, dt.date(2026, 10, 1))
    item = clinic.add_box_item(box, "苯磺酸氨氯地平片", strength="5mg×28片",
                               dose="每日1次，每次1片", condition_code="hypertension",
                               units_per_day=1)
    clinic.deliver(item, quantity=3, unit_price_fen=2150, insurance_fen=3 * 2150,
                   free_fund_fen=0, patient_fen=0, delivered_on=dt.date(2026, 10, 12),
                   receipt_no="SJ1012")
    return clinic


def open_reports(window: MainWindow, qtbot, month: str) -> ReportsPage:
    window.ui.navList.setCurrentRow([key for key, _, _ in NAV_PAGES].index("reports"))
    page = window.pages["reports"]
    assert isinstance(page, ReportsPage) and window.ui.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.task is None and page.report is not None, timeout=15000)
    assert page.report is not None and page.report.month == f"{FIXED_TODAY:%Y-%m}"  # default
    page.month.setCurrentIndex(page.month.findData(month))
    qtbot.waitUntil(lambda: page.task is None and page.report is not None
                    and page.report.month == month, timeout=15000)
    return page


def expected_cells(v: monthly.VillageStats) -> list[str]:
    """What each column must show, straight from the 月报's fields and its rate()."""
    r = monthly.rate
    return [v.village, str(v.residents), str(v.contracted), r(v.contracted, v.residents),
            str(v.patients), str(v.patients_contracted), r(v.patients_contracted, v.patients),
            str(v.due), str(v.due_visited), r(v.due_visited, v.due),
            r(v.bp_controlled, v.bp_measured), r(v.glucose_controlled, v.glucose_measured),
            str(v.checkups_year), r(v.checkup_done, v.checkup_eligible), yuan(v.medicine_fen)]


def test_page_shows_the_months_report_exports_and_prints(
        app, qtbot, qtmodeltester, township: Clinic, tmp_path: Path,
        screenshot_dir: Path) -> None:
    window = show_window(qtbot, township)
    page = open_reports(window, qtbot, "2026-10")
    expected = monthly.compute(township, "2026-10")
    # The demo township has something behind every rate (else equal "—" would prove nothing).
    total = expected.total
    assert len(expected.villages) >= 2
    assert min(total.contracted, total.patients, total.due, total.due_visited, total.bp_measured,
               total.glucose_measured, total.checkups_year) > 0
    assert total.medicine_fen == MEDICINE_FEN

    model = page.model
    shown = [[model.data(model.index(row, col)) for col in range(model.columnCount())]
             for row in range(model.rowCount())]
    assert shown == [expected_cells(v) for v in [*expected.villages, total]]
    assert shown[-1][0] == "合计" and shown[-1][-1] == "64.50"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in (3, 9, 10, 11, 13)] == [
        "签约率", "按时随访率", "血压控制率", "血糖控制率", "体检覆盖率"]
    qtmodeltester.check(model)
    # The 月报's own notes under the table, with the profile's checkups a year.
    assert all(note in page.notes.text() for note in monthly.notes(expected))
    assert "签约率 = 签约人数 ÷ 在册人数" in page.notes.text()
    assert "在册 1500 人" in page.summary.text()
    # Two bars per village, heights the rates.
    signed, on_time = page.chart.bars
    heights = [round(h, 6) for h in signed.opts["height"]]
    assert heights == [round(100 * v.contracted / v.residents, 6) for v in expected.villages]
    assert [round(h, 6) for h in on_time.opts["height"]] == [
        round(100 * v.due_visited / v.due, 6) if v.due else 0 for v in expected.villages]
    window.grab().save(str(screenshot_dir / "reports-page.png"))

    out = page.export(str(tmp_path / "统计.xlsx"))
    assert out is not None
    sheet = openpyxl.load_workbook(out).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "红羊乡 健康扶贫统计 2026年10月" == page.export_title()
    assert rows[1][:15] == [model.headerData(c, Qt.Orientation.Horizontal) for c in range(15)]
    assert rows[1][15:] == ["血压测量人数", "血压达标人数", "血糖测量人数", "血糖达标人数",
                            "应体检人数", "体检达标人数"]
    # Counts, rates and money stay numbers the county can add up: a rate is the fraction
    # (shown as a percentage), the yuan exact from fen; 0 ÷ 0 is —, never a false 0%.
    rate_columns = [c for c in range(15) if str(rows[1][c]).endswith("率")]
    money_column = rows[1].index("本月药费(元)")
    for sheet_row, row in zip(sheet.iter_rows(min_row=3), rows[2:], strict=True):
        for c in rate_columns:
            if row[c] == "—":
                continue
            assert isinstance(row[c], float) and sheet_row[c].number_format == "0.0%"
        assert sheet_row[money_column].number_format == "#,##0.00"
    for shown_row, row in zip(shown, rows[2:], strict=True):
        assert [f"{v * 100:.1f}%" if c in rate_columns and v != "—" else
                (f"{Decimal(str(v)):.2f}" if c == money_column else str(v))
                for c, v in enumerate(row[:15])] == shown_row
    total_row = rows[2 + len(expected.villages)]
    assert Decimal(str(total_row[money_column])) * 100 == total.medicine_fen
    assert rows[2 + len(expected.villages)][15:] == [
        total.bp_measured, total.bp_controlled, total.glucose_measured,
        total.glucose_controlled, total.checkup_eligible, total.checkup_done]
    assert rows[2][1] == expected.villages[0].residents  # counts stay numbers in Excel

    # 打印月报: the 打印 page opens on the 月报 of the month shown, and generates it.
    printing = window.pages["printing"]
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
    assert window.ui.pages.currentWidget() is printing
    qtbot.waitUntil(lambda: printing.task is None and printing.output is not None,
                    timeout=20000)
    assert printing.kind() == "monthly_report"
    assert printing.month.date().toString("yyyy-MM") == "2026-10"
    assert [i.label for i in printing.output.items] == ["2026-10 月报"]
    window.wait_for_tasks()


def test_months_offered_run_from_the_first_record_to_this_month(tmp_path: Path) -> None:
    with open_clinic(tmp_path / "empty.db") as empty:
        assert empty.report_months() == ["2026-11"]  # nothing yet: only this month
    with open_clinic(tmp_path / "demo.db") as clinic:
        demo.generate(clinic, 300)
        months = clinic.report_months()
        first = min(r["visit_date"] for r in clinic.monthly_report_rows(
            dt.date(2026, 11, 1), FIXED_TODAY)["visits"])
        assert months[0] == "2026-11" and months == sorted(months, reverse=True)
        assert months[-1] <= first[:7] and len(set(months)) == len(months)
        # Consecutive months, none skipped.
        for later, earlier in itertools.pairwise(months):
            month_before = dt.date.fromisoformat(later + "-01") - dt.timedelta(days=1)
            assert earlier == f"{month_before:%Y-%m}"

def test_rate_text_matches_the_printed_reports() -> None:
    for part, whole in ((0, 0), (0, 7), (1, 3), (2, 3), (17, 20), (5, 5)):
        assert reports_page.rate(part, whole) == monthly.rate(part, whole)
