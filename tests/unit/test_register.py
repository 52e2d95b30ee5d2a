"""Register features behind the resident/household pages and village lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from factories import Village, make_household

from clinic_app.clinic import Clinic
from clinic_app.errors import ValidationFailed


def test_resident_detail_gathers_household_and_records(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, "001", head="张三",
                            members=(("李秀英", "配偶", "女"),))
    clinic.add_condition(family.head_id, "hypertension", dt.date(2019, 4, 1))
    team = clinic.add_team("红星村团队")
    doctor = clinic.add_doctor("王医生", phone="13700000000", team_id=team)
    clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor, package_code="basic",
                         start_on=dt.date(2026, 3, 1))
    detail = clinic.resident_detail(family.member_ids[0])
    assert detail.head_name == "张三" and detail.village.name == "红星村"
    assert detail.contract_status == "none" and detail.conditions == []
    head = clinic.resident_detail(family.head_id)
    assert [c.label for c in head.conditions] == ["高血压"]
    assert head.contract_status == "active"
    assert head.doctor_names == {doctor: "王医生"}


def test_move_member_between_households(clinic: Clinic, village: Village) -> None:
    a = make_household(clinic, village.village_id, "001", head="张三",
                       members=(("张小明", "之子", "男"),))
    b = make_household(clinic, village.village_id, "002", head="李四")
    son = a.member_ids[0]
    assert clinic.move_resident(son, b.household_id, "之女婿") == []
    assert clinic.resident(son).household_id == b.household_id
    assert {m.name for m in clinic.members(b.household_id)} == {"李四", "张小明"}
    warnings = clinic.move_resident(a.head_id, b.household_id, "户主")
    assert "没有户主" in warnings[0]
    assert clinic.household(a.household_id).head_id is None
    assert clinic.household(b.household_id).head_id == a.head_id
    assert clinic.resident(b.head_id).relation == "其他"
    with pytest.raises(ValidationFailed, match="已在这一户"):
        clinic.move_resident(son, b.household_id, "之子")
    history = clinic.history("residents", son)
    assert history[-1]["fields"]["household_id"]["new"] == b.household_id
    assert clinic.check().ok


def test_village_roster_filters_and_export(clinic: Clinic, village: Village,
                                          tmp_path: Path) -> None:
    a = make_household(clinic, village.village_id, "001", head="张三",
                       members=(("张小明", "之子", "男"),))
    make_household(clinic, village.village_id, "002", head="李四")
    other = clinic.add_place("village", "白杨村", village.township_id)
    make_household(clinic, other, "003", head="王五")
    clinic.add_condition(a.head_id, "diabetes")
    clinic.update_resident(a.member_ids[0], poverty_category="dibao")
    clinic.end_residence(a.head_id, "deceased", dt.date(2026, 10, 1))
    roster = clinic.village_roster(village.village_id)
    assert [r["name"] for r in roster] == ["张小明", "李四"]  # the deceased are not listed
    everyone = clinic.village_roster(village.village_id, include_inactive=True)
    assert [r["name"] for r in everyone] == ["张三", "张小明", "李四"]
    assert [r["name"] for r in clinic.village_roster(
        village.village_id, condition="diabetes", include_inactive=True)] == ["张三"]
    assert [r["name"] for r in clinic.village_roster(village.village_id,
                                                     category="dibao")] == ["张小明"]
    assert clinic.village_roster(village.village_id, contract_status="active") == []
    households = clinic.village_households(village.village_id)
    assert [(h["household_no"], h["members"]) for h in households] == [("001", 1), ("002", 1)]

    out = tmp_path / "名单.xlsx"
    assert clinic.export_roster(out, everyone) == 3
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "红星村 花名册 导出于2026-11-23 共3人"  # the title row (issue 4 review)
    assert rows[1][:3] == ("户编号", "组", "姓名")
    assert rows[2][2] == "张三" and rows[2][11] == "死亡"
    assert rows[2][6] == clinic.resident(a.head_id).id_number  # full ID kept as text
    assert isinstance(rows[2][6], str)


def test_search_shows_the_next_visit_set_by_the_latest_follow_up(clinic: Clinic,
                                                                 village: Village) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    with clinic.db.atomic():
        for visit, next_on in (("2026-05-01", "2026-08-01"), ("2026-08-03", "2026-11-03")):
            clinic.store.insert("follow_ups", {"resident_id": family.head_id,
                                               "form": "hypertension", "visit_date": visit,
                                               "next_visit_on": next_on})
    assert clinic.search("zs")[0]["next_follow_up"] == "2026-11-03"


# Registration times are real (audit) time, so never-visited patients are due from the day the
# test runs; check them a while after it, whatever day CI runs on.
AFTER_REGISTRATION = dt.date.today() + dt.timedelta(days=17)


def _visit(clinic: Clinic, resident_id: str, day: str, sbp: int, dbp: int,
           next_on: str | None = None, classification: str = "") -> None:
    with clinic.db.atomic():
        clinic.store.insert("follow_ups", {
            "resident_id": resident_id, "form": "hypertension", "visit_date": day, "sbp": sbp,
            "dbp": dbp, "next_visit_on": next_on, "classification": classification})


def test_work_list_orders_by_risk_then_overdue(clinic: Clinic, village: Village) -> None:
    people = {}
    for name in ("常规", "危急", "逾期久", "不在名单"):
        family = make_household(clinic, village.village_id, head=f"张{name}")
        clinic.add_condition(family.head_id, "hypertension", dt.date(2020, 1, 1))
        people[name] = family.head_id
    _visit(clinic, people["常规"], "2026-08-25", 128, 80)  # due 2026-11-24: this week
    _visit(clinic, people["危急"], "2026-11-20", 186, 100)  # emergency: due in 14 days
    _visit(clinic, people["逾期久"], "2026-06-01", 130, 82)  # due 2026-08-31: overdue
    _visit(clinic, people["不在名单"], "2026-11-01", 126, 78)  # due in February
    items = clinic.work_list(dt.date(2026, 11, 23))
    assert [i["name"] for i in items] == ["张危急", "张逾期久", "张常规"]
    assert items[0]["risk"] == 0 and "紧急转诊" in items[0]["rule"]
    assert items[1]["status"] == "overdue" and items[1]["overdue_days"] == 84
    assert items[2]["status"] == "due" and items[2]["due_on"] == "2026-11-24"
    assert items[0]["last_bp"] == "186/100" and items[0]["phone"] == "13912345678"


def test_contact_marks_show_on_the_list_but_are_not_visits(clinic: Clinic,
                                                          village: Village) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    clinic.add_condition(family.head_id, "diabetes", dt.date(2026, 1, 1))
    later = AFTER_REGISTRATION  # never visited: due from registration, so overdue by now
    before = clinic.work_list(later)
    assert before[0]["status"] == "overdue" and before[0]["contact"] is None
    clinic.mark_contact(family.head_id, "unreachable", "电话停机")
    after = clinic.work_list(later)
    assert after[0]["overdue_days"] == before[0]["overdue_days"]  # still due: not a visit
    assert after[0]["contact"]["outcome"] == "unreachable"
    assert after[0]["contact"]["note"] == "电话停机"
    with pytest.raises(ValidationFailed):
        clinic.mark_contact(family.head_id, "emailed")


def test_village_and_moved_patients_are_filtered(clinic: Clinic, village: Village) -> None:
    here = make_household(clinic, village.village_id, head="张三")
    other_village = clinic.add_place("village", "白杨村", village.township_id)
    there = make_household(clinic, other_village, head="李四")
    for family in (here, there):
        clinic.add_condition(family.head_id, "hypertension", dt.date(2025, 1, 1))
    assert {i["name"] for i in clinic.work_list(AFTER_REGISTRATION)} == {"张三", "李四"}
    assert [i["name"] for i in clinic.work_list(AFTER_REGISTRATION,
                                                village_id=other_village)] == ["李四"]
    clinic.end_residence(there.head_id, "moved", dt.date(2026, 10, 1))
    assert [i["name"] for i in clinic.work_list(AFTER_REGISTRATION)] == ["张三"]


def test_expiring_contracts(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    team = clinic.add_team("团队")
    clinic.sign_contract(family.head_id, team_id=team, doctor_id=None, package_code="basic",
                         start_on=dt.date(2025, 12, 10))
    rows = clinic.expiring_contracts(dt.date(2026, 11, 23))
    assert [(r["name"], r["days_left"]) for r in rows] == [("张三", 16)]
    clinic.sign_contract(family.head_id, team_id=team, doctor_id=None, package_code="basic",
                         start_on=dt.date(2026, 12, 10))  # renewed: no longer listed
    assert clinic.expiring_contracts(dt.date(2026, 11, 23)) == []
