"""clinic-app policy: copy a profile, change a rule from a date, choose it, read it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_app.cli import main
from clinic_app.clinic import Clinic

NAME = "中卫市 2018（兴隆镇调整）"
CITE = "本地调整：乡镇卫生院会议纪要2026-03"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinic_app", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_copy_edit_use_and_show_as_a_script_would(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    copied = run_cli("policy", "copy", "zhongwei", NAME, "--db", db, "--json")
    assert copied.returncode == 0, copied.stderr
    new_id = json.loads(copied.stdout)["id"]
    assert new_id.startswith("local_zhongwei_")
    changed = run_cli("policy", "set-rule", NAME, "followup.per_year.hypertension", "4",
                      "--cite", CITE, "--valid-from", "2026-07-01", "--db", db)
    assert changed.returncode == 0, changed.stderr
    assert "高血压每年面对面随访次数 = 4次/年，自 2026-07-01 起生效" in changed.stdout
    used = run_cli("policy", "use", new_id, "--db", db)
    assert used.returncode == 0 and NAME in used.stdout
    shown = run_cli("policy", "show", new_id, "--db", db, "--json")
    data = json.loads(shown.stdout)
    assert data["local"] and data["chosen"] and data["base"] == "zhongwei"
    rules = {r["key"]: r for r in data["rules"]}
    assert len(rules) == len(data["rules"]) > 60  # every rule, each with its citation
    assert all(r["cite"] for r in data["rules"] if r["value"] is not None)
    hypertension = rules["followup.per_year.hypertension"]
    assert (hypertension["value"], hypertension["cite"], hypertension["inherited"],
            hypertension["valid_from"], hypertension["set_by"]) == (
        4, CITE, False, "2026-07-01", new_id)
    assert rules["followup.per_year.diabetes"]["inherited"]
    assert rules["followup.per_year.diabetes"]["set_by"] == "zhongwei"
    assert data["versions"] == ["2018-08-14", "2026-07-01"]
    assert data["own_versions"][1]["rules"] == [
        {"key": "followup.per_year.hypertension", "value": 4, "cite": CITE}]
    earlier = json.loads(run_cli("policy", "show", new_id, "--db", db, "--json",
                                 "--on", "2026-06-30").stdout)
    assert {r["key"]: r["value"] for r in earlier["rules"]}[
        "followup.per_year.hypertension"] == 6
    with Clinic.open(db) as clinic:  # the window opens on what the script chose
        assert clinic.profile.id == new_id


def test_list_includes_local_profiles(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    assert main(["policy", "copy", "xinbin", "新宾 本地", "--db", db, "--json"]) == 0
    new_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["policy", "list", "--db", db, "--json"]) == 0
    listed = {p["id"]: p for p in json.loads(capsys.readouterr().out)}
    assert set(listed) >= {"national", "zhongwei", "xinbin", new_id}
    assert listed[new_id]["local"] and listed[new_id]["base"] == "xinbin"
    assert listed[new_id]["parent"] == "xinbin" and not listed["xinbin"]["local"]
    assert listed["national"]["chosen"]  # nothing chosen yet: the national default
    assert main(["policy", "list", "--db", db]) == 0
    text = capsys.readouterr().out
    assert f"{new_id}\t新宾 本地" in text and "【本地方案】" in text


@pytest.mark.parametrize(("args", "message"), [
    (["set-rule", "zhongwei", "followup.per_year.hypertension", "4", "--cite", CITE],
     "随软件提供的配置，不能直接修改"),
    (["set-rule", "{local}", "followup.per_year.hypertension", "四", "--cite", CITE],
     "followup.per_year.hypertension（高血压每年面对面随访次数）应为非负整数，现在是“四”"),
    (["set-rule", "{local}", "medicine.free_cap_fen", "12.345", "--cite", CITE],
     "金额最多精确到分"),
    (["set-rule", "{local}", "followup.per_year.gout", "4", "--cite", CITE],
     "没有名为 followup.per_year.gout 的政策规则"),
    (["set-rule", "{local}", "contract.term_months", "1200", "--cite", CITE],
     "contract.term_months（签约服务周期）应在 1–60 个月之间，现在是 1200 个月"),
    (["set-rule", "{local}", "checkup.per_year", "0", "--cite", CITE],
     "checkup.per_year（每年健康体检次数）应在 1–4 次/年之间"),
    (["set-rule", "{local}", "glucose.emergency_low", "50", "--cite", CITE],
     "glucose.emergency_low（紧急转诊：空腹血糖不高于）应在 2.8–5 mmol/L之间"),
    (["set-rule", "{local}", "bp.emergency_dbp", "90", "--cite", CITE],
     "规则 bp.controlled_dbp（血压控制满意：舒张压低于）= 90 mmHg（继承自 国家默认） 应小于 "
     "规则 bp.emergency_dbp"),
    (["use", "nowhere"], "没有名为 nowhere 的政策配置"),
    (["copy", "zhongwei", NAME], "已有名为“中卫市 2018（兴隆镇调整）”"),
    (["retire", "{local}", "--reason", "不用了"], "正在使用，请先选用其他配置再停用"),
])
def test_errors_are_chinese_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], message: str) -> None:
    db = str(tmp_path / "t.db")
    assert main(["policy", "copy", "zhongwei", NAME, "--db", db, "--json"]) == 0
    local = json.loads(capsys.readouterr().out)["id"]
    assert main(["policy", "use", local, "--db", db]) == 0
    capsys.readouterr()
    argv = ["policy", *[a.replace("{local}", local) for a in args], "--db", db]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_set_rule_without_cite_is_a_usage_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["policy", "set-rule", "x", "checkup.cost_fen", "150", "--db",
              str(tmp_path / "t.db")])
    assert stopped.value.code == 2
    assert "--cite" in capsys.readouterr().err


def test_editing_commands_refuse_a_missing_database(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert main(["policy", "set-rule", "x", "checkup.cost_fen", "150", "--cite", "c",
                 "--db", str(missing)]) == 1
    assert "数据库文件不存在" in capsys.readouterr().err
    assert main(["policy", "show", "national", "--db", str(missing)]) == 1
    assert not missing.exists()


def test_versions_retire_and_clear_from_the_command_line(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    db = str(tmp_path / "t.db")
    assert main(["policy", "copy", "guyang", "固阳 本地", "--db", db, "--json"]) == 0
    local = json.loads(capsys.readouterr().out)["id"]
    assert main(["policy", "add-version", local, "2027-01-01", "--note", "县卫健局2027年通知",
                 "--db", db]) == 0
    assert "已为 固阳 本地 增加 2027-01-01 起生效的版本" in capsys.readouterr().out
    assert main(["policy", "set-rule", local, "medicine.box_enabled", "否", "--cite",
                 "县卫健局2027年通知", "--valid-from", "2027-01-01", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "id": local, "key": "medicine.box_enabled", "value": False,
        "cite": "县卫健局2027年通知", "valid_from": "2027-01-01"}
    assert main(["policy", "clear-rule", local, "medicine.box_enabled", "--valid-from",
                 "2027-01-01", "--db", db]) == 0
    assert main(["policy", "retire", local, "--reason", "合并到县方案", "--db", db]) == 0
    capsys.readouterr()
    assert main(["policy", "list", "--db", db, "--json"]) == 0
    listed = {p["id"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed[local]["retired_on"]
    assert main(["policy", "use", local, "--db", db]) == 1
    assert "已停用，不能选用" in capsys.readouterr().err


def test_a_huge_reminder_window_is_refused_and_the_expiring_list_still_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review: 99999999999 days used to be saved, then `contracts expiring` crashed with an
    OverflowError traceback."""
    db = str(tmp_path / "t.db")
    assert main(["policy", "copy", "national", "本地", "--db", db, "--json"]) == 0
    local = json.loads(capsys.readouterr().out)["id"]
    assert main(["policy", "use", local, "--db", db]) == 0
    assert main(["policy", "set-rule", local, "contract.expiring_soon_days", "99999999999",
                 "--cite", CITE, "--db", db]) == 1
    err = capsys.readouterr().err
    assert "contract.expiring_soon_days（即将到期提醒天数）应在 1–180 天之间" in err
    assert "Traceback" not in err
    assert main(["contracts", "expiring", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
