"""The medicine box in integer fen: the yearly cap, splits, corrections, refunds, the year
boundary, days of medicine left, and the quarterly reconciliation (xlsx read back)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from factories import make_household, make_village, open_clinic

from clinic_app import clinic as clinic_module
from clinic_app.clinic import Clinic
from clinic_app.domain import medicine
from clinic_app.domain.medicine import Split
from clinic_app.errors import ClinicError, NotFoundError, ValidationFailed
from clinic_app.storage.schema import SYNCED_TABLES

D = dt.date


@pytest.fixture
def clinic(tmp_path: Path):
    c = open_clinic(tmp_path / "c.db")
    c.set_profile("xinbin")  # 001: free chronic medicine, 1000 元 a person a year
    yield c
    c.close()


@pytest.fixture
def box(clinic: Clinic) -> dict[str, str]:
    village = make_village(clinic)
    family = make_household(clinic, village.village_id, head="王建国")
    clinic.add_condition(family.head_id, "hypertension", D(2020, 1, 1))
    doctor = clinic.add_doctor("李医生")
    box_id = clinic.open_box(family.head_id, D(2025, 1, 2))
    item = clinic.add_box_item(box_id, "苯磺酸氨氯地平片", strength="5mg×28片",
                               dose="每日1次，每次1片", condition_code="hypertension",
                               units_per_day=1)
    return {"resident": family.head_id, "box": box_id, "item": item, "doctor": doctor,
            "village": village.village_id}


def left(clinic: Clinic, box: dict[str, str], on: D) -> int | None:
    return clinic.box_balance(box["resident"], on).left_fen


def test_parse_yuan_is_exact_and_refuses_fractions_of_a_fen() -> None:
    assert medicine.parse_yuan("18.5") == 1850
    assert medicine.parse_yuan("１８．０５元") == 1805
    assert medicine.parse_yuan("0.1") + medicine.parse_yuan("0.2") == 30  # no float drift
    assert medicine.parse_yuan("") == 0
    assert medicine.parse_yuan("1,234.56") == 123456
    with pytest.raises(medicine.MedicineError, match="两位小数"):
        medicine.parse_yuan("1.005")
    with pytest.raises(medicine.MedicineError, match="不是金额"):
        medicine.parse_yuan("十八")
    assert medicine.yuan_text(123456) == "1,234.56 元"


def test_cap_comes_from_the_profile_and_is_shown_before_delivering(clinic, box) -> None:
    balance = clinic.box_balance(box["resident"], D(2026, 3, 1))
    assert (balance.cap_fen, balance.used_fen, balance.left_fen) == (100000, 0, 100000)
    assert "限额 1,000.00 元" in balance.text() and "剩余 1,000.00 元" in balance.text()
    clinic.deliver(box["item"], quantity=10, unit_price_fen=1850, delivered_on=D(2026, 3, 1),
                   insurance_fen=11100, receipt_no="SJ001", delivered_by=box["doctor"])
    # 185.00 total, 111.00 by insurance, the fund the rest: 74.00
    assert left(clinic, box, D(2026, 3, 2)) == 100000 - 7400


def test_delivery_over_the_cap_is_refused_unless_split(clinic, box) -> None:
    clinic.deliver(box["item"], quantity=40, unit_price_fen=2000, delivered_on=D(2026, 5, 1))
    assert left(clinic, box, D(2026, 5, 1)) == 20000  # 800 of 1000 used
    with pytest.raises(ValidationFailed) as refused:
        clinic.deliver(box["item"], quantity=15, unit_price_fen=2000,
                       delivered_on=D(2026, 6, 1))
    message = refused.value.fields["free_fund_fen"]
    assert "只剩 200.00 元" in message and "超出 100.00 元" in message and "拆分" in message
    assert clinic.count("deliveries") == 1  # nothing saved
    suggested = clinic.suggest_split(box["item"], 30000, insurance_fen=0, on=D(2026, 6, 1))
    assert suggested == Split(0, 20000, 10000)
    clinic.deliver(box["item"], quantity=15, unit_price_fen=2000, delivered_on=D(2026, 6, 1),
                   free_fund_fen=20000, patient_fen=10000)
    assert left(clinic, box, D(2026, 6, 2)) == 0
    # Once the cap is spent, only insurance and the patient may pay.
    with pytest.raises(ValidationFailed, match=r"只剩 0\.00 元"):
        clinic.deliver(box["item"], quantity=1, unit_price_fen=100, delivered_on=D(2026, 6, 3),
                       free_fund_fen=1, patient_fen=99)
    clinic.deliver(box["item"], quantity=1, unit_price_fen=100, delivered_on=D(2026, 6, 3),
                   patient_fen=100, free_fund_fen=0)


def test_split_must_add_up_to_the_fen(clinic, box) -> None:
    with pytest.raises(ValidationFailed, match=r"还差 0\.01 元"):
        clinic.deliver(box["item"], quantity=3, unit_price_fen=333, insurance_fen=500,
                       free_fund_fen=497, patient_fen=1)
    with pytest.raises(ValidationFailed, match="不能为负数"):
        clinic.deliver(box["item"], quantity=1, unit_price_fen=100, insurance_fen=200,
                       patient_fen=0)


def test_year_boundary_follows_the_delivery_date(clinic, box) -> None:
    clinic.deliver(box["item"], quantity=45, unit_price_fen=2000, delivered_on=D(2025, 12, 30))
    assert left(clinic, box, D(2025, 12, 31)) == 10000
    # A new calendar year: a new cap, even two days later.
    assert left(clinic, box, D(2026, 1, 1)) == 100000
    clinic.deliver(box["item"], quantity=50, unit_price_fen=2000, delivered_on=D(2026, 1, 2))
    assert left(clinic, box, D(2026, 1, 2)) == 0
    # Backdating into last year is checked against last year's balance.
    with pytest.raises(ValidationFailed, match="2025年限额"):
        clinic.deliver(box["item"], quantity=6, unit_price_fen=2000,
                       delivered_on=D(2025, 12, 31))


def test_refund_gives_the_cap_back_to_the_year_of_the_delivery(clinic, box) -> None:
    december = clinic.deliver(box["item"], quantity=50, unit_price_fen=2000,
                              delivered_on=D(2025, 12, 20))
    assert left(clinic, box, D(2025, 12, 21)) == 0
    clinic.deliver(box["item"], quantity=50, unit_price_fen=2000, delivered_on=D(2026, 1, 3))
    # Returned in January: December's fund gets it back, January's cap is not lifted.
    refund = clinic.refund_delivery(december, 10, on=D(2026, 1, 5), reason="停药")
    assert left(clinic, box, D(2025, 12, 31)) == 20000
    assert left(clinic, box, D(2026, 1, 6)) == 0
    row = clinic.store.get("deliveries", refund)
    assert (row["kind"], row["quantity"], row["free_fund_fen"]) == ("refund", -10, -20000)
    assert row["refund_of"] == december and row["delivered_on"] == "2026-01-05"


def test_refunds_are_shared_back_and_never_exceed_the_delivery(clinic, box) -> None:
    # 7 × 3.33 = 23.31: 10.00 insurance, 13.30 fund, 0.01 patient.
    delivery = clinic.deliver(box["item"], quantity=7, unit_price_fen=333, insurance_fen=1000,
                              free_fund_fen=1330, patient_fen=1, delivered_on=D(2026, 4, 1))
    first = clinic.refund_delivery(delivery, 3, on=D(2026, 4, 2), reason="换药")
    second = clinic.refund_delivery(delivery, 4, on=D(2026, 4, 3), reason="停药")
    rows = [clinic.store.get("deliveries", r) for r in (first, second)]
    for row in rows:
        assert row["insurance_fen"] + row["free_fund_fen"] + row["patient_fen"] == \
            row["quantity"] * 333
    back = [sum(r[k] for r in rows) for k in ("insurance_fen", "free_fund_fen", "patient_fen")]
    assert back == [-1000, -1330, -1]  # everything returned, to the fen, to whoever paid
    assert left(clinic, box, D(2026, 4, 4)) == 100000
    with pytest.raises(ValidationFailed, match="最多还能退 0"):
        clinic.refund_delivery(delivery, 1, on=D(2026, 4, 4), reason="多退")
    with pytest.raises(ValidationFailed, match="早于发药日期"):
        clinic.refund_delivery(delivery, 1, on=D(2026, 3, 1), reason="x")


def test_explicit_refund_split_is_checked(clinic, box) -> None:
    delivery = clinic.deliver(box["item"], quantity=2, unit_price_fen=1000, insurance_fen=600,
                              delivered_on=D(2026, 4, 1))  # fund 14.00
    with pytest.raises(ValidationFailed, match="超过其尚未退回"):
        clinic.refund_delivery(delivery, 1, reason="退", split=Split(0, 0, 1000))
    refund = clinic.refund_delivery(delivery, 1, reason="退", split=Split(0, 1000, 0))
    assert clinic.store.get("deliveries", refund)["free_fund_fen"] == -1000
    assert left(clinic, box, D(2026, 4, 2)) == 100000 - 1400 + 1000


def test_correction_replaces_the_row_and_keeps_history(clinic, box) -> None:
    first = clinic.deliver(box["item"], quantity=40, unit_price_fen=2000,
                           delivered_on=D(2026, 7, 1), receipt_no="A1")
    assert left(clinic, box, D(2026, 7, 1)) == 20000
    # The old row's 800 does not count against its own correction: 1000 may be charged now.
    fixed = clinic.correct_delivery(first, reason="数量录错", quantity=50)
    assert left(clinic, box, D(2026, 7, 1)) == 0
    old = clinic.store.get("deliveries", first)
    assert old["deleted"] == 0 and old["quantity"] == 40  # history: the old row is kept
    new = clinic.store.get("deliveries", fixed)
    assert new["corrects_id"] == first and new["notes"] == "更正：数量录错"
    with pytest.raises(ClinicError, match="已被更正"):
        clinic.correct_delivery(first, reason="再改", quantity=1)
    with pytest.raises(ValidationFailed, match="超出免费用药限额"):
        clinic.correct_delivery(fixed, reason="太多", quantity=60)
    view = clinic.medicine_box(box["resident"])
    states = {r["id"]: (r["current"], r["replaced_by"]) for r in view.deliveries}
    assert states == {first: (0, fixed), fixed: (1, None)}
    assert [h["op"] for h in clinic.history("deliveries", fixed)] == ["insert"]


def test_a_refund_blocks_correcting_its_delivery_and_can_itself_be_corrected(clinic, box):
    delivery = clinic.deliver(box["item"], quantity=10, unit_price_fen=1000,
                              delivered_on=D(2026, 2, 1))
    refund = clinic.refund_delivery(delivery, 2, on=D(2026, 2, 3), reason="破损")
    with pytest.raises(ClinicError, match="已有退药记录"):
        clinic.correct_delivery(delivery, reason="x", quantity=9)
    fixed = clinic.correct_delivery(refund, reason="实退3盒", quantity=3)
    row = clinic.store.get("deliveries", fixed)
    assert (row["kind"], row["quantity"], row["refund_of"], row["corrects_id"]) == \
        ("refund", -3, delivery, refund)
    assert left(clinic, box, D(2026, 2, 4)) == 100000 - 7000


def test_a_refund_whose_credit_was_spent_cannot_be_shrunk_or_voided_past_the_cap(
        clinic, box) -> None:
    """The 500 元 a refund gave back to the cap was spent again: making the refund smaller
    (or withdrawing it) would have the fund pay more than 1,000 元 in the year. Refused with
    the amounts until the later delivery is split; a change within the cap goes through."""
    first = clinic.deliver(box["item"], quantity=10, unit_price_fen=10000,
                           delivered_on=D(2026, 3, 1))  # the whole cap
    refund = clinic.refund_delivery(first, 5, on=D(2026, 4, 1), reason="停药")
    again = clinic.deliver(box["item"], quantity=5, unit_price_fen=10000,
                           delivered_on=D(2026, 5, 1))  # the 500 back, spent
    assert left(clinic, box, D(2026, 6, 1)) == 0
    with pytest.raises(ValidationFailed, match=r"超出 400\.00 元") as refused:
        clinic.correct_delivery(refund, reason="其实只退了1盒", quantity=1)
    assert "请先更正之后的发药" in str(refused.value)
    with pytest.raises(ValidationFailed, match=r"超出 500\.00 元"):
        clinic.void_delivery(refund, "录错")
    assert clinic.box_balance(box["resident"], D(2026, 6, 1)).used_fen == 100000
    # Moved to the patient, the later delivery leaves room: now the refund can be corrected.
    clinic.correct_delivery(again, reason="超出部分个人支付", free_fund_fen=10000,
                            patient_fen=40000)
    clinic.correct_delivery(refund, reason="其实只退了1盒", quantity=1)
    # 1,000 delivered − 100 refunded + 100 of the later delivery: exactly the cap.
    assert clinic.box_balance(box["resident"], D(2026, 6, 1)).used_fen == 100000


def test_void_withdraws_a_delivery_with_its_versions(clinic, box) -> None:
    first = clinic.deliver(box["item"], quantity=10, unit_price_fen=1000,
                           delivered_on=D(2026, 2, 1))
    fixed = clinic.correct_delivery(first, reason="单价", unit_price_fen=900)
    clinic.void_delivery(fixed, "录错了人")
    assert left(clinic, box, D(2026, 2, 2)) == 100000
    assert {clinic.store.get("deliveries", i)["deleted"] for i in (first, fixed)} == {1}


def test_fund_only_for_the_profile_diseases_and_registered_patients(clinic, box) -> None:
    other = clinic.add_box_item(box["box"], "阿司匹林肠溶片", strength="100mg×30片",
                                condition_code="chd", units_per_day=1)
    with pytest.raises(ValidationFailed, match="不在免费慢病用药病种"):
        clinic.deliver(other, quantity=1, unit_price_fen=1500)
    clinic.deliver(other, quantity=1, unit_price_fen=1500, patient_fen=1500, free_fund_fen=0)
    diabetes = clinic.add_box_item(box["box"], "二甲双胍片", condition_code="diabetes",
                                   units_per_day=3)
    with pytest.raises(ValidationFailed, match="没有登记2型糖尿病"):
        clinic.deliver(diabetes, quantity=1, unit_price_fen=980)
    assert clinic.suggest_split(diabetes, 980) == Split(0, 0, 980)


def test_no_fund_without_a_profile_rule_and_the_top_up_share(clinic, box) -> None:
    clinic.set_profile("national")  # the national default sets no free-medicine fund
    with pytest.raises(ValidationFailed, match="没有免费慢病用药基金"):
        clinic.deliver(box["item"], quantity=1, unit_price_fen=1000)
    assert clinic.box_balance(box["resident"]).left_fen is None
    clinic.set_profile("guyang")  # 003: the government tops up to 95%, no yearly cap
    split = clinic.suggest_split(box["item"], 10000, insurance_fen=8000)
    assert split == Split(8000, 1500, 500)
    with pytest.raises(ValidationFailed, match=r"最多支付 15\.00 元"):
        clinic.deliver(box["item"], quantity=1, unit_price_fen=10000, insurance_fen=8000,
                       free_fund_fen=2000, patient_fen=0)
    clinic.deliver(box["item"], quantity=1, unit_price_fen=10000, insurance_fen=8000,
                   free_fund_fen=1500, patient_fen=500)


def test_schema_check_holds_even_past_the_facade(clinic, box) -> None:
    with pytest.raises(sqlite3.IntegrityError), clinic.db.atomic():
        clinic.store.insert("deliveries", {
            "box_id": box["box"], "resident_id": box["resident"], "delivered_on": "2026-01-01",
            "medicine": "x", "quantity": 1, "unit_price_fen": 100, "insurance_fen": 0,
            "free_fund_fen": 50, "patient_fen": 0})


def test_stopped_medicines_cannot_be_delivered(clinic, box) -> None:
    clinic.stop_box_item(box["item"], "医嘱换药", D(2026, 10, 1))
    with pytest.raises(ValidationFailed, match="已停用"):
        clinic.deliver(box["item"], quantity=1, unit_price_fen=100)
    item = clinic.medicine_box(box["resident"]).items[0]["item"]
    assert (item.active, item.stopped_on, item.stop_reason) == (0, D(2026, 10, 1), "医嘱换药")
    with pytest.raises(ValidationFailed, match="已有慢病小药箱"):
        clinic.open_box(box["resident"])


def test_days_left_and_runs_out_list(clinic, box) -> None:
    assert medicine.pack_size_from("5mg×28片") == 28
    assert medicine.pack_size_from("0.5g*48片") == 48
    assert medicine.pack_size_from("10ml") is None
    # 2 packs of 28 on 10-01: to 11-26; 1 more on 10-20 starts when those end: to 12-24.
    clinic.deliver(box["item"], quantity=2, unit_price_fen=1850, delivered_on=D(2026, 10, 1))
    view = clinic.medicine_box(box["resident"], D(2026, 11, 23))
    supply = view.items[0]["supply"]
    assert supply.runs_out_on == D(2026, 11, 26) and supply.days_left == 3
    assert [r["name"] for r in clinic.runs_out_soon(D(2026, 11, 23))] == ["王建国"]
    clinic.deliver(box["item"], quantity=1, unit_price_fen=1850, delivered_on=D(2026, 10, 20))
    supply = clinic.medicine_box(box["resident"], D(2026, 11, 23)).items[0]["supply"]
    assert supply.runs_out_on == D(2026, 12, 24) and supply.text() == "还够 31 天"
    assert clinic.runs_out_soon(D(2026, 11, 23)) == []
    assert clinic.runs_out_soon(D(2026, 11, 23), within=40)[0]["days_left"] == 31
    # A returned pack takes its days back.
    last = clinic.medicine_box(box["resident"]).deliveries[0]["id"]
    clinic.refund_delivery(last, 1, on=D(2026, 11, 1), reason="停药")
    assert clinic.runs_out_soon(D(2026, 11, 23))[0]["runs_out_on"] == "2026-11-26"
    # A typed pack size wins over the 规格 text; 3 a day.
    tid = clinic.add_box_item(box["box"], "二甲双胍片", strength="0.5g", units_per_day=3,
                              pack_size=48, condition_code="hypertension")
    clinic.deliver(tid, quantity=1, unit_price_fen=980, delivered_on=D(2026, 11, 20))
    rows = {r["medicine"]: r for r in clinic.runs_out_soon(D(2026, 11, 23), within=30)}
    assert rows["二甲双胍片"]["runs_out_on"] == "2026-12-06"


def test_quarterly_report_totals_match_the_deliveries_to_the_fen(clinic, box, tmp_path):
    other_village = clinic.add_place("village", "新庄村")
    other = make_household(clinic, other_village, head="赵小梅")
    clinic.add_condition(other.head_id, "hypertension", D(2021, 1, 1))
    other_item = clinic.add_box_item(clinic.open_box(other.head_id), "硝苯地平缓释片",
                                     strength="20mg×30片", condition_code="hypertension",
                                     units_per_day=2)
    a = clinic.deliver(box["item"], quantity=3, unit_price_fen=1851, insurance_fen=3331,
                       delivered_on=D(2026, 7, 3), receipt_no="R1", delivered_by=box["doctor"])
    clinic.deliver(box["item"], quantity=7, unit_price_fen=333, insurance_fen=1001,
                   delivered_on=D(2026, 9, 30), receipt_no="R2")
    b = clinic.deliver(other_item, quantity=5, unit_price_fen=1260, insurance_fen=3779,
                       delivered_on=D(2026, 8, 15), receipt_no="R3")
    clinic.correct_delivery(b, reason="单价", unit_price_fen=1261, insurance_fen=3780)
    clinic.refund_delivery(a, 1, on=D(2026, 8, 1), reason="停药")
    clinic.deliver(box["item"], quantity=1, unit_price_fen=999, delivered_on=D(2026, 10, 1))
    clinic.deliver(box["item"], quantity=1, unit_price_fen=999, delivered_on=D(2026, 6, 30))

    report = clinic.export_medicine_report(tmp_path / "q3.xlsx", "2026Q3")
    assert report.due_on is None  # 新宾 sets no reconciliation day; 中卫 does
    sql = clinic.db.execute("""
        SELECT count(*), sum(quantity * unit_price_fen), sum(insurance_fen), sum(free_fund_fen),
               sum(patient_fen) FROM deliveries d WHERE deleted = 0
          AND delivered_on BETWEEN '2026-07-01' AND '2026-09-30'
          AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.corrects_id = d.id
                          AND n.deleted = 0)""").fetchone()
    totals = report.totals
    assert (len(report.rows), totals["total_fen"], totals["insurance_fen"],
            totals["free_fund_fen"], totals["patient_fen"]) == sql
    assert sql[0] == 4  # two deliveries, the corrected one, the refund

    book = openpyxl.load_workbook(tmp_path / "q3.xlsx")
    lines = list(book.active.iter_rows(values_only=True))
    header = lines[0]
    money = [header.index(h) for h in ("金额(元)", "医保(元)", "免费药品基金(元)", "个人(元)")]

    def fen(value: object) -> int:
        return int(Decimal(str(value)) * 100)

    detail = [r for r in lines[1:] if r[0] not in ("合计",) and not str(r[3]).startswith("小计")]
    subtotal = [r for r in lines[1:] if str(r[3]).startswith("小计")]
    total = next(r for r in lines if r[0] == "合计")
    assert len(detail) == 4 and len(subtotal) == 2
    for i, column in enumerate(money):
        assert sum(fen(r[column]) for r in detail) == fen(total[column]) == sql[i + 1]
        assert sum(fen(r[column]) for r in subtotal) == sql[i + 1]
    assert all(isinstance(r[header.index("身份证号")], str) for r in detail)
    kinds = [r[header.index("类型")] for r in detail]
    assert kinds.count("退药") == 1

    clinic.set_profile("zhongwei")
    assert clinic.medicine_report("2026Q3").due_on == D(2026, 10, 10)
    with pytest.raises(ValidationFailed, match="季度"):
        clinic.medicine_report("2026Q5")
    assert medicine.parse_quarter("2026年第3季度") == (2026, 3)


def test_last_price_of_an_item_comes_from_its_newest_current_delivery(clinic, box) -> None:
    assert medicine.last_unit_price(clinic.medicine_box(box["resident"]).deliveries,
                                    box["item"]) is None
    first = clinic.deliver(box["item"], quantity=1, unit_price_fen=1850,
                           delivered_on=D(2026, 10, 1))
    clinic.deliver(box["item"], quantity=1, unit_price_fen=2240, delivered_on=D(2026, 11, 2))
    clinic.deliver(box["item"], quantity=1, unit_price_fen=1990, delivered_on=D(2026, 3, 2))
    rows = clinic.medicine_box(box["resident"]).deliveries
    assert medicine.last_unit_price(rows, box["item"]) == 2240
    assert medicine.last_unit_price(rows, "another-item") is None
    # A corrected price replaces the old one; a refund is not a price.
    newest = next(r["id"] for r in rows if r["unit_price_fen"] == 2240)
    clinic.correct_delivery(newest, reason="单价录错", quantity=1, unit_price_fen=2250,
                            delivered_on=D(2026, 11, 2))
    clinic.refund_delivery(first, 1, on=D(2026, 11, 3), reason="停药")
    rows = clinic.medicine_box(box["resident"]).deliveries
    assert medicine.last_unit_price(rows, box["item"]) == 2250


def test_every_synced_table_names_what_was_not_found(clinic) -> None:
    assert [t for t in SYNCED_TABLES if t not in clinic_module.TABLE_LABELS] == []
    with pytest.raises(NotFoundError, match="找不到这条体检记录"):
        clinic.correct_checkup("no-such-id", "2026-11-23", {}, "录错")
    with pytest.raises(NotFoundError, match="找不到这条发药记录"):
        clinic.void_delivery("no-such-id", "录错")


def test_last_insurance_share_warns_of_a_forgotten_settlement() -> None:
    from clinic_app.domain.medicine import last_insurance_share

    rows = [{"item_id": "a", "kind": "delivery", "current": 1, "delivered_on": "2026-10-01",
             "created_at": "1", "quantity": 2, "unit_price_fen": 1000, "insurance_fen": 1200},
            {"item_id": "a", "kind": "delivery", "current": 0, "delivered_on": "2026-11-01",
             "created_at": "2", "quantity": 1, "unit_price_fen": 1000, "insurance_fen": 0}]
    assert last_insurance_share(rows, "a") == 60  # the replaced row does not count
    assert last_insurance_share(rows, "b") is None
    rows[0]["insurance_fen"] = 0
    assert last_insurance_share(rows, "a") is None
