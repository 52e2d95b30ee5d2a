"""Checkups and medicine boxes from the command line: checkups-due, checkup-coverage,
medicine-report (with the xlsx), medicine-runs-out, medicine-box; errors in Chinese."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from factories import make_household, make_village, open_clinic

from clinic_app.cli import main

D = dt.date


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    clinic = open_clinic(path)
    clinic.set_profile("xinbin")
    red = make_village(clinic, "红星村")
    new = clinic.add_place("village", "新庄村", red.township_id)
    zhang = make_household(clinic, red.village_id, head="张三",
                           members=(("李四", "配偶", "女"),))
    zhao = make_household(clinic, new, head="赵五")
    clinic.record_checkup(zhang.head_id, "2026-03-01", {"sbp_left": "150", "dbp_left": "95"})
    clinic.record_checkup(zhao.head_id, "2025-06-01", {})
    clinic.add_condition(zhang.head_id, "hypertension", D(2020, 1, 1))
    box = clinic.open_box(zhang.head_id, D(2026, 1, 5))
    item = clinic.add_box_item(box, "苯磺酸氨氯地平片", strength="5mg×28片",
                               condition_code="hypertension", units_per_day=1)
    first = clinic.deliver(item, quantity=3, unit_price_fen=1851, insurance_fen=3331,
                           delivered_on=D(2026, 7, 3), receipt_no="R1")
    clinic.deliver(item, quantity=2, unit_price_fen=1850, insurance_fen=1110,
                   delivered_on=D(2026, 10, 30), receipt_no="R2")
    clinic.refund_delivery(first, 1, on=D(2026, 8, 2), reason="停药")
    clinic.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_checkups_due_and_coverage(register: Path, capsys) -> None:
    db = str(register)
    code, out, _ = run(capsys, "checkups-due", "--db", db, "--year", "2026", "--json")
    assert code == 0
    rows = json.loads(out)
    assert sorted((r["name"], r["village"], r["last_on"] or "") for r in rows) == [
        ("李四", "红星村", ""), ("赵五", "新庄村", "2025-06-01")]
    code, out, _ = run(capsys, "checkups-due", "--db", db, "--year", "2026", "--village",
                       "新庄村", "--json")
    assert [r["name"] for r in json.loads(out)] == ["赵五"]
    code, out, _ = run(capsys, "checkups-due", "--db", db, "--year", "2025", "--json")
    assert [r["name"] for r in json.loads(out)] == ["张三", "李四"]
    code, out, err = run(capsys, "checkups-due", "--db", db, "--year", "2026")
    assert code == 0 and "未完成体检 2 人" in err and "从未体检" in out
    code, out, _ = run(capsys, "checkup-coverage", "--db", db, "--year", "2026", "--json")
    coverage = {r["village"]: r for r in json.loads(out)}
    assert (coverage["红星村"]["eligible"], coverage["红星村"]["checked"],
            coverage["红星村"]["cost_fen"], coverage["红星村"]["cost_yuan"]) == \
        (2, 1, 15000, "150.00")
    code, out, _ = run(capsys, "checkup-coverage", "--db", db, "--year", "2026")
    assert "红星村\t2\t1\t1\t50%\t100%\t1\t1\t150.00" in out


def test_medicine_report_json_and_xlsx_agree_to_the_fen(register: Path, tmp_path: Path,
                                                        capsys) -> None:
    out_file = tmp_path / "对账.xlsx"
    code, out, _ = run(capsys, "medicine-report", "--db", str(register), "--quarter", "2026Q3",
                       "--out", str(out_file), "--json")
    assert code == 0
    report = json.loads(out)
    totals = report["totals"]
    # 3 × 18.51 delivered, 1 × 18.51 returned: 37.02 net; insurance 33.31 − 11.10 back.
    assert totals["rows"] == 2 and totals["total_fen"] == 3702
    assert totals["insurance_fen"] + totals["free_fund_fen"] + totals["patient_fen"] == 3702
    assert totals["total_yuan"] == "37.02" and report["label"] == "2026年第三季度"
    book = openpyxl.load_workbook(out_file)
    lines = list(book.active.iter_rows(values_only=True))
    total_row = next(r for r in lines if r[0] == "合计")
    header = lines[0]
    for name, key in (("金额(元)", "total_fen"), ("医保(元)", "insurance_fen"),
                      ("免费药品基金(元)", "free_fund_fen"), ("个人(元)", "patient_fen")):
        assert int(Decimal(str(total_row[header.index(name)])) * 100) == totals[key]
    code, out, err = run(capsys, "medicine-report", "--db", str(register), "--quarter",
                         "2026Q4")
    assert code == 0 and "合计\t1\t\t37.00" in out and "2026年第四季度" in err


def test_runs_out_and_box(register: Path, capsys) -> None:
    code, out, _ = run(capsys, "medicine-runs-out", "--db", str(register), "--as-of",
                       "2026-11-23", "--json")
    rows = json.loads(out)
    # 2 packs of 28 from 10-30 (the July ones ran out in September): to 12-25.
    assert rows == []
    code, out, _ = run(capsys, "medicine-runs-out", "--db", str(register), "--as-of",
                       "2026-12-20", "--json")
    assert [(r["name"], r["runs_out_on"], r["days_left"]) for r in json.loads(out)] == [
        ("张三", "2026-12-25", 5)]
    code, out, _ = run(capsys, "medicine-box", "张三", "--db", str(register), "--json")
    box = json.loads(out)
    assert box["name"] == "张三" and box["balance"]["cap_fen"] == 100000
    assert [d["kind"] for d in box["deliveries"]] == ["delivery", "refund", "delivery"]
    code, out, _ = run(capsys, "medicine-box", "张三", "--db", str(register))
    assert code == 0 and "苯磺酸氨氯地平片" in out and "退药" in out


def test_errors_in_chinese_with_exit_codes(register: Path, tmp_path: Path, capsys) -> None:
    missing = str(tmp_path / "none.db")
    code, _, err = run(capsys, "checkups-due", "--db", missing)
    assert code == 1 and "数据库文件不存在" in err
    assert not Path(missing).exists()
    code, _, err = run(capsys, "medicine-report", "--db", str(register), "--quarter", "2026Q5")
    assert code == 1 and "季度“2026Q5”看不懂" in err
    code, _, err = run(capsys, "checkups-due", "--db", str(register), "--village", "无此村")
    assert code == 1 and "没有名为“无此村”的村" in err
    code, _, err = run(capsys, "medicine-box", "zz", "--db", str(register))
    assert code == 1 and "找到 0 人" in err


def test_commands_as_a_county_script_runs_them(register: Path, tmp_path: Path) -> None:
    """The installed entry point, as a subprocess (what a clerk's script does)."""
    out_file = tmp_path / "q3.xlsx"
    result = subprocess.run([sys.executable, "-m", "clinic_app", "medicine-report", "--db",
                             str(register), "--quarter", "2026Q3", "--out", str(out_file)],
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "合计\t2\t\t37.02" in result.stdout and out_file.exists()
    assert "2026年第三季度" in result.stderr


@pytest.mark.parametrize(("command", "year"), [("checkups-due", "99999"), ("checkups-due", "0"),
                                               ("checkup-coverage", "1")])
def test_years_outside_the_register_are_refused(register: Path, capsys, command: str,
                                                year: str) -> None:
    # 99999 printed a traceback, 0 silently meant this year, 1 printed a year-1 table.
    code, out, err = run(capsys, command, "--db", str(register), "--year", year)
    assert code == 1 and out == ""
    assert f"年份应在 2000 至 {dt.date.today().year + 1} 之间，而不是 {year}" in err
    assert "Traceback" not in err


def test_a_year_that_is_not_a_number_is_a_usage_error(register: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["checkups-due", "--db", str(register), "--year", "今年"])
    assert stopped.value.code == 2 and "应为整数" in capsys.readouterr().err
