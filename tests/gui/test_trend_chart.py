"""The BP/glucose trend on the resident page: lines, limits by age, clickable dots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from factories import Village, make_household

from clinic_app.clinic import Clinic
from clinic_app.ui.main_window import MainWindow


def test_trend_chart_shows_visits_and_limits(app, qtbot, clinic: Clinic,
                                             village: Village, screenshot_dir: Path) -> None:
    family = make_household(clinic, village.village_id, head="张三")  # born 1960: 66, ≥ 65
    clinic.add_condition(family.head_id, "hypertension", dt.date(2019, 1, 1))
    clinic.add_condition(family.head_id, "diabetes", dt.date(2021, 1, 1))
    with clinic.db.atomic():
        for day, sbp, dbp, glucose in (("2026-02-01", 162, 96, 8.1), ("2026-02-15", 150, 92, 7.4),
                                       ("2026-05-10", 138, 84, 6.6), ("2026-08-09", 132, 80, 6.2),
                                       ("2026-11-08", 129, 78, 6.0)):
            clinic.store.insert("follow_ups", {
                "resident_id": family.head_id, "form": "combined", "visit_date": day,
                "sbp": sbp, "dbp": dbp, "fasting_glucose": glucose,
                "classification": "controlled" if sbp < 150 and glucose < 7 else "uncontrolled"})
    window = MainWindow(clinic)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.open_resident(family.head_id)
    page = window.resident_page
    page.tabs.setCurrentWidget(page.chart)
    chart = page.chart
    assert chart.bp_plot.isVisible() and chart.glucose_plot.isVisible()
    assert not chart.empty.isVisible()
    assert len(chart.series) == 5
    limits = sorted(item.value() for item in chart.bp_plot.items()
                    if type(item).__name__ == "InfiniteLine")
    assert limits == [90, 150]  # 66 years old: the elderly systolic limit
    chart.show_visit(chart.series[1]["id"])
    assert chart.info.text().startswith("2026-02-15　血压 150/92 mmHg　空腹血糖 7.4")
    window.grab().save(str(screenshot_dir / "resident-trend.png"))


def test_trend_chart_explains_when_empty(app, qtbot, clinic: Clinic,
                                         village: Village) -> None:
    family = make_household(clinic, village.village_id, head="李四")
    window = MainWindow(clinic)
    qtbot.addWidget(window)
    window.show()
    window.open_resident(family.head_id)
    page = window.resident_page
    page.tabs.setCurrentWidget(page.chart)
    assert page.chart.empty.isVisible() and not page.chart.bp_plot.isVisible()
    assert "还没有测量过血压或血糖" in page.chart.empty.text()
