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
from collections.abc import Sequence
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


def _controlled_bp(profile: Profile, sbp: int, dbp: int, age: int | None, on: dt.date) -> bool:
    limit = profile.value("bp.controlled_sbp", on)
    if age is not None and age >= profile.value("bp.elderly_age", on):
        limit = profile.value("bp.elderly_controlled_sbp", on)
    return sbp < limit and dbp < profile.value("bp.controlled_dbp", on)


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


def is_controlled(profile: Profile, visit: Visit, birth: dt.date | None) -> bool | None:
    """R2 over the conditions of the visit's form; None when nothing was measured."""
    on = visit.visit_date
    age = age_on(birth, on) if birth else None
    verdicts = []
    if "hypertension" in visit.conditions and visit.sbp is not None and visit.dbp is not None:
        verdicts.append(_controlled_bp(profile, visit.sbp, visit.dbp, age, on))
    if "diabetes" in visit.conditions and visit.fasting_glucose is not None:
        verdicts.append(visit.fasting_glucose < profile.value("glucose.controlled_fasting", on))
    return all(verdicts) if verdicts else None


def assess(profile: Profile, visit: Visit, previous: Visit | None,
           birth: dt.date | None) -> Assessment:
    """Classification and proposed next date for a hypertension/diabetes visit (R1–R5)."""
    on = visit.visit_date
    referral_days = profile.value("followup.referral_followup_days", on)
    signs = emergency_reasons(profile, visit)
    if signs:
        return Assessment("uncontrolled", True, True, on + dt.timedelta(days=referral_days),
                          "危急情况，紧急转诊，2周内随访转诊结果", tuple(signs))
    complication = bool(visit.data.get("new_complication"))
    controlled = is_controlled(profile, visit, birth)
    routine = min(interval_days(profile, c, on) for c in visit.conditions or ("hypertension",))
    if complication:
        return Assessment("complication", False, True, on + dt.timedelta(days=referral_days),
                          "出现新的并发症，转诊，2周内随访", ("新发并发症",))
    if controlled is None:
        return Assessment(visit.classification or "", False, False,
                          on + dt.timedelta(days=routine), "未测量血压/血糖，按常规间隔")
    if controlled:
        return Assessment("controlled", False, False, on + dt.timedelta(days=routine),
                          f"控制满意，{routine}天后常规随访")
    previous_uncontrolled = previous is not None and previous.classification in (
        "uncontrolled", "complication") and (on - previous.visit_date).days <= 120
    if previous_uncontrolled:
        return Assessment("uncontrolled", False, True, on + dt.timedelta(days=referral_days),
                          "连续两次控制不满意，转诊，2周内随访")
    recheck = profile.value("followup.recheck_days", on)
    return Assessment("uncontrolled", False, False, on + dt.timedelta(days=recheck),
                      "首次控制不满意，调整用药，2周内随访")


def _tb_next(profile: Profile, visit: Visit | None, diagnosed: dt.date | None,
             start: dt.date) -> tuple[dt.date, str]:
    base = visit.visit_date if visit else start
    phase = (visit.data.get("tb_phase") if visit else None) or (
        "intensive" if diagnosed is None or (base - diagnosed).days < 60 else "continuation")
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
    out = []
    for condition in SCHEDULED:
        if condition not in conditions:
            continue
        diagnosed = conditions[condition]
        start = max(d for d in (diagnosed, managed_since) if d is not None) if diagnosed \
            else managed_since
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
            verdict = assess(profile, last, mine[1] if len(mine) > 1 else None, birth)
            due_on, rule = verdict.next_on, verdict.rule
            risk = (RISK_EMERGENCY if verdict.emergency else RISK_REFERRAL if verdict.referral
                    else RISK_UNCONTROLLED if verdict.classification != "controlled"
                    else RISK_ROUTINE)
        if last is not None and last.next_visit_on is not None and condition in (
                "hypertension", "diabetes"):
            due_on, rule = last.next_visit_on, f"医生约定的下次随访日期（规则建议：{rule}）"
        out.append(Due(condition, due_on, risk, rule, last))
    return out
