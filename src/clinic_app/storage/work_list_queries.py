"""Reads behind 今日待办 (the work list): who might be due, and everything the rules need of them.

A township has tens of thousands of chronic patients and hundreds of thousands of visits; the
rules (``domain/schedule.py``) run in Python and cost microseconds per patient, so running them on
everyone takes seconds. ``candidates`` lets SQLite pass over everyone cheaply instead: for each
scheduled condition it finds the latest *current* visit covering it (not deleted, not replaced
by a live correction) with one seek in the covering index ``follow_ups_current`` (migration
m0006), and keeps the patient only if the rules *could* list them: never visited, a next date
on or before the horizon, a visit old enough that the shortest interval of any rule has run
out, or measurements / a complication that could make them urgent. The thresholds come from
``Bounds`` (the loosest value of each rule over every version of the profile), so the filter
only ever keeps too many, never too few; Python then applies the exact rules to the few left.
``reference_inputs`` is the plain version of the same reads (every current visit of everyone),
used for one resident's schedule and by the tests that prove both give the same list.

Nothing here is stored: due dates and overdue status are computed at query time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clinic_app.domain.schedule import PREVIOUS_WINDOW_DAYS, SCHEDULED
from clinic_app.storage.store import Store

# The conditions with a follow-up schedule: one list, in domain/schedule.py.
SCHEDULED_CODES = SCHEDULED
_CODES = ", ".join(f"'{c}'" for c in SCHEDULED_CODES)
_SCHEDULED = f"c.deleted = 0 AND c.status = 'active' AND c.code IN ({_CODES})"

# A visit noting a new complication (R5), with Python's truthiness of the JSON value (what
# ``bool(visit.data.get("new_complication"))`` says). The same expression is the condition of the
# partial index follow_ups_complication (m0006): SQLite uses a partial index only when the
# query repeats its condition. json_valid keeps a malformed row insertable.
_VALUE = "json_extract(data, '$.new_complication')"
COMPLICATION_FLAGGED = f"""CASE WHEN json_valid(data)
    THEN CASE json_type(data, '$.new_complication')
    WHEN 'true' THEN 1 WHEN 'integer' THEN {_VALUE} <> 0 WHEN 'real' THEN {_VALUE} <> 0
    WHEN 'text' THEN {_VALUE} <> '' WHEN 'object' THEN {_VALUE} <> '{{}}'
    WHEN 'array' THEN json_array_length(data, '$.new_complication') > 0 END END"""


def _flagged(alias: str) -> str:
    """EXISTS: visit `alias` notes a new complication (a seek in the small partial index)."""
    return (f"EXISTS (SELECT 1 FROM follow_ups k INDEXED BY follow_ups_complication "
            f"WHERE k.resident_id = {alias}.resident_id AND k.rowid = {alias}.rowid "
            f"AND k.deleted = 0 AND {COMPLICATION_FLAGGED.replace('data', 'k.data')})")


@dataclass(frozen=True)
class Bounds:
    """Dates and thresholds of the candidate filter (ISO dates; see ``work_list.bounds``)."""

    horizon: str  # due on or before this day: listed
    bp_visit_before: str  # HTN/DM visit without a next date, on or before: maybe due
    tb_visit_before: str
    smi_visit_before: str
    emergency_sbp: int  # the lowest value of each threshold over the profile's versions
    emergency_dbp: int
    emergency_glucose: float
    emergency_low_glucose: float  # the highest
    uncontrolled_sbp: int  # lowest SBP that is "not controlled" for anyone on any date
    uncontrolled_dbp: int
    uncontrolled_glucose: float
    everyone: bool = False  # include_later: no filter at all


def _current(alias: str) -> str:
    """A visit that counts: not deleted and not replaced by a live correction."""
    return (f"{alias}.deleted = 0 AND NOT EXISTS (SELECT 1 FROM follow_ups s INDEXED BY "
            f"follow_ups_superseded WHERE s.supersedes_id = {alias}.id AND s.deleted = 0)")


# A visit's form covers the condition (the combined form covers both).
_COVERS = ("(f.form = {code} OR (f.form = 'combined' AND {code} IN "
           "('hypertension', 'diabetes')))")
_NEWEST = "ORDER BY {a}.visit_date DESC, {a}.created_at DESC, {a}.id DESC"

# Could the rules list this condition, given its latest visit f? (a superset; see module doc)
_MAYBE_LISTED = f"""CASE c.code
    WHEN 'tuberculosis' THEN f.visit_date <= :tb_visit_before
    WHEN 'severe_mental' THEN f.visit_date <= :smi_visit_before
    ELSE f.next_visit_on <= :horizon
      OR (f.next_visit_on IS NULL AND f.visit_date <= :bp_visit_before)
      OR f.sbp >= :emergency_sbp OR f.dbp >= :emergency_dbp
      OR f.fasting_glucose >= :emergency_glucose OR f.fasting_glucose <= :emergency_low_glucose
      OR {_flagged('f')}
      OR ((f.sbp >= :uncontrolled_sbp OR f.dbp >= :uncontrolled_dbp
           OR f.fasting_glucose >= :uncontrolled_glucose)
          AND coalesce((SELECT g.classification IN ('uncontrolled', 'complication')
                          AND g.visit_date >= date(f.visit_date, '-{PREVIOUS_WINDOW_DAYS} days')
                        FROM follow_ups g INDEXED BY follow_ups_current
                        WHERE g.resident_id = f.resident_id AND {_current('g')}
                          AND {_COVERS.format(code='c.code').replace('f.form', 'g.form')}
                        {_NEWEST.format(a='g')} LIMIT 1 OFFSET 1), 0))
    END"""


def _latest(condition_code: str, test: str | None) -> str:
    """The rowid of the latest current visit covering the condition; negative when `test`
    says the patient cannot be listed for it; NULL when never visited."""
    value = f"CASE WHEN {test} THEN f.rowid ELSE -f.rowid END" if test else "f.rowid"
    return (f"(SELECT {value} FROM follow_ups f INDEXED BY follow_ups_current "
            f"WHERE f.resident_id = c.resident_id AND {_current('f')} "
            f"AND {_COVERS.format(code=condition_code)} {_NEWEST.format(a='f')} LIMIT 1)")


# The visit before the latest one covering the condition (R5 "twice in a row"), packed as text
# (no floats in it); only fetched when the latest visit might not be controlled.
_PREVIOUS = f"""CASE WHEN pc.code IN ('hypertension', 'diabetes') AND (
        l.sbp >= :uncontrolled_sbp OR l.dbp >= :uncontrolled_dbp
        OR l.fasting_glucose >= :uncontrolled_glucose)
    THEN (SELECT json_array(f.rowid, f.visit_date, f.created_at, f.id, f.form, f.classification)
          FROM follow_ups f INDEXED BY follow_ups_current
          WHERE f.resident_id = pc.rid AND {_current('f')}
            AND {_COVERS.format(code='pc.code')} {_NEWEST.format(a='f')} LIMIT 1 OFFSET 1)
    END"""

# The patient's latest current visit of any form (上次随访 on the list).
_NEWEST_ANY = f"""(SELECT f.rowid FROM follow_ups f INDEXED BY follow_ups_current
    WHERE f.resident_id = pc.rid AND {_current('f')} {_NEWEST.format(a='f')} LIMIT 1)"""

# What the rules read of Visit.data (schedule.DATA_KEYS): whether a BP visit notes a new
# complication, and a TB visit's phase or a severe-mental-disorder visit's stability as the JSON
# text of the value. Parsing JSON is the dear part, so each is read only where it can matter.
def _json_key(alias: str, form: str, key: str) -> str:
    return (f"CASE WHEN {alias}.form = '{form}' AND json_valid({alias}.data) "
            f"THEN json_quote(json_extract({alias}.data, '$.{key}')) END")


VISIT_COLUMNS = ("rowid", "visit_date", "created_at", "id", "form", "sbp", "dbp",
                 "fasting_glucose", "next_visit_on", "classification", "new_complication",
                 "tb_phase", "stability")


def _visit_select(alias: str) -> str:
    return (", ".join(f"{alias}.{c}" for c in VISIT_COLUMNS[:10])
            + f", {alias}.form IN ('hypertension', 'diabetes', 'combined') AND {_flagged(alias)}"
            + f", {_json_key(alias, 'tuberculosis', 'tb_phase')}"
            + f", {_json_key(alias, 'severe_mental', 'stability')}")


PATIENT_COLUMNS = ("name", "sex", "birth_date", "phone", "created_at", "household_id",
                   "village_id", "group_name", "address", "household_no")
# The resident's own phone, else the household's: the same on the screen, the CLI and export.
PHONE = "CASE WHEN r.phone <> '' THEN r.phone ELSE coalesce(h.phone, '') END"
_PATIENT_SELECT = (f"r.name, r.sex, r.birth_date, {PHONE} AS phone, r.created_at, "
                   "r.household_id, h.village_id, h.group_name, h.address, h.household_no")


def _source(*, village_id: str | None, resident_ids: Sequence[str] | None) -> tuple[str, dict]:
    """The scheduled conditions in scope, as a FROM … WHERE clause over alias c."""
    if resident_ids is not None:
        return (f"json_each(:resident_ids) j CROSS JOIN conditions c INDEXED BY "
                f"conditions_scheduled ON c.resident_id = j.value WHERE {_SCHEDULED}",
                {"resident_ids": json.dumps(list(resident_ids))})
    if village_id is not None:
        return ("households h0 CROSS JOIN residents r0 ON r0.household_id = h0.id "
                "CROSS JOIN conditions c INDEXED BY conditions_scheduled "
                f"ON c.resident_id = r0.id WHERE h0.village_id = :village_id AND {_SCHEDULED}",
                {"village_id": village_id})
    return f"conditions c INDEXED BY conditions_scheduled WHERE {_SCHEDULED}", {}


def _rows(store: Store, bounds: Bounds, *, village_id: str | None = None,
          doctor_id: str | None = None, resident_ids: Sequence[str] | None = None,
          only_listable: bool, skip_condition_rows: Sequence[int] = ()
          ) -> list[tuple[Any, ...]]:
    source, params = _source(village_id=village_id, resident_ids=resident_ids)
    test = _MAYBE_LISTED if only_listable and not bounds.everyone else None
    where = ["r.deleted = 0", "r.status = 'active'"]
    if test:
        where.append("(pc.lv IS NULL OR pc.lv > 0)")
    if skip_condition_rows:  # before the latest-visit seek, not after it
        source += " AND c.rowid NOT IN (SELECT value FROM json_each(:skip))"
        params["skip"] = json.dumps(list(skip_condition_rows))
    if doctor_id:
        where.append("EXISTS (SELECT 1 FROM contracts k WHERE k.resident_id = r.id "
                     "AND k.deleted = 0 AND k.ended_on IS NULL AND k.doctor_id = :doctor_id)")
        params["doctor_id"] = doctor_id
    # MATERIALIZED: the latest-visit subquery runs once per condition, not once per use.
    sql = f"""
        WITH pc AS MATERIALIZED (
            SELECT c.resident_id AS rid, c.code, c.diagnosed_on, c.rowid AS crow,
                   {_latest('c.code', test)} AS lv
            FROM {source})
        SELECT pc.rid, pc.code, pc.diagnosed_on, pc.crow, {_PATIENT_SELECT},
               {_visit_select('l')}, {_PREVIOUS} AS previous, {_NEWEST_ANY} AS newest
        FROM pc CROSS JOIN residents r ON r.id = pc.rid
        LEFT JOIN households h ON h.id = r.household_id
        LEFT JOIN follow_ups l ON l.rowid = abs(pc.lv)
        WHERE {' AND '.join(where)}"""
    values = {k: v for k, v in bounds.__dict__.items() if k != "everyone"}
    return store.db.execute(sql, {**values, **params}).fetchall()


ROW_COLUMNS = ("rid", "code", "diagnosed_on", "crow", *PATIENT_COLUMNS,
               *(f"l_{c}" for c in VISIT_COLUMNS), "previous", "newest")


def candidates(store: Store, bounds: Bounds, *, village_id: str | None = None,
               doctor_id: str | None = None) -> list[tuple[Any, ...]]:
    """One row per scheduled condition of every patient the rules might list (ROW_COLUMNS),
    including that patient's other scheduled conditions (the rules weigh them all)."""
    rows = _rows(store, bounds, village_id=village_id, doctor_id=doctor_id, only_listable=True)
    if not rows:
        return rows
    listed = list(dict.fromkeys(row[0] for row in rows))
    rows += _rows(store, bounds, resident_ids=listed, only_listable=False,
                  skip_condition_rows=[row[3] for row in rows])
    return rows


def visits_by_rowid(store: Store, rowids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """Visits as VISIT_COLUMNS tuples, by rowid."""
    if not rowids:
        return {}
    rows = store.db.execute(
        f"SELECT {_visit_select('f')} FROM json_each(?) j "
        "CROSS JOIN follow_ups f ON f.rowid = j.value", [json.dumps(list(rowids))]).fetchall()
    return {row[0]: row for row in rows}


def village_names(store: Store) -> dict[str, str]:
    return dict(store.db.execute("SELECT id, name FROM places").fetchall())


def latest_contacts(store: Store, resident_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The latest 今日待办 mark of each resident (one query, whatever the number)."""
    if not resident_ids:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for rid, on_date, outcome, note in store.db.execute(
            "SELECT a.resident_id, a.on_date, a.outcome, a.note FROM json_each(?) j "
            "CROSS JOIN contact_attempts a ON a.resident_id = j.value WHERE a.deleted = 0 "
            "ORDER BY a.on_date, a.modified_at, a.created_at", [json.dumps(list(resident_ids))]):
        out[rid] = {"resident_id": rid, "on_date": on_date, "outcome": outcome, "note": note}
    return out


def contact_mark_on(store: Store, resident_id: str, on_date: str, doctor_id: str | None
                    ) -> dict[str, Any] | None:
    """This doctor's live mark of the resident on that day (one is kept per day)."""
    rows = store.rows("SELECT id, outcome, note FROM contact_attempts WHERE resident_id = ? "
                      "AND on_date = ? AND doctor_id IS ? AND deleted = 0 "
                      "ORDER BY modified_at DESC LIMIT 1", [resident_id, on_date, doctor_id])
    return rows[0] if rows else None


# ---------------------------------------------------------------------- the plain reference
def reference_inputs(store: Store, *, village_id: str | None = None,
                     doctor_id: str | None = None, resident_ids: Sequence[str] | None = None
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                list[dict[str, Any]]]:
    """(patients, conditions, visits) read the obvious way: every active resident with an
    active scheduled condition, those conditions in entry order, and every current visit of
    theirs, newest first. No filter, no index tricks: what ``candidates`` must agree with."""
    where = ["r.deleted = 0", "r.status = 'active'",
             f"EXISTS (SELECT 1 FROM conditions c WHERE c.resident_id = r.id AND {_SCHEDULED})"]
    params: list[Any] = []
    if village_id:
        where.append("h.village_id = ?")
        params.append(village_id)
    if doctor_id:
        where.append("EXISTS (SELECT 1 FROM contracts k WHERE k.resident_id = r.id "
                     "AND k.deleted = 0 AND k.ended_on IS NULL AND k.doctor_id = ?)")
        params.append(doctor_id)
    if resident_ids is not None:
        where.append("r.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(resident_ids)))
    patients = store.rows(f"""
        SELECT r.id, r.name, r.sex, r.birth_date, {PHONE} AS phone, r.created_at,
               h.household_no, h.address, h.group_name, v.name AS village
        FROM residents r LEFT JOIN households h ON h.id = r.household_id
        LEFT JOIN places v ON v.id = h.village_id
        WHERE {' AND '.join(where)} ORDER BY r.id""", params)
    ids = json.dumps([p["id"] for p in patients])
    conditions = store.rows(f"""
        SELECT c.resident_id, c.code, c.diagnosed_on FROM conditions c
        WHERE c.resident_id IN (SELECT value FROM json_each(?)) AND {_SCHEDULED}
        ORDER BY c.rowid""", [ids])
    visits = store.rows("""
        SELECT f.resident_id, f.visit_date, f.form, f.sbp, f.dbp, f.fasting_glucose,
               f.next_visit_on, f.classification, f.data
        FROM follow_ups f WHERE f.resident_id IN (SELECT value FROM json_each(?))
          AND f.deleted = 0 AND NOT EXISTS (SELECT 1 FROM follow_ups s
              WHERE s.supersedes_id = f.id AND s.deleted = 0)
        ORDER BY f.resident_id, f.visit_date DESC, f.created_at DESC, f.id DESC""", [ids])
    return patients, conditions, visits
