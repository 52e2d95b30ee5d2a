"""明白卡, visit list, follow-up forms, checkup report and monthly report: each PDF's text has
the right people, doctors, phones and policy lines on the right pages, and the report's numbers
are real counts of what the register holds."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from factories import (
    FIXED_TODAY,
    Family,
    Practice,
    make_doctor,
    make_household,
    make_village,
    open_clinic,
    sign,
)
from pypdf import PdfReader
from reportlab.lib.pagesizes import A5

from clinic_app.clinic import Clinic
from clinic_app.domain import followup
from clinic_app.printing import (
    NothingToPrint,
    checkup_report_pdf,
    contact_cards_pdf,
    follow_up_forms_pdf,
    household_cards_pdf,
    monthly_report_pdf,
    visit_list_pdf,
)
from clinic_app.printing.report import compute

D = dt.date
BIG_FAMILY = (("热依拉·买买提明", "配偶", "女"), ("古丽米娜·阿卜杜热合曼", "之女", "女"),
              ("艾克拜尔·买买提明·阿卜杜热合曼", "之子", "男"), ("帕尔哈提·买买提明", "之子", "男"),
              ("迪丽努尔·艾力", "之儿媳", "女"), ("吐尔逊·帕尔哈提", "之孙子", "男"),
              ("古再丽·帕尔哈提", "之孙女", "女"), ("努尔兰·艾克拜尔", "之孙子", "男"),
              ("阿依夏木·艾克拜尔", "之孙女", "女"))
XINBIN_HOUSEHOLD = ("未脱贫人员患国家规定的94种疾病，合规费用由专项基金全额兜底。",
                    "14种大病、34种重病：报销后限额内合规自付部分由专项基金补偿。")
GUYANG_HOUSEHOLD = ("住院实际报销比例达95%，个人只需支付实际花销的5%。",
                    "食管癌、胃癌等9种大病到定点医院集中救治。")


def texts(pdf: bytes) -> list[str]:
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@dataclass
class Register:
    clinic: Clinic
    li: Practice
    village_id: str
    big_household: str
    big_head: str
    big_members: list[str]
    small_household: str
    patient: str  # hypertension, visited, uncontrolled at the last visit
    diabetic: str  # never visited


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Register]:
    clinic = open_clinic(tmp_path_factory.mktemp("docs") / "clinic.db")
    clinic.set_profile("xinbin")
    clinic.set_setting("clinic_name", "红庙子乡卫生院")
    village = make_village(clinic, "四道沟村", "红庙子乡")
    li = make_doctor(clinic, "李建国", "13912345678", "四道沟村家庭医生团队", "0413-5551234")
    big = make_household(clinic, village.village_id, "2104220010001",
                         head="阿卜杜热合曼·买买提明·艾力", members=BIG_FAMILY,
                         phone="13700000001")
    for rid in [big.head_id, *big.member_ids]:
        sign(clinic, rid, li)
    small = make_household(clinic, village.village_id, "2104220010002", head="王德胜",
                           members=(("李秀兰", "配偶", "女"),), phone="13700000002")
    clinic.add_condition(small.head_id, "hypertension", D(2015, 3, 1))
    sign(clinic, small.head_id, li, "chronic")
    for day, sbp, dbp in ((D(2026, 8, 1), 128, 78), (D(2026, 11, 9), 162, 96)):
        clinic.record_follow_up(small.head_id, "hypertension", {
            "visit_date": day, "method": "home", "sbp": sbp, "dbp": dbp, "weight_kg": 70,
            "height_cm": 168, "heart_rate": 76, "salt": "heavy", "adherence": "regular",
            "medicines": "硝苯地平缓释片 每日2次 每次10mg", "doctor_id": li.doctor_id})
    clinic.add_condition(small.member_ids[0], "diabetes", D(2024, 1, 1))
    box = clinic.open_box(small.head_id, D(2026, 1, 5))
    clinic.add_box_item(box, "硝苯地平缓释片", strength="10mg×30片", dose="每日2次",
                        condition_code="hypertension", units_per_day=2)
    yield Register(clinic, li, village.village_id, big.household_id, big.head_id,
                   big.member_ids, small.household_id, small.head_id, small.member_ids[0])
    clinic.close()


# ------------------------------------------------------------------------- 明白卡


def test_household_card_lists_every_member_doctor_phone_and_policy(register: Register) -> None:
    out = household_cards_pdf(register.clinic, village_id=register.village_id)
    assert [i.subject_id for i in out.items] == [register.big_household,
                                                 register.small_household]
    pages = texts(out.pdf)
    big, small = out.items
    assert big.pages[0] == 1 and small.pages[0] == big.pages[-1] + 1  # each household apart
    big_text = "".join(pages[p - 1] for p in big.pages)
    small_text = "".join(pages[p - 1] for p in small.pages)
    for name in ["阿卜杜热合曼·买买提明·艾力", *(m[0] for m in BIG_FAMILY)]:
        assert name in big_text, name  # long names wrap inside their cell, never cut
        assert name not in small_text
    for expected in ("李建国", "13912345678", "0413-5551234", "2104220010001", "四道沟村",
                     "健康扶贫政策明白卡", "签字"):
        assert expected in big_text, expected
    for line in XINBIN_HOUSEHOLD:
        assert line in big_text and line in small_text
    # What the policy pays, from the profile (新宾: free medicine up to 1,000 元 a year).
    assert "免费慢病用药每人每年限额" in small_text and "1,000元" in small_text
    assert "免收挂号费" in small_text
    # The patient's promises and medicine box.
    assert "高血压患者每年面对面随访不少于4次" in small_text
    assert "硝苯地平缓释片" in small_text and "慢病小药箱" in small_text
    assert "高血压患者每年面对面随访" not in big_text  # nobody there has hypertension
    assert "王德胜" in small_text and "李秀兰" in small_text


def test_household_cards_of_xinbin_and_guyang_print_their_own_policy(tmp_path: Path) -> None:
    """Issue 8: the cards of a 新宾 household print its policy lines and a 固阳 one its own."""
    printed = {}
    for profile in ("xinbin", "guyang"):
        clinic = open_clinic(tmp_path / f"{profile}.db")
        clinic.set_profile(profile)
        village = make_village(clinic)
        family = make_household(clinic, village.village_id, "001")
        sign(clinic, family.head_id, make_doctor(clinic))
        printed[profile] = "".join(texts(household_cards_pdf(
            clinic, household_ids=[family.household_id]).pdf))
        clinic.close()
    for line in XINBIN_HOUSEHOLD:
        assert line in printed["xinbin"] and line not in printed["guyang"]
    for line in GUYANG_HOUSEHOLD:
        assert line in printed["guyang"] and line not in printed["xinbin"]
    assert "95%" in printed["guyang"]  # 住院实际报销比例目标 from the profile's rules
    assert "新宾满族自治县2018" in printed["xinbin"] and "固阳县2017" in printed["guyang"]


def _couple_and_doctor(path: Path) -> tuple[Clinic, Family, Practice]:
    """赵长顺 (head) and 钱桂芝 in one household, and a doctor, 孙立平, to sign with."""
    clinic = open_clinic(path)
    village = make_village(clinic)
    family = make_household(clinic, village.village_id, "001", head="赵长顺",
                            members=(("钱桂芝", "配偶", "女"),))
    return clinic, family, make_doctor(clinic, "孙立平", "13900000009")


def test_household_card_says_a_lapsed_contract_lapsed(tmp_path: Path) -> None:
    """A member whose contract ran out reads 到期，请续约 (with the date), not 未签约, and
    the lapsed doctor is no longer offered as the one to call."""
    clinic, family, old = _couple_and_doctor(tmp_path / "lapsed.db")
    contract = sign(clinic, family.head_id, old, start=FIXED_TODAY - dt.timedelta(days=800))
    end_on = clinic.contract(contract).end_on.isoformat()
    assert end_on < FIXED_TODAY.isoformat()
    text = "".join(texts(household_cards_pdf(clinic, household_ids=[family.household_id]).pdf))
    clinic.close()
    assert f"签约已于{end_on}到期请续约" in text
    assert text.count("未签约") == 1  # the spouse, who never signed
    assert "孙立平" not in text and "13900000009" not in text


def test_cards_speak_for_the_contract_that_matters(tmp_path: Path) -> None:
    """A refused renewal is 已解约 on the cards (not the older contract's 到期，请续约); a
    renewal signed early does not hide the contract in force today."""
    clinic, family, doctor = _couple_and_doctor(tmp_path / "ended.db")
    first = sign(clinic, family.head_id, doctor, start=FIXED_TODAY - dt.timedelta(days=400))
    renewal = clinic.renew_contract(first)
    clinic.end_contract(renewal, "refused", FIXED_TODAY)
    current = sign(clinic, family.member_ids[0], doctor,
                   start=FIXED_TODAY - dt.timedelta(days=360))
    clinic.renew_contract(current)  # signed early: starts in five days
    text = "".join(texts(household_cards_pdf(clinic, household_ids=[family.household_id]).pdf))
    assert f"已于{FIXED_TODAY}解约本人拒绝" in text and "请续约" not in text
    assert clinic.contract(current).start_on.isoformat() in text  # the term in force
    out = contact_cards_pdf(clinic, household_ids=[family.household_id])
    clinic.close()
    assert [(s.name, s.code) for s in out.skipped] == [("赵长顺", "ended")]
    assert "解约（本人拒绝）" in out.skipped[0].reason
    assert [i.label for i in out.items] == ["钱桂芝"]


def test_household_card_on_a5(register: Register) -> None:
    out = household_cards_pdf(register.clinic, household_ids=[register.small_household],
                              paper="A5")
    page = PdfReader(io.BytesIO(out.pdf)).pages[0]
    assert float(page.mediabox.width) == pytest.approx(A5[0], abs=0.01)
    assert "王德胜" in texts(out.pdf)[0]


# ------------------------------------------------------------------------- visit list


def test_visit_list_has_the_due_patients_most_urgent_first(register: Register) -> None:
    out = visit_list_pdf(register.clinic, village_id=register.village_id)
    text = "".join(texts(out.pdf))
    assert "随访工作单" in text and "四道沟村" in text and str(FIXED_TODAY) in text
    assert "王德胜" in text and "13700000002" in text  # the household phone
    assert "李秀兰" in text and "从未随访" in text
    assert "血压162/96" in text
    assert text.index("王德胜") < text.index("李秀兰")  # uncontrolled before never visited
    assert "阿卜杜热合曼" not in text  # nobody in that household is a patient
    assert out.items[0].subject_id == register.village_id


# ------------------------------------------------------------------------- follow-up forms


@pytest.mark.parametrize("form", list(followup.FORMS))
def test_blank_forms_print_every_field_and_choice_boxes(register: Register, form: str) -> None:
    out = follow_up_forms_pdf(register.clinic, form=form, copies=2)
    assert out.pages == 2
    text = texts(out.pdf)[0]
    assert followup.FORMS[form].replace("、", "") in text.replace("、", "")
    for spec in followup.fields_of(form):
        if spec.key in ("dbp", "override_reason"):
            continue
        label = "血压" if spec.key == "sbp" else spec.label
        assert label in text, label
        for _code, choice in spec.choice_items()[:2]:
            assert f"□{choice}" in text, choice


def test_filled_form_shows_the_visits_and_leaves_columns_for_the_next(
        register: Register) -> None:
    clinic = register.clinic
    out = follow_up_forms_pdf(clinic, resident_ids=[register.patient], blank_columns=1)
    (page,) = texts(out.pdf)
    assert "高血压患者随访服务记录表" in page and "王德胜" in page
    assert "128/78" in page and "162/96" in page
    assert page.index("128/78") < page.index("162/96")  # oldest on the left
    assert "2026-08-01" in page and "2026-11-09" in page
    assert "李建国" in page and "硝苯地平缓释片每日2次每次10mg" in page
    assert "家庭" in page and "重" in page and "规律" in page
    assert "□门诊" in page  # the empty columns still offer the choices
    assert out.items[0].subject_id == register.patient


def test_filled_form_prints_data_keys_no_field_describes(register: Register) -> None:
    """A key of the data column from another version is printed under 其他记录."""
    clinic = register.clinic
    visit = clinic.follow_ups(register.patient)[0]
    data = {**visit.data, "legacy_note": "旧版本记录的内容"}
    with clinic._write() as store:  # as an older version would have stored it
        store.update("follow_ups", visit.id, {"data": json.dumps(data, ensure_ascii=False)})
    try:
        out = follow_up_forms_pdf(clinic, resident_ids=[register.patient])
        page = texts(out.pdf)[0]
        assert "其他记录：legacy_note" in page and "旧版本记录的内容" in page
    finally:
        with clinic._write() as store:
            store.update("follow_ups", visit.id,
                         {"data": json.dumps(visit.data, ensure_ascii=False)})


def test_round_forms_are_for_the_patients_on_the_work_list(register: Register) -> None:
    out = follow_up_forms_pdf(register.clinic, village_id=register.village_id)
    assert {i.subject_id for i in out.items} == {register.patient, register.diabetic}
    pages = texts(out.pdf)
    for item in out.items:
        page = pages[item.pages[0] - 1]
        name = "王德胜" if item.subject_id == register.patient else "李秀兰"
        assert name in page
    with pytest.raises(NothingToPrint):
        follow_up_forms_pdf(register.clinic, resident_ids=[register.big_head])


# ------------------------------------------------------------------------- checkup report


def test_checkup_report_prints_the_items_done_and_the_findings(register: Register) -> None:
    clinic = register.clinic
    clinic.record_checkup(register.big_members[0], D(2026, 10, 12), {
        "temperature": "36.6", "sbp_left": "168", "dbp_left": "98", "height_cm": "158",
        "weight_kg": "66", "fasting_glucose": "6.1", "total_cholesterol": "6.4",
        "smoking": "never", "ecg": "normal"}, doctor_id=register.li.doctor_id)
    out = checkup_report_pdf(clinic, [register.big_members[0], register.big_members[1]])
    assert [s.code for s in out.skipped] == ["no_checkup"]
    (page,) = texts(out.pdf)
    for expected in ("健康体检报告", "热依拉·买买提明", "2026-10-12", "李建国", "150.00元",
                     "36.6℃", "168mmHg", "体质指数", "26.4kg/m²", "超重", "6.4mmol/L", "偏高",
                     "从不吸烟", "有异常"):
        assert expected in page, expected


# ------------------------------------------------------------------------- monthly report


def test_monthly_report_counts_what_the_register_holds(tmp_path: Path) -> None:
    clinic = open_clinic(tmp_path / "m.db")
    clinic.set_profile("xinbin")
    a = make_village(clinic, "东村", "红庙子乡")
    b = clinic.add_place("village", "西村", a.township_id)
    doctor = make_doctor(clinic)
    one = make_household(clinic, a.village_id, "A1", head="赵一", members=(("钱二", "配偶", "女"),))
    two = make_household(clinic, a.village_id, "A2", head="孙三")
    three = make_household(clinic, b, "B1", head="李四")
    sign(clinic, one.head_id, doctor, "chronic", start=D(2026, 11, 5))  # signed this month
    sign(clinic, two.head_id, doctor, start=D(2026, 3, 1))
    sign(clinic, one.member_ids[0], doctor, start=D(2025, 1, 1))  # ran out 2025-12-31
    clinic.add_condition(one.head_id, "hypertension", D(2015, 1, 1))
    for day, sbp in ((D(2026, 8, 1), 128), (D(2026, 11, 20), 132)):
        clinic.record_follow_up(one.head_id, "hypertension", {
            "visit_date": day, "sbp": sbp, "dbp": 80, "doctor_id": doctor.doctor_id})
    clinic.add_condition(three.head_id, "diabetes", D(2019, 1, 1))
    clinic.record_follow_up(three.head_id, "diabetes", {"visit_date": D(2026, 9, 1),
                                                         "fasting_glucose": 8.0})
    clinic.record_checkup(one.head_id, D(2026, 11, 10), {"sbp_left": "130", "dbp_left": "80"})
    clinic.record_checkup(two.head_id, D(2026, 5, 1), {"temperature": "36.5"})
    clinic.record_checkup(three.head_id, D(2025, 6, 1), {"temperature": "36.5"})  # last year
    box = clinic.open_box(one.head_id, D(2026, 1, 1))
    item = clinic.add_box_item(box, "硝苯地平缓释片", condition_code="hypertension")
    clinic.deliver(item, quantity=2, unit_price_fen=1500, delivered_on=D(2026, 11, 12),
                   insurance_fen=1000, free_fund_fen=2000, patient_fen=0)
    clinic.deliver(item, quantity=1, unit_price_fen=1500, delivered_on=D(2026, 10, 12),
                   insurance_fen=1500, free_fund_fen=0, patient_fen=0)  # last month
    # A delivery typed wrong and corrected counts once, at its corrected values.
    wrong = clinic.deliver(item, quantity=9, unit_price_fen=1500, delivered_on=D(2026, 11, 2),
                           insurance_fen=13500, free_fund_fen=0, patient_fen=0)
    clinic.correct_delivery(wrong, reason="数量录错", quantity=1, insurance_fen=1500)

    report = compute(clinic, "2026-11")
    assert report.until == FIXED_TODAY  # the month is still running
    east, west = report.villages
    assert (east.village, west.village) == ("东村", "西村")
    assert (east.households, east.residents, east.contracted, east.signed_in_month) == (2, 3, 2, 1)
    assert (west.households, west.residents, west.contracted) == (1, 1, 0)
    assert (east.patients, east.patients_contracted, east.hypertension) == (1, 1, 1)
    # 赵一 was due on 2026-10-31 (91 days after a controlled visit) and came on 11-20;
    # 李四 was due on 09-15 (uncontrolled: two weeks) and has not come.
    assert (east.due, east.due_visited, east.visits) == (1, 1, 1)
    assert (west.due, west.due_visited, west.visits, west.diabetes) == (1, 0, 0, 1)
    assert (east.bp_measured, east.bp_controlled) == (1, 1)
    assert (east.checkups_month, east.checkups_year, west.checkups_year) == (1, 2, 0)
    assert (east.medicine_fen, east.insurance_fen, east.free_fund_fen) == (4500, 2500, 2000)
    total = report.total
    assert (total.residents, total.contracted, total.due, total.due_visited) == (4, 2, 2, 1)

    out, numbers = monthly_report_pdf(clinic, "2026-11")
    assert numbers.total.residents == 4
    (page,) = texts(out.pdf)
    for expected in ("健康扶贫月报（2026年11月）", "东村", "西村", "合计", "66.7%", "50.0%",
                     "45.00", "20.00", "目标100%", "本月尚未结束"):
        assert expected in page, expected
    october = compute(clinic, "2026-10")
    assert october.total.medicine_fen == 1500 and october.total.signed_in_month == 0
    with pytest.raises(Exception, match="还没有到"):
        compute(clinic, "2027-01")
    clinic.close()


def test_monthly_report_sees_visits_beyond_the_newest_three(tmp_path: Path) -> None:
    """A hypertension visit followed by three mental-health visits is still a visit."""
    clinic = open_clinic(tmp_path / "m.db")
    village = make_village(clinic, "东村")
    person = make_household(clinic, village.village_id, head="赵一").head_id
    clinic.add_condition(person, "hypertension", D(2019, 1, 1))
    clinic.add_condition(person, "severe_mental", D(2019, 1, 1))
    with clinic.db.atomic():  # registered years ago, as a real register's people are
        clinic.db.execute("UPDATE residents SET created_at = '2020-01-01T00:00:00+00:00' "
                          "WHERE id = ?", [person])
    clinic.record_follow_up(person, "hypertension", {"visit_date": D(2026, 9, 5),
                                                      "sbp": "128", "dbp": "80"})
    for day in (10, 17, 24):
        clinic.record_follow_up(person, "severe_mental", {"visit_date": D(2026, 9, day),
                                                           "risk_level": "0",
                                                           "insight": "full"})
    (east,) = compute(clinic, "2026-10").villages
    assert east.due == 0  # hypertension next due 12-05, mental health in December too
    clinic.close()


def test_paper_names_the_policy_document_not_the_settings_label() -> None:
    from clinic_app.domain.policy import load_library
    from clinic_app.printing.content import policy_source

    library = load_library()
    assert policy_source(library.get("national")) == "国家基本公共卫生服务规范"
    assert policy_source(library.get("xinbin")) == library.get("xinbin").name
