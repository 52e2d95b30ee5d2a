"""The follow-up forms' core: parsing, plausibility, the rules' proposal, overrides, corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import FIXED_TODAY, make_household, make_village, open_clinic

from clinic_app.domain import followup
from clinic_app.errors import ClinicError, ValidationFailed

HTN_FIELDS = {"visit_date": "2026-11-23", "sbp": "132", "dbp": "84", "weight_kg": "65",
              "heart_rate": "72"}


@pytest.fixture
def clinic(tmp_path):
    c = open_clinic(tmp_path / "c.db")
    yield c
    c.close()


@pytest.fixture
def patient(clinic):
    village = make_village(clinic)
    family = make_household(clinic, village.village_id)  # head born 1960: 66 on FIXED_TODAY
    clinic.add_condition(family.head_id, "hypertension", dt.date(2020, 1, 1))
    return family.head_id


def test_parse_values_typed_the_way_doctors_type():
    assert followup.parse_value(followup.FIELD_BY_KEY["sbp"], "１３２") == 132
    assert followup.parse_value(followup.FIELD_BY_KEY["weight_kg"], " 65.5 ") == 65.5
    assert followup.parse_value(followup.FIELD_BY_KEY["method"], "家庭") == "home"
    assert followup.parse_value(followup.FIELD_BY_KEY["visit_date"], "20261120") == \
        dt.date(2026, 11, 20)
    assert followup.parse_value(followup.FIELD_BY_KEY["sbp"], "") is None
    with pytest.raises(ValueError, match="整数"):
        followup.parse_value(followup.FIELD_BY_KEY["sbp"], "13o")
    with pytest.raises(ValueError, match="只能是"):
        followup.parse_value(followup.FIELD_BY_KEY["salt"], "很咸")


def test_medicine_lines_parse_and_print_back():
    meds = followup.parse_medicines(
        "硝苯地平缓释片 每日2次 每次10mg\n二甲双胍 日3次 0.5g\n阿司匹林")
    assert meds[0] == {"name": "硝苯地平缓释片", "times_per_day": 2, "dose": "10mg"}
    assert meds[1] == {"name": "二甲双胍", "times_per_day": 3, "dose": "0.5g"}
    assert meds[2]["times_per_day"] is None
    assert followup.medicine_problems(meds) == ["第3行“阿司匹林”没有写每日几次"]
    assert followup.parse_medicines(followup.medicines_text(meds))[:2] == meds[:2]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("sbp", "300", "收缩压 300mmHg 不合理"),
    ("sbp", "59", "应在 60–280mmHg 之间"),
    ("fasting_glucose", "0.5", "空腹血糖"),
    ("fasting_glucose", "36", "1–35mmol/L"),
    ("heart_rate", "250", "心率"),
])
def test_implausible_values_are_refused_with_the_range(clinic, patient, field, value, message):
    form = "combined" if field == "fasting_glucose" else "hypertension"
    _, problems, proposal = clinic.check_follow_up(patient, form, {**HTN_FIELDS, field: value})
    assert message in problems[field]
    assert proposal is None
    with pytest.raises(ValidationFailed):
        clinic.record_follow_up(patient, form, {**HTN_FIELDS, field: value})
    assert clinic.follow_ups(patient) == []


def test_a_visit_must_fit_the_patients_conditions(clinic, patient):
    """Slips a register must catch: a diabetes form for a hypertension-only patient, a visit
    years before the diagnosis, a date that does not exist (said once, not 日期日期)."""
    with pytest.raises(ValidationFailed, match="没有登记2型糖尿病") as wrong:
        clinic.record_follow_up(patient, "diabetes", {**HTN_FIELDS, "fasting_glucose": "6.1"})
    assert "form" in wrong.value.fields
    with pytest.raises(ValidationFailed, match="早于确诊日期 2020-01-01"):
        clinic.record_follow_up(patient, "hypertension", {**HTN_FIELDS,
                                                          "visit_date": "1990-01-01"})
    with pytest.raises(ValidationFailed) as bad_day:
        clinic.record_follow_up(patient, "hypertension", {**HTN_FIELDS,
                                                          "visit_date": "2026-13-01"})
    assert bad_day.value.fields["visit_date"] == "随访日期“2026-13-01”不存在"
    # The combined form fits a patient with either of its diseases.
    assert clinic.record_follow_up(patient, "combined", {**HTN_FIELDS,
                                                         "fasting_glucose": "6.1"})


def test_cross_field_checks(clinic, patient):
    _, problems, _ = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "dbp": "140"})
    assert "不应高于或等于收缩压" in problems["dbp"]
    _, problems, _ = clinic.check_follow_up(patient, "hypertension", {**HTN_FIELDS, "dbp": ""})
    assert "同时填写" in problems["dbp"]
    _, problems, _ = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "visit_date": "2026-11-24"})
    assert "今天之后" in problems["visit_date"]
    _, problems, _ = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "next_visit_on": "2026-11-23"})
    assert "之后" in problems["next_visit_on"]
    _, problems, _ = clinic.check_follow_up(patient, "tuberculosis", {**HTN_FIELDS})
    assert "没有“收缩压”" in problems["sbp"]


def test_routine_visit_takes_the_rules_proposal(clinic, patient):
    """R1/R2 (national, 4 a year): 132/84 is controlled, next visit 91 days later."""
    visit_id = clinic.record_follow_up(patient, "hypertension", HTN_FIELDS)
    visit = clinic.follow_up(visit_id)
    assert visit.classification == visit.proposed_classification == "controlled"
    assert visit.next_visit_on == visit.proposed_next_on == FIXED_TODAY + dt.timedelta(days=91)
    assert visit.override_reason == ""
    assert (visit.sbp, visit.dbp, visit.weight_kg, visit.heart_rate) == (132, 84, 65.0, 72)


def test_zhongwei_profile_proposes_six_a_year(clinic, patient):
    clinic.set_profile("zhongwei")
    visit = clinic.follow_up(clinic.record_follow_up(patient, "hypertension", HTN_FIELDS))
    assert visit.next_visit_on == FIXED_TODAY + dt.timedelta(days=61)


def test_elderly_threshold_applies_through_the_form(clinic, patient):
    """R2: at 66 the SBP limit is 150, so 145/85 is controlled."""
    _, _, proposal = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "sbp": "145", "dbp": "85"})
    assert proposal.classification == "controlled"


def test_emergency_signs_propose_urgent_referral(clinic, patient):
    _, _, proposal = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "sbp": "186", "dbp": "100"})
    assert proposal.emergency and proposal.referral
    assert proposal.next_on == FIXED_TODAY + dt.timedelta(days=14)
    assert "收缩压 186 ≥ 180" in proposal.reasons


def test_second_uncontrolled_visit_proposes_referral(clinic, patient):
    """R4 then R5: the previous visit (not the one being typed) decides the referral."""
    first = {**HTN_FIELDS, "visit_date": "2026-11-02", "sbp": "165", "dbp": "95"}
    clinic.record_follow_up(patient, "hypertension", first)
    _, _, proposal = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "sbp": "162", "dbp": "96"})
    assert proposal.classification == "uncontrolled" and proposal.referral
    assert "连续两次" in proposal.rule


def test_adverse_reaction_is_proposed_when_controlled(clinic, patient):
    _, _, proposal = clinic.check_follow_up(
        patient, "hypertension", {**HTN_FIELDS, "adverse_reactions": "干咳"})
    assert proposal.classification == "adverse"
    assert proposal.next_on == FIXED_TODAY + dt.timedelta(days=14)


def test_override_needs_a_reason_and_is_recorded(clinic, patient):
    values = {**HTN_FIELDS, "sbp": "165", "dbp": "95", "classification": "controlled"}
    with pytest.raises(ValidationFailed, match="未采用规则建议的分类"):
        clinic.record_follow_up(patient, "hypertension", values)
    visit = clinic.follow_up(clinic.record_follow_up(
        patient, "hypertension", {**values, "override_reason": "白大衣高血压，家庭自测正常"}))
    assert visit.classification == "controlled"
    assert visit.proposed_classification == "uncontrolled"
    assert visit.override_reason == "白大衣高血压，家庭自测正常"


def test_later_next_date_needs_a_reason_earlier_does_not(clinic, patient):
    later = {**HTN_FIELDS, "next_visit_on": "2027-04-01"}
    with pytest.raises(ValidationFailed, match="下次随访日期"):
        clinic.record_follow_up(patient, "hypertension", later)
    earlier = clinic.follow_up(clinic.record_follow_up(
        patient, "hypertension", {**HTN_FIELDS, "next_visit_on": "2027-01-10"}))
    assert earlier.next_visit_on == dt.date(2027, 1, 10)
    assert earlier.proposed_next_on == FIXED_TODAY + dt.timedelta(days=91)
    assert earlier.override_reason == ""


def test_draft_carries_medicines_and_targets_over(clinic, patient):
    clinic.record_follow_up(patient, "hypertension", {
        **HTN_FIELDS, "visit_date": "2026-08-20", "height_cm": "168",
        "medicines": "硝苯地平缓释片 每日2次 每次10mg", "salt": "medium", "salt_target": "light",
        "symptoms": ["头痛头晕"]})
    draft = clinic.follow_up_draft(patient, "hypertension")
    assert draft.values["medicines"] == [
        {"name": "硝苯地平缓释片", "times_per_day": 2, "dose": "10mg"}]
    assert draft.values["height_cm"] == 168.0
    assert draft.values["salt_target"] == "light"
    assert "symptoms" not in draft.values  # symptoms are of the day, not carried
    assert "sbp" not in draft.values
    assert draft.values["visit_date"] == FIXED_TODAY
    assert draft.last_visit_on == dt.date(2026, 8, 20)


def test_forms_follow_conditions(clinic, patient):
    assert clinic.follow_up_forms(patient) == ["hypertension"]
    clinic.add_condition(patient, "diabetes", dt.date(2021, 1, 1))
    clinic.add_condition(patient, "tuberculosis", dt.date(2026, 11, 1))
    assert clinic.follow_up_forms(patient) == ["combined", "tuberculosis"]
    assert clinic.follow_up_draft(patient, "tuberculosis").values["tb_phase"] == "intensive"
    # a combined visit counts as the last diabetes visit too
    clinic.record_follow_up(patient, "combined", {**HTN_FIELDS, "visit_date": "2026-10-01",
                                                  "fasting_glucose": "6.1",
                                                  "medicines": "二甲双胍 每日3次 0.5g"})
    assert clinic.follow_up_draft(patient, "diabetes").values["medicines"][0]["name"] == "二甲双胍"


def test_tb_visit_schedules_by_phase(clinic, patient):
    clinic.add_condition(patient, "tuberculosis", dt.date(2026, 11, 1))
    visit = clinic.follow_up(clinic.record_follow_up(patient, "tuberculosis", {
        "visit_date": "2026-11-23", "tb_phase": "intensive", "supervisor": "family",
        "missed_doses": "0", "treatment_month": "1"}))
    assert visit.next_visit_on == FIXED_TODAY + dt.timedelta(days=10)
    assert visit.data["supervisor"] == "family"


@pytest.mark.parametrize(("on", "diagnosed", "last", "expected"), [
    (dt.date(2026, 11, 23), dt.date(2026, 11, 1), None, 1),  # 22 days in: the 1st month
    (dt.date(2026, 12, 1), dt.date(2026, 11, 1), None, 2),  # a month to the day: the 2nd
    (dt.date(2026, 11, 30), dt.date(2026, 10, 31), None, 1),  # short month: not yet a month
    (dt.date(2027, 5, 2), dt.date(2026, 11, 1), None, 7),
    (dt.date(2029, 1, 1), dt.date(2026, 11, 1), None, 24),  # held to the form's range
    (dt.date(2026, 11, 23), None, (3, dt.date(2026, 10, 20)), 4),  # from the last visit
    (dt.date(2026, 11, 23), None, None, None),  # nothing known: the doctor types it
])
def test_tb_treatment_month_is_proposed(on, diagnosed, last, expected):
    month, visit = last or (None, None)
    assert followup.treatment_month(on, diagnosed, month, visit) == expected


def test_tb_draft_counts_the_treatment_month(clinic, patient):
    clinic.add_condition(patient, "tuberculosis", dt.date(2026, 9, 10))
    assert clinic.follow_up_draft(patient, "tuberculosis").values["treatment_month"] == 3
    clinic.record_follow_up(patient, "tuberculosis", {
        "visit_date": "2026-11-23", "tb_phase": "continuation", "supervisor": "family",
        "missed_doses": "0", "treatment_month": "3"})
    later = clinic.follow_up_draft(patient, "tuberculosis", dt.date(2027, 1, 12))
    assert later.values["treatment_month"] == 5
    assert later.values["tb_phase"] == "continuation"


@pytest.mark.parametrize(("values", "stability", "days"), [
    ({"risk_level": "0", "insight": "full"}, "stable", 90),
    ({"risk_level": "1", "insight": "full"}, "basically_stable", 14),
    ({"risk_level": "3", "insight": "partial", "smi_symptoms": ["猜疑"]}, "unstable", 14),
])
def test_severe_mental_stability_is_proposed(clinic, patient, values, stability, days):
    """R7: stable → every 3 months; otherwise within 2 weeks (unstable also referred)."""
    clinic.add_condition(patient, "severe_mental", dt.date(2019, 1, 1))
    visit = clinic.follow_up(clinic.record_follow_up(
        patient, "severe_mental", {"visit_date": "2026-11-23", **values}))
    assert visit.classification == visit.data["stability"] == stability
    assert visit.next_visit_on == FIXED_TODAY + dt.timedelta(days=days)


def test_correction_keeps_the_old_version(clinic, patient):
    first = clinic.record_follow_up(patient, "hypertension", {**HTN_FIELDS, "sbp": "182"})
    assert clinic.follow_up(first).proposed_classification == "uncontrolled"
    with pytest.raises(ValidationFailed, match="原因"):
        clinic.correct_follow_up(first, HTN_FIELDS, reason="")
    second = clinic.correct_follow_up(first, HTN_FIELDS, reason="收缩压录错，应为132")
    current = clinic.follow_ups(patient)
    assert [v.id for v in current] == [second]
    assert current[0].classification == "controlled"
    assert current[0].data["correction_reason"] == "收缩压录错，应为132"
    assert [v.id for v in clinic.follow_up_versions(first)] == [first, second]
    assert clinic.follow_up(first).sbp == 182  # the original is never edited
    with pytest.raises(ClinicError, match="已经被更正过"):
        clinic.correct_follow_up(first, HTN_FIELDS, reason="再改")
    # the trend chart shows the corrected value only
    assert [s["sbp"] for s in clinic.follow_up_series(patient)] == [132]


def test_correcting_only_the_changes_keeps_the_rest(clinic, patient):
    """A correction of one value (the command line's --set) keeps every other field; the
    rules' own choices are proposed anew, a doctor's override stays the doctor's."""
    first = clinic.record_follow_up(patient, "hypertension", {
        **HTN_FIELDS, "sbp": "182", "medicines": "硝苯地平缓释片 每日2次 每次10mg",
        "symptoms": ["头痛头晕"]})
    second = clinic.follow_up(clinic.correct_follow_up(
        first, {"sbp": "132"}, reason="收缩压录错", changes_only=True))
    assert (second.sbp, second.dbp, second.weight_kg, second.heart_rate) == (132, 84, 65, 72)
    assert second.data["medicines"][0]["name"] == "硝苯地平缓释片"
    assert second.data["symptoms"] == ["头痛头晕"]
    assert second.classification == second.proposed_classification == "controlled"
    # An override survives a correction of something else, with its reason.
    third = clinic.follow_up(clinic.correct_follow_up(second.id, {
        **clinic.follow_up_values(second.id), "sbp": "165", "dbp": "95",
        "classification": "controlled", "override_reason": "白大衣高血压"}, reason="血压录错"))
    fourth = clinic.follow_up(clinic.correct_follow_up(
        third.id, {"heart_rate": "80"}, reason="心率录错", changes_only=True))
    assert fourth.classification == "controlled" != fourth.proposed_classification
    assert fourth.override_reason == "白大衣高血压" and fourth.heart_rate == 80


def test_correcting_a_visit_does_not_count_itself_as_previous(clinic, patient):
    """A correction of an uncontrolled visit is judged against the visit before it, not itself."""
    first = clinic.record_follow_up(patient, "hypertension", {**HTN_FIELDS, "sbp": "165",
                                                              "dbp": "95"})
    _, _, proposal = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "sbp": "166", "dbp": "95"},
                                            supersedes_id=first)
    assert not proposal.referral and "首次" in proposal.rule


def test_void_needs_a_reason_and_hides_the_visit(clinic, patient):
    visit_id = clinic.record_follow_up(patient, "hypertension", HTN_FIELDS)
    with pytest.raises(ValidationFailed):
        clinic.void_follow_up(visit_id, " ")
    clinic.void_follow_up(visit_id, "录到了别人的档案上")
    assert clinic.follow_ups(patient) == []
    assert clinic.history("follow_ups", visit_id)[-1]["fields"] == {"reason": "录到了别人的档案上"}


def test_doctor_is_remembered_for_the_next_visit(clinic, patient):
    team = clinic.add_team("兴隆镇一队")
    doctor = clinic.add_doctor("李医生", team_id=team, phone="13800001111")
    clinic.record_follow_up(patient, "hypertension", {**HTN_FIELDS, "doctor_id": doctor})
    assert clinic.follow_up_draft(patient, "hypertension").doctor_id == doctor


def test_every_field_has_a_known_kind_and_sane_range():
    for field in followup.FIELDS:
        assert field.kind in ("int", "float", "date", "choice", "multi", "text", "bool",
                              "medicines", "doctor"), field.key
        assert field.section in followup.SECTIONS
        if field.low is not None:
            assert field.low < field.high
        if field.kind in ("choice", "multi"):
            assert field.choice_items(), field.key
    for form in followup.FORMS:
        keys = [f.key for f in followup.fields_of(form)]
        assert len(keys) == len(set(keys))
        assert "visit_date" in keys and "next_visit_on" in keys and "doctor_id" in keys


def test_voiding_a_corrected_visit_withdraws_the_whole_chain(clinic, patient):
    first = clinic.record_follow_up(patient, "hypertension", HTN_FIELDS)
    second = clinic.correct_follow_up(first, {**HTN_FIELDS, "sbp": "135"}, reason="录错")
    clinic.void_follow_up(second, "录到了别人的档案上")
    assert clinic.follow_ups(patient) == []  # the corrected original does not come back
    assert clinic.follow_up_series(patient) == []


def test_tb_and_mental_next_date_follows_the_spec(clinic, patient):
    clinic.add_condition(patient, "tuberculosis", dt.date(2026, 11, 1))
    with pytest.raises(ValidationFailed, match="按规范间隔计算"):
        clinic.record_follow_up(patient, "tuberculosis", {
            "visit_date": "2026-11-23", "tb_phase": "intensive",
            "next_visit_on": "2027-01-10", "override_reason": "春节后"})


def test_uncontrolled_again_after_months_away_is_referred(clinic, patient):
    """R5: consecutive visits, not consecutive months — the patient who stayed away while
    uncontrolled must not restart as 'first time uncontrolled'."""
    clinic.record_follow_up(patient, "hypertension", {**HTN_FIELDS, "visit_date": "2026-06-02",
                                                      "sbp": "165", "dbp": "98"})
    _, _, proposal = clinic.check_follow_up(patient, "hypertension",
                                            {**HTN_FIELDS, "sbp": "152", "dbp": "94"})
    assert proposal.referral and "连续两次" in proposal.rule


def test_diabetes_form_records_bp_but_judges_by_glucose(clinic, patient):
    keys = [f.key for f in followup.fields_of("diabetes")]
    assert {"sbp", "dbp", "fasting_glucose"} <= set(keys) and "heart_rate" not in keys
    clinic.add_condition(patient, "diabetes", dt.date(2021, 1, 1))
    _, _, proposal = clinic.check_follow_up(patient, "diabetes", {
        "visit_date": "2026-11-23", "sbp": "150", "dbp": "95", "fasting_glucose": "6.1"})
    assert proposal.classification == "controlled"  # BP is not the diabetes form's measure
    _, _, proposal = clinic.check_follow_up(patient, "diabetes", {
        "visit_date": "2026-11-23", "sbp": "185", "dbp": "95", "fasting_glucose": "6.1"})
    assert proposal.emergency  # but an emergency sign is one on any form
