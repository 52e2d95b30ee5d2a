"""Migrations (fresh, upgrade, failure, too new), pragmas, sync columns and the change log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from clinic_app.storage import db as storage_db
from clinic_app.storage.schema import MIGRATIONS, SYNCED_TABLES
from clinic_app.storage.store import Store

ALL_MIGRATIONS = [m.name for m in MIGRATIONS._migrations]


def _migrations_plus(extra_name: str, fn) -> sqlite_utils.Migrations:
    """The real migrations followed by one more, as a later version of the app would have."""
    later = sqlite_utils.Migrations(MIGRATIONS.name)
    for migration in MIGRATIONS._migrations:
        later(name=migration.name)(migration.fn)
    later(name=extra_name)(fn)
    return later


def test_fresh_database_has_schema_pragmas_and_identity(db_path: Path) -> None:
    database = storage_db.open_database(db_path)
    try:
        assert storage_db.applied_migrations(database) == ALL_MIGRATIONS
        assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        store = Store(database)
        assert len(store.device_id) == 32
        assert store.meta("change_counter") == "0"
        for table in SYNCED_TABLES:
            columns = store.columns(table)
            for sync_column in ("id", "created_at", "modified_at", "device_id", "change_seq",
                                "deleted"):
                assert sync_column in columns, (table, sync_column)
    finally:
        database.close()
    assert not (db_path.parent / "backups").exists()  # nothing to back up on a fresh file


def test_reopening_applies_nothing_and_keeps_device(db_path: Path) -> None:
    first = storage_db.open_database(db_path)
    device = Store(first).device_id
    first.close()
    again = storage_db.open_database(db_path)
    assert Store(again).device_id == device
    again.close()


def test_upgrade_backs_up_first_and_applies_new_migration(db_path: Path) -> None:
    storage_db.open_database(db_path).close()

    def m0002_add_column(database: sqlite_utils.Database) -> None:
        database.execute("ALTER TABLE residents ADD COLUMN nickname TEXT NOT NULL DEFAULT ''")

    database = storage_db.connect(db_path)
    backup = storage_db.migrate(database, db_path,
                                migrations=_migrations_plus("m0002_add_column", m0002_add_column))
    assert backup is not None and backup.exists()
    assert "nickname" in Store(database).columns("residents")
    database.close()
    old = sqlite3.connect(backup)
    assert "nickname" not in [r[1] for r in old.execute("PRAGMA table_info(residents)")]
    old.close()


def _schema_and_rows(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, ...]]]:
    conn = sqlite3.connect(path)
    try:
        schema = conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
        applied = conn.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
        return schema, applied
    finally:
        conn.close()


def test_failed_migration_leaves_database_untouched(db_path: Path) -> None:
    storage_db.open_database(db_path).close()
    before = _schema_and_rows(db_path)

    def m0002_half_done(database: sqlite_utils.Database) -> None:
        database.execute("CREATE TABLE half_done (x)")
        database.execute("INSERT INTO no_such_table VALUES (1)")

    database = storage_db.connect(db_path)
    with pytest.raises(storage_db.StorageError, match="升级失败，原数据未改动"):
        storage_db.migrate(database, db_path,
                           migrations=_migrations_plus("m0002_half_done", m0002_half_done))
    assert not database["half_done"].exists()
    assert storage_db.applied_migrations(database) == ALL_MIGRATIONS
    database.close()
    assert _schema_and_rows(db_path) == before


def test_database_from_newer_version_is_refused(db_path: Path) -> None:
    def m0099_future(database: sqlite_utils.Database) -> None:
        database.execute("CREATE TABLE future_things (x)")

    database = storage_db.connect(db_path)
    storage_db.migrate(database, db_path, migrations=_migrations_plus("m0099_future", m0099_future))
    database.close()
    with pytest.raises(storage_db.DatabaseTooNew, match=r"更新版本的软件.*m0099_future"):
        storage_db.open_database(db_path)


def test_garbage_file_gets_a_chinese_message(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(storage_db.StorageError, match="已损坏或不是本软件的数据库"):
        storage_db.open_database(path)


def test_writes_outside_a_transaction_are_refused(db_path: Path) -> None:
    store = Store(storage_db.open_database(db_path))
    with pytest.raises(RuntimeError, match="atomic"):
        store.insert("places", {"kind": "village", "name": "红星村"})
    store.db.close()


def test_change_log_records_insert_update_delete_with_fields(db_path: Path) -> None:
    store = Store(storage_db.open_database(db_path), user="李医生")
    with store.db.atomic():
        place = store.insert("places", {"kind": "village", "name": "红星村"})
    with store.db.atomic():
        diff = store.update("places", place, {"name": "红星行政村", "code": ""})
    assert diff == {"name": ("红星村", "红星行政村")}  # unchanged code is not logged
    with store.db.atomic():
        assert store.update("places", place, {"name": "红星行政村"}) == {}
    with store.db.atomic():
        store.soft_delete("places", place, reason="合并到邻村")
    history = store.history("places", place)
    assert [h["op"] for h in history] == ["insert", "update", "delete"]
    assert history[1]["fields"] == {"name": {"old": "红星村", "new": "红星行政村"}}
    assert history[2]["fields"] == {"reason": "合并到邻村"}
    assert {h["user"] for h in history} == {"李医生"}
    seqs = [h["change_seq"] for h in history]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    row = store.get("places", place)
    assert row["deleted"] == 1 and row["change_seq"] == seqs[-1]  # a tombstone, not gone
    assert store.meta("change_counter") == str(seqs[-1])
    store.db.close()


def test_rolled_back_action_leaves_no_row_counter_or_log(db_path: Path) -> None:
    store = Store(storage_db.open_database(db_path))
    with pytest.raises(ZeroDivisionError), store.db.atomic():
        store.insert("places", {"kind": "village", "name": "红星村"})
        _ = 1 / 0
    assert store.db.execute("SELECT count(*) FROM places").fetchone()[0] == 0
    assert store.db.execute("SELECT count(*) FROM change_log").fetchone()[0] == 0
    assert store.meta("change_counter") == "0"
    store.db.close()


def test_every_foreign_key_column_is_indexed(db_path: Path) -> None:
    database = storage_db.open_database(db_path)
    try:
        tables = [r[0] for r in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            leading = {database.execute(f"PRAGMA index_info('{index[1]}')").fetchone()[2]
                       for index in database.execute(f"PRAGMA index_list('{table}')")}
            leading.add("id")  # the primary key
            for fk in database.execute(f"PRAGMA foreign_key_list('{table}')"):
                assert fk[3] in leading, f"{table}.{fk[3]} references {fk[2]} but has no index"
    finally:
        database.close()


def test_upgrade_from_the_first_released_schema(db_path: Path) -> None:
    """A register made by the first version (m0001 only) upgrades with its data intact."""
    first = sqlite_utils.Migrations(MIGRATIONS.name)
    first(name="m0001_initial")(MIGRATIONS._migrations[0].fn)
    database = storage_db.connect(db_path)
    storage_db.migrate(database, db_path, migrations=first)
    store = Store(database)
    with database.atomic():
        place = store.insert("places", {"kind": "village", "name": "红星村"})
    database.close()
    upgraded = storage_db.open_database(db_path)
    assert storage_db.applied_migrations(upgraded) == ALL_MIGRATIONS
    assert Store(upgraded).get("places", place)["name"] == "红星村"
    assert list((db_path.parent / "backups").glob("*.db"))
    upgraded.close()


def test_ids_grow_within_a_process_even_in_one_millisecond() -> None:
    """Later-entered rows sort later by id (two visits on one day: the later one counts)."""
    from clinic_app.storage.store import new_id

    ids = [new_id() for _ in range(20_000)]  # many share a millisecond
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 32 and i[12] == "7" for i in ids)  # version-7 layout
