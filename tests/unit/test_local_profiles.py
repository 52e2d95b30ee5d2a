"""Local policy profiles (本地方案) and the settings that sync: copy, edit with validation,
versions by date, the change log, the synced choice, the old meta values, the m0004 upgrade."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import tomllib
from pathlib import Path

import pytest
import sqlite_utils
from factories import FIXED_TODAY, Village, open_clinic

from clinic_app.clinic import Clinic
from clinic_app.domain import policy_local
from clinic_app.domain.policy import RULES, Package, PolicyError, load_library
from clinic_app.domain.schedule import Visit, due_dates
from clinic_app.storage import db as storage_db
from clinic_app.storage.schema import MIGRATIONS
from clinic_app.storage.store import Store

D = dt.date
CITE = "本地调整：乡镇卫生院会议纪要2026-03"
NAME = "中卫市 2018（兴隆镇调整）"


@pytest.fixture
def local(clinic: Clinic) -> str:
    return clinic.copy_profile("zhongwei", NAME)


# ---------------------------------------------------------------------------- copying


def test_copy_inherits_everything_and_is_logged(clinic: Clinic, local: str) -> None:
    assert local.startswith("local_zhongwei_") and len(local) == len("local_zhongwei_") + 6
    copy, original = clinic.library.get(local), clinic.library.get("zhongwei")
    assert copy.parent is original and copy.name == NAME
    for key in RULES:
        mine, theirs = copy.rule(key), original.rule(key)
        assert (mine.value if mine else None) == (theirs.value if theirs else None), key
        assert mine is None or mine.inherited, key
    # Until a change's date the copy judges every visit as the original did.
    assert copy.versions[0].valid_from == original.versions[0].valid_from
    history = clinic.profile_history(local)
    assert [(h["op"], h["user"]) for h in history] == [("insert", "测试员")]
    info = clinic.local_profile_info(local)
    assert info is not None and info.base == "zhongwei" and info.created_by == "测试员"
    assert not info.retired


def test_copy_needs_a_new_name_and_a_known_source(clinic: Clinic, local: str) -> None:
    with pytest.raises(PolicyError, match="已有名为“中卫市 2018（兴隆镇调整）”"):
        clinic.copy_profile("national", NAME)
    with pytest.raises(PolicyError, match="已有名为“国家默认”"):
        clinic.copy_profile("national", "国家默认")
    with pytest.raises(PolicyError, match="起个名字"):
        clinic.copy_profile("national", "  ")
    with pytest.raises(PolicyError, match="没有名为 nowhere 的政策配置"):
        clinic.copy_profile("nowhere", "某地")


def test_copy_of_a_copy_loads_after_its_original(clinic: Clinic, local: str) -> None:
    clinic.set_policy_rule(local, "checkup.cost_fen", "120", CITE, D(2026, 1, 1))
    second = clinic.copy_profile(NAME, "兴隆镇 2027 方案")  # by name
    assert second.startswith("local_zhongwei_") and second != local
    clinic.set_policy_rule(second, "contract.subsidy_fen", "10元", "县卫健局通知", D(2027, 1, 1))
    reopened = Clinic.open(clinic.path, today=lambda: FIXED_TODAY)
    try:
        profile = reopened.library.get(second)
        assert profile.parent.id == local
        assert profile.value("checkup.cost_fen", D(2026, 6, 1)) == 12000
        assert profile.value("contract.subsidy_fen", D(2027, 2, 1)) == 1000
        assert reopened.policy_problems == []
    finally:
        reopened.close()


def test_bundled_profiles_cannot_be_edited(clinic: Clinic) -> None:
    with pytest.raises(PolicyError, match="zhongwei 是随软件提供的配置，不能直接修改"):
        clinic.set_policy_rule("zhongwei", "followup.per_year.hypertension", "4", CITE)


# ---------------------------------------------------------------------------- editing


@pytest.mark.parametrize(("key", "typed", "stored"), [
    ("followup.per_year.hypertension", "4", 4),
    ("followup.per_year.hypertension", "4次/年", 4),
    ("glucose.controlled_fasting", "6.5", 6.5),
    ("reimburse.inpatient_actual_percent", "85%", 85),
    ("medicine.free_cap_fen", "1000", 100000),
    ("medicine.free_cap_fen", "1,200.50元", 120050),
    ("contract.subsidy_fen", "800分", 800),
    ("medicine.box_enabled", "是", True),
    ("reimburse.no_extra_layering", "否", False),
    ("card.contact.title", "兴隆镇家庭医生签约服务联系卡", "兴隆镇家庭医生签约服务联系卡"),
    ("card.contact.policy_lines", "第一条\n\n 第二条；含分号 \n", ("第一条", "第二条；含分号")),
    ("card.contact.policy_lines", '["甲", "乙"]', ("甲", "乙")),
    ("medicine.free_cap_conditions", "高血压、2型糖尿病，tuberculosis",
     ("hypertension", "diabetes", "tuberculosis")),
])
def test_edit_valid_values_of_every_kind(clinic: Clinic, local: str, key: str, typed: str,
                                         stored: object) -> None:
    clinic.set_policy_rule(local, key, typed, CITE, D(2026, 7, 1))
    rule = clinic.library.get(local).rule(key, D(2026, 7, 1))
    assert rule is not None and not rule.inherited
    assert rule.value == stored and rule.cite == CITE
    # What the editor shows reads back to the same value.
    text = policy_local.rule_text(key, rule.value)
    assert policy_local.parse_rule_text(key, text) == rule.value


def test_packages_are_typed_one_per_line(clinic: Clinic, local: str) -> None:
    clinic.set_policy_rule(local, "contract.packages",
                           "basic 基础服务包：健康体检 1，慢病随访 4，健康咨询 0\n"
                           "chronic 慢病管理服务包: checkup 1, follow_up 4, medicine_delivery 0",
                           CITE, D(2026, 7, 1))
    packages = clinic.library.get(local).value("contract.packages", D(2026, 7, 1))
    assert [p.code for p in packages] == ["basic", "chronic"]
    assert isinstance(packages[0], Package)
    assert [(s.code, s.times) for s in packages[0].services] == [
        ("checkup", 1), ("follow_up", 4), ("consultation", 0)]
    text = policy_local.rule_text("contract.packages", packages)
    assert policy_local.parse_rule_text("contract.packages", text) == tuple(packages)


@pytest.mark.parametrize(("key", "typed", "problem"), [
    ("followup.per_year.hypertension", "abc", "应为非负整数，现在是“abc”"),
    ("followup.per_year.hypertension", "-2", "应为非负整数"),
    ("followup.per_year.hypertension", "0", "应在 1–12 次/年之间，现在是 0 次/年"),
    ("glucose.controlled_fasting", "七", "应为数字"),
    ("reimburse.inpatient_actual_percent", "120", "百分比不能超过100"),
    ("medicine.free_cap_fen", "10.005", "金额最多精确到分"),
    ("medicine.free_cap_fen", "一千", "应为金额（元）"),
    ("medicine.box_enabled", "也许", "应填“是”或“否”"),
    ("card.contact.title", "   ", "应为非空文字"),
    ("card.contact.policy_lines", "\n\n", "至少要有一条文字"),
    ("card.contact.policy_lines", '["甲", ', "JSON 列表写得不对"),
    ("medicine.free_cap_conditions", "高血压、痛风", "含未知病种代码 痛风"),
    ("contract.packages", "basic 只有名字", "第1行应写成"),
    ("contract.packages", "basic 基础包：体操 2", "含未知服务"),
])
def test_invalid_values_are_refused_naming_key_and_problem(clinic: Clinic, local: str,
                                                           key: str, typed: str,
                                                           problem: str) -> None:
    before = clinic.store.rows("SELECT toml FROM local_profiles")
    with pytest.raises(PolicyError) as caught:
        clinic.set_policy_rule(local, key, typed, CITE, D(2026, 7, 1))
    message = str(caught.value)
    assert key in message and RULES[key].label in message and problem in message
    assert NAME in message  # which profile
    assert clinic.store.rows("SELECT toml FROM local_profiles") == before  # nothing saved


def test_a_change_needs_a_citation_and_an_existing_rule(clinic: Clinic, local: str) -> None:
    with pytest.raises(PolicyError, match="要写明依据"):
        clinic.set_policy_rule(local, "followup.per_year.hypertension", "4", " ")
    with pytest.raises(PolicyError, match=r"没有名为 followup\.per_year\.gout 的政策规则"):
        clinic.set_policy_rule(local, "followup.per_year.gout", "4", CITE)


def test_versions_apply_from_their_date_only(clinic: Clinic, local: str) -> None:
    key = "followup.per_year.hypertension"
    clinic.set_policy_rule(local, key, "4", CITE, D(2026, 7, 1))
    profile = clinic.library.get(local)
    assert profile.value(key, D(2018, 9, 1)) == 6  # the original's rule, inherited
    assert profile.value(key, D(2026, 6, 30)) == 6
    assert profile.value(key, D(2026, 7, 1)) == 4
    assert profile.value(key) == 4  # the newest
    assert profile.versions[-1].note == CITE
    # Undo, add a version by hand, and refuse one that would rewrite the first.
    clinic.clear_policy_rule(local, key, D(2026, 7, 1))
    assert clinic.library.get(local).value(key, D(2026, 8, 1)) == 6
    clinic.add_policy_version(local, D(2027, 1, 1), "2027年县卫健局新规")
    assert [v.valid_from for v in clinic.library.get(local).versions][-1] == D(2027, 1, 1)
    with pytest.raises(PolicyError, match="应晚于第一个版本（2018-08-14）"):
        clinic.add_policy_version(local, D(2015, 1, 1), "太早")
    with pytest.raises(PolicyError, match="已有 2027-01-01 起生效的版本"):
        clinic.add_policy_version(local, D(2027, 1, 1), "重复")
    with pytest.raises(PolicyError, match="没有修改规则"):
        clinic.clear_policy_rule(local, key, D(2027, 1, 1))


def test_change_without_a_date_starts_today(clinic: Clinic, local: str) -> None:
    clinic.set_policy_rule(local, "checkup.cost_fen", "160", CITE)
    profile = clinic.library.get(local)
    assert profile.rule("checkup.cost_fen", FIXED_TODAY).valid_from == FIXED_TODAY
    assert profile.value("checkup.cost_fen", FIXED_TODAY - dt.timedelta(days=1)) != 16000


def test_local_copy_edited_to_four_changes_the_schedule_from_its_date_only(
        clinic: Clinic, local: str) -> None:
    """中卫 raises follow-ups to 6 a year; a township's copy edited back to 4 from
    2026-07-01 schedules 61 days apart before that date and 91 days after it."""
    clinic.set_policy_rule(local, "followup.per_year.hypertension", "4", CITE, D(2026, 7, 1))
    profiles = {"zhongwei": clinic.library.get("zhongwei"), "local": clinic.library.get(local)}
    gaps = {}
    for name, profile in profiles.items():
        day, visits = D(2026, 1, 5), []
        while day.year == 2026:
            visits.insert(0, Visit(day, "hypertension", sbp=126, dbp=78))
            (due,) = due_dates(profile, {"hypertension": D(2015, 1, 1)}, visits,
                               D(1970, 1, 1), D(2020, 1, 1))
            day = due.due_on
        dates = [v.visit_date for v in reversed(visits)]
        gaps[name] = [(a, (b - a).days) for a, b in itertools.pairwise(dates)]
    assert {gap for _, gap in gaps["zhongwei"]} == {61}
    assert len(gaps["zhongwei"]) + 1 == 6
    assert all(gap == 61 for day, gap in gaps["local"] if day < D(2026, 7, 1))
    assert all(gap == 91 for day, gap in gaps["local"] if day >= D(2026, 7, 1))
    assert {gap for _, gap in gaps["local"]} == {61, 91}
    assert len(gaps["local"]) + 1 == 5  # Jan, Mar, May, Jul (61 days), then Oct (91)


def test_the_work_list_follows_the_chosen_local_profile(clinic: Clinic, village: Village
                                                        ) -> None:
    from factories import make_household

    family = make_household(clinic, village.village_id)
    clinic.add_condition(family.head_id, "hypertension", D(2015, 1, 1))
    with clinic._write() as store:  # a controlled visit, as the follow-up form would save it
        store.insert("follow_ups", {"resident_id": family.head_id, "form": "hypertension",
                                    "visit_date": D(2026, 9, 1), "sbp": 126, "dbp": 78,
                                    "classification": "controlled"})
    clinic.set_profile("zhongwei")
    (zhongwei,) = clinic.schedule_of(family.head_id)
    assert zhongwei["due_on"] == "2026-11-01"  # 61 days
    local = clinic.copy_profile("zhongwei", NAME)
    clinic.set_policy_rule(local, "followup.per_year.hypertension", "4", CITE, D(2026, 7, 1))
    clinic.set_profile(local)
    (edited,) = clinic.schedule_of(family.head_id)
    assert edited["due_on"] == "2026-12-01"  # 91 days: the visit was after 2026-07-01


# ---------------------------------------------------------------------------- retiring


def test_retire_keeps_the_profile_loaded_but_not_choosable(clinic: Clinic, local: str) -> None:
    clinic.set_profile(local)
    with pytest.raises(PolicyError, match="正在使用，请先选用其他配置再停用"):
        clinic.retire_profile(local, "合并到县方案")
    clinic.set_profile("zhongwei")
    with pytest.raises(PolicyError, match="写明原因"):
        clinic.retire_profile(local, "")
    clinic.retire_profile(local, "合并到县方案")
    info = clinic.local_profile_info(local)
    assert info is not None and info.retired_on == FIXED_TODAY
    assert info.retired_reason == "合并到县方案"
    assert local in clinic.library  # records made under it still resolve
    assert [i.id for i in clinic.local_profiles(include_retired=False)] == []
    with pytest.raises(PolicyError, match="已停用，不能选用"):
        clinic.set_profile(local)
    with pytest.raises(PolicyError, match="已停用，不能修改"):
        clinic.set_policy_rule(local, "checkup.cost_fen", "1", CITE)
    with pytest.raises(PolicyError, match="已于 2026-11-23 停用"):
        clinic.retire_profile(local, "again")
    assert clinic.store.get("local_profiles", info.row_id)["deleted"] == 0  # soft


# ---------------------------------------------------------------------------- settings, sync


def test_choice_and_names_are_synced_rows_in_the_change_log(db_path: Path, local: str,
                                                            clinic: Clinic) -> None:
    clinic.set_setting("clinic_name", "兴隆镇卫生院")
    clinic.set_setting("township_name", "兴隆镇")
    clinic.set_profile("zhongwei")
    clinic.set_profile(local)
    clinic.set_setting("last_sync", "2026-11-20")  # this PC's own: stays in meta
    rows = {r["key"]: r for r in clinic.store.rows(
        "SELECT * FROM clinic_settings WHERE deleted = 0")}
    assert set(rows) == {"clinic_name", "township_name", "profile_id"}
    assert rows["profile_id"]["value"] == local
    assert clinic.store.meta("profile_id") is None  # nothing local-only any more
    assert clinic.store.meta("setting.last_sync") == "2026-11-20"
    log = clinic.store.history("clinic_settings", rows["profile_id"]["id"])
    assert [e["op"] for e in log] == ["insert", "update"]
    assert log[1]["fields"]["value"] == {"old": "zhongwei", "new": local}
    assert log[1]["user"] == "测试员"
    history = [(h["key"], h["old"], h["new"]) for h in clinic.settings_history()]
    assert history == [("clinic_name", None, "兴隆镇卫生院"), ("township_name", None, "兴隆镇"),
                       ("profile_id", None, "zhongwei"), ("profile_id", "zhongwei", local)]
    # A sync sends rows by change counter: the setting rows and the profile carry fresh ones.
    pending = clinic.store.rows("SELECT table_name, count(*) AS n FROM change_log WHERE "
                                "table_name IN ('clinic_settings', 'local_profiles') "
                                "GROUP BY table_name ORDER BY table_name")
    assert pending == [{"table_name": "clinic_settings", "n": 4},  # 3 inserts, 1 update
                       {"table_name": "local_profiles", "n": 1}]


def test_township_is_recorded_on_settings(clinic: Clinic, village: Village) -> None:
    clinic.set_profile("xinbin")
    row = clinic.store.rows("SELECT place_id FROM clinic_settings WHERE key = 'profile_id'")
    assert row == [{"place_id": village.township_id}]


def test_synced_choice_persists_across_reopen(db_path: Path, clinic: Clinic, local: str) -> None:
    clinic.set_profile(local)
    clinic.set_setting("clinic_name", "兴隆镇卫生院")
    clinic.close()
    again = open_clinic(db_path)
    try:
        assert again.profile.id == local
        assert again.profile.name == NAME
        assert again.setting("clinic_name") == "兴隆镇卫生院"
    finally:
        again.close()


def test_old_meta_values_are_read_until_a_synced_choice_exists(clinic: Clinic) -> None:
    """demo.generate and registers that m0004 found empty-handed write meta directly."""
    with clinic._write() as store:
        store.set_meta("profile_id", "guyang")
        store.set_meta("setting.clinic_name", "老卫生院")
    assert clinic.profile.id == "guyang"
    assert clinic.setting("clinic_name") == "老卫生院"
    clinic.set_profile("xinbin")
    clinic.set_setting("clinic_name", "新卫生院")
    assert clinic.profile.id == "xinbin"  # the synced row wins over meta from now on
    assert clinic.setting("clinic_name") == "新卫生院"


def test_another_program_editing_a_profile_is_seen(clinic: Clinic, local: str) -> None:
    assert clinic.library.get(local).value("checkup.cost_fen") != 9900
    other = Clinic.open(clinic.path, today=lambda: FIXED_TODAY)
    try:
        other.set_policy_rule(local, "checkup.cost_fen", "99", CITE, D(2026, 1, 1))
    finally:
        other.close()
    assert clinic.library.get(local).value("checkup.cost_fen") == 9900


def test_a_profile_that_cannot_load_does_not_stop_the_register(clinic: Clinic,
                                                               local: str) -> None:
    """A local profile synced from a newer version (an unknown rule) is skipped and named;
    the clinic falls back to the profile it was copied from."""
    clinic.set_profile(local)
    row = clinic.store.rows("SELECT id, toml FROM local_profiles")[0]
    newer = row["toml"] + '"followup.per_year.gout" = { value = 3, cite = "新版本" }\n'
    with clinic._write() as store:
        store.update("local_profiles", row["id"], {"toml": newer})
    assert local not in clinic.library
    assert clinic.profile.id == "zhongwei"
    (problem,) = clinic.policy_problems
    assert NAME in problem and "followup.per_year.gout" in problem and "未载入" in problem
    with pytest.raises(PolicyError, match="无法载入，不能修改"):
        clinic.set_policy_rule(local, "checkup.cost_fen", "1", CITE)


# ---------------------------------------------------------------------------- TOML


@pytest.mark.parametrize("profile_id", ["national", "zhongwei", "xinbin", "zhangshu",
                                        "guyang", "rongchang"])
def test_toml_writer_round_trips_every_bundled_profile(profile_id: str) -> None:
    library = load_library()
    profile = library.get(profile_id)
    text = policy_local.to_toml(policy_local.head_of(profile), profile.versions)
    tomllib.loads(text)
    again = load_library()
    head = {**policy_local.head_of(profile), "id": "again", "name": "again"}
    if profile.parent is None:
        head["inherits"] = "national"  # a second root is refused; inherit the original
    copy = again.add_toml(policy_local.to_toml(head, profile.versions), "again.toml")
    assert [v.valid_from for v in copy.versions] == [v.valid_from for v in profile.versions]
    for mine, theirs in zip(copy.versions, profile.versions, strict=True):
        assert dict(mine.rules) == dict(theirs.rules)
        assert mine.note == theirs.note


def test_toml_strings_keep_quotes_backslashes_and_newlines() -> None:
    library = load_library()
    tricky = '他说“好”\\路径 "引号"\n第二行\t制表'
    versions = policy_local.set_rule(
        policy_local.copy_versions(library.get("national"), FIXED_TODAY),
        "card.contact.title", tricky, 'cite "with" quotes', D(2026, 1, 1))
    head = policy_local.copy_head(library.get("national"), "local_x", "测试")
    profile = library.add_toml(policy_local.to_toml(head, versions), "x")
    assert profile.value("card.contact.title") == tricky.strip()
    assert profile.rule("card.contact.title").cite == 'cite "with" quotes'


# ---------------------------------------------------------------------------- upgrade


def _m0003_database(path: Path) -> None:
    """A register as the version before m0004 left it."""
    old = sqlite_utils.Migrations(MIGRATIONS.name)
    names = [m.name for m in MIGRATIONS._migrations]
    for migration in MIGRATIONS._migrations[:names.index("m0003_print_log") + 1]:
        old(name=migration.name)(migration.fn)
    database = storage_db.connect(path)
    storage_db.migrate(database, path, migrations=old)
    store = Store(database, user="旧版本")
    with database.atomic():
        store.insert("places", {"kind": "township", "name": "兴隆镇"})
        store.set_meta("profile_id", "xinbin")
        store.set_meta("setting.clinic_name", "新宾镇卫生院")
        store.set_meta("setting.last_sync", "2026-10-01")
    database.close()


def test_upgrade_from_m0003_moves_the_choice_into_synced_rows(db_path: Path) -> None:
    _m0003_database(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'clinic_settings'"
                        ).fetchone()[0] == 0
    township = conn.execute("SELECT id FROM places").fetchone()[0]
    conn.close()
    clinic = open_clinic(db_path)
    try:
        assert "m0004_policy_settings" in clinic.check().schema
        assert clinic.profile.id == "xinbin"
        assert clinic.setting("clinic_name") == "新宾镇卫生院"
        assert clinic.setting("last_sync") == "2026-10-01"  # stays local
        rows = clinic.store.rows("SELECT key, value, place_id, change_seq FROM clinic_settings "
                                 "ORDER BY key")
        assert [(r["key"], r["value"], r["place_id"]) for r in rows] == [
            ("clinic_name", "新宾镇卫生院", township), ("profile_id", "xinbin", township)]
        log = clinic.store.rows("SELECT user, op, change_seq FROM change_log "
                                "WHERE table_name = 'clinic_settings'")
        assert [(e["user"], e["op"]) for e in log] == [("升级（原本机设置）", "insert")] * 2
        assert {e["change_seq"] for e in log} == {r["change_seq"] for r in rows}
        assert int(clinic.store.meta("change_counter")) == max(e["change_seq"] for e in log)
        assert list((db_path.parent / "backups").glob("*before-m0004*"))
        clinic.set_profile("zhongwei")
        assert clinic.settings_history()[-1]["old"] == "xinbin"
    finally:
        clinic.close()


def test_fresh_register_has_nothing_to_move(clinic: Clinic) -> None:
    assert clinic.store.rows("SELECT * FROM clinic_settings") == []
    assert clinic.profile.id == "national"
    assert json.loads(json.dumps(clinic.settings_history())) == []


def test_cards_read_the_chosen_local_profile_through_clinic_profile(clinic: Clinic,
                                                                    local: str) -> None:
    """Printing reads card.* rules via clinic.profile: a local change reaches the cards
    from its date, and the original's lines before it."""
    lines = "本乡镇签约居民每年免费体检1次。\n家庭医生电话24小时开机。"
    clinic.set_policy_rule(local, "card.contact.policy_lines", lines, CITE, D(2026, 10, 1))
    clinic.set_profile(local)
    profile = clinic.profile
    assert profile.id == local
    assert profile.value("card.contact.policy_lines", FIXED_TODAY) == tuple(lines.split("\n"))
    original = clinic.library.get("zhongwei").value("card.contact.policy_lines", FIXED_TODAY)
    assert profile.value("card.contact.policy_lines", D(2026, 9, 30)) == original
    assert profile.value("card.household.title") == clinic.library.get("zhongwei").value(
        "card.household.title")
