"""Checkups and medicine boxes from the command line: checkups-due, checkup-coverage,
medicine-report (with the xlsx), medicine-runs-out, medicine-box; errors in Chinese."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    # Out of medicine 51 days later and nothing delivered: still listed, and said so.
    code, out, _ = run(capsys, "medicine-runs-out", "--db", str(register), "--as-of",
                       "2027-02-14", "--json")
    assert [(r["name"], r["days_left"], r["supply"]) for r in json.loads(out)] == [
        ("张三", -51, "已用完 51 天")]
    code, out, _ = run(capsys, "medicine-runs-out", "--db", str(register), "--as-of",
                       "2027-02-14")
    assert code == 0 and "已用完 51 天（2026-12-25）" in out
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


# ---------------------------------------------------------------------- the writes (review)
# `checkup record|correct|void|list|fields` and `medicine open-box|add-item|stop-item|deliver|
# correct|refund|void`. The command line runs on the real clock, so dates here are relative
# to it.
TODAY = dt.date.today()


@pytest.fixture
def desk(tmp_path: Path) -> str:
    """A register with one diabetic patient (李四, no box yet), a namesake pair and a doctor."""
    path = tmp_path / "desk.db"
    clinic = open_clinic(path, today=TODAY)
    clinic.set_profile("xinbin")  # free chronic medicine, 1000 元 a person a year
    village = make_village(clinic, "红星村")
    family = make_household(clinic, village.village_id, head="李四")
    clinic.add_condition(family.head_id, "diabetes", D(2019, 1, 1))
    make_household(clinic, village.village_id, head="张三")
    make_household(clinic, village.village_id, head="张山")
    clinic.add_doctor("王建国")
    clinic.close()
    return str(path)


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_checkup_record_list_correct_void(desk: str, capsys) -> None:
    saved = ok(capsys, "checkup", "record", "李四", "--db", desk, "--set", "sbp_left=150",
               "--set", "dbp_left=95", "--set", "symptoms=头痛,头晕", "--set", "enrol=hypertension",
               "--doctor", "王建国")
    assert saved["checkup_date"] == TODAY.isoformat() and saved["evaluation"] == "abnormal"
    assert saved["values"]["symptoms"] == ["头痛", "头晕"] and saved["cost_fen"] == 15000
    assert any("收缩压 150" in text for text in saved["abnormal_items"])
    assert saved["enrolled"] == ["hypertension"]  # 纳入慢病管理 as on the form
    assert [c["id"] for c in ok(capsys, "checkup", "list", "李四", "--db", desk)] == [saved["id"]]
    # A correction starts from the record: only the keys given change.
    fixed = ok(capsys, "checkup", "correct", saved["id"], "--db", desk, "--reason", "血压录错",
               "--set", "sbp_left=130", "--set", "dbp_left=80")
    assert fixed["supersedes_id"] == saved["id"] and fixed["sbp"] == 130
    assert fixed["values"]["symptoms"] == ["头痛", "头晕"] and fixed["doctor_id"]
    code, _, err = run(capsys, "checkup", "correct", saved["id"], "--db", desk, "--reason", "再改",
                       "--set", "sbp_left=120", "--set", "dbp_left=80")
    assert code == 1 and "已经被更正过" in err
    code, out, _ = run(capsys, "checkup", "list", "李四", "--db", desk)
    assert "有异常" in out and fixed["id"] in out and saved["id"] not in out
    code, out, _ = run(capsys, "checkup", "void", fixed["id"], "--db", desk, "--reason", "录错人")
    assert code == 0 and "已作废" in out
    assert ok(capsys, "checkup", "list", "李四", "--db", desk) == []


def test_checkup_mistakes_are_refused_in_chinese(desk: str, capsys) -> None:
    code, _, err = run(capsys, "checkup", "record", "李四", "--db", desk, "--set", "foo=1")
    assert code == 1 and "体检表没有“foo”这一项" in err
    code, _, err = run(capsys, "checkup", "record", "李四", "--db", desk, "--set", "sbp_left")
    assert code == 1 and "应写成 字段=值" in err
    code, _, err = run(capsys, "checkup", "record", "zs", "--db", desk)
    assert code == 1 and "找到 2 人" in err and "张三" in err and "张山" in err
    with pytest.raises(SystemExit) as stopped:  # a void needs its reason
        main(["checkup", "void", "0" * 32, "--db", desk])
    assert stopped.value.code == 2 and "--reason" in capsys.readouterr().err
    assert ok(capsys, "checkup", "list", "李四", "--db", desk) == []
    fields = ok(capsys, "checkup", "fields")
    assert {"sbp_left", "symptoms", "enrol"} <= {f["key"] for f in fields}


def test_medicine_box_from_open_to_void(desk: str, capsys) -> None:
    db = ("--db", desk)
    box = ok(capsys, "medicine", "open-box", "李四", *db)
    code, _, err = run(capsys, "medicine", "open-box", "李四", *db)
    assert code == 1 and "已有慢病小药箱" in err
    item = ok(capsys, "medicine", "add-item", "李四", *db, "--set", "medicine=二甲双胍片",
              "--set", "strength=0.5g×48片", "--set", "condition=2型糖尿病",
              "--set", "units_per_day=2")
    assert box["id"] and item["id"]
    # 19.99 元 × 3 is 59.97 元 to the fen (a float gives 5996.999…); insurance 0.30.
    sent = ok(capsys, "medicine", "deliver", "李四", *db, "--set", "quantity=3",
              "--set", "unit_price=19.99", "--set", "insurance=0.3", "--set", "receipt_no=R1",
              "--doctor", "王建国")["delivery"]
    assert (sent["total_fen"], sent["insurance_fen"], sent["free_fund_fen"],
            sent["patient_fen"], sent["total_yuan"]) == (5997, 30, 5967, 0, "59.97")
    assert sent["item_id"] == item["id"] and sent["delivered_on"] == TODAY.isoformat()
    # Beyond what is left of the cap: refused, nothing saved; --auto-split pays it.
    code, _, err = run(capsys, "medicine", "deliver", "李四", *db, "--set", "quantity=60",
                       "--set", "unit_price=20")
    assert code == 1 and "超出免费用药限额" in err and "只剩 940.33 元" in err
    split = ok(capsys, "medicine", "deliver", "李四", *db, "--medicine", "二甲双胍",
               "--set", "quantity=60", "--set", "unit_price=20", "--auto-split")
    assert (split["delivery"]["free_fund_fen"], split["delivery"]["patient_fen"]) == \
        (94033, 120000 - 94033)
    assert split["balance"]["left_fen"] == 0
    refund = ok(capsys, "medicine", "refund", sent["id"], *db, "--set", "quantity=1",
                "--reason", "停药")["delivery"]
    assert (refund["kind"], refund["quantity"], refund["refund_of"]) == ("refund", -1, sent["id"])
    assert refund["insurance_fen"] + refund["free_fund_fen"] + refund["patient_fen"] == -1999
    code, _, err = run(capsys, "medicine", "refund", sent["id"], *db, "--set", "quantity=3",
                       "--reason", "停药")
    assert code == 1 and "最多还能退 2盒" in err
    code, _, err = run(capsys, "medicine", "correct", sent["id"], *db, "--reason", "单价录错",
                       "--set", "unit_price=19.98")
    assert code == 1 and "已有退药记录" in err
    code, _, err = run(capsys, "medicine", "correct", refund["id"], *db, "--reason", "录错",
                       "--set", "unit_price=1")
    assert code == 1 and "退药记录只能更正" in err
    fixed_refund = ok(capsys, "medicine", "correct", refund["id"], *db, "--reason", "数量录错",
                      "--set", "quantity=2")["delivery"]
    assert fixed_refund["quantity"] == -2 and fixed_refund["corrects_id"] == refund["id"]
    ok(capsys, "medicine", "void", fixed_refund["id"], *db, "--reason", "没有退药")
    fixed = ok(capsys, "medicine", "correct", sent["id"], *db, "--reason", "单价录错",
               "--set", "unit_price=19.98")["delivery"]
    assert (fixed["corrects_id"], fixed["total_fen"], fixed["insurance_fen"],
            fixed["free_fund_fen"]) == (sent["id"], 5994, 30, 5964)
    view = ok(capsys, "medicine-box", "李四", *db)
    assert {d["id"] for d in view["deliveries"] if d["current"]} == {split["id"], fixed["id"]}
    code, out, _ = run(capsys, "medicine", "stop-item", "李四", *db, "--reason", "医嘱换药")
    assert code == 0 and "已停用" in out
    code, _, err = run(capsys, "medicine", "deliver", "李四", *db, "--set", "quantity=1",
                       "--set", "unit_price=20")
    assert code == 1 and "没有在用的药品" in err


@pytest.mark.parametrize(("typed", "message"), [
    ("unit_price=18.505", "单价“18.505”最多两位小数（到分）"),
    ("unit_price=十八", "不是金额"),
    ("insurance=-1", "医保支付不能为负数"),
    ("quantity=1.5", "数量应为正整数"),
    ("price=18", "没有“price”这一项"),
], ids=["fraction-of-a-fen", "not-money", "negative", "fractional-quantity", "unknown-key"])
def test_amounts_are_typed_in_yuan_and_checked_exactly(desk: str, capsys, typed: str,
                                                       message: str) -> None:
    db = ("--db", desk)
    ok(capsys, "medicine", "open-box", "李四", *db)
    ok(capsys, "medicine", "add-item", "李四", *db, "--set", "medicine=二甲双胍片")
    base = {"quantity": "1", "unit_price": "18"}
    key = typed.split("=")[0]
    given = [f"{k}={v}" for k, v in base.items() if k != key] + [typed]
    code, _, err = run(capsys, "medicine", "deliver", "李四", *db,
                       *[arg for pair in given for arg in ("--set", pair)])
    assert code == 1 and message in err
    assert ok(capsys, "medicine-box", "李四", *db)["deliveries"] == []


def test_medicine_box_names_a_person_as_every_command_does(desk: str, capsys,
                                                          monkeypatch) -> None:
    """medicine-box had its own copy of the person lookup; it now shares _one_resident."""
    import clinic_app.cli as cli

    asked: list[str] = []
    original = cli._one_resident

    def spy(clinic: Any, text: str) -> str:
        asked.append(text)
        return original(clinic, text)

    monkeypatch.setattr(cli, "_one_resident", spy)
    assert ok(capsys, "medicine-box", "李四", "--db", desk)["name"] == "李四"
    code, _, err = run(capsys, "medicine-box", "zs", "--db", desk)
    assert code == 1 and "找到 2 人" in err
    assert asked == ["李四", "zs"]
