"""The command line end to end: demo, check, search, policy; errors in Chinese; kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinic_app.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinic_app", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def test_demo_check_search_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    assert main(["demo", "--db", db, "--residents", "1500", "--seed", "7", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["residents"] == 1500 and summary["villages"] == 2
    assert main(["check", "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["problems"] == []
    counts = report["counts"]
    assert counts["residents"] == 1500
    assert 1500 / 8 <= counts["households"] <= 1500 / 1.5
    patients = counts["conditions"]
    assert 0.12 * 1500 < patients < 0.40 * 1500  # about a quarter are chronic patients
    for table in ("contracts", "follow_ups", "checkups", "deliveries", "doctors"):
        assert counts[table] > 0, table
    assert main(["search", "zs", "--db", db, "--json", "--limit", "5"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert 0 < len(hits) <= 5
    assert set(hits[0]) >= {"id", "name", "sex", "age", "id_number_masked", "village",
                            "household_no", "head", "conditions", "contract_status",
                            "next_follow_up"}
    assert "*" in hits[0]["id_number_masked"]


def test_demo_is_reproducible_and_refuses_a_filled_database(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    names = []
    for run in ("a", "b"):
        db = str(tmp_path / f"{run}.db")
        assert main(["demo", "--db", db, "--residents", "200", "--seed", "3", "--json"]) == 0
        capsys.readouterr()
        conn = sqlite3.connect(db)
        names.append([r[0] for r in conn.execute("SELECT name FROM residents ORDER BY rowid")])
        conn.close()
    assert names[0] == names[1]
    assert main(["demo", "--db", str(tmp_path / "a.db"), "--residents", "10"]) == 1
    assert "已有数据" in capsys.readouterr().err


def test_policy_list_and_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "list", "--json"]) == 0
    profiles = {p["id"]: p for p in json.loads(capsys.readouterr().out)}
    assert "national" in profiles
    assert main(["policy", "show", "national", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    rules = {r["key"]: r for r in shown["rules"]}
    assert rules["followup.per_year.hypertension"]["value"] == 4
    assert rules["followup.per_year.hypertension"]["cite"]
    assert main(["policy", "show", "zhongwei"]) == 0
    text = capsys.readouterr().out
    assert "高血压每年面对面随访次数：6次/年（可设 1–12 次/年）" in text  # value, range
    assert "000 §二(六)" in text  # and where the document says it
    assert main(["policy", "show", "nowhere"]) == 1
    assert "没有名为 nowhere 的政策配置" in capsys.readouterr().err


def test_errors_are_chinese_on_stderr_with_nonzero_exit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 200)
    result = run_cli("check", "--db", str(bad))
    assert result.returncode == 1
    assert "错误：" in result.stderr and "损坏" in result.stderr
    usage = run_cli("search")
    assert usage.returncode == 2 and "命令用法错误" in usage.stderr


@pytest.mark.skipif(os.name == "nt", reason="kill -9 is a POSIX signal")
def test_kill_9_during_demo_leaves_a_database_that_passes_check(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    proc = subprocess.Popen([sys.executable, "-m", "clinic_app", "demo", "--db", str(db),
                             "--residents", "60000"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    villages = 0
    while time.monotonic() < deadline and villages < 3:
        time.sleep(0.2)
        try:
            conn = sqlite3.connect(db, timeout=1)
            villages = conn.execute(
                "SELECT count(*) FROM places WHERE kind = 'village'").fetchone()[0]
            conn.close()
        except sqlite3.Error:
            villages = 0
    assert proc.poll() is None, "demo finished before it could be killed; raise --residents"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    result = run_cli("check", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"]
    assert 0 < report["counts"]["residents"] < 60000
    assert report["counts"]["residents"] % 1000 == 0  # whole villages only


def test_overdue_lists_risk_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "t.db")
    assert main(["demo", "--db", db, "--residents", "3000", "--seed", "4", "--json"]) == 0
    capsys.readouterr()
    assert main(["overdue", "--db", db, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert items, "a demo township always has someone due"
    risks = [i["risk"] for i in items]
    assert risks == sorted(risks)
    assert {"name", "due_on", "overdue_days", "risk_label", "last_bp", "phone", "rule",
            "village", "contact"} <= set(items[0])
    village = items[0]["village"]
    assert main(["overdue", "--db", db, "--village", village, "--json"]) == 0
    assert {i["village"] for i in json.loads(capsys.readouterr().out)} == {village}
    with pytest.raises(SystemExit) as usage:
        main(["overdue", "--db", db, "--as-of", "2026-02-30"])
    assert usage.value.code == 2
    assert "没有 2026-02-30 这一天" in capsys.readouterr().err


def test_import_roster_json_and_error_report(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    import openpyxl
    from factories import id_number

    source = tmp_path / "roster.csv"
    good = id_number(dt.date(1958, 4, 2), "男")
    source.write_bytes(
        ("乡(镇),行政村,户编号,姓名,性别,身份证号,与户主关系\n"
         f"兴隆镇,红星村,001,王大山,男,{good},户主\n"
         "兴隆镇,红星村,001,李桂花,女,4.10101E+17,配偶\n").encode("gb18030"))
    db, errors = str(tmp_path / "t.db"), tmp_path / "errors.xlsx"
    assert main(["import-roster", str(source), "--db", db, "--json", "--errors",
                 str(errors)]) == 4  # imported, but a row was rejected
    report = json.loads(capsys.readouterr().out)
    assert (report["imported"], report["households"]) == (1, 1)
    assert {"updated", "unchanged", "warnings", "missing_from_roster"} <= set(report)
    assert report["errors"][0]["row"] == 3 and "丢失" in report["errors"][0]["reason"]
    rows = list(openpyxl.load_workbook(errors).active.iter_rows(values_only=True))
    assert "导入错误报告" in rows[0][0] and "原因" in rows[1] and "李桂花" in rows[2]
    assert main(["import-roster", str(source), "--db", db, "--json"]) == 4
    again = json.loads(capsys.readouterr().out)
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 1)


def test_read_only_commands_refuse_a_missing_database(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert main(["search", "zs", "--db", str(missing)]) == 1
    assert "数据库文件不存在" in capsys.readouterr().err
    assert not missing.exists()


def test_import_roster_keeps_local_edits_lists_conflicts_and_saves_the_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import datetime as dt

    import openpyxl
    from factories import id_number, open_clinic

    head, wife, son = (id_number(dt.date(1958, 4, 2), "男"), id_number(dt.date(1960, 1, 1), "女"),
                       id_number(dt.date(1985, 5, 5), "男"))
    header = "乡(镇),行政村,户编号,姓名,性别,身份证号,与户主关系,联系电话,健康状况,出生日期\n"
    first = tmp_path / "v1.csv"
    first.write_text(header + f"兴隆镇,红星村,001,王大山,男,{head},户主,13900000001,健康,\n"
                     f"兴隆镇,红星村,001,李桂花,女,{wife},妻,,高血压,\n"
                     f"兴隆镇,红星村,001,王小山,男,{son},长子,,,\n", encoding="utf-8")
    db = tmp_path / "t.db"
    assert main(["import-roster", str(first), "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 3
    assert [(s["name"], s["condition"], s["accepted"]) for s in
            report["condition_suggestions"]] == [("李桂花", "高血压", False)]
    # The doctor corrects 王大山's phone by hand.
    with open_clinic(db) as clinic:
        wang = clinic.search("王大山")[0]["id"]
        assert clinic.resident(wang).relation == "户主"
        assert clinic.search("李桂花")[0]["relation"] == "配偶"
        clinic.update_resident(wang, phone="13700000002")
    # The next roster: the office's old phone, 王小山 gone, a newborn without an ID number.
    second = tmp_path / "v2.csv"
    second.write_text(header + f"兴隆镇,红星村,001,王大山,男,{head},户主,13900000003,,\n"
                      f"兴隆镇,红星村,001,李桂花,女,{wife},妻子,,高血压,\n"
                      "兴隆镇,红星村,001,王小宝,女,,孙女,,,2026-08-08\n", encoding="utf-8")
    missing = tmp_path / "missing.xlsx"
    assert main(["import-roster", str(second), "--db", str(db), "--json", "--missing-out",
                 str(missing), "--add-conditions"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 1 and report["errors"] == []
    assert [(c["name"], c["field"], c["current"], c["roster"], c["overwritten"])
            for c in report["conflicts"]] == [("王大山", "phone", "13700000002", "13900000003",
                                               False)]
    assert report["kept_local"] == 1 and report["conditions_added"] == 1
    assert report["missing_by_village"] == {"红星村": 1}
    assert [m["name"] for m in report["missing_from_roster"]] == ["王小山"]
    rows = list(openpyxl.load_workbook(missing).active.iter_rows(values_only=True))
    assert rows[0][0] == f"红星村 不在名单（v2.csv）中的人员 导出于{dt.date.today()} 共1人"
    assert rows[2][3] == "王小山" and rows[2][6] == son

    # The command line as a county clerk runs it: text output, then the overwrite.
    shown = run_cli("import-roster", str(second), "--db", str(db), "--dry-run")
    assert shown.returncode == 0, shown.stderr
    assert "冲突（保留本地） 第2行 王大山 电话：本地 13700000002" in shown.stdout
    assert "--overwrite-local" in shown.stderr
    done = run_cli("import-roster", str(second), "--db", str(db), "--overwrite-local", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["conflicts"][0]["overwritten"] is True
    with open_clinic(db) as clinic:
        assert clinic.resident(wang).phone == "13900000003"
        baby = clinic.search("王小宝")[0]
        assert baby["id_number"] is None and baby["relation"] == "之孙女"
    bad = run_cli("import-roster", str(second), "--db", str(db), "--missing-out", "m.csv")
    assert bad.returncode == 1 and "应是 .xlsx" in bad.stderr
