"""Regression tests for problems found in review: each would have failed before its fix."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from factories import FIXED_TODAY, Village, id_number, make_household, open_clinic

from clinic_app.cli import build_parser, main
from clinic_app.clinic import Clinic
from clinic_app.domain import ids
from clinic_app.errors import ClinicError, NotFoundError, ValidationFailed


def test_new_head_demotes_the_old_one_and_check_sees_two_heads(clinic: Clinic,
                                                              village: Village) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    saved = clinic.add_resident(family.household_id, "户主", name="张新",
                                id_number=id_number(dt.date(1985, 1, 1)))
    assert clinic.household(family.household_id).head_id == saved.id
    assert clinic.resident(family.head_id).relation == "其他"
    assert any("原户主" in w for w in saved.warnings)
    assert clinic.check().ok
    with clinic.db.atomic():  # corrupt it behind the facade's back: check must notice
        clinic.store.update("residents", family.head_id, {"relation": "户主"})
    assert any("多个“户主”" in p for p in clinic.check().problems)


def test_relation_is_not_editable_behind_the_heads_back(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id)
    with pytest.raises(ValueError, match="unknown resident fields"):
        clinic.update_resident(family.head_id, relation="之子")


def test_birth_date_without_id_is_checked(clinic: Clinic, village: Village) -> None:
    household = clinic.add_household(village.village_id)
    for bad in ("2020-13-45", "2099-01-01"):
        with pytest.raises(ValidationFailed) as caught:
            clinic.add_resident(household, "之子", name="王五", birth_date=bad)
        assert "出生日期" in caught.value.fields["birth_date"]
    saved = clinic.add_resident(household, "之子", name="王五", birth_date="2020-02-29")
    assert clinic.resident(saved.id).age(FIXED_TODAY) == 6
    assert clinic.search("王五")[0]["age"] == 6


def test_deleted_records_cannot_be_changed(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    other = make_household(clinic, village.village_id, head="李四")
    with clinic.db.atomic():
        clinic.store.soft_delete("residents", family.head_id, "重复建档")
        clinic.store.soft_delete("households", other.household_id, "合并")
    with pytest.raises(NotFoundError, match="可能已被删除"):
        clinic.update_resident(family.head_id, phone="13800000000")
    third = make_household(clinic, village.village_id, head="王五")
    with pytest.raises(NotFoundError):
        clinic.move_resident(third.head_id, other.household_id, "之子")
    with pytest.raises(NotFoundError):
        clinic.add_resident(other.household_id, "之子", name="王五")
    assert clinic.search("李四")[0]["head_name"] == "李四"  # live head of a live row is shown
    assert clinic.resident_detail(other.head_id).head_name == "李四"


def test_end_residence_checks_and_can_be_undone(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, head="张三",
                            members=(("张小明", "之子", "男"),))
    with pytest.raises(NotFoundError):
        clinic.end_residence("no-such-id", "moved", FIXED_TODAY)
    with pytest.raises(ValidationFailed, match="晚于今天"):
        clinic.end_residence(family.head_id, "deceased", FIXED_TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed):
        clinic.end_residence(family.head_id, "lifted", FIXED_TODAY)  # 脱贫 is not leaving
    warnings = clinic.end_residence(family.head_id, "deceased", FIXED_TODAY, "病故")
    assert "重新指定户主" in warnings[0]
    with pytest.raises(ValidationFailed, match="不能设为户主"):
        clinic.set_head(family.household_id, family.head_id)
    clinic.restore_residence(family.head_id, "误登记死亡")
    person = clinic.resident(family.head_id)
    assert person.status == "active" and person.status_reason == "恢复：误登记死亡"
    assert [h["fields"]["status"]["new"] for h in clinic.history("residents", family.head_id)
            if h["fields"] and "status" in h["fields"]] == ["deceased", "active"]


def test_writes_wait_for_another_writer_instead_of_failing(db_path: Path,
                                                           village_db: None) -> None:
    """A second connection (a background job, the command line) holds the write lock for a
    moment; the facade's write waits for it (BEGIN IMMEDIATE + busy timeout)."""
    clinic = open_clinic(db_path)
    family = make_household(clinic, clinic.places("village")[0].id)
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    released.start()
    clinic.update_resident(family.head_id, phone="13800000000")
    released.join()
    other.close()
    assert clinic.resident(family.head_id).phone == "13800000000"
    clinic.close()


@pytest.fixture
def village_db(db_path: Path) -> None:
    with open_clinic(db_path) as clinic:
        township = clinic.add_place("township", "兴隆镇")
        clinic.add_place("village", "红星村", township)


@pytest.mark.parametrize("query", [
    "ＺＳ",  # full-width letters from an input method
    "'{id}",  # pasted from Excel with its text marker
    "{id15}",  # the first-generation 15-digit form of the same number
    "0951-1234567",  # a landline as people write it
    "１３９１２３４５６７８",  # full-width digits
])
def test_search_normalises_what_people_type(clinic: Clinic, village: Village,
                                            query: str) -> None:
    household = clinic.add_household(village.village_id)
    number = ids.make("110105", dt.date(1949, 12, 31), 2, "女")
    clinic.add_resident(household, "户主", name="张三", id_number=number, phone="13912345678")
    clinic.add_resident(household, "配偶", name="李四", phone="0951-1234567")
    text = query.format(id=number, id15=number[:6] + number[8:17])
    names = [r["name"] for r in clinic.search(text)]
    assert names and names[0] in ("张三", "李四")


def test_all_initials_of_another_reading_rank_above_prefixes(clinic: Clinic,
                                                            village: Village) -> None:
    make_household(clinic, village.village_id, head="李长江")
    make_household(clinic, village.village_id, head="刘成君")
    make_household(clinic, village.village_id, head="李春娟子")
    names = [r["name"] for r in clinic.search("lcj")]
    assert set(names[:2]) == {"李长江", "刘成君"} and names[2] == "李春娟子"


def test_window_opens_with_db_option_alone() -> None:
    parser = build_parser()
    args = parser.parse_args(["gui", "--db", "x.db"])
    assert args.command == "gui"
    with pytest.raises(SystemExit) as usage:
        main(["--db"])  # option without value: a usage error, not an "invalid choice"
    assert usage.value.code == 2


def test_unknown_stored_profile_falls_back_to_national(clinic: Clinic) -> None:
    with clinic.db.atomic():
        clinic.store.set_meta("profile_id", "from-a-newer-version")
    assert clinic.profile.id == "national"
    assert clinic.search("zs") == []


def test_demo_refuses_a_register_with_places_only(clinic: Clinic, village: Village) -> None:
    from clinic_app import demo

    with pytest.raises(ValueError, match="已有数据"):
        demo.generate(clinic, residents=10)


def test_constraint_messages_are_chinese(clinic: Clinic, village: Village) -> None:
    with pytest.raises(ClinicError) as caught:
        clinic.add_household("no-such-village", "001")
    assert "不存在" in str(caught.value) and "FOREIGN" not in str(caught.value)


@pytest.mark.parametrize("written", ["2024-03-15", "2024.3.15", "2024/03/15", "2024年3月15日",
                                     "20240315", "２０２４－０３－１５"])
def test_birth_dates_as_people_write_them(clinic: Clinic, village: Village, written: str) -> None:
    household = clinic.add_household(village.village_id)
    saved = clinic.add_resident(household, "之子", name="王宝", birth_date=written)
    assert clinic.resident(saved.id).birth_date == dt.date(2024, 3, 15)


def test_pinyin_typed_into_a_name_is_caught(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, head="孟杰帆")
    with pytest.raises(ValidationFailed, match="混有字母"):
        clinic.update_resident(family.head_id, name="孟杰帆zs")


def test_roster_changes_are_marked_in_the_history(clinic: Clinic, village: Village,
                                                   tmp_path: Path) -> None:
    source = tmp_path / "roster.csv"
    number = id_number(dt.date(1958, 4, 2), "男")
    source.write_text(f"户编号,姓名,身份证号,与户主关系,行政村,乡(镇)\n001,王大山,{number},户主,"
                      "红星村,兴隆镇\n", encoding="utf-8")
    report = clinic.import_roster(source)
    assert report.imported == 1
    person = clinic.search("王大山")[0]
    assert clinic.history("residents", person["id"])[0]["user"] == "测试员（名单导入）"
    assert clinic.store.user == "测试员"


def test_two_letter_queries_keep_rare_readings_below_prefixes(clinic: Clinic,
                                                              village: Village) -> None:
    make_household(clinic, village.village_id, head="丁俊")  # zheng/shun: initials "zs" too
    make_household(clinic, village.village_id, head="朱帅想")
    assert [r["name"] for r in clinic.search("zs")] == ["朱帅想", "丁俊"]
