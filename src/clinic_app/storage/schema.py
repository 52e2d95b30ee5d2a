"""The register's schema as named forward migrations (sqlite-utils ``Migrations``).

Rules: a migration that has landed is never edited — change the schema by adding a new one at
the end. Every synced table carries the sync columns (``SYNC_COLUMNS``): a random UUID key,
created/modified times, the device that last changed the row, that device's change counter, and
a tombstone flag (rows are never deleted, only marked). Derived values (overdue, counts, balances)
are not stored. Local-only tables (``meta``, ``change_log``, ``search_keys``) do not sync.
"""

from __future__ import annotations

import sqlite_utils

MIGRATION_SET = "clinic_app"
MIGRATIONS = sqlite_utils.Migrations(MIGRATION_SET)

SYNC_COLUMNS = """
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    device_id TEXT NOT NULL,
    change_seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
"""

# Tables whose rows travel between devices (each has SYNC_COLUMNS), in dependency order.
SYNCED_TABLES = (
    "places",
    "households",
    "residents",
    "conditions",
    "teams",
    "doctors",
    "contracts",
    "follow_ups",
    "checkups",
    "medicine_boxes",
    "box_items",
    "deliveries",
    "contact_attempts",
    "print_log",
    "clinic_settings",  # m0004: settings that travel with sync (chosen profile, clinic name)
    "local_profiles",  # m0004: the township's own policy profiles (TOML text)
    "service_records",  # m0007: contracted services with no form of their own
)


# (table, column) of every foreign key in m0001 (frozen with it; later migrations index their
# own). tests/unit/test_storage.py checks that every foreign key in the schema has an index.
FOREIGN_KEY_COLUMNS = (
    ("places", "parent_id"), ("households", "village_id"), ("households", "head_id"),
    ("residents", "household_id"), ("conditions", "resident_id"), ("teams", "place_id"),
    ("teams", "leader_id"), ("doctors", "team_id"), ("doctors", "place_id"),
    ("contracts", "resident_id"), ("contracts", "team_id"), ("contracts", "doctor_id"),
    ("contracts", "renewed_from_id"), ("follow_ups", "resident_id"), ("follow_ups", "doctor_id"),
    ("follow_ups", "supersedes_id"), ("checkups", "resident_id"), ("checkups", "doctor_id"),
    ("checkups", "supersedes_id"), ("medicine_boxes", "resident_id"), ("box_items", "box_id"),
    ("deliveries", "box_id"), ("deliveries", "resident_id"), ("deliveries", "item_id"),
    ("deliveries", "delivered_by"), ("deliveries", "corrects_id"),
    ("search_keys", "resident_id"),
)


def _table(name: str, body: str) -> str:
    return f"CREATE TABLE {name} ({SYNC_COLUMNS}, {body})"


@MIGRATIONS(name="m0001_initial")
def m0001_initial(db: sqlite_utils.Database) -> None:
    statements = [
        # Local settings of this installation: device id, change counter, clinic and profile.
        "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT)",
        _table("places", """
            kind TEXT NOT NULL CHECK (kind IN ('county', 'township', 'village', 'group')),
            name TEXT NOT NULL,
            code TEXT NOT NULL DEFAULT '',
            parent_id TEXT REFERENCES places(id)
        """),
        _table("households", """
            household_no TEXT NOT NULL DEFAULT '',
            village_id TEXT NOT NULL REFERENCES places(id),
            group_name TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            head_id TEXT REFERENCES residents(id) DEFERRABLE INITIALLY DEFERRED,
            phone TEXT NOT NULL DEFAULT '',
            poverty_category TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT ''
        """),
        _table("residents", """
            household_id TEXT REFERENCES households(id) DEFERRABLE INITIALLY DEFERRED,
            relation TEXT NOT NULL DEFAULT '',
            name TEXT NOT NULL,
            name_pinyin TEXT NOT NULL DEFAULT '',
            name_initials TEXT NOT NULL DEFAULT '',
            id_number TEXT,
            sex TEXT NOT NULL DEFAULT '' CHECK (sex IN ('男', '女', '')),
            birth_date TEXT,
            phone TEXT NOT NULL DEFAULT '',
            ethnicity TEXT NOT NULL DEFAULT '',
            poverty_category TEXT NOT NULL DEFAULT '',
            poverty_status TEXT NOT NULL DEFAULT '',
            insurance TEXT NOT NULL DEFAULT '',
            insurance_no TEXT NOT NULL DEFAULT '',
            disability TEXT NOT NULL DEFAULT '',
            disability_grade TEXT NOT NULL DEFAULT '',
            treatment_batch TEXT NOT NULL DEFAULT 'none',
            status TEXT NOT NULL DEFAULT 'active',
            status_date TEXT,
            status_reason TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT ''
        """),
        _table("conditions", """
            resident_id TEXT NOT NULL REFERENCES residents(id),
            code TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            diagnosed_on TEXT,
            status TEXT NOT NULL DEFAULT 'active',
            closed_on TEXT,
            close_reason TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT ''
        """),
        _table("teams", """
            name TEXT NOT NULL,
            phone TEXT NOT NULL DEFAULT '',
            place_id TEXT REFERENCES places(id),
            leader_id TEXT REFERENCES doctors(id) DEFERRABLE INITIALLY DEFERRED
        """),
        _table("doctors", """
            name TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'village_doctor',
            phone TEXT NOT NULL DEFAULT '',
            team_id TEXT REFERENCES teams(id),
            place_id TEXT REFERENCES places(id),
            active INTEGER NOT NULL DEFAULT 1
        """),
        _table("contracts", """
            resident_id TEXT NOT NULL REFERENCES residents(id),
            team_id TEXT REFERENCES teams(id),
            doctor_id TEXT REFERENCES doctors(id),
            profile_id TEXT NOT NULL DEFAULT 'national',
            package_code TEXT NOT NULL,
            services TEXT NOT NULL DEFAULT '[]',
            signed_on TEXT NOT NULL,
            start_on TEXT NOT NULL,
            end_on TEXT NOT NULL,
            agreement_no TEXT NOT NULL DEFAULT '',
            ended_on TEXT,
            end_reason TEXT NOT NULL DEFAULT '',
            renewed_from_id TEXT REFERENCES contracts(id)
        """),
        _table("follow_ups", """
            resident_id TEXT NOT NULL REFERENCES residents(id),
            form TEXT NOT NULL,
            visit_date TEXT NOT NULL,
            method TEXT NOT NULL DEFAULT 'clinic',
            doctor_id TEXT REFERENCES doctors(id),
            sbp INTEGER,
            dbp INTEGER,
            heart_rate INTEGER,
            weight_kg REAL,
            height_cm REAL,
            fasting_glucose REAL,
            classification TEXT NOT NULL DEFAULT '',
            proposed_classification TEXT NOT NULL DEFAULT '',
            next_visit_on TEXT,
            proposed_next_on TEXT,
            override_reason TEXT NOT NULL DEFAULT '',
            referral_reason TEXT NOT NULL DEFAULT '',
            referral_to TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            supersedes_id TEXT REFERENCES follow_ups(id)
        """),
        _table("checkups", """
            resident_id TEXT NOT NULL REFERENCES residents(id),
            checkup_date TEXT NOT NULL,
            doctor_id TEXT REFERENCES doctors(id),
            sbp INTEGER,
            dbp INTEGER,
            weight_kg REAL,
            height_cm REAL,
            fasting_glucose REAL,
            evaluation TEXT NOT NULL DEFAULT '',
            cost_fen INTEGER,
            profile_id TEXT NOT NULL DEFAULT 'national',
            data TEXT NOT NULL DEFAULT '{}',
            supersedes_id TEXT REFERENCES checkups(id)
        """),
        _table("medicine_boxes", """
            resident_id TEXT NOT NULL REFERENCES residents(id),
            opened_on TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT ''
        """),
        _table("box_items", """
            box_id TEXT NOT NULL REFERENCES medicine_boxes(id),
            medicine TEXT NOT NULL,
            strength TEXT NOT NULL DEFAULT '',
            dose TEXT NOT NULL DEFAULT '',
            condition_code TEXT NOT NULL DEFAULT '',
            units_per_day REAL,
            active INTEGER NOT NULL DEFAULT 1
        """),
        _table("deliveries", """
            box_id TEXT NOT NULL REFERENCES medicine_boxes(id),
            resident_id TEXT NOT NULL REFERENCES residents(id),
            item_id TEXT REFERENCES box_items(id),
            delivered_on TEXT NOT NULL,
            medicine TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity <> 0),
            unit TEXT NOT NULL DEFAULT '盒',
            unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
            insurance_fen INTEGER NOT NULL DEFAULT 0,
            free_fund_fen INTEGER NOT NULL DEFAULT 0,
            patient_fen INTEGER NOT NULL DEFAULT 0,
            receipt_no TEXT NOT NULL DEFAULT '',
            delivered_by TEXT REFERENCES doctors(id),
            location TEXT NOT NULL DEFAULT 'home',
            corrects_id TEXT REFERENCES deliveries(id),
            notes TEXT NOT NULL DEFAULT '',
            CHECK (insurance_fen + free_fund_fen + patient_fen = quantity * unit_price_fen)
        """),
        # Audit trail and the source of incremental sync: one row per insert/update/delete.
        """CREATE TABLE change_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            device_id TEXT NOT NULL,
            change_seq INTEGER NOT NULL,
            user TEXT NOT NULL DEFAULT '',
            table_name TEXT NOT NULL,
            row_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
            fields TEXT
        )""",
        # Local search index (rebuilt from residents; not synced): pinyin spellings, reversed ID
        # number (to find by the last digits with an index range), phone.
        """CREATE TABLE search_keys (
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            resident_id TEXT NOT NULL REFERENCES residents(id)
        )""",
        "CREATE INDEX search_keys_key ON search_keys(kind, key)",
        "CREATE INDEX search_keys_resident ON search_keys(resident_id)",
        "CREATE INDEX places_parent ON places(parent_id)",
        "CREATE UNIQUE INDEX households_no ON households(household_no) "
        "WHERE household_no <> '' AND deleted = 0",
        "CREATE INDEX households_village ON households(village_id)",
        "CREATE UNIQUE INDEX residents_id_number ON residents(id_number) "
        "WHERE id_number IS NOT NULL AND deleted = 0",
        "CREATE INDEX residents_household ON residents(household_id)",
        "CREATE INDEX residents_name ON residents(name)",
        "CREATE INDEX conditions_resident ON conditions(resident_id)",
        "CREATE INDEX conditions_code ON conditions(code, status)",
        "CREATE INDEX doctors_team ON doctors(team_id)",
        "CREATE INDEX contracts_resident ON contracts(resident_id)",
        "CREATE INDEX contracts_end ON contracts(end_on)",
        "CREATE INDEX follow_ups_resident ON follow_ups(resident_id, visit_date)",
        "CREATE INDEX follow_ups_date ON follow_ups(visit_date)",
        "CREATE INDEX checkups_resident ON checkups(resident_id, checkup_date)",
        "CREATE INDEX medicine_boxes_resident ON medicine_boxes(resident_id)",
        "CREATE INDEX box_items_box ON box_items(box_id)",
        "CREATE INDEX deliveries_resident ON deliveries(resident_id, delivered_on)",
        "CREATE INDEX deliveries_box ON deliveries(box_id)",
        "CREATE INDEX change_log_row ON change_log(table_name, row_id)",
    ]
    # A literal list, not SYNCED_TABLES: that grows with later migrations, this must not.
    for table in ("places", "households", "residents", "conditions", "teams", "doctors",
                  "contracts", "follow_ups", "checkups", "medicine_boxes", "box_items",
                  "deliveries"):
        statements.append(f"CREATE INDEX {table}_sync ON {table}(device_id, change_seq)")
    # Every foreign-key child column gets an index: without one SQLite scans the whole child
    # table whenever a parent row is inserted while deferred violations are pending (a
    # household inserted before its head), or a parent is updated — quadratic on a township.
    for table, column in FOREIGN_KEY_COLUMNS:
        if f"{table}({column}" not in " ".join(statements):
            statements.append(f"CREATE INDEX {table}_{column} ON {table}({column})")
    for sql in statements:
        db.execute(sql)


@MIGRATIONS(name="m0002_contact_attempts")
def m0002_contact_attempts(db: sqlite_utils.Database) -> None:
    """今日待办 marks: called / visited / could not reach. Not a follow-up; it syncs."""
    db.execute(_table("contact_attempts", """
        resident_id TEXT NOT NULL REFERENCES residents(id),
        on_date TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('called', 'visited', 'unreachable')),
        note TEXT NOT NULL DEFAULT '',
        doctor_id TEXT REFERENCES doctors(id)
    """))
    db.execute("CREATE INDEX contact_attempts_resident ON contact_attempts(resident_id, on_date)")
    db.execute("CREATE INDEX contact_attempts_doctor_id ON contact_attempts(doctor_id)")
    db.execute("CREATE INDEX contact_attempts_sync ON contact_attempts(device_id, change_seq)")


@MIGRATIONS(name="m0003_print_log")
def m0003_print_log(db: sqlite_utils.Database) -> None:
    """What was printed for whom: who, when, which version of the card (a hash of its content).

    One row per printed subject (a resident's contact card, a household's policy card, a visit
    list…); rows of one batch share ``job_id`` so a whole job can be reprinted. It syncs, so the
    county sees which households hold a current card.
    """
    db.execute(_table("print_log", """
        job_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject_id TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL DEFAULT '',
        printed_at TEXT NOT NULL,
        user TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}'
    """))
    db.execute("CREATE INDEX print_log_subject ON print_log(kind, subject_id, printed_at)")
    db.execute("CREATE INDEX print_log_job ON print_log(job_id)")
    db.execute("CREATE INDEX print_log_sync ON print_log(device_id, change_seq)")


@MIGRATIONS(name="m0004_policy_settings")
def m0004_policy_settings(db: sqlite_utils.Database) -> None:
    """Settings that travel with sync, and the township's own policy profiles.

    Until now the chosen profile and the clinic's name lived in ``meta``, which never leaves
    the PC; the county could not see which rules a township applied. ``clinic_settings`` holds
    them as key/value rows (one live row per key, updated in place so the change log shows
    old → new and when). ``local_profiles`` holds each local profile (本地方案) as the TOML text
    the library loads, with the profile it was copied from; retiring one keeps the row (records
    made under it still name it). The values already in ``meta`` are moved over here, through
    the change log like any other write, so an existing register keeps its choice.
    """
    db.execute(_table("clinic_settings", """
        key TEXT NOT NULL,
        value TEXT NOT NULL DEFAULT '',
        place_id TEXT REFERENCES places(id)
    """))
    db.execute("CREATE INDEX clinic_settings_key ON clinic_settings(key, deleted)")
    db.execute("CREATE INDEX clinic_settings_place_id ON clinic_settings(place_id)")
    db.execute("CREATE INDEX clinic_settings_sync ON clinic_settings(device_id, change_seq)")
    db.execute(_table("local_profiles", """
        profile_key TEXT NOT NULL,
        name TEXT NOT NULL,
        base_profile TEXT NOT NULL,
        toml TEXT NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        updated_by TEXT NOT NULL DEFAULT '',
        retired_on TEXT,
        retired_reason TEXT NOT NULL DEFAULT ''
    """))
    db.execute("CREATE INDEX local_profiles_key ON local_profiles(profile_key)")
    db.execute("CREATE INDEX local_profiles_sync ON local_profiles(device_id, change_seq)")
    # Move this register's choice out of meta (a fresh file has nothing to move).
    moves = [(key, value) for key, value in db.execute(
        "SELECT key, value FROM meta WHERE key IN ('profile_id', 'setting.clinic_name') "
        "AND coalesce(value, '') <> '' ORDER BY key").fetchall()]
    if moves and db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone():
        from clinic_app.storage.store import Store  # store imports this module

        townships = [r[0] for r in db.execute(
            "SELECT id FROM places WHERE kind = 'township' AND deleted = 0").fetchall()]
        store = Store(db, user="升级（原本机设置）")
        store.insert_many("clinic_settings", [
            {"key": key.removeprefix("setting."), "value": value,
             "place_id": townships[0] if len(townships) == 1 else None}
            for key, value in moves])


@MIGRATIONS(name="m0005_care")  # 健康体检与慢病小药箱 (issue 6)
def m0005_care(db: sqlite_utils.Database) -> None:
    """Checkups and medicine boxes: refunds, pack sizes, stopped medicines, report indexes.

    A refund (退药) is its own row with a negative quantity; ``refund_of`` names the delivery
    it returns, so its free-fund share goes back to that delivery's year (a correction keeps
    using ``corrects_id``: the new row replaces the old, which stays as history).
    ``box_items.pack_size`` (units in a pack, e.g. 28 tablets) turns packs delivered into days
    of medicine; a medicine taken off the box keeps its row with the date and reason.
    """
    db.execute("ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'delivery' "
               "CHECK (kind IN ('delivery', 'refund'))")
    db.execute("ALTER TABLE deliveries ADD COLUMN refund_of TEXT REFERENCES deliveries(id)")
    db.execute("CREATE INDEX deliveries_refund_of ON deliveries(refund_of)")
    db.execute("CREATE INDEX deliveries_date ON deliveries(delivered_on)")
    db.execute("ALTER TABLE box_items ADD COLUMN pack_size INTEGER CHECK (pack_size > 0)")
    db.execute("ALTER TABLE box_items ADD COLUMN stopped_on TEXT")
    db.execute("ALTER TABLE box_items ADD COLUMN stop_reason TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX checkups_date ON checkups(checkup_date)")


@MIGRATIONS(name="m0006_work_list")  # 今日待办 of a whole township at query time (issue 5)
def m0006_work_list(db: sqlite_utils.Database) -> None:
    """Indexes that let the work list find each patient's latest visit with one seek.

    Due dates stay computed when asked (storage/work_list_queries.py); these only make the
    reads cheap. ``follow_ups_current`` covers everything the candidate filter reads of a
    visit, in newest-first order per resident; ``conditions_scheduled`` lists active
    conditions by resident; the two partial indexes hold the few corrected visits and the
    visits that note a new complication (R5), so checking them costs almost nothing.
    """
    db.execute("CREATE INDEX follow_ups_current ON follow_ups(resident_id, visit_date, "
               "created_at, id, deleted, form, next_visit_on, sbp, dbp, fasting_glucose, "
               "classification)")
    db.execute("CREATE INDEX conditions_scheduled ON conditions(resident_id, code, diagnosed_on) "
               "WHERE deleted = 0 AND status = 'active'")
    db.execute("CREATE INDEX follow_ups_superseded ON follow_ups(supersedes_id) "
               "WHERE supersedes_id IS NOT NULL AND deleted = 0")
    # The condition is work_list_queries.COMPLICATION_FLAGGED, written out (a migration must
    # not change when that module does): a partial index is used only by a query that repeats
    # its condition. json_valid keeps a row with malformed data insertable.
    value = "json_extract(data, '$.new_complication')"
    db.execute(f"""CREATE INDEX follow_ups_complication ON follow_ups(resident_id)
        WHERE deleted = 0 AND CASE WHEN json_valid(data)
    THEN CASE json_type(data, '$.new_complication')
    WHEN 'true' THEN 1 WHEN 'integer' THEN {value} <> 0 WHEN 'real' THEN {value} <> 0
    WHEN 'text' THEN {value} <> '' WHEN 'object' THEN {value} <> '{{}}'
    WHEN 'array' THEN json_array_length(data, '$.new_complication') > 0 END END""")


@MIGRATIONS(name="m0007_service_records")
def m0007_service_records(db: sqlite_utils.Database) -> None:
    """家庭医生签约 (contracts): services with no form of their own, and what ending needs.

    ``service_records`` holds one row per contracted service delivered that has no record
    elsewhere (health education, consultation, …) so 履约 (fulfilment) can be counted from
    data; follow-ups, checkups, referrals and deliveries are counted from their own tables.
    It syncs. The same migration lets a team be deactivated (``teams.active``, as doctors
    already can) and keeps the free-text note of why a contract ended beside its coded reason
    (``contracts.end_note``).
    """
    db.execute(_table("service_records", """
        resident_id TEXT NOT NULL REFERENCES residents(id),
        service_code TEXT NOT NULL,
        service_on TEXT NOT NULL,
        doctor_id TEXT REFERENCES doctors(id),
        method TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT ''
    """))
    db.execute("CREATE INDEX service_records_resident ON service_records(resident_id, service_on)")
    db.execute("CREATE INDEX service_records_doctor_id ON service_records(doctor_id)")
    db.execute("CREATE INDEX service_records_sync ON service_records(device_id, change_seq)")
    db.execute("ALTER TABLE teams ADD COLUMN active INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE contracts ADD COLUMN end_note TEXT NOT NULL DEFAULT ''")
