"""The follow-up schedule: when each chronic patient is next due, and how urgent they are.

Pure functions over plain values (no storage, no Qt), so every rule is unit-tested with a fixed
clock. The rules are the national basic public-health service spec (third edition), with every
number read from the policy profile valid on the date in question (``Profile.value(key, on)``):

* R1 routine interval: ``365 / followup.per_year.<disease>`` days after a controlled visit
  (4 a year nationally ≈ 91 days; 6 under 中卫 2018 ≈ 61 days).
* R2 controlled: hypertension SBP < ``bp.controlled_sbp`` and DBP < ``bp.controlled_dbp``
  (age ≥ ``bp.elderly_age``: SBP < ``bp.elderly_controlled_sbp``); diabetes fasting glucose
  < ``glucose.controlled_fasting``.
* R3 emergency signs: SBP ≥ ``bp.emergency_sbp`` or DBP ≥ ``bp.emergency_dbp``; glucose
  ≥ ``glucose.emergency_high`` or ≤ ``glucose.emergency_low`` → urgent referral, follow up on
  the referral within ``followup.referral_followup_days``.
* R4 first time not controlled → adjust medicines, see again within ``followup.recheck_days``.
* R5 not controlled twice in a row, or a new complication → refer, follow up within
  ``followup.referral_followup_days``.
* R6 tuberculosis: every ``followup.tb_intensive_days`` in the intensive phase (the first two
  months unless the visit records the phase), every ``followup.tb_continuation_days`` after.
* R7 severe mental disorder: stable → every ``followup.smi_stable_days``; basically stable or
  unstable → within ``followup.smi_unstable_days``.
* R8 a next date the doctor recorded on the form wins over the rule (it is the appointment
  agreed with the patient); the rule's proposal is kept beside it for audit.
* R9 never visited: due from the date management began (diagnosis, else registration).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinic_app.domain.ids import age_on
from clinic_app.domain.policy import Profile

# Forms that carry BP / glucose rules, and the conditions each covers.
FORM_CONDITIONS = {
    "hypertension": ("hypertension",),
    "diabetes": ("diabetes",),
    "combined": ("hypertension", "diabetes"),
    "tuberculosis": ("tuberculosis",),
    "severe_mental": ("severe_mental",),
}
SCHEDULED = ("hypertension", "diabetes", "tuberculosis", "severe_mental")

# Risk levels, most urgent first (今日待办 sorts by these).
RISK_EMERGENCY = 0
RISK_REFERRAL = 1
RISK_UNCONTROLLED = 2
RISK_ROUTINE = 3


@dataclass(frozen=True)
class Visit:
    """What the rules need of one recorded follow-up."""

    visit_date: dt.date
    form: str
    sbp: int | None = None
    dbp: int | None = None
    fasting_glucose: float | None = None
    next_visit_on: dt.date | None = None
    classification: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def conditions(self) -> tuple[str, ...]:
        return FORM_CONDITIONS.get(self.form, ())


@dataclass(frozen=True)
class Assessment:
    """The rules' verdict on one visit."""

    classification: str  # controlled / uncontrolled / adverse / complication
    emergency: bool
    referral: bool
    next_on: dt.date
    rule: str  # which rule decided, in Chinese, for the doctor and the audit trail
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Due:
    condition: str
    due_on: dt.date
    risk: int
    rule: str
    last_visit: Visit | None

    def overdue_days(self, as_of: dt.date) -> int:
        return max(0, (as_of - self.due_on).days)


def interval_days(profile: Profile, condition: str, on: dt.date) -> int:
    """R1: the routine interval from the yearly count of the profile valid on `on`."""
    per_year = profile.value(f"followup.per_year.{condition}", on) or 4
    return round(365 / per_year)


# R5 "twice in a row" counts the previous visit however late this one comes: a patient who
# stayed away for months while uncontrolled is exactly the one to refer (a new-user test
# found 120 days let them restart as "first time"). After a year it is a new course.
PREVIOUS_WINDOW_DAYS = 366
# The keys of ``Visit.data`` the rules read (a caller that loads only part of a visit's data,
# like the work list, must load these; tests/unit/test_work_list.py checks this list).
DATA_KEYS = ("new_complication", "tb_phase", "stability")

_EMERGENCY_RULE = "危急情况，紧急转诊，2周内随访转诊结果"
_COMPLICATION_RULE = "出现新的并发症，转诊，2周内随访"
_UNMEASURED_RULE = "未测量血压/血糖，按常规间隔"
_TWICE_RULE = "连续两次控制不满意，转诊，2周内随访"
_FIRST_RULE = "首次控制不满意，调整用药，2周内随访"


class RulesOn:
    """The profile values R1–R5 use, as in force on one date.

    ``Profile.value`` is a cached lookup, but a township's work list asks it ~10 times for each
    of thousands of visits; reading them once per date makes the rules cheap enough to run on
    every listed patient at query time.
    """

    __slots__ = (
        "_routine",
        "controlled_dbp",
        "controlled_fasting",
        "controlled_sbp",
        "elderly_age",
        "elderly_controlled_sbp",
        "emergency_dbp",
        "emergency_high",
        "emergency_low",
        "emergency_sbp",
        "on",
        "profile",
        "recheck_days",
        "referral_days",
    )

    def __init__(self, profile: Profile, on: dt.date) -> None:
        value = profile.value
        self.profile, self.on = profile, on
        self.controlled_sbp = value("bp.controlled_sbp", on)
        self.controlled_dbp = value("bp.controlled_dbp", on)
        self.elderly_age = value("bp.elderly_age", on)
        self.elderly_controlled_sbp = value("bp.elderly_controlled_sbp", on)
        self.emergency_sbp = value("bp.emergency_sbp", on)
        self.emergency_dbp = value("bp.emergency_dbp", on)
        self.controlled_fasting = value("glucose.controlled_fasting", on)
        self.emergency_high = value("glucose.emergency_high", on)
        self.emergency_low = value("glucose.emergency_low", on)
        self.referral_days = value("followup.referral_followup_days", on)
        self.recheck_days = value("followup.recheck_days", on)
        self._routine: dict[tuple[str, ...], int] = {}

    def routine(self, conditions: tuple[str, ...]) -> int:
        """R1 for a form: the shortest routine interval of the conditions it covers."""
        days = self._routine.get(conditions)
        if days is None:
            days = self._routine[conditions] = min(
                interval_days(self.profile, c, self.on) for c in conditions or ("hypertension",))
        return days


def rules_on(profile: Profile, on: dt.date) -> RulesOn:
    """The rules in force on a date, built once per profile object and date."""
    # Kept on the profile object (like its own rule cache), so it lives and dies with it.
    cache: dict[dt.date, RulesOn] | None = profile.__dict__.get("_schedule_rules")
    if cache is None:
        cache = profile.__dict__["_schedule_rules"] = {}
    rules = cache.get(on)
    if rules is None:
        rules = cache[on] = RulesOn(profile, on)
    return rules


def _controlled_bp(profile: Profile, sbp: int, dbp: int, age: int | None, on: dt.date) -> bool:
    rules = rules_on(profile, on)
    limit = rules.controlled_sbp
    if age is not None and age >= rules.elderly_age:
        limit = rules.elderly_controlled_sbp
    return sbp < limit and dbp < rules.controlled_dbp


def emergency_reasons(profile: Profile, visit: Visit) -> list[str]:
    """R3: the emergency signs present in the visit's measurements."""
    on = visit.visit_date
    reasons = []
    if visit.sbp is not None and visit.sbp >= profile.value("bp.emergency_sbp", on):
        reasons.append(f"收缩压 {visit.sbp} ≥ {profile.value('bp.emergency_sbp', on)}")
    if visit.dbp is not None and visit.dbp >= profile.value("bp.emergency_dbp", on):
        reasons.append(f"舒张压 {visit.dbp} ≥ {profile.value('bp.emergency_dbp', on)}")
    glucose = visit.fasting_glucose
    if glucose is not None:
        if glucose >= profile.value("glucose.emergency_high", on):
            reasons.append(f"血糖 {glucose} ≥ {profile.value('glucose.emergency_high', on)}")
        if glucose <= profile.value("glucose.emergency_low", on):
            reasons.append(f"血糖 {glucose} ≤ {profile.value('glucose.emergency_low', on)}")
    return reasons


def _is_controlled(rules: RulesOn, visit: Visit, birth: dt.date | None) -> bool | None:
    conditions = visit.conditions
    verdicts = []
    if "hypertension" in conditions and visit.sbp is not None and visit.dbp is not None:
        limit = rules.controlled_sbp
        if birth is not None and age_on(birth, visit.visit_date) >= rules.elderly_age:
            limit = rules.elderly_controlled_sbp
        verdicts.append(visit.sbp < limit and visit.dbp < rules.controlled_dbp)
    if "diabetes" in conditions and visit.fasting_glucose is not None:
        verdicts.append(visit.fasting_glucose < rules.controlled_fasting)
    return all(verdicts) if verdicts else None


def is_controlled(profile: Profile, visit: Visit, birth: dt.date | None) -> bool | None:
    """R2 over the conditions of the visit's form; None when nothing was measured."""
    return _is_controlled(rules_on(profile, visit.visit_date), visit, birth)


def _verdict(profile: Profile, visit: Visit, previous: Visit | None, birth: dt.date | None
             ) -> tuple[str, bool, bool, int, str]:
    """R1–R5 on one visit: (classification, emergency, referral, days to next, rule)."""
    on = visit.visit_date
    rules = rules_on(profile, on)
    sbp, dbp, glucose = visit.sbp, visit.dbp, visit.fasting_glucose
    if (sbp is not None and sbp >= rules.emergency_sbp) or (
            dbp is not None and dbp >= rules.emergency_dbp) or (
            glucose is not None and (glucose >= rules.emergency_high
                                     or glucose <= rules.emergency_low)):
        return "uncontrolled", True, True, rules.referral_days, _EMERGENCY_RULE
    complication = bool(visit.data.get("new_complication"))
    controlled = _is_controlled(rules, visit, birth)
    routine = rules.routine(visit.conditions)
    if complication:
        return "complication", False, True, rules.referral_days, _COMPLICATION_RULE
    if controlled is None:
        return visit.classification or "", False, False, routine, _UNMEASURED_RULE
    if controlled:
        return "controlled", False, False, routine, f"控制满意，{routine}天后常规随访"
    if previous is not None and previous.classification in ("uncontrolled", "complication") \
            and (on - previous.visit_date).days <= PREVIOUS_WINDOW_DAYS:
        return "uncontrolled", False, True, rules.referral_days, _TWICE_RULE
    return "uncontrolled", False, False, rules.recheck_days, _FIRST_RULE


def assess(profile: Profile, visit: Visit, previous: Visit | None,
           birth: dt.date | None) -> Assessment:
    """Classification and proposed next date for a hypertension/diabetes visit (R1–R5)."""
    classification, emergency, referral, days, rule = _verdict(profile, visit, previous, birth)
    if emergency:
        reasons: tuple[str, ...] = tuple(emergency_reasons(profile, visit))
    elif referral and classification == "complication":
        reasons = ("新发并发症",)
    else:
        reasons = ()
    return Assessment(classification, emergency, referral,
                      visit.visit_date + dt.timedelta(days=days), rule, reasons)


def tb_phase(recorded: str | None, diagnosed: dt.date | None, on: dt.date) -> str:
    """R6: the phase a visit records, else intensive for the first two months."""
    return recorded or (
        "intensive" if diagnosed is None or (on - diagnosed).days < 60 else "continuation")


def _tb_next(profile: Profile, visit: Visit | None, diagnosed: dt.date | None,
             start: dt.date) -> tuple[dt.date, str]:
    base = visit.visit_date if visit else start
    phase = tb_phase(visit.data.get("tb_phase") if visit else None, diagnosed, base)
    if phase == "intensive":
        days = profile.value("followup.tb_intensive_days", base)
        return base + dt.timedelta(days=days), f"肺结核强化期，每{days}天随访"
    days = profile.value("followup.tb_continuation_days", base)
    return base + dt.timedelta(days=days), f"肺结核继续期，每{days}天随访"


def _smi_next(profile: Profile, visit: Visit | None, start: dt.date) -> tuple[dt.date, int, str]:
    if visit is None:
        return start, RISK_ROUTINE, "严重精神障碍，尚未随访"
    stability = visit.data.get("stability", "stable")
    if stability == "stable":
        days = profile.value("followup.smi_stable_days", visit.visit_date)
        return visit.visit_date + dt.timedelta(days=days), RISK_ROUTINE, f"病情稳定，{days}天后随访"
    days = profile.value("followup.smi_unstable_days", visit.visit_date)
    label = "病情不稳定" if stability == "unstable" else "病情基本稳定"
    return visit.visit_date + dt.timedelta(days=days), RISK_UNCONTROLLED, f"{label}，{days}天内随访"


def due_dates(profile: Profile, conditions: dict[str, dt.date | None], visits: Sequence[Visit],
              birth: dt.date | None, managed_since: dt.date) -> list[Due]:
    """When each scheduled condition is next due (R1–R9). `visits` newest first."""
    return [Due(*due) for due in due_tuples(profile, conditions, visits, birth, managed_since)]


def due_tuples(profile: Profile, conditions: Mapping[str, dt.date | None],
               visits: Sequence[Visit], birth: dt.date | None, managed_since: dt.date
               ) -> list[tuple[str, dt.date, int, str, Visit | None]]:
    """``due_dates`` as plain (condition, due_on, risk, rule, last visit) tuples.

    The same rules without building a ``Due`` per condition: the work list runs this on every
    listed patient of a township. `visits` may be any objects with ``Visit``'s attributes.
    """
    out = []
    for condition in SCHEDULED:
        if condition not in conditions:
            continue
        diagnosed = conditions[condition]
        start = managed_since  # R9: from diagnosis or registration, whichever is later
        if diagnosed and (managed_since is None or diagnosed > managed_since):
            start = diagnosed
        mine = [v for v in visits if condition in v.conditions]
        last = mine[0] if mine else None
        if condition == "tuberculosis":
            due_on, rule = _tb_next(profile, last, diagnosed, start)
            risk = RISK_ROUTINE
        elif condition == "severe_mental":
            due_on, risk, rule = _smi_next(profile, last, start)
        elif last is None:
            due_on, risk, rule = start, RISK_ROUTINE, "从未随访，应尽快首次随访"
        else:
            classification, emergency, referral, days, rule = _verdict(
                profile, last, mine[1] if len(mine) > 1 else None, birth)
            due_on = last.visit_date + dt.timedelta(days=days)
            risk = (RISK_EMERGENCY if emergency else RISK_REFERRAL if referral
                    else RISK_UNCONTROLLED if classification != "controlled"
                    else RISK_ROUTINE)
        if last is not None and last.next_visit_on is not None and condition in (
                "hypertension", "diabetes") and last.next_visit_on != due_on:
            # R8, said only when the doctor's date differs from the rule's (the form stores
            # the proposal as the date when the doctor keeps it).
            due_on, rule = last.next_visit_on, f"医生约定的下次随访日期（规则建议：{rule}）"
        out.append((condition, due_on, risk, rule, last))
    return out
