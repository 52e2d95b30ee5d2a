"""The follow-up rules, each test named for the rule (R1–R9 in domain/schedule.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic_app.domain.policy import PolicyLibrary, load_library
from clinic_app.domain.schedule import (
    RISK_EMERGENCY,
    RISK_REFERRAL,
    RISK_ROUTINE,
    RISK_UNCONTROLLED,
    Visit,
    assess,
    due_dates,
    interval_days,
)

D = dt.date
BORN_1970 = D(1970, 1, 1)  # 56 on the visit dates below
BORN_1950 = D(1950, 1, 1)  # 76: the elderly BP threshold applies


@pytest.fixture(scope="module")
def library() -> PolicyLibrary:
    return load_library()


def htn(day: D, sbp: int, dbp: int, **kw) -> Visit:
    return Visit(day, "hypertension", sbp=sbp, dbp=dbp, **kw)


def test_r1_four_a_year_nationally_six_under_zhongwei(library: PolicyLibrary) -> None:
    national, zhongwei = library.get("national"), library.get("zhongwei")
    on = D(2026, 3, 1)
    assert interval_days(national, "hypertension", on) == 91
    assert interval_days(zhongwei, "hypertension", on) == 61
    visit = htn(on, 128, 80)
    assert assess(national, visit, None, BORN_1970).next_on == on + dt.timedelta(days=91)
    assert assess(zhongwei, visit, None, BORN_1970).next_on == on + dt.timedelta(days=61)


def test_r1_same_patient_scheduled_four_or_six_times_a_year(library: PolicyLibrary) -> None:
    """A controlled patient seen on every due date: 4 visits a year, or 6 under 中卫."""
    for profile_id, expected in (("national", 4), ("zhongwei", 6)):
        profile = library.get(profile_id)
        day, visits = D(2026, 1, 5), []
        while day.year == 2026:
            visits.insert(0, htn(day, 126, 78))
            (due,) = due_dates(profile, {"hypertension": D(2015, 1, 1)}, visits, BORN_1970,
                               D(2020, 1, 1))
            day = due.due_on
        assert len(visits) == expected, profile_id


def test_r1_profile_version_in_force_on_the_visit_date(library: PolicyLibrary) -> None:
    zhongwei = library.get("zhongwei")  # 6 a year from 2018-08-14
    assert interval_days(zhongwei, "hypertension", D(2018, 5, 1)) == 61  # earliest version
    assert zhongwei.rule("followup.per_year.hypertension", D(2018, 9, 1)).value == 6


@pytest.mark.parametrize(("sbp", "dbp", "born", "controlled"), [
    (139, 89, BORN_1970, True),
    (140, 80, BORN_1970, False),  # SBP < 140 is required
    (130, 90, BORN_1970, False),  # DBP < 90 is required
    (149, 85, BORN_1950, True),  # age ≥ 65: SBP < 150
    (150, 85, BORN_1950, False),
    (149, 85, D(1961, 12, 1), False),  # 64 on 2026-03-01, 65 only in December: 140 applies
])
def test_r2_bp_control_thresholds(library: PolicyLibrary, sbp: int, dbp: int, born: D,
                                  controlled: bool) -> None:
    result = assess(library.get("national"), htn(D(2026, 3, 1), sbp, dbp), None, born)
    assert (result.classification == "controlled") is controlled


def test_r2_diabetes_control_is_fasting_glucose_below_7(library: PolicyLibrary) -> None:
    national = library.get("national")
    ok = Visit(D(2026, 3, 1), "diabetes", fasting_glucose=6.9)
    high = Visit(D(2026, 3, 1), "diabetes", fasting_glucose=7.0)
    assert assess(national, ok, None, BORN_1970).classification == "controlled"
    assert assess(national, high, None, BORN_1970).classification == "uncontrolled"
    both = Visit(D(2026, 3, 1), "combined", sbp=128, dbp=80, fasting_glucose=7.4)
    assert assess(national, both, None, BORN_1970).classification == "uncontrolled"


@pytest.mark.parametrize(("visit", "sign"), [
    (htn(D(2026, 3, 1), 180, 95), "收缩压 180"),
    (htn(D(2026, 3, 1), 150, 110), "舒张压 110"),
    (Visit(D(2026, 3, 1), "diabetes", fasting_glucose=16.7), "血糖 16.7 ≥"),
    (Visit(D(2026, 3, 1), "diabetes", fasting_glucose=3.9), "血糖 3.9 ≤"),
])
def test_r3_emergency_signs_refer_urgently(library: PolicyLibrary, visit: Visit,
                                           sign: str) -> None:
    result = assess(library.get("national"), visit, None, BORN_1970)
    assert result.emergency and result.referral
    assert any(sign in reason for reason in result.reasons)
    assert result.next_on == D(2026, 3, 15)


def test_r4_first_uncontrolled_rechecks_in_two_weeks(library: PolicyLibrary) -> None:
    previous = htn(D(2025, 12, 1), 130, 80, classification="controlled")
    result = assess(library.get("national"), htn(D(2026, 3, 1), 156, 92), previous, BORN_1970)
    assert (result.classification, result.referral) == ("uncontrolled", False)
    assert result.next_on == D(2026, 3, 15)


def test_r5_twice_uncontrolled_refers(library: PolicyLibrary) -> None:
    previous = htn(D(2026, 2, 15), 156, 92, classification="uncontrolled")
    result = assess(library.get("national"), htn(D(2026, 3, 1), 152, 91), previous, BORN_1970)
    assert result.referral and not result.emergency
    assert result.next_on == D(2026, 3, 15)


def test_r5_new_complication_refers(library: PolicyLibrary) -> None:
    visit = htn(D(2026, 3, 1), 130, 80, data={"new_complication": True})
    result = assess(library.get("national"), visit, None, BORN_1970)
    assert result.classification == "complication" and result.referral


def test_r6_tuberculosis_intensive_then_continuation(library: PolicyLibrary) -> None:
    national = library.get("national")
    diagnosed = D(2026, 1, 1)
    early = Visit(D(2026, 1, 20), "tuberculosis")
    (due,) = due_dates(national, {"tuberculosis": diagnosed}, [early], None, diagnosed)
    assert due.due_on == D(2026, 1, 30)
    later = Visit(D(2026, 4, 1), "tuberculosis")
    (due,) = due_dates(national, {"tuberculosis": diagnosed}, [later], None, diagnosed)
    assert due.due_on == D(2026, 5, 1)
    recorded = Visit(D(2026, 4, 1), "tuberculosis", data={"tb_phase": "intensive"})
    (due,) = due_dates(national, {"tuberculosis": diagnosed}, [recorded], None, diagnosed)
    assert due.due_on == D(2026, 4, 11)


@pytest.mark.parametrize(("stability", "days", "risk"), [
    ("stable", 90, RISK_ROUTINE),
    ("basically_stable", 14, RISK_UNCONTROLLED),
    ("unstable", 14, RISK_UNCONTROLLED),
])
def test_r7_severe_mental_disorder_by_stability(library: PolicyLibrary, stability: str,
                                                days: int, risk: int) -> None:
    visit = Visit(D(2026, 3, 1), "severe_mental", data={"stability": stability})
    (due,) = due_dates(library.get("national"), {"severe_mental": D(2020, 1, 1)}, [visit],
                       BORN_1970, D(2020, 1, 1))
    assert due.due_on == D(2026, 3, 1) + dt.timedelta(days=days)
    assert due.risk == risk


def test_r8_the_doctors_recorded_date_wins_but_risk_stays(library: PolicyLibrary) -> None:
    visit = htn(D(2026, 3, 1), 185, 100, next_visit_on=D(2026, 3, 8))
    (due,) = due_dates(library.get("national"), {"hypertension": None}, [visit], BORN_1970,
                       D(2020, 1, 1))
    assert due.due_on == D(2026, 3, 8)
    assert due.risk == RISK_EMERGENCY
    assert "规则建议" in due.rule


def test_r9_never_visited_is_due_from_diagnosis(library: PolicyLibrary) -> None:
    (due,) = due_dates(library.get("national"), {"diabetes": D(2026, 2, 1)}, [], BORN_1970,
                       D(2025, 6, 1))
    assert due.due_on == D(2026, 2, 1) and due.last_visit is None
    assert due.overdue_days(D(2026, 3, 3)) == 30
    assert due.overdue_days(D(2026, 1, 1)) == 0


def test_combined_form_counts_for_both_conditions(library: PolicyLibrary) -> None:
    visit = Visit(D(2026, 3, 1), "combined", sbp=128, dbp=80, fasting_glucose=6.1)
    dues = due_dates(library.get("national"), {"hypertension": None, "diabetes": None},
                     [visit], BORN_1970, D(2020, 1, 1))
    assert {d.condition for d in dues} == {"hypertension", "diabetes"}
    assert {d.due_on for d in dues} == {D(2026, 5, 31)}
    assert {d.risk for d in dues} == {RISK_ROUTINE}
    assert RISK_REFERRAL < RISK_UNCONTROLLED
