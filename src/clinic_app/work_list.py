"""今日待办: the follow-ups overdue or due soon, computed when asked, most urgent first.

Two ways to the same list. ``work_items`` is the one the program uses: SQLite picks the few
patients the rules could list (``storage/work_list_queries.candidates``, which explains the
filter) and the rules (``domain/schedule.py``) run on those alone, so a township of 200,000
residents takes a fraction of a second instead of seconds. ``reference_items`` reads every
current visit of every patient and runs the rules on all of them: obviously right, slow on a
township, used for one resident's schedule and by the tests that compare the two on varied
registers and dates. Both build their rows with the same ``_patient_items``.

Nothing is stored: due dates, overdue days and risk come from the visits and the policy profile
each time (the profile version in force on each visit's date, as the rules say).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from clinic_app.domain import codes, ids, schedule
from clinic_app.domain.policy import Profile
from clinic_app.storage import work_list_queries as q
from clinic_app.storage.store import Store

_fromiso = dt.date.fromisoformat


@dataclass(frozen=True)
class ContactMark:
    """What ``Clinic.mark_contact`` did: added a mark, changed today's one, or nothing."""

    id: str
    change: str  # added / updated / unchanged
    before: str | None  # the outcome today's mark had before (updated / unchanged)


class _Seen:
    """A visit as the rules read it (duck-typed ``schedule.Visit``, cheap to make)."""

    __slots__ = ("classification", "conditions", "data", "dbp", "fasting_glucose", "form",
                 "next_visit_on", "order", "sbp", "visit_date")

    def __init__(self, visit_date: dt.date, form: str, sbp: int | None, dbp: int | None,
                 fasting_glucose: float | None, next_visit_on: dt.date | None,
                 classification: str, data: dict[str, Any], order: tuple[str, str, str]
                 ) -> None:
        self.visit_date, self.form, self.sbp, self.dbp = visit_date, form, sbp, dbp
        self.fasting_glucose, self.next_visit_on = fasting_glucose, next_visit_on
        self.classification, self.data, self.order = classification, data, order
        self.conditions = schedule.FORM_CONDITIONS.get(form, ())  # as Visit.conditions


def load_data(text: str | None) -> dict[str, Any]:
    """A visit's ``data`` column; a damaged one reads as empty rather than stopping the list."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ------------------------------------------------------------------------------ the filter
def _breakpoints(profile: Profile) -> list[dt.date]:
    """Dates on which some rule of the profile (or a parent) may change, and one before all."""
    days = {dt.date.min}
    node: Profile | None = profile
    while node is not None:
        days.update(v.valid_from for v in node.versions)
        node = node.parent
    return sorted(days)


def bounds(profile: Profile, as_of: dt.date, window: int, include_later: bool = False
           ) -> q.Bounds:
    """The candidate filter's dates and thresholds: for each rule the loosest value it takes
    in any version of the profile, so the filter can keep too many but never too few."""
    rules = [schedule.rules_on(profile, day) for day in _breakpoints(profile)]
    value = profile.value
    bp_days = min(min(r.referral_days, r.recheck_days, *(
        r.routine(schedule.FORM_CONDITIONS[form]) for form in
        ("hypertension", "diabetes", "combined"))) for r in rules)
    tb_days = min(min(value("followup.tb_intensive_days", r.on),
                      value("followup.tb_continuation_days", r.on)) for r in rules)
    smi_days = min(min(value("followup.smi_stable_days", r.on),
                       value("followup.smi_unstable_days", r.on)) for r in rules)
    horizon = as_of + dt.timedelta(days=window)

    def before(days: int) -> str:
        return (horizon - dt.timedelta(days=days)).isoformat()

    return q.Bounds(
        horizon=horizon.isoformat(), bp_visit_before=before(bp_days),
        tb_visit_before=before(tb_days), smi_visit_before=before(smi_days),
        emergency_sbp=min(r.emergency_sbp for r in rules),
        emergency_dbp=min(r.emergency_dbp for r in rules),
        emergency_glucose=min(r.emergency_high for r in rules),
        emergency_low_glucose=max(r.emergency_low for r in rules),
        uncontrolled_sbp=min(min(r.controlled_sbp, r.elderly_controlled_sbp) for r in rules),
        uncontrolled_dbp=min(r.controlled_dbp for r in rules),
        uncontrolled_glucose=min(r.controlled_fasting for r in rules),
        everyone=include_later)


# ------------------------------------------------------------------------------ one patient
_MEASURED = ("hypertension", "diabetes")  # the forms that record BP and glucose


def _readings(visits: Sequence[Any]) -> tuple[str, float | None]:
    """(last BP text, last fasting glucose) of the newest of `visits` that measured them: a
    later TB or mental-disorder visit, or a phone visit, records neither and must not blank
    them."""
    bp = max((v for v in visits if v.sbp and v.dbp), key=lambda v: v.visit_date, default=None)
    glucose = max((v for v in visits if v.fasting_glucose is not None),
                  key=lambda v: v.visit_date, default=None)
    return (f"{bp.sbp}/{bp.dbp}" if bp else "",
            glucose.fasting_glucose if glucose else None)


def _patient_items(profile: Profile, as_of: dt.date, horizon: dt.date, include_later: bool,
                   per_condition: bool, patient: Mapping[str, Any],
                   conditions: dict[str, dt.date | None], visits: Sequence[Any],
                   last: Any | None, village: str) -> list[dict[str, Any]]:
    """The rows of one patient: `visits` newest first (at least the latest two covering each
    condition), `last` the latest visit of any form.

    One row per condition (the 随访 register), or one per patient (今日待办): there the
    reason shown is the most urgent one, the one that sets the row's risk, and the date the
    earliest any condition is due (one visit serves them all); when the earliest is another
    condition's, its reason follows, so nothing due is hidden behind the urgent one.
    """
    birth = _fromiso(patient["birth_date"]) if patient["birth_date"] else None
    since = _fromiso(patient["created_at"][:10])
    dues = schedule.due_tuples(profile, conditions, visits, birth, since)
    if not dues:
        return []
    if per_condition:
        chosen = [(d, d, [d[0]]) for d in dues]
    else:
        urgent = min(dues, key=lambda d: (d[2], d[1]))
        first = min(dues, key=lambda d: (d[1], d[2]))
        # A combined visit judged both diseases at once: name every condition it set.
        same = [d[0] for d in dues if (d[1], d[2], d[3]) == (urgent[1], urgent[2], urgent[3])]
        chosen = [(urgent, first, same)]
    out = []
    for (condition, _, risk, rule, own_last), (_, due_on, _, first_rule, _), due_for in chosen:
        # Referred (or emergency) patients stay listed until followed up.
        if not include_later and due_on > horizon and risk > schedule.RISK_REFERRAL:
            continue
        if first_rule != rule:
            first_label = codes.label(codes.CONDITIONS, chosen[0][1][0])
            rule = f"{rule}；另{first_label}：{first_rule}"
        # The list: the latest visit of each disease (all the fast path reads); the register's
        # row: every visit of its own disease, so a phone visit shows the BP before it.
        bp, glucose = _readings(
            [v for v in visits if condition in v.conditions] if per_condition
            else [d[4] for d in dues if d[0] in _MEASURED and d[4] is not None])
        out.append({
            "id": patient["id"], "name": patient["name"], "sex": patient["sex"],
            "age": ids.age_on(birth, as_of) if birth else None,
            "phone": patient["phone"] or "",
            "village": village, "group_name": patient["group_name"] or "",
            "address": patient["address"] or "",
            "household_no": patient["household_no"] or "",
            "conditions": [codes.label(codes.CONDITIONS, c) for c in conditions],
            "condition": condition, "due_for": due_for, "due_on": due_on.isoformat(),
            "overdue_days": max(0, (as_of - due_on).days),
            "status": "overdue" if due_on < as_of else "due",
            "risk": risk, "rule": rule,
            # The register's row: this condition's own last visit; the list's: any form.
            "last_visit": (own_last.visit_date.isoformat() if own_last else None)
            if per_condition else (last.visit_date.isoformat() if last else None),
            "last_bp": bp, "last_glucose": glucose,
        })
    return out


def _finish(store: Store, items: list[dict[str, Any]], per_condition: bool
            ) -> list[dict[str, Any]]:
    if not per_condition:
        contacts = q.latest_contacts(store, [i["id"] for i in items])
        for item in items:
            item["contact"] = contacts.get(item["id"])
    items.sort(key=lambda i: (i["risk"], -i["overdue_days"], i["due_on"], i["name"], i["id"]))
    return items


# ------------------------------------------------------------------------------ fast path
def _json_value(text: str | None) -> Any:
    if text is None or text == "null":
        return None
    if text == "false":
        return False
    if text == "true":
        return True
    return json.loads(text)


_V = len(q.ROW_COLUMNS) - len(q.VISIT_COLUMNS) - 2  # where a row's latest-visit columns start


def _seen(values: Sequence[Any]) -> _Seen:
    """A VISIT_COLUMNS tuple (rowid first) as a visit the rules can read."""
    (_, day, created, vid, form, sbp, dbp, glucose, next_on, classification,
     complication, phase, stability) = values
    data: dict[str, Any] = {}
    if complication:  # the rules only ask whether it is set (schedule._verdict)
        data["new_complication"] = True
    if phase is not None and phase != "null":
        data["tb_phase"] = _json_value(phase)
    if stability is not None and stability != "null":
        data["stability"] = _json_value(stability)
    return _Seen(_fromiso(day), form, sbp, dbp, glucose, _fromiso(next_on) if next_on else None,
                 classification or "", data, (day, created, vid))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the list is built.

    Tens of thousands of rows and visits are allocated and none of them form cycles, yet each
    700 allocations make the collector walk every live object: measured, a third of the
    Python time of a township's list. Reference counting still frees everything at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def work_items(store: Store, profile: Profile, as_of: dt.date, window: int, *,
               village_id: str | None = None, doctor_id: str | None = None,
               include_later: bool = False) -> list[dict[str, Any]]:
    """Overdue or due within `window` days (or referred), most urgent first."""
    with _collector_paused():
        return _work_items(store, profile, as_of, window, village_id, doctor_id, include_later)


def _work_items(store: Store, profile: Profile, as_of: dt.date, window: int,
                village_id: str | None, doctor_id: str | None, include_later: bool
                ) -> list[dict[str, Any]]:
    rows = q.candidates(store, bounds(profile, as_of, window, include_later),
                        village_id=village_id, doctor_id=doctor_id)
    by_patient: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_patient.setdefault(row[0], []).append(row)
    end = _V + len(q.VISIT_COLUMNS)
    patients = []
    missing: set[int] = set()
    for mine in by_patient.values():
        if len(mine) > 1:
            mine.sort(key=lambda r: r[3])  # entry order of the conditions, as the reference
        conditions: dict[str, dt.date | None] = {}
        visits: dict[int, _Seen] = {}
        for row in mine:
            conditions[row[1]] = _fromiso(row[2]) if row[2] else None
            if row[_V] is not None and row[_V] not in visits:
                visits[row[_V]] = _seen(row[_V:end])
        for row in mine:  # the visit before the latest (R5), unless it is itself a latest
            if row[-2] is not None:
                rowid, day, created, vid, form, classification = json.loads(row[-2])
                if rowid not in visits:
                    visits[rowid] = _Seen(_fromiso(day), form, None, None, None, None,
                                          classification or "", {}, (day, created, vid))
        newest = mine[0][-1]
        if newest is not None and newest not in visits:
            missing.add(newest)
        ordered = list(visits.values())
        if len(ordered) > 1:
            ordered.sort(key=lambda v: v.order, reverse=True)
        patients.append((mine[0], conditions, ordered, visits, newest))
    fetched = {rowid: _seen(v) for rowid, v in q.visits_by_rowid(store, sorted(missing)).items()}
    villages = q.village_names(store) if patients else {}
    horizon = as_of + dt.timedelta(days=window)
    items: list[dict[str, Any]] = []
    for row, conditions, ordered, visits, newest in patients:
        last = (visits.get(newest) or fetched.get(newest)) if newest is not None else None
        patient = {"id": row[0], "name": row[4], "sex": row[5], "birth_date": row[6],
                   "phone": row[7], "created_at": row[8], "group_name": row[11],
                   "address": row[12], "household_no": row[13]}
        items += _patient_items(profile, as_of, horizon, include_later, False, patient,
                                conditions, ordered, last, villages.get(row[10]) or "")
    return _finish(store, items, False)


# ------------------------------------------------------------------------------ showing it
RISK_LABELS = {0: "危急", 1: "需转诊", 2: "控制不满意", 3: "常规"}


def risk_label(item: Mapping[str, Any]) -> str:
    """The row's risk in words; a severe mental disorder is judged by stability, not control
    (basically stable or unstable: 病情未稳定)."""
    if item.get("condition") == "severe_mental" and item.get("risk") == schedule.RISK_UNCONTROLLED:
        return "病情未稳定"
    return RISK_LABELS.get(item.get("risk", schedule.RISK_ROUTINE), "")


def due_for_text(item: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The conditions the row's reason is about (a combined visit names both)."""
    found = item.get("due_for") or [item.get("condition", "")]
    return "、".join((names or {}).get(c) or codes.label(codes.CONDITIONS, c) for c in found)


CONTACT_LABELS = {"called": "已电话", "visited": "已上门", "unreachable": "联系不上"}
_AGREED = "医生约定的下次随访日期（规则建议："


def reason(item: Mapping[str, Any]) -> str:
    """Why the patient is on the list, short enough for a column: the rule that set the risk,
    and whether the date is one the doctor agreed with the patient (R8)."""
    rule = item["rule"]
    if rule.startswith(_AGREED) and rule.endswith("）"):
        return f"{rule[len(_AGREED):-1]}（约定日期）"
    return rule


def when(item: Mapping[str, Any]) -> str:
    if item["status"] == "overdue":
        return f"逾期 {item['overdue_days']} 天"
    return f"{item['due_on']} 到期"


def contact_text(item: Mapping[str, Any]) -> str:
    mark = item.get("contact")
    if not mark:
        return ""
    note = f"（{mark['note']}）" if mark.get("note") else ""
    return f"{mark['on_date']} {CONTACT_LABELS.get(mark['outcome'], mark['outcome'])}{note}"


EXPORT_HEADERS = ("风险", "原因", "姓名", "性别", "年龄", "慢病", "应随访", "应随访日期",
                  "上次随访", "血压", "血糖", "电话", "村", "组", "地址", "户编号", "联系情况",
                  "规则全文")


def export_xlsx(path: Any, items: Sequence[Mapping[str, Any]], *, village: str,
                as_of: dt.date, profile_name: str) -> int:
    """The list as .xlsx, with a title row saying which village, as of when, under which
    policy profile (a printed or forwarded sheet must say what it is)."""
    from clinic_app.export import write_xlsx  # openpyxl loads only when exporting

    title = (f"{village} 今日待办（{as_of.isoformat()}，逾期和近期应随访 {len(items)} 人）"
             f"　政策配置：{profile_name}")
    rows = ([risk_label(i), reason(i), i["name"], i["sex"], i["age"],
             "、".join(i["conditions"]), when(i), i["due_on"], i["last_visit"] or "从未随访",
             i["last_bp"], i["last_glucose"], i["phone"], i["village"], i["group_name"],
             i["address"], i["household_no"], contact_text(i), i["rule"]] for i in items)
    return write_xlsx(path, "今日待办", EXPORT_HEADERS, rows, title=title)


# ------------------------------------------------------------------------------ reference
def _visit(row: Mapping[str, Any]) -> schedule.Visit:
    return schedule.Visit(_fromiso(row["visit_date"]), row["form"], row["sbp"], row["dbp"],
                          row["fasting_glucose"],
                          _fromiso(row["next_visit_on"]) if row["next_visit_on"] else None,
                          row["classification"] or "", load_data(row["data"]))


def reference_items(store: Store, profile: Profile, as_of: dt.date, window: int, *,
                    village_id: str | None = None, doctor_id: str | None = None,
                    resident_ids: Iterable[str] | None = None, include_later: bool = False,
                    per_condition: bool = False) -> list[dict[str, Any]]:
    """The same list the plain way: every current visit of every patient through the rules."""
    patients, conditions, visits = q.reference_inputs(
        store, village_id=village_id, doctor_id=doctor_id,
        resident_ids=list(resident_ids) if resident_ids is not None else None)
    by_patient: dict[str, dict[str, dt.date | None]] = {}
    for row in conditions:
        by_patient.setdefault(row["resident_id"], {})[row["code"]] = (
            _fromiso(row["diagnosed_on"]) if row["diagnosed_on"] else None)
    visits_of: dict[str, list[schedule.Visit]] = {}
    for row in visits:
        visits_of.setdefault(row["resident_id"], []).append(_visit(row))
    horizon = as_of + dt.timedelta(days=window)
    items: list[dict[str, Any]] = []
    for patient in patients:
        mine = visits_of.get(patient["id"], [])
        items += _patient_items(profile, as_of, horizon, include_later, per_condition, patient,
                                by_patient.get(patient["id"], {}), mine,
                                mine[0] if mine else None, patient["village"] or "")
    return _finish(store, items, per_condition)
