"""打印 page through its widgets: a village's contact cards generated in the background, the
preview, saving and printing (QPrinter to a PDF file) at the documents' real page sizes, the
rare-character choice, the print log with 重印, and the entry points on other pages."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from factories import Practice, make_doctor, make_household, make_village, sign
from helpers import show_window
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QPushButton

from clinic_app.clinic import Clinic
from clinic_app.ui.main_window import NAV_PAGES, MainWindow
from clinic_app.ui.print_page import PrintPage, duplex_for

MM = 72 / 25.4


@dataclass
class Register:
    clinic: Clinic
    red: str  # 红星村: five signed people, one not signed
    stone: str  # 石头村: 王𠀀明 (U+20000, not in the font) and 刘长青, both signed
    doctor: Practice
    wang: str  # 王德胜, head of the first household in 红星村
    wang_household: str


@pytest.fixture
def register(clinic: Clinic) -> Register:
    red = make_village(clinic, "红星村", "兴隆镇")
    stone = clinic.add_place("village", "石头村", red.township_id)
    doctor = make_doctor(clinic, "李建国", "13912345678")
    home = make_household(clinic, red.village_id, "6405220010001", head="王德胜",
                          members=(("李秀兰", "配偶", "女"), ("王小明", "之子", "男")))
    sign(clinic, home.head_id, doctor)
    sign(clinic, home.member_ids[0], doctor)  # 王小明 stays unsigned: skipped
    for number, name in (("6405220010002", "张桂芳"), ("6405220010003", "马占山"),
                         ("6405220010004", "周玉梅")):
        sign(clinic, make_household(clinic, red.village_id, number, head=name).head_id, doctor)
    for number, name in (("6405220020001", "王𠀀明"), ("6405220020002", "刘长青")):
        sign(clinic, make_household(clinic, stone, number, head=name).head_id, doctor)
    return Register(clinic, red.village_id, stone, doctor, home.head_id, home.household_id)


@pytest.fixture
def window(app, qtbot, register: Register) -> MainWindow:
    return show_window(qtbot, register.clinic)


def open_page(window: MainWindow) -> PrintPage:
    window.ui.navList.setCurrentRow([key for key, _, _ in NAV_PAGES].index("printing"))
    page = window.pages["printing"]
    assert isinstance(page, PrintPage) and window.ui.pages.currentWidget() is page
    return page


def generate(qtbot, page: PrintPage) -> None:
    qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.task is None, timeout=15000)


def pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def printer_to(path: Path):
    """Stands in for the system print dialog (a native dialog cannot be answered offscreen):
    the printer the page prepared is sent to a PDF file instead of a device."""
    def ask(printer: QPrinter) -> bool:
        ask.seen = (printer.duplex(), printer.fullPage())  # type: ignore[attr-defined]
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        return True
    return ask


def test_village_contact_cards_preview_save_print_and_log(
        window: MainWindow, qtbot, tmp_path: Path, screenshot_dir: Path,
        register: Register) -> None:
    page = open_page(window)
    page.village.setCurrentIndex(page.village.findText("红星村"))
    assert page.kind() == "contact_card" and page.layout_buttons["duplex"].isChecked()
    generate(qtbot, page)
    assert page.output is not None and len(page.output.items) == 5
    summary = page.summary.text()
    assert "签约服务联系卡（红星村）：5 张，共 2 页 A4" in summary
    assert "未打印 1 人（未签约 1）" in summary and "长边翻转" in summary
    assert page.skipped.isVisible()
    assert [r["name"] for r in page.skipped_model.rows()] == ["王小明"]
    # The preview shows the pages: both laid out, the first drawn from the PDF.
    assert page.preview.page_count() == 2
    qtbot.waitUntil(lambda: 0 in page.preview.rendered_pages(), timeout=5000)
    image = page.preview.grab().toImage()
    assert image.pixelColor(image.width() // 2, 60).name() != "#8a8f94"  # paper, not backdrop
    window.grab().save(str(screenshot_dir / "print-page.png"))
    page.preview.grab().save(str(screenshot_dir / "print-preview.png"))

    saved = page.save_pdf(str(tmp_path / "cards.pdf"))
    assert saved is not None
    text = pdf_text(saved.read_bytes())
    for name in ("王德胜", "李秀兰", "张桂芳", "马占山", "周玉梅", "李建国"):
        assert name in text
    assert "王小明" not in text
    jobs = register.clinic.print_jobs()
    assert len(jobs) == 1 and jobs[0]["subjects"] == 5
    assert jobs[0]["params"]["via"] == "PDF cards.pdf"

    # Printing: the page's own printer settings, to a PDF file, A4 at 100%, duplex long edge.
    out = tmp_path / "printed.pdf"
    page._ask_printer = printer_to(out)  # type: ignore[method-assign]
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
    assert page.task in window._tasks  # closing the window cancels and waits for it
    qtbot.waitUntil(lambda: page.task is None and len(register.clinic.print_jobs()) == 2,
                    timeout=20000)
    # Full page, and the sheets duplexed on the long edge (a PDF-file printer ignores duplex,
    # so the mode the page asks the real printer for is checked on its own).
    assert page._ask_printer.seen[1] is True
    assert duplex_for(page.output) == QPrinter.DuplexMode.DuplexLongSide
    pages = PdfReader(str(out)).pages
    assert len(pages) == 2
    for printed in pages:
        assert float(printed.mediabox.width) == pytest.approx(210 * MM, abs=1)
        assert float(printed.mediabox.height) == pytest.approx(297 * MM, abs=1)
    assert register.clinic.print_jobs()[0]["params"]["via"] == "PDF 文件 printed.pdf"
    assert "已记入打印记录" in window.statusBar().currentMessage()


def test_single_cards_print_on_card_size_paper(window: MainWindow, qtbot, tmp_path: Path,
                                               register: Register) -> None:
    page = open_page(window)
    page.village.setCurrentIndex(page.village.findText("红星村"))
    page.layout_buttons["single"].setChecked(True)
    page.changed_only.setChecked(True)
    generate(qtbot, page)
    assert page.output is not None and page.output.pages == 10  # front and back of 5 cards
    assert "85.6×54毫米" in page.summary.text()
    out = tmp_path / "single.pdf"
    page._ask_printer = printer_to(out)  # type: ignore[method-assign]
    page.print_document()
    qtbot.waitUntil(lambda: page.task is None and out.exists(), timeout=20000)
    pages = PdfReader(str(out)).pages
    assert len(pages) == 10
    box = pages[0].mediabox
    assert float(box.width) == pytest.approx(85.6 * MM, abs=1)  # landscape, like the card
    assert float(box.height) == pytest.approx(54 * MM, abs=1)
    # Printed once: asking again for the changed ones only finds nothing to print.
    generate(qtbot, page)
    assert page.output is None and "没有变化" in page.summary.text()
    assert not page.print_button.isEnabled()


def test_rare_character_choice_mark_or_skip(window: MainWindow, qtbot, tmp_path: Path,
                                            screenshot_dir: Path) -> None:
    page = open_page(window)
    page.village.setCurrentIndex(page.village.findText("石头村"))
    generate(qtbot, page)
    dialog = page.glyph_dialog
    assert dialog is not None and dialog.isVisible() and page.output is None
    assert dialog.model.rowCount() == 1
    row = dialog.model.row_data(0)
    assert row["text"] == "王𠀀明" and "U+20000" in row["chars"]
    dialog.grab().save(str(screenshot_dir / "print-missing-glyphs.png"))
    qtbot.mouseClick(dialog.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.task is None and page.output is not None, timeout=15000)
    assert [i.label for i in page.output.items] == ["刘长青"]
    assert "含生僻字" in page.summary.text()
    assert [r["name"] for r in page.skipped_model.rows()] == ["王𠀀明"]

    page.layout_buttons["foldover"].setChecked(True)  # any change: generate again
    assert page.output is None and not page.print_button.isEnabled()
    generate(qtbot, page)
    qtbot.mouseClick(page.glyph_dialog.mark_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.task is None and page.output is not None, timeout=15000)
    assert len(page.output.items) == 2 and "王□明" in pdf_text(page.output.pdf)
    assert "手写补上" in page.summary.text()

    generate(qtbot, page)
    qtbot.mouseClick(page.glyph_dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert page.output is None and "已取消" in page.summary.text()


def test_reprint_from_the_log_is_one_click(window: MainWindow, qtbot, tmp_path: Path,
                                           screenshot_dir: Path, register: Register) -> None:
    page = open_page(window)
    page.kind_buttons["household_card"].setChecked(True)
    page.village.setCurrentIndex(page.village.findText("红星村"))
    page.paper_buttons["A5"].setChecked(True)
    generate(qtbot, page)
    assert page.output is not None and len(page.output.items) == 4
    assert "户政策明白卡（红星村）：4 户，共 4 页 A5" in page.summary.text()
    page.save_pdf(str(tmp_path / "households.pdf"))
    page.tabs.setCurrentWidget(page.log)
    log = page.log
    assert log.model.rowCount() == 1
    assert log.model.data(log.model.index(0, 1)) == "户政策明白卡"
    assert log.model.data(log.model.index(0, 2)) == "红星村"
    assert log.model.data(log.model.index(0, 3)) == "4 户"
    assert log.model.data(log.model.index(0, 4)) == "A5"
    window.grab().save(str(screenshot_dir / "print-log.png"))

    out = tmp_path / "again.pdf"
    page._ask_printer = printer_to(out)  # type: ignore[method-assign]
    log.table.view.selectRow(0)
    qtbot.mouseClick(log.reprint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: log.model.rowCount() == 2, timeout=20000)
    assert page.tabs.currentIndex() == 0 and page.summary.text().startswith("重印户政策明白卡")
    reprinted = PdfReader(str(out))
    assert len(reprinted.pages) == 4
    assert float(reprinted.pages[0].mediabox.width) == pytest.approx(148 * MM, abs=1)
    assert "王德胜" in pdf_text(page.output.pdf)  # printed as images: the text is in the job
    jobs = register.clinic.print_jobs()
    assert [j["subjects"] for j in jobs] == [4, 4] and jobs[0]["params"]["paper"] == "A5"


def test_entry_points_open_the_print_page_preset(window: MainWindow, qtbot,
                                                 register: Register) -> None:
    page = window.pages["printing"]
    window.open_resident(register.wang)
    button = window.resident_page.findChild(type(page.print_button), "printContactCard")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.ui.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.task is None, timeout=15000)
    assert page.scope_people.isChecked() and page.scope_people.text() == "选定的居民：王德胜"
    assert [i.label for i in page.output.items] == ["王德胜"]

    window.open_household(register.wang_household)
    button = window.household_page.findChild(type(page.print_button), "printHouseholdCard")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.task is None, timeout=15000)
    assert page.kind() == "household_card" and len(page.output.items) == 1
    assert "王德胜户" in page.summary.text()

    window.ui.navList.setCurrentRow([key for key, _, _ in NAV_PAGES].index("today"))
    today = window.today
    today.village.setCurrentIndex(today.village.findText("红星村"))
    button = today.findChild(type(page.print_button), "printVisitList")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.task is None and page.output is not None, timeout=15000)
    assert page.kind() == "visit_list" and page.village.currentText() == "红星村"
    assert "随访工作单（红星村）" in page.summary.text() and "A4 横向" in page.summary.text()
    window.wait_for_tasks()


def test_log_model_passes_qtmodeltester(window: MainWindow, qtbot, qtmodeltester,
                                        register: Register) -> None:
    from clinic_app import printing

    for layout in ("duplex", "single"):
        printing.contact_cards_pdf(register.clinic, village_id=register.red,
                                   layout=layout).record(register.clinic)
    printing.monthly_report_pdf(register.clinic, "2026-10")[0].record(register.clinic)
    page = open_page(window)
    assert page.log.model.rowCount() == 3
    assert page.log.model.data(page.log.model.index(0, 2)) == "2026-10"
    qtmodeltester.check(page.log.model)
    qtmodeltester.check(page.skipped_model)


def test_kind_labels_match_the_printing_core() -> None:
    from clinic_app import printing
    from clinic_app.ui import print_actions
    from clinic_app.ui.print_log import KIND_LABELS

    assert KIND_LABELS == printing.KINDS
    assert {getattr(print_actions, n) for n in ("CONTACT_CARD", "HOUSEHOLD_CARD",
            "FOLLOW_UP_FORM", "CHECKUP_REPORT", "VISIT_LIST", "MONTHLY_REPORT")} == \
        set(printing.KINDS)


def test_chosen_households_only(window: MainWindow, qtbot, register: Register) -> None:
    page = open_page(window)
    page.village.setCurrentIndex(page.village.findText("红星村"))
    picker = page.pick_households()
    assert picker is not None and picker.model.rowCount() == 4
    heads = [r["head_name"] for r in picker.model.rows()]
    picker.table.selectRow(heads.index("王德胜"))
    picker.table.selectionModel().select(
        picker.model.index(heads.index("周玉梅"), 0),
        picker.table.selectionModel().SelectionFlag.Select
        | picker.table.selectionModel().SelectionFlag.Rows)
    assert "已选 2 户" in picker.count.text()
    picker._accept()
    assert page.scope_households.isChecked()
    chosen = page.scope_households.text().removeprefix("选定的户：")
    assert set(chosen.split("、")) == {"王德胜户", "周玉梅户"}
    generate(qtbot, page)
    assert {i.label for i in page.output.items} == {"王德胜", "李秀兰", "周玉梅"}
    assert f"签约服务联系卡（{chosen}）：3 张" in page.summary.text()


def test_cancel_while_generating(window: MainWindow, qtbot, monkeypatch) -> None:
    import time

    from clinic_app.ui import print_page

    def slow(self, clinic, missing, progress):  # a job that runs until cancelled
        for _ in range(500):
            progress.update(0, 0, "正在排版")
            time.sleep(0.01)
        raise AssertionError("never cancelled")

    monkeypatch.setattr(print_page.PrintSpec, "run", slow)
    page = open_page(window)
    task = page.generate()
    assert task is not None and not page.generate_button.isEnabled()
    qtbot.waitUntil(lambda: task.dialog.isVisible(), timeout=3000)  # after ~0.5 s
    qtbot.mouseClick(task.dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)  # 取消
    qtbot.waitUntil(lambda: page.task is None, timeout=5000)
    assert page.output is None and page.summary.text().startswith("已取消")
    assert page.generate_button.isEnabled() and not page.print_button.isEnabled()
