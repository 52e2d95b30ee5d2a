"""`clinic-app contracts …` and `clinic-app doctors` end to end, over a register built through
the facade: what a county script would read, errors in Chinese with non-zero exit codes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_household, make_village, open_clinic

from clinic_app.cli import main
from clinic_app.clinic import add_months

TODAY = dt.date.today()  # the subprocess runs on the real clock


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """Two villages: one contract expiring in 10 days, one expired 20 days ago, one kept."""
    path = tmp_path / "c.db"
    clinic = open_clinic(path, today=TODAY)
    red = make_village(clinic, "红星村")
    east = clinic.add_place("village", "东风村", red.township_id)
    team = clinic.add_team("红星村团队", "13800000000", red.village_id)
    doctor = clinic.add_doctor("王建国", phone="13700000001", team_id=team)
    stopped = clinic.add_doctor("周停用", role="nurse", team_id=team)
    clinic.set_doctor_active(stopped, False)

    def start_for(end_in_days: int) -> dt.date:
        """A start date whose 12-month term ends exactly end_in_days from today."""
        target = TODAY + dt.timedelta(days=end_in_days)
        guess = add_months(target + dt.timedelta(days=1), -12)
        for offset in range(-3, 4):  # month-end clamping (29 Feb) can shift it a day
            start = guess + dt.timedelta(days=offset)
            if clinic.contract_end_on(start) == target:
                return start
        raise AssertionError(f"no start date ends on {target}")

    soon = make_household(clinic, red.village_id, head="快到期")
    clinic.sign_contract(soon.head_id, team_id=team, doctor_id=doctor, package_code="basic",
                         start_on=start_for(10))
    late = make_household(clinic, east, head="已过期")
    clinic.sign_contract(late.head_id, team_id=team, doctor_id=doctor, package_code="basic",
                         start_on=start_for(-20))
    kept = make_household(clinic, red.village_id, head="做得好")
    contract = clinic.sign_contract(kept.head_id, team_id=team, doctor_id=doctor,
                                    package_code="basic", start_on=TODAY - dt.timedelta(days=30))
    with clinic.db.atomic():
        clinic.store.insert("checkups", {"resident_id": kept.head_id,
                                         "checkup_date": TODAY.isoformat()})
    for _ in range(2):
        clinic.record_service(kept.head_id, "health_education", TODAY)
    assert all(i.status in ("done", "on_demand", "not_applicable")
               for i in clinic.fulfilment(contract))
    clinic.close()
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (two of these keep it honest; the rest run
    in-process through main(), which is the same code without a second of start-up)."""
    return subprocess.run([sys.executable, "-m", "clinic_app", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


def test_contract_lists_and_doctors_as_json_and_text(register: Path, cli) -> None:
    db = str(register)
    expiring = run_cli("contracts", "expiring", "--db", db, "--json")
    assert expiring.returncode == 0, expiring.stderr
    rows = json.loads(expiring.stdout)
    assert [(r["name"], r["days_left"], r["village"]) for r in rows] == [("快到期", 10, "红星村")]
    assert rows[0]["doctor"] == "王建国" and rows[0]["package"] == "基础服务包"

    expired = json.loads(cli("contracts", "expired", "--db", db, "--json").stdout)
    assert [(r["name"], r["days_left"], r["village"]) for r in expired] == [
        ("已过期", -20, "东风村")]

    text = cli("contracts", "expired", "--db", db, "--village", "红星村")
    assert text.returncode == 0 and text.stdout == ""
    assert "没有已到期未续约的签约" in text.stderr

    fulfilment = json.loads(cli("contracts", "fulfilment", "--db", db, "--json").stdout)
    by_village = {v["village"]: v for v in fulfilment["villages"]}
    # In force today: 快到期 and 做得好 in 红星村 (已过期 is not in force).
    assert set(by_village) == {"红星村"}
    red = by_village["红星村"]
    assert (red["contracts"], red["contracts_done"], red["person_rate"]) == (2, 1, 50.0)
    assert fulfilment["total"]["items"] == red["items"] == 4

    table = cli("contracts", "fulfilment", "--db", db)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("村\t在约人数") and lines[-1].startswith("合计\t2\t1\t")

    doctors = json.loads(cli("doctors", "--db", db, "--json").stdout)
    assert [(d["name"], d["role_label"], d["active"], d["contracts"]) for d in doctors] == [
        ("王建国", "乡村医生", True, 2), ("周停用", "护士", False, 0)]
    listing = cli("doctors", "--db", db).stdout
    assert "王建国\t乡村医生\t红星村团队" in listing and "已停用" in listing


def test_as_of_moves_the_lists(register: Path, capsys: pytest.CaptureFixture[str]) -> None:
    later = (TODAY + dt.timedelta(days=15)).isoformat()
    assert main(["contracts", "expired", "--db", str(register), "--as-of", later,
                 "--json"]) == 0
    names = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert names == {"快到期", "已过期"}


def test_errors_are_chinese_with_exit_codes(register: Path, tmp_path: Path, cli) -> None:
    missing = run_cli("contracts", "expiring", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "数据库文件不存在" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    village = cli("contracts", "fulfilment", "--db", str(register), "--village", "无此村")
    assert village.returncode == 1 and "没有名为“无此村”的村" in village.stderr
    usage = cli("contracts", "sideways", "--db", str(register))
    assert usage.returncode == 2 and "命令用法错误" in usage.stderr
    date = cli("contracts", "expired", "--db", str(register), "--as-of", "2026/13/01")
    assert date.returncode == 2 and "日期格式应为" in date.stderr


def test_a_death_leaves_the_register_and_its_contract_ends(register: Path, cli) -> None:
    """`contract end --reason death` says the person is still 在册; `resident leave` takes them
    off every list (and ends the contract with the same date); `restore` undoes a mistake."""
    db = str(register)
    contracts = json.loads(cli("contracts", "expiring", "--db", db, "--json").stdout)
    (soon,) = [c for c in contracts if c["name"] == "快到期"]
    ended = cli("contract", "end", soon["id"], "--db", db, "--reason", "death")
    assert ended.returncode == 0, ended.stderr
    assert "此人仍在册" in ended.stdout and "resident leave" in ended.stdout
    left = cli("resident", "leave", "做得好", "--db", db, "--status", "deceased",
               "--on", str(TODAY - dt.timedelta(days=1)), "--reason", "病故")
    assert left.returncode == 0, left.stderr
    assert "已登记死亡：做得好" in left.stdout and "签约已随之解约" in left.stdout
    (found,) = json.loads(cli("search", "做得好", "--db", db, "--json").stdout)
    assert (found["status"], found["contract_status"]) == ("deceased", "ended")
    assert "做得好" not in cli("contracts", "fulfilment", "--db", db).stdout
    resident_id = json.loads(cli("resident", "leave", "快到期", "--db", db, "--status", "moved",
                                 "--json").stdout)["id"]
    restored = cli("resident", "restore", resident_id, "--db", db, "--reason", "登记错人")
    assert restored.returncode == 0 and "已恢复在册：快到期" in restored.stdout
    wrong = cli("resident", "leave", "快到期", "--db", db, "--status", "died")
    assert wrong.returncode != 0 and "deceased" in wrong.stderr
