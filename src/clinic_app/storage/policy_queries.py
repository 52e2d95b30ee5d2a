"""Reads for settings that sync (``clinic_settings``) and local policy profiles
(``local_profiles``); the writes go through ``Store`` in the ``Clinic`` facade."""

from __future__ import annotations

from typing import Any

from clinic_app.storage.store import Store


def setting_row(store: Store, key: str) -> dict[str, Any] | None:
    """The live row of a synced setting; the newest wins if sync ever brought two."""
    rows = store.rows(
        "SELECT * FROM clinic_settings WHERE key = ? AND deleted = 0 "
        "ORDER BY modified_at DESC, change_seq DESC LIMIT 1", [key])
    return rows[0] if rows else None


def home_township(store: Store) -> str | None:
    """The township this register serves, when it holds exactly one (else None)."""
    rows = store.db.execute(
        "SELECT id FROM places WHERE kind = 'township' AND deleted = 0 LIMIT 2").fetchall()
    return rows[0][0] if len(rows) == 1 else None


def local_profiles(store: Store, *, include_deleted: bool = False) -> list[dict[str, Any]]:
    """Every local profile row, oldest first (so a copy's original usually loads before it)."""
    where = "" if include_deleted else "WHERE deleted = 0"
    return store.rows(f"SELECT * FROM local_profiles {where} ORDER BY created_at, id")


def local_profile(store: Store, profile_key: str) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM local_profiles WHERE profile_key = ? AND deleted = 0 "
                      "ORDER BY modified_at DESC LIMIT 1", [profile_key])
    return rows[0] if rows else None


def profile_in_use(store: Store, profile_key: str) -> list[str]:
    """What still names a profile: contracts and checkups recorded under it (labels)."""
    uses = []
    for table, label in (("contracts", "签约"), ("checkups", "体检")):
        count = store.db.execute(
            f"SELECT count(*) FROM {table} WHERE profile_id = ? AND deleted = 0",
            [profile_key]).fetchone()[0]
        if count:
            uses.append(f"{count} 份{label}记录")
    return uses


def settings_history(store: Store, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The change log of the synced settings (which rules were used, changed when, by whom)."""
    placeholders = ", ".join("?" for _ in keys)
    return store.rows(
        "SELECT c.seq, c.at, c.user, c.op, c.fields, c.row_id, s.key, s.value FROM change_log c "
        "JOIN clinic_settings s ON s.id = c.row_id "
        f"WHERE c.table_name = 'clinic_settings' AND s.key IN ({placeholders}) "
        "ORDER BY c.seq", list(keys))


def local_profiles_stamp(store: Store) -> tuple[Any, ...]:
    """Changes whenever a local profile is added or changed, here or by another program."""
    return tuple(store.db.execute(
        "SELECT count(*), max(modified_at), total(change_seq) FROM local_profiles").fetchone())
