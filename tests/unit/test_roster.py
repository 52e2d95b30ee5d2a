"""Importing the poverty office's roster: messy sheets, encodings, re-imports, cancel, dry run."""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from factories import Village, id_number, make_household, make_village

from clinic_app.clinic import Clinic
from clinic_app.domain import codes, ids
from clinic_app.errors import ClinicError
from clinic_app.progress import Cancelled, Progress
from clinic_app.roster import (
    ImportReport,
    health_conditions,
    import_roster,
    match_header,
    match_headers,
    parse_id_cell,
    poverty_category_code,
    poverty_status_code,
    preview_roster,
    relation_code,
    write_error_report,
    write_missing_report,
)

HEADERS = ["序号", "乡(镇)", "行政村", "组", "户编号", "姓名", "性别", "证件号码", "与户主关系",
           "联系电话", "贫困户属性", "脱贫属性", "健康状况", "民族"]
KEYS = ("township", "village", "group", "household_no", "name", "sex", "id_number", "relation",
        "phone", "category", "status", "health", "ethnicity")
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def person(household: str, name: str, number: Any, relation: str, **extra: Any
           ) -> dict[str, Any]:
    return {"township": "兴隆镇", "village": "红星村", "group": "1组", "household_no": household,
            "name": name, "sex": "", "id_number": number, "relation": relation, "phone": "",
            "category": "一般贫困户", "status": "未脱贫", "health": "健康", "ethnicity": "汉族",
            **extra}


def write_roster(path: Path, people: Sequence[dict[str, Any]], *,
                 after_total: Sequence[Sequence[Any]] = (),
                 extra: Sequence[tuple[str, str]] = ()) -> Path:
    """A roster as the office sends it: merged title, blank row, notes, column numbers, totals.

    extra: more (header, key) columns after the usual ones (出生日期, 家庭住址 …).
    """
    headers = [*HEADERS, *(h for h, _ in extra)]
    keys = [*KEYS, *(k for _, k in extra)]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    sheet.append(["兴隆镇2026年建档立卡贫困人口花名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append([])
    sheet.append(["填报单位：兴隆镇人民政府", None, None, None, None, None, None, None,
                  "填报日期：2026年10月"])
    sheet.append(headers)
    sheet.append(list(range(1, len(headers) + 1)))
    for number, p in enumerate(people, 1):
        sheet.append([number, *(p.get(k) for k in keys)])
    sheet.append([])
    sheet.append(["合计", None, None, None, None, f"{len(people)}人"])
    for row in after_total:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["制表人：王会计", None, None, None, None, "审核人：李主任"])
    book.save(path)
    return path


def id_ending_in_x(birth: dt.date) -> str:
    for sequence in range(500):
        number = ids.make("640522", birth, sequence, "男")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit")


def lost_tail(birth: dt.date) -> str:
    """What Excel leaves of an 18-digit ID typed as a number: the last digits become 000."""
    for sequence in range(500):
        number = ids.make("640522", birth, sequence, "女")[:15] + "000"
        if not ids.is_valid(number):
            return number
    raise AssertionError("no broken number")


def snapshot(clinic: Clinic) -> dict[str, Any]:
    store = clinic.store
    counts = clinic.check().counts
    return {**counts,
            "change_log": change_log_count(clinic),
            "search_keys": store.db.execute("SELECT count(*) FROM search_keys").fetchone()[0],
            "counter": store.meta("change_counter")}


def change_log_count(clinic: Clinic) -> int:
    return int(clinic.store.db.execute("SELECT count(*) FROM change_log").fetchone()[0])


def resident_by_name(clinic: Clinic, name: str) -> dict[str, Any]:
    rows = clinic.store.rows("SELECT * FROM residents WHERE name = ? AND deleted = 0", [name])
    assert len(rows) == 1, (name, rows)
    return rows[0]


def household_by_no(clinic: Clinic, number: str) -> dict[str, Any]:
    rows = clinic.store.rows("SELECT * FROM households WHERE household_no = ?", [number])
    assert len(rows) == 1
    return rows[0]


def issues(items: Sequence[Any]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for item in items:
        out.setdefault(item.row, []).append((item.column, item.reason))
    return out


# ------------------------------------------------------------------------------ the messy sheet
@pytest.fixture
def messy(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    numbers = {
        "head": id_number(dt.date(1960, 5, 1), "男"),
        "wife": id_number(dt.date(1962, 8, 9), "女"),
        "son": id_ending_in_x(dt.date(1988, 3, 9)),
        "wang": id_number(dt.date(1955, 1, 2), "男"),
        "daughter": id_number(dt.date(1990, 6, 6), "女"),
        "zhao": id_number(dt.date(1985, 2, 2), "男"),
        "bad": id_number(dt.date(1970, 1, 1), "男"),
        "float": id_number(dt.date(1971, 1, 1), "男"),
        "zheng": id_number(dt.date(1972, 2, 2), "男"),
    }
    head = numbers["head"]
    bad = numbers["bad"]
    people = [
        # row 6: spaces around and inside the ID, a phone with spaces
        person("H001", " 张三 ", f" {head[:6]} {head[6:14]} {head[14:]} ", "户主",
               phone="139 1234 5678", sex="男"),
        # row 7: ideographic space in the name, full-width digits
        person("H001", "李\u3000秀英", numbers["wife"].translate(FULL_WIDTH), "配偶",
               category="低保贫困户", status="已脱贫", health="长期慢性病"),
        # row 8: lower-case x
        person("H001", "张小明", numbers["son"].lower(), "之子", ethnicity="回"),
        # row 9: the head's ID stored by Excel as a number: last digits lost
        person("H002", "王五", int(numbers["wang"][:15] + "000"), "户主"),
        # row 10: sex contradicts the ID (a warning; imported)
        person("H002", "王小花", numbers["daughter"], "之女", sex="男", category="特困供养"),
        # row 11: household without any head row
        person("H003", "赵六", numbers["zhao"], "之子", category="五保"),
        # row 12: wrong check digit
        person("H003", "钱七", bad[:17] + ("1" if bad[17] != "1" else "2"), "之女"),
        # row 13: impossible birth date
        person("H003", "孙八", "640522199002301234", "之子"),
        # row 14: no ID
        person("H003", "李九", "", "之子"),
        # row 15: a float from Excel
        person("H003", "周十", float(int(numbers["float"][:17] + "0")), "之子"),
        # row 16: scientific notation as text (a CSV round trip through Excel)
        person("H003", "吴一", "6.40522E+17", "之子"),
        # row 17: text ending in 000 with a wrong check digit
        person("H003", "郑二", lost_tail(dt.date(1975, 3, 3)), "之女"),
        # row 18: 张三 listed twice
        person("H001", "张三", head, "户主"),
        # row 19: no household number
        person("", "冯三", numbers["zheng"], "户主"),
    ]
    after = [[None, "兴隆镇", "红星村", "1组", "H999", "幽灵", "", "", "户主"]]
    return write_roster(tmp_path / "roster.xlsx", people, after_total=after), numbers


def test_messy_sheet_imports_the_good_rows_and_reports_every_bad_one(
        clinic: Clinic, messy: tuple[Path, dict[str, str]]) -> None:
    path, numbers = messy
    report = import_roster(clinic, path)

    assert report.sheet == "花名册" and report.header_row == 4
    assert report.mapping == {1: "township", 2: "village", 3: "group", 4: "household_no",
                              5: "name", 6: "sex", 7: "id_number", 8: "relation", 9: "phone",
                              10: "poverty_category", 11: "poverty_status", 12: "health",
                              13: "ethnicity"}
    assert report.rows_read == 14  # title, notes, column numbers, totals and after: not data
    assert (report.imported, report.updated, report.unchanged) == (5, 0, 0)
    assert report.households == 3
    assert report.places_created == ["兴隆镇", "红星村"]

    errors = issues(report.errors)
    assert sorted(errors) == [9, 12, 13, 14, 15, 16, 17, 18, 19]
    assert all(column == "证件号码" for row in (9, 12, 13, 14, 15, 16, 17, 18)
               for column, _ in errors[row])
    assert "后几位已丢失" in errors[9][0][1]
    assert "校验位" in errors[12][0][1]
    assert "19900230 不存在" in errors[13][0][1]
    assert errors[14][0][1].startswith("身份证号为空：") and "性别和出生日期" in errors[14][0][1]
    assert "后几位已丢失" in errors[15][0][1]
    assert "科学计数法" in errors[16][0][1]
    assert "丢失" in errors[17][0][1]
    assert "第6行" in errors[18][0][1]
    assert errors[19] == [("户编号", "户编号为空")]
    assert report.rejected == 9

    warnings = issues(report.warnings)
    assert ("性别", "性别“男”与身份证号（女）不符，已按身份证号记录") in warnings[10]
    assert any(c == "与户主关系" and "户主行（第9行）被拒绝" in r for c, r in warnings[10])
    assert any("H003：名单中没有户主" in r for _, r in warnings[11])
    assert any("640522" in r for _, r in warnings[6])  # one warning for the code, not five

    head = resident_by_name(clinic, "张三")
    assert head["id_number"] == numbers["head"] and head["phone"] == "13912345678"
    assert (head["relation"], head["sex"], head["birth_date"]) == ("户主", "男", "1960-05-01")
    assert (head["poverty_category"], head["poverty_status"]) == ("poverty_registered",
                                                                 "not_lifted")
    wife = resident_by_name(clinic, "李秀英")
    assert wife["id_number"] == numbers["wife"]
    assert (wife["poverty_category"], wife["poverty_status"]) == ("dibao", "lifted")
    assert "长期慢性病" in wife["notes"]
    son = resident_by_name(clinic, "张小明")
    assert son["id_number"] == numbers["son"] and son["id_number"].endswith("X")
    assert son["ethnicity"] == "回族"
    daughter = resident_by_name(clinic, "王小花")
    assert daughter["sex"] == "女" and daughter["poverty_category"] == "tekun"
    assert resident_by_name(clinic, "赵六")["poverty_category"] == "tekun"

    h1, h2, h3 = (household_by_no(clinic, n) for n in ("H001", "H002", "H003"))
    assert h1["head_id"] == head["id"] and h1["group_name"] == "1组"
    assert h2["head_id"] is None and h3["head_id"] is None
    assert daughter["household_id"] == h2["id"]
    village = clinic.place(h1["village_id"])
    assert village.name == "红星村" and clinic.place(village.parent_id or "").name == "兴隆镇"
    assert clinic.count("residents") == 5
    assert clinic.check().ok, clinic.check().problems
    assert [r["name"] for r in clinic.search("zs")][:1] == ["张三"]
    assert clinic.search(numbers["son"][-4:])[0]["name"] == "张小明"
    assert clinic.history("residents", head["id"])[0]["op"] == "insert"


def test_error_report_keeps_the_original_values_and_the_reason(
        clinic: Clinic, messy: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, numbers = messy
    report = import_roster(clinic, path)
    out = tmp_path / "errors.xlsx"
    assert write_error_report(report, out) == 9
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "roster.xlsx 导入错误报告 导出于2026-11-23 共9行"  # the title row
    assert [str(m) for m in sheet.merged_cells.ranges] == [f"A1:{chr(64 + len(rows[1]))}1"]
    assert rows[1] == ["原表行号", *HEADERS, "原因"]
    by_row = {r[0]: r for r in rows[2:]}
    assert sorted(by_row) == [9, 12, 13, 14, 15, 16, 17, 18, 19]
    assert by_row[9][6] == "王五"
    assert by_row[9][8] == numbers["wang"][:15] + "000"  # the number as Excel showed it, as text
    assert by_row[9][-1].startswith("证件号码：身份证号被表格存成了数字")
    assert by_row[19][-1] == "户编号：户编号为空"


def test_report_json_has_the_documented_keys(clinic: Clinic,
                                             messy: tuple[Path, dict[str, str]]) -> None:
    data = json.loads(json.dumps(import_roster(clinic, messy[0]).to_json(), ensure_ascii=False))
    for key in ("imported", "updated", "unchanged", "households", "errors", "warnings",
                "missing_from_roster", "mapping", "header_row", "rows_read", "encoding",
                "sheet"):
        assert key in data
    assert data["errors"][0] == {"row": 9, "column": "证件号码",
                                 "reason": data["errors"][0]["reason"]}
    assert data["mapping"]["7"] == "id_number"


# ------------------------------------------------------------------------------ csv encodings
def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str,
              delimiter: str = ",") -> Path:
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def test_gb18030_csv_keeps_rare_characters(clinic: Clinic, tmp_path: Path) -> None:
    head, son = id_number(dt.date(1958, 4, 4), "男"), id_number(dt.date(1986, 9, 9), "男")
    rows = [["2026年红星村建档立卡名单", "", "", "", "", ""], [""],
            ["户编号", "姓名", "身份证号", "与户主关系", "乡镇", "村"],
            ["H1", "刘䶮", head, "户主", "兴隆镇", "红星村"],
            ["H1", "刘 小 龙", son, "之子", "兴隆镇", "红星村"],
            ["合计", "2人"]]
    report = import_roster(clinic, write_csv(tmp_path / "r.csv", rows, "gb18030"))
    assert report.encoding == "gb18030" and report.header_row == 3
    assert report.imported == 2 and report.errors == []
    assert resident_by_name(clinic, "刘䶮")["id_number"] == head
    assert resident_by_name(clinic, "刘小龙")["relation"] == "之子"
    assert clinic.check().ok


def test_utf8_bom_csv_with_excel_damage(clinic: Clinic, tmp_path: Path) -> None:
    head = id_number(dt.date(1961, 1, 1), "男")
    rows = [["户编号", "姓名", "证件号码", "与户主关系", "乡(镇)", "行政村", "电话"],
            ["H7", "马一", head, "户主", "兴隆镇", "红星村", "13900000001"],
            ["H7", "马二", "6.40522E+17", "之子", "兴隆镇", "红星村", ""]]
    report = import_roster(clinic, write_csv(tmp_path / "r.csv", rows, "utf-8-sig"))
    assert report.encoding == "utf-8-sig" and report.header_row == 1
    assert report.imported == 1
    assert [(e.row, e.column) for e in report.errors] == [(3, "证件号码")]
    assert "科学计数法" in report.errors[0].reason
    assert resident_by_name(clinic, "马一")["phone"] == "13900000001"


@pytest.mark.parametrize(("encoding", "delimiter", "expected"), [
    ("gbk", ",", "gbk"), ("utf-8", ",", "utf-8"), ("utf-8-sig", "\t", "utf-8-sig"),
    ("utf-16", "\t", "utf-16"),
])
def test_csv_encoding_and_delimiter_are_detected(clinic: Clinic, tmp_path: Path, encoding: str,
                                                 delimiter: str, expected: str) -> None:
    rows = [["户编号", "姓名", "身份证号码", "与户主关系", "乡镇", "村"],
            ["H1", "黄大", id_number(dt.date(1950, 7, 7), "男"), "户主", "兴隆镇", "红星村"]]
    report = import_roster(clinic, write_csv(tmp_path / "r.csv", rows, encoding, delimiter))
    assert (report.encoding, report.imported, report.errors) == (expected, 1, [])


# ------------------------------------------------------------------------------ re-import
@pytest.fixture
def family_numbers() -> dict[str, str]:
    return {
        "head": id_number(dt.date(1960, 5, 1), "男"),
        "wife": id_number(dt.date(1962, 8, 9), "女"),
        "son": id_number(dt.date(1988, 3, 9), "男"),
        "wang": id_number(dt.date(1955, 1, 2), "男"),
        "daughter": id_number(dt.date(1990, 6, 6), "女"),
        "new": id_number(dt.date(2001, 2, 3), "女"),
    }


def first_roster(n: dict[str, str]) -> list[dict[str, Any]]:
    return [
        person("H001", "张三", n["head"], "户主", phone="13912345678"),
        person("H001", "李秀英", n["wife"], "配偶"),
        person("H001", "张小明", n["son"], "之子"),
        person("H002", "王五", n["wang"], "户主"),
        person("H002", "王小花", n["daughter"], "之女"),
    ]


def second_roster(n: dict[str, str]) -> list[dict[str, Any]]:
    """Three months later: a new phone, 李秀英 lifted, 王小花 gone, 王小草 born into H002."""
    return [
        person("H001", "张三", n["head"], "户主", phone="13700000000"),
        person("H001", "李秀英", n["wife"], "配偶", status="已脱贫"),
        person("H001", "张小明", n["son"], "之子"),
        person("H002", "王五", n["wang"], "户主"),
        person("H002", "王小草", n["new"], "之女"),
    ]


def test_reimport_adds_updates_lists_missing_and_keeps_doctor_records(
        clinic: Clinic, tmp_path: Path, family_numbers: dict[str, str]) -> None:
    n = family_numbers
    first = import_roster(clinic, write_roster(tmp_path / "v1.xlsx", first_roster(n)))
    assert (first.imported, first.households, first.errors) == (5, 2, [])
    xiaohua = resident_by_name(clinic, "王小花")
    clinic.add_condition(xiaohua["id"], "hypertension", dt.date(2024, 1, 1))
    contract = clinic.sign_contract(xiaohua["id"], team_id=None, doctor_id=None,
                                    package_code="basic", start_on=dt.date(2026, 3, 1))
    with clinic.db.atomic():
        visit = clinic.store.insert("follow_ups", {"resident_id": xiaohua["id"],
                                                   "form": "hypertension",
                                                   "visit_date": "2026-10-01", "sbp": 150})

    second_path = write_roster(tmp_path / "v2.xlsx", second_roster(n))
    report = import_roster(clinic, second_path)
    assert (report.imported, report.updated, report.unchanged) == (1, 2, 2)
    assert (report.households, report.households_updated, report.errors) == (0, 0, [])
    assert report.missing_from_roster == [{
        "resident_id": xiaohua["id"], "name": "王小花", "masked_id": ids.mask(n["daughter"]),
        "id_number": n["daughter"], "sex": "女", "birth_date": "1990-06-06",
        "relation": "之女", "village": "红星村", "group": "1组", "household_no": "H002",
        "reason": "同户其他成员在名单中"}]
    assert report.missing_by_village == {"红星村": 1}
    assert "id_number" not in report.to_json()["missing_from_roster"][0]  # masked in output
    head = resident_by_name(clinic, "张三")
    assert head["phone"] == "13700000000"
    history = clinic.history("residents", head["id"])
    assert history[-1]["op"] == "update" and history[-1]["user"] == "测试员（名单导入）"
    assert history[-1]["fields"] == {"phone": {"old": "13912345678", "new": "13700000000"}}
    wife = resident_by_name(clinic, "李秀英")
    assert clinic.history("residents", wife["id"])[-1]["fields"]["poverty_status"] == {
        "old": "not_lifted", "new": "lifted"}
    assert {c["name"] for c in report.changes} == {"张三", "李秀英"}
    assert clinic.search("13700000000")[0]["name"] == "张三"  # the search index follows

    # Nothing a doctor entered is touched: the person, her contract and her visit stay.
    kept = clinic.resident(xiaohua["id"])
    assert (kept.deleted, kept.status, kept.household_id) == (False, "active",
                                                             xiaohua["household_id"])
    assert [c.id for c in clinic.contracts(xiaohua["id"])] == [contract]
    assert clinic.store.get("follow_ups", visit)["deleted"] == 0
    assert [c.code for c in clinic.conditions(xiaohua["id"])] == ["hypertension"]
    assert clinic.check().ok

    before = snapshot(clinic)
    again = import_roster(clinic, second_path)
    assert (again.imported, again.updated, again.unchanged, again.households) == (0, 0, 5, 0)
    assert again.households_updated == 0 and again.changes == []
    assert snapshot(clinic) == before  # not one change-log row
    assert [m["name"] for m in again.missing_from_roster] == ["王小花"]


def test_dry_run_reports_the_changes_and_writes_nothing(
        clinic: Clinic, tmp_path: Path, family_numbers: dict[str, str]) -> None:
    n = family_numbers
    import_roster(clinic, write_roster(tmp_path / "v1.xlsx", first_roster(n)))
    second = write_roster(tmp_path / "v2.xlsx",
                          [*second_roster(n), person("H009", "新户主", id_number(
                              dt.date(1966, 6, 1), "男"), "户主", village="石桥村")])
    before = snapshot(clinic)
    dry = import_roster(clinic, second, dry_run=True)
    assert dry.dry_run and snapshot(clinic) == before
    assert (dry.imported, dry.updated, dry.unchanged, dry.households) == (2, 2, 2, 1)
    assert dry.places_created == ["石桥村"]
    real = import_roster(clinic, second)
    assert (real.imported, real.updated, real.unchanged, real.households) == (2, 2, 2, 1)
    assert [c["fields"] for c in real.changes] == [c["fields"] for c in dry.changes]
    assert real.missing_from_roster == dry.missing_from_roster


@pytest.mark.parametrize("phase", ["检查名单", "写入居民"])
def test_cancel_leaves_the_register_as_it_was(clinic: Clinic, tmp_path: Path,
                                              family_numbers: dict[str, str],
                                              phase: str) -> None:
    n = family_numbers
    import_roster(clinic, write_roster(tmp_path / "v1.xlsx", first_roster(n)))
    newcomers = [person("H003", f"新{name}", id_number(dt.date(1970 + k, 1, 1), "男"),
                        "户主" if k == 0 else "之子")
                 for k, name in enumerate("甲乙丙丁戊己")]
    path = write_roster(tmp_path / "v2.xlsx", [*second_roster(n), *newcomers])
    before = snapshot(clinic)
    seen: list[tuple[int, str]] = []

    def on_update(done: int, total: int, message: str) -> None:
        seen.append((done, message))
        if message == phase and done >= 3:
            progress.cancel()

    progress = Progress(on_update)
    with pytest.raises(Cancelled):
        import_roster(clinic, path, progress=progress)
    assert (3, phase) in seen  # cancelled mid-way through that phase
    assert snapshot(clinic) == before
    assert clinic.check().ok
    # The same file imports fine afterwards.
    assert import_roster(clinic, path).imported == 7


# ------------------------------------------------------------------------------ places, heads
def test_village_argument_imports_only_that_village(clinic: Clinic, tmp_path: Path) -> None:
    people = [person("R1", "红一", id_number(dt.date(1950, 1, 1), "男"), "户主"),
              person("S1", "石一", id_number(dt.date(1951, 1, 1), "男"), "户主",
                     village="石桥村"),
              person("S1", "石二", id_number(dt.date(1952, 1, 1), "女"), "配偶",
                     village="石桥村"),
              person("R2", "红二", id_number(dt.date(1953, 1, 1), "女"), "户主")]
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", people), village="红星")
    assert (report.imported, report.skipped_other_village, report.rows_read) == (2, 2, 4)
    assert report.places_created == ["兴隆镇", "红星村"]
    assert {p.name for p in clinic.places("village")} == {"红星村"}
    with pytest.raises(ClinicError, match="没有“东湾村”的人员"):
        import_roster(clinic, tmp_path / "r.xlsx", village="东湾村")


def test_existing_places_are_found_and_new_townships_hang_under_the_county(
        clinic: Clinic, village: Village, tmp_path: Path) -> None:
    county = clinic.add_place("county", "海原县")
    people = [person("A1", "甲一", id_number(dt.date(1950, 2, 1), "男"), "户主"),
              person("B1", "乙一", id_number(dt.date(1950, 3, 1), "男"), "户主",
                     township="关桥乡", village="团结村")]
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", people))
    assert report.places_created == ["关桥乡", "团结村"]
    assert household_by_no(clinic, "A1")["village_id"] == village.village_id  # 兴隆镇红星村
    guanqiao = next(p for p in clinic.places("township") if p.name == "关桥乡")
    assert guanqiao.parent_id == county


def test_a_head_moved_by_the_roster_leaves_the_old_household_headless(
        clinic: Clinic, village: Village, tmp_path: Path) -> None:
    old = clinic.add_household(village.village_id)  # entered by the doctor, no number
    number = id_number(dt.date(1944, 4, 4), "男")
    moved = clinic.add_resident(old, "户主", name="何大", id_number=number).id
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H8", "何大", number, "户主")]))
    assert (report.imported, report.updated) == (0, 1)
    assert clinic.household(old).head_id is None
    assert clinic.resident(moved).household_id == household_by_no(clinic, "H8")["id"]
    assert household_by_no(clinic, "H8")["head_id"] == moved
    assert any("原户暂无户主" in w.reason for w in report.warnings)
    assert clinic.check().ok


def test_reimport_keeps_one_head_per_household(clinic: Clinic, tmp_path: Path) -> None:
    n = {k: id_number(dt.date(1950 + i, 1, 1), "男女"[i % 2])
         for i, k in enumerate(("head", "wife", "son", "in_law", "zhao"))}
    import_roster(clinic, write_roster(tmp_path / "v1.xlsx", [
        person("H1", "张三", n["head"], "户主"), person("H1", "李四", n["wife"], "配偶"),
        person("H1", "张五", n["son"], "之子"), person("H1", "王六", n["in_law"], "之儿媳"),
        person("H3", "赵一", n["zhao"], "户主")]))
    zhangsan = resident_by_name(clinic, "张三")
    # 张三 died: 李四 heads H1; the son's family splits off as H2 (listed with two heads);
    # 赵一 is no longer called 户主 and H3 has no head row.
    second = write_roster(tmp_path / "v2.xlsx", [
        person("H1", "李四", n["wife"], "户主"),
        person("H2", "张五", n["son"], "户主"), person("H2", "王六", n["in_law"], "户主"),
        person("H3", "赵一", n["zhao"], "之子")])
    report = import_roster(clinic, second)
    assert (report.imported, report.updated, report.households) == (0, 4, 1)
    assert [m["name"] for m in report.missing_from_roster] == ["张三"]
    warnings = issues(report.warnings)
    assert any("原户主张三不在名单中" in r for _, r in warnings[6])
    assert any("有多个户主，以第7行为准" in r for _, r in warnings[8])
    assert any("H3：名单中没有户主" in r for _, r in warnings[9])
    h1, h2, h3 = (household_by_no(clinic, k) for k in ("H1", "H2", "H3"))
    assert clinic.resident(h1["head_id"]).name == "李四"
    assert clinic.resident(h2["head_id"]).name == "张五"
    assert resident_by_name(clinic, "王六")["relation"] == "其他"
    assert h3["head_id"] is None
    assert clinic.history("residents", zhangsan["id"])[-1]["fields"] == {
        "relation": {"old": "户主", "new": "其他"}}
    assert clinic.check().ok, clinic.check().problems
    before = snapshot(clinic)
    assert import_roster(clinic, second).changes == []
    assert snapshot(clinic) == before


# ------------------------------------------------------------------------------ headers
@pytest.mark.parametrize(("text", "field"), [
    ("姓名", "name"), (" 姓 名 ", "name"), ("户主姓名", None), ("证件号码", "id_number"),
    ("身份证号", "id_number"), ("身份证号码（18位）", "id_number"), ("户编号", "household_no"),
    ("乡(镇)", "township"), ("乡（镇）", "township"), ("乡镇", "township"),
    ("行政村", "village"), ("村", "village"), ("组", "group"), ("村民小组", "group"),
    ("联系电话", "phone"), ("电话", "phone"), ("贫困户属性", "poverty_category"),
    ("人员类别", "poverty_category"), ("健康状况", "health"), ("脱贫属性", "poverty_status"),
    ("脱贫状态", "poverty_status"), ("脱贫年度", None), ("民族", "ethnicity"),
    ("与户主关系", "relation"), ("*性别", "sex"), ("序号", None), ("户主与本人关系", "relation"),
    ("自然村", "group"), ("户主联系电话", None), ("证件类型", None),
])
def test_usual_headers_are_recognised(text: str, field: str | None) -> None:
    assert match_header(text) == field


def test_first_column_wins_and_exact_names_beat_partial_ones() -> None:
    assert match_headers(["户主姓名", "成员身份证号", "姓名", "身份证号码"]) == {
        2: "name", 3: "id_number"}


@pytest.mark.parametrize(("text", "code"), [
    ("一般贫困户", "poverty_registered"), ("建档立卡", "poverty_registered"),
    ("建档立卡贫困人口", "poverty_registered"), ("低保贫困户", "dibao"), ("低保户", "dibao"),
    ("特困供养", "tekun"), ("五保", "tekun"), ("五保贫困户", "tekun"), ("脱贫户", "lifted"),
    ("防止返贫监测对象", "monitored"), ("贫困残疾人", "poor_disabled"), ("", ""),
    ("边缘易致贫户", "monitored"), ("脱贫不稳定户", "monitored"), ("一般户", "none"),
    ("插花户", "插花户"),
])
def test_poverty_categories_map_by_label(text: str, code: str) -> None:
    assert poverty_category_code(text) == code


@pytest.mark.parametrize(("text", "code"), [
    ("已脱贫", "lifted"), ("脱贫", "lifted"), ("未脱贫", "not_lifted"), ("", ""),
    ("是", "lifted"), ("否", "not_lifted"),
])
def test_poverty_status_maps(text: str, code: str) -> None:
    assert poverty_status_code(text) == code


def test_two_line_header_with_merged_cells(clinic: Clinic, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026年兴隆镇扶贫对象名单"])
    sheet.merge_cells("A1:G1")
    sheet.append(["户编号", "姓名", "身份证号码", "户籍地址", None, None, "与户主关系"])
    sheet.append([None, None, None, "乡(镇)", "行政村", "组", None])
    for column in "ABCG":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:F2")
    head = id_number(dt.date(1948, 8, 8), "男")
    wife = id_number(dt.date(1950, 9, 9), "女")
    sheet.append(["K1", "林一", head, "兴隆镇", "红星村", 2, "户主"])
    sheet.append([None, "陈二", wife, None, None, None, "配偶"])
    # The household number, township, village and group are merged down the family's rows.
    for column in "ADEF":
        sheet.merge_cells(f"{column}4:{column}5")
    path = tmp_path / "two.xlsx"
    book.save(path)
    preview = preview_roster(path)
    assert preview.header_row == 3
    assert set(preview.mapping.values()) == {"household_no", "name", "id_number", "township",
                                             "village", "group", "relation"}
    report = import_roster(clinic, path)
    assert (report.imported, report.households, report.errors) == (2, 1, [])
    household = household_by_no(clinic, "K1")
    assert household["group_name"] == "2组"
    assert resident_by_name(clinic, "陈二")["household_id"] == household["id"]


def test_explicit_mapping_and_header_row(clinic: Clinic, village: Village,
                                         tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["甲", "乙", "丙", "丁"])
    sheet.append(["M1", "梁一", id_number(dt.date(1959, 9, 1), "女"), "红星"])
    sheet.append(["M2", "梁二", id_number(dt.date(1959, 9, 2), "女"), "石桥村"])
    path = tmp_path / "odd.xlsx"
    book.save(path)
    with pytest.raises(ClinicError, match="找不到表头"):
        import_roster(clinic, path)
    with pytest.raises(ClinicError, match="户编号"):
        import_roster(clinic, path, header_row=1, mapping={"name": 1, "id_number": 2})
    report = import_roster(clinic, path, header_row=1, mapping={
        "household_no": 0, "name": 1, "id_number": 2, "village": 3})
    assert report.mapping == {0: "household_no", 1: "name", 2: "id_number", 3: "village"}
    assert report.imported == 1 and report.places_created == []
    # 红星 is the register's 红星村; 石桥村 is unknown and the sheet names no township.
    assert household_by_no(clinic, "M1")["village_id"] == village.village_id
    assert [(e.row, e.column) for e in report.errors] == [(3, "丁")]
    assert "无法确定它属于哪个乡镇" in report.errors[0].reason


def test_a_sheet_without_place_columns_goes_to_the_chosen_village(
        clinic: Clinic, village: Village, tmp_path: Path) -> None:
    old_style = id_number(dt.date(1952, 12, 1), "男")
    rows = [["户号", "姓名", "身份证号", "关系"],
            ["V1", "严一", old_style[:6] + old_style[8:17], "户主"],  # 15 digits (1st generation)
            ["V1", "严二", id_number(dt.date(1980, 1, 1), "女"), "之女"]]
    path = write_csv(tmp_path / "v.csv", rows, "utf-8")
    with pytest.raises(ClinicError, match="没有“行政村”列"):
        import_roster(clinic, path)
    with pytest.raises(ClinicError, match="请先在登记册中建立这个村"):
        import_roster(clinic, path, village="东湾村")
    report = import_roster(clinic, path, village="红星村")
    assert (report.imported, report.households, report.errors) == (2, 1, [])
    assert [(w.row, w.reason) for w in report.warnings if "15位" in w.reason] == [
        (2, "15位旧身份证号已转换为18位")]
    assert household_by_no(clinic, "V1")["village_id"] == village.village_id
    assert resident_by_name(clinic, "严一")["id_number"] == ids.parse(
        old_style[:6] + old_style[8:17]).number


def test_unreadable_files_are_refused_in_chinese(clinic: Clinic, tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ClinicError, match="另存为"):
        import_roster(clinic, old)
    with pytest.raises(ClinicError, match="找不到文件"):
        import_roster(clinic, tmp_path / "none.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ClinicError, match="无法读取"):
        import_roster(clinic, broken)


def test_empty_report_json_is_serialisable(tmp_path: Path) -> None:
    assert json.dumps(ImportReport(str(tmp_path)).to_json())


def _outcome(parse: Any, raw: Any) -> Any:
    try:
        return parse(raw)
    except ids.IdNumberError as exc:
        return f"error: {exc}"


def test_quick_id_check_agrees_with_ids_parse() -> None:
    today = dt.date(2026, 11, 23)
    valid = [id_number(dt.date(1940 + k * 7, k % 12 + 1, k % 28 + 1), "男女"[k % 2])
             for k in range(12)]
    digits = [v for v in valid if v[-1] != "X"]  # numeric cells cannot end in X
    samples: list[Any] = [
        *valid, id_ending_in_x(dt.date(1977, 7, 7)), "64222219800101001X",  # old county code
        "110105194912310021", "110105194912310029", "11010519491231002x", " 1101 0519 4912 3100 2X",
        "１１０１０５１９４９１２３１００２Ｘ", "640522199002301234", "640522203001011234",
        "640522187001011234", "110105491231002", "6405221960", "", "6.40522E+17",
        "640522196005011000", "64052219600501100A", "abcdefghijklmnopqr",
        int(digits[0][:15] + "000"), float(digits[1][:17] + "0"), int(digits[2]),
    ]
    cache: dict[tuple[str, int], tuple[str, ...]] = {}
    for raw in samples:
        quick = _outcome(lambda r: parse_id_cell(r, today, cache), raw)
        plain = _outcome(lambda r: parse_id_cell(r, today), raw)
        assert quick == plain, raw
        if isinstance(raw, str) and raw.strip():
            assert plain == _outcome(lambda r: ids.parse(r, today=today), raw), raw
    assert cache  # the quick path was taken


def test_the_cycle_collector_is_restored(clinic: Clinic, tmp_path: Path) -> None:
    assert gc.isenabled()
    with pytest.raises(ClinicError):
        import_roster(clinic, tmp_path / "none.xlsx")
    assert gc.isenabled()


# ------------------------------------------------------------------------------ local edits win
def test_a_local_correction_survives_a_reimport_and_is_reported_as_a_conflict(
        clinic: Clinic, tmp_path: Path, family_numbers: dict[str, str]) -> None:
    n = family_numbers
    first = write_roster(tmp_path / "v1.xlsx", first_roster(n), extra=[("家庭住址", "address")])
    import_roster(clinic, first)
    head = resident_by_name(clinic, "张三")
    wife = resident_by_name(clinic, "李秀英")
    household = household_by_no(clinic, "H001")
    # The doctor corrects the phone and the address, and fixes the wife's ethnicity.
    clinic.update_resident(head["id"], phone="13811112222")
    clinic.update_resident(wife["id"], ethnicity="回族")
    with clinic.db.atomic():  # as the household form saves it (one write, by the doctor)
        clinic.store.update("households", household["id"], {"address": "红星村三组12号"})
    # The office still has the old values, and a new phone of its own for 张三.
    people = second_roster(n)
    people[0]["address"] = "红星村"
    second = write_roster(tmp_path / "v2.xlsx", people, extra=[("家庭住址", "address")])

    dry = import_roster(clinic, second, dry_run=True)
    conflicts = {(c["name"], c["field"]): c for c in dry.conflicts}
    assert set(conflicts) == {("张三", "phone"), ("李秀英", "ethnicity"), ("户 H001", "address")}
    phone = conflicts[("张三", "phone")]
    assert (phone["current"], phone["roster"], phone["label"]) == (
        "13811112222", "13700000000", "电话")
    assert phone["local_user"] == "测试员" and not phone["overwritten"]
    assert conflicts[("户 H001", "address")]["current"] == "红星村三组12号"
    assert dry.kept_local == 3
    # What is not a local edit still changes, and the report says so field by field.
    shown = {(c["name"], c["label"]): (c["current"], c["roster"]) for c in dry.field_changes()}
    assert shown == {("李秀英", "脱贫状态"): ("未脱贫", "已脱贫")}

    report = import_roster(clinic, second)
    assert [c["key"] for c in report.conflicts] == [c["key"] for c in dry.conflicts]
    assert resident_by_name(clinic, "张三")["phone"] == "13811112222"  # the doctor's value
    assert resident_by_name(clinic, "李秀英")["ethnicity"] == "回族"
    assert resident_by_name(clinic, "李秀英")["poverty_status"] == "lifted"
    assert household_by_no(clinic, "H001")["address"] == "红星村三组12号"
    assert clinic.search("13811112222")[0]["name"] == "张三"
    # Every later import reports the disagreement again; nothing is written for it.
    before = snapshot(clinic)
    again = import_roster(clinic, second)
    assert len(again.conflicts) == 3 and again.changes == [] and snapshot(clinic) == before

    # The user overwrites one conflict (chosen by its key): only that field takes the roster's.
    chosen = {phone["key"]}
    done = import_roster(clinic, second, overwrite_local=chosen)
    assert [c["overwritten"] for c in done.conflicts if c["key"] in chosen] == [True]
    assert done.kept_local == 2
    head_now = resident_by_name(clinic, "张三")
    assert head_now["phone"] == "13700000000"
    assert clinic.history("residents", head["id"])[-1]["user"] == "测试员（名单导入）"
    assert resident_by_name(clinic, "李秀英")["ethnicity"] == "回族"
    # Overwritten by the import, the phone is no longer a local edit: no conflict next time.
    assert {c["field"] for c in import_roster(clinic, second).conflicts} == {"ethnicity",
                                                                            "address"}
    # Overwrite all.
    everything = import_roster(clinic, second, overwrite_local=True)
    assert all(c["overwritten"] for c in everything.conflicts) and everything.kept_local == 0
    assert household_by_no(clinic, "H001")["address"] == "红星村"
    assert import_roster(clinic, second).conflicts == []
    assert clinic.check().ok


def test_values_typed_in_by_hand_win_but_blanks_are_filled(clinic: Clinic, village: Village,
                                                           tmp_path: Path) -> None:
    number = id_number(dt.date(1950, 5, 5), "男")
    household = clinic.add_household(village.village_id, "H5")
    typed = clinic.add_resident(household, "户主", name="何大", id_number=number,
                                phone="13600000000").id
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H5", "何大", number, "户主", phone="13900000000", ethnicity="回族")]))
    assert [(c["field"], c["how"]) for c in report.conflicts] == [("phone", "录入")]
    kept = clinic.resident(typed)
    assert kept.phone == "13600000000"
    assert kept.ethnicity == "回族" and kept.poverty_category == "poverty_registered"


def test_a_household_move_follows_the_roster_even_after_local_edits(
        clinic: Clinic, village: Village, tmp_path: Path) -> None:
    old = clinic.add_household(village.village_id)
    number = id_number(dt.date(1944, 4, 4), "男")
    moved = clinic.add_resident(old, "户主", name="何大", id_number=number).id
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H8", "何大", number, "户主")]))
    assert report.conflicts == []
    assert clinic.resident(moved).household_id == household_by_no(clinic, "H8")["id"]
    moves = [c for c in report.field_changes() if c["label"] == "所在户"]
    assert [(m["current"], m["roster"]) for m in moves] == [("户 (无编号)", "户 H8")]


# ------------------------------------------------------------------------------ newborns
def test_a_newborn_without_id_is_imported_and_matched_again(clinic: Clinic, tmp_path: Path,
                                                            family_numbers: dict[str, str]
                                                            ) -> None:
    n = family_numbers
    extra = [("出生日期", "birth")]
    baby = person("H001", "张小宝", "", "孙子", sex="女", birth=dt.datetime(2026, 9, 1))
    no_birth = person("H001", "张二宝", "", "孙子", sex="男")
    report = import_roster(clinic, write_roster(tmp_path / "v1.xlsx", [
        *first_roster(n), baby, no_birth], extra=extra))
    assert report.imported == 6
    assert [(e.row, e.column) for e in report.errors] == [(12, "证件号码")]
    assert "出生日期" in report.errors[0].reason
    assert any("没有身份证号" in w.reason for w in report.warnings if w.row == 11)
    stored = resident_by_name(clinic, "张小宝")
    assert (stored["id_number"], stored["sex"], stored["birth_date"], stored["relation"]) == (
        None, "女", "2026-09-01", "之孙子")
    assert stored["household_id"] == household_by_no(clinic, "H001")["id"]
    assert clinic.search("张小宝")[0]["id"] == stored["id"]

    # Re-imported (birth date now as text): the same person, changed where the roster changed.
    again = [*first_roster(n), {**baby, "birth": "2026.9.1", "phone": "13512345678"}]
    report = import_roster(clinic, write_roster(tmp_path / "v2.xlsx", again, extra=extra))
    assert (report.imported, report.updated) == (0, 1)
    assert resident_by_name(clinic, "张小宝")["phone"] == "13512345678"
    assert [m["name"] for m in report.missing_from_roster] == []

    # The child gets an ID card: the roster's number fills the record in, no second person.
    number = id_number(dt.date(2026, 9, 1), "女")
    later = [*first_roster(n), {**baby, "id_number": number}]
    report = import_roster(clinic, write_roster(tmp_path / "v3.xlsx", later, extra=extra))
    assert (report.imported, report.updated) == (0, 1)
    assert resident_by_name(clinic, "张小宝")["id_number"] == number
    assert clinic.search(number[-6:])[0]["name"] == "张小宝"
    assert clinic.count("residents") == 6 and clinic.check().ok


def test_two_rows_for_the_same_newborn_are_one_person(clinic: Clinic, tmp_path: Path) -> None:
    head = id_number(dt.date(1970, 1, 1), "男")
    baby = person("H1", "刘宝", "", "之子", sex="男", birth="2026-01-02")
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H1", "刘一", head, "户主"), baby, baby], extra=[("出生日期", "birth")]))
    assert report.imported == 2
    assert [(e.row, e.column) for e in report.errors] == [(8, "姓名")]
    assert "与第7行是同一人" in report.errors[0].reason


def test_a_birth_date_column_that_contradicts_the_id_is_a_warning(clinic: Clinic,
                                                                  tmp_path: Path) -> None:
    number = id_number(dt.date(1970, 1, 1), "男")
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H1", "刘一", number, "户主", birth="1970-02-01")],
        extra=[("出生日期", "birth")]))
    assert report.imported == 1
    assert any(w.column == "出生日期" and "1970-01-01" in w.reason for w in report.warnings)
    assert resident_by_name(clinic, "刘一")["birth_date"] == "1970-01-01"


# ------------------------------------------------------------------------------ relations
@pytest.mark.parametrize(("written", "code"), [
    ("户主", "户主"), ("本人", "户主"), ("妻", "配偶"), ("妻子", "配偶"), ("丈夫", "配偶"),
    ("夫", "配偶"), ("长子", "之子"), ("次子", "之子"), ("儿子", "之子"), ("子", "之子"),
    ("之子", "之子"), ("长女", "之女"), ("女儿", "之女"), ("女", "之女"), ("母亲", "之母"),
    ("父亲", "之父"), ("孙子", "之孙子"), ("孙女", "之孙女"), ("外孙女", "之孙女"),
    ("儿媳", "之儿媳"), ("女婿", "之女婿"), ("弟弟", "兄弟姐妹"), ("兄弟姐妹", "兄弟姐妹"),
    ("其他", "其他"), ("其它", "其他"), ("侄子", "其他"), ("户主之妻", "配偶"),
    (" 长 子 ", "之子"), ("户主的母亲", "之母"),
])
def test_relation_words_map_to_the_codes(written: str, code: str) -> None:
    assert relation_code(written) == (code, True)
    assert code in codes.RELATIONS


def test_unknown_relation_words_are_kept_and_warned(clinic: Clinic, tmp_path: Path) -> None:
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H1", "刘一", id_number(dt.date(1950, 1, 1), "男"), "本人"),
        person("H1", "刘二", id_number(dt.date(1952, 1, 1), "女"), "妻"),
        person("H1", "刘三", id_number(dt.date(1990, 1, 1), "男"), "干儿子")]))
    assert resident_by_name(clinic, "刘一")["relation"] == "户主"
    assert resident_by_name(clinic, "刘二")["relation"] == "配偶"
    assert resident_by_name(clinic, "刘三")["relation"] == "干儿子"
    assert [(w.row, w.column) for w in report.warnings if "干儿子" in w.reason] == [
        (8, "与户主关系")]
    assert household_by_no(clinic, "H1")["head_id"] == resident_by_name(clinic, "刘一")["id"]


def test_words_stored_by_an_earlier_import_become_codes(clinic: Clinic, village: Village,
                                                        tmp_path: Path) -> None:
    household = clinic.add_household(village.village_id, "H1")
    number = id_number(dt.date(1952, 1, 1), "女")
    with clinic.db.atomic():  # as the first version of the import stored it
        clinic.store.user = "名单导入"
        clinic.store.insert("residents", {"name": "刘二", "id_number": number, "sex": "女",
                                          "relation": "妻", "household_id": household})
        clinic.store.user = "测试员"
    report = import_roster(clinic, write_roster(tmp_path / "r.xlsx", [
        person("H1", "刘二", number, "妻")]))
    assert report.conflicts == []
    assert resident_by_name(clinic, "刘二")["relation"] == "配偶"


# ------------------------------------------------------------------------------ missing people
def test_missing_lists_only_what_the_roster_answers_for(clinic: Clinic, village: Village,
                                                        tmp_path: Path) -> None:
    # The doctor's register: a village of ordinary residents, never on any roster.
    for k in range(3):
        make_household(clinic, village.village_id, head=f"普通{'甲乙丙'[k]}")
    other = make_village(clinic, "白杨村", "兴隆镇")
    make_household(clinic, other.village_id, head="白杨一")
    n = {k: id_number(dt.date(1950 + i, 1, 1), "男女"[i % 2])
         for i, k in enumerate(("a", "b", "c", "d", "e"))}
    import_roster(clinic, write_roster(tmp_path / "v1.xlsx", [
        person("H1", "甲一", n["a"], "户主"), person("H1", "甲二", n["b"], "配偶"),
        person("H2", "乙一", n["c"], "户主"), person("H3", "丙一", n["d"], "户主")]))
    # A newborn the doctor registered in H1.
    h1 = household_by_no(clinic, "H1")["id"]
    clinic.add_resident(h1, "之孙子", name="甲宝", sex="男", birth_date="2026-10-01")
    # The next roster lists H1 without 甲二, and no longer lists H2.
    report = import_roster(clinic, write_roster(tmp_path / "v2.xlsx", [
        person("H1", "甲一", n["a"], "户主"), person("H3", "丙一", n["d"], "户主"),
        person("H4", "丁一", n["e"], "户主")]))
    missing = {m["name"]: m["reason"] for m in report.missing_from_roster}
    assert missing == {"甲二": "同户其他成员在名单中", "甲宝": "同户其他成员在名单中",
                       "乙一": "以前的名单中有此人"}
    assert report.missing_by_village == {"红星村": 3}

    out = tmp_path / "missing.xlsx"
    assert write_missing_report(report, out) == 3
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "红星村 不在名单（v2.xlsx）中的人员 导出于2026-11-23 共3人"
    assert rows[1][:4] == ("村", "组", "户编号", "姓名")
    by_name = {r[3]: r for r in rows[2:]}
    assert by_name["甲二"][6] == n["b"] and isinstance(by_name["甲二"][6], str)
    assert sheet.cell(row=3, column=7).number_format == "@"


def test_missing_counts_per_village(clinic: Clinic, tmp_path: Path) -> None:
    n = [id_number(dt.date(1960, 1, 1 + i), "男") for i in range(4)]
    import_roster(clinic, write_roster(tmp_path / "v1.xlsx", [
        person("R1", "红一", n[0], "户主"), person("R2", "红二", n[1], "户主"),
        person("B1", "白一", n[2], "户主", village="白杨村"),
        person("B2", "白二", n[3], "户主", village="白杨村")]))
    report = import_roster(clinic, write_roster(tmp_path / "v2.xlsx", [
        person("R1", "红一", n[0], "户主"), person("B1", "白一", n[2], "户主",
                                               village="白杨村")]))
    assert report.missing_by_village == {"白杨村": 1, "红星村": 1}
    # A roster of one village says nothing about the other's people.
    only = import_roster(clinic, write_roster(tmp_path / "v3.xlsx", [
        person("R1", "红一", n[0], "户主")]))
    assert only.missing_by_village == {"红星村": 1}
    assert only.to_json()["missing_by_village"] == {"红星村": 1}


# ------------------------------------------------------------------------------ health status
@pytest.mark.parametrize(("text", "found"), [
    ("高血压", ("hypertension",)), ("长期慢性病（高血压、糖尿病）", ("hypertension", "diabetes")),
    ("患有2型糖尿病", ("diabetes",)), ("Ⅱ型糖尿病", ("diabetes",)), ("肺结核", ("tuberculosis",)),
    ("精神病", ("severe_mental",)), ("重性精神障碍", ("severe_mental",)),
    ("精神分裂症患者", ("severe_mental",)), ("脑梗", ("stroke",)), ("肺癌", ("cancer",)),
    ("高血压,冠心病", ("hypertension", "chd")), ("健康", ()), ("长期慢性病", ()),
    ("残疾", ()), ("患有大病", ()), ("", ()),
])
def test_health_words_name_conditions(text: str, found: tuple[str, ...]) -> None:
    assert health_conditions(text) == found


def test_health_status_is_a_suggestion_applied_only_when_accepted(
        clinic: Clinic, tmp_path: Path) -> None:
    n = [id_number(dt.date(1950, 1, 1 + i), "男女"[i % 2]) for i in range(4)]
    people = [person("H1", "刘一", n[0], "户主", health="高血压"),
              person("H1", "刘二", n[1], "配偶", health="长期慢性病（糖尿病、高血压）"),
              person("H1", "刘三", n[2], "之子", health="长期慢性病"),
              person("H1", "刘四", n[3], "之女", health="肺结核")]
    path = write_roster(tmp_path / "r.xlsx", people)
    dry = import_roster(clinic, path, dry_run=True)
    suggested = [(s["name"], s["condition"], s["accepted"]) for s in dry.condition_suggestions]
    assert suggested == [("刘一", "高血压", False), ("刘二", "2型糖尿病", False),
                         ("刘二", "高血压", False), ("刘四", "肺结核", False)]
    chosen = {s["key"] for s in dry.condition_suggestions if s["name"] in ("刘一", "刘二")}
    report = import_roster(clinic, path, accept_conditions=chosen)
    assert report.conditions_added == 3
    liu1, liu2, liu3, liu4 = (resident_by_name(clinic, f"刘{k}") for k in "一二三四")
    assert [c.code for c in clinic.conditions(liu1["id"])] == ["hypertension"]
    assert liu1["notes"] == ""  # all of it became a condition
    assert sorted(c.code for c in clinic.conditions(liu2["id"])) == ["diabetes", "hypertension"]
    assert liu2["notes"] == ""  # 长期慢性病 names the kind, the conditions say which
    assert "长期慢性病(糖尿病、高血压)" in clinic.conditions(liu2["id"])[0].notes
    assert clinic.conditions(liu3["id"]) == [] and "长期慢性病" in liu3["notes"]
    assert clinic.conditions(liu4["id"]) == [] and "肺结核" in liu4["notes"]  # not ticked
    assert clinic.history("conditions", clinic.conditions(liu1["id"])[0].id)[0]["user"] == (
        "测试员（名单导入）")
    # Re-imported: recorded conditions are not suggested again; 刘四's still is.
    again = import_roster(clinic, path, dry_run=True)
    assert [(s["name"], s["code"], s["new_resident"]) for s in again.condition_suggestions] == [
        ("刘四", "tuberculosis", False)]
    assert import_roster(clinic, path, accept_conditions=True).conditions_added == 1
    assert [c.code for c in clinic.conditions(liu4["id"])] == ["tuberculosis"]
    assert resident_by_name(clinic, "刘四")["notes"] == liu4["notes"]  # notes never rewritten


# ------------------------------------------------------------------------------ exports
def test_exports_have_a_title_row_and_keep_ids_as_text(clinic: Clinic, village: Village,
                                                       tmp_path: Path) -> None:
    family = make_household(clinic, village.village_id, "001", head="张三")
    rows = clinic.village_roster(village.village_id)
    out = tmp_path / "roster.xlsx"
    assert clinic.export_roster(out, rows) == 1
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "红星村 花名册 导出于2026-11-23 共1人"
    assert values[1][:3] == ("户编号", "组", "姓名")
    assert values[2][6] == clinic.resident(family.head_id).id_number
    assert sheet.freeze_panes == "A3"
    households = tmp_path / "households.xlsx"
    assert clinic.export_households(households, clinic.village_households(
        village.village_id)) == 1
    values = list(openpyxl.load_workbook(households).active.iter_rows(values_only=True))
    assert values[0][0] == "红星村 户名单 导出于2026-11-23 共1户"
    assert values[1][0] == "户编号"


def test_a_changed_id_number_for_the_same_name_and_birth_is_flagged(
        clinic: Clinic, tmp_path: Path) -> None:
    head = id_number(dt.date(1970, 1, 1), "男")
    first = id_number(dt.date(1995, 5, 5), "女")
    import_roster(clinic, write_roster(tmp_path / "v1.xlsx", [
        person("H1", "刘一", head, "户主"), person("H1", "刘二", first, "之女")]))
    corrected = id_number(dt.date(1995, 5, 5), "女")
    report = import_roster(clinic, write_roster(tmp_path / "v2.xlsx", [
        person("H1", "刘一", head, "户主"), person("H1", "刘二", corrected, "之女")]))
    assert report.imported == 1
    assert [(w.row, w.column) for w in report.warnings if "同名、同出生日期" in w.reason] == [
        (7, "证件号码")]
