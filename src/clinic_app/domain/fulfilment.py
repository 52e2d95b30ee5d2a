"""履约 (contract fulfilment): each promised service of a contract against what was recorded.

签约一人，履约一人；签约一项，履约一项 (002): a contract names a service package, each service
with how many times a year it is promised (0 = on demand). This module compares every promise
with the services recorded during the contract's term, as pure functions over plain values
(no storage, no Qt), so each rule is tested with a fixed clock:

* F1 the term counted is ``start_on`` .. ``end_on`` (or the day before ``ended_on`` when the
  contract was ended early), cut at ``as_of``; records outside it do not count.
* F2 a yearly number is scaled to the term's length (a 12-month term promises it once).
* F3 follow-ups: one promise per condition managed during the term, the number a year from
  the policy profile (``followup.per_year.<condition>``: 4 nationally, 6 under 中卫 2018), not
  the package's generic number; a combined hypertension + diabetes form counts for both;
  hypertension and diabetes count face-to-face visits only (clinic or home — the spec says
  面对面), one per day. Corrected (superseded) and deleted visits are left out by the query.
* F3a tuberculosis has no yearly count in the spec, only intervals: the visits owed are the
  schedule's R6 dates counted over the term — every ``followup.tb_intensive_days`` in the
  intensive phase (the first two months after diagnosis), every
  ``followup.tb_continuation_days`` after, until the condition is closed — and the share due
  by ``as_of`` is counted the same way (the intensive visits come first, not pro rata). With
  no diagnosis date the whole term counts as continuation (the smaller promise).
* F4 checkups from the checkup records, referrals from follow-ups that name a referral
  institution plus referrals recorded as services, medicine delivery from delivery days
  plus recorded deliveries; every other service from ``service_records``.
* F5 status: done when done ≥ promised; while the term runs, behind when done is below the
  promise pro rata to date, else on track; after the term, missed; after an early end,
  stopped; promises of 0 are on demand (the count is shown, nothing is owed).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from clinic_app.domain.codes import CHRONIC_CONDITIONS
from clinic_app.domain.policy import RULES, SERVICE_CODES, Profile
from clinic_app.domain.schedule import FORM_CONDITIONS, tb_phase

# Service codes a package may promise, with their Chinese names (from the policy format).
SERVICE_NAMES = SERVICE_CODES

# Conditions whose yearly follow-up promise the spec defines as face-to-face visits.
FACE_TO_FACE_ONLY = ("hypertension", "diabetes")
FACE_TO_FACE_METHODS = ("clinic", "home")

# FORM_CONDITIONS (imported): which conditions each follow-up form covers, the schedule's table.

# Services counted from other tables; everything else comes from service_records.
FROM_OWN_FORMS = ("follow_up", "checkup")
TB = "tuberculosis"


def per_year_key(condition: str) -> str | None:
    """The profile rule giving a condition's follow-ups a year, if the rules define one."""
    key = f"followup.per_year.{condition}"
    return key if key in RULES else None


ITEM_STATUS = {
    "done": "已完成",
    "on_track": "进行中",
    "behind": "落后进度",
    "missed": "未完成",
    "stopped": "已解约",
    "on_demand": "按需提供",
    "not_applicable": "不适用",
}


class Visit(NamedTuple):
    """What fulfilment needs of one current follow-up (a tuple: a township has 10⁶)."""

    visit_date: dt.date
    form: str
    method: str = "clinic"
    referral_to: str = ""


@dataclass(frozen=True)
class Events:
    """A resident's dated records that may fulfil a contract."""

    visits: Sequence[Visit] = ()
    checkups: Sequence[dt.date] = ()
    deliveries: Sequence[dt.date] = ()
    records: Sequence[tuple[str, dt.date]] = ()  # (service code, date) from service_records


@dataclass(frozen=True)
class Term:
    """The days a contract was in force, and the day fulfilment is judged on.

    The derived values are computed once (a township's report asks them ~10⁶ times).
    """

    start_on: dt.date
    end_on: dt.date
    ended_on: dt.date | None
    as_of: dt.date
    last_day: dt.date = field(init=False)  # the last day in force (F1)
    counted_until: dt.date = field(init=False)  # last day whose records count
    months: int = field(init=False)  # the agreed term in whole months
    share: float = field(init=False)  # how much of the agreed term has passed (0..1)
    ended_early: bool = field(init=False)
    over: bool = field(init=False)

    def __post_init__(self) -> None:
        last = self.end_on
        if self.ended_on is not None and self.ended_on <= self.end_on:
            # The day it is ended it no longer counts; ended before it began: never in force.
            last = max(self.ended_on - dt.timedelta(days=1),
                       self.start_on - dt.timedelta(days=1))
        total = (self.end_on - self.start_on).days + 1
        elapsed = (min(self.as_of, self.end_on) - self.start_on).days + 1
        values = {
            "last_day": last,
            "counted_until": min(last, self.as_of),
            # A 12-month term is 365 or 366 days: both round to 12.
            "months": max(1, round(total / 30.44)),
            "share": min(1.0, max(0.0, elapsed / total)),
            "ended_early": self.ended_on is not None and self.ended_on <= self.end_on
            and self.ended_on <= self.as_of,
            "over": self.as_of > last,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def counts(self, day: dt.date) -> bool:
        return self.start_on <= day <= self.counted_until


class Item(NamedTuple):
    """One promise of a contract and how far it is kept (a tuple: cheap to make in bulk)."""

    code: str
    name: str
    promised: int  # over the whole term; 0 = on demand
    done: int
    expected: int  # the promise pro rata to as_of
    status: str
    note: str = ""

    @property
    def status_label(self) -> str:
        return ITEM_STATUS.get(self.status, self.status)

    @property
    def owed(self) -> bool:
        """A promise with a number to keep (on-demand and not-applicable ones are not)."""
        return self.status not in ("on_demand", "not_applicable")

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "promised": self.promised,
                "done": self.done, "expected": self.expected, "status": self.status,
                "status_label": self.status_label, "note": self.note}


def scaled(times_a_year: int, term: Term) -> int:
    """A yearly number over the term (F2), rounded up: a 12-month term promises it once."""
    return math.ceil(times_a_year * term.months / 12)


def _status(promised: int, done: int, expected: int, term: Term) -> str:
    if promised <= 0:
        return "on_demand"
    if done >= promised:
        return "done"
    if term.ended_early:
        return "stopped"
    if term.over:
        return "missed"
    return "behind" if done < expected else "on_track"


def _item(code: str, name: str, promised: int, done: int, term: Term, note: str = "",
          expected: int | None = None) -> Item:
    if expected is None:
        expected = math.floor(promised * term.share + 1e-9) if promised else 0
    return Item(code, name, promised, done, expected, _status(promised, done, expected, term),
                note)


class Promise(NamedTuple):
    """The follow-ups one managed condition is owed over a contract's term (F3)."""

    times: int  # over the whole term
    note: str
    expected: int | None = None  # owed by as_of, when the rule knows better than pro rata


def tb_visits_due(intensive_days: int, continuation_days: int, diagnosed: dt.date | None,
                  first: dt.date, last: dt.date) -> int:
    """F3a: how many of R6's visit dates fall from `first` to `last` (both included).

    The dates a patient seen on time would have: every `intensive_days` from diagnosis while
    schedule.tb_phase says intensive, then every `continuation_days`. Counted, not listed,
    for the continuation phase: a patient diagnosed years ago costs no loop.
    """
    if last < first:
        return 0
    if diagnosed is None:  # no phase to go by: the continuation interval from the start
        return (last - first).days // continuation_days
    count, day = 0, diagnosed
    while tb_phase(None, diagnosed, day) == "intensive":
        day += dt.timedelta(days=intensive_days)
        count += first <= day <= last
    # Continuation visits are day + m × continuation_days for m ≥ 1.
    lowest = max(1, -(-(first - day).days // continuation_days))
    highest = (last - day).days // continuation_days
    return count + max(0, highest - lowest + 1)


def tb_promise(profile: Profile, diagnosed: dt.date | None, closed: dt.date | None,
               term: Term) -> Promise:
    """F3a: TB follow-ups owed over the term from the profile's intervals (in force when the
    contract started, like every promise of the package it was signed with)."""
    intensive = profile.value("followup.tb_intensive_days", term.start_on)
    continuation = profile.value("followup.tb_continuation_days", term.start_on)
    last = term.end_on if closed is None else min(term.end_on, closed)
    times = tb_visits_due(intensive, continuation, diagnosed, term.start_on, last)
    expected = tb_visits_due(intensive, continuation, diagnosed, term.start_on,
                             min(last, term.as_of))
    # The intervals first: the 依据 column is narrow and shows the start of the note.
    note = f"政策配置：强化期每{intensive}天、继续期每{continuation}天随访"
    note += "（未登记确诊日期，按继续期计）" if diagnosed is None else "（强化期为确诊后2个月）"
    return Promise(times, note, expected)


def follow_up_promises(profile: Profile, conditions: Iterable[Mapping[str, Any]],
                       term: Term) -> dict[str, Promise]:
    """F3: what each condition managed during the term is owed, by condition code.

    `conditions` are rows with code, status, diagnosed_on and closed_on (ISO text); a
    condition counts when diagnosed by the term's last day and not closed before it began.
    Conditions without a follow-up rule, and promises of nothing, are left out.
    """
    start, last = term.start_on.isoformat(), term.last_day.isoformat()
    out: dict[str, Promise] = {}
    for row in conditions:
        code = row["code"]
        if code not in CHRONIC_CONDITIONS:
            continue
        managed = (row["status"] == "active" or (row["closed_on"] or "") >= start) and \
            (row["diagnosed_on"] or "") <= last
        if not managed:
            continue
        if code == TB:
            promise = tb_promise(
                profile,
                dt.date.fromisoformat(row["diagnosed_on"]) if row["diagnosed_on"] else None,
                dt.date.fromisoformat(row["closed_on"])
                if row["status"] != "active" and row["closed_on"] else None, term)
        else:
            key = per_year_key(code)
            per_year = (profile.value(key, term.start_on) or 0) if key else 0
            promise = Promise(scaled(per_year, term), f"政策配置：每年{per_year}次" + (
                "面对面随访（电话随访不计）" if code in FACE_TO_FACE_ONLY else "随访"))
        # The same disease registered twice (closed, then found again): the larger promise.
        if promise.times > 0 and (code not in out or promise.times > out[code].times):
            out[code] = promise
    return out


def follow_up_items(name: str, promises: Mapping[str, Promise], visits: Iterable[Visit],
                    term: Term) -> list[Item]:
    """F3: one promise per managed condition (see follow_up_promises)."""
    conditions = [c for c in CHRONIC_CONDITIONS if c in promises]
    if not conditions:
        return [Item("follow_up", name, 0, 0, 0, "not_applicable", "未登记需定期随访的慢病")]
    start, until = term.start_on, term.counted_until
    visits = [v for v in visits if start <= v.visit_date <= until]
    items = []
    for condition in conditions:
        label = CHRONIC_CONDITIONS[condition]
        face_to_face = condition in FACE_TO_FACE_ONLY
        days = {v.visit_date for v in visits
                if condition in FORM_CONDITIONS.get(v.form, ())
                and (not face_to_face or v.method in FACE_TO_FACE_METHODS)}
        promise = promises[condition]
        items.append(_item("follow_up", f"{name}（{label}）", promise.times, len(days), term,
                           promise.note, promise.expected))
    return items


def contract_items(services: Sequence[Mapping[str, Any]], term: Term,
                   promises: Mapping[str, Promise], events: Events) -> list[Item]:
    """Every promise of one contract (its package as signed) against the records (F1–F5)."""
    start, until = term.start_on, term.counted_until
    recorded: dict[str, set[dt.date]] = {}
    counted: dict[str, int] = {}
    for code, day in events.records:
        if start <= day <= until:
            counted[code] = counted.get(code, 0) + 1
            recorded.setdefault(code, set()).add(day)
    items: list[Item] = []
    for service in services:
        code, name = str(service["code"]), str(service.get("name") or service["code"])
        times = int(service.get("times") or 0)
        if code == "follow_up":
            items += follow_up_items(name, promises, events.visits, term)
            continue
        if code == "checkup":
            done = len({d for d in events.checkups if start <= d <= until})
            note = "按健康体检记录"
        elif code == "referral":
            done = sum(1 for v in events.visits if v.referral_to.strip()
                       and start <= v.visit_date <= until) + counted.get(code, 0)
            note = "随访表中的转诊，加上登记的转诊服务"
        elif code == "medicine_delivery":
            days = {d for d in events.deliveries if start <= d <= until}
            done = len(days | recorded.get(code, set()))
            note = "按送药记录（每天计一次）"
        else:
            done = counted.get(code, 0)
            note = "按登记的服务记录"
        items.append(_item(code, name, scaled(times, term), done, term, note))
    return items


@dataclass
class Tally:
    """签约一人履约一人、签约一项履约一项 for a group of contracts (a village)."""

    contracts: int = 0
    contracts_done: int = 0  # every owed promise kept in full
    contracts_on_track: int = 0  # no owed promise behind its pro-rata share
    items: int = 0  # owed promises
    items_done: int = 0
    items_on_track: int = 0  # done ≥ pro-rata share to date
    services: dict[str, list[int]] = field(default_factory=dict)  # code → [owed, done]

    def add(self, items: Sequence[Item]) -> None:
        self.contracts += 1
        owed = done = on_track = 0
        for item in items:
            if item.status in ("on_demand", "not_applicable"):
                continue
            owed += 1
            kept = item.done >= item.promised
            done += kept
            on_track += item.done >= item.expected
            pair = self.services.get(item.code)
            if pair is None:
                pair = self.services[item.code] = [0, 0]
            pair[0] += 1
            pair[1] += kept
        self.items += owed
        self.items_done += done
        self.items_on_track += on_track
        self.contracts_done += done == owed
        self.contracts_on_track += on_track == owed

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "contracts": self.contracts, "contracts_done": self.contracts_done,
            "contracts_on_track": self.contracts_on_track, "items": self.items,
            "items_done": self.items_done, "items_on_track": self.items_on_track,
            "item_rate": self._rate(self.items_done, self.items),
            "on_track_rate": self._rate(self.items_on_track, self.items),
            "person_rate": self._rate(self.contracts_done, self.contracts),
            "services": {code: {"items": owed, "done": done,
                                "rate": self._rate(done, owed)}
                         for code, (owed, done) in self.services.items()},
        }
