"""Read queries for printing: card contents, batches, the print log, the monthly report.

Everything here reads; the one write (recording a print) goes through ``Store.insert_many`` in
the ``Clinic`` facade. Lists of ids are queried in chunks below SQLite's variable limit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from clinic_app.domain.schedule import SCHEDULED
from clinic_app.storage.care_queries import COVERED_CATEGORY, CURRENT_DELIVERY
from clinic_app.storage.store import Store, new_id

CHUNK = 900
SCHEDULED_CODES = SCHEDULED  # the conditions with a follow-up schedule (domain/schedule.py)
_RECORD_ID = re.compile(r"[0-9a-f]{32}")


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start:start + CHUNK])


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


# ------------------------------------------------------------------------- scanned QR codes

def record_id_of(text: str) -> str | None:
    """The record id a scanned card QR code (or a pasted UUID) carries, normalised; else None.

    The card's QR code holds the 32 hex digits in upper case (the compact alphanumeric QR mode);
    a UUID with dashes, lower case, or full-width characters from an input method also count.
    """
    compact = unicodedata.normalize("NFKC", text).strip().replace("-", "").lower()
    return compact if _RECORD_ID.fullmatch(compact) else None


def resident_by_record_id(store: Store, text: str) -> str | None:
    """The live resident whose record id the text is (a scanned contact card), else None."""
    record_id = record_id_of(text)
    if record_id is None:
        return None
    row = store.db.execute("SELECT id FROM residents WHERE id = ? AND deleted = 0",
                           [record_id]).fetchone()
    return row[0] if row else None


# ------------------------------------------------------------------------- choosing subjects

_HOUSEHOLD_ORDER = "CAST(h.group_name AS INTEGER), h.group_name, h.household_no, h.id"


def active_resident_ids(store: Store, *, village_id: str | None = None,
                        household_ids: Sequence[str] | None = None) -> list[str]:
    """Active residents in print order: village, group, household, head first, then by age."""
    where = ["h.deleted = 0", "r.deleted = 0", "r.status = 'active'"]
    params: list[Any] = []
    if village_id:
        where.append("h.village_id = ?")
        params.append(village_id)
    sql = ("SELECT r.id FROM households h CROSS JOIN residents r ON r.household_id = h.id "
           "LEFT JOIN places v ON v.id = h.village_id WHERE {where} "
           f"ORDER BY v.name, {_HOUSEHOLD_ORDER}, r.relation <> '户主', r.birth_date, r.id")
    if household_ids is None:
        return [row[0] for row in store.db.execute(sql.format(where=" AND ".join(where)),
                                                   params)]
    out = []
    for chunk in _chunks(household_ids):
        clause = " AND ".join([*where, f"h.id IN ({_marks(chunk)})"])
        out += [row[0] for row in store.db.execute(sql.format(where=clause), [*params, *chunk])]
    return out


def household_ids(store: Store, *, village_id: str | None = None,
                  resident_ids: Sequence[str] | None = None) -> list[str]:
    """Live households in print order (of a village, or those the given residents live in)."""
    sql = ("SELECT h.id FROM households h LEFT JOIN places v ON v.id = h.village_id "
           "WHERE h.deleted = 0 {extra} "
           f"ORDER BY v.name, {_HOUSEHOLD_ORDER}")
    if resident_ids is None:
        if village_id:
            return [r[0] for r in store.db.execute(sql.format(extra="AND h.village_id = ?"),
                                                   [village_id])]
        return [r[0] for r in store.db.execute(sql.format(extra=""))]
    wanted: set[str] = set()
    for chunk in _chunks(resident_ids):
        wanted |= {r[0] for r in store.db.execute(
            f"SELECT household_id FROM residents WHERE id IN ({_marks(chunk)}) "
            "AND household_id IS NOT NULL", chunk)}
    ordered = [r[0] for r in store.db.execute(sql.format(extra=""))]
    return [h for h in ordered if h in wanted]


# ------------------------------------------------------------------------- card contents

def contact_card_rows(store: Store, resident_ids: Sequence[str], on: str
                      ) -> list[dict[str, Any]]:
    """Per resident: identity, village, and the contract that speaks for them, with its
    doctor and team: the one in force on `on`; else one signed to start later; else the
    latest by start, expired or ended — the caller says on the card what that means. (Leaving
    ended ones out brought back an older contract: a card advised renewing it when the
    resident had refused the renewal.)
    """
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(resident_ids):
        for row in store.rows(f"""
            SELECT r.id, r.name, r.sex, r.birth_date, r.status, r.deleted, r.household_id,
                   h.household_no, h.group_name, h.address, v.id AS village_id,
                   v.name AS village, k.id AS contract_id, k.package_code, k.services,
                   k.start_on, k.end_on, k.ended_on, k.end_reason, k.profile_id,
                   d.name AS doctor,
                   d.phone AS doctor_phone, t.name AS team, t.phone AS team_phone
            FROM residents r
            LEFT JOIN households h ON h.id = r.household_id
            LEFT JOIN places v ON v.id = h.village_id
            LEFT JOIN contracts k ON k.id = (
                SELECT c.id FROM contracts c WHERE c.resident_id = r.id AND c.deleted = 0
                ORDER BY CASE WHEN c.ended_on IS NOT NULL AND c.ended_on <= :on THEN 2
                              WHEN c.start_on <= :on AND c.end_on >= :on THEN 0
                              WHEN c.start_on > :on THEN 1 ELSE 2 END,
                         c.start_on DESC, c.created_at DESC LIMIT 1)
            LEFT JOIN doctors d ON d.id = k.doctor_id
            LEFT JOIN teams t ON t.id = k.team_id
            WHERE r.id IN ({', '.join(f':r{i}' for i in range(len(chunk)))})""",
                {"on": on, **{f"r{i}": rid for i, rid in enumerate(chunk)}}):
            out[row["id"]] = row
    return [out[rid] for rid in resident_ids if rid in out]


def household_rows(store: Store, household_ids: Sequence[str]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(household_ids):
        for row in store.rows(f"""
            SELECT h.id, h.household_no, h.group_name, h.address, h.phone, h.head_id,
                   h.poverty_category, h.deleted, v.id AS village_id, v.name AS village
            FROM households h LEFT JOIN places v ON v.id = h.village_id
            WHERE h.id IN ({_marks(chunk)})""", chunk):
            out[row["id"]] = row
    return [out[h] for h in household_ids if h in out]


def household_member_rows(store: Store, household_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Active members of the households, head first then by age (oldest first)."""
    out: list[dict[str, Any]] = []
    for chunk in _chunks(household_ids):
        out += store.rows(f"""
            SELECT r.id, r.household_id, r.name, r.relation, r.sex, r.birth_date,
                   r.poverty_category, r.phone, r.disability, r.treatment_batch
            FROM residents r WHERE r.household_id IN ({_marks(chunk)}) AND r.deleted = 0
              AND r.status = 'active'
            ORDER BY r.household_id, r.relation <> '户主', r.birth_date, r.id""", chunk)
    return out


def active_conditions(store: Store, resident_ids: Sequence[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in _chunks(resident_ids):
        out += store.rows(f"""
            SELECT resident_id, code, name, diagnosed_on FROM conditions
            WHERE resident_id IN ({_marks(chunk)}) AND deleted = 0 AND status = 'active'
            ORDER BY resident_id, diagnosed_on, code""", chunk)
    return out


def box_items(store: Store, resident_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Active medicine-box items of the residents (慢病小药箱)."""
    out: list[dict[str, Any]] = []
    for chunk in _chunks(resident_ids):
        out += store.rows(f"""
            SELECT b.resident_id, i.medicine, i.strength, i.dose, i.condition_code
            FROM medicine_boxes b JOIN box_items i ON i.box_id = b.id
            WHERE b.resident_id IN ({_marks(chunk)}) AND b.deleted = 0 AND i.deleted = 0
              AND i.active = 1
            ORDER BY b.resident_id, i.medicine""", chunk)
    return out


def current_checkups(store: Store, resident_id: str, limit: int = 1) -> list[dict[str, Any]]:
    """A resident's latest checkups (not corrected by a later record), newest first."""
    return store.rows("""
        SELECT c.*, d.name AS doctor FROM checkups c LEFT JOIN doctors d ON d.id = c.doctor_id
        WHERE c.resident_id = ? AND c.deleted = 0
          AND NOT EXISTS (SELECT 1 FROM checkups s WHERE s.supersedes_id = c.id
                          AND s.deleted = 0)
        ORDER BY c.checkup_date DESC, c.created_at DESC LIMIT ?""", [resident_id, limit])


def resident_header(store: Store, resident_id: str) -> dict[str, Any] | None:
    """Identity lines for the top of a form: name, sex, birth, ID, phone, village, household."""
    rows = store.rows("""
        SELECT r.id, r.name, r.sex, r.birth_date, r.id_number, r.phone, r.household_id,
               h.household_no, h.group_name, h.address, h.phone AS household_phone,
               v.name AS village
        FROM residents r LEFT JOIN households h ON h.id = r.household_id
        LEFT JOIN places v ON v.id = h.village_id WHERE r.id = ?""", [resident_id])
    return rows[0] if rows else None


# ------------------------------------------------------------------------- the print log

def latest_hashes(store: Store, kind: str, subject_ids: Sequence[str]) -> dict[str, str]:
    """The content hash each subject was last printed with (subjects never printed: absent)."""
    out: dict[str, str] = {}
    for chunk in _chunks(subject_ids):
        for subject, content_hash in store.db.execute(f"""
                SELECT subject_id, content_hash FROM print_log
                WHERE kind = ? AND subject_id IN ({_marks(chunk)}) AND deleted = 0
                ORDER BY printed_at, rowid""", [kind, *chunk]):
            out[subject] = content_hash  # later prints overwrite earlier ones
    return out


def print_jobs(store: Store, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
    """Recorded print jobs, newest first: one row per job with how many subjects it printed."""
    where = "deleted = 0" + (" AND kind = ?" if kind else "")
    params: list[Any] = [kind] if kind else []
    return store.rows(f"""
        SELECT job_id, kind, min(printed_at) AS printed_at, user, params,
               count(*) AS subjects
        FROM print_log WHERE {where}
        GROUP BY job_id ORDER BY min(printed_at) DESC, job_id DESC LIMIT ?""", [*params, limit])


def print_job_rows(store: Store, job_id: str) -> list[dict[str, Any]]:
    return store.rows("SELECT * FROM print_log WHERE job_id = ? AND deleted = 0 ORDER BY rowid",
                      [job_id])


# ------------------------------------------------------------------------- monthly report

def villages_of(store: Store, township_id: str | None = None) -> list[dict[str, Any]]:
    if township_id:
        return store.rows("SELECT id, name FROM places WHERE kind = 'village' AND deleted = 0 "
                          "AND parent_id = ? ORDER BY code, name", [township_id])
    return store.rows("SELECT id, name FROM places WHERE kind = 'village' AND deleted = 0 "
                      "ORDER BY code, name")


def report_residents(store: Store, month_end: str) -> list[dict[str, Any]]:
    """Residents on the register at the end of the month, with village and category, and
    whether the checkup promise covers them (the 体检 page's rule, care_queries.COVERED).

    On the register = not deleted, and either active or left after the month (a person who
    died in a later month still counts in this month's report). When a record was typed in
    does not matter: a register filled in November from the paper files reports October too.
    """
    return store.rows(f"""
        SELECT r.id, r.household_id, h.village_id, r.poverty_category, r.birth_date,
               substr(r.created_at, 1, 10) AS created_on,
               ({COVERED_CATEGORY}) AS checkup_covered
        FROM residents r JOIN households h ON h.id = r.household_id
        WHERE r.deleted = 0 AND h.deleted = 0
          AND (r.status = 'active' OR (r.status_date IS NOT NULL AND r.status_date > ?))""",
                      [month_end])


def report_conditions(store: Store, month_end: str) -> list[dict[str, Any]]:
    """Scheduled chronic conditions under management at the end of the month."""
    return store.rows(f"""
        SELECT resident_id, code, diagnosed_on FROM conditions
        WHERE deleted = 0 AND code IN ({_marks(SCHEDULED_CODES)})
          AND (diagnosed_on IS NULL OR diagnosed_on <= ?)
          AND (status = 'active' OR (closed_on IS NOT NULL AND closed_on > ?))""",
                      [*SCHEDULED_CODES, month_end, month_end])


def report_contracts(store: Store, month_end: str) -> list[dict[str, Any]]:
    """Contracts in force at the end of the month (started, term not run out, not ended)."""
    return store.rows("""
        SELECT resident_id, signed_on, start_on FROM contracts
        WHERE deleted = 0 AND start_on <= ? AND end_on >= ?
          AND (ended_on IS NULL OR ended_on > ?)""", [month_end, month_end, month_end])


def report_signed_between(store: Store, start: str, end: str) -> list[dict[str, Any]]:
    return store.rows("SELECT resident_id FROM contracts WHERE deleted = 0 "
                      "AND signed_on >= ? AND signed_on <= ?", [start, end])


def report_visits(store: Store, until: str) -> list[dict[str, Any]]:
    """Every current (not corrected) visit up to a date, newest first per resident."""
    return store.rows("""
        SELECT f.resident_id, f.visit_date, f.form, f.sbp, f.dbp, f.fasting_glucose,
               f.next_visit_on, f.classification, f.data
        FROM follow_ups f WHERE f.deleted = 0 AND f.visit_date <= ?
          AND NOT EXISTS (SELECT 1 FROM follow_ups s WHERE s.supersedes_id = f.id
                          AND s.deleted = 0)
        ORDER BY f.resident_id, f.visit_date DESC, f.created_at DESC""", [until])


def report_checkups(store: Store, start: str, end: str) -> list[dict[str, Any]]:
    """Current checkups between two dates, one row each (as the 体检 page counts them)."""
    return store.rows("""
        SELECT c.resident_id, c.checkup_date FROM checkups c
        WHERE c.deleted = 0 AND c.checkup_date >= ? AND c.checkup_date <= ?
          AND NOT EXISTS (SELECT 1 FROM checkups s WHERE s.supersedes_id = c.id
                          AND s.deleted = 0)""", [start, end])


def report_deliveries(store: Store, start: str, end: str) -> list[dict[str, Any]]:
    # A corrected delivery is replaced by its correction: count the current rows only.
    return store.rows(f"""
        SELECT d.resident_id, d.quantity * d.unit_price_fen AS total_fen, d.insurance_fen,
               d.free_fund_fen, d.patient_fen FROM deliveries d
        WHERE {CURRENT_DELIVERY} AND d.delivered_on >= ? AND d.delivered_on <= ?""",
                      [start, end])


def new_job_id() -> str:
    """A print job's id: time-ordered like every record id, so jobs sort by when they ran."""
    return new_id()
