"""Regression tests for the review of checkups and medicine boxes (issue 6).

Two writers on one register — the window and the command line, or a sync — can both pass a
check made before either opened its write transaction. Each race here is staged with two
``Clinic`` objects on the same file: the second writes in the moment between the first one's
checks and its transaction, so a check made outside the transaction sees stale data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from factories import make_household, make_village, open_clinic

from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError, ValidationFailed

D = dt.date


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "c.db"


@pytest.fixture
def clinic(path: Path) -> Iterator[Clinic]:
    c = open_clinic(path)
    c.set_profile("xinbin")  # 001: free chronic medicine, 1000 元 a person a year
    yield c
    c.close()


@pytest.fixture
def other(path: Path, clinic: Clinic) -> Iterator[Clinic]:
    """A second writer on the same file (another window, the command line)."""
    c = open_clinic(path)
    yield c
    c.close()


@pytest.fixture
def box(clinic: Clinic) -> dict[str, str]:
    village = make_village(clinic)
    family = make_household(clinic, village.village_id, head="王建国")
    clinic.add_condition(family.head_id, "hypertension", D(2020, 1, 1))
    box_id = clinic.open_box(family.head_id, D(2025, 1, 2))
    item = clinic.add_box_item(box_id, "苯磺酸氨氯地平片", strength="5mg×28片",
                               condition_code="hypertension", units_per_day=1)
    return {"resident": family.head_id, "box": box_id, "item": item}


def meanwhile(monkeypatch: pytest.MonkeyPatch, clinic: Clinic,
              competitor: Callable[[], object]) -> list[object]:
    """Run `competitor` (another writer) just before `clinic` opens its next write
    transaction, i.e. after every check made outside it. Returns what it returned."""
    original = clinic._write
    done: list[object] = []

    @contextmanager
    def write() -> Iterator[object]:
        if not done:
            done.append(competitor())
        with original() as store:
            yield store

    monkeypatch.setattr(clinic, "_write", write)
    return done


# ---------------------------------------------------------------------- medicine box
def test_two_deliveries_cannot_together_pass_the_cap(clinic, other, box, monkeypatch) -> None:
    clinic.deliver(box["item"], quantity=40, unit_price_fen=2000, delivered_on=D(2026, 5, 1))
    assert clinic.box_balance(box["resident"], D(2026, 6, 1)).left_fen == 20000
    # Both deliveries fit in the 200 元 left on their own; together they do not.
    done = meanwhile(monkeypatch, clinic, lambda: other.deliver(
        box["item"], quantity=15, unit_price_fen=1000, delivered_on=D(2026, 6, 1)))
    with pytest.raises(ValidationFailed) as refused:
        clinic.deliver(box["item"], quantity=15, unit_price_fen=1000,
                       delivered_on=D(2026, 6, 2))
    assert done and "只剩 50.00 元" in refused.value.fields["free_fund_fen"]
    balance = clinic.box_balance(box["resident"], D(2026, 6, 2))
    assert (balance.used_fen, balance.left_fen) == (95000, 5000)
    assert clinic.count("deliveries") == 2


def test_two_refunds_cannot_together_return_more_than_was_delivered(
        clinic, other, box, monkeypatch) -> None:
    sent = clinic.deliver(box["item"], quantity=3, unit_price_fen=1850,
                          delivered_on=D(2026, 5, 1))
    meanwhile(monkeypatch, clinic, lambda: other.refund_delivery(
        sent, 2, on=D(2026, 5, 3), reason="停药"))
    with pytest.raises(ValidationFailed) as refused:
        clinic.refund_delivery(sent, 2, on=D(2026, 5, 4), reason="停药")
    assert "最多还能退 1盒" in refused.value.fields["quantity"]
    refunded = [d for d in clinic.medicine_box(box["resident"]).deliveries
                if d["kind"] == "refund"]
    assert [d["quantity"] for d in refunded] == [-2]


def test_a_refund_of_a_delivery_corrected_meanwhile_is_refused(
        clinic, other, box, monkeypatch) -> None:
    sent = clinic.deliver(box["item"], quantity=3, unit_price_fen=1850,
                          delivered_on=D(2026, 5, 1))
    meanwhile(monkeypatch, clinic, lambda: other.correct_delivery(
        sent, reason="数量录错", quantity=2))
    with pytest.raises(ClinicError, match="已被更正"):
        clinic.refund_delivery(sent, 1, on=D(2026, 5, 4), reason="停药")
    assert [d["kind"] for d in clinic.medicine_box(box["resident"]).deliveries
            if d["current"]] == ["delivery"]


def test_correcting_a_delivery_refunded_meanwhile_is_refused(
        clinic, other, box, monkeypatch) -> None:
    sent = clinic.deliver(box["item"], quantity=3, unit_price_fen=1850,
                          delivered_on=D(2026, 5, 1))
    meanwhile(monkeypatch, clinic, lambda: other.refund_delivery(
        sent, 1, on=D(2026, 5, 3), reason="停药"))
    with pytest.raises(ClinicError, match="已有退药记录"):
        clinic.correct_delivery(sent, reason="单价录错", unit_price_fen=1800)
    # The refund still refers to the delivery that is current.
    rows = {d["id"]: d for d in clinic.medicine_box(box["resident"]).deliveries}
    assert rows[sent]["current"] and len(rows) == 2


def test_two_corrections_of_one_delivery_do_not_both_land(
        clinic, other, box, monkeypatch) -> None:
    sent = clinic.deliver(box["item"], quantity=3, unit_price_fen=1850,
                          delivered_on=D(2026, 5, 1))
    meanwhile(monkeypatch, clinic, lambda: other.correct_delivery(
        sent, reason="数量录错", quantity=2))
    with pytest.raises(ClinicError, match="更正"):
        clinic.correct_delivery(sent, reason="单价录错", unit_price_fen=1800)
    current = [d for d in clinic.medicine_box(box["resident"]).deliveries if d["current"]]
    assert [(d["quantity"], d["unit_price_fen"]) for d in current] == [(2, 1850)]


def test_voiding_a_delivery_corrected_meanwhile_is_refused(
        clinic, other, box, monkeypatch) -> None:
    sent = clinic.deliver(box["item"], quantity=3, unit_price_fen=1850,
                          delivered_on=D(2026, 5, 1))
    meanwhile(monkeypatch, clinic, lambda: other.correct_delivery(
        sent, reason="数量录错", quantity=2))
    with pytest.raises(ClinicError, match="已被更正"):
        clinic.void_delivery(sent, "录错人")
    # Otherwise the original was gone and its correction still counted as a delivery.
    current = [d for d in clinic.medicine_box(box["resident"]).deliveries if d["current"]]
    assert [d["quantity"] for d in current] == [2]


def test_a_second_box_opened_meanwhile_is_refused(clinic, other, monkeypatch) -> None:
    village = make_village(clinic)
    person = make_household(clinic, village.village_id, head="王建国").head_id
    meanwhile(monkeypatch, clinic, lambda: other.open_box(person, D(2026, 1, 2)))
    with pytest.raises(ValidationFailed, match="已有慢病小药箱"):
        clinic.open_box(person, D(2026, 1, 3))
    assert clinic.count("medicine_boxes") == 1


# ---------------------------------------------------------------------- checkups
@pytest.fixture
def checked(clinic: Clinic) -> dict[str, str]:
    village = make_village(clinic)
    person = make_household(clinic, village.village_id, head="张三").head_id
    first = clinic.record_checkup(person, D(2026, 3, 1), {"sbp_left": "150", "dbp_left": "95"})
    return {"resident": person, "checkup": first.id}


def test_two_corrections_of_one_checkup_do_not_both_land(clinic, other, checked,
                                                         monkeypatch) -> None:
    meanwhile(monkeypatch, clinic, lambda: other.correct_checkup(
        checked["checkup"], D(2026, 3, 1), {"sbp_left": "130", "dbp_left": "85"}, "血压录错"))
    with pytest.raises(ValidationFailed) as refused:
        clinic.correct_checkup(checked["checkup"], D(2026, 3, 1),
                               {"sbp_left": "140", "dbp_left": "90"}, "血压录错")
    assert "已经被更正过" in refused.value.fields["supersedes_id"]
    assert [c.sbp for c in clinic.checkups(checked["resident"])] == [130]


def test_voiding_a_checkup_corrected_meanwhile_is_refused(clinic, other, checked,
                                                          monkeypatch) -> None:
    meanwhile(monkeypatch, clinic, lambda: other.correct_checkup(
        checked["checkup"], D(2026, 3, 1), {"sbp_left": "130", "dbp_left": "85"}, "血压录错"))
    with pytest.raises(ClinicError, match="已经被更正过"):
        clinic.void_checkup(checked["checkup"], "录错人")
    assert [c.sbp for c in clinic.checkups(checked["resident"])] == [130]


# ---------------------------------------------------------------------- years asked for
@pytest.mark.parametrize("year", [0, 1, 1999, 2028, 99999])
def test_a_year_outside_the_register_is_refused_in_chinese(clinic: Clinic, year: int) -> None:
    # 0 used to mean "this year" silently, 99999 to end in a traceback (no such date).
    for ask in (clinic.checkups_due, clinic.checkup_coverage, clinic.checkups_per_year):
        with pytest.raises(ValidationFailed) as refused:
            ask(year)
        assert refused.value.fields["year"] == f"年份应在 2000 至 2027 之间，而不是 {year}"


def test_this_year_is_the_default_and_next_year_can_be_planned(clinic: Clinic) -> None:
    assert clinic.checkup_year(None) == 2026 and clinic.checkup_year(2027) == 2027
    assert clinic.checkup_year(2000) == 2000
    assert clinic.checkups_due(2027) == [] and clinic.checkup_coverage(None) == []


# ---------------------------------------------------------------------- the last doctor
def test_the_last_doctor_is_read_through_the_facade_and_only_while_active(
        clinic: Clinic, checked: dict[str, str]) -> None:
    doctor = clinic.add_doctor("李医生")
    assert clinic.last_doctor_id() is None
    clinic.record_checkup(checked["resident"], D(2026, 11, 1), {}, doctor_id=doctor)
    assert clinic.last_doctor_id() == doctor
    clinic.add_condition(checked["resident"], "hypertension", D(2020, 1, 1))
    assert clinic.follow_up_draft(checked["resident"], "hypertension").doctor_id == doctor
    clinic.set_doctor_active(doctor, False)  # left the clinic: not proposed any more
    assert clinic.last_doctor_id() is None
    assert clinic.follow_up_draft(checked["resident"], "hypertension").doctor_id is None


def test_care_screens_hold_no_storage_calls() -> None:
    """The checkup form and the medicine box ask the facade, not the store (house rule)."""
    ui = Path(__file__).parents[2] / "src" / "clinic_app" / "ui"
    for name in ("checkup_form.py", "medicine_box.py"):
        assert ".store." not in (ui / name).read_text(encoding="utf-8"), name


def test_no_second_free_fund_sum_beside_the_cap() -> None:
    """print_queries had its own free-fund sum (counting corrected deliveries, refunds by the
    refund's date) and a follow-up reader nobody called: the cap's balance is
    Clinic.box_balance, the visits are followup_queries'. Kept from coming back."""
    from clinic_app.storage import print_queries

    assert not hasattr(print_queries, "free_fund_used")
    assert not hasattr(print_queries, "current_follow_ups")


# ---------------------------------------------------------------------- 月报 体检覆盖率
def test_monthly_report_checkup_coverage_counts_who_the_checkup_page_counts(
        clinic: Clinic) -> None:
    """The 月报 divided by everyone on the register (一般人群 too), the 体检 page and
    `checkup-coverage` by the covered residents: one township, two different rates."""
    import io

    from pypdf import PdfReader

    from clinic_app.printing import monthly_report_pdf
    from clinic_app.printing.report import compute

    village = make_village(clinic, "东村")
    covered = make_household(clinic, village.village_id, head="赵一",
                             members=(("钱二", "配偶", "女"),))
    general = make_household(clinic, village.village_id, head="孙三")
    clinic.update_resident(general.head_id, poverty_category="none")  # 一般人群
    clinic.record_checkup(covered.head_id, D(2026, 11, 10), {})
    clinic.record_checkup(general.head_id, D(2026, 5, 1), {})  # not in the promise

    (page_row,) = clinic.checkup_coverage(2026)
    assert (page_row["eligible"], page_row["checked"], page_row["percent"]) == (2, 1, 50.0)
    (east,) = compute(clinic, "2026-11").villages
    assert (east.checkup_eligible, east.checkup_done) == (page_row["eligible"],
                                                          page_row["checked"])
    assert (east.residents, east.checkups_year, east.checkups_month) == (3, 2, 1)
    out, _ = monthly_report_pdf(clinic, "2026-11")
    (text,) = ["".join(p.extract_text().split())
               for p in PdfReader(io.BytesIO(out.pdf)).pages]
    assert "应体检人数" in text and "50.0%" in text and "66.7%" not in text
    assert "与“体检”页和clinic-appcheckup-coverage口径相同" in text
