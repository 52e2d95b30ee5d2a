"""The ``Clinic`` facade: the one object screens, the command line and scripts talk to.

As Anki's ``Collection``: it owns the database, the current policy profile and the clock. Each
write method is a single write transaction (``storage.db.write_transaction``: sqlite-utils'
``atomic()`` begun IMMEDIATE), so an action lands whole or not at all, and goes
through ``Store`` so the sync columns and the change log stay right. It never imports Qt.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from clinic_app import work_list  # 今日待办 at query time (issue 5)
from clinic_app.domain import checkup as checkup_spec  # checkups (issue 6)
from clinic_app.domain import codes, followup, ids, pinyin, policy_local, schedule, validate
from clinic_app.domain import fulfilment as fulfil  # contracts: 履约 rules
from clinic_app.domain import medicine as med  # medicine boxes (issue 6)
from clinic_app.domain.models import (
    Checkup,
    Condition,
    Contract,
    Delivery,
    Doctor,
    FollowUp,
    Household,
    Place,
    Resident,
    Team,
)
from clinic_app.domain.policy import RULES as POLICY_RULES
from clinic_app.domain.policy import PolicyError, PolicyLibrary, Profile, load_library
from clinic_app.domain.policy_local import LocalProfileInfo
from clinic_app.errors import ClinicError, DuplicateResident, NotFoundError, ValidationFailed
from clinic_app.storage import care_queries as care_sql  # checkups, boxes (issue 6)
from clinic_app.storage import contract_queries as contract_sql  # contracts
from clinic_app.storage import db as storage_db
from clinic_app.storage import followup_queries, policy_queries, print_queries, queries
from clinic_app.storage.store import NotFound, Store

if TYPE_CHECKING:
    from collections.abc import Collection  # roster import choices

    from clinic_app.progress import Progress
    from clinic_app.roster import ImportReport

APP_NAME = "clinic-app"
APP_AUTHOR = "clinic-app"

# Resident fields a person may edit directly (identity fields go through the ID check).
RESIDENT_FIELDS = (
    "name", "id_number", "sex", "birth_date", "phone", "ethnicity", "poverty_category",
    "poverty_status", "insurance", "insurance_no", "disability", "disability_grade",
    "treatment_batch", "notes",
)
# Statuses that take a resident off the active register (脱贫 is poverty_status, not this).
END_STATUSES = ("moved", "deceased")


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "clinic.db"


@dataclass
class CheckReport:
    problems: list[str]
    counts: dict[str, int]
    schema: list[str]
    path: str

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ResidentDetail:
    """Everything the resident page shows, gathered in one call."""

    resident: Resident
    household: Household | None
    village: Place | None
    head_name: str
    conditions: list[Condition]
    contracts: list[Contract]
    contract_status: str
    follow_ups: list[FollowUp]
    checkups: list[Checkup]
    deliveries: list[Delivery]
    doctor_names: dict[str, str]


@dataclass
class SavedResident:
    id: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class FollowUpDraft:
    """What a new follow-up form starts from."""

    resident_id: str
    form: str
    values: dict[str, Any]
    doctor_id: str | None
    last_visit_on: dt.date | None
    birth_date: dt.date | None


def _to_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _as_visit(row: Mapping[str, Any]) -> schedule.Visit:
    """A stored follow-up row as the schedule rules see it."""
    return schedule.Visit(dt.date.fromisoformat(row["visit_date"]), row["form"], row["sbp"],
                          row["dbp"], row["fasting_glucose"], _to_date(row["next_visit_on"]),
                          row["classification"] or "", json.loads(row["data"] or "{}"))


class Clinic:
    """An open register. Use ``Clinic.open(path)``; close it (or use ``with``) when done."""

    def __init__(self, database: Any, path: Path | None, *, user: str = "",
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.db = database
        self.path = path
        self.store = Store(database, user or _os_user())
        self._today = today
        self._library: PolicyLibrary | None = None
        self._library_stamp: tuple[Any, ...] = ()
        self._policy_problems: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, path: Path | str | None = None, *, user: str = "",
             today: Callable[[], dt.date] = dt.date.today) -> Clinic:
        target = Path(path) if path is not None else default_db_path()
        database = storage_db.open_database(target)
        return cls(database, target, user=user, today=today)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Clinic:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> dt.date:
        return self._today()

    @property
    def user(self) -> str:
        """Who the change log names for this window's writes."""
        return self.store.user

    @contextmanager
    def _write(self) -> Iterator[Store]:
        """One action = one transaction; SQLite errors become Chinese ClinicErrors."""
        try:
            with storage_db.write_transaction(self.db):
                yield self.store
        except sqlite3.Error as exc:
            raise ClinicError(f"保存失败，数据未改动：{storage_db.explain(exc)}") from exc

    # ------------------------------------------------------------------ settings & policy profiles
    # Issue 8. The chosen profile and the clinic's and township's names are synced settings
    # (table clinic_settings), so the county sees which rules each township used and when that
    # changed; the old local-only meta values are still read when no synced row exists
    # (registers made before m0004 that m0004 could not move, and demo.generate writes meta).
    # Local profiles (本地方案) are TOML rows in local_profiles, loaded into the library beside
    # the bundled files: copy one, change a rule from a date with a citation, retire it.
    SYNCED_SETTINGS = ("profile_id", "clinic_name", "township_name")

    @property
    def library(self) -> PolicyLibrary:
        """Bundled and local profiles; reloaded when another window, the command line or a
        sync changed the local ones (a count-and-newest check on a tiny table)."""
        stamp = policy_queries.local_profiles_stamp(self.store)
        if self._library is None or stamp != self._library_stamp:
            self._library, self._policy_problems = self._load_library()
            self._library_stamp = stamp
        return self._library

    @property
    def policy_problems(self) -> list[str]:
        """Local profiles that could not be loaded (e.g. synced from a newer version)."""
        _ = self.library
        return list(self._policy_problems)

    def _load_library(self, replace: Mapping[str, str] | None = None
                      ) -> tuple[PolicyLibrary, list[str]]:
        """Bundled profiles plus every local one, each after the profile it inherits.

        `replace` swaps a local profile's TOML (an edit being checked before it is saved).
        """
        library = load_library()
        pending = [(r["profile_key"], r["base_profile"], r["name"],
                    (replace or {}).get(r["profile_key"], r["toml"]))
                   for r in policy_queries.local_profiles(self.store)]
        problems: list[str] = []
        while pending:
            ready = [p for p in pending if p[1] in library]
            if not ready:
                problems += [f"本地方案 {name}（{key}）：继承的配置 {base} 不存在，未载入"
                             for key, base, name, _ in pending]
                break
            for item in ready:
                key, _base, name, text = item
                pending.remove(item)
                try:
                    library.add_toml(text, f"本地方案 {name}（{key}）")
                except PolicyError as exc:
                    problems.append(f"{exc}（未载入）")
        return library, problems

    @property
    def profile(self) -> Profile:
        """The clinic's profile (the synced choice). If it cannot be loaded here (a local
        profile from a newer version), the profile it was copied from, else the national
        default, so the register still opens; policy_problems says why."""
        profile_id = self.setting("profile_id") or "national"
        library = self.library
        if profile_id in library:
            return library.get(profile_id)
        row = policy_queries.local_profile(self.store, profile_id)
        if row is not None and row["base_profile"] in library:
            return library.get(row["base_profile"])
        return library.get("national")

    def set_profile(self, profile_id: str) -> None:
        """Choose the profile the clinic works by (synced, in the change log)."""
        profile = self.find_profile(profile_id)
        info = self.local_profile_info(profile.id)
        if info is not None and info.retired:
            raise PolicyError(f"本地方案 {info.name} 已停用，不能选用")
        with self._write() as store:
            self._put_setting(store, "profile_id", profile.id)

    def setting(self, key: str, default: str | None = None) -> str | None:
        if key in self.SYNCED_SETTINGS:
            row = policy_queries.setting_row(self.store, key)
            if row is not None:
                return row["value"] or default
            old = "profile_id" if key == "profile_id" else f"setting.{key}"
            return self.store.meta(old) or default  # from before m0004
        return self.store.meta(f"setting.{key}", default)

    def set_setting(self, key: str, value: str) -> None:
        """Synced settings (SYNCED_SETTINGS) go to clinic_settings; the rest (last sync
        time, demo flag…) belong to this PC and stay in meta."""
        if key == "profile_id":
            self.set_profile(value)
            return
        with self._write() as store:
            if key in self.SYNCED_SETTINGS:
                self._put_setting(store, key, value.strip())
            else:
                store.set_meta(f"setting.{key}", value)

    def save_settings(self, *, clinic_name: str, township_name: str, profile_id: str) -> None:
        """The 设置 page's 保存: the names and the chosen profile in one transaction."""
        if not clinic_name.strip():
            raise ValidationFailed({"clinic_name": "请填写本院名称"})
        profile = self.find_profile(profile_id)
        info = self.local_profile_info(profile.id)
        if info is not None and info.retired:
            raise PolicyError(f"本地方案 {info.name} 已停用，不能选用")
        with self._write() as store:
            self._put_setting(store, "clinic_name", clinic_name.strip())
            self._put_setting(store, "township_name", township_name.strip())
            self._put_setting(store, "profile_id", profile.id)

    @staticmethod
    def _put_setting(store: Store, key: str, value: str) -> None:
        """One live row per key, updated in place: the change log keeps old → new and when."""
        row = policy_queries.setting_row(store, key)
        township = policy_queries.home_township(store)
        if row is None:
            store.insert("clinic_settings", {"key": key, "value": value, "place_id": township})
        else:
            store.update("clinic_settings", row["id"],
                         {"value": value, "place_id": row["place_id"] or township})

    def settings_history(self) -> list[dict[str, Any]]:
        """When the profile and names changed, from what to what, by whom (oldest first)."""
        entries = policy_queries.settings_history(self.store, self.SYNCED_SETTINGS)
        out: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            change = (json.loads(entry["fields"]) if entry["fields"] else {}).get("value", {})
            if entry["op"] == "insert":
                # An insert logs no values: its value is what the row's next update replaced.
                later = next((json.loads(e["fields"] or "{}").get("value") for e in
                              entries[index + 1:] if e["row_id"] == entry["row_id"] and
                              e["op"] == "update" and "value" in (e["fields"] or "")), None)
                change = {"old": None, "new": later["old"] if later else entry["value"]}
            elif not change:
                continue  # only place_id changed
            out.append({"at": entry["at"], "user": entry["user"], "key": entry["key"],
                        "old": change.get("old"), "new": change.get("new")})
        return out

    def find_profile(self, ref: str) -> Profile:
        """A profile by id, or by its exact name (local profiles are easier to name)."""
        library = self.library
        if ref in library:
            return library.get(ref)
        named = [p for p in library if p.name == ref.strip()]
        if len(named) == 1:
            return named[0]
        return library.get(ref)  # raises with the list of known ids

    def local_profiles(self, *, include_retired: bool = True) -> list[LocalProfileInfo]:
        infos = [LocalProfileInfo.from_row(r) for r in policy_queries.local_profiles(self.store)]
        return [i for i in infos if include_retired or not i.retired]

    def local_profile_info(self, profile_id: str) -> LocalProfileInfo | None:
        row = policy_queries.local_profile(self.store, profile_id)
        return LocalProfileInfo.from_row(row) if row else None

    def copy_profile(self, source_id: str, name: str) -> str:
        """A local profile that inherits `source_id` and changes nothing yet; returns its id."""
        source = self.find_profile(source_id)
        name = name.strip()
        if not name:
            raise PolicyError("请给本地方案起个名字，如“中卫市 2018（兴隆镇调整）”")
        if any(p.name == name for p in self.library):
            raise PolicyError(f"已有名为“{name}”的政策配置，请换一个名字")
        with self._write() as store:
            new_id = policy_local.new_profile_id(
                source, lambda k: k in self.library or policy_queries.local_profile(store, k)
                is not None)
            text = policy_local.to_toml(policy_local.copy_head(source, new_id, name),
                                        policy_local.copy_versions(source, self.today()))
            self._check_loads(new_id, text, extra_row=(new_id, name))
            store.insert("local_profiles", {
                "profile_key": new_id, "name": name, "base_profile": source.id, "toml": text,
                "created_by": store.user, "updated_by": store.user})
        self._library = None
        return new_id

    def add_policy_version(self, profile_id: str, valid_from: dt.date, note: str) -> None:
        """A new (empty) version of a local profile from a date: changes made in it apply to
        visits on or after that date only."""
        self._edit_local(profile_id, lambda versions, where: policy_local.add_version(
            versions, valid_from, note, where))

    def set_policy_rule(self, profile_id: str, key: str, value: Any, cite: str,
                        valid_from: dt.date | None = None, note: str = "") -> None:
        """Change one rule of a local profile from `valid_from` (default today), with the
        document it rests on. `value` is typed text (as in the editor and on the command line;
        money in 元) or an already typed value."""
        on = valid_from or self.today()
        self._edit_local(profile_id, lambda versions, where: policy_local.set_rule(
            versions, key,
            policy_local.parse_rule_text(key, value, where) if isinstance(value, str)
            else value, cite, on, where, note))

    def clear_policy_rule(self, profile_id: str, key: str, valid_from: dt.date) -> None:
        """Undo a local change in one version: the rule is inherited again there."""
        self._edit_local(profile_id, lambda versions, where: policy_local.clear_rule(
            versions, key, valid_from, where))

    def retire_profile(self, profile_id: str, reason: str) -> None:
        """Stop offering a local profile (soft): it stays loaded, because contracts and
        checkups recorded under it still name it, but it cannot be chosen or edited."""
        if not reason.strip():
            raise PolicyError("停用本地方案请写明原因")
        with self._write() as store:
            row = self._local_row(store, profile_id)
            if row["retired_on"]:
                raise PolicyError(f"本地方案 {row['name']} 已于 {row['retired_on']} 停用")
            if self.setting("profile_id") == row["profile_key"]:
                raise PolicyError(f"本地方案 {row['name']} 正在使用，请先选用其他配置再停用")
            store.update("local_profiles", row["id"], {
                "retired_on": self.today(), "retired_reason": reason.strip(),
                "updated_by": store.user})
        self._library = None

    def profile_history(self, profile_id: str) -> list[dict[str, Any]]:
        """The change log of a local profile (who changed it when; the TOML before/after)."""
        row = policy_queries.local_profile(self.store, profile_id)
        return self.store.history("local_profiles", row["id"]) if row else []

    def _local_row(self, store: Store, profile_id: str) -> dict[str, Any]:
        row = policy_queries.local_profile(store, profile_id)
        if row is None:
            by_name = [r for r in policy_queries.local_profiles(store)
                       if r["name"] == profile_id.strip()]
            row = by_name[0] if len(by_name) == 1 else None
        if row is None:
            if profile_id in self.library:
                raise PolicyError(f"{profile_id} 是随软件提供的配置，不能直接修改；"
                                  "请先复制为本地方案")
            raise PolicyError(f"没有名为 {profile_id} 的本地方案")
        return row

    def _edit_local(self, profile_id: str, edit: Callable[[list[Any], str], list[Any]]
                    ) -> None:
        """Read, change and save a local profile's versions in one transaction, after
        checking the new text loads with everything that inherits from it."""
        with self._write() as store:
            row = self._local_row(store, profile_id)
            where = f"本地方案 {row['name']}"
            if row["retired_on"]:
                raise PolicyError(f"{where} 已停用，不能修改")
            library, _ = self._load_library()
            if row["profile_key"] not in library:
                raise PolicyError(f"{where} 无法载入，不能修改："
                                  + "；".join(self.policy_problems))
            profile = library.get(row["profile_key"])
            versions = edit(list(profile.versions), where)
            # Policy review: rules that contradict one another (with what is inherited) on
            # any date are refused here, named, before anything is saved and synced.
            policy_local.check_versions(profile, versions, where)
            text = policy_local.to_toml(policy_local.head_of(profile), versions)
            self._check_loads(row["profile_key"], text)
            store.update("local_profiles", row["id"], {"toml": text, "updated_by": store.user})
        self._library = None

    def _check_loads(self, profile_id: str, text: str,
                     extra_row: tuple[str, str] | None = None) -> None:
        """Refuse to save a profile text the library would not load (or that breaks a copy
        of it): a bad value must never reach the register."""
        if extra_row is not None:
            key, name = extra_row
            library, _ = self._load_library()
            library.add_toml(text, f"本地方案 {name}（{key}）")
            return
        _, problems = self._load_library(replace={profile_id: text})
        mine = [p for p in problems if p not in self.policy_problems]
        if mine:
            raise PolicyError("；".join(mine))

    # ------------------------------------------------------------------ places, people
    def add_place(self, kind: str, name: str, parent_id: str | None = None, code: str = "") -> str:
        if kind not in codes.PLACE_KINDS:
            raise ValidationFailed({"kind": f"未知的地点类型 {kind}"})
        if not name.strip():
            raise ValidationFailed({"name": "地名不能为空"})
        with self._write() as store:
            return store.insert("places", {"kind": kind, "name": name.strip(),
                                           "parent_id": parent_id, "code": code})

    def places(self, kind: str | None = None) -> list[Place]:
        return [Place.from_row(r) for r in queries.places(self.store, kind)]

    def place(self, place_id: str) -> Place:
        return Place.from_row(self._get("places", place_id))

    def add_household(self, village_id: str, household_no: str = "", *, group_name: str = "",
                      address: str = "", phone: str = "", poverty_category: str = "") -> str:
        problems = {}
        if household_no and queries.household_by_no(self.store, household_no):
            problems["household_no"] = f"户编号 {household_no} 已存在"
        if (problem := validate.phone_problem(phone)) is not None:
            problems["phone"] = problem
        if problems:
            raise ValidationFailed(problems)
        with self._write() as store:
            return store.insert("households", {
                "household_no": household_no, "village_id": village_id,
                "group_name": group_name, "address": address,
                "phone": validate.clean_phone(phone), "poverty_category": poverty_category})

    def household(self, household_id: str) -> Household:
        return Household.from_row(self._get("households", household_id))

    def members(self, household_id: str) -> list[Resident]:
        return [Resident.from_row(r) for r in queries.household_members(self.store, household_id)]

    def check_resident(self, values: Mapping[str, Any], *, resident_id: str | None = None
                       ) -> tuple[dict[str, Any], list[str]]:
        """Validate and normalise resident fields (for forms to call as the user types).

        Returns (clean values, warnings); raises ValidationFailed or DuplicateResident.
        """
        clean = dict(values)
        problems: dict[str, str] = {}
        warnings: list[str] = []
        if "name" in clean:
            clean["name"] = validate.clean_name(clean["name"])
            if (problem := validate.name_problem(clean["name"])) is not None:
                problems["name"] = problem
        if "phone" in clean:
            if (problem := validate.phone_problem(clean["phone"])) is not None:
                problems["phone"] = problem
            clean["phone"] = validate.clean_phone(clean["phone"])
        if clean.get("id_number"):
            try:
                parsed = ids.parse(clean["id_number"], today=self.today())
            except ids.IdNumberError as exc:
                problems["id_number"] = str(exc)
            else:
                clean["id_number"] = parsed.number
                warnings += parsed.warnings
                given_sex = clean.get("sex")
                if given_sex and given_sex != parsed.sex:
                    warnings.append(f"填写的性别“{given_sex}”与身份证号（{parsed.sex}）不符，"
                                    "已按身份证号记录")
                clean["sex"] = parsed.sex
                clean["birth_date"] = parsed.birth_date.isoformat()
                existing = queries.resident_by_id_number(self.store, parsed.number)
                if existing and existing["id"] != resident_id:
                    raise DuplicateResident(existing["id"], existing["name"], parsed.number)
        else:
            if "id_number" in clean:
                clean["id_number"] = None
            if clean.get("birth_date"):
                raw = clean["birth_date"]
                try:
                    birth = raw if isinstance(raw, dt.date) else validate.parse_date(str(raw))
                except ValueError as exc:
                    problems["birth_date"] = f"出生{exc}"
                else:
                    assert birth is not None
                    if not dt.date(1880, 1, 1) <= birth <= self.today():
                        problems["birth_date"] = f"出生日期 {birth} 不合理"
                    clean["birth_date"] = birth.isoformat()
        if clean.get("sex") not in (None, "", *codes.SEXES):
            problems["sex"] = "性别只能是男或女"
        if clean.get("status") not in (None, "active", *END_STATUSES):
            problems["status"] = f"未知的状态 {clean['status']}"
        if problems:
            raise ValidationFailed(problems)
        return clean, warnings

    def add_resident(self, household_id: str | None, relation: str = "",
                     **values: Any) -> SavedResident:
        unknown = set(values) - set(RESIDENT_FIELDS) - {"status"}
        if unknown:
            raise ValueError(f"unknown resident fields {unknown}")
        values.setdefault("name", "")
        clean, warnings = self.check_resident(values)
        clean["relation"] = relation
        clean["household_id"] = household_id
        self._add_pinyin(clean)
        with self._write() as store:
            if household_id:
                self._live("households", household_id)
            resident_id = store.insert("residents", clean)
            self._index(store, resident_id, clean)
            if household_id and relation == "户主":
                old = store.get("households", household_id)["head_id"]
                if old:
                    store.update("residents", old, {"relation": "其他"})
                    warnings.append("原户主已改为“其他”，请核对其他成员与新户主的关系")
                store.update("households", household_id, {"head_id": resident_id})
        return SavedResident(resident_id, warnings)

    def update_resident(self, resident_id: str, **changes: Any) -> SavedResident:
        unknown = set(changes) - set(RESIDENT_FIELDS)
        if unknown:
            raise ValueError(f"unknown resident fields {unknown}")
        self._live("residents", resident_id)
        clean, warnings = self.check_resident(changes, resident_id=resident_id)
        if "name" in clean:
            self._add_pinyin(clean)
        with self._write() as store:
            current = self._live("residents", resident_id)
            diff = store.update("residents", resident_id, clean)
            if diff.keys() & {"name", "id_number", "phone"}:
                merged = {**current, **clean}
                self._index(store, resident_id, merged)
        return SavedResident(resident_id, warnings)

    @staticmethod
    def _add_pinyin(values: dict[str, Any]) -> None:
        keys = pinyin.name_keys(values.get("name", ""))
        values["name_pinyin"] = keys.joined_full()
        values["name_initials"] = keys.joined_initials()

    @staticmethod
    def _index(store: Store, resident_id: str, values: Mapping[str, Any]) -> None:
        queries.replace_search_keys(store, {resident_id: queries.search_key_rows(
            resident_id, values.get("name", ""), values.get("id_number"),
            values.get("phone", "") or "")})

    def resident(self, resident_id: str) -> Resident:
        return Resident.from_row(self._get("residents", resident_id))

    def set_head(self, household_id: str, resident_id: str) -> None:
        with self._write() as store:
            member = self._live("residents", resident_id)
            if member["household_id"] != household_id:
                raise ValidationFailed({"head_id": f"{member['name']} 不是本户成员"})
            if member["status"] != "active":
                state = codes.label(codes.RESIDENT_STATUS, member["status"])
                raise ValidationFailed({"head_id": f"{member['name']} 已{state}，不能设为户主"})
            old = self._live("households", household_id)["head_id"]
            if old and old != resident_id:
                store.update("residents", old, {"relation": "其他"})
            store.update("residents", resident_id, {"relation": "户主"})
            store.update("households", household_id, {"head_id": resident_id})

    def end_residence(self, resident_id: str, status: str, on: dt.date,
                      reason: str = "") -> list[str]:
        """Mark a resident moved away or deceased; the record and history stay.

        Returns warnings (e.g. the household needs a new head).
        """
        if status not in END_STATUSES:
            raise ValidationFailed({"status": f"未知的状态 {status}"})
        if on > self.today():
            raise ValidationFailed({"status_date": "日期不能晚于今天"})
        warnings = []
        with self._write() as store:
            person = self._live("residents", resident_id)
            store.update("residents", resident_id, {"status": status, "status_date": on,
                                                    "status_reason": reason})
            # Contracts: 死亡/迁出 ends the contract in force with that reason and date (in this
            # same transaction); restore_residence does not revive it — sign again if needed.
            if self._end_contracts_on_leaving(store, resident_id, status, on, reason):
                warnings.append("此人的家庭医生签约已随之解约")
            household = person["household_id"]
            if household and store.get("households", household)["head_id"] == resident_id:
                warnings.append("此人是户主，请为这一户重新指定户主")
        return warnings

    def restore_residence(self, resident_id: str, reason: str) -> None:
        """Undo a mistaken 迁出/死亡: back on the register, the correction in the history."""
        if not reason.strip():
            raise ValidationFailed({"status_reason": "请写明恢复的原因"})
        with self._write() as store:
            self._live("residents", resident_id)
            store.update("residents", resident_id, {"status": "active", "status_date": None,
                                                    "status_reason": f"恢复：{reason.strip()}"})

    def move_resident(self, resident_id: str, household_id: str, relation: str) -> list[str]:
        """Move a member to another household; returns warnings (e.g. the old one lost its head)."""
        person = self._live("residents", resident_id)
        self._live("households", household_id)
        if person["status"] != "active":
            raise ValidationFailed({"resident_id": f"{person['name']} 已不在册，不能迁入"})
        if relation and relation not in codes.RELATIONS:
            raise ValidationFailed({"relation": f"未知的关系 {relation}"})
        if person["household_id"] == household_id:
            raise ValidationFailed({"household_id": f"{person['name']} 已在这一户"})
        if not relation:
            raise ValidationFailed({"relation": "请选择与新户主的关系"})
        warnings = []
        with self._write() as store:
            old = person["household_id"]
            if old and store.get("households", old)["head_id"] == resident_id:
                store.update("households", old, {"head_id": None})
                warnings.append("原来的户已没有户主，请为原户重新指定户主")
            store.update("residents", resident_id, {"household_id": household_id,
                                                    "relation": relation})
            if relation == "户主":
                target = store.get("households", household_id)
                if target["head_id"]:
                    store.update("residents", target["head_id"], {"relation": "其他"})
                store.update("households", household_id, {"head_id": resident_id})
        return warnings

    def add_condition(self, resident_id: str, code: str, diagnosed_on: dt.date | None = None,
                      name: str = "") -> str:
        self._live("residents", resident_id)
        if not code:
            raise ValidationFailed({"code": "病种不能为空"})
        if code not in codes.CONDITIONS and not name:
            raise ValidationFailed({"code": f"未知的病种代码 {code}：其他病种请写明名称"})
        with self._write() as store:
            return store.insert("conditions", {
                "resident_id": resident_id, "code": code,
                "name": name or codes.label(codes.CONDITIONS, code),
                "diagnosed_on": diagnosed_on})

    def conditions(self, resident_id: str) -> list[Condition]:
        return [Condition.from_row(r) for r in queries.conditions_of(self.store, resident_id)]

    # ------------------------------------------------------------------ 家庭医生签约 (contracts)
    # Issue 5, contracts part. Teams and doctors; signing one resident or a whole household in
    # one transaction; renewing; ending (解约); expiring and expired lists; 履约 (fulfilment)
    # computed from the recorded services (domain/fulfilment.py). SQL lives in
    # storage/contract_queries.py. The term and the package come from the policy profile on
    # the start date, and the package is copied into the contract as signed: a later profile
    # change does not rewrite what was promised on paper.
    def add_team(self, name: str, phone: str = "", place_id: str | None = None, *,
                 leader_id: str | None = None) -> str:
        clean = self._check_team({"name": name, "phone": phone, "place_id": place_id,
                                  "leader_id": leader_id})
        with self._write() as store:
            return store.insert("teams", clean)

    def update_team(self, team_id: str, **changes: Any) -> None:
        unknown = set(changes) - {"name", "phone", "place_id", "leader_id"}
        if unknown:
            raise ValueError(f"unknown team fields {unknown}")
        clean = self._check_team(changes)
        with self._write() as store:
            self._live("teams", team_id)
            store.update("teams", team_id, clean)

    def set_team_active(self, team_id: str, active: bool) -> None:
        """停用 / 启用 a team: a stopped team is not offered for new contracts; its old
        contracts and doctors stay as they are."""
        with self._write() as store:
            self._live("teams", team_id)
            store.update("teams", team_id, {"active": int(active)})

    def team(self, team_id: str) -> Team:
        return Team.from_row(self._get("teams", team_id))

    def team_list(self, *, include_inactive: bool = True) -> list[dict[str, Any]]:
        return contract_sql.teams(self.store, include_inactive=include_inactive)

    def _check_team(self, values: Mapping[str, Any]) -> dict[str, Any]:
        clean = dict(values)
        problems = {}
        if "name" in clean:
            clean["name"] = " ".join(str(clean["name"] or "").split())
            if not clean["name"]:
                problems["name"] = "团队名称不能为空"
        if "phone" in clean:
            if (problem := validate.phone_problem(clean["phone"])) is not None:
                problems["phone"] = problem
            clean["phone"] = validate.clean_phone(clean["phone"])
        if clean.get("place_id"):
            self._live("places", clean["place_id"])
        if clean.get("leader_id"):
            self._live("doctors", clean["leader_id"])
        if problems:
            raise ValidationFailed(problems)
        return clean

    def add_doctor(self, name: str, *, role: str = "village_doctor", phone: str = "",
                   team_id: str | None = None, place_id: str | None = None) -> str:
        clean = self._check_doctor({"name": name, "role": role, "phone": phone,
                                    "team_id": team_id, "place_id": place_id})
        with self._write() as store:
            return store.insert("doctors", clean)

    def update_doctor(self, doctor_id: str, **changes: Any) -> None:
        unknown = set(changes) - {"name", "role", "phone", "team_id", "place_id"}
        if unknown:
            raise ValueError(f"unknown doctor fields {unknown}")
        clean = self._check_doctor(changes)
        with self._write() as store:
            self._live("doctors", doctor_id)
            store.update("doctors", doctor_id, clean)

    def set_doctor_active(self, doctor_id: str, active: bool) -> list[str]:
        """停用 / 启用 a doctor (left, retired). Returns warnings: contracts still in force
        stay with the doctor until renewed with someone else."""
        with self._write() as store:
            self._live("doctors", doctor_id)
            store.update("doctors", doctor_id, {"active": int(active)})
        held = next((d["contracts"] for d in contract_sql.doctors(self.store, self.today())
                     if d["id"] == doctor_id), 0)
        if not active and held:
            return [f"该医生仍有 {held} 份在约签约，续约时请改签其他医生"]
        return []

    def doctor(self, doctor_id: str) -> Doctor:
        return Doctor.from_row(self._get("doctors", doctor_id))

    def doctor_list(self, *, include_inactive: bool = True,
                team_id: str | None = None) -> list[dict[str, Any]]:
        """Doctors with team, place and the number of contracts they hold today."""
        return contract_sql.doctors(self.store, self.today(),
                                        include_inactive=include_inactive, team_id=team_id)

    def _check_doctor(self, values: Mapping[str, Any]) -> dict[str, Any]:
        clean = dict(values)
        problems = {}
        if "name" in clean:
            clean["name"] = validate.clean_name(clean["name"])
            if not clean["name"]:
                problems["name"] = "医生姓名不能为空"
        if "role" in clean and clean["role"] not in codes.DOCTOR_ROLES:
            problems["role"] = f"未知的医生类别 {clean['role']}"
        if "phone" in clean:
            if (problem := validate.phone_problem(clean["phone"])) is not None:
                problems["phone"] = problem
            clean["phone"] = validate.clean_phone(clean["phone"])
        if clean.get("team_id"):
            self._live("teams", clean["team_id"])
        if clean.get("place_id"):
            self._live("places", clean["place_id"])
        if problems:
            raise ValidationFailed(problems)
        return clean

    def contract_end_on(self, start_on: dt.date) -> dt.date:
        """The last day of a contract starting on start_on (the profile's term)."""
        months = self.profile.value("contract.term_months", start_on)
        return add_months(start_on, months) - dt.timedelta(days=1)

    def default_package(self, resident_id: str, on: dt.date | None = None) -> str:
        """The package to offer: chronic patients get the profile's package coded "chronic"
        (when it has one), everyone else its first package."""
        on = on or self.today()
        packages = self.profile.packages(on)
        chronic = set(self.profile.value("diseases.chronic", on, ()) or ()) | set(
            codes.CHRONIC_CONDITIONS)
        patient = any(c.code in chronic and c.status == "active"
                      for c in self.conditions(resident_id))
        if patient and any(p.code == "chronic" for p in packages):
            return "chronic"
        return packages[0].code if packages else ""

    def contract_defaults(self, resident_id: str) -> dict[str, Any]:
        """Team and doctor to offer: the resident's last contract, else the household's."""
        person = self.resident(resident_id)
        mine = self.contracts(resident_id)
        candidates = list(reversed(mine))
        if not candidates and person.household_id:
            for member in self.members(person.household_id):
                candidates += self.contracts(member.id)
            candidates.sort(key=lambda c: c.start_on or dt.date.min, reverse=True)
        live = {d["id"] for d in self.doctor_list(include_inactive=False)}
        for contract in candidates:
            if contract.doctor_id in live:
                return {"team_id": contract.team_id, "doctor_id": contract.doctor_id}
        return {"team_id": None, "doctor_id": None}

    def _package_services(self, package_code: str, start_on: dt.date) -> list[dict[str, Any]]:
        package = self.profile.package(package_code, start_on)
        if package is None:
            known = "、".join(f"{p.name}（{p.code}）" for p in self.profile.packages(start_on))
            raise ValidationFailed({"package_code": f"服务包 {package_code} 不在当前政策配置中"
                                                    f"（可选：{known}）"})
        return [{"code": s.code, "name": s.name, "times": s.times} for s in package.services]

    def _check_assignment(self, team_id: str | None, doctor_id: str | None
                          ) -> tuple[str | None, str | None]:
        """A live, active team and doctor that belong together; the doctor's team fills in a
        missing team."""
        if doctor_id:
            doctor = self._live("doctors", doctor_id)
            if not doctor["active"]:
                raise ValidationFailed({"doctor_id": f"医生 {doctor['name']} 已停用，"
                                                     "请选择其他医生"})
            if team_id and doctor["team_id"] and doctor["team_id"] != team_id:
                team = self._live("teams", team_id)
                raise ValidationFailed({"doctor_id": f"医生 {doctor['name']} 不在"
                                                     f"“{team['name']}”中"})
            team_id = team_id or doctor["team_id"]
        if team_id:
            team = self._live("teams", team_id)
            if not team["active"]:
                raise ValidationFailed({"team_id": f"团队“{team['name']}”已停用，请选择其他团队"})
        return team_id, doctor_id

    def _signing_problem(self, person: Mapping[str, Any], start_on: dt.date, end_on: dt.date,
                         exclude_id: str | None = None) -> str | None:
        """Why this person cannot take a contract for start_on..end_on, or None."""
        if person["deleted"]:
            return f"{person['name']} 的档案已删除"
        if person["status"] != "active":
            state = codes.label(codes.RESIDENT_STATUS, person["status"])
            return f"{person['name']} 已{state}，不能签约"
        for other in contract_sql.overlapping(self.store, person["id"], start_on, end_on,
                                                  exclude_id):
            return (f"{person['name']} 已有签约（{other['start_on']} 至 {other['end_on']}），"
                    "与新签约的期限重叠；请到期后续约，或先解约")
        return None

    def _check_agreement_no(self, agreement_no: str, people: list[Mapping[str, Any]]) -> None:
        """A paper agreement number belongs to one household (or one person without one)."""
        if not agreement_no:
            return
        mine = {p["household_id"] or p["id"] for p in people}
        for holder in contract_sql.agreement_holders(self.store, agreement_no):
            if (holder["household_id"] or holder["resident_id"]) not in mine:
                raise ValidationFailed({"agreement_no": f"协议书编号 {agreement_no} 已用于 "
                                                        f"{holder['name']} 的签约，请核对纸质协议"})

    def signing_problem(self, resident_id: str, start_on: dt.date,
                        exclude_id: str | None = None) -> str | None:
        """Why this resident cannot be signed from start_on (for forms, as they type)."""
        return self._signing_problem(self._get("residents", resident_id), start_on,
                                     self.contract_end_on(start_on), exclude_id)

    def agreement_problem(self, agreement_no: str, resident_ids: list[str]) -> str | None:
        """Why a paper agreement number cannot be used for these residents, or None."""
        try:
            self._check_agreement_no(agreement_no.strip(),
                                     [self._get("residents", rid) for rid in resident_ids])
        except ValidationFailed as exc:
            return str(exc)
        return None

    def sign_contract(self, resident_id: str, *, team_id: str | None, doctor_id: str | None,
                      package_code: str, start_on: dt.date, agreement_no: str = "",
                      renewed_from_id: str | None = None) -> str:
        """Sign one resident; refused for people off the register and overlapping terms."""
        return self._sign([resident_id], {resident_id: package_code}, team_id=team_id,
                          doctor_id=doctor_id, start_on=start_on, agreement_no=agreement_no,
                          renewed_from_id=renewed_from_id)[0]

    def signing_candidates(self, household_id: str,
                           start_on: dt.date | None = None) -> list[dict[str, Any]]:
        """Every member of a household with whether they can sign from start_on, why not,
        and the package to offer them (全户签约)."""
        start_on = start_on or self.today()
        end_on = self.contract_end_on(start_on)
        out = []
        for member in queries.household_members(self.store, household_id):
            problem = self._signing_problem(member, start_on, end_on)
            out.append({"id": member["id"], "name": member["name"],
                        "relation": member["relation"], "sex": member["sex"],
                        "status": member["status"], "eligible": problem is None,
                        "reason": problem or "",
                        "package_code": self.default_package(member["id"], start_on)})
        return out

    def sign_household(self, household_id: str, packages: Mapping[str, str], *,
                       team_id: str | None, doctor_id: str | None, start_on: dt.date,
                       agreement_no: str = "") -> list[str]:
        """全户签约: sign the chosen members ({resident id: package code}) in one transaction,
        all or none; one paper agreement for the household. Returns the contract ids."""
        self._live("households", household_id)
        if not packages:
            raise ValidationFailed({"residents": "请至少选择一位成员"})
        for resident_id in packages:
            if self._get("residents", resident_id)["household_id"] != household_id:
                raise ValidationFailed({"residents": "所选的人不是本户成员"})
        return self._sign(list(packages), packages, team_id=team_id, doctor_id=doctor_id,
                          start_on=start_on, agreement_no=agreement_no)

    def _sign(self, resident_ids: list[str], packages: Mapping[str, str], *,
              team_id: str | None, doctor_id: str | None, start_on: dt.date,
              agreement_no: str = "", renewed_from_id: str | None = None) -> list[str]:
        agreement_no = agreement_no.strip()
        end_on = self.contract_end_on(start_on)
        services = {code: self._package_services(code, start_on)
                    for code in set(packages.values())}
        team_id, doctor_id = self._check_assignment(team_id, doctor_id)
        signed_on = self.today() if start_on >= self.today() else start_on
        with self._write() as store:
            # Checked inside the transaction: nobody can sign the same person in between.
            people = [self._get("residents", rid) for rid in resident_ids]
            problems = [p for p in (self._signing_problem(person, start_on, end_on)
                                    for person in people) if p]
            if problems:
                raise ValidationFailed({"residents": "；".join(problems)})
            self._check_agreement_no(agreement_no, people)
            return store.insert_many("contracts", [{
                "resident_id": rid, "team_id": team_id, "doctor_id": doctor_id,
                "profile_id": self.profile.id, "package_code": packages[rid],
                "services": services[packages[rid]], "signed_on": signed_on,
                "start_on": start_on, "end_on": end_on, "agreement_no": agreement_no,
                "renewed_from_id": renewed_from_id} for rid in resident_ids])

    def renew_contract(self, contract_id: str, *, team_id: str | None = None,
                       doctor_id: str | None = None, package_code: str | None = None,
                       agreement_no: str = "") -> str:
        """续约: a new contract from the day after the old one ends (from today when it has
        already lapsed: a contract is never signed in the past), linked to it. Team, doctor
        and package default to the old contract's."""
        old = Contract.from_row(self._live("contracts", contract_id))
        assert old.end_on is not None
        if old.ended_on is not None:
            raise ValidationFailed({"contract": f"这份签约已于 {old.ended_on} 解约，不能续约；"
                                                "如需继续服务请重新签约"})
        if (renewal := contract_sql.renewal_of(self.store, contract_id)) is not None:
            raise ValidationFailed({"contract": f"这份签约已续约（{renewal['start_on']} 起）"})
        start_on = self.renewal_start(old)
        code = package_code or old.package_code
        if self.profile.package(code, start_on) is None and package_code is None:
            raise ValidationFailed({"package_code": f"原服务包 {code} 已不在当前政策配置中，"
                                                    "请选择新的服务包"})
        if team_id is None and doctor_id is None:
            team_id, doctor_id = old.team_id, old.doctor_id
        return self.sign_contract(old.resident_id, team_id=team_id, doctor_id=doctor_id,
                                  package_code=code, start_on=start_on,
                                  agreement_no=agreement_no, renewed_from_id=contract_id)

    def renewal_start(self, old: Contract) -> dt.date:
        """The day a renewal of `old` starts: the day after it ends, or today if it lapsed."""
        assert old.end_on is not None
        return max(old.end_on + dt.timedelta(days=1), self.today())

    def end_contract(self, contract_id: str, reason: str, on: dt.date, note: str = "") -> None:
        """解约 (death, moved, refused, other) from a date; a renewal signed in advance is
        cancelled with it. The contract and what was delivered stay on record."""
        problems = {}
        if reason not in codes.CONTRACT_END_REASONS:
            problems["reason"] = f"未知的解约原因 {reason}"
        elif reason == "other" and not note.strip():
            problems["note"] = "解约原因为“其他”时请写明原因"
        if on > self.today():
            problems["ended_on"] = "解约日期不能晚于今天"
        if problems:
            raise ValidationFailed(problems)
        with self._write() as store:
            contract = self._live("contracts", contract_id)
            if contract["ended_on"]:
                raise ValidationFailed({"contract": f"这份签约已于 {contract['ended_on']} 解约"})
            if on.isoformat() > contract["end_on"]:
                raise ValidationFailed({"ended_on": f"这份签约已于 {contract['end_on']} 到期，"
                                                    "无需解约"})
            if on.isoformat() < min(contract["start_on"], contract["signed_on"]):
                raise ValidationFailed({"ended_on": f"解约日期不能早于签约日期 "
                                                    f"{contract['signed_on']}"})
            chain = [contract_id]
            while (renewal := contract_sql.renewal_of(store, chain[-1])) is not None:
                chain.append(renewal["id"])
            for row_id in chain:
                if not store.get("contracts", row_id)["ended_on"]:
                    store.update("contracts", row_id, {"ended_on": on, "end_reason": reason,
                                                       "end_note": note.strip()})

    def _end_contracts_on_leaving(self, store: Store, resident_id: str, status: str,
                                  on: dt.date, reason: str) -> int:
        """Called inside end_residence's transaction: 死亡/迁出 ends every contract in force
        on that day or signed to start later, with that reason and date. Returns how many."""
        code = {"deceased": "death", "moved": "moved"}[status]
        ended = contract_sql.open_contracts(store, resident_id, on)
        for row in ended:
            store.update("contracts", row["id"], {
                "ended_on": on, "end_reason": code,
                "end_note": f"登记{codes.RESIDENT_STATUS[status]}时自动解约"
                            + (f"：{reason}" if reason else "")})
        return len(ended)

    def contract(self, contract_id: str) -> Contract:
        return Contract.from_row(self._get("contracts", contract_id))

    def contracts(self, resident_id: str) -> list[Contract]:
        return [Contract.from_row(r)
                for r in queries.rows_of(self.store, "contracts", "resident_id", resident_id,
                                         "start_on")]

    def expiring_soon(self, as_of: dt.date | None = None, *,
                      village_id: str | None = None) -> list[dict[str, Any]]:
        """Unrenewed contracts ending within the profile's reminder window (not yet ended)."""
        as_of = as_of or self.today()
        days = self.profile.value("contract.expiring_soon_days", as_of, 30)
        rows = contract_sql.expiring(self.store, as_of, as_of + dt.timedelta(days=days),
                                         village_id=village_id)
        return self._contract_list(rows, as_of)

    def expired_contracts(self, as_of: dt.date | None = None, *,
                          village_id: str | None = None) -> list[dict[str, Any]]:
        """Unrenewed contracts whose term is over (the person is still on the register)."""
        as_of = as_of or self.today()
        return self._contract_list(
            contract_sql.expired(self.store, as_of, village_id=village_id), as_of)

    def _contract_list(self, rows: list[dict[str, Any]], as_of: dt.date
                       ) -> list[dict[str, Any]]:
        names = {p.code: p.name for p in self.profile.packages(as_of)}
        for row in rows:
            row["days_left"] = (dt.date.fromisoformat(row["end_on"]) - as_of).days
            row["package"] = names.get(row["package_code"], row["package_code"])
            birth = dt.date.fromisoformat(row["birth_date"]) if row["birth_date"] else None
            row["age"] = ids.age_on(birth, as_of) if birth else None
        return rows

    def record_service(self, resident_id: str, service_code: str, on: dt.date, *,
                       doctor_id: str | None = None, method: str = "", note: str = "") -> str:
        """Record one contracted service that has no form of its own (健康教育, 健康咨询,
        转诊, 送药 …); follow-ups and checkups are recorded on their own forms."""
        problems = {}
        if service_code not in fulfil.SERVICE_NAMES or service_code in fulfil.FROM_OWN_FORMS:
            allowed = "、".join(v for k, v in fulfil.SERVICE_NAMES.items()
                               if k not in fulfil.FROM_OWN_FORMS)
            problems["service_code"] = f"这里只能登记：{allowed}（随访和体检请填写对应的表）"
        if on > self.today():
            problems["service_on"] = "服务日期不能晚于今天"
        if problems:
            raise ValidationFailed(problems)
        with self._write() as store:
            person = self._live("residents", resident_id)
            if doctor_id:
                self._live("doctors", doctor_id)
            if person["status"] != "active" and person["status_date"] and \
                    on.isoformat() > person["status_date"]:
                state = codes.label(codes.RESIDENT_STATUS, person["status"])
                raise ValidationFailed({"service_on": f"{person['name']} 已于 "
                                                      f"{person['status_date']} {state}"})
            return store.insert("service_records", {
                "resident_id": resident_id, "service_code": service_code, "service_on": on,
                "doctor_id": doctor_id, "method": method, "note": note.strip()})

    def delete_service_record(self, record_id: str, reason: str) -> None:
        """Withdraw a service recorded by mistake (a tombstone; the history keeps it)."""
        if not reason.strip():
            raise ValidationFailed({"reason": "请写明删除的原因"})
        with self._write() as store:
            self._live("service_records", record_id)
            store.soft_delete("service_records", record_id, reason.strip())

    def service_records(self, resident_id: str) -> list[dict[str, Any]]:
        return contract_sql.service_records(self.store, resident_id)

    def fulfilment(self, contract_id: str, as_of: dt.date | None = None
                   ) -> list[fulfil.Item]:
        """履约 of one contract: each promised service with promised, done and status."""
        row = self._get("contracts", contract_id)
        return self._fulfil([row], as_of or self.today())[contract_id]

    def village_fulfilment(self, as_of: dt.date | None = None, *,
                           village_id: str | None = None,
                           progress: Progress | None = None) -> dict[str, Any]:
        """签约一人履约一人、签约一项履约一项 per village over the contracts in force on as_of:
        {"as_of", "villages": [{village, contracts, items, item_rate, …}], "total": {…}}.
        Village by village (each is one batch of queries); residents in no household are
        counted under （未归户）."""
        as_of = as_of or self.today()
        groups: list[tuple[str | None, str]] = [(v.id, v.name) for v in self.places("village")
                                                if village_id in (None, v.id)]
        if village_id is None:
            groups.append((None, "（未归户）"))
        total = fulfil.Tally()
        villages = []
        for done, (place_id, name) in enumerate(groups):
            if progress is not None:
                progress.update(done, len(groups), f"正在统计履约情况：{name}")
            rows = contract_sql.in_force(self.store, as_of, village_id=place_id)
            if not rows:
                continue
            tally = fulfil.Tally()
            for items in self._fulfil(rows, as_of).values():
                tally.add(items)
                total.add(items)
            villages.append({"village_id": place_id, "village": name, **tally.to_dict()})
        return {"as_of": as_of.isoformat(), "villages": villages, "total": total.to_dict()}

    def _fulfil(self, rows: list[dict[str, Any]], as_of: dt.date
                ) -> dict[str, list[fulfil.Item]]:
        """Fulfilment of several contract rows, from one batch of queries."""
        if not rows:
            return {}
        day = dt.date.fromisoformat
        terms = {row["id"]: fulfil.Term(day(row["start_on"]), day(row["end_on"]),
                                        day(row["ended_on"]) if row["ended_on"] else None,
                                        as_of) for row in rows}
        since = min(t.start_on for t in terms.values())
        until = max(t.counted_until for t in terms.values())
        inputs = contract_sql.fulfilment_inputs(
            self.store, [r["resident_id"] for r in rows], since, max(since, until))
        visits: dict[str, list[fulfil.Visit]] = {}
        for r in inputs["visits"]:
            visits.setdefault(r["resident_id"], []).append(fulfil.Visit(
                day(r["visit_date"]), r["form"], r["method"] or "", r["referral_to"] or ""))
        checkups: dict[str, list[dt.date]] = {}
        for r in inputs["checkups"]:
            checkups.setdefault(r["resident_id"], []).append(day(r["checkup_date"]))
        deliveries: dict[str, list[dt.date]] = {}
        for r in inputs["deliveries"]:
            deliveries.setdefault(r["resident_id"], []).append(day(r["delivered_on"]))
        records: dict[str, list[tuple[str, dt.date]]] = {}
        for r in inputs["records"]:
            records.setdefault(r["resident_id"], []).append((r["service_code"],
                                                             day(r["service_on"])))
        conditions: dict[str, list[dict[str, Any]]] = {}
        for r in inputs["conditions"]:  # fulfil.follow_up_promises picks the scheduled ones
            conditions.setdefault(r["resident_id"], []).append(r)
        out = {}
        profiles: dict[str, Profile] = {}
        parsed: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            term = terms[row["id"]]
            rid = row["resident_id"]
            if row["profile_id"] not in profiles:
                profiles[row["profile_id"]] = self._contract_profile(row["profile_id"])
            profile = profiles[row["profile_id"]]
            # Follow-ups owed per condition managed during the term (TB from its intervals).
            promises = fulfil.follow_up_promises(profile, conditions.get(rid, ()), term)
            services = row["services"]
            if isinstance(services, str):  # most contracts share one package text: parse once
                if services not in parsed:
                    parsed[services] = json.loads(services)
                services = parsed[services]
            events = fulfil.Events(visits.get(rid, ()), checkups.get(rid, ()),
                                   deliveries.get(rid, ()), records.get(rid, ()))
            out[row["id"]] = fulfil.contract_items(services, term, promises, events)
        return out

    def _contract_profile(self, profile_id: str) -> Profile:
        """The profile a contract was signed under (its promises), else the current one."""
        return self.library.get(profile_id) if profile_id in self.library else self.profile

    # ------------------------------------------------------------------ roster import
    def import_roster(self, path: Path | str, *, village: str | None = None,
                      dry_run: bool = False, progress: Progress | None = None,
                      mapping: Mapping[str, int] | None = None, header_row: int | None = None,
                      sheet: str | None = None, overwrite_local: bool | Collection[str] = False,
                      accept_conditions: bool | Collection[str] = False) -> ImportReport:
        """Import (or re-import) the poverty office's roster (扶贫办名单) in one transaction.

        Local edits win: see roster.import_roster for overwrite_local and accept_conditions.
        """
        from clinic_app import roster  # roster imports this module: keep the cycle lazy

        # Changes land in the history as made by the roster, not typed by the doctor
        # (roster.import_roster marks the change-log user; local edits are told apart by it).
        return roster.import_roster(self, path, village=village, dry_run=dry_run,
                                    progress=progress, mapping=mapping, header_row=header_row,
                                    sheet=sheet, overwrite_local=overwrite_local,
                                    accept_conditions=accept_conditions)

    # ------------------------------------------------------------------ 今日待办
    def work_list(self, as_of: dt.date | None = None, *, village_id: str | None = None,
                  doctor_id: str | None = None, due_within: int | None = None,
                  include_later: bool = False) -> list[dict[str, Any]]:
        """Follow-ups overdue or due within `due_within` days, most urgent first.

        Risk first (emergency or referral at the last visit, then uncontrolled), then the
        longest overdue. Patients referred at their last visit are listed even before their
        2-week check is due. Computed now from the visits and the profile; nothing is stored
        (clinic_app/work_list.py: SQLite picks who might be due, the rules decide).
        """
        as_of = as_of or self.today()
        profile = self.profile
        window = due_within if due_within is not None else profile.value(
            "followup.due_soon_days", as_of, 7)
        return work_list.work_items(self.store, profile, as_of, window, village_id=village_id,
                                    doctor_id=doctor_id, include_later=include_later)

    def schedule_of(self, resident_id: str, as_of: dt.date | None = None) -> list[dict[str, Any]]:
        """Every scheduled condition of one resident with its due date (for the resident page)."""
        return work_list.reference_items(self.store, self.profile, as_of or self.today(), 0,
                                         resident_ids=[resident_id], include_later=True,
                                         per_condition=True)

    def mark_contact(self, resident_id: str, outcome: str, note: str = "",
                     doctor_id: str | None = None, on: dt.date | None = None
                     ) -> work_list.ContactMark:
        """Record 已电话 / 已上门 / 联系不上 on the work list; it does not count as a visit.

        One mark per doctor, resident and day: a second one that day changes the first (the
        change log keeps what it said) instead of adding a row; the same mark again changes
        nothing. The result says which happened, so the screen can tell the doctor.
        """
        if outcome not in ("called", "visited", "unreachable"):
            raise ValidationFailed({"outcome": f"未知的联系结果 {outcome}"})
        self._live("residents", resident_id)
        day = on or self.today()
        with self._write() as store:
            same_day = work_list.q.contact_mark_on(store, resident_id, day.isoformat(),
                                                   doctor_id)
            if same_day is None:
                return work_list.ContactMark(store.insert("contact_attempts", {
                    "resident_id": resident_id, "on_date": day, "outcome": outcome,
                    "note": note, "doctor_id": doctor_id}), "added", None)
            if (same_day["outcome"], same_day["note"]) == (outcome, note):
                return work_list.ContactMark(same_day["id"], "unchanged", same_day["outcome"])
            store.update("contact_attempts", same_day["id"], {"outcome": outcome, "note": note})
            return work_list.ContactMark(same_day["id"], "updated", same_day["outcome"])

    def expiring_contracts(self, as_of: dt.date | None = None, *,
                           village_id: str | None = None) -> list[dict[str, Any]]:
        """Contracts ending within the profile's reminder window, unrenewed."""
        # Contracts: expired ones are no longer mixed in; see expired_contracts().
        return self.expiring_soon(as_of, village_id=village_id)

    # ------------------------------------------------------------------ pages and lists
    def resident_detail(self, resident_id: str, recent: int = 10) -> ResidentDetail:
        person = self.resident(resident_id)
        household = self.household(person.household_id) if person.household_id else None
        village = self.place(household.village_id) if household else None
        head_name = ""
        if household and household.head_id:
            head_name = self.resident(household.head_id).name
        contracts = self.contracts(resident_id)
        expiring = self.profile.value("contract.expiring_soon_days", default=30)
        status = contracts[-1].status(self.today(), expiring) if contracts else "none"
        follow_ups = [FollowUp.from_row(r) for r in queries.recent_rows(
            self.store, "follow_ups", resident_id, "visit_date", recent)]
        checkups = [Checkup.from_row(r) for r in queries.recent_rows(
            self.store, "checkups", resident_id, "checkup_date", recent)]
        deliveries = [Delivery.from_row(r) for r in queries.recent_rows(
            self.store, "deliveries", resident_id, "delivered_on", recent)]
        doctor_ids = {c.doctor_id for c in contracts} | {f.doctor_id for f in follow_ups} | {
            c.doctor_id for c in checkups} | {d.delivered_by for d in deliveries}
        names = {d: self.doctor(d).name for d in doctor_ids if d}
        return ResidentDetail(person, household, village, head_name,
                              self.conditions(resident_id), contracts, status, follow_ups,
                              checkups, deliveries, names)

    def follow_up_series(self, resident_id: str) -> list[dict[str, Any]]:
        """BP and glucose of every visit, oldest first, for the trend chart."""
        return queries.follow_up_series(self.store, resident_id)

    def village_roster(self, village_id: str, *, category: str | None = None,
                       condition: str | None = None, contract_status: str | None = None,
                       include_inactive: bool = False) -> list[dict[str, Any]]:
        """Residents of a village as display rows, filtered; in household order."""
        ids_ = queries.village_resident_ids(self.store, village_id, category=category,
                                            condition=condition,
                                            include_inactive=include_inactive)
        rows = self.summaries(ids_)
        if contract_status:
            rows = [r for r in rows if r["contract_status"] == contract_status]
        return rows

    def village_households(self, village_id: str) -> list[dict[str, Any]]:
        return queries.village_households(self.store, village_id)

    def export_roster(self, path: Path | str, rows: list[dict[str, Any]],
                      title: str = "居民名单") -> int:
        """Write roster rows (from search or village_roster) to .xlsx, full ID numbers,
        under a title row (红星村 花名册 导出于2026-11-23 共N人)."""
        from clinic_app.export import list_title, write_xlsx

        headers = ["户编号", "组", "姓名", "与户主关系", "性别", "年龄", "身份证号", "电话",
                   "人员类别", "慢病", "签约状态", "状态"]
        villages = {r.get("village") or "" for r in rows}
        village = villages.pop() if len(villages) == 1 else ""
        heading = list_title(village, "花名册" if village else title, self.today(), len(rows))
        return write_xlsx(path, title, headers, (
            [r["household_no"], r["group_name"], r["name"], r["relation"], r["sex"], r["age"],
             r["id_number"], r["phone"], codes.label(codes.POVERTY_CATEGORIES,
                                                     r["poverty_category"]),
             "、".join(r["conditions"]),
             codes.label(codes.CONTRACT_STATUS, r["contract_status"]),
             codes.label(codes.RESIDENT_STATUS, r["status"])] for r in rows), title=heading)

    def export_households(self, path: Path | str, rows: list[dict[str, Any]],
                          title: str = "户名单") -> int:
        """Households of a village to .xlsx under a title row (红星村 户名单 导出于… 共N户)."""
        from clinic_app.export import list_title, write_xlsx
        from clinic_app.storage import roster_queries

        headers = ["户编号", "组", "户主", "户主电话", "在册人数", "慢病人数", "地址"]
        villages = roster_queries.village_names_of_households(self.store,
                                                              [r["id"] for r in rows])
        heading = list_title(villages[0] if len(villages) == 1 else "", title, self.today(),
                             len(rows), "户")
        return write_xlsx(path, title, headers, (
            [r["household_no"], r["group_name"], r["head_name"], r["head_phone"],
             r["members"], r["patients"], r["address"]] for r in rows), title=heading)

    def summaries(self, resident_ids: list[str]) -> list[dict[str, Any]]:
        """Display rows (name, age, masked ID, village, head, conditions, contract status)."""
        expiring = self.profile.value("contract.expiring_soon_days", default=30)
        today = self.today()
        rows = queries.resident_summaries(self.store, resident_ids, today, expiring)
        for row in rows:
            birth = dt.date.fromisoformat(row["birth_date"]) if row["birth_date"] else None
            row["age"] = ids.age_on(birth, today) if birth else None
            row["masked_id"] = ids.mask(row["id_number"] or "")
        return rows

    # ------------------------------------------------------------------ search & check
    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        # Printing (issue 7): a contact card's QR code carries the record id; a USB scanner
        # types it into the search box, and it finds exactly that resident.
        scanned = print_queries.resident_by_record_id(self.store, query)
        hits = [queries.SearchHit(scanned, queries.RANK_EXACT_ID)] if scanned else \
            queries.search_ids(self.store, query, limit)
        rows = self.summaries([h.resident_id for h in hits])
        ranks = {h.resident_id: h.rank for h in hits}
        for row in rows:
            row["rank"] = ranks[row["id"]]
        return rows

    def count(self, table: str) -> int:
        """Live (not deleted) rows of a synced table."""
        return queries.table_counts(self.store, [table])[table]

    def check(self) -> CheckReport:
        return CheckReport(queries.integrity_problems(self.store),
                           queries.table_counts(self.store),
                           storage_db.applied_migrations(self.db), str(self.path))

    def history(self, table: str, row_id: str) -> list[dict[str, Any]]:
        return self.store.history(table, row_id)

    # ------------------------------------------------------------ checkups, medicine box (issue 6)
    # 健康体检 (domain/checkup.py) and 慢病小药箱 (domain/medicine.py). Values arrive as the form
    # typed them and are parsed and checked here, so the window and the command line share
    # every check. Corrections are new rows that replace the old (supersedes_id / corrects_id);
    # the old rows stay as history. Money is integer fen; the yearly free-medicine cap, its
    # diseases, the top-up share, checkups a year and the cost standard come from the profile.
    def check_checkup(self, resident_id: str, checkup_date: Any, raw: Mapping[str, Any]
                      ) -> tuple[dt.date | None, dict[str, Any], dict[str, str],
                                 list[checkup_spec.Flag]]:
        """Parse and check typed values: (date, values, {field: problem}, abnormal findings)."""
        person = self._live("residents", resident_id)
        birth = _to_date(person.get("birth_date"))
        date, values, problems = checkup_spec.parse_and_check(
            raw, today=self.today(), checkup_date=checkup_date, birth=birth)
        found = checkup_spec.flags(values, profile=self.profile, on=date or self.today(),
                                   sex=person.get("sex") or "")
        return date, values, problems, found

    def record_checkup(self, resident_id: str, checkup_date: Any, raw: Mapping[str, Any], *,
                       doctor_id: str | None = None, supersedes_id: str | None = None,
                       reason: str = "") -> checkup_spec.SavedCheckup:
        """Save a checkup (or a correction of one). Conditions ticked under 纳入慢病管理 are
        added through ``add_condition`` in the same transaction, so follow-ups get scheduled."""
        date, values, problems, found = self.check_checkup(resident_id, checkup_date, raw)
        if supersedes_id:
            old = self._live("checkups", supersedes_id)
            if old["resident_id"] != resident_id:
                problems["supersedes_id"] = "只能更正同一个人的体检记录"
            elif care_sql.checkup_superseded(self.store, supersedes_id):
                problems["supersedes_id"] = "这次体检已经被更正过，请更正最新的那一条"
            if not reason.strip():
                problems["reason"] = "更正体检记录请写明原因（如：血压录错）"
        if doctor_id:
            self._live("doctors", doctor_id)
        if problems:
            raise ValidationFailed(problems)
        assert date is not None
        enrol = list(values.get("enrol", []))
        if enrol and "纳入慢性病患者健康管理" not in values.get("guidance", []):
            values["guidance"] = ["纳入慢性病患者健康管理", *values.get("guidance", [])]
        verdict = checkup_spec.evaluation(values, found)
        sbp, dbp = checkup_spec.arm_bp(values)
        data = {k: v for k, v in values.items() if k not in checkup_spec.COLUMN_KEYS}
        data["abnormal_items"] = [f.text for f in found]
        if reason.strip():
            data["correction_reason"] = reason.strip()
        profile = self.profile
        cost = profile.value("checkup.cost_fen", date)
        row = {"resident_id": resident_id, "checkup_date": date, "doctor_id": doctor_id,
               "sbp": sbp, "dbp": dbp, "weight_kg": values.get("weight_kg"),
               "height_cm": values.get("height_cm"),
               "fasting_glucose": values.get("fasting_glucose"), "evaluation": verdict,
               "cost_fen": cost, "profile_id": profile.id,
               "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
               "supersedes_id": supersedes_id}
        with self._write() as store:
            # Checked again inside the transaction: another window, the command line or a
            # sync may have corrected it (or added the condition) since the checks above.
            if supersedes_id and care_sql.checkup_superseded(store, supersedes_id):
                raise ValidationFailed({"supersedes_id":
                                        "这次体检已经被更正过，请更正最新的那一条"})
            active = {c["code"] for c in queries.conditions_of(store, resident_id)
                      if c["status"] == "active"}
            new_codes = [code for code in enrol if code not in active]
            checkup_id = store.insert("checkups", row)
            for code in new_codes:  # nested: a savepoint inside this transaction
                self.add_condition(resident_id, code, date)
            if doctor_id:
                store.set_meta("last_doctor_id", doctor_id)
        return checkup_spec.SavedCheckup(checkup_id, found, verdict, new_codes, cost)

    def correct_checkup(self, checkup_id: str, checkup_date: Any, raw: Mapping[str, Any],
                        reason: str, doctor_id: str | None = None) -> checkup_spec.SavedCheckup:
        """A correction is a new version; the old one stays in the history."""
        old = self._live("checkups", checkup_id)
        return self.record_checkup(old["resident_id"], checkup_date, raw,
                                   doctor_id=doctor_id or old["doctor_id"],
                                   supersedes_id=checkup_id, reason=reason)

    def void_checkup(self, checkup_id: str, reason: str) -> None:
        """Withdraw a checkup recorded by mistake (wrong person, never happened) with its
        earlier versions; kept as tombstones with the reason."""
        if not reason.strip():
            raise ValidationFailed({"reason": "作废体检记录请写明原因"})
        self._live("checkups", checkup_id)
        with self._write() as store:
            # Inside the transaction: a correction saved meanwhile elsewhere would otherwise
            # survive the void (only the chain read before it would be withdrawn).
            if care_sql.checkup_superseded(store, checkup_id):
                raise ClinicError("这次体检已经被更正过，请作废最新的那一条")
            for version in care_sql.checkup_versions(store, checkup_id):
                if not version["deleted"]:
                    store.soft_delete("checkups", version["id"], reason.strip())

    def checkups(self, resident_id: str) -> list[Checkup]:
        """A resident's current checkups (corrections replace what they correct), newest first."""
        return [Checkup.from_row(r)
                for r in care_sql.current_checkups(self.store, resident_id)]

    def checkup(self, checkup_id: str) -> Checkup:
        """One checkup record (a replaced or withdrawn one too: history stays readable)."""
        return Checkup.from_row(self._get("checkups", checkup_id))

    def checkup_versions(self, checkup_id: str) -> list[Checkup]:
        return [Checkup.from_row(r)
                for r in care_sql.checkup_versions(self.store, checkup_id)]

    def checkup_values(self, checkup_id: str) -> dict[str, Any]:
        """A stored checkup as form values (for the correction form)."""
        record = Checkup.from_row(self._get("checkups", checkup_id))
        values = {k: getattr(record, k) for k in checkup_spec.COLUMN_KEYS}
        values.update(record.data)
        return {k: v for k, v in values.items()
                if k in checkup_spec.FIELD_BY_KEY and v not in (None, "", [])}

    FIRST_CHECKUP_YEAR = 2000  # as for deliveries: a year before it is a typing slip

    def checkup_year(self, year: int | None) -> int:
        """The calendar year a checkup list is asked for: None is this year; 2000 up to next
        year (to plan ahead) is accepted, anything else refused in Chinese (0 must not
        quietly mean this year, nor 99999 end in a traceback)."""
        this_year = self.today().year
        if year is None:
            return this_year
        last = this_year + 1
        if isinstance(year, bool) or not isinstance(year, int) or \
                not self.FIRST_CHECKUP_YEAR <= year <= last:
            raise ValidationFailed({"year": f"年份应在 {self.FIRST_CHECKUP_YEAR} 至 {last} 之间，"
                                            f"而不是 {year}"})
        return year

    def checkups_per_year(self, year: int | None = None) -> int:
        year = self.checkup_year(year)
        on = min(self.today(), dt.date(year, 12, 31))
        return int(self.profile.value("checkup.per_year", on, 1))

    def checkups_due(self, year: int | None = None, *, village_id: str | None = None,
                     resident_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Covered residents not yet checked (as often as the profile asks) in a calendar year."""
        year = self.checkup_year(year)
        per_year = self.checkups_per_year(year)
        rows = care_sql.checkup_status(self.store, f"{year}-01-01", f"{year}-12-31",
                                       village_id=village_id, resident_ids=resident_ids,
                                       below=per_year)
        today = self.today()
        due = []
        for row in rows:
            birth = _to_date(row["birth_date"])
            row["age"] = ids.age_on(birth, today) if birth else None
            row["missing"] = per_year - row["done"]
            row["per_year"] = per_year
            due.append(row)
        return due

    def checkup_coverage(self, year: int | None = None) -> list[dict[str, Any]]:
        """Per village: covered residents, checked as often as asked, percent against the
        profile's target, checkups done and their cost at the profile's standard."""
        year = self.checkup_year(year)
        per_year = self.checkups_per_year(year)
        on = min(self.today(), dt.date(year, 12, 31))
        target = self.profile.value("checkup.coverage_target", on)
        rows = care_sql.checkup_coverage(self.store, f"{year}-01-01", f"{year}-12-31",
                                         per_year)
        for row in rows:
            row["year"] = year
            row["due"] = row["eligible"] - row["checked"]
            row["percent"] = round(100 * row["checked"] / row["eligible"], 1) \
                if row["eligible"] else None
            row["target"] = target
        return rows

    def last_doctor_id(self) -> str | None:
        """The doctor named on the last checkup, delivery or visit saved on this computer
        (a local setting), to preselect on the next form; None once that doctor is no longer
        active, so a form never proposes someone who has left."""
        doctor_id = self.store.meta("last_doctor_id")
        if not doctor_id:
            return None
        try:
            doctor = self._live("doctors", doctor_id)
        except NotFoundError:
            return None
        return doctor_id if doctor["active"] else None

    def default_doctor_id(self, resident_id: str, on: dt.date | None = None) -> str | None:
        """The doctor to preselect on a resident's checkup, delivery or follow-up form: the
        doctor of their contract in force on `on` (still active), else the last doctor used
        on this computer — the same on every form, so none of them guesses differently."""
        on = on or self.today()
        doctor_id = followup_queries.active_contract_doctor(self.store, resident_id,
                                                            on.isoformat())
        if doctor_id:
            try:
                if self._live("doctors", doctor_id)["active"]:
                    return doctor_id
            except NotFoundError:
                pass
        return self.last_doctor_id()

    # -- medicine boxes
    def medicine_box(self, resident_id: str, as_of: dt.date | None = None) -> med.BoxView:
        """The resident's box: medicines with days left, every delivery (history included)
        and the free-medicine balance of the year."""
        as_of = as_of or self.today()
        person = self._get("residents", resident_id)
        box_row = care_sql.box_of(self.store, resident_id)
        balance = self.box_balance(resident_id, as_of)
        if box_row is None:
            return med.BoxView(resident_id, person["name"], None, [], [], balance)
        items = [med.Item.from_row(r)
                 for r in care_sql.box_items(self.store, box_row["id"])]
        rows = care_sql.box_deliveries(self.store, box_row["id"])
        current = [r for r in rows if r["current"]]
        shown = []
        for item in items:
            mine = [r for r in current if r["item_id"] == item.id]
            shown.append({"item": item,
                          "condition": codes.label(codes.CONDITIONS, item.condition_code),
                          "supply": med.supply(mine, item.units_per_day,
                                               item.units_per_pack, as_of)})
        return med.BoxView(resident_id, person["name"], med.MedicineBox.from_row(box_row),
                           shown, rows, balance)

    def open_box(self, resident_id: str, opened_on: dt.date | None = None,
                 notes: str = "") -> str:
        """Open the resident's medicine box (one per resident)."""
        person = self._live("residents", resident_id)
        if person["status"] != "active":
            raise ValidationFailed({"resident_id": f"{person['name']} 已不在册，不能建药箱"})
        opened_on = opened_on or self.today()
        if opened_on > self.today():
            raise ValidationFailed({"opened_on": "建箱日期不能晚于今天"})
        with self._write() as store:
            # One box a person: checked inside the transaction, so two writers cannot both
            # open one.
            if care_sql.box_of(store, resident_id) is not None:
                raise ValidationFailed({"resident_id": f"{person['name']} 已有慢病小药箱"})
            return store.insert("medicine_boxes", {"resident_id": resident_id,
                                                   "opened_on": opened_on, "notes": notes})

    def add_box_item(self, box_id: str, medicine_name: str, *, strength: str = "",
                     dose: str = "", condition_code: str = "",
                     units_per_day: float | None = None, pack_size: int | None = None) -> str:
        """Put a medicine on the box: name, 规格, 用法, for which condition, daily amount."""
        self._live("medicine_boxes", box_id)
        problems = {}
        if not medicine_name.strip():
            problems["medicine"] = "药品名称不能为空"
        if condition_code and condition_code not in codes.CONDITIONS:
            problems["condition_code"] = f"未知的病种代码 {condition_code}"
        if units_per_day is not None and not 0 < units_per_day <= 100:
            problems["units_per_day"] = "每日用量应在 0–100 之间（片/粒/支）"
        if pack_size is not None and not 0 < pack_size <= 1000:
            problems["pack_size"] = "每盒数量应在 1–1000 之间"
        if problems:
            raise ValidationFailed(problems)
        with self._write() as store:
            return store.insert("box_items", {
                "box_id": box_id, "medicine": medicine_name.strip(), "strength": strength.strip(),
                "dose": dose.strip(), "condition_code": condition_code,
                "units_per_day": units_per_day, "pack_size": pack_size})

    def stop_box_item(self, item_id: str, reason: str, on: dt.date | None = None) -> None:
        """Take a medicine off the box (stopped or changed); its row and deliveries stay."""
        item = self._live("box_items", item_id)
        if not item["active"]:
            raise ValidationFailed({"item_id": f"{item['medicine']} 已经停用"})
        if not reason.strip():
            raise ValidationFailed({"stop_reason": "请写明停用原因（如：医嘱换药）"})
        with self._write() as store:
            store.update("box_items", item_id, {"active": 0, "stopped_on": on or self.today(),
                                                "stop_reason": reason.strip()})

    def box_balance(self, resident_id: str, on: dt.date | None = None, *,
                    exclude_id: str | None = None) -> med.Balance:
        """The free-medicine cap of the year of `on`: set, used, left (a correction leaves
        out the row it replaces)."""
        on = on or self.today()
        rows = care_sql.current_deliveries_of(self.store, resident_id)
        refunded = {r["refund_of"]: r["refund_of_date"] for r in rows if r["refund_of"]}
        used = med.used_in_year(rows, on.year, refunded, exclude_id=exclude_id)
        return med.Balance(on.year, med.fund_rule(self.profile, on), used)

    def check_delivery(self, item_id: str, *, quantity: int, unit_price_fen: int,
                       delivered_on: dt.date | None = None, insurance_fen: int = 0,
                       free_fund_fen: int | None = None, patient_fen: int | None = None,
                       replacing: str | None = None
                       ) -> tuple[med.Split, dict[str, str], med.Balance]:
        """The split a delivery would be saved with, what is wrong with it, and the balance
        before it. Free fund left out = the rest after insurance and patient."""
        item = self._live("box_items", item_id)
        box = self._live("medicine_boxes", item["box_id"])
        on = delivered_on or self.today()
        problems: dict[str, str] = {}
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            problems["quantity"] = "数量应为正整数（退药请用“退药”）"
        if isinstance(unit_price_fen, bool) or not isinstance(unit_price_fen, int) or \
                unit_price_fen < 0:
            problems["unit_price_fen"] = "单价不能为负数"
        elif unit_price_fen > 10_000_000:
            problems["unit_price_fen"] = "单价超过 10 万元，请核对"
        if on > self.today():
            problems["delivered_on"] = f"发药日期 {on} 在今天之后"
        elif on.year < 2000:
            problems["delivered_on"] = f"发药日期 {on} 不合理"
        if not item["active"] and replacing is None:
            problems["item_id"] = f"{item['medicine']} 已停用，请先在药箱中重新添加"
        balance = self.box_balance(box["resident_id"], on, exclude_id=replacing)
        total = (quantity * unit_price_fen) if not problems else 0
        patient = patient_fen or 0
        fund = free_fund_fen if free_fund_fen is not None else total - insurance_fen - patient
        split = med.Split(insurance_fen, fund, patient)
        if problems:
            return split, problems, balance
        rule = balance.rule
        code = item["condition_code"] or ""
        label = codes.label(codes.CONDITIONS, code) if code else ""
        problems.update(med.split_problems(
            total, split, rule=rule, left_fen=balance.left_fen, eligible=rule.eligible(code),
            year=on.year, condition_label=label))
        if split.free_fund_fen > 0 and "free_fund_fen" not in problems and code:
            active = {c.code for c in self.conditions(box["resident_id"])
                      if c.status == "active"}
            if code not in active:
                problems["free_fund_fen"] = (f"没有登记{label}（管理中），不能由免费慢病用药基金"
                                             "支付；请先在档案中登记病种")
        return split, problems, balance

    def suggest_split(self, item_id: str, total_fen: int, insurance_fen: int = 0,
                      on: dt.date | None = None, *, replacing: str | None = None
                      ) -> med.Split:
        """Insurance as settled, the fund up to what is left, the patient the rest."""
        item = self._live("box_items", item_id)
        box = self._live("medicine_boxes", item["box_id"])
        balance = self.box_balance(box["resident_id"], on, exclude_id=replacing)
        code = item["condition_code"] or ""
        active = {c.code for c in self.conditions(box["resident_id"]) if c.status == "active"}
        eligible = balance.rule.eligible(code) and (not code or code in active)
        return med.suggest_split(total_fen, insurance_fen, balance.rule, balance.left_fen,
                                 eligible)

    def deliver(self, item_id: str, *, quantity: int, unit_price_fen: int,
                delivered_on: dt.date | None = None, insurance_fen: int = 0,
                free_fund_fen: int | None = None, patient_fen: int | None = None,
                receipt_no: str = "", delivered_by: str | None = None, location: str = "home",
                unit: str = "盒", notes: str = "", _corrects: str | None = None) -> str:
        """Record medicine handed over. A free-fund share beyond what is left of the year's
        cap is refused with the amounts; split it (part paid by insurance or the patient)."""
        with self._write() as store:
            # Every check runs inside the transaction (BEGIN IMMEDIATE holds the write lock):
            # checked before it, two writers (the window and the command line, a sync) could
            # each see the cap's balance with room left and together pass it.
            if _corrects:  # still there and current: not voided or corrected meanwhile
                self._current_delivery(_corrects)
            if _corrects and care_sql.current_refunds_of(store, _corrects):
                raise ClinicError("这次发药已有退药记录，不能再更正；请先更正或作废退药记录")
            split, problems, _ = self.check_delivery(
                item_id, quantity=quantity, unit_price_fen=unit_price_fen,
                delivered_on=delivered_on, insurance_fen=insurance_fen,
                free_fund_fen=free_fund_fen, patient_fen=patient_fen, replacing=_corrects)
            if location not in med.LOCATIONS:
                problems["location"] = "送药方式只能是上门送药或村卫生室取药"
            if delivered_by:
                self._live("doctors", delivered_by)
            if problems:
                raise ValidationFailed(problems)
            item = self._live("box_items", item_id)
            box = self._live("medicine_boxes", item["box_id"])
            row = {"box_id": box["id"], "resident_id": box["resident_id"], "item_id": item_id,
                   "delivered_on": delivered_on or self.today(), "medicine": item["medicine"],
                   "quantity": quantity, "unit": unit or "盒", "unit_price_fen": unit_price_fen,
                   **split.as_row(), "receipt_no": receipt_no.strip(),
                   "delivered_by": delivered_by, "location": location, "corrects_id": _corrects,
                   "notes": notes.strip(), "kind": "delivery"}
            new_id = store.insert("deliveries", row)
            if delivered_by:
                store.set_meta("last_doctor_id", delivered_by)
            return new_id

    def correct_delivery(self, delivery_id: str, *, reason: str, **changes: Any) -> str:
        """Replace a delivery (or a refund) with corrected values; the old row stays as
        history and stops counting. Changes: quantity, unit_price_fen, delivered_on,
        insurance_fen, free_fund_fen, patient_fen, receipt_no, delivered_by, location, unit,
        item_id. Changing the amount without a new split keeps insurance and patient and
        gives the rest to the fund (checked against the cap)."""
        old = self._current_delivery(delivery_id)
        if not reason.strip():
            raise ValidationFailed({"reason": "更正发药记录请写明原因（如：单价录错）"})
        allowed = {"quantity", "unit_price_fen", "delivered_on", "insurance_fen",
                   "free_fund_fen", "patient_fen", "receipt_no", "delivered_by", "location",
                   "unit", "item_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot correct {unknown}")
        note = f"更正：{reason.strip()}"
        if old["kind"] == "refund":
            original = self._live("deliveries", old["refund_of"])
            split = None
            if {"insurance_fen", "free_fund_fen", "patient_fen"} & set(changes):
                split = med.Split(changes.get("insurance_fen", 0),
                                  changes.get("free_fund_fen", 0),
                                  changes.get("patient_fen", 0))
            return self._refund(original, changes.get("quantity", -old["quantity"]),
                                changes.get("delivered_on") or _to_date(old["delivered_on"]),
                                note, split, changes.get("receipt_no", old["receipt_no"]),
                                corrects=old)
        if care_sql.current_refunds_of(self.store, delivery_id):
            raise ClinicError("这次发药已有退药记录，不能再更正；请先更正或作废退药记录")
        if "item_id" in changes:
            new_box = self._live("medicine_boxes", self._live("box_items",
                                                              changes["item_id"])["box_id"])
            if new_box["resident_id"] != old["resident_id"]:
                raise ValidationFailed({"item_id": "只能改成本人药箱里的药品"})
        amounts = {"insurance_fen", "free_fund_fen", "patient_fen"} & set(changes)
        split_given = bool(amounts)
        return self.deliver(
            changes.get("item_id", old["item_id"]),
            quantity=changes.get("quantity", old["quantity"]),
            unit_price_fen=changes.get("unit_price_fen", old["unit_price_fen"]),
            delivered_on=changes.get("delivered_on") or _to_date(old["delivered_on"]),
            insurance_fen=changes.get("insurance_fen", old["insurance_fen"]),
            free_fund_fen=changes.get("free_fund_fen") if split_given else None,
            patient_fen=changes.get("patient_fen", old["patient_fen"]),
            receipt_no=changes.get("receipt_no", old["receipt_no"]),
            delivered_by=changes.get("delivered_by", old["delivered_by"]),
            location=changes.get("location", old["location"]),
            unit=changes.get("unit", old["unit"]), notes=note, _corrects=delivery_id)

    def refund_delivery(self, delivery_id: str, quantity: int, *, on: dt.date | None = None,
                        reason: str = "", split: med.Split | None = None,
                        receipt_no: str = "") -> str:
        """Medicine returned (退药): a negative row against the delivery. Each payer gets back
        its share unless `split` gives the amounts returned to each (positive fen); the
        fund's share returns to the cap of the year the medicine was delivered in."""
        original = self._current_delivery(delivery_id)
        if original["kind"] != "delivery":
            raise ClinicError("只能对发药记录退药")
        return self._refund(original, quantity, on or self.today(), reason.strip(), split,
                            receipt_no)

    def void_delivery(self, delivery_id: str, reason: str) -> None:
        """Withdraw a delivery recorded by mistake (wrong person, never happened), with its
        earlier versions; kept as tombstones with the reason."""
        if not reason.strip():
            raise ValidationFailed({"reason": "作废发药记录请写明原因"})
        with self._write() as store:
            # Inside the transaction: a correction or refund saved meanwhile elsewhere would
            # otherwise outlive the void (still counting against the cap).
            row = self._current_delivery(delivery_id)
            if row["kind"] == "delivery" and care_sql.current_refunds_of(store, delivery_id):
                raise ClinicError("这次发药已有退药记录，请先作废退药记录")
            if row["kind"] == "refund" and (problem := self._refund_cap_problem(
                    self._get("deliveries", row["refund_of"]), row, 0, "作废这条退药")):
                raise ValidationFailed({"free_fund_fen": problem})
            chain = [row]
            while chain[-1]["corrects_id"]:
                chain.append(self._get("deliveries", chain[-1]["corrects_id"]))
            for version in chain:
                if not version["deleted"]:
                    store.soft_delete("deliveries", version["id"], reason.strip())

    def runs_out_soon(self, as_of: dt.date | None = None, *, within: int | None = None,
                      village_id: str | None = None, resident_id: str | None = None
                      ) -> list[dict[str, Any]]:
        """Medicines in use whose delivered supply already ended (any day of the last year
        or so of deliveries: nobody out of medicine drops off the list) or ends within
        `within` days; ran out first, longest without medicine on top, then soonest to run
        out. Days come from the daily amount and the packs delivered."""
        as_of = as_of or self.today()
        within = med.RUNS_OUT_SOON_DAYS if within is None else within
        # A year and a bit of deliveries: supply bought earlier has long run out.
        since = (as_of - dt.timedelta(days=400)).isoformat()
        items, rows = care_sql.supply_inputs(self.store, since, village_id=village_id,
                                             resident_id=resident_id)
        by_item: dict[str, list[tuple[str, int]]] = {}
        for item_id, day, quantity in rows:
            by_item.setdefault(item_id, []).append((day, quantity))
        out = []
        for item in items:
            pack = item["pack_size"] or med.pack_size_from(item["strength"])
            left = med.supply_of(by_item.get(item["id"], []), item["units_per_day"], pack,
                                 as_of)
            if left.days_left is None or left.days_left > within:
                continue
            birth = _to_date(item["birth_date"])
            out.append({**item, "runs_out_on": left.runs_out_on.isoformat()
                        if left.runs_out_on else None, "days_left": left.days_left,
                        "supply": left.text(), "age": ids.age_on(birth, as_of) if birth else None,
                        "condition": codes.label(codes.CONDITIONS, item["condition_code"])})
        out.sort(key=lambda r: (r["days_left"], r["village"] or "", r["name"]))
        return out

    def medicine_report(self, quarter: str, *, village_id: str | None = None
                        ) -> med.MedicineReport:
        """The quarterly reconciliation (000 §二(八)): every current delivery and refund dated
        in the quarter, totals in fen, and the day it is due."""
        try:
            year, number = med.parse_quarter(quarter)
        except med.MedicineError as exc:
            raise ValidationFailed({"quarter": str(exc)}) from None
        start, end = med.quarter_bounds(year, number)
        day = self.profile.value("report.reconcile_quarterly_day", end)
        rows = care_sql.report_rows(self.store, start.isoformat(), end.isoformat(),
                                    village_id=village_id)
        return med.MedicineReport(year, number, start, end,
                                  med.reconcile_due(year, number, day),
                                  self.profile.name, rows)

    def export_medicine_report(self, path: Path | str, quarter: str, *,
                               village_id: str | None = None) -> med.MedicineReport:
        """The reconciliation as .xlsx: one row per delivery or refund, amounts in yuan
        (exact decimals), a 合计 row per village and for the quarter."""
        from decimal import Decimal

        from clinic_app.export import write_xlsx

        report = self.medicine_report(quarter, village_id=village_id)

        def money(fen: int) -> Decimal:
            return Decimal(fen) / 100

        headers = ["村", "组", "户编号", "姓名", "身份证号", "日期", "类型", "药品", "规格",
                   "病种", "数量", "单位", "单价(元)", "金额(元)", "医保(元)", "免费药品基金(元)",
                   "个人(元)", "票据号", "送药人", "方式", "说明"]
        lines: list[list[Any]] = []
        for row in report.rows:
            note = []
            if row["kind"] == "refund":
                note.append(f"退 {row['refund_of_date']} 发药")
            if row["corrects_id"]:
                note.append("已更正")
            if row["notes"]:
                note.append(row["notes"])
            lines.append([
                row["village"] or "", row["group_name"] or "", row["household_no"] or "",
                row["name"], row["id_number"] or "", row["delivered_on"],
                med.KINDS.get(row["kind"], row["kind"]), row["medicine"],
                row["strength"] or "", codes.label(codes.CONDITIONS, row["condition_code"] or ""),
                row["quantity"], row["unit"], money(row["unit_price_fen"]),
                money(row["quantity"] * row["unit_price_fen"]), money(row["insurance_fen"]),
                money(row["free_fund_fen"]), money(row["patient_fen"]), row["receipt_no"],
                row["delivered_by_name"] or "", med.LOCATIONS.get(row["location"], ""),
                "；".join(note)])
        for group in report.by_village():
            lines.append([group["village"], "", "", f"小计（{group['residents']}人）", "", "",
                          "", f"{group['rows']}笔", "", "", "", "", "",
                          money(group["total_fen"]), money(group["insurance_fen"]),
                          money(group["free_fund_fen"]), money(group["patient_fen"]),
                          "", "", "", ""])
        totals = report.totals
        due = f"请于 {report.due_on} 前报送核对" if report.due_on else "报送期限：政策配置未规定"
        lines.append(["合计", "", "", "", "", "", "", f"{len(report.rows)}笔", "", "", "", "",
                      "", money(totals["total_fen"]), money(totals["insurance_fen"]),
                      money(totals["free_fund_fen"]), money(totals["patient_fen"]), "", "", "",
                      f"{report.label}（{report.start}至{report.end}）；{due}"])
        write_xlsx(path, f"{report.year}Q{report.quarter}慢病用药对账", headers, lines)
        return report

    def delivery(self, delivery_id: str) -> med.DeliveryRecord:
        """One delivery or refund row (a replaced or withdrawn one too)."""
        return med.DeliveryRecord.from_row(self._get("deliveries", delivery_id))

    def _current_delivery(self, delivery_id: str) -> dict[str, Any]:
        row = self._live("deliveries", delivery_id)
        if care_sql.delivery_replaced(self.store, delivery_id):
            raise ClinicError("这条发药记录已被更正，请对更正后的那一条操作")
        return row

    def _refund(self, original: Mapping[str, Any], quantity: int, on: dt.date | None,
                reason: str, split: med.Split | None, receipt_no: str,
                corrects: Mapping[str, Any] | None = None) -> str:
        """A refund row (new, or replacing `corrects`) against a current delivery."""
        on = on or self.today()
        with self._write() as store:
            # Checked inside the transaction: a refund or correction saved meanwhile by
            # another writer would otherwise let two refunds return more than was delivered.
            original = self._current_delivery(original["id"])
            if corrects and care_sql.delivery_replaced(store, corrects["id"]):
                raise ClinicError("这条退药记录刚被别人更正过，请刷新后再改")
            problems: dict[str, str] = {}
            refunds = [r for r in care_sql.current_refunds_of(store, original["id"])
                       if not corrects or r["id"] != corrects["id"]]
            back_qty = -sum(r["quantity"] for r in refunds)
            before = sum((med.Split.of(r) for r in refunds), med.Split())
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                problems["quantity"] = "退药数量应为正整数"
            elif quantity > original["quantity"] - back_qty:
                problems["quantity"] = (f"最多还能退 {original['quantity'] - back_qty}"
                                        f"{original['unit']}（发了 {original['quantity']}，"
                                        f"已退 {back_qty}）")
            if on > self.today():
                problems["delivered_on"] = f"退药日期 {on} 在今天之后"
            elif on < dt.date.fromisoformat(original["delivered_on"]):
                problems["delivered_on"] = f"退药日期早于发药日期 {original['delivered_on']}"
            if not reason:
                problems["reason"] = "请写明退药原因（如：换药、停药、药品破损）"
            if problems:
                raise ValidationFailed(problems)
            amount = quantity * original["unit_price_fen"]
            paid = med.Split.of(original)
            # A split is given as the amounts returned to each payer; the row stores negatives.
            split = med.refund_split(paid, before, amount) if split is None else -split
            bad = med.refund_problems(split, paid, before, amount)
            if corrects and (problem := self._refund_cap_problem(
                    original, corrects, split.free_fund_fen, "更正退药")):
                bad["free_fund_fen"] = problem
            if bad:
                raise ValidationFailed(bad)
            row = {"box_id": original["box_id"], "resident_id": original["resident_id"],
                   "item_id": original["item_id"], "delivered_on": on,
                   "medicine": original["medicine"], "quantity": -quantity,
                   "unit": original["unit"], "unit_price_fen": original["unit_price_fen"],
                   **split.as_row(), "receipt_no": receipt_no.strip(),
                   "delivered_by": original["delivered_by"], "location": original["location"],
                   "corrects_id": corrects["id"] if corrects else None, "notes": reason,
                   "kind": "refund", "refund_of": original["id"]}
            return store.insert("deliveries", row)

    def _refund_cap_problem(self, original: Mapping[str, Any], refund: Mapping[str, Any],
                            fund_back_fen: int, action: str) -> str | None:
        """Why changing a refund's fund share to `fund_back_fen` (negative, as stored; 0 when
        the refund is withdrawn) cannot be saved: the fund would then have paid more than the
        cap of the year the medicine was delivered in, because later deliveries used what the
        refund had given back. None when it stays within the cap (or makes nothing worse)."""
        day = dt.date.fromisoformat(original["delivered_on"])
        balance = self.box_balance(original["resident_id"], day, exclude_id=refund["id"])
        cap = balance.cap_fen
        now = balance.used_fen + int(refund["free_fund_fen"])
        after = balance.used_fen + fund_back_fen
        if cap is None or after <= cap or after <= now:
            return None
        return (f"{action}后，{day.year}年免费慢病用药基金将支付 {med.yuan_text(after)}，超过"
                f"年度限额 {med.yuan_text(cap)}（超出 {med.yuan_text(after - cap)}）：退回的额度"
                f"已被之后的发药用掉。请先更正之后的发药，把超出部分改由医保或个人支付，再{action}。")

    # ------------------------------------------------------------------ follow-up forms (issue 5)
    # The national forms (domain/followup.py) recorded, proposed by the rules, corrected with
    # history. Values come in as the form typed them (text or typed values) and are parsed and
    # checked here, so the CLI and the UI share every check.
    def follow_up_forms(self, resident_id: str) -> list[str]:
        """The forms this resident is followed up on (from active conditions)."""
        return followup.form_for([c.code for c in self.conditions(resident_id)
                                  if c.status == "active"])

    def follow_up_draft(self, resident_id: str, form: str,
                        on: dt.date | None = None) -> FollowUpDraft:
        """Defaults for a new visit: today, in the clinic, carried-over medicines and targets."""
        person = self._live("residents", resident_id)
        on = on or self.today()
        previous = self._previous_visits(resident_id, form, on, None)
        values: dict[str, Any] = {"visit_date": on, "method": "clinic"}
        if previous:
            last = previous[0]
            stored = {**{k: last[k] for k in followup.COLUMN_KEYS if k in last},
                      **json.loads(last["data"] or "{}")}
            for f in followup.fields_of(form):
                if f.carry and stored.get(f.key) not in (None, "", []):
                    values[f.key] = stored[f.key]
        if form == followup.TB:
            values["tb_phase"] = self._tb_phase(resident_id, on, previous)
            last = json.loads(previous[0]["data"] or "{}") if previous else {}
            month = followup.treatment_month(
                on, self._diagnosed(resident_id, followup.TB),
                last.get("treatment_month") if isinstance(last.get("treatment_month"), int)
                else None,
                dt.date.fromisoformat(previous[0]["visit_date"]) if previous else None)
            if month is not None:
                values["treatment_month"] = month
        return FollowUpDraft(
            resident_id, form, values, self.default_doctor_id(resident_id, on),
            dt.date.fromisoformat(previous[0]["visit_date"]) if previous else None,
            _to_date(person.get("birth_date")))

    def check_follow_up(self, resident_id: str, form: str, raw: Mapping[str, Any], *,
                        supersedes_id: str | None = None
                        ) -> tuple[dict[str, Any], dict[str, str], followup.Proposal | None]:
        """Parse and check typed values; return (values, problems, the rules' proposal)."""
        person = self._live("residents", resident_id)
        if form not in followup.FORMS:
            raise ValidationFailed({"form": f"未知的随访表：{form}"})
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for key, text in raw.items():
            spec = followup.FIELD_BY_KEY.get(key)
            if spec is None:
                problems[key] = f"随访表没有“{key}”这一项"
                continue
            try:
                values[key] = followup.parse_value(spec, text)
            except ValueError as exc:
                problems[key] = str(exc)
        birth = _to_date(person.get("birth_date"))
        values.setdefault("visit_date", None)
        for key, problem in followup.check(form, values, today=self.today(),
                                           birth=birth).items():
            problems.setdefault(key, problem)
        for key, problem in self._form_fits_conditions(
                resident_id, form, values["visit_date"], new=supersedes_id is None).items():
            problems.setdefault(key, problem)
        if problems or values["visit_date"] is None:
            return values, problems, None
        previous = self._previous_visits(resident_id, form, values["visit_date"], supersedes_id)
        last = _as_visit(previous[0]) if previous else None
        diagnosed = next((c.diagnosed_on for c in self.conditions(resident_id)
                          if c.code == followup.TB), None)
        return values, problems, followup.propose(self.profile, form, values, last, birth,
                                                  diagnosed)

    def record_follow_up(self, resident_id: str, form: str, raw: Mapping[str, Any], *,
                         supersedes_id: str | None = None, reason: str = "") -> str:
        """Save a visit (or a correction of one); the rules' proposal is stored beside the
        doctor's choice. A choice that departs from the proposal — another classification,
        or a later next date — needs a reason (R8)."""
        values, problems, proposal = self.check_follow_up(resident_id, form, raw,
                                                          supersedes_id=supersedes_id)
        if problems:
            raise ValidationFailed(problems)
        assert proposal is not None
        class_key = "stability" if form == followup.SMI else "classification"
        chosen_class = values.get(class_key) or proposal.classification
        chosen_next = values.get("next_visit_on") or proposal.next_on
        if form in (followup.TB, followup.SMI) and chosen_next != proposal.next_on:
            # The schedule (R6, R7) counts these from the visit by the spec's intervals; a
            # date typed here would be stored and then not followed.
            raise ValidationFailed({"next_visit_on": f"{followup.FORM_SHORT[form]}的下次随访"
                                    f"日期按规范间隔计算（{proposal.next_on}），不能另定"})
        departs = chosen_class != proposal.classification or chosen_next > proposal.next_on
        override = (values.get("override_reason") or "").strip()
        if departs and not override:
            what = []
            if chosen_class != proposal.classification:
                what.append(f"分类（建议：{proposal.label or '无'}）")
            if chosen_next > proposal.next_on:
                what.append(f"下次随访日期（建议：{proposal.next_on}）")
            raise ValidationFailed({"override_reason": f"未采用规则建议的{'和'.join(what)}，"
                                    "请在“未采用建议的原因”中写明原因"})
        if values.get("doctor_id"):
            self._live("doctors", values["doctor_id"])
        data = {k: v for k, v in values.items()
                if k not in followup.COLUMN_KEYS and v not in (None, "", [])}
        if form == followup.SMI:
            data["stability"] = chosen_class
        if reason:
            data["correction_reason"] = reason
        row = {k: values.get(k) for k in followup.COLUMN_KEYS}
        row.update({
            "resident_id": resident_id, "form": form, "classification": chosen_class,
            "proposed_classification": proposal.classification, "next_visit_on": chosen_next,
            "proposed_next_on": proposal.next_on, "override_reason": override if departs else "",
            "method": values.get("method") or "clinic",
            "referral_reason": values.get("referral_reason") or "",
            "referral_to": values.get("referral_to") or "",
            "data": json.dumps(data, ensure_ascii=False, default=str),
            "supersedes_id": supersedes_id})
        if supersedes_id:
            old = self._live("follow_ups", supersedes_id)
            if old["resident_id"] != resident_id:
                raise ClinicError("只能更正同一个人的随访记录")
            if not reason.strip():
                raise ValidationFailed({"reason": "更正随访记录请写明原因（如：血压录错）"})
        with self._write() as store:
            # Checked inside the transaction: another window may have corrected it meanwhile.
            if supersedes_id and followup_queries.is_superseded(store, supersedes_id):
                raise ClinicError("这条随访已经被更正过，请更正最新的那一条")
            new_id = store.insert("follow_ups", row)
            if values.get("doctor_id"):
                store.set_meta("last_doctor_id", values["doctor_id"])
            return new_id

    def _form_fits_conditions(self, resident_id: str, form: str, visit_date: dt.date | None,
                              *, new: bool) -> dict[str, str]:
        """A new visit's form must be of a condition the resident has on the register (a
        hypertension form for a diabetic-only patient is a slip), and no visit predates the
        diagnosis of every condition its form covers (1990 for a 2023 diagnosis)."""
        covers = schedule.FORM_CONDITIONS.get(form, ())
        mine = {c.code: c for c in self.conditions(resident_id) if c.code in covers}
        active = [code for code, c in mine.items() if c.status == "active"]
        if new and not active:
            names = "、".join(codes.label(codes.CONDITIONS, c) for c in covers)
            return {"form": f"此人没有登记{names}，不能录入{followup.FORM_SHORT[form]}随访；"
                            "确诊的请先在居民页添加慢病"}
        diagnosed = [c.diagnosed_on for c in mine.values() if c.diagnosed_on]
        if visit_date is not None and diagnosed and len(diagnosed) == len(mine) and \
                visit_date < min(diagnosed):
            return {"visit_date": f"随访日期 {visit_date} 早于确诊日期 {min(diagnosed)}，"
                                  "请核对（确诊日期有误请先在居民页更正）"}
        return {}

    def correct_follow_up(self, follow_up_id: str, raw: Mapping[str, Any], reason: str, *,
                          changes_only: bool = False) -> str:
        """A correction is a new version; the old one stays in the history (never edited).

        `raw` is the whole corrected visit (the form sends every field), or with
        `changes_only` just the fields that change: the rest is taken from the visit as
        stored (``follow_up_correction_values``), so a command-line correction of one
        pressure never empties the weight, medicines or symptoms.
        """
        old = self._live("follow_ups", follow_up_id)
        if changes_only:
            raw = {**self.follow_up_correction_values(follow_up_id), **raw}
        return self.record_follow_up(old["resident_id"], old["form"], raw,
                                     supersedes_id=follow_up_id, reason=reason)

    def follow_up_correction_values(self, follow_up_id: str) -> dict[str, Any]:
        """A stored visit as the start of its correction: every value, except the
        classification and next date where they were the rules' proposal. Those are
        proposed again from the corrected values; kept, the old proposal would stand as a
        choice the doctor never made (and be refused as an override without a reason)."""
        visit = self.follow_up(follow_up_id)
        values = self.follow_up_values(follow_up_id)
        if visit.classification == visit.proposed_classification:
            values.pop("classification", None)
            values.pop("stability", None)
        if visit.next_visit_on == visit.proposed_next_on:
            values.pop("next_visit_on", None)
        if "classification" not in values and "next_visit_on" not in values:
            values.pop("override_reason", None)  # nothing is overridden any more
        return values

    def void_follow_up(self, follow_up_id: str, reason: str) -> None:
        """Withdraw a visit recorded by mistake (wrong person, never happened); kept as a
        tombstone with the reason."""
        if not reason.strip():
            raise ValidationFailed({"reason": "作废随访记录请写明原因"})
        self._live("follow_ups", follow_up_id)
        with self._write() as store:
            if followup_queries.is_superseded(store, follow_up_id):
                raise ClinicError("这条随访已经被更正过，请作废最新的那一条")
            # The whole correction chain goes: otherwise the version it corrected would
            # become current again and count as a visit.
            for version in followup_queries.versions(store, follow_up_id):
                if not version["deleted"]:
                    store.soft_delete("follow_ups", version["id"], reason.strip())

    def follow_ups(self, resident_id: str) -> list[FollowUp]:
        """Every current visit (corrections replace what they correct), newest first."""
        return [FollowUp.from_row(r)
                for r in followup_queries.current_follow_ups(self.store, resident_id)]

    def follow_up(self, follow_up_id: str) -> FollowUp:
        return FollowUp.from_row(self._get("follow_ups", follow_up_id))

    def follow_up_versions(self, follow_up_id: str) -> list[FollowUp]:
        """The visit as first recorded and every correction since, oldest first."""
        return [FollowUp.from_row(r)
                for r in followup_queries.versions(self.store, follow_up_id)]

    def follow_up_values(self, follow_up_id: str) -> dict[str, Any]:
        """A stored visit as form values (for the correction form and printing)."""
        visit = self.follow_up(follow_up_id)
        values = {k: getattr(visit, k) for k in followup.COLUMN_KEYS}
        values.update(visit.data)
        values.pop("correction_reason", None)
        # Only the fields of the visit's own form, and only those filled in: what comes back
        # can be recorded again as it is (a correction starts from it).
        return {k: v for k, v in values.items() if k in followup.FIELD_BY_KEY
                and followup.FIELD_BY_KEY[k].applies_to(visit.form) and v is not None}

    def follow_up_register(self, village_id: str, as_of: dt.date | None = None
                           ) -> list[dict[str, Any]]:
        """The 随访 register of a village: every managed condition of every patient, when it
        is next due and why, and how many visit days this year against the profile's count
        (规范管理: hypertension and diabetes count face-to-face days, as 履约 does)."""
        as_of = as_of or self.today()
        profile = self.profile
        rows = work_list.reference_items(self.store, profile, as_of, 0, village_id=village_id,
                                         include_later=True, per_condition=True)
        days: dict[tuple[str, str], set[str]] = {}
        for visit in followup_queries.visit_dates(self.store, village_id,
                                                  f"{as_of.year}-01-01", as_of.isoformat()):
            for condition in schedule.FORM_CONDITIONS.get(visit["form"], ()):
                if condition in ("hypertension", "diabetes") and visit["method"] == "phone":
                    continue
                days.setdefault((visit["resident_id"], condition), set()).add(
                    visit["visit_date"])
        for row in rows:
            row["visits_this_year"] = len(days.get((row["id"], row["condition"]), ()))
            key = f"followup.per_year.{row['condition']}"  # TB, mental health: by interval
            row["per_year"] = profile.value(key, as_of) if key in POLICY_RULES else None
        return rows

    def doctors(self) -> list[dict[str, Any]]:
        """Active doctors, for choosing who made a visit."""
        return followup_queries.active_doctors(self.store)

    def _previous_visits(self, resident_id: str, form: str, on: dt.date,
                         exclude_id: str | None) -> list[dict[str, Any]]:
        rows = followup_queries.visits_before(self.store, resident_id, on.isoformat(),
                                              exclude_id)
        return [r for r in rows if followup.forms_overlap(form, r["form"])]

    def _tb_phase(self, resident_id: str, on: dt.date, previous: list[dict[str, Any]]) -> str:
        """The phase a TB visit is probably in: the last visit's, else two months from diagnosis."""
        recorded = json.loads(previous[0]["data"] or "{}").get("tb_phase") if previous else None
        return schedule.tb_phase(recorded, self._diagnosed(resident_id, followup.TB), on)

    def _diagnosed(self, resident_id: str, code: str) -> dt.date | None:
        return next((c.diagnosed_on for c in self.conditions(resident_id) if c.code == code),
                    None)

    # ------------------------------------------------------------------ printing (issue 7)
    # Cards and paper: clinic_app.printing renders PDFs from what these methods read, and
    # each print is recorded in print_log (one row per printed subject; a batch shares a
    # job_id) with a hash of the card's content, so "changed since its last print" and
    # one-click reprints work.
    def print_subjects(self, kind: str, *, village_id: str | None = None,
                       household_ids: Sequence[str] | None = None,
                       resident_ids: Sequence[str] | None = None) -> list[str]:
        """Who a batch covers, in print order (village, group, household, head first).

        kind "household": household ids (of a village, of the given households or of the
        households the given residents live in). Any other kind: active resident ids (of a
        village, of the given households, or the given residents themselves).
        """
        if kind == "household":
            if household_ids is not None:
                return list(household_ids)
            return print_queries.household_ids(self.store, village_id=village_id,
                                               resident_ids=resident_ids)
        if resident_ids is not None:
            return list(resident_ids)
        return print_queries.active_resident_ids(self.store, village_id=village_id,
                                                 household_ids=household_ids)

    def contact_card_rows(self, resident_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Identity, village and the contract in force (doctor, team, services) per resident."""
        return print_queries.contact_card_rows(self.store, resident_ids,
                                               self.today().isoformat())

    def household_card_rows(self, household_ids: Sequence[str]) -> dict[str, list[dict]]:
        """Households, their active members, members' conditions, contracts and box items."""
        members = print_queries.household_member_rows(self.store, household_ids)
        member_ids = [m["id"] for m in members]
        return {
            "households": print_queries.household_rows(self.store, household_ids),
            "members": members,
            "conditions": print_queries.active_conditions(self.store, member_ids),
            "contracts": self.contact_card_rows(member_ids),
            "box_items": print_queries.box_items(self.store, member_ids),
        }

    def print_header(self, resident_id: str) -> dict[str, Any]:
        """Name, sex, birth, ID, phone, village and household for the top of a form."""
        row = print_queries.resident_header(self.store, resident_id)
        if row is None:
            raise NotFoundError("找不到这位居民，可能已被删除，请刷新后重试")
        return row

    def print_checkups(self, resident_id: str, limit: int = 1) -> list[dict[str, Any]]:
        """The resident's latest current checkups with the doctor's name, newest first."""
        return print_queries.current_checkups(self.store, resident_id, limit)

    def monthly_report_rows(self, start: dt.date, end: dt.date) -> dict[str, list[dict]]:
        """Raw rows the 月报 is counted from (printing/report.py does the counting)."""
        first, last = start.isoformat(), end.isoformat()
        year_start = dt.date(end.year, 1, 1).isoformat()
        return {
            "villages": print_queries.villages_of(self.store),
            "residents": print_queries.report_residents(self.store, last),
            "conditions": print_queries.report_conditions(self.store, last),
            "contracts": print_queries.report_contracts(self.store, last),
            "signed": print_queries.report_signed_between(self.store, first, last),
            "visits": print_queries.report_visits(self.store, last),
            "checkups_month": print_queries.report_checkups(self.store, first, last),
            "checkups_year": print_queries.report_checkups(self.store, year_start, last),
            "deliveries": print_queries.report_deliveries(self.store, first, last),
        }

    # ---------------------------------------------------------------- 统计 page: report months
    def report_months(self) -> list[str]:
        """Months (YYYY-MM, newest first) the 统计 page offers: from the month of the first
        recorded visit, checkup, delivery or signing to this month (always offered)."""
        from clinic_app.storage import report_queries  # the 统计 page's only query

        today = self.today()
        first = report_queries.first_activity_on(self.store)
        start = dt.date.fromisoformat(first[:10]).replace(day=1) if first else today
        start = min(start, today.replace(day=1))
        months, day = [], today.replace(day=1)
        while day >= start:
            months.append(f"{day:%Y-%m}")
            day = (day - dt.timedelta(days=1)).replace(day=1)
        return months

    def last_printed(self, kind: str, subject_ids: Sequence[str]) -> dict[str, str]:
        """The content hash each subject was last printed with; never printed: absent."""
        return print_queries.latest_hashes(self.store, kind, subject_ids)

    def record_print(self, kind: str, items: Sequence[tuple[str, str]],
                     params: Mapping[str, Any] | None = None) -> str:
        """Record one print job: (subject_id, content_hash) per printed subject. Returns the
        job id (the same for every row of the job, so the job can be reprinted)."""
        if not items:
            raise ValidationFailed({"items": "没有打印任何内容，无需记录"})
        job_id = print_queries.new_job_id()
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        text = json.dumps(dict(params or {}), ensure_ascii=False, sort_keys=True, default=str)
        with self._write() as store:
            store.insert_many("print_log", [
                {"job_id": job_id, "kind": kind, "subject_id": subject,
                 "content_hash": digest, "printed_at": stamp, "user": store.user,
                 "params": text} for subject, digest in items])
        return job_id

    def print_jobs(self, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        """Recorded print jobs, newest first (job_id, kind, printed_at, user, params,
        subjects = how many were printed)."""
        rows = print_queries.print_jobs(self.store, limit, kind)
        for row in rows:
            row["params"] = json.loads(row["params"] or "{}")
        return rows

    def print_job_items(self, job_id: str) -> list[dict[str, Any]]:
        """The rows of one print job (subject_id, content_hash…), in print order."""
        rows = print_queries.print_job_rows(self.store, job_id)
        if not rows:
            raise NotFoundError("找不到这次打印记录")
        for row in rows:
            row["params"] = json.loads(row["params"] or "{}")
        return rows

    # ------------------------------------------------------------------ helpers
    def _get(self, table: str, row_id: str) -> dict[str, Any]:
        """A row to show (tombstones included: history stays readable)."""
        try:
            return self.store.get(table, row_id)
        except NotFound:
            raise NotFoundError(f"找不到这条{TABLE_LABELS.get(table, '记录')}，"
                                "可能已被删除，请刷新后重试") from None

    def _live(self, table: str, row_id: str) -> dict[str, Any]:
        """A row to change: deleted (tombstoned) rows are refused."""
        try:
            return self.store.get(table, row_id, include_deleted=False)
        except NotFound:
            raise NotFoundError(f"找不到这条{TABLE_LABELS.get(table, '记录')}，"
                                "可能已被删除，请刷新后重试") from None


TABLE_LABELS = {"residents": "居民档案", "households": "户", "places": "地点",
                "doctors": "医生", "teams": "团队", "contracts": "签约",
                # Every other synced table, so "找不到这条…" names what was not found.
                "conditions": "慢病登记", "follow_ups": "随访记录", "checkups": "体检记录",
                "medicine_boxes": "药箱", "box_items": "药箱药品", "deliveries": "发药记录",
                "contact_attempts": "联系记录", "print_log": "打印记录",
                "clinic_settings": "设置", "local_profiles": "本地政策",
                "service_records": "服务记录"}


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
