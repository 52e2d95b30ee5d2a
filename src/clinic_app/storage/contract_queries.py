"""Read queries of 家庭医生签约 (contracts): teams, doctors, overlaps, expiry, fulfilment inputs.

Only reads; the ``Clinic`` facade writes through ``Store``. A contract is *in force* on a day
from its ``start_on`` to its ``end_on`` unless it was ended (解约) on or before that day
(``ended_on``): the day it is ended it no longer counts. Deleted rows (tombstones) never count.
Queries over many residents stage their ids in a temporary table and join with CROSS JOIN
(as ``queries.schedule_inputs`` does), so SQLite walks the ids and probes the indexes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from clinic_app.storage.store import Store

# The last day a contract is in force, as SQL over contracts aliased k.
_LAST_DAY = ("CASE WHEN k.ended_on IS NOT NULL AND k.ended_on <= k.end_on "
             "THEN date(k.ended_on, '-1 day') ELSE k.end_on END")


# ---------------------------------------------------------------------- teams and doctors
def teams(store: Store, *, include_inactive: bool = True) -> list[dict[str, Any]]:
    """Teams with their place, leader and how many active doctors they have."""
    where = "" if include_inactive else "AND t.active = 1"
    return store.rows(f"""
        SELECT t.id, t.name, t.phone, t.place_id, t.leader_id, t.active,
               p.name AS place, l.name AS leader,
               (SELECT count(*) FROM doctors d WHERE d.team_id = t.id AND d.deleted = 0
                AND d.active = 1) AS doctors
        FROM teams t LEFT JOIN places p ON p.id = t.place_id
        LEFT JOIN doctors l ON l.id = t.leader_id
        WHERE t.deleted = 0 {where}
        ORDER BY t.active DESC, t.name""")


def doctors(store: Store, on: dt.date, *, include_inactive: bool = True,
            team_id: str | None = None) -> list[dict[str, Any]]:
    """Doctors with their team and place, and how many contracts they hold in force on `on`."""
    where = ["d.deleted = 0"]
    params: list[Any] = [on.isoformat(), on.isoformat(), on.isoformat()]
    if not include_inactive:
        where.append("d.active = 1")
    if team_id:
        where.append("d.team_id = ?")
        params.append(team_id)
    return store.rows(f"""
        SELECT d.id, d.name, d.role, d.phone, d.team_id, d.place_id, d.active,
               t.name AS team, p.name AS place,
               (SELECT count(*) FROM contracts k WHERE k.doctor_id = d.id AND k.deleted = 0
                AND k.start_on <= ? AND k.end_on >= ?
                AND (k.ended_on IS NULL OR k.ended_on > ?)) AS contracts
        FROM doctors d LEFT JOIN teams t ON t.id = d.team_id
        LEFT JOIN places p ON p.id = d.place_id
        WHERE {' AND '.join(where)}
        ORDER BY d.active DESC, t.name, d.name""", params)


# ---------------------------------------------------------------------- one resident
def overlapping(store: Store, resident_id: str, start_on: dt.date, end_on: dt.date,
                exclude_id: str | None = None) -> list[dict[str, Any]]:
    """The resident's contracts in force on any day of start_on..end_on."""
    return store.rows(f"""
        SELECT k.* FROM contracts k
        WHERE k.resident_id = ? AND k.deleted = 0 AND k.id IS NOT ?
          AND k.start_on <= ? AND {_LAST_DAY} >= ? AND {_LAST_DAY} >= k.start_on
        ORDER BY k.start_on""",
                      [resident_id, exclude_id, end_on.isoformat(), start_on.isoformat()])


def open_contracts(store: Store, resident_id: str, on: dt.date) -> list[dict[str, Any]]:
    """Contracts not ended that are in force on `on` or start later (renewals signed early)."""
    return store.rows("""
        SELECT * FROM contracts WHERE resident_id = ? AND deleted = 0 AND ended_on IS NULL
          AND end_on >= ? ORDER BY start_on""", [resident_id, on.isoformat()])


def renewal_of(store: Store, contract_id: str) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM contracts WHERE renewed_from_id = ? AND deleted = 0",
                      [contract_id])
    return rows[0] if rows else None


def agreement_holders(store: Store, agreement_no: str) -> list[dict[str, Any]]:
    """Who already holds a paper agreement number (with their household)."""
    return store.rows("""
        SELECT k.id, k.resident_id, r.name, r.household_id FROM contracts k
        JOIN residents r ON r.id = k.resident_id
        WHERE k.agreement_no = ? AND k.agreement_no <> '' AND k.deleted = 0""", [agreement_no])


def service_records(store: Store, resident_id: str) -> list[dict[str, Any]]:
    return store.rows("""
        SELECT s.*, d.name AS doctor FROM service_records s
        LEFT JOIN doctors d ON d.id = s.doctor_id
        WHERE s.resident_id = ? AND s.deleted = 0
        ORDER BY s.service_on DESC, s.created_at DESC""", [resident_id])


# ---------------------------------------------------------------------- lists
_LIST_COLUMNS = """
    k.id, k.resident_id, k.start_on, k.end_on, k.package_code, k.agreement_no,
    r.name, r.sex, r.birth_date, coalesce(nullif(r.phone, ''), h.phone, '') AS phone,
    d.name AS doctor, t.name AS team, v.name AS village, h.group_name, h.household_no
"""
_LIST_JOINS = """
    FROM contracts k CROSS JOIN residents r ON r.id = k.resident_id
    LEFT JOIN doctors d ON d.id = k.doctor_id
    LEFT JOIN teams t ON t.id = k.team_id
    LEFT JOIN households h ON h.id = r.household_id
    LEFT JOIN places v ON v.id = h.village_id
"""
# One village: start at its households (≈10 ms on a 200k township instead of ≈250 ms
# walking the township's contracts by date).
_VILLAGE_JOINS = """
    FROM households h CROSS JOIN residents r ON r.household_id = h.id
    CROSS JOIN contracts k ON k.resident_id = r.id
    LEFT JOIN doctors d ON d.id = k.doctor_id
    LEFT JOIN teams t ON t.id = k.team_id
    LEFT JOIN places v ON v.id = h.village_id
"""
# Not ended, the resident still on the register, and no later contract (not renewed).
_UNRENEWED = """
    k.deleted = 0 AND k.ended_on IS NULL AND r.status = 'active' AND r.deleted = 0
    AND NOT EXISTS (SELECT 1 FROM contracts n WHERE n.resident_id = k.resident_id
                    AND n.deleted = 0 AND n.start_on > k.start_on)
"""


def _contract_list(store: Store, where: str, params: list[Any], order: str,
                   village_id: str | None) -> list[dict[str, Any]]:
    if village_id:
        return store.rows(f"SELECT {_LIST_COLUMNS} {_VILLAGE_JOINS} WHERE h.village_id = ? "
                          f"AND h.deleted = 0 AND {where} AND {_UNRENEWED} ORDER BY {order}",
                          [village_id, *params])
    return store.rows(f"SELECT {_LIST_COLUMNS} {_LIST_JOINS} WHERE {where} AND {_UNRENEWED} "
                      f"ORDER BY {order}", params)


def expiring(store: Store, from_on: dt.date, until: dt.date, *,
             village_id: str | None = None) -> list[dict[str, Any]]:
    """Unrenewed contracts whose term ends between from_on and until, soonest first."""
    return _contract_list(store, "k.end_on >= ? AND k.end_on <= ?",
                          [from_on.isoformat(), until.isoformat()], "k.end_on, v.name, r.name",
                          village_id)


def expired(store: Store, before: dt.date, *, village_id: str | None = None
            ) -> list[dict[str, Any]]:
    """Unrenewed contracts whose term ended before `before`, the most recent first."""
    return _contract_list(store, "k.end_on < ?", [before.isoformat()],
                          "k.end_on DESC, v.name, r.name", village_id)


def in_force(store: Store, on: dt.date, *, village_id: str | None = None
             ) -> list[dict[str, Any]]:
    """Contracts in force on `on` (started, not past their end, not ended) of one village's
    residents, or (village_id None) of residents in no household.

    The walk starts at the village's households (an index on village_id), not at every
    contract of the township: a 200k township's villages one by one take 1.5 s in all,
    the contracts table joined to residents 3.6 s.
    """
    live = """k.deleted = 0 AND r.deleted = 0 AND k.start_on <= ? AND k.end_on >= ?
          AND (k.ended_on IS NULL OR k.ended_on > ?)"""
    params: list[Any] = [on.isoformat()] * 3
    columns = """k.id, k.resident_id, k.profile_id, k.package_code, k.services, k.start_on,
                 k.end_on, k.ended_on"""
    if village_id:
        return store.rows(f"""
            SELECT {columns} FROM households h CROSS JOIN residents r ON r.household_id = h.id
            CROSS JOIN contracts k ON k.resident_id = r.id
            WHERE h.village_id = ? AND h.deleted = 0 AND {live}""", [village_id, *params])
    return store.rows(f"""
        SELECT {columns} FROM residents r CROSS JOIN contracts k ON k.resident_id = r.id
        WHERE r.household_id IS NULL AND {live}""", params)


# ---------------------------------------------------------------------- fulfilment inputs
def fulfilment_inputs(store: Store, resident_ids: Sequence[str], since: dt.date,
                      until: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Everything that may fulfil a contract of these residents between since and until.

    Returns {"conditions", "visits", "checkups", "deliveries", "records"}; visits and
    checkups are the current versions only (a corrected record is replaced by its
    correction, never counted twice), deleted rows are left out.
    """
    window = [since.isoformat(), until.isoformat()]
    store.db.execute("DROP TABLE IF EXISTS temp.fulfilment_residents")
    store.db.execute("CREATE TEMP TABLE fulfilment_residents (id TEXT PRIMARY KEY)")
    try:
        # One statement over a JSON array: a row-by-row executemany outside a transaction
        # commits each id separately (0.17 s for 2,000 ids).
        store.db.execute("INSERT OR IGNORE INTO temp.fulfilment_residents "
                         "SELECT value FROM json_each(?)", [json.dumps(list(resident_ids))])
        out = {
            "conditions": store.rows("""
                SELECT c.resident_id, c.code, c.status, c.diagnosed_on, c.closed_on
                FROM temp.fulfilment_residents p CROSS JOIN conditions c
                  ON c.resident_id = p.id WHERE c.deleted = 0"""),
            "visits": store.rows("""
                SELECT f.resident_id, f.visit_date, f.form, f.method, f.referral_to
                FROM temp.fulfilment_residents p CROSS JOIN follow_ups f
                  ON f.resident_id = p.id
                WHERE f.deleted = 0 AND f.visit_date >= ? AND f.visit_date <= ?
                  AND NOT EXISTS (SELECT 1 FROM follow_ups s WHERE s.supersedes_id = f.id
                                  AND s.deleted = 0)""", window),
            "checkups": store.rows("""
                SELECT c.resident_id, c.checkup_date FROM temp.fulfilment_residents p
                CROSS JOIN checkups c ON c.resident_id = p.id
                WHERE c.deleted = 0 AND c.checkup_date >= ? AND c.checkup_date <= ?
                  AND NOT EXISTS (SELECT 1 FROM checkups s WHERE s.supersedes_id = c.id
                                  AND s.deleted = 0)""", window),
            # A delivery that was corrected counts through its correction (one per day).
            "deliveries": store.rows("""
                SELECT DISTINCT d.resident_id, d.delivered_on FROM temp.fulfilment_residents p
                CROSS JOIN deliveries d ON d.resident_id = p.id
                WHERE d.deleted = 0 AND d.quantity > 0 AND d.delivered_on >= ?
                  AND d.delivered_on <= ?
                  AND NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.corrects_id = d.id
                                  AND s.deleted = 0)""", window),
            "records": store.rows("""
                SELECT s.resident_id, s.service_code, s.service_on
                FROM temp.fulfilment_residents p CROSS JOIN service_records s
                  ON s.resident_id = p.id
                WHERE s.deleted = 0 AND s.service_on >= ? AND s.service_on <= ?""", window),
        }
    finally:
        store.db.execute("DROP TABLE IF EXISTS temp.fulfilment_residents")
    return out
