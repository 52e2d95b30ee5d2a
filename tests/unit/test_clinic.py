"""The Clinic facade: validation on save, duplicates, search ranking, household changes."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import FIXED_TODAY, Village, id_number, make_household

from clinic_app.clinic import Clinic, add_months
from clinic_app.errors import DuplicateResident, ValidationFailed


def test_resident_birth_date_and_sex_come_from_the_id(clinic: Clinic, village: Village) -> None:
    household = clinic.add_household(village.village_id, "001")
    number = id_number(dt.date(1950, 2, 3), "女")
    saved = clinic.add_resident(household, "户主", name=" 王 秀 英 ", id_number=number.lower(),
                                sex="男", phone="139 1234 5678")
    person = clinic.resident(saved.id)
    assert person.name == "王秀英"  # spaces from spreadsheets removed
    assert person.sex == "女" and person.birth_date == dt.date(1950, 2, 3)
    assert person.phone == "13912345678"
    assert person.age(FIXED_TODAY) == 76
    assert any("性别" in w for w in saved.warnings)
    assert clinic.household(household).head_id == saved.id


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"name": "张三", "id_number": "110105194912310021"}, "id_number", "校验位"),
    ({"name": "张三", "phone": "1391234567"}, "phone", "11位"),
    ({"name": "", "id_number": None}, "name", "不能为空"),
    ({"name": "张3"}, "name", "数字"),
])
def test_bad_values_are_refused_with_the_field(clinic: Clinic, village: Village, values: dict,
                                               field: str, message: str) -> None:
    household = clinic.add_household(village.village_id)
    with pytest.raises(ValidationFailed) as caught:
        clinic.add_resident(household, "之子", **values)
    assert message in caught.value.fields[field]
    assert clinic.check().counts["residents"] == 0


def test_duplicate_id_is_refused_and_names_the_existing_person(clinic: Clinic,
                                                              village: Village) -> None:
    family = make_household(clinic, village.village_id, "001", head="张三")
    number = clinic.resident(family.head_id).id_number
    with pytest.raises(DuplicateResident) as caught:
        clinic.add_resident(family.household_id, "之子", name="张四", id_number=number)
    assert caught.value.existing_id == family.head_id
    assert "张三" in str(caught.value)


def test_editing_keeps_history_and_reindexes(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, "001", head="张三")
    clinic.update_resident(family.head_id, name="章三")
    assert clinic.search("zs")[0]["name"] == "章三"
    assert clinic.search("张三") == []
    history = clinic.history("residents", family.head_id)
    assert history[-1]["fields"]["name"] == {"old": "张三", "new": "章三"}
    assert history[-1]["user"] == "测试员"


def test_search_ranks_exact_id_then_name_then_the_rest(clinic: Clinic, village: Village) -> None:
    zhang = make_household(clinic, village.village_id, "6405220010001", head="张三")
    make_household(clinic, village.village_id, "6405220010002", head="张三丰",
                   phone="13700000002")
    make_household(clinic, village.village_id, "6405220010003", head="赵四",
                   members=(("钟爽", "配偶", "女"),), phone="13700000003")
    names = [r["name"] for r in clinic.search("zs")]
    assert set(names[:3]) == {"张三", "赵四", "钟爽"}  # initials exactly zs, shortest first
    assert names[3] == "张三丰"  # zsf: a prefix match comes after
    assert [r["name"] for r in clinic.search("zhangsan")][:2] == ["张三", "张三丰"]
    assert [r["name"] for r in clinic.search("张三")] == ["张三", "张三丰"]
    number = clinic.resident(zhang.head_id).id_number
    assert clinic.search(number)[0]["id"] == zhang.head_id
    assert clinic.search(number[-6:])[0]["id"] == zhang.head_id
    assert [r["name"] for r in clinic.search("13912345678")] == ["张三"]
    assert [r["name"] for r in clinic.search("0003")] == ["赵四"]  # last digits of a phone
    household_hits = clinic.search("6405220010003")
    assert {r["name"] for r in household_hits} == {"赵四", "钟爽"}
    assert clinic.search("三丰")[0]["name"] == "张三丰"  # part of a name
    assert clinic.search("   ") == []
    first = clinic.search("zs")[0]
    assert first["masked_id"].count("*") == 8 and first["village"] == "红星村"


def test_heteronym_surname_found_both_ways(clinic: Clinic, village: Village) -> None:
    make_household(clinic, village.village_id, head="单田芳")
    assert clinic.search("stf")[0]["name"] == "单田芳"
    assert clinic.search("shantianfang")[0]["name"] == "单田芳"
    assert clinic.search("dtf")[0]["name"] == "单田芳"


def test_change_head_and_end_residence_keep_people(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, "001", head="张三",
                            members=(("张小明", "之子", "男"),))
    son = family.member_ids[0]
    clinic.set_head(family.household_id, son)
    assert clinic.household(family.household_id).head_id == son
    assert clinic.resident(son).relation == "户主"
    clinic.end_residence(family.head_id, "deceased", FIXED_TODAY, "病故")
    old = clinic.resident(family.head_id)
    assert (old.status, old.status_date, old.status_reason) == ("deceased", FIXED_TODAY, "病故")
    assert len(clinic.members(family.household_id)) == 2  # history stays in the household
    assert clinic.search("张三")[0]["status"] == "deceased"
    assert clinic.check().ok


def test_contract_term_and_status_come_from_the_profile(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id)
    team = clinic.add_team("红星村家庭医生团队", "13800000000", village.village_id)
    doctor = clinic.add_doctor("李医生", phone="13700000000", team_id=team)
    contract_id = clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                                       package_code="chronic", start_on=dt.date(2025, 12, 1))
    contract = clinic.contracts(family.head_id)[0]
    assert contract.id == contract_id
    assert contract.end_on == dt.date(2026, 11, 30)
    assert contract.status(FIXED_TODAY) == "expiring"
    assert contract.status(dt.date(2026, 12, 1)) == "expired"
    assert contract.status(dt.date(2026, 9, 1)) == "active"
    assert [s["code"] for s in contract.services][:2] == ["checkup", "follow_up"]
    with pytest.raises(ValidationFailed, match="服务包"):
        clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                             package_code="nope", start_on=FIXED_TODAY)


@pytest.mark.parametrize(("start", "months", "end"), [
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
    (dt.date(2026, 11, 23), 12, dt.date(2027, 11, 23)),
])
def test_add_months_clamps_to_month_end(start: dt.date, months: int, end: dt.date) -> None:
    assert add_months(start, months) == end


def test_profile_setting_is_checked(clinic: Clinic) -> None:
    assert clinic.profile.id == "national"
    with pytest.raises(Exception, match="没有名为 nowhere 的政策配置"):
        clinic.set_profile("nowhere")
