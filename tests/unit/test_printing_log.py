"""The print log: each print recorded with a hash of each card's content; "changed since the
last print" batches; the list of jobs; one-click reprints; cancel leaves nothing recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from factories import Practice, make_doctor, make_household, make_village, open_clinic, sign

from clinic_app.clinic import Clinic
from clinic_app.printing import (
    CONTACT_CARD,
    HOUSEHOLD_CARD,
    NothingToPrint,
    contact_cards_pdf,
    household_cards_pdf,
    monthly_report_pdf,
    reprint,
    visit_list_pdf,
)
from clinic_app.progress import Cancelled, Progress


@dataclass
class Register:
    clinic: Clinic
    doctor: Practice
    village_id: str
    heads: list[str]
    households: list[str]


@pytest.fixture
def register(tmp_path) -> Iterator[Register]:
    clinic = open_clinic(tmp_path / "log.db")
    village = make_village(clinic)
    doctor = make_doctor(clinic)
    families = [make_household(clinic, village.village_id, f"00{n}", head=head)
                for n, head in enumerate(("张三", "李四", "王五"), 1)]
    for family in families:
        sign(clinic, family.head_id, doctor)
    yield Register(clinic, doctor, village.village_id, [f.head_id for f in families],
                   [f.household_id for f in families])
    clinic.close()


def test_recorded_print_is_listed_with_its_subjects_and_hashes(register: Register) -> None:
    clinic = register.clinic
    out = contact_cards_pdf(clinic, village_id=register.village_id)
    assert clinic.print_jobs() == []  # rendering alone records nothing
    job_id = out.record(clinic)
    (job,) = clinic.print_jobs()
    assert job["job_id"] == job_id and job["kind"] == CONTACT_CARD
    assert job["subjects"] == 3 and job["user"] == "测试员"
    assert job["params"]["layout"] == "duplex"
    items = clinic.print_job_items(job_id)
    assert [r["subject_id"] for r in items] == register.heads
    assert [r["content_hash"] for r in items] == [i.content_hash for i in out.items]
    assert clinic.last_printed(CONTACT_CARD, register.heads) == {
        i.subject_id: i.content_hash for i in out.items}
    # The rows sync like every record: they are in the change log.
    assert clinic.history("print_log", items[0]["id"])[0]["op"] == "insert"


def test_changed_only_prints_the_cards_whose_content_changed(register: Register) -> None:
    clinic = register.clinic
    contact_cards_pdf(clinic, village_id=register.village_id).record(clinic)
    with pytest.raises(NothingToPrint, match="没有变化"):
        contact_cards_pdf(clinic, village_id=register.village_id, changed_only=True)
    clinic.update_resident(register.heads[1], name="李思")  # a corrected name: a new card
    out = contact_cards_pdf(clinic, village_id=register.village_id, changed_only=True)
    assert [i.subject_id for i in out.items] == [register.heads[1]]
    out.record(clinic)
    newcomer = make_household(clinic, register.village_id, "004", head="赵六")
    sign(clinic, newcomer.head_id, register.doctor)  # never printed: counts as changed
    out = contact_cards_pdf(clinic, village_id=register.village_id, changed_only=True)
    assert [i.subject_id for i in out.items] == [newcomer.head_id]


def test_a_new_doctor_phone_changes_every_card_of_that_doctor(register: Register) -> None:
    clinic = register.clinic
    household_cards_pdf(clinic, village_id=register.village_id).record(clinic)
    with pytest.raises(NothingToPrint):
        household_cards_pdf(clinic, village_id=register.village_id, changed_only=True)
    clinic.update_doctor(register.doctor.doctor_id, phone="13811112222")
    out = household_cards_pdf(clinic, village_id=register.village_id, changed_only=True)
    assert [i.subject_id for i in out.items] == register.households  # all three show it
    assert out.kind == HOUSEHOLD_CARD
    out.record(clinic)
    clinic.add_condition(register.heads[2], "hypertension")  # 王五's card gains a promise
    out = household_cards_pdf(clinic, village_id=register.village_id, changed_only=True)
    assert [i.subject_id for i in out.items] == [register.households[2]]


def test_reprint_prints_the_same_people_again(register: Register) -> None:
    clinic = register.clinic
    first = contact_cards_pdf(clinic, resident_ids=register.heads[:2], layout="single")
    job_id = first.record(clinic)
    again = reprint(clinic, job_id)
    assert [i.subject_id for i in again.items] == register.heads[:2]
    assert again.params["layout"] == "single" and again.pages == 4
    second_job = again.record(clinic)
    assert [j["job_id"] for j in clinic.print_jobs()] == [second_job, job_id]
    # A village's cards reprinted are still the village's cards in the log.
    village = contact_cards_pdf(clinic, village_id=register.village_id)
    again = reprint(clinic, village.record(clinic))
    assert again.params["village_id"] == register.village_id
    assert again.params["reprint_of"] and again.kind == village.kind
    visits = visit_list_pdf(clinic, village_id=register.village_id)
    month, _ = monthly_report_pdf(clinic, "2026-10")
    for output in (visits, month):
        assert reprint(clinic, output.record(clinic)).kind == output.kind


def test_cancel_stops_the_job_and_records_nothing(register: Register) -> None:
    clinic = register.clinic
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        contact_cards_pdf(clinic, village_id=register.village_id, progress=progress)
    seen: list[tuple[int, int, str]] = []
    contact_cards_pdf(clinic, village_id=register.village_id,
                      progress=Progress(lambda d, t, m: seen.append((d, t, m))))
    assert seen[-1][0] == seen[-1][1] == 3  # the last report: all three laid out
    assert clinic.print_jobs() == []
