"""The roster import wizard driven through its pages, with a screenshot of each step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from factories import id_number

from clinic_app.clinic import Clinic
from clinic_app.ui.import_wizard import ImportWizard


def messy_roster(path: Path) -> list[str]:
    """A roster as the poverty office sends it: title rows, a merged title, a bad ID, 合计."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["兴隆镇2026年建档立卡贫困人口花名册"])
    sheet.merge_cells("A1:H1")
    sheet.append(["填报单位：兴隆镇扶贫办", None, None, None, None, "填报日期：2026-11-01"])
    sheet.append([])
    sheet.append(["序号", "乡(镇)", "行政村", "户编号", "姓名", "性别", "证件号码", "与户主关系"])
    ids = [id_number(dt.date(1958, 4, 2), "男"), id_number(dt.date(1961, 9, 9), "女"),
           id_number(dt.date(1990, 1, 15), "男")]
    sheet.append([1, "兴隆镇", "红星村", "6405221001", "王  大山", "男", ids[0], "户主"])
    sheet.append([2, "兴隆镇", "红星村", "6405221001", "李桂花", "女", ids[1].lower(), "配偶"])
    sheet.append([3, "兴隆镇", "红星村", "6405221001", "王小山", "男", ids[2][:-1] + "0"
                  if ids[2][-1] != "0" else ids[2][:-1] + "1", "之子"])
    sheet.append([4, "兴隆镇", "白杨村", "6405221002", "赵秀兰", "女",
                  id_number(dt.date(1949, 3, 3), "女"), "户主"])
    sheet.append(["合计", None, None, None, "4人"])
    book.save(path)
    return ids


def test_wizard_checks_then_imports(app, qtbot, clinic: Clinic, tmp_path: Path,
                                    screenshot_dir: Path) -> None:
    source = tmp_path / "花名册.xlsx"
    messy_roster(source)
    wizard = ImportWizard(clinic)
    qtbot.addWidget(wizard)
    wizard.show()
    assert not wizard.file.isComplete()
    wizard.file.path.setText(str(source))
    assert wizard.file.isComplete()
    wizard.grab().save(str(screenshot_dir / "import-1-file.png"))

    wizard.next()
    columns = wizard.columns
    assert columns.preview is not None and columns.preview.header_row == 4
    wizard.resize(1090, 580)  # the 15 columns fit a 1366×768 laptop at 125%
    assert wizard.width() <= 1090 and wizard.height() <= 580, wizard.size()
    mapping = columns.mapping()
    assert mapping["name"] == 4 and mapping["id_number"] == 6 and mapping["household_no"] == 3
    assert columns.isComplete()
    wizard.grab().save(str(screenshot_dir / "import-2-columns.png"))

    wizard.next()
    check = wizard.check
    qtbot.waitUntil(check.isComplete, timeout=10000)
    assert check.report.dry_run and check.report.imported == 3
    assert check.tabs.tabText(check.tabs.currentIndex()) == "未导入的行（1）"  # shown first
    assert [e["row"] for e in check.errors.model.rows()] == [7]
    assert "校验位" in check.errors.model.rows()[0]["reason"]
    assert clinic.count("residents") == 0  # checking writes nothing
    wizard.grab().save(str(screenshot_dir / "import-3-check.png"))
    saved = check.save_error_report(str(tmp_path / "errors.xlsx"))
    assert saved is not None and saved.exists()

    wizard.next()
    result = wizard.result
    qtbot.waitUntil(result.isComplete, timeout=10000)
    report = wizard.imported()
    assert (report.imported, report.households, report.rejected) == (3, 2, 1)
    assert clinic.count("residents") == 3
    assert clinic.search("wds")[0]["name"] == "王大山"
    wizard.grab().save(str(screenshot_dir / "import-4-done.png"))


def test_unmapped_required_column_blocks_the_next_step(app, qtbot, clinic: Clinic,
                                                      tmp_path: Path) -> None:
    source = tmp_path / "花名册.xlsx"
    messy_roster(source)
    wizard = ImportWizard(clinic)
    qtbot.addWidget(wizard)
    wizard.file.path.setText(str(source))
    wizard.show()
    wizard.next()
    combo = wizard.columns.combos["id_number"]
    combo.setCurrentIndex(0)  # （没有这一列）
    assert not wizard.columns.isComplete()
    assert "证件号码" in wizard.columns.error.text()


def reimport_roster(path: Path, numbers: list[str], *, phone: str, status: str,
                    with_son: bool) -> None:
    """The roster of one village with 健康状况 and a phone; 王小山 may be left out."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["红星村2026年建档立卡贫困人口花名册"])
    sheet.merge_cells("A1:J1")
    sheet.append(["乡(镇)", "行政村", "户编号", "姓名", "性别", "证件号码", "与户主关系",
                  "联系电话", "脱贫属性", "健康状况"])
    sheet.append(["兴隆镇", "红星村", "6405221001", "王大山", "男", numbers[0], "户主", phone,
                  status, "健康"])
    sheet.append(["兴隆镇", "红星村", "6405221001", "李桂花", "女", numbers[1], "妻", "",
                  status, "长期慢性病（高血压、糖尿病）"])
    if with_son:
        sheet.append(["兴隆镇", "红星村", "6405221001", "王小山", "男", numbers[2], "长子", "",
                      status, "健康"])
    book.save(path)


def test_reimport_shows_changes_and_conflicts_before_importing(
        app, qtbot, qtmodeltester, clinic: Clinic, tmp_path: Path,
        screenshot_dir: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from clinic_app.ui.import_wizard import ChoiceModel

    numbers = [id_number(dt.date(1958, 4, 2), "男"), id_number(dt.date(1961, 9, 9), "女"),
               id_number(dt.date(1990, 1, 15), "男")]
    first = tmp_path / "v1.xlsx"
    reimport_roster(first, numbers, phone="13900000001", status="未脱贫", with_son=True)
    assert clinic.import_roster(first).imported == 3
    wang = clinic.search("王大山")[0]["id"]
    clinic.update_resident(wang, phone="13700000002")  # the doctor's correction
    second = tmp_path / "v2.xlsx"
    reimport_roster(second, numbers, phone="13900000009", status="已脱贫", with_son=False)

    wizard = ImportWizard(clinic)
    qtbot.addWidget(wizard)
    wizard.file.path.setText(str(second))
    wizard.show()
    wizard.resize(1000, 640)  # as on a 1366×768 screen
    wizard.next()
    wizard.next()
    check = wizard.check
    qtbot.waitUntil(check.isComplete, timeout=10000)
    # Fits a 1366×768 laptop at 125% (about 1090×580 logical pixels).
    wizard.resize(1090, 580)
    assert wizard.width() <= 1090 and wizard.height() <= 580, wizard.size()
    wizard.resize(1000, 640)
    report = check.report
    assert report is not None and report.dry_run
    # The conflicts tab opens first: it needs a decision. Local edits win by default.
    assert check.tabs.currentIndex() == 1
    assert check.tabs.tabText(1) == "冲突（1）"
    conflicts = check.conflicts.model
    assert isinstance(conflicts, ChoiceModel)
    qtmodeltester.check(conflicts)
    row = conflicts.row_data(0)
    assert (row["name"], row["label"], row["current"], row["roster"]) == (
        "王大山", "电话", "13700000002", "13900000009")
    assert conflicts.index(0, 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert check.chosen_overwrites() == set()
    wizard.grab().save(str(screenshot_dir / "import-3-conflicts.png"))
    # Field-level changes: who, which field, current → roster.
    changes = {(r["name"], r["label"]): (r["current"], r["roster"])
               for r in check.changes.model.rows()}
    assert changes == {("王大山", "脱贫状态"): ("未脱贫", "已脱贫"),
                       ("李桂花", "脱贫状态"): ("未脱贫", "已脱贫")}
    assert clinic.resident(clinic.search("李桂花")[0]["id"]).relation == "配偶"  # 妻
    check.tabs.setCurrentIndex(0)
    wizard.grab().save(str(screenshot_dir / "import-3-changes.png"))
    # The 健康状况 suggestions are unticked until the user ticks them.
    suggestions = check.suggestions.model
    assert isinstance(suggestions, ChoiceModel)
    assert [r["condition"] for r in suggestions.rows()] == ["高血压", "2型糖尿病"]
    assert check.chosen_conditions() == set()
    check.tabs.setCurrentIndex(2)
    check.accept_all.click()
    assert len(check.chosen_conditions()) == 2
    wizard.grab().save(str(screenshot_dir / "import-3-suggestions.png"))
    # The missing: only 王小山 of the listed household, counted per village, savable.
    check.tabs.setCurrentIndex(5)
    assert [m["name"] for m in check.missing.model.rows()] == ["王小山"]
    assert "红星村 1 人" in check.missing_counts.text()
    saved = check.save_missing_report(str(tmp_path / "missing.xlsx"))
    assert saved is not None
    title = openpyxl.load_workbook(saved).active.cell(row=1, column=1).value
    assert title.startswith("红星村 不在名单（v2.xlsx）中的人员")
    wizard.grab().save(str(screenshot_dir / "import-3-missing.png"))
    # Keyboard: Space on the conflict's row ticks "用名单覆盖".
    check.tabs.setCurrentIndex(1)
    view = check.conflicts.view
    view.setFocus()
    view.setCurrentIndex(conflicts.index(0, 3))
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert check.chosen_overwrites() == {row["key"]}
    assert clinic.resident(wang).phone == "13700000002"  # checking writes nothing

    wizard.next()  # 开始导入
    result = wizard.result
    qtbot.waitUntil(result.isComplete, timeout=10000)
    done = wizard.imported()
    assert done is not None and done.kept_local == 0 and done.conditions_added == 2
    assert clinic.resident(wang).phone == "13900000009"
    wife = clinic.search("李桂花")[0]["id"]
    assert sorted(c.code for c in clinic.conditions(wife)) == ["diabetes", "hypertension"]
    assert result.conflicts.model.index(0, 0).data() == "已用名单覆盖"
    qtmodeltester.check(result.conflicts.model)
    wizard.grab().save(str(screenshot_dir / "import-4-result.png"))
