"""Opening the register: pragmas, backup, migrations, and refusing a database that is too new.

Clinic PCs lose power, so the database runs in WAL mode with ``synchronous=FULL``: a committed
visit survives a power cut. Before any migration the file is copied (SQLite's online backup) next
to the database, and all pending migrations run inside one transaction, so a failure leaves the
original exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from clinic_app.storage.schema import MIGRATION_SET, MIGRATIONS

BUSY_TIMEOUT_MS = 5000


class StorageError(RuntimeError):
    """A database problem explained in Chinese for the user."""


class DatabaseTooNew(StorageError):
    pass


def connect(path: Path | str) -> sqlite_utils.Database:
    """Open (or create) the file with the register's pragmas; no migration."""
    target = str(path)
    if target != ":memory:":
        parent = Path(target).parent
        parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if target != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(
                    f"无法把数据库切换到 WAL 模式（当前 {mode}），请检查文件所在磁盘")
        conn.execute("PRAGMA synchronous = FULL")
        # 64 MB page cache (default 2 MB): indexes of a 200k-resident township stay in memory.
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"无法打开数据库 {target}：{_explain(exc)}") from exc
    return sqlite_utils.Database(conn)


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock at once (BEGIN IMMEDIATE).

    sqlite-utils' atomic() issues a plain BEGIN: a read-then-write inside it gets SQLITE_BUSY
    at once when another connection (a background job, the command line) is writing, and
    the busy timeout never applies. IMMEDIATE waits up to the busy timeout instead. Nested
    calls become savepoints through atomic().
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "FOREIGN KEY constraint failed" in text:
        return "引用的户、村或居民不存在（可能已被删除），请刷新后重试"
    if "UNIQUE constraint failed" in text:
        if "household_no" in text:
            return "户编号已存在"
        if "id_number" in text:
            return "身份证号已登记"
        return "记录重复"
    if "CHECK constraint failed" in text:
        return "填写的值不符合要求（如金额分摊与总额不符、数量为零）"
    if "not a database" in text or "malformed" in text:
        return "文件已损坏或不是本软件的数据库"
    if "disk" in text and "full" in text:
        return "磁盘已满，请清理磁盘空间后重试"
    if "readonly" in text or "read-only" in text:
        return "文件是只读的，请检查权限"
    if "locked" in text or "busy" in text:
        return "数据库正被另一个程序使用，请关闭其他窗口后重试"
    return text


def explain(exc: sqlite3.Error) -> str:
    """The Chinese explanation of an SQLite error, for messages to the user."""
    return _explain(exc)


def applied_migrations(db: sqlite_utils.Database) -> list[str]:
    return [m.name for m in MIGRATIONS.applied(db)]


def check_not_too_new(db: sqlite_utils.Database, known: list[str] | None = None) -> None:
    known_names = set(known if known is not None else [m.name for m in MIGRATIONS._migrations])
    unknown = [name for name in applied_migrations(db) if name not in known_names]
    if unknown:
        raise DatabaseTooNew(
            "这个数据库由更新版本的软件创建或升级过（包含本版本不认识的结构："
            f"{', '.join(unknown)}）。为避免损坏数据，本版本不会打开它，请安装最新版本的软件。"
        )


def backup_to(db: sqlite_utils.Database, target: Path) -> Path:
    """Copy the database consistently (SQLite online backup) to target."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target


def backup_path(db_path: Path, label: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return db_path.parent / "backups" / f"{db_path.stem}.{label}.{stamp}.db"


def migrate(
    db: sqlite_utils.Database,
    db_path: Path | None,
    *,
    migrations: sqlite_utils.Migrations = MIGRATIONS,
    before_apply: Callable[[], None] | None = None,
) -> Path | None:
    """Apply pending migrations in one transaction; back up first if the database had data.

    Returns the backup path, if one was made.
    """
    check_not_too_new(db, [m.name for m in migrations._migrations])
    pending = migrations.pending(db)
    if not pending:
        return None
    backup = None
    already = applied_migrations(db) if db_path is not None else []
    if db_path is not None and already:
        backup = backup_to(db, backup_path(db_path, f"before-{pending[0].name}"))
    if before_apply:
        before_apply()
    try:
        # Migrations.apply wraps each migration in db.atomic(); inside this outer block those
        # become savepoints, so the whole upgrade commits or rolls back as one.
        with db.atomic():
            migrations.apply(db)
            _ensure_meta(db)
    except sqlite3.Error as exc:
        where = f"，升级前的备份在 {backup}" if backup else ""
        raise StorageError(f"数据库升级失败，原数据未改动{where}：{_explain(exc)}") from exc
    return backup


def _ensure_meta(db: sqlite_utils.Database) -> None:
    row = db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    if row is None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        db.execute("INSERT INTO meta(key, value) VALUES ('device_id', ?)", [uuid.uuid4().hex])
        db.execute("INSERT INTO meta(key, value) VALUES ('change_counter', '0')")
        db.execute("INSERT INTO meta(key, value) VALUES ('created_at', ?)", [now])


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open the register at path, migrating it (with a backup) to this version's schema."""
    db = connect(path)
    try:
        migrate(db, None if str(path) == ":memory:" else Path(path))
    except BaseException:
        db.close()
        raise
    return db


__all__ = [
    "MIGRATION_SET",
    "DatabaseTooNew",
    "StorageError",
    "backup_to",
    "check_not_too_new",
    "connect",
    "explain",
    "migrate",
    "open_database",
    "write_transaction",
]
