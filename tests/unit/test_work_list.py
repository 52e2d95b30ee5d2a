"""今日待办's fast path gives exactly the list of the plain reference, on varied registers.

``work_list.work_items`` lets SQLite drop the patients the rules cannot list before the rules
run; ``work_list.reference_items`` runs the rules on every current visit of everyone. A demo
township (both profiles: 4 and 6 visits a year) plus hand-made edge cases — never visited,
corrected and voided visits, ended conditions, deceased and moved people, TB phases, severe
mental disorder, complications, emergencies and "twice uncontrolled" with a far appointment,
same-day visits, damaged data — is listed on many dates, per village and per doctor, both ways.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import FIXED_TODAY, make_household, open_clinic

from clinic_app import demo, work_list
from clinic_app.clinic import Clinic
from clinic_app.domain import schedule
from clinic_app.storage import work_list_queries as q

D = dt.date


def _visit(clinic: Clinic, rid: str, form: str, day: D, sbp: int | None = None,
           dbp: int | None = None, glucose: float | None = None, next_on: D | None = None,
           classification: str = "", data: dict[str, Any] | str | None = None,
           supersedes: str | None = None) -> str:
    with clinic.db.atomic():
        return clinic.store.insert("follow_ups", {
            "resident_id": rid, "form": form, "visit_date": day, "sbp": sbp, "dbp": dbp,
            "fasting_glucose": glucose, "next_visit_on": next_on,
            "classification": classification, "supersedes_id": supersedes,
            "data": data if isinstance(data, str) else json.dumps(data or {})})


def _person(clinic: Clinic, village_id: str, name: str, *conditions: tuple[str, D | None],
            phone: str = "13900000000", household_phone: str = "") -> str:
    family = make_household(clinic, village_id, head=name, phone=phone)
    if household_phone:
        with clinic.db.atomic():
            clinic.store.update("households", family.household_id, {"phone": household_phone})
    for code, diagnosed in conditions:
        clinic.add_condition(family.head_id, code, diagnosed)
    return family.head_id


def _edge_cases(clinic: Clinic, village_id: str) -> dict[str, str]:
    """One patient per trap, in a village of the demo township."""
    t = FIXED_TODAY
    p: dict[str, str] = {}
    p["never"] = _person(clinic, village_id, "从未随访", ("diabetes", D(2026, 1, 1)))
    # A correction moved the latest visit's date back: the original must not count.
    p["corrected"] = _person(clinic, village_id, "更正日期", ("hypertension", D(2018, 1, 1)))
    first = _visit(clinic, p["corrected"], "hypertension", t - dt.timedelta(days=5), 128, 80,
                   next_on=t + dt.timedelta(days=86), classification="controlled")
    _visit(clinic, p["corrected"], "hypertension", t - dt.timedelta(days=120), 128, 80,
           next_on=t - dt.timedelta(days=29), classification="controlled", supersedes=first)
    # A correction that was itself voided: the original counts again.
    p["void_fix"] = _person(clinic, village_id, "作废更正", ("hypertension", D(2018, 1, 1)))
    kept = _visit(clinic, p["void_fix"], "hypertension", t - dt.timedelta(days=100), 130, 80,
                  next_on=t - dt.timedelta(days=9), classification="controlled")
    fix = _visit(clinic, p["void_fix"], "hypertension", t - dt.timedelta(days=2), 130, 80,
                 next_on=t + dt.timedelta(days=89), supersedes=kept)
    # A voided (deleted) latest visit.
    p["deleted"] = _person(clinic, village_id, "删除随访", ("hypertension", D(2018, 1, 1)))
    _visit(clinic, p["deleted"], "hypertension", t - dt.timedelta(days=95), 126, 78,
           next_on=t - dt.timedelta(days=4), classification="controlled")
    gone = _visit(clinic, p["deleted"], "hypertension", t - dt.timedelta(days=3), 126, 78,
                  next_on=t + dt.timedelta(days=88))
    with clinic.db.atomic():
        clinic.store.soft_delete("follow_ups", fix, "录错")
        clinic.store.soft_delete("follow_ups", gone, "录错")
    # Ended condition; deceased and moved patients: not listed.
    p["ended"] = _person(clinic, village_id, "已结案", ("tuberculosis", D(2025, 1, 1)))
    with clinic.db.atomic():
        for row in clinic.store.rows("SELECT id FROM conditions WHERE resident_id = ?",
                                     [p["ended"]]):
            clinic.store.update("conditions", row["id"], {"status": "closed",
                                                          "closed_on": D(2025, 9, 1)})
    p["deceased"] = _person(clinic, village_id, "已故", ("hypertension", D(2018, 1, 1)))
    p["moved"] = _person(clinic, village_id, "迁出", ("diabetes", D(2018, 1, 1)))
    clinic.end_residence(p["deceased"], "deceased", D(2026, 6, 1))
    clinic.end_residence(p["moved"], "moved", D(2026, 6, 1))
    # TB: intensive phase recorded, and continuation by the two-month rule.
    p["tb_intensive"] = _person(clinic, village_id, "强化期", ("tuberculosis", t - dt.timedelta(
        days=200)))
    _visit(clinic, p["tb_intensive"], "tuberculosis", t - dt.timedelta(days=8),
           data={"tb_phase": "intensive", "missed_doses": 0})
    p["tb_continuation"] = _person(clinic, village_id, "继续期", ("tuberculosis", t - dt.timedelta(
        days=120)))
    _visit(clinic, p["tb_continuation"], "tuberculosis", t - dt.timedelta(days=26))
    # Severe mental disorder: unstable (2 weeks) and stable (3 months).
    p["smi_unstable"] = _person(clinic, village_id, "不稳定", ("severe_mental", D(2015, 1, 1)))
    _visit(clinic, p["smi_unstable"], "severe_mental", t - dt.timedelta(days=10),
           classification="unstable", data={"stability": "unstable", "risk_level": 3})
    p["smi_stable"] = _person(clinic, village_id, "稳定", ("severe_mental", D(2015, 1, 1)))
    _visit(clinic, p["smi_stable"], "severe_mental", t - dt.timedelta(days=60),
           data={"stability": "stable"})
    # Urgent despite an appointment months away: complication, emergency, twice uncontrolled.
    far = t + dt.timedelta(days=150)
    p["complication"] = _person(clinic, village_id, "并发症", ("hypertension", D(2018, 1, 1)))
    _visit(clinic, p["complication"], "hypertension", t - dt.timedelta(days=3), 132, 84,
           next_on=far, classification="controlled",
           data={"new_complication": True, "new_complication_text": "视物模糊"})
    p["no_complication"] = _person(clinic, village_id, "无并发症", ("hypertension", None))
    _visit(clinic, p["no_complication"], "hypertension", t - dt.timedelta(days=3), 132, 84,
           next_on=far, data={"new_complication": False, "salt": "light"})
    p["emergency"] = _person(clinic, village_id, "危急", ("diabetes", D(2018, 1, 1)))
    _visit(clinic, p["emergency"], "diabetes", t - dt.timedelta(days=2), glucose=17.2,
           next_on=far)
    # A combined visit with low glucose: the emergency is of both the diseases it judged.
    p["combined_low"] = _person(clinic, village_id, "低血糖", ("hypertension", D(2018, 1, 1)),
                                ("diabetes", D(2018, 1, 1)))
    _visit(clinic, p["combined_low"], "combined", t - dt.timedelta(days=3), 158, 93, 3.7,
           next_on=far)
    p["twice"] = _person(clinic, village_id, "两次不满意", ("hypertension", D(2018, 1, 1)))
    _visit(clinic, p["twice"], "hypertension", t - dt.timedelta(days=20), 152, 96,
           next_on=t - dt.timedelta(days=6), classification="uncontrolled")
    _visit(clinic, p["twice"], "hypertension", t - dt.timedelta(days=4), 151, 95, next_on=far,
           classification="uncontrolled")
    # Separate BP and diabetes forms: the visit before the latest BP one is a diabetes visit,
    # but "twice in a row" compares BP visits.
    p["twice_mixed"] = _person(clinic, village_id, "分表两次", ("hypertension", D(2018, 1, 1)),
                               ("diabetes", D(2018, 1, 1)))
    _visit(clinic, p["twice_mixed"], "hypertension", t - dt.timedelta(days=30), 156, 96,
           next_on=t - dt.timedelta(days=16), classification="uncontrolled")
    _visit(clinic, p["twice_mixed"], "diabetes", t - dt.timedelta(days=20), glucose=6.2,
           next_on=far, classification="controlled")
    _visit(clinic, p["twice_mixed"], "hypertension", t - dt.timedelta(days=5), 150, 94,
           next_on=far, classification="uncontrolled")
    # Elderly threshold (SBP 145 at 76 is controlled), no next date recorded (older data).
    p["elderly"] = _person(clinic, village_id, "老年", ("hypertension", D(2010, 1, 1)))
    with clinic.db.atomic():
        clinic.store.update("residents", p["elderly"], {"birth_date": D(1950, 1, 1)})
    _visit(clinic, p["elderly"], "hypertension", t - dt.timedelta(days=60), 145, 85)
    # Older records without a next date, around the end of the 91-day and 14-day intervals.
    for n, (days, sbp) in enumerate(((10, 150), (13, 150), (16, 150), (20, 150), (84, 128),
                                     (88, 128), (92, 128), (96, 128))):
        rid = _person(clinic, village_id, "无约定" + "甲乙丙丁戊己庚辛"[n],
                      ("hypertension", D(2018, 1, 1)))
        _visit(clinic, rid, "hypertension", t - dt.timedelta(days=days), sbp, 80)
    # HTN + TB: four TB visits newer than the last BP visit (the old list read only three).
    p["htn_tb"] = _person(clinic, village_id, "高血压肺结核", ("hypertension", D(2019, 1, 1)),
                          ("tuberculosis", t - dt.timedelta(days=40)))
    _visit(clinic, p["htn_tb"], "hypertension", t - dt.timedelta(days=50), 150, 92,
           next_on=t + dt.timedelta(days=40), classification="uncontrolled")
    for days in (38, 28, 18, 8):
        _visit(clinic, p["htn_tb"], "tuberculosis", t - dt.timedelta(days=days),
               data={"tb_phase": "intensive"})
    # Two visits on one day (the later-entered wins), combined form, damaged data JSON.
    p["same_day"] = _person(clinic, village_id, "同日两次", ("hypertension", D(2018, 1, 1)),
                            ("diabetes", D(2018, 1, 1)))
    _visit(clinic, p["same_day"], "combined", t - dt.timedelta(days=1), 190, 100, 6.0,
           next_on=t + dt.timedelta(days=13))
    _visit(clinic, p["same_day"], "combined", t - dt.timedelta(days=1), 128, 80, 6.1,
           next_on=t + dt.timedelta(days=90), data="{not json")
    # Two active rows of one condition (a data-entry slip); no own phone, the household's.
    p["duplicate"] = _person(clinic, village_id, "重复登记", ("diabetes", D(2020, 1, 1)),
                             ("diabetes", D(2022, 5, 5)), phone="",
                             household_phone="0955-1234567")
    return p


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Clinic, dict]]:
    path = Path(tmp_path_factory.mktemp("township")) / "t.db"
    clinic = open_clinic(path)
    demo.generate(clinic, 2000, seed=7)
    village = clinic.places("village")[0].id
    people = _edge_cases(clinic, village)
    yield clinic, people
    clinic.close()


AS_OF = [FIXED_TODAY + dt.timedelta(days=d) for d in (-400, -60, -7, 0, 1, 9, 45, 200)]


def _both(clinic: Clinic, as_of: D, window: int = 7, profile_id: str | None = None,
          **scope: Any) -> tuple[list[dict], list[dict]]:
    profile = clinic.library.get(profile_id) if profile_id else clinic.profile
    return (work_list.work_items(clinic.store, profile, as_of, window, **scope),
            work_list.reference_items(clinic.store, profile, as_of, window, **scope))


@pytest.mark.parametrize("as_of", AS_OF, ids=str)
def test_fast_path_equals_reference_on_every_date(township: tuple[Clinic, dict],
                                                  as_of: D) -> None:
    clinic, _ = township
    for profile_id in ("national", "zhongwei"):  # 4 or 6 a year; zhongwei has two versions
        fast, reference = _both(clinic, as_of, profile_id=profile_id)
        assert fast == reference, (profile_id, as_of)
        assert len(fast) > 10


def test_fast_path_equals_reference_per_village_doctor_and_window(
        township: tuple[Clinic, dict]) -> None:
    clinic, _ = township
    villages = [p.id for p in clinic.places("village")]
    doctor = clinic.store.db.execute(
        "SELECT doctor_id FROM contracts WHERE doctor_id IS NOT NULL LIMIT 1").fetchone()[0]
    for as_of in (FIXED_TODAY, FIXED_TODAY + dt.timedelta(days=30)):
        for scope in ({"village_id": villages[0]}, {"village_id": villages[1]},
                      {"doctor_id": doctor}, {"include_later": True}):
            fast, reference = _both(clinic, as_of, **scope)
            assert fast == reference, scope
            assert fast
        for window in (0, 30, 120):
            fast, reference = _both(clinic, as_of, window)
            assert fast == reference, window


def test_edge_cases_are_listed_as_the_rules_say(township: tuple[Clinic, dict]) -> None:
    clinic, p = township
    items = {i["id"]: i for i in clinic.work_list(FIXED_TODAY)}
    for name in ("deceased", "moved", "ended", "smi_stable", "no_complication", "elderly"):
        assert p[name] not in items, name
    assert items[p["never"]]["rule"].startswith("从未随访")
    assert items[p["corrected"]]["last_visit"] == str(FIXED_TODAY - dt.timedelta(days=120))
    assert items[p["corrected"]]["overdue_days"] == 29
    assert items[p["void_fix"]]["overdue_days"] == 9  # the voided correction does not count
    assert items[p["deleted"]]["overdue_days"] == 4
    assert items[p["tb_intensive"]]["rule"].startswith("肺结核强化期")
    assert items[p["tb_continuation"]]["rule"].startswith("肺结核继续期")
    assert items[p["smi_unstable"]]["risk"] == schedule.RISK_UNCONTROLLED
    assert work_list.risk_label(items[p["smi_unstable"]]) == "病情未稳定"  # not 控制不满意
    low = items[p["combined_low"]]
    assert low["risk"] == schedule.RISK_EMERGENCY and low["last_glucose"] == 3.7
    assert work_list.due_for_text(low) == "高血压、2型糖尿病"
    assert items[p["complication"]]["risk"] == schedule.RISK_REFERRAL
    assert items[p["emergency"]]["risk"] == schedule.RISK_EMERGENCY
    assert "连续两次" in items[p["twice"]]["rule"]
    assert items[p["twice_mixed"]]["risk"] == schedule.RISK_REFERRAL
    # HTN + TB: the row's reason is the one that sets its risk (BP not controlled), the date
    # the earliest due (the TB visit, 10 days after the last), and the TB reason follows it.
    htn_tb = items[p["htn_tb"]]
    assert htn_tb["risk"] == schedule.RISK_UNCONTROLLED
    assert (htn_tb["condition"], htn_tb["due_for"]) == ("hypertension", ["hypertension"])
    assert htn_tb["due_on"] == str(FIXED_TODAY + dt.timedelta(days=2))
    assert "另肺结核：肺结核强化期" in htn_tb["rule"]
    assert htn_tb["last_visit"] == str(FIXED_TODAY - dt.timedelta(days=8))
    assert htn_tb["last_bp"] == "150/92"  # from the BP visit, not blanked by the TB visits
    # Of two visits on one day the later-entered counts: 128/80, not the 190/100 before it.
    assert p["same_day"] not in items
    assert {d["last_bp"] for d in clinic.schedule_of(p["same_day"])} == {"128/80"}
    assert items[p["duplicate"]]["phone"] == "0955-1234567"
    assert items[p["duplicate"]]["conditions"] == ["2型糖尿病"]
    # HTN + TB: the BP visit behind four TB visits still decides the BP schedule.
    (htn,) = [d for d in clinic.schedule_of(p["htn_tb"]) if d["condition"] == "hypertension"]
    assert htn["due_on"] == str(FIXED_TODAY + dt.timedelta(days=40))


def test_the_filter_really_filters(township: tuple[Clinic, dict]) -> None:
    """Most patients are not due on a given day: the fast path must not read them all."""
    clinic, _ = township
    scheduled = clinic.store.db.execute(
        "SELECT count(*) FROM conditions WHERE deleted = 0 AND status = 'active' AND code IN "
        "('hypertension', 'diabetes', 'tuberculosis', 'severe_mental')").fetchone()[0]
    rows = q.candidates(clinic.store, work_list.bounds(clinic.profile, FIXED_TODAY, 7))
    assert len(rows) < scheduled * 0.7
    everyone = q.candidates(clinic.store,
                            work_list.bounds(clinic.profile, FIXED_TODAY, 7, True))
    assert len(everyone) >= scheduled - 10  # less the deceased / moved


def test_queries_use_the_work_list_indexes(township: tuple[Clinic, dict]) -> None:
    clinic, _ = township
    sql = clinic.store.db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'follow_ups_complication'").fetchone()[0]
    # The partial index is only used by a query repeating its condition word for word.
    assert " ".join(q.COMPLICATION_FLAGGED.split()) in " ".join(sql.split())
    bounds = work_list.bounds(clinic.profile, FIXED_TODAY, 7)
    # INDEXED BY makes SQLite refuse (not silently scan) when an index cannot be used.
    assert q.candidates(clinic.store, bounds)


def test_data_keys_name_every_key_the_rules_read() -> None:
    source = Path(schedule.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r"data\.get\(\"(\w+)\"", source))
    assert read and read <= set(schedule.DATA_KEYS)
    assert set(q.VISIT_COLUMNS) >= set(schedule.DATA_KEYS)


def test_cli_overdue_exports_with_a_title_row(township: tuple[Clinic, dict], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    from clinic_app.cli import main

    clinic, p = township
    village = clinic.places("village")[0].name
    out = tmp_path / "待办.xlsx"
    assert main(["overdue", "--db", str(clinic.path), "--as-of", "2026-11-23", "--village",
                 village, "--json", "--xlsx", str(out)]) == 0
    items = json.loads(capsys.readouterr().out)
    duplicate = next(i for i in items if i["id"] == p["duplicate"])
    assert duplicate["phone"] == "0955-1234567" and duplicate["reason"]
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0].startswith(f"{village} 今日待办（2026-11-23，")
    assert f"政策配置：{clinic.profile.name}" in rows[0][0]
    assert rows[1][:3] == ("风险", "原因", "姓名") and len(rows) == len(items) + 2


def test_one_contact_mark_per_doctor_resident_and_day(township: tuple[Clinic, dict]) -> None:
    clinic, p = township
    rid, day = p["never"], FIXED_TODAY
    first = clinic.mark_contact(rid, "called", on=day)
    assert first.change == "added"
    assert clinic.mark_contact(rid, "called", on=day).change == "unchanged"
    changed = clinic.mark_contact(rid, "unreachable", "关机", on=day)
    assert (changed.change, changed.before, changed.id) == ("updated", "called", first.id)
    assert clinic.mark_contact(rid, "called", on=day + dt.timedelta(days=1)).change == "added"
    doctor = clinic.add_doctor("赵医生")
    assert clinic.mark_contact(rid, "visited", doctor_id=doctor, on=day).change == "added"
    marks = clinic.store.rows("SELECT outcome, on_date FROM contact_attempts "
                              "WHERE resident_id = ? AND deleted = 0", [rid])
    assert sorted((m["on_date"], m["outcome"]) for m in marks) == [
        ("2026-11-23", "unreachable"), ("2026-11-23", "visited"), ("2026-11-24", "called")]
    history = clinic.history("contact_attempts", first.id)
    assert history[-1]["fields"]["outcome"] == {"old": "called", "new": "unreachable"}
