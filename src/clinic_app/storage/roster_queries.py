"""The SQL behind the roster import (``clinic_app.roster``): bulk lookups by key, in chunks.

A roster of 50,000 people is matched against the register by ID number and household number;
each lookup here takes a whole list of keys and answers with one query per chunk of keys, so
the import never asks SQLite once per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from clinic_app.storage.store import Store

CHUNK = 900  # bound parameters per query, well under SQLite's limit

# The resident columns the import compares with the roster (and the pages show).
RESIDENT_COLUMNS = (
    "id", "household_id", "relation", "name", "id_number", "sex", "birth_date", "phone",
    "ethnicity", "poverty_category", "poverty_status", "status", "notes",
)
HOUSEHOLD_COLUMNS = ("id", "household_no", "village_id", "group_name", "head_id",
                     "poverty_category", "address")


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _marks(batch: Sequence[Any]) -> str:
    return ", ".join("?" for _ in batch)


def live_places(store: Store) -> list[dict[str, Any]]:
    """Every place that is not deleted, oldest first (so the first match is the original)."""
    return store.rows("SELECT id, kind, name, parent_id FROM places WHERE deleted = 0 "
                      "ORDER BY created_at, id")


def residents_by_id_number(store: Store, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live residents whose ID number is one of numbers, keyed by ID number."""
    out: dict[str, dict[str, Any]] = {}
    columns = ", ".join(RESIDENT_COLUMNS)
    for batch in _chunks(numbers):
        for row in store.rows(f"SELECT {columns} FROM residents WHERE deleted = 0 "
                              f"AND id_number IN ({_marks(batch)})", batch):
            out[row["id_number"]] = row
    return out


def residents_by_id(store: Store, resident_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Residents (deleted or not) by their row id."""
    out: dict[str, dict[str, Any]] = {}
    columns = ", ".join(RESIDENT_COLUMNS)
    for batch in _chunks(resident_ids):
        for row in store.rows(f"SELECT {columns} FROM residents WHERE id IN ({_marks(batch)})",
                              batch):
            out[row["id"]] = row
    return out


def households_by_no(store: Store, numbers: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live households whose household number is one of numbers, keyed by that number."""
    out: dict[str, dict[str, Any]] = {}
    columns = ", ".join(HOUSEHOLD_COLUMNS)
    for batch in _chunks(numbers):
        for row in store.rows(f"SELECT {columns} FROM households WHERE deleted = 0 "
                              f"AND household_no <> '' AND household_no IN ({_marks(batch)})",
                              batch):
            out[row["household_no"]] = row
    return out


def households_headed_by(store: Store, resident_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Live households whose head is one of resident_ids."""
    out: list[dict[str, Any]] = []
    columns = ", ".join(HOUSEHOLD_COLUMNS)
    for batch in _chunks(resident_ids):
        out += store.rows(f"SELECT {columns} FROM households WHERE deleted = 0 "
                          f"AND head_id IN ({_marks(batch)})", batch)
    return out


def members_called_head(store: Store, household_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Active residents of the households whose relation is 户主 (one per household, normally)."""
    out: list[dict[str, Any]] = []
    columns = ", ".join(RESIDENT_COLUMNS)
    for batch in _chunks(household_ids):
        out += store.rows(f"SELECT {columns} FROM residents WHERE deleted = 0 "
                          f"AND status = 'active' AND relation = '户主' "
                          f"AND household_id IN ({_marks(batch)})", batch)
    return out


def village_residents(store: Store, village_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Active residents living in households of the villages, in household order."""
    out: list[dict[str, Any]] = []
    for batch in _chunks(village_ids):
        out += store.rows(f"""
            SELECT r.id, r.name, r.id_number, r.sex, r.birth_date, r.relation, r.household_id,
                   h.household_no, h.group_name, v.name AS village
            FROM households h CROSS JOIN residents r ON r.household_id = h.id
            JOIN places v ON v.id = h.village_id
            WHERE h.village_id IN ({_marks(batch)}) AND h.deleted = 0 AND r.deleted = 0
              AND r.status = 'active'
            ORDER BY v.name, h.household_no, r.relation <> '户主', r.birth_date""", batch)
    return out


def household_members(store: Store, household_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Live residents of the households (any status), for matching people without an ID."""
    out: list[dict[str, Any]] = []
    columns = ", ".join(RESIDENT_COLUMNS)
    for batch in _chunks(household_ids):
        out += store.rows(f"SELECT {columns} FROM residents WHERE deleted = 0 "
                          f"AND household_id IN ({_marks(batch)})", batch)
    return out


def household_numbers(store: Store, household_ids: Iterable[str]) -> dict[str, str]:
    """Household id → household number (deleted households too: history stays readable)."""
    out: dict[str, str] = {}
    for batch in _chunks(household_ids):
        for row in store.rows(f"SELECT id, household_no FROM households "
                              f"WHERE id IN ({_marks(batch)})", batch):
            out[row["id"]] = row["household_no"]
    return out


def change_history(store: Store, table: str, row_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The change-log entries of the rows, oldest first (who set which field, and when)."""
    out: list[dict[str, Any]] = []
    for batch in _chunks(row_ids):
        out += store.rows(f"SELECT seq, row_id, op, user, at, fields FROM change_log "
                          f"WHERE table_name = ? AND row_id IN ({_marks(batch)})",
                          [table, *batch])
    out.sort(key=lambda entry: entry["seq"])
    return out


def rows_changed_by(store: Store, table: str, row_ids: Iterable[str], user: str,
                    suffix: str) -> set[str]:
    """Which of the rows the change log shows written by this user, or a user ending in
    suffix (a roster import's marker)."""
    out: set[str] = set()
    for batch in _chunks(row_ids):
        for row in store.rows(f"SELECT DISTINCT row_id FROM change_log WHERE table_name = ? "
                              f"AND row_id IN ({_marks(batch)}) "
                              "AND (user = ? OR substr(user, -length(?)) = ?)",
                              [table, *batch, user, suffix, suffix]):
            out.add(row["row_id"])
    return out


def active_condition_codes(store: Store, resident_ids: Iterable[str]) -> dict[str, set[str]]:
    """Resident id → codes of their live, active conditions."""
    out: dict[str, set[str]] = {}
    for batch in _chunks(resident_ids):
        for row in store.rows(f"SELECT resident_id, code FROM conditions WHERE deleted = 0 "
                              f"AND status = 'active' AND resident_id IN ({_marks(batch)})",
                              batch):
            out.setdefault(row["resident_id"], set()).add(row["code"])
    return out


def village_names_of_households(store: Store, household_ids: Iterable[str]) -> list[str]:
    """The distinct village names of the households (for an export's title)."""
    names: set[str] = set()
    for batch in _chunks(household_ids):
        for row in store.rows(f"SELECT DISTINCT v.name FROM households h JOIN places v "
                              f"ON v.id = h.village_id WHERE h.id IN ({_marks(batch)})", batch):
            names.add(row["name"])
    return sorted(names)


def insert_search_keys(store: Store, rows: Iterable[tuple[str, str, str]]) -> None:
    """Add (key, kind, resident_id) rows for residents that have none yet (new ones)."""
    store.db.conn.executemany(
        "INSERT INTO search_keys(key, kind, resident_id) VALUES (?, ?, ?)", rows)
