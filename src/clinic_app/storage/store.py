"""Row writes that keep the sync columns and the change log right.

Every insert, update and (soft) delete of a synced table goes through ``Store``: it gives the row
a UUID, stamps created/modified times and this device's id, takes the next value of the device's
change counter, and appends a ``change_log`` row naming who changed which fields from what to
what. Writes must happen inside ``db.atomic()`` (the ``Clinic`` facade opens one per action), so
the row, its counter and its log entry commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from clinic_app.storage.schema import SYNCED_TABLES

SYNC_FIELDS = ("id", "created_at", "modified_at", "device_id", "change_seq", "deleted")


class NotFound(LookupError):
    pass


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


_random = random.SystemRandom()
_fast = random.Random(_random.getrandbits(128))
_id_lock = threading.Lock()
_last_millis = 0
_counter = 0


def new_id() -> str:
    """A UUID in RFC 9562 version-7 layout, as 32 hex digits.

    48 bits of milliseconds, a 12-bit counter, 62 random bits: unique across devices, and
    time-ordered, so new rows land at the end of every primary-key and foreign-key B-tree
    instead of all over the file (measured: 200k-resident demo 3x faster, smaller WAL).
    Within one process the ids only grow (RFC 9562 method 1: the 12 bits after the
    milliseconds count up within a millisecond), so "entered later" can be told from the id:
    two visits on one day entered in the same millisecond are still ordered.
    """
    global _last_millis, _counter
    with _id_lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last_millis:
            millis, _counter = _last_millis, _counter + 1
            if _counter > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
                millis, _counter = millis + 1, 0
        else:
            _counter = _fast.getrandbits(10)  # start low: room to count up
        _last_millis = millis
        value = (millis & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | _counter << 64
        value |= 0b10 << 62 | _fast.getrandbits(62)
    return f"{value:032x}"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


class Store:
    """Stamped writes and plain reads over one sqlite-utils database."""

    def __init__(self, db: sqlite_utils.Database, user: str = "") -> None:
        self.db = db
        self.user = user
        self._columns: dict[str, tuple[str, ...]] = {}
        self.device_id = self.meta("device_id") or ""

    # -------------------------------------------------------------------- meta
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def _take_seqs(self, count: int) -> int:
        """Reserve count change numbers; return the first. Must run inside the transaction."""
        self._require_transaction()
        row = self.db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'change_counter' "
            "RETURNING CAST(value AS INTEGER)", [count]).fetchone()
        return int(row[0]) - count + 1

    def _require_transaction(self) -> None:
        if not self.db.conn.in_transaction:
            raise RuntimeError("writes must run inside db.atomic()")

    def columns(self, table: str) -> tuple[str, ...]:
        if table not in self._columns:
            self._columns[table] = tuple(
                row[1] for row in self.db.execute(f"PRAGMA table_info({table})").fetchall())
        return self._columns[table]

    def _check_table(self, table: str) -> None:
        if table not in SYNCED_TABLES:
            raise ValueError(f"{table} is not a synced table")

    def _log(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.db.conn.executemany(
            "INSERT INTO change_log(at, device_id, change_seq, user, table_name, row_id, op, "
            "fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # -------------------------------------------------------------------- writes
    def insert(self, table: str, values: Mapping[str, Any]) -> str:
        return self.insert_many(table, [values])[0]

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> list[str]:
        """Insert rows (each may carry its own ``id``); one change-log entry per row."""
        self._check_table(table)
        rows = list(rows)
        if not rows:
            return []
        first = self._take_seqs(len(rows))
        stamp = now_iso()
        known = set(self.columns(table))
        names: list[str] | None = None
        records: list[tuple[Any, ...]] = []
        log: list[tuple[Any, ...]] = []
        ids: list[str] = []
        for offset, values in enumerate(rows):
            unknown = set(values) - known
            if unknown:
                raise ValueError(f"{table} has no column {', '.join(sorted(unknown))}")
            record = {k: _plain(v) for k, v in values.items()}
            record.setdefault("id", new_id())
            record.update(created_at=stamp, modified_at=stamp, device_id=self.device_id,
                          change_seq=first + offset, deleted=0)
            if names is None:
                names = list(record)
            elif set(record) != set(names):
                raise ValueError(f"rows for {table} must all have the same columns")
            records.append(tuple(record[n] for n in names))
            log.append((stamp, self.device_id, first + offset, self.user, table,
                        record["id"], "insert", None))
            ids.append(record["id"])
        assert names is not None
        placeholders = ", ".join("?" for _ in names)
        self.db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})", records)
        self._log(log)
        return ids

    def update(self, table: str, row_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply changes; log only the fields that really changed. Returns {field: (old, new)}."""
        self._check_table(table)
        bad = set(changes) & set(SYNC_FIELDS)
        if bad:
            raise ValueError(f"cannot set sync columns {bad}")
        current = self.get(table, row_id)
        diff = {}
        for key, value in changes.items():
            if key not in current:
                raise ValueError(f"{table} has no column {key}")
            new = _plain(value)
            if current[key] != new:
                diff[key] = (current[key], new)
        if not diff:
            return {}
        seq = self._take_seqs(1)
        stamp = now_iso()
        assignments = ", ".join(f"{k} = ?" for k in diff)
        self.db.execute(
            f"UPDATE {table} SET {assignments}, modified_at = ?, device_id = ?, change_seq = ? "
            "WHERE id = ?",
            [*(new for _, new in diff.values()), stamp, self.device_id, seq, row_id])
        self._log([(stamp, self.device_id, seq, self.user, table, row_id, "update",
                    json.dumps({k: {"old": o, "new": n} for k, (o, n) in diff.items()},
                               ensure_ascii=False))])
        return diff

    def soft_delete(self, table: str, row_id: str, reason: str = "") -> None:
        """Mark a row deleted (a tombstone that syncs); the row and its history stay."""
        self._check_table(table)
        self.get(table, row_id)
        seq = self._take_seqs(1)
        stamp = now_iso()
        self.db.execute(
            f"UPDATE {table} SET deleted = 1, modified_at = ?, device_id = ?, change_seq = ? "
            "WHERE id = ?", [stamp, self.device_id, seq, row_id])
        self._log([(stamp, self.device_id, seq, self.user, table, row_id, "delete",
                    json.dumps({"reason": reason}, ensure_ascii=False) if reason else None)])

    # -------------------------------------------------------------------- reads
    def get(self, table: str, row_id: str, *, include_deleted: bool = True) -> dict[str, Any]:
        cursor = self.db.execute(f"SELECT * FROM {table} WHERE id = ?", [row_id])
        row = cursor.fetchone()
        if row is None:
            raise NotFound(f"{table} {row_id}")
        record = dict(zip([c[0] for c in cursor.description], row, strict=True))
        if record.get("deleted") and not include_deleted:
            raise NotFound(f"{table} {row_id}")
        return record

    def rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
             ) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def history(self, table: str, row_id: str) -> list[dict[str, Any]]:
        out = self.rows("SELECT * FROM change_log WHERE table_name = ? AND row_id = ? ORDER BY seq",
                        [table, row_id])
        for entry in out:
            entry["fields"] = json.loads(entry["fields"]) if entry["fields"] else None
        return out
