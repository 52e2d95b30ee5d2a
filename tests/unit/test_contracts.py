"""家庭医生签约: teams and doctors, signing (one person or a household), renewing, ending,
the expiring and expired lists, and 履约 counted from the recorded services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from factories import FIXED_TODAY, Village, make_household

from clinic_app.clinic import Clinic
from clinic_app.domain import fulfilment
from clinic_app.errors import ValidationFailed
from clinic_app.storage.schema import SYNCED_TABLES

START = dt.date(2026, 1, 1)  # a term of 2026-01-01 .. 2026-12-31 (12 months, national)


@pytest.fixture
def team(clinic: Clinic, village: Village) -> str:
    return clinic.add_team("红星村家庭医生团队", "13800000000", village.village_id)


@pytest.fixture
def doctor(clinic: Clinic, team: str) -> str:
    return clinic.add_doctor("王建国", phone="13700000001", team_id=team)


def visit(clinic: Clinic, resident_id: str, day: str, *, form: str = "hypertension",
          method: str = "clinic", referral_to: str = "", supersedes: str | None = None) -> str:
    with clinic.db.atomic():
        return clinic.store.insert("follow_ups", {
            "resident_id": resident_id, "form": form, "visit_date": day, "method": method,
            "sbp": 132, "dbp": 84, "referral_to": referral_to, "supersedes_id": supersedes})


def items_by_name(items: list[fulfilment.Item]) -> dict[str, fulfilment.Item]:
    return {i.name: i for i in items}


# ---------------------------------------------------------------------------------- signing
def test_sign_takes_term_and_package_from_the_profile(clinic: Clinic, village: Village,
                                                      team: str, doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=START,
                                       agreement_no="QY2026-001")
    contract = clinic.contract(contract_id)
    assert (contract.start_on, contract.end_on) == (START, dt.date(2026, 12, 31))
    assert contract.team_id == team  # filled in from the doctor's team
    assert contract.signed_on == START  # entered late from paper: signed when it started
    assert [s["code"] for s in contract.services] == [
        "checkup", "follow_up", "health_education", "consultation", "referral"]
    assert contract.agreement_no == "QY2026-001"
    assert clinic.contract_end_on(dt.date(2026, 3, 15)) == dt.date(2027, 3, 14)


def test_a_second_overlapping_contract_is_refused_in_chinese(clinic: Clinic, village: Village,
                                                             doctor: str) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor, package_code="basic",
                         start_on=START)
    with pytest.raises(ValidationFailed, match="张三 已有签约（2026-01-01 至 2026-12-31）"):
        clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                             package_code="chronic", start_on=dt.date(2026, 12, 31))
    # The day after the term ends is free.
    clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor, package_code="basic",
                         start_on=dt.date(2027, 1, 1))
    assert len(clinic.contracts(family.head_id)) == 2


@pytest.mark.parametrize(("status", "word"), [("deceased", "死亡"), ("moved", "迁出")])
def test_people_off_the_register_cannot_sign(clinic: Clinic, village: Village, doctor: str,
                                             status: str, word: str) -> None:
    family = make_household(clinic, village.village_id, head="李四")
    clinic.end_residence(family.head_id, status, dt.date(2026, 10, 1))
    with pytest.raises(ValidationFailed, match=f"李四 已{word}，不能签约"):
        clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                             package_code="basic", start_on=FIXED_TODAY)
    assert clinic.contracts(family.head_id) == []


def test_doctor_and_team_must_be_active_and_belong_together(clinic: Clinic, village: Village,
                                                            team: str, doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    other_team = clinic.add_team("东风村团队")
    with pytest.raises(ValidationFailed, match="王建国 不在“东风村团队”中"):
        clinic.sign_contract(family.head_id, team_id=other_team, doctor_id=doctor,
                             package_code="basic", start_on=START)
    assert clinic.set_doctor_active(doctor, False) == []
    with pytest.raises(ValidationFailed, match="已停用"):
        clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                             package_code="basic", start_on=START)
    clinic.set_doctor_active(doctor, True)
    clinic.set_team_active(team, False)
    with pytest.raises(ValidationFailed, match="团队“红星村家庭医生团队”已停用"):
        clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                             package_code="basic", start_on=START)
    with pytest.raises(ValidationFailed, match="服务包 nope 不在当前政策配置中"):
        clinic.sign_contract(family.head_id, team_id=None, doctor_id=None,
                             package_code="nope", start_on=START)


def test_household_signs_in_one_transaction_all_or_none(clinic: Clinic, village: Village,
                                                        doctor: str) -> None:
    family = make_household(clinic, village.village_id, head="张三",
                            members=(("李秀英", "配偶", "女"), ("张小明", "之子", "男"),
                                     ("张老汉", "之父", "男")))
    wife, son, father = family.member_ids
    clinic.add_condition(family.head_id, "hypertension", dt.date(2018, 1, 1))
    clinic.sign_contract(son, team_id=None, doctor_id=doctor, package_code="basic",
                         start_on=dt.date(2026, 6, 1))
    clinic.end_residence(father, "deceased", dt.date(2026, 9, 1))

    candidates = {c["name"]: c for c in clinic.signing_candidates(family.household_id, START)}
    assert candidates["张三"]["eligible"] and candidates["张三"]["package_code"] == "chronic"
    assert candidates["李秀英"]["eligible"] and candidates["李秀英"]["package_code"] == "basic"
    assert not candidates["张小明"]["eligible"] and "重叠" in candidates["张小明"]["reason"]
    assert not candidates["张老汉"]["eligible"] and "已死亡" in candidates["张老汉"]["reason"]

    before = clinic.count("contracts")
    with pytest.raises(ValidationFailed, match="张小明 已有签约"):
        clinic.sign_household(family.household_id,
                              {family.head_id: "chronic", wife: "basic", son: "basic"},
                              team_id=None, doctor_id=doctor, start_on=START,
                              agreement_no="HH-7")
    assert clinic.count("contracts") == before  # nobody was signed

    ids_ = clinic.sign_household(family.household_id, {family.head_id: "chronic",
                                                       wife: "basic"},
                                 team_id=None, doctor_id=doctor, start_on=START,
                                 agreement_no="HH-7")
    assert len(ids_) == 2
    head, spouse = clinic.contract(ids_[0]), clinic.contract(ids_[1])
    assert (head.package_code, spouse.package_code) == ("chronic", "basic")
    assert head.agreement_no == spouse.agreement_no == "HH-7"
    # Another household may not reuse the paper agreement's number.
    other = make_household(clinic, village.village_id, head="赵六")
    with pytest.raises(ValidationFailed, match="协议书编号 HH-7 已用于"):
        clinic.sign_contract(other.head_id, team_id=None, doctor_id=doctor,
                             package_code="basic", start_on=START, agreement_no="HH-7")
    assert clinic.check().ok


# ---------------------------------------------------------------------------- renew and end
def test_renew_starts_the_day_after_the_old_contract_ends(clinic: Clinic, village: Village,
                                                          team: str, doctor: str) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    old = clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                               package_code="basic", start_on=dt.date(2025, 12, 10))
    assert [r["name"] for r in clinic.expiring_soon(FIXED_TODAY)] == ["张三"]
    new = clinic.renew_contract(old, agreement_no="QY2027-009")
    renewal = clinic.contract(new)
    assert renewal.renewed_from_id == old
    assert (renewal.start_on, renewal.end_on) == (dt.date(2026, 12, 10), dt.date(2027, 12, 9))
    assert (renewal.doctor_id, renewal.team_id, renewal.package_code) == (doctor, team, "basic")
    assert renewal.signed_on == FIXED_TODAY
    assert clinic.expiring_soon(FIXED_TODAY) == []
    with pytest.raises(ValidationFailed, match="已续约"):
        clinic.renew_contract(old)


def test_renewing_a_lapsed_contract_starts_today(clinic: Clinic, village: Village,
                                                 team: str, doctor: str) -> None:
    """A contract that ran out last year is renewed from today: a renewal from the day after
    it ended would be a contract for the past, over before it was signed."""
    family = make_household(clinic, village.village_id, head="李四")
    old = clinic.sign_contract(family.head_id, team_id=team, doctor_id=doctor,
                               package_code="basic", start_on=dt.date(2024, 7, 1))
    assert [r["name"] for r in clinic.expired_contracts(FIXED_TODAY)] == ["李四"]
    renewal = clinic.contract(clinic.renew_contract(old))
    assert (renewal.start_on, renewal.signed_on) == (FIXED_TODAY, FIXED_TODAY)
    assert renewal.end_on == dt.date(2027, 11, 22) and renewal.renewed_from_id == old
    assert clinic.expired_contracts(FIXED_TODAY) == []


def test_end_contract_with_reason_and_date(clinic: Clinic, village: Village,
                                           doctor: str) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=dt.date(2025, 12, 10))
    renewal_id = clinic.renew_contract(contract_id)  # signed early, starts 2026-12-10
    with pytest.raises(ValidationFailed, match="解约日期不能晚于今天"):
        clinic.end_contract(contract_id, "refused", FIXED_TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="写明原因"):
        clinic.end_contract(contract_id, "other", FIXED_TODAY)
    with pytest.raises(ValidationFailed, match="未知的解约原因"):
        clinic.end_contract(contract_id, "bored", FIXED_TODAY)
    clinic.end_contract(contract_id, "refused", dt.date(2026, 11, 20), "外出务工，不再接受服务")
    contract = clinic.contract(contract_id)
    assert (contract.ended_on, contract.end_reason, contract.end_note) == (
        dt.date(2026, 11, 20), "refused", "外出务工，不再接受服务")
    assert contract.status(FIXED_TODAY) == "ended"
    assert contract.status(dt.date(2026, 11, 19)) == "expiring"  # in force the day before
    # The renewal signed in advance is cancelled with it.
    assert clinic.contract(renewal_id).status(dt.date(2027, 1, 1)) == "ended"
    with pytest.raises(ValidationFailed, match="已于 2026-11-20 解约"):
        clinic.end_contract(contract_id, "refused", FIXED_TODAY)
    with pytest.raises(ValidationFailed, match="不能续约"):
        clinic.renew_contract(contract_id)
    # Signing again after a refusal is allowed from the day it ended.
    clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor, package_code="basic",
                         start_on=dt.date(2026, 11, 20))


def test_death_ends_the_contract_and_restoring_does_not_revive_it(clinic: Clinic,
                                                                  village: Village,
                                                                  doctor: str) -> None:
    family = make_household(clinic, village.village_id, head="张三",
                            members=(("李秀英", "配偶", "女"),))
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=START)
    wife_contract = clinic.sign_contract(family.member_ids[0], team_id=None, doctor_id=doctor,
                                         package_code="basic", start_on=START)
    warnings = clinic.end_residence(family.head_id, "deceased", dt.date(2026, 10, 5), "病故")
    assert "此人的家庭医生签约已随之解约" in warnings
    contract = clinic.contract(contract_id)
    assert (contract.ended_on, contract.end_reason) == (dt.date(2026, 10, 5), "death")
    assert "病故" in contract.end_note
    assert clinic.contract(wife_contract).ended_on is None  # only the person who died
    history = clinic.history("contracts", contract_id)
    assert history[-1]["fields"]["end_reason"] == {"old": "", "new": "death"}

    clinic.restore_residence(family.head_id, "误登记死亡")
    assert clinic.contract(contract_id).status(FIXED_TODAY) == "ended"
    assert clinic.resident_detail(family.head_id).contract_status == "ended"
    # Back on the register: a new contract may be signed from the day the old one ended.
    clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor, package_code="basic",
                         start_on=dt.date(2026, 10, 5))


def test_moving_away_ends_the_contract_as_moved(clinic: Clinic, village: Village,
                                                doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=START)
    clinic.end_residence(family.head_id, "moved", FIXED_TODAY, "迁往银川")
    assert clinic.contract(contract_id).end_reason == "moved"
    assert clinic.expiring_soon(dt.date(2026, 12, 20)) == []
    assert clinic.expired_contracts(dt.date(2027, 2, 1)) == []


def test_expiring_and_expired_are_separate_lists(clinic: Clinic, village: Village,
                                                 doctor: str) -> None:
    for name, start in (("快到期", dt.date(2025, 12, 10)), ("已过期", dt.date(2025, 10, 1)),
                        ("还早", dt.date(2026, 6, 1))):
        family = make_household(clinic, village.village_id, head=name)
        clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                             package_code="basic", start_on=start)
    expiring = clinic.expiring_soon(FIXED_TODAY)
    expired = clinic.expired_contracts(FIXED_TODAY)
    assert [(r["name"], r["days_left"]) for r in expiring] == [("快到期", 16)]
    assert [(r["name"], r["days_left"]) for r in expired] == [("已过期", -54)]
    assert expired[0]["doctor"] == "王建国" and expired[0]["village"] == "红星村"
    assert clinic.expiring_contracts(FIXED_TODAY) == expiring  # 今日待办's call, same list
    other = clinic.add_place("village", "东风村", village.township_id)
    assert clinic.expired_contracts(FIXED_TODAY, village_id=other) == []


# ---------------------------------------------------------------------- teams and doctors
def test_teams_and_doctors_are_edited_and_deactivated(clinic: Clinic, village: Village,
                                                      team: str, doctor: str) -> None:
    with pytest.raises(ValidationFailed, match="团队名称不能为空"):
        clinic.add_team("  ")
    with pytest.raises(ValidationFailed, match="手机号应为11位"):
        clinic.add_doctor("李医生", phone="1370000")
    with pytest.raises(ValidationFailed, match="未知的医生类别"):
        clinic.add_doctor("李医生", role="wizard")
    clinic.update_team(team, name="红星村第一团队", leader_id=doctor)
    clinic.update_doctor(doctor, phone="139 1234 5678", role="gp")
    assert clinic.team(team).name == "红星村第一团队"
    assert clinic.doctor(doctor).phone == "13912345678"
    family = make_household(clinic, village.village_id)
    clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor, package_code="basic",
                         start_on=START)
    row = next(d for d in clinic.doctor_list() if d["id"] == doctor)
    assert (row["team"], row["role"], row["contracts"]) == ("红星村第一团队", "gp", 1)
    assert clinic.set_doctor_active(doctor, False) == [
        "该医生仍有 1 份在约签约，续约时请改签其他医生"]
    assert [d["id"] for d in clinic.doctor_list(include_inactive=False)] == []
    teams = clinic.team_list()
    assert (teams[0]["leader"], teams[0]["doctors"], teams[0]["place"]) == (
        "王建国", 0, "红星村")
    clinic.set_team_active(team, False)
    assert clinic.team_list(include_inactive=False) == []
    assert clinic.history("doctors", doctor)[-1]["fields"]["active"] == {"old": 1, "new": 0}


# ------------------------------------------------------------------------------ fulfilment
def test_fulfilment_counts_each_promise_from_the_records(clinic: Clinic, village: Village,
                                                         doctor: str) -> None:
    family = make_household(clinic, village.village_id, head="张三")
    rid = family.head_id
    clinic.add_condition(rid, "hypertension", dt.date(2019, 1, 1))
    contract_id = clinic.sign_contract(rid, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=START)
    visit(clinic, rid, "2025-12-20")  # before the term: not counted
    first = visit(clinic, rid, "2026-02-10")
    visit(clinic, rid, "2026-02-10", supersedes=first)  # a correction: one visit, not two
    visit(clinic, rid, "2026-05-10", method="home", referral_to="县人民医院")
    visit(clinic, rid, "2026-07-10", method="phone")  # by phone: not face to face
    deleted = visit(clinic, rid, "2026-08-10")
    with clinic.db.atomic():
        clinic.store.soft_delete("follow_ups", deleted, "录错了人")
        clinic.store.insert("checkups", {"resident_id": rid, "checkup_date": "2026-04-01"})
    clinic.record_service(rid, "health_education", dt.date(2026, 3, 3), doctor_id=doctor,
                          note="高血压饮食讲座")
    clinic.record_service(rid, "consultation", dt.date(2026, 6, 6), method="phone")
    items = items_by_name(clinic.fulfilment(contract_id, FIXED_TODAY))
    follow = items["慢病随访（高血压）"]
    assert (follow.promised, follow.done, follow.expected) == (4, 2, 3)
    assert follow.status == "behind" and "电话随访不计" in follow.note
    assert (items["健康体检"].promised, items["健康体检"].done, items["健康体检"].status) == (
        1, 1, "done")
    assert (items["健康教育"].done, items["健康教育"].expected) == (1, 1)  # 2 a year, 11 months in
    assert items["健康教育"].status == "on_track"
    assert (items["健康咨询"].done, items["健康咨询"].status) == (1, "on_demand")
    assert (items["转诊服务"].done, items["转诊服务"].status) == (1, "on_demand")
    # At the end of the term what was not done is missed; the checkup promise was kept.
    after = items_by_name(clinic.fulfilment(contract_id, dt.date(2027, 1, 15)))
    assert after["慢病随访（高血压）"].status == "missed"
    assert after["健康体检"].status == "done"


def test_fulfilment_of_someone_without_a_chronic_condition(clinic: Clinic, village: Village,
                                                           doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=START)
    follow = next(i for i in clinic.fulfilment(contract_id, FIXED_TODAY)
                  if i.code == "follow_up")
    assert (follow.status, follow.promised, follow.owed) == ("not_applicable", 0, False)


def test_combined_form_counts_for_both_conditions(clinic: Clinic, village: Village,
                                                  doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    rid = family.head_id
    clinic.add_condition(rid, "hypertension", dt.date(2019, 1, 1))
    clinic.add_condition(rid, "diabetes", dt.date(2020, 1, 1))
    contract_id = clinic.sign_contract(rid, team_id=None, doctor_id=doctor,
                                       package_code="chronic", start_on=START)
    for day in ("2026-02-01", "2026-05-01", "2026-08-01"):
        visit(clinic, rid, day, form="combined")
    visit(clinic, rid, "2026-10-01", form="diabetes")
    items = items_by_name(clinic.fulfilment(contract_id, FIXED_TODAY))
    assert items["慢病随访（高血压）"].done == 3
    assert items["慢病随访（2型糖尿病）"].done == 4
    assert items["慢病随访（2型糖尿病）"].status == "done"
    assert items["慢病随访（高血压）"].status == "on_track"  # 3 of 4, due 3 by now


@pytest.mark.parametrize(("profile", "promised"), [("national", 4), ("zhongwei", 6)])
def test_follow_ups_promised_come_from_the_profile(clinic: Clinic, village: Village,
                                                   doctor: str, profile: str,
                                                   promised: int) -> None:
    clinic.set_profile(profile)
    family = make_household(clinic, village.village_id)
    clinic.add_condition(family.head_id, "diabetes", dt.date(2019, 1, 1))
    contract_id = clinic.sign_contract(family.head_id, team_id=None, doctor_id=doctor,
                                       package_code="chronic", start_on=START)
    follow = next(i for i in clinic.fulfilment(contract_id, FIXED_TODAY)
                  if i.code == "follow_up")
    assert (follow.name, follow.promised) == ("慢病随访（2型糖尿病）", promised)
    assert f"每年{promised}次" in follow.note
    # A contract keeps the promises of the profile it was signed under.
    clinic.set_profile("zhongwei" if profile == "national" else "national")
    again = next(i for i in clinic.fulfilment(contract_id, FIXED_TODAY)
                 if i.code == "follow_up")
    assert again.promised == promised


def test_an_ended_contract_stops_counting(clinic: Clinic, village: Village,
                                          doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    rid = family.head_id
    contract_id = clinic.sign_contract(rid, team_id=None, doctor_id=doctor,
                                       package_code="basic", start_on=START)
    clinic.record_service(rid, "health_education", dt.date(2026, 2, 1))
    clinic.end_contract(contract_id, "refused", dt.date(2026, 3, 1))
    clinic.record_service(rid, "health_education", dt.date(2026, 4, 1))  # after: not counted
    items = items_by_name(clinic.fulfilment(contract_id, FIXED_TODAY))
    assert (items["健康教育"].done, items["健康教育"].status) == (1, "stopped")


def test_medicine_deliveries_count_once_a_day_and_corrections_replace(clinic: Clinic,
                                                                       village: Village,
                                                                       doctor: str) -> None:
    family = make_household(clinic, village.village_id)
    rid = family.head_id
    clinic.add_condition(rid, "hypertension", dt.date(2019, 1, 1))
    contract_id = clinic.sign_contract(rid, team_id=None, doctor_id=doctor,
                                       package_code="chronic", start_on=START)

    def deliver(box: str, day: str, corrects: str | None = None) -> str:
        return clinic.store.insert("deliveries", {
            "box_id": box, "resident_id": rid, "delivered_on": day, "medicine": "氨氯地平",
            "quantity": 1, "unit_price_fen": 1000, "patient_fen": 1000,
            "corrects_id": corrects})

    with clinic.db.atomic():
        box = clinic.store.insert("medicine_boxes", {"resident_id": rid,
                                                     "opened_on": "2026-01-01"})
        deliver(box, "2026-02-01")
        deliver(box, "2026-02-01")  # two medicines the same day: one delivery
        wrong = deliver(box, "2026-03-01")
        deliver(box, "2026-03-02", corrects=wrong)  # the date was wrong
    delivered = items_by_name(clinic.fulfilment(contract_id, FIXED_TODAY))["代购送药"]
    assert delivered.done == 2


def test_record_service_is_checked(clinic: Clinic, village: Village) -> None:
    family = make_household(clinic, village.village_id)
    with pytest.raises(ValidationFailed, match="随访和体检请填写对应的表"):
        clinic.record_service(family.head_id, "follow_up", FIXED_TODAY)
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        clinic.record_service(family.head_id, "consultation",
                              FIXED_TODAY + dt.timedelta(days=1))
    record = clinic.record_service(family.head_id, "consultation", FIXED_TODAY,
                                   note="血压药副作用咨询")
    assert clinic.service_records(family.head_id)[0]["note"] == "血压药副作用咨询"
    clinic.delete_service_record(record, "重复登记")
    assert clinic.service_records(family.head_id) == []
    assert "service_records" in SYNCED_TABLES


def test_village_fulfilment_rates(clinic: Clinic, village: Village, doctor: str) -> None:
    kept = make_household(clinic, village.village_id, head="做到")
    missed = make_household(clinic, village.village_id, head="没做")
    ended = make_household(clinic, village.village_id, head="解约")
    contracts: dict[str, Any] = {}
    for family in (kept, missed, ended):
        contracts[family.head_id] = clinic.sign_contract(
            family.head_id, team_id=None, doctor_id=doctor, package_code="basic",
            start_on=dt.date(2025, 12, 1))
    with clinic.db.atomic():
        clinic.store.insert("checkups", {"resident_id": kept.head_id,
                                         "checkup_date": "2026-03-01"})
    for day in (dt.date(2026, 1, 5), dt.date(2026, 6, 5)):
        clinic.record_service(kept.head_id, "health_education", day)
    clinic.end_contract(contracts[ended.head_id], "refused", dt.date(2026, 5, 1))
    report = clinic.village_fulfilment(FIXED_TODAY)
    (row,) = report["villages"]
    assert row["village"] == "红星村"
    # Two contracts in force; each owes a checkup and health education (follow-ups n/a).
    assert (row["contracts"], row["items"], row["items_done"]) == (2, 4, 2)
    assert (row["contracts_done"], row["person_rate"], row["item_rate"]) == (1, 50.0, 50.0)
    assert row["services"]["checkup"] == {"items": 2, "done": 1, "rate": 50.0}
    assert report["total"]["contracts"] == 2
    other = clinic.add_place("village", "东风村", village.township_id)
    assert clinic.village_fulfilment(FIXED_TODAY, village_id=other)["villages"] == []
