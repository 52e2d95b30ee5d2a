"""Read queries of the register: search, lookups, integrity check, counts.

Search uses index range queries only (``key >= ? AND key < ?``), never ``LIKE 'x%'`` (which
SQLite does not index by default) — see ENGINEERING-NOTES. The end of a name is found through
a reversed-name key; a part in the middle of a name of four or more characters is not found.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clinic_app.domain import ids, pinyin
from clinic_app.domain.schedule import SCHEDULED
from clinic_app.storage.schema import SYNCED_TABLES
from clinic_app.storage.store import Store

# Candidate rank: lower is better. Exact ID first, then name prefix, then the rest.
RANK_EXACT_ID = 0
RANK_EXACT_NAME = 1
RANK_OTHER_EXACT = 2  # all initials of another reading (李长江 as lzj)
RANK_NAME_PREFIX = 3
RANK_OTHER_READING = 4  # 方 read as "wang…": found, but after the real 王s
RANK_ID_OR_PHONE = 5
RANK_HOUSEHOLD = 6
RANK_SUBSTRING = 7

# search_keys.kind: f/i = primary full pinyin / initials, F/I = other readings,
# n = reversed name (finds the end of a name), r = reversed ID number, p = phone,
# q = reversed phone.

CANDIDATE_CAP = 5000  # per source; a query matching more is too vague to page through anyway


def _upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with prefix."""
    return prefix + "\U0010ffff"


@dataclass(frozen=True)
class SearchHit:
    resident_id: str
    rank: int


def _classify(query: str) -> tuple[str, str]:
    # Full-width letters and digits from a Chinese input method, an Excel text marker ('),
    # and the separators people type in phones and IDs are not part of what they look for.
    text = unicodedata.normalize("NFKC", query).strip().lstrip("'")
    compact = "".join(c for c in text if c not in " -\u3000")
    if not compact:
        return "empty", ""
    if len(compact) == 15 and compact.isdigit():  # a first-generation ID: search its 18-digit form
        try:
            return "digits", ids.parse(compact).number
        except ids.IdNumberError:
            pass
    if pinyin.is_pinyin_query(compact):
        return "pinyin", compact.lower()
    if compact[:-1].isdigit() and (compact[-1].isdigit() or compact[-1] in "xX"):
        return "digits", compact.upper()
    return "text", compact


def search_ids(store: Store, query: str, limit: int = 50) -> list[SearchHit]:
    """Resident ids matching query, best first. Deleted residents never match.

    Every source is an index lookup: exact keys in full, prefixes capped at a few times the
    limit (a one-letter query is too vague to rank all of its thousands of matches; the doctor
    types on). Conditions repeat the partial indexes' own (``deleted = 0``, ``<> ''``) so
    SQLite can use them.
    """
    kind, q = _classify(query)
    if kind == "empty":
        return []
    cap = max(4 * limit, 200)
    parts: list[tuple[str, list[Any]]] = []

    def key_range(key_kind: str, prefix: str, exact_rank: int, prefix_rank: int) -> None:
        parts.append(("SELECT resident_id AS rid, ? AS rank FROM search_keys "
                      "WHERE key = ? AND kind = ? LIMIT ?",
                      [exact_rank, prefix, key_kind, CANDIDATE_CAP]))
        parts.append(("SELECT resident_id AS rid, ? AS rank FROM search_keys "
                      "WHERE key > ? AND key < ? AND kind = ? LIMIT ?",
                      [prefix_rank, prefix, _upper_bound(prefix), key_kind, cap]))

    if kind == "pinyin":
        key_range("i", q, RANK_EXACT_NAME, RANK_NAME_PREFIX)
        # Another reading's exact initials rank above prefixes only for 3+ letters (lcj →
        # 李长江); two letters match too many rare readings (丁俊 as "zs").
        other_exact = RANK_OTHER_EXACT if len(q) >= 3 else RANK_OTHER_READING
        key_range("I", q, other_exact, RANK_OTHER_READING)
        if len(q) >= 2:
            key_range("f", q, RANK_EXACT_NAME, RANK_NAME_PREFIX)
            key_range("F", q, other_exact, RANK_OTHER_READING)
    elif kind == "digits":
        if len(q) == 18:
            parts.append(("SELECT id AS rid, ? AS rank FROM residents "
                          "WHERE id_number = ? AND deleted = 0", [RANK_EXACT_ID, q]))
        if len(q) >= 4:
            key_range("r", q[::-1], RANK_ID_OR_PHONE, RANK_ID_OR_PHONE)  # last digits of ID
            key_range("p", q, RANK_ID_OR_PHONE, RANK_ID_OR_PHONE)  # phone
            key_range("q", q[::-1], RANK_ID_OR_PHONE, RANK_ID_OR_PHONE)  # last digits of phone
        if 6 <= len(q) < 18:
            parts.append(("SELECT id AS rid, ? AS rank FROM residents WHERE id_number >= ? "
                          "AND id_number < ? AND deleted = 0 LIMIT ?",
                          [RANK_ID_OR_PHONE, q, _upper_bound(q), cap]))
    else:
        parts.append(("SELECT id AS rid, ? AS rank FROM residents WHERE name = ? LIMIT ?",
                      [RANK_EXACT_NAME, q, CANDIDATE_CAP]))
        parts.append(("SELECT id AS rid, ? AS rank FROM residents "
                      "WHERE name > ? AND name < ? LIMIT ?",
                      [RANK_NAME_PREFIX, q, _upper_bound(q), cap]))
        if len(q) >= 2:  # the end of a name (三丰 in 张三丰), through the reversed-name key
            key_range("n", q[::-1], RANK_SUBSTRING, RANK_SUBSTRING)
    if kind in ("digits", "text") or (kind == "pinyin" and any(c.isdigit() for c in q)):
        parts.append((
            "SELECT r.id AS rid, ? AS rank FROM households h CROSS JOIN residents r "
            "ON r.household_id = h.id WHERE h.household_no >= ? AND h.household_no < ? "
            "AND h.household_no <> '' AND h.deleted = 0 LIMIT ?",
            [RANK_HOUSEHOLD, q, _upper_bound(q), cap]))
    union = " UNION ALL ".join(f"SELECT * FROM ({sql})" for sql, _ in parts)
    params = [p for _, ps in parts for p in ps]
    # CROSS JOIN keeps SQLite from scanning residents and probing the candidates.
    sql = (
        f"SELECT c.rid, MIN(c.rank) AS rank FROM ({union}) c CROSS JOIN residents r "
        "ON r.id = c.rid WHERE r.deleted = 0 GROUP BY c.rid "
        "ORDER BY rank, r.status <> 'active', length(r.name), r.name, r.id LIMIT ?"
    )
    return [SearchHit(rid, rank) for rid, rank in store.db.execute(sql, [*params, limit])]


def search_key_rows(resident_id: str, name: str, id_number: str | None,
                    phone: str) -> list[tuple[str, str, str]]:
    """The (key, kind, resident_id) rows that make a resident findable."""
    keys = pinyin.name_keys(name)
    rows = [(k, "f" if n == 0 else "F", resident_id) for n, k in enumerate(keys.full)]
    rows += [(k, "i" if n == 0 else "I", resident_id) for n, k in enumerate(keys.initials)]
    if len(name) >= 2:
        rows.append((name[::-1], "n", resident_id))
    if id_number:
        rows.append((id_number[::-1], "r", resident_id))
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) >= 4:
        rows.append((digits, "p", resident_id))
        rows.append((digits[::-1], "q", resident_id))
    return rows


def replace_search_keys(store: Store, rows_by_resident: dict[str, list[tuple[str, str, str]]]
                        ) -> None:
    store.db.conn.executemany("DELETE FROM search_keys WHERE resident_id = ?",
                              [(rid,) for rid in rows_by_resident])
    store.db.conn.executemany("INSERT INTO search_keys(key, kind, resident_id) VALUES (?, ?, ?)",
                              [row for rows in rows_by_resident.values() for row in rows])


def resident_summaries(store: Store, resident_ids: Sequence[str], on: dt.date,
                       expiring_days: int = 30) -> list[dict[str, Any]]:
    """Display rows for search results and lists, in the order of resident_ids."""
    if not resident_ids:
        return []
    marks = ", ".join("?" for _ in resident_ids)
    rows = store.rows(f"""
        SELECT r.id, r.name, r.sex, r.birth_date, r.id_number, r.phone, r.status, r.relation,
               r.poverty_category, r.household_id, h.household_no, h.group_name,
               v.name AS village, head.name AS head_name
        FROM residents r
        LEFT JOIN households h ON h.id = r.household_id
        LEFT JOIN places v ON v.id = h.village_id
        LEFT JOIN residents head ON head.id = h.head_id AND head.deleted = 0
        WHERE r.id IN ({marks})""", list(resident_ids))
    conditions: dict[str, list[str]] = {}
    for rid, code, name in store.db.execute(
            f"SELECT resident_id, code, name FROM conditions WHERE resident_id IN ({marks}) "
            "AND deleted = 0 AND status = 'active' ORDER BY diagnosed_on", list(resident_ids)):
        conditions.setdefault(rid, []).append(name or code)
    contracts: dict[str, tuple[str, str | None]] = {}
    for rid, end_on, ended_on in store.db.execute(
            f"SELECT resident_id, end_on, ended_on FROM contracts WHERE resident_id IN ({marks}) "
            "AND deleted = 0 ORDER BY start_on", list(resident_ids)):
        contracts[rid] = (end_on, ended_on)  # the latest contract wins
    # The next visit the latest follow-up set (issue 5's schedule engine will refine this).
    next_visit: dict[str, str | None] = {}
    for rid, next_on in store.db.execute(
            f"SELECT resident_id, next_visit_on FROM follow_ups f WHERE resident_id IN ({marks}) "
            "AND deleted = 0 AND visit_date = (SELECT max(visit_date) FROM follow_ups g "
            "WHERE g.resident_id = f.resident_id AND g.deleted = 0) "
            "ORDER BY created_at", list(resident_ids)):
        next_visit[rid] = next_on  # two visits on the same day: the later-entered wins
    by_id = {}
    for row in rows:
        row["conditions"] = conditions.get(row["id"], [])
        row["next_follow_up"] = next_visit.get(row["id"])
        row["contract_status"] = _contract_status(contracts.get(row["id"]), on, expiring_days)
        by_id[row["id"]] = row
    return [by_id[rid] for rid in resident_ids if rid in by_id]


def _contract_status(contract: tuple[str, str | None] | None, on: dt.date,
                     expiring_days: int) -> str:
    if contract is None:
        return "none"
    end_on, ended_on = contract
    if ended_on and ended_on <= on.isoformat():
        return "ended"
    end = dt.date.fromisoformat(end_on)
    if end < on:
        return "expired"
    if (end - on).days <= expiring_days:
        return "expiring"
    return "active"


def table_counts(store: Store, tables: Iterable[str] = SYNCED_TABLES) -> dict[str, int]:
    out = {}
    for table in tables:
        out[table] = store.db.execute(
            f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]
    return out


def integrity_problems(store: Store) -> list[str]:
    """Everything that is wrong with the file or its relations, in Chinese. Empty = healthy."""
    problems: list[str] = []
    result = [r[0] for r in store.db.execute("PRAGMA integrity_check").fetchall()]
    if result != ["ok"]:
        problems += [f"文件完整性：{r}" for r in result[:20]]
    for table, rowid, parent, _ in store.db.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        problems.append(f"外键：{table} 第 {rowid} 行引用了不存在的 {parent}")
    checks = [
        ("户主不是本户成员",
         "SELECT count(*) FROM households h JOIN residents r ON r.id = h.head_id "
         "WHERE h.deleted = 0 AND r.household_id IS NOT h.id"),
        ("户主档案已删除",
         "SELECT count(*) FROM households h JOIN residents r ON r.id = h.head_id "
         "WHERE h.deleted = 0 AND r.deleted = 1"),
        ("一户中有多个“户主”",
         "SELECT count(*) FROM (SELECT household_id FROM residents WHERE deleted = 0 "
         "AND status = 'active' AND relation = '户主' GROUP BY household_id "
         "HAVING count(*) > 1)"),
        ("户主的“与户主关系”不是户主",
         "SELECT count(*) FROM households h JOIN residents r ON r.id = h.head_id "
         "WHERE h.deleted = 0 AND r.relation <> '户主'"),
        ("在册居民属于已删除的户",
         "SELECT count(*) FROM residents r JOIN households h ON h.id = r.household_id "
         "WHERE r.deleted = 0 AND h.deleted = 1"),
        ("在册居民缺少搜索索引",
         "SELECT count(*) FROM residents r WHERE r.deleted = 0 AND NOT EXISTS "
         "(SELECT 1 FROM search_keys k WHERE k.resident_id = r.id)"),
        ("改动计数器落后于记录",
         "SELECT count(*) FROM change_log WHERE device_id = (SELECT value FROM meta WHERE "
         "key = 'device_id') AND change_seq > (SELECT CAST(value AS INTEGER) FROM meta "
         "WHERE key = 'change_counter')"),
        ("记录没有对应的改动日志",
         "SELECT count(*) FROM residents r WHERE NOT EXISTS (SELECT 1 FROM change_log c "
         "WHERE c.table_name = 'residents' AND c.row_id = r.id)"),
        ("药品发放金额分摊与总额不符",
         "SELECT count(*) FROM deliveries WHERE insurance_fen + free_fund_fen + patient_fen "
         "<> quantity * unit_price_fen"),
    ]
    for label, sql in checks:
        count = store.db.execute(sql).fetchone()[0]
        if count:
            problems.append(f"{label}：{count} 处")
    return problems


def places(store: Store, kind: str | None = None) -> list[dict[str, Any]]:
    if kind:
        return store.rows("SELECT * FROM places WHERE deleted = 0 AND kind = ? ORDER BY name",
                          [kind])
    return store.rows("SELECT * FROM places WHERE deleted = 0 ORDER BY kind, name")


def household_members(store: Store, household_id: str) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT * FROM residents WHERE household_id = ? AND deleted = 0 "
        "ORDER BY relation <> '户主', birth_date", [household_id])


def resident_by_id_number(store: Store, id_number: str) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM residents WHERE id_number = ? AND deleted = 0", [id_number])
    return rows[0] if rows else None


def household_by_no(store: Store, household_no: str) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM households WHERE household_no = ? AND household_no <> '' "
                      "AND deleted = 0", [household_no])
    return rows[0] if rows else None


def conditions_of(store: Store, resident_id: str) -> list[dict[str, Any]]:
    return store.rows("SELECT * FROM conditions WHERE resident_id = ? AND deleted = 0 "
                      "ORDER BY diagnosed_on", [resident_id])


def rows_of(store: Store, table: str, column: str, value: Any,
            order: str = "created_at") -> list[dict[str, Any]]:
    """All live rows of a synced table where column = value (both from code, never the user)."""
    if table not in SYNCED_TABLES:
        raise ValueError(table)
    return store.rows(f"SELECT * FROM {table} WHERE {column} = ? AND deleted = 0 "
                      f"ORDER BY {order}", [value])


def recent_rows(store: Store, table: str, resident_id: str, date_column: str,
                limit: int) -> list[dict[str, Any]]:
    """The latest rows of a resident's records (follow-ups, checkups, deliveries)."""
    if table not in SYNCED_TABLES:
        raise ValueError(table)
    return store.rows(f"SELECT * FROM {table} WHERE resident_id = ? AND deleted = 0 "
                      f"ORDER BY {date_column} DESC LIMIT ?", [resident_id, limit])


def village_resident_ids(store: Store, village_id: str, *, category: str | None = None,
                         condition: str | None = None, include_inactive: bool = False
                         ) -> list[str]:
    """Residents of a village in household order, optionally of one category or condition."""
    sql = ["SELECT r.id FROM households h CROSS JOIN residents r ON r.household_id = h.id "
           "WHERE h.village_id = ? AND h.deleted = 0 AND r.deleted = 0"]
    params: list[Any] = [village_id]
    if not include_inactive:
        sql.append("AND r.status = 'active'")
    if category:
        sql.append("AND r.poverty_category = ?")
        params.append(category)
    if condition:
        sql.append("AND EXISTS (SELECT 1 FROM conditions c WHERE c.resident_id = r.id "
                   "AND c.code = ? AND c.status = 'active' AND c.deleted = 0)")
        params.append(condition)
    # 2组 before 10组: groups sort by their number, then by name.
    sql.append("ORDER BY CAST(h.group_name AS INTEGER), h.group_name, h.household_no, "
               "r.relation <> '户主', r.birth_date")
    return [row[0] for row in store.db.execute(" ".join(sql), params)]


def village_households(store: Store, village_id: str) -> list[dict[str, Any]]:
    return store.rows("""
        SELECT h.id, h.household_no, h.group_name, h.address, h.phone, head.name AS head_name,
               head.phone AS head_phone,
               (SELECT count(*) FROM residents m WHERE m.household_id = h.id AND m.deleted = 0
                AND m.status = 'active') AS members,
               (SELECT count(DISTINCT c.resident_id) FROM conditions c JOIN residents m
                ON m.id = c.resident_id WHERE m.household_id = h.id AND c.deleted = 0
                AND c.status = 'active' AND m.status = 'active') AS patients
        FROM households h LEFT JOIN residents head ON head.id = h.head_id AND head.deleted = 0
        WHERE h.village_id = ? AND h.deleted = 0
        ORDER BY CAST(h.group_name AS INTEGER), h.group_name, h.household_no""", [village_id])


# The conditions with a follow-up schedule: one list, in domain/schedule.py.
SCHEDULED_CODES = SCHEDULED


def schedule_inputs(store: Store, *, village_id: str | None = None,
                    doctor_id: str | None = None, resident_ids: Sequence[str] | None = None,
                    visits_per_patient: int = 3) -> tuple[list[dict[str, Any]],
                                                          list[dict[str, Any]],
                                                          list[dict[str, Any]]]:
    """Patients under scheduled management, their conditions, and their latest visits.

    Returns (patients, conditions, visits); visits are newest first per resident. Only active
    residents with an active condition among SCHEDULED_CODES are included. `doctor_id` keeps
    patients whose current contract is with that doctor.
    """
    marks = ", ".join("?" for _ in SCHEDULED_CODES)
    where = ["r.deleted = 0", "r.status = 'active'"]
    params: list[Any] = list(SCHEDULED_CODES)
    if village_id:
        where.append("h.village_id = ?")
        params.append(village_id)
    if doctor_id:
        where.append("EXISTS (SELECT 1 FROM contracts k WHERE k.resident_id = r.id "
                     "AND k.deleted = 0 AND k.ended_on IS NULL AND k.doctor_id = ?)")
        params.append(doctor_id)
    if resident_ids is not None:
        where.append(f"r.id IN ({', '.join('?' for _ in resident_ids)})")
        params.extend(resident_ids)
    store.db.execute("DROP TABLE IF EXISTS temp.scheduled_patients")
    store.db.execute(f"""
        CREATE TEMP TABLE scheduled_patients AS
        SELECT DISTINCT r.id FROM conditions c CROSS JOIN residents r ON r.id = c.resident_id
        LEFT JOIN households h ON h.id = r.household_id
        WHERE c.code IN ({marks}) AND c.status = 'active' AND c.deleted = 0
          AND {' AND '.join(where)}""", params)
    try:
        patients = store.rows("""
            SELECT r.id, r.name, r.sex, r.birth_date, r.phone, r.created_at, r.household_id,
                   h.household_no, h.address, h.group_name, v.name AS village,
                   h.phone AS household_phone
            FROM temp.scheduled_patients p CROSS JOIN residents r ON r.id = p.id
            LEFT JOIN households h ON h.id = r.household_id
            LEFT JOIN places v ON v.id = h.village_id""")
        conditions = store.rows(f"""
            SELECT c.resident_id, c.code, c.diagnosed_on FROM temp.scheduled_patients p
            CROSS JOIN conditions c ON c.resident_id = p.id
            WHERE c.code IN ({marks}) AND c.status = 'active' AND c.deleted = 0""",
                                list(SCHEDULED_CODES))
        visits = store.rows("""
            SELECT * FROM (
                SELECT f.resident_id, f.visit_date, f.form, f.sbp, f.dbp, f.fasting_glucose,
                       f.next_visit_on, f.classification, f.data,
                       row_number() OVER (PARTITION BY f.resident_id
                                          ORDER BY f.visit_date DESC, f.created_at DESC) AS n
                FROM temp.scheduled_patients p CROSS JOIN follow_ups f ON f.resident_id = p.id
                WHERE f.deleted = 0 AND NOT EXISTS (SELECT 1 FROM follow_ups s
                    WHERE s.supersedes_id = f.id AND s.deleted = 0))
            WHERE n <= ? ORDER BY resident_id, n""", [visits_per_patient])
    finally:
        store.db.execute("DROP TABLE IF EXISTS temp.scheduled_patients")
    return patients, conditions, visits


def latest_contacts(store: Store, resident_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The latest 今日待办 mark of each resident."""
    out: dict[str, dict[str, Any]] = {}
    for chunk_start in range(0, len(resident_ids), 900):
        chunk = list(resident_ids[chunk_start:chunk_start + 900])
        marks = ", ".join("?" for _ in chunk)
        for row in store.rows(
                f"SELECT resident_id, on_date, outcome, note FROM contact_attempts "
                f"WHERE resident_id IN ({marks}) AND deleted = 0 "
                f"ORDER BY on_date, created_at", chunk):
            out[row["resident_id"]] = row
    return out


def expiring_contracts(store: Store, until: str, *, village_id: str | None = None
                       ) -> list[dict[str, Any]]:
    """Contracts not ended whose term ends on or before `until`, soonest first, not renewed."""
    sql = """
        SELECT k.id, k.resident_id, k.end_on, k.package_code, r.name, r.phone,
               d.name AS doctor, v.name AS village
        FROM contracts k JOIN residents r ON r.id = k.resident_id
        LEFT JOIN doctors d ON d.id = k.doctor_id
        LEFT JOIN households h ON h.id = r.household_id
        LEFT JOIN places v ON v.id = h.village_id
        WHERE k.deleted = 0 AND k.ended_on IS NULL AND k.end_on <= ? AND r.status = 'active'
          AND r.deleted = 0
          AND NOT EXISTS (SELECT 1 FROM contracts n WHERE n.resident_id = k.resident_id
                          AND n.deleted = 0 AND n.start_on > k.start_on)"""
    params: list[Any] = [until]
    if village_id:
        sql += " AND h.village_id = ?"
        params.append(village_id)
    return store.rows(sql + " ORDER BY k.end_on", params)


def follow_up_series(store: Store, resident_id: str) -> list[dict[str, Any]]:
    """Every current (not corrected) visit of a resident with measurements, oldest first."""
    return store.rows("""
        SELECT f.id, f.visit_date, f.sbp, f.dbp, f.fasting_glucose, f.classification, f.form
        FROM follow_ups f WHERE f.resident_id = ? AND f.deleted = 0
          AND (f.sbp IS NOT NULL OR f.fasting_glucose IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM follow_ups s WHERE s.supersedes_id = f.id
                          AND s.deleted = 0)
        ORDER BY f.visit_date""", [resident_id])
