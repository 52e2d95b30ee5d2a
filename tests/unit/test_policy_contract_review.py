"""Regression tests for what review found in the policy profiles and 履约: rule ranges and
cross-checks (a bad value is never saved or loaded), tuberculosis follow-ups owed under a
contract, and one copy of the tables the schedule and its readers share."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from factories import FIXED_TODAY, Village, make_household

from clinic_app.clinic import Clinic
from clinic_app.domain import fulfilment, policy_local, schedule
from clinic_app.domain.policy import (
    RULES,
    PolicyError,
    PolicyLibrary,
    bundled_files,
    load_library,
)
from clinic_app.storage import print_queries, queries, work_list_queries

SRC = Path(__file__).resolve().parents[2] / "src" / "clinic_app"
D = dt.date
CITE = "本地调整：乡镇卫生院会议纪要2026-03"
NAME = "国家默认（兴隆镇调整）"


@pytest.fixture
def local(clinic: Clinic) -> str:
    return clinic.copy_profile("national", NAME)


def saved(clinic: Clinic) -> list[dict[str, object]]:
    return clinic.store.rows("SELECT toml FROM local_profiles ORDER BY profile_key")


# ------------------------------------------------------------------ ranges of single rules
def test_every_numeric_rule_has_a_plausible_range_and_the_bundled_profiles_keep_it() -> None:
    numeric = [s for s in RULES.values() if s.kind in ("int", "number", "percent", "money")]
    assert numeric and all(s.low is not None and s.high is not None and s.low <= s.high
                           for s in numeric)
    assert RULES["contract.term_months"].range_text() == "1–60 个月"
    assert RULES["medicine.free_cap_fen"].range_text() == "0–20,000 元"
    assert RULES["glucose.emergency_low"].range_text() == "2.8–5 mmol/L"
    library = load_library()  # all six load with every check
    assert {p.id for p in library} == {"national", "zhongwei", "xinbin", "zhangshu",
                                       "guyang", "rongchang"}
    for profile in library:
        for version in profile.versions:
            for key, (value, _cite) in version.rules.items():
                spec = RULES[key]
                if spec.low is not None:
                    assert spec.low <= value <= spec.high, (profile.id, key, value)
    # Scripts read the range too (policy show --json).
    rule = next(r for r in library.get("national").to_dict()["rules"]
                if r["key"] == "contract.term_months")
    assert rule["range"] == {"min": 1, "max": 60, "text": "1–60 个月"}


@pytest.mark.parametrize(("key", "typed", "problem"), [
    ("contract.expiring_soon_days", "99999999999", "应在 1–180 天之间，现在是 99999999999 天"),
    ("contract.term_months", "1200", "应在 1–60 个月之间，现在是 1200 个月"),
    ("contract.term_months", "0", "应在 1–60 个月之间，现在是 0 个月"),
    ("checkup.per_year", "0", "应在 1–4 次/年之间，现在是 0 次/年"),
    ("glucose.emergency_low", "50", "应在 2.8–5 mmol/L之间，现在是 50 mmol/L"),
    ("bp.emergency_sbp", "1800", "应在 150–250 mmHg之间"),
    ("medicine.free_cap_fen", "10000000", "应在 0–20,000 元之间，现在是 10,000,000 元"),
])
def test_out_of_range_values_are_refused_naming_rule_and_range(clinic: Clinic, local: str,
                                                                key: str, typed: str,
                                                                problem: str) -> None:
    before = saved(clinic)
    with pytest.raises(PolicyError) as caught:
        clinic.set_policy_rule(local, key, typed, CITE, D(2026, 7, 1))
    message = str(caught.value)
    assert key in message and RULES[key].label in message and problem in message
    assert NAME in message and "随访无法排期" not in message
    assert saved(clinic) == before


def test_a_huge_reminder_window_never_reaches_the_expiring_list(clinic: Clinic,
                                                                local: str) -> None:
    """The review's crash: 99999999999 days was saved, then 即将到期 overflowed a date."""
    clinic.set_profile(local)
    with pytest.raises(PolicyError):
        clinic.set_policy_rule(local, "contract.expiring_soon_days", "99999999999", CITE)
    assert clinic.expiring_soon(FIXED_TODAY) == []
    # A profile saved with such a value (by an older version, then synced here) is not
    # loaded: the register falls back to the profile it was copied from and says why.
    row = clinic.store.rows("SELECT id, toml FROM local_profiles")[0]
    bad = row["toml"] + ('"contract.expiring_soon_days" = '
                         '{ value = 99999999999, cite = "旧版本保存" }\n')
    with clinic._write() as store:
        store.update("local_profiles", row["id"], {"toml": bad})
    assert local not in clinic.library and clinic.profile.id == "national"
    (problem,) = clinic.policy_problems
    assert "contract.expiring_soon_days" in problem and "1–180 天" in problem
    assert clinic.expiring_soon(FIXED_TODAY) == []


def test_a_bundled_file_out_of_range_or_contradicting_itself_is_refused_at_load() -> None:
    national = dict(bundled_files())["policies/national.toml"]
    head = ('[profile]\nid = "test"\nname = "测试"\nplace = "某县"\ninherits = "national"\n'
            '[[versions]]\nvalid_from = 2018-01-01\n[versions.rules]\n')
    library = PolicyLibrary()
    library.add_toml(national, "policies/national.toml")
    with pytest.raises(PolicyError, match=r"policies/test\.toml.*：规则 glucose\.emergency_low"
                                          r"（紧急转诊：空腹血糖不高于）应在 2\.8–5 mmol/L之间"):
        library.add_toml(head + '"glucose.emergency_low" = { value = 50, cite = "x" }\n',
                         "policies/test.toml")
    with pytest.raises(PolicyError, match=r"policies/test\.toml：规则 bp\.controlled_dbp.*"
                                          r"= 100 mmHg 应小于 规则 bp\.emergency_dbp.*"
                                          r"= 95 mmHg"):
        library.add_toml(head + '"bp.controlled_dbp" = { value = 100, cite = "x" }\n'
                         '"bp.emergency_dbp" = { value = 95, cite = "x" }\n',
                         "policies/test.toml")
    with pytest.raises(PolicyError, match=r"diseases\.major（大病集中救治病种）列出 2 种，"
                                          r"多于规则 diseases\.major_count"):
        library.add_toml(head + '"diseases.major_count" = { value = 1, cite = "x" }\n'
                         '"diseases.major" = { value = ["甲", "乙"], cite = "x" }\n',
                         "policies/test.toml")
    assert "test" not in library


# ------------------------------------------------------------------ rules against each other
@pytest.mark.parametrize(("key", "typed", "names"), [
    ("glucose.emergency_low", "5", None),  # fine: below the controlled 7.0
    ("glucose.controlled_fasting", "4.5", None),  # fine: above the emergency 3.9
    ("glucose.emergency_high", "11.1", None),
    ("bp.elderly_controlled_sbp", "130", ("bp.controlled_sbp", "应不大于")),
    ("bp.controlled_sbp", "155", ("bp.elderly_controlled_sbp", "应不大于")),
    ("bp.emergency_sbp", "150", ("bp.elderly_controlled_sbp", "应小于")),
    ("bp.emergency_dbp", "90", ("bp.controlled_dbp", "应小于")),
    ("followup.tb_intensive_days", "30", None),
    ("followup.tb_continuation_days", "7", ("followup.tb_intensive_days", "应不大于")),
    ("followup.smi_stable_days", "7", ("followup.smi_unstable_days", "应不大于")),
    ("contract.expiring_soon_days", "180", None),
    ("contract.term_months", "1", ("contract.expiring_soon_days", "应短于")),
])
def test_an_edit_is_checked_against_every_inherited_rule(clinic: Clinic, local: str, key: str,
                                                         typed: str,
                                                         names: tuple[str, str] | None) -> None:
    before = saved(clinic)
    if names is None:
        clinic.set_policy_rule(local, key, typed, CITE, D(2026, 7, 1))
        assert saved(clinic) != before
        return
    with pytest.raises(PolicyError) as caught:
        clinic.set_policy_rule(local, key, typed, CITE, D(2026, 7, 1))
    message = str(caught.value)
    other, relation = names
    assert message.startswith(f"本地方案 {NAME}：自 2026-07-01 起，规则 ")
    assert key in message and other in message and relation in message
    assert RULES[key].label in message and "继承自 国家默认" in message
    assert saved(clinic) == before


def test_orderings_hold_across_versions_and_after_clearing_a_rule(clinic: Clinic,
                                                                  local: str) -> None:
    # From 2026-07-01 a low-glucose emergency at 4.8; from 2027-01-01 a controlled line at
    # 4.8 would meet it: refused, although each version alone changes one harmless rule.
    clinic.set_policy_rule(local, "glucose.emergency_low", "4.8", CITE, D(2026, 7, 1))
    with pytest.raises(PolicyError, match=r"自 2027-01-01 起，规则 glucose\.emergency_low"
                                          r".*= 4\.8 mmol/L.*应小于 规则 "
                                          r"glucose\.controlled_fasting.*= 4\.8 mmol/L"):
        clinic.set_policy_rule(local, "glucose.controlled_fasting", "4.8", CITE,
                               D(2027, 1, 1))
    # Both targets lowered together, then the general one cleared: the inherited 140 would
    # be stricter for everyone than the local 130 for the elderly.
    clinic.set_policy_rule(local, "bp.controlled_sbp", "120", CITE, D(2026, 7, 1))
    clinic.set_policy_rule(local, "bp.elderly_controlled_sbp", "130", CITE, D(2026, 7, 1))
    before = saved(clinic)
    with pytest.raises(PolicyError, match=r"bp\.controlled_sbp.*= 140 mmHg（继承自 国家默认）"
                                          r" 应不大于 规则 bp\.elderly_controlled_sbp"):
        clinic.clear_policy_rule(local, "bp.controlled_sbp", D(2026, 7, 1))
    assert saved(clinic) == before


def test_an_edit_that_breaks_a_copy_of_the_profile_is_refused(clinic: Clinic,
                                                              local: str) -> None:
    clinic.set_policy_rule(local, "bp.elderly_controlled_sbp", "145", CITE, D(2026, 7, 1))
    second = clinic.copy_profile(local, "兴隆镇 2027 方案")
    assert second in clinic.library
    before = saved(clinic)
    clinic.clear_policy_rule(local, "bp.elderly_controlled_sbp", D(2026, 7, 1))  # back to 150
    clinic.set_policy_rule(second, "bp.elderly_controlled_sbp", "145", CITE, D(2026, 7, 1))
    # 150 is fine for the local profile itself (150 ≤ its elderly 150), not for its copy.
    with pytest.raises(PolicyError, match=r"兴隆镇 2027 方案.*bp\.controlled_sbp"):
        clinic.set_policy_rule(local, "bp.controlled_sbp", "150", CITE, D(2026, 7, 1))
    assert saved(clinic) != before and clinic.policy_problems == []


def test_edit_problem_tells_the_editor_before_saving(clinic: Clinic, local: str) -> None:
    profile = clinic.library.get(local)
    assert policy_local.edit_problem(profile, "bp.emergency_dbp", 100, D(2026, 7, 1)) is None
    problem = policy_local.edit_problem(profile, "bp.emergency_dbp", 90, D(2026, 7, 1))
    assert problem is not None and problem.startswith("自 2026-07-01 起，规则 bp.controlled_dbp")
    assert clinic.library.get(local).versions == profile.versions  # nothing changed


# ------------------------------------------------------------------ tuberculosis in 履约
TERM_START = D(2026, 1, 1)  # a national 12-month term: 2026-01-01 .. 2026-12-31


def schedule_dates(diagnosed: dt.date, until: dt.date) -> list[dt.date]:
    """R6 as the work list applies it, for a patient seen on every due date."""
    visits: list[schedule.Visit] = []
    national = load_library().get("national")
    while True:
        (due,) = schedule.due_dates(national, {"tuberculosis": diagnosed}, visits[::-1],
                                    None, diagnosed)
        if due.due_on > until:
            return [v.visit_date for v in visits]
        visits.append(schedule.Visit(due.due_on, "tuberculosis"))


@pytest.mark.parametrize("diagnosed", [D(2025, 6, 1), D(2025, 11, 20), D(2026, 1, 1),
                                       D(2026, 3, 1), D(2026, 12, 25), D(2019, 2, 28)])
def test_tb_visits_due_are_the_schedules_dates_counted(diagnosed: dt.date) -> None:
    last = D(2026, 12, 31)
    dates = schedule_dates(diagnosed, last)
    for first, until in ((TERM_START, last), (TERM_START, FIXED_TODAY), (D(2026, 5, 1), last)):
        expected = sum(1 for d in dates if first <= d <= until)
        assert fulfilment.tb_visits_due(10, 30, diagnosed, first, until) == expected, (
            diagnosed, first, until)


@pytest.fixture
def doctor(clinic: Clinic) -> str:
    return clinic.add_doctor("王建国", phone="13700000001")


def tb_patient(clinic: Clinic, village: Village, doctor: str,
               diagnosed: dt.date | None) -> tuple[str, str]:
    family = make_household(clinic, village.village_id)
    clinic.add_condition(family.head_id, "tuberculosis", diagnosed)
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="chronic", start_on=TERM_START)
    return family.head_id, contract_id


def tb_visit(clinic: Clinic, resident_id: str, day: str, form: str = "tuberculosis",
             method: str = "phone") -> None:
    with clinic.db.atomic():
        clinic.store.insert("follow_ups", {"resident_id": resident_id, "form": form,
                                           "visit_date": day, "method": method})


def tb_item(clinic: Clinic, contract_id: str, as_of: dt.date = FIXED_TODAY
            ) -> fulfilment.Item:
    (item,) = [i for i in clinic.fulfilment(contract_id, as_of) if i.code == "follow_up"]
    return item


def test_a_tb_patient_on_the_chronic_package_is_owed_follow_ups(clinic: Clinic,
                                                                village: Village,
                                                                doctor: str) -> None:
    """Review: TB had no yearly rule, so 履约 showed 不适用 for every TB patient."""
    rid, contract_id = tb_patient(clinic, village, doctor, D(2025, 6, 1))
    item = tb_item(clinic, contract_id)
    # Diagnosed in June 2025: the whole term is continuation, every 30 days from the end of
    # the intensive phase (2025-07-31): 2026-01-27 … 2026-12-23 is 12 visits, 11 by 11-23.
    assert (item.name, item.promised, item.expected, item.done) == (
        "慢病随访（肺结核）", 12, 11, 0)
    assert item.owed and item.status == "behind"
    assert item.note == "政策配置：强化期每10天、继续期每30天随访（强化期为确诊后2个月）"
    tb_visit(clinic, rid, "2026-02-01")  # by phone counts for TB (the spec asks no 面对面)
    tb_visit(clinic, rid, "2026-02-01", method="home")  # the same day: one visit
    tb_visit(clinic, rid, "2026-03-01", form="hypertension", method="clinic")  # not TB
    tb_visit(clinic, rid, "2025-12-20")  # before the term
    assert tb_item(clinic, contract_id).done == 1
    # The village report owes it too.
    report = clinic.village_fulfilment(FIXED_TODAY)
    assert report["total"]["services"]["follow_up"] == {"items": 1, "done": 0, "rate": 0.0}


def test_tb_diagnosed_during_the_term_owes_the_intensive_visits_first(clinic: Clinic,
                                                                      village: Village,
                                                                      doctor: str) -> None:
    rid, contract_id = tb_patient(clinic, village, doctor, D(2026, 3, 1))
    item = tb_item(clinic, contract_id, D(2026, 4, 30))
    # Every 10 days to 04-30 (6 visits), then every 30 days to 12-26 (8 more).
    assert (item.promised, item.expected) == (14, 6)
    for day in ("2026-03-11", "2026-03-21", "2026-03-31", "2026-04-10", "2026-04-20",
                "2026-04-30"):
        tb_visit(clinic, rid, day)
    item = tb_item(clinic, contract_id, D(2026, 4, 30))
    assert (item.done, item.status) == (6, "on_track")  # not behind a pro-rata share
    # Treatment finished and the condition closed on 2026-06-30: nothing owed after it.
    with clinic.db.atomic():
        (row,) = clinic.store.rows("SELECT id FROM conditions WHERE resident_id = ?", [rid])
        clinic.store.update("conditions", row["id"], {"status": "closed",
                                                      "closed_on": "2026-06-30"})
    assert tb_item(clinic, contract_id).promised == 8  # 6 intensive + 05-30 + 06-29


def test_tb_without_a_diagnosis_date_counts_as_continuation(clinic: Clinic, village: Village,
                                                            doctor: str) -> None:
    _rid, contract_id = tb_patient(clinic, village, doctor, None)
    item = tb_item(clinic, contract_id)
    assert item.promised == 12 and "未登记确诊日期，按继续期计" in item.note


def test_tb_promise_follows_the_profile_the_contract_was_signed_under(
        clinic: Clinic, village: Village, doctor: str, local: str) -> None:
    clinic.set_policy_rule(local, "followup.tb_continuation_days", "60", CITE, D(2025, 1, 1))
    clinic.set_profile(local)
    _rid, contract_id = tb_patient(clinic, village, doctor, D(2025, 6, 1))
    clinic.set_profile("national")
    item = tb_item(clinic, contract_id)
    assert item.promised == 6 and "继续期每60天" in item.note


# ------------------------------------------------------------------ one copy of shared tables
def test_form_conditions_and_scheduled_codes_have_one_definition() -> None:
    assert fulfilment.FORM_CONDITIONS is schedule.FORM_CONDITIONS
    for module in (queries, work_list_queries, print_queries):
        assert module.SCHEDULED_CODES is schedule.SCHEDULED, module.__name__
    # Nobody writes the tables out again: a fifth scheduled disease is added in one place.
    spelled = re.compile(r'\(\s*"hypertension",\s*"diabetes",\s*"tuberculosis",'
                         r'\s*"severe_mental",?\s*\)')
    written = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                     if spelled.search(p.read_text(encoding="utf-8")))
    assert written == ["domain/schedule.py"]
    tables = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                    if re.search(r"^FORM_CONDITIONS\s*=", p.read_text(encoding="utf-8"), re.M))
    assert tables == ["domain/schedule.py"]
