"""Follow-up visits from the command line: record (the rules propose), correct, list, fields."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from factories import make_household, make_village, open_clinic

from clinic_app.cli import main


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    clinic = open_clinic(path)
    village = make_village(clinic)
    family = make_household(clinic, village.village_id, head="张三")
    make_household(clinic, village.village_id, head="张珊")
    clinic.add_condition(family.head_id, "hypertension", dt.date(2020, 1, 1))
    clinic.add_condition(family.head_id, "diabetes", dt.date(2021, 1, 1))
    team = clinic.add_team("一队")
    clinic.add_doctor("王建国", team_id=team)
    clinic.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_record_correct_and_list(register: Path, capsys) -> None:
    db = str(register)
    code, out, err = run(capsys, "follow-up", "record", "张三", "--db", db, "--set",
                         "visit_date=2026-11-20", "--set", "sbp=150", "--set", "dbp=92",
                         "--set", "fasting_glucose=6.2", "--set", "symptoms=头痛头晕",
                         "--set", "medicines=硝苯地平缓释片 每日2次 每次10mg",
                         "--doctor", "王建国", "--json")
    assert code == 0, err
    visit = json.loads(out)
    assert visit["form"] == "combined"  # both diseases: the combined form, chosen for us
    assert visit["classification"] == visit["proposed_classification"] == "uncontrolled"
    assert visit["next_visit_on"] == "2026-12-04"  # R4: within 2 weeks
    assert visit["data"]["symptoms"] == ["头痛头晕"]
    code, out, err = run(capsys, "follow-up", "record", "张三", "--db", db, "--correct",
                         visit["id"], "--set", "visit_date=2026-11-20", "--set", "sbp=130",
                         "--set", "dbp=82", "--set", "fasting_glucose=6.2")
    assert code == 1 and "更正随访记录请写明原因" in err
    code, out, err = run(capsys, "follow-up", "record", "张三", "--db", db, "--correct",
                         visit["id"], "--reason", "血压录错", "--set", "visit_date=2026-11-20",
                         "--set", "sbp=130", "--set", "dbp=82", "--set", "fasting_glucose=6.2")
    assert code == 0, err
    assert "控制满意" in out
    code, out, _ = run(capsys, "follow-up", "list", "张三", "--db", db, "--json")
    visits = json.loads(out)
    assert [(v["sbp"], v["supersedes_id"]) for v in visits] == [(130, visit["id"])]
    # Only the --set fields changed: what was not retyped is kept (symptoms, medicines, the
    # doctor), and the rules proposed the classification anew from the corrected pressure.
    corrected = visits[0]
    assert corrected["data"]["symptoms"] == ["头痛头晕"]
    assert corrected["data"]["medicines"] == visit["data"]["medicines"]
    assert corrected["doctor_id"] == visit["doctor_id"] is not None
    assert corrected["classification"] == corrected["proposed_classification"] == "controlled"
    assert corrected["override_reason"] == ""


def test_bad_values_are_refused_in_chinese(register: Path, capsys) -> None:
    db = str(register)
    code, _, err = run(capsys, "follow-up", "record", "张三", "--db", db, "--set",
                       "visit_date=2026-11-20", "--set", "sbp=1500", "--set", "dbp=90")
    assert code == 1 and "收缩压 1500mmHg 不合理" in err
    code, _, err = run(capsys, "follow-up", "record", "zs", "--db", db, "--set", "sbp=150")
    assert code == 1 and "找到 2 人" in err
    code, _, err = run(capsys, "follow-up", "record", "张三", "--db", db, "--set", "sbp")
    assert code == 1 and "字段=值" in err
    code, out, _ = run(capsys, "follow-up", "list", "张三", "--db", db, "--json")
    assert json.loads(out) == []


def test_fields_lists_the_form(capsys) -> None:
    code, out, _ = run(capsys, "follow-up", "fields", "--form", "hypertension", "--json")
    fields = {f["key"]: f for f in json.loads(out)}
    assert code == 0
    assert (fields["sbp"]["low"], fields["sbp"]["high"], fields["sbp"]["unit"]) == (60, 280,
                                                                                   "mmHg")
    assert "fasting_glucose" not in fields


def test_contract_sign_renew_end_and_service(register: Path, capsys) -> None:
    db = str(register)
    code, out, err = run(capsys, "contract", "sign", "张三", "--db", db, "--doctor", "王建国",
                         "--package", "chronic", "--start", "2025-12-01", "--agreement",
                         "QY-001", "--json")
    assert code == 0, err
    first = json.loads(out)["id"]
    code, _, err = run(capsys, "contract", "sign", "张三", "--db", db, "--doctor", "王建国",
                       "--package", "chronic")
    assert code == 1 and "重叠" in err
    code, out, err = run(capsys, "contract", "renew", first, "--db", db, "--json")
    assert code == 0, err
    renewed = json.loads(out)["id"]
    code, out, err = run(capsys, "contract", "service", "张三", "--db", db, "--service",
                         "health_education", "--on", "2026-11-02", "--doctor", "王建国")
    assert code == 0 and "已登记服务" in out, err
    code, out, err = run(capsys, "contract", "end", renewed, "--db", db, "--reason", "other")
    assert code == 1 and "写明原因" in err
    code, out, err = run(capsys, "contract", "end", first, "--db", db, "--reason", "moved",
                         "--on", "2026-11-20")
    assert code == 0 and "已解约（迁出）" in out, err
    code, _, err = run(capsys, "contract", "sign", "张三", "--db", db, "--doctor", "李无名",
                       "--package", "chronic")
    assert code == 1 and "找到 0 位" in err


@pytest.mark.parametrize(("argv", "expected"), [
    (["contracts"], "缺少必填参数：list"),
    (["contracts", "nonsense"], "参数 list 不能是“nonsense”"),
    (["demo", "--residents", "abc"], "参数 --residents 应为整数，而不是“abc”"),
    (["overdue", "--as-of", "2026-02-30"], "没有 2026-02-30 这一天"),
    (["search", "zs", "--bogus"], "无法识别的参数：--bogus"),
])
def test_usage_errors_are_chinese(capsys, argv, expected) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "用法：" in err


def test_help_is_chinese(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["follow-up", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：") and "显示帮助并退出" in out and "usage" not in out


def test_teams_doctors_marks_and_void_from_the_command_line(register: Path, capsys) -> None:
    db = str(register)
    assert run(capsys, "contract", "team-add", "二队", "--db", db, "--phone",
               "0955-1234567", "--village", "红星村")[0] == 0
    code, out, err = run(capsys, "contract", "doctor-add", "李春花", "--db", db, "--team", "二队",
                         "--phone", "13700000009", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "contract", "doctor-add", "赵无队", "--db", db, "--team", "三队")
    assert code == 1 and "找到 0 个叫“三队”的团队" in err
    code, out, err = run(capsys, "follow-up", "mark", "张三", "--db", db, "--outcome", "called",
                         "--doctor", "李春花")
    assert code == 0 and "已记录" in out, err
    code, out, _ = run(capsys, "follow-up", "mark", "张三", "--db", db, "--outcome", "called",
                       "--doctor", "李春花")
    assert "今天已记为已电话，未重复记录" in out
    code, out, _ = run(capsys, "follow-up", "mark", "张三", "--db", db, "--outcome", "visited",
                       "--doctor", "李春花")
    assert "已把今天的记录从已电话改为已上门" in out
    code, out, err = run(capsys, "follow-up", "record", "张三", "--db", db, "--set",
                         "visit_date=2026-11-20", "--set", "sbp=130", "--set", "dbp=80",
                         "--set", "fasting_glucose=6.0", "--json")
    visit = json.loads(out)["id"]
    code, out, err = run(capsys, "follow-up", "void", visit, "--db", db, "--reason", "录错人")
    assert code == 0, err
    code, out, _ = run(capsys, "follow-up", "list", "张三", "--db", db, "--json")
    assert json.loads(out) == []
    assert run(capsys, "contract", "doctor-stop", "李春花", "--db", db)[0] == 0
    code, _, err = run(capsys, "follow-up", "mark", "张三", "--db", db, "--outcome", "called",
                       "--doctor", "李春花")
    assert code == 1 and "找到 0 位" in err  # a stopped doctor is not offered
