"""Follow-up reads: the current version of each visit, and a visit's correction chain.

A correction is a new row whose ``supersedes_id`` names the row it replaces; the old row stays
(history), so "current" means not deleted and not superseded by a live row.
"""

from __future__ import annotations

from typing import Any

from clinic_app.storage.store import Store

_CURRENT = """f.deleted = 0 AND NOT EXISTS (
    SELECT 1 FROM follow_ups s WHERE s.supersedes_id = f.id AND s.deleted = 0)"""


def current_follow_ups(store: Store, resident_id: str) -> list[dict[str, Any]]:
    """Every current visit of a resident, newest first (all of them: the tab says how many)."""
    return store.rows(f"""SELECT f.* FROM follow_ups f WHERE f.resident_id = ? AND {_CURRENT}
                          ORDER BY f.visit_date DESC, f.created_at DESC, f.id DESC""",
                      [resident_id])


def visits_before(store: Store, resident_id: str, before: str, exclude_id: str | None
                  ) -> list[dict[str, Any]]:
    """Current visits on or before a date (newest first), leaving out the one being corrected."""
    return store.rows(f"""SELECT f.* FROM follow_ups f WHERE f.resident_id = ?
                            AND f.visit_date <= ? AND f.id IS NOT ? AND {_CURRENT}
                          ORDER BY f.visit_date DESC, f.created_at DESC, f.id DESC""",
                      [resident_id, before, exclude_id])


def is_superseded(store: Store, follow_up_id: str) -> bool:
    return store.db.execute(
        "SELECT 1 FROM follow_ups WHERE supersedes_id = ? AND deleted = 0",
        [follow_up_id]).fetchone() is not None


def versions(store: Store, follow_up_id: str) -> list[dict[str, Any]]:
    """The correction chain ending at (or passing through) a visit, oldest first."""
    chain = [store.get("follow_ups", follow_up_id)]
    while chain[0]["supersedes_id"]:
        chain.insert(0, store.get("follow_ups", chain[0]["supersedes_id"]))
    while True:
        newer = store.rows("SELECT * FROM follow_ups WHERE supersedes_id = ? AND deleted = 0",
                           [chain[-1]["id"]])
        if not newer:
            return chain
        chain.append(newer[0])


def active_contract_doctor(store: Store, resident_id: str, on: str) -> str | None:
    row = store.db.execute(
        """SELECT doctor_id FROM contracts WHERE resident_id = ? AND deleted = 0
             AND ended_on IS NULL AND start_on <= ? AND end_on >= ? AND doctor_id IS NOT NULL
           ORDER BY start_on DESC LIMIT 1""", [resident_id, on, on]).fetchone()
    return row[0] if row else None


def active_doctors(store: Store) -> list[dict[str, Any]]:
    return store.rows("SELECT id, name, role, phone FROM doctors WHERE deleted = 0 AND active = 1 "
                      "ORDER BY name")


def visit_dates(store: Store, village_id: str, start: str, end: str) -> list[dict[str, Any]]:
    """(resident, form, date, method) of every current visit of a village's residents in a
    period: the 随访 register counts visit days per condition from these."""
    return store.rows(f"""
        SELECT DISTINCT f.resident_id, f.form, f.visit_date, f.method
        FROM households h CROSS JOIN residents r ON r.household_id = h.id
        CROSS JOIN follow_ups f ON f.resident_id = r.id
        WHERE h.village_id = ? AND h.deleted = 0 AND r.deleted = 0
          AND f.visit_date BETWEEN ? AND ? AND {_CURRENT}""", [village_id, start, end])
