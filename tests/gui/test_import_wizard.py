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
    mapping = columns.mapping()
    assert mapping["name"] == 4 and mapping["id_number"] == 6 and mapping["household_no"] == 3
    assert columns.isComplete()
    wizard.grab().save(str(screenshot_dir / "import-2-columns.png"))

    wizard.next()
    check = wizard.check
    qtbot.waitUntil(check.isComplete, timeout=10000)
    assert check.report.dry_run and check.report.imported == 3
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
