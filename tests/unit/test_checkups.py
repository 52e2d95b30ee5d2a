"""Annual checkups: the form's checks and flags, saving and correcting, enrolment in chronic
management, who is due this year, and coverage per village with the cost standard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factories import FIXED_TODAY, make_household, make_village, open_clinic

from clinic_app.clinic import Clinic
from clinic_app.domain import checkup
from clinic_app.errors import ClinicError, ValidationFailed

D = dt.date
FIELD = checkup.FIELD_BY_KEY


@pytest.fixture
def clinic(tmp_path: Path):
    c = open_clinic(tmp_path / "c.db")
    c.set_profile("xinbin")  # 001: one checkup a year, 150 元 a person
    yield c
    c.close()


@pytest.fixture
def people(clinic: Clinic) -> dict[str, str]:
    village = make_village(clinic)
    family = make_household(clinic, village.village_id, head="张三",
                            members=(("李四", "配偶", "女"), ("张小", "之子", "男")))
    return {"head": family.head_id, "wife": family.member_ids[0], "son": family.member_ids[1],
            "village": village.village_id}


def test_every_page_has_fields_with_units_and_ranges() -> None:
    pages = checkup.pages()
    assert [title for _, title, _ in pages] == list(checkup.PAGES.values())
    assert all(fields for _, _, fields in pages)
    numbers = [f for f in checkup.FIELDS if f.kind in ("int", "float")]
    assert all(f.low is not None and f.high is not None for f in numbers)
    assert FIELD["temperature"].unit == "℃" and FIELD["creatinine"].unit == "μmol/L"
    for key in ("symptoms", "self_care", "cognition", "mood", "exercise", "smoking", "drinking",
                "vision_left", "hearing", "motor", "hemoglobin", "urine_protein", "ecg", "alt",
                "ast", "albumin", "bilirubin", "creatinine", "urea", "total_cholesterol",
                "triglycerides", "ldl", "hdl", "ultrasound", "evaluation", "enrol",
                "risk_control"):
        assert key in FIELD, key


def test_values_parsed_as_typed_and_implausible_ones_refused() -> None:
    date, values, problems = checkup.parse_and_check(
        {"temperature": "３６.８", "pulse": "72", "sbp_left": "150", "dbp_left": "",
         "sbp_right": "120", "dbp_right": "130", "pulse_typo": "1", "hearing": "听见",
         "symptoms": "头痛、头晕", "height_cm": "1.68", "smoking": "抽烟"},
        today=FIXED_TODAY, checkup_date="2026-11-24")
    assert values["temperature"] == 36.8 and values["hearing"] == "normal"
    assert values["symptoms"] == ["头痛", "头晕"]
    assert problems["dbp_left"] == "左侧血压请同时填写收缩压和舒张压"
    assert "不应高于或等于收缩压" in problems["dbp_right"]
    assert problems["height_cm"] == "身高 1.68 cm 不合理，应在 50–250 cm 之间，请核对"
    assert "体检表没有" in problems["pulse_typo"]
    assert "吸烟状况只能是" in problems["smoking"]
    assert problems["checkup_date"] == "体检日期 2026-11-24 在今天之后"
    assert date == D(2026, 11, 24)
    _, _, problems = checkup.parse_and_check({"symptoms": ["无症状", "头痛"]}, today=FIXED_TODAY,
                                             checkup_date="")
    assert problems == {"symptoms": "选了“无症状”就不能再选其他症状",
                        "checkup_date": "请填写体检日期"}


def test_abnormal_values_flagged_and_emergencies_from_the_profile(clinic: Clinic) -> None:
    profile = clinic.profile
    _, values, problems = checkup.parse_and_check(
        {"sbp_left": "186", "dbp_left": "96", "fasting_glucose": "7.8", "hemoglobin": "115",
         "height_cm": "160", "weight_kg": "70", "ecg": "异常", "temperature": "36.5",
         "lips": "红润"}, today=FIXED_TODAY, checkup_date="2026-11-20")
    assert problems == {}
    found = checkup.flags(values, profile=profile, on=D(2026, 11, 20), sex="男")
    texts = [f.text for f in found]
    assert found[0].urgent and "紧急转诊" in found[0].text and "≥180/110" in found[0].text
    assert "血压 左侧 收缩压 186 mmHg 偏高（参考 90–139）" in texts
    assert "空腹血糖 7.8 mmol/L 偏高（参考 3.9–6.1）" in texts
    assert "血红蛋白 115 g/L 偏低（参考 120–160）" in texts  # male range
    assert "心电图：异常" in texts and "体质指数 27.3 超重（参考 18.5–23.9）" in texts
    assert not any("体温" in t or "口唇" in t for t in texts)
    women = checkup.flags({"hemoglobin": 115}, profile=profile, on=D(2026, 11, 20), sex="女")
    assert women == []  # 110–150 for women
    assert checkup.evaluation(values, found) == "abnormal"
    assert checkup.evaluation({}, []) == "normal"
    assert checkup.suggested_enrolment(values, found) == ["hypertension", "diabetes"]


def test_record_stores_columns_flags_cost_and_enrols(clinic: Clinic, people) -> None:
    doctor = clinic.add_doctor("王医生")
    saved = clinic.record_checkup(
        people["head"], "2026-03-15",
        {"sbp_left": "152", "dbp_left": "92", "sbp_right": "158", "dbp_right": "90",
         "weight_kg": "70", "height_cm": "170", "fasting_glucose": "5.2",
         "enrol": ["hypertension"], "risk_control": ["戒烟"]}, doctor_id=doctor)
    assert saved.evaluation == "abnormal" and saved.cost_fen == 15000
    assert saved.enrolled == ["hypertension"]
    row = clinic.checkups(people["head"])[0]
    assert (row.sbp, row.dbp) == (158, 90)  # the arm with the higher systolic
    assert (row.weight_kg, row.fasting_glucose, row.profile_id) == (70, 5.2, "xinbin")
    assert row.data["guidance"] == ["纳入慢性病患者健康管理"]
    assert any("偏高" in t for t in row.data["abnormal_items"])
    assert [c.code for c in clinic.conditions(people["head"])] == ["hypertension"]
    assert clinic.conditions(people["head"])[0].diagnosed_on == D(2026, 3, 15)
    # Enrolled means scheduled: the new patient is on the follow-up work list.
    assert people["head"] in {i["id"] for i in clinic.work_list(include_later=True)}
    # Enrolling again does not add the condition twice.
    again = clinic.record_checkup(people["head"], "2026-04-01", {"enrol": ["hypertension"]})
    assert again.enrolled == [] and len(clinic.conditions(people["head"])) == 1
    assert clinic.checkup_values(saved.id)["sbp_left"] == 152


def test_nothing_saved_when_something_is_wrong(clinic: Clinic, people) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clinic.record_checkup(people["head"], "2026-03-15",
                              {"temperature": "15", "enrol": ["hypertension"]})
    assert "体温 15℃ 不合理" in refused.value.fields["temperature"]
    assert clinic.checkups(people["head"]) == [] and clinic.conditions(people["head"]) == []


def test_correction_replaces_and_keeps_history(clinic: Clinic, people) -> None:
    first = clinic.record_checkup(people["head"], "2026-03-15", {"sbp_left": "250",
                                                                 "dbp_left": "90"})
    with pytest.raises(ValidationFailed, match="原因"):
        clinic.correct_checkup(first.id, "2026-03-15", {"sbp_left": "125", "dbp_left": "90"}, "")
    fixed = clinic.correct_checkup(first.id, "2026-03-15", {"sbp_left": "125", "dbp_left": "80"},
                                   "收缩压录错")
    assert [c.id for c in clinic.checkups(people["head"])] == [fixed.id]
    assert [c.id for c in clinic.checkup_versions(first.id)] == [first.id, fixed.id]
    assert clinic.checkups(people["head"])[0].data["correction_reason"] == "收缩压录错"
    with pytest.raises(ValidationFailed, match="已经被更正过"):
        clinic.correct_checkup(first.id, "2026-03-15", {}, "再改")
    with pytest.raises(ClinicError, match="已经被更正过"):
        clinic.void_checkup(first.id, "x")
    # Counted once for the year, at the cost of one checkup.
    row = next(r for r in clinic.checkup_coverage(2026) if r["village_id"] == people["village"])
    assert (row["checkups"], row["cost_fen"]) == (1, 15000)
    clinic.void_checkup(fixed.id, "不是本人")  # with its earlier version
    assert clinic.checkups(people["head"]) == []
    assert clinic.store.get("checkups", first.id)["deleted"] == 1


def test_due_this_year_per_profile(clinic: Clinic, people) -> None:
    assert clinic.checkups_per_year() == 1
    clinic.record_checkup(people["head"], "2026-02-01", {})
    clinic.record_checkup(people["wife"], "2025-12-30", {})  # last year's does not count
    due = clinic.checkups_due()
    assert [r["name"] for r in due] == ["李四", "张小"]
    assert due[0]["last_on"] == "2025-12-30" and due[0]["missing"] == 1
    assert due[1]["last_on"] is None
    assert [r["name"] for r in clinic.checkups_due(2025)] == ["张三", "张小"]
    # Not covered: 一般人群, people who moved or died.
    clinic.update_resident(people["son"], poverty_category="none")
    clinic.end_residence(people["wife"], "deceased", D(2026, 5, 1))
    assert clinic.checkups_due() == []
    other = clinic.add_place("village", "新庄村")
    stranger = make_household(clinic, other, head="赵五")
    assert [r["id"] for r in clinic.checkups_due(village_id=other)] == [stranger.head_id]


def test_coverage_per_village_with_target_and_cost(clinic: Clinic, people) -> None:
    other = clinic.add_place("village", "新庄村")
    make_household(clinic, other, head="赵五")
    clinic.record_checkup(people["head"], "2026-02-01", {"ecg": "abnormal"})
    clinic.record_checkup(people["wife"], "2026-06-01", {})
    clinic.set_profile("national")  # sets no cost standard: a checkup made now costs nothing
    clinic.record_checkup(people["son"], "2026-07-01", {})
    clinic.set_profile("xinbin")
    rows = {r["village"]: r for r in clinic.checkup_coverage(2026)}
    red = rows["红星村"]
    assert (red["eligible"], red["checked"], red["due"], red["checkups"]) == (3, 3, 0, 3)
    assert (red["cost_fen"], red["abnormal"], red["percent"], red["target"]) == \
        (30000, 1, 100.0, 100)
    assert (rows["新庄村"]["eligible"], rows["新庄村"]["checked"], rows["新庄村"]["percent"]) == \
        (1, 0, 0.0)
    # A resident who later died still counts in the cost of the year, not in coverage.
    clinic.end_residence(people["wife"], "deceased", D(2026, 9, 1))
    red = next(r for r in clinic.checkup_coverage(2026) if r["village"] == "红星村")
    assert (red["eligible"], red["checked"], red["checkups"], red["cost_fen"]) == \
        (2, 2, 3, 30000)


def test_checkup_date_before_birth_refused(clinic: Clinic, people) -> None:
    with pytest.raises(ValidationFailed, match="早于出生日期"):
        clinic.record_checkup(people["son"], "1980-01-01", {})
    assert FIXED_TODAY.year == 2026
