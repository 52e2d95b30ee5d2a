"""The main window: search as you type, Enter opens, pages say what they hold, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import Village, make_household
from helpers import show_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from clinic_app.clinic import Clinic
from clinic_app.ui.main_window import NAV_PAGES, MainWindow
from clinic_app.ui.models import RowsModel, search_columns


@pytest.fixture
def window(app, qtbot, clinic: Clinic, village: Village) -> MainWindow:
    make_household(clinic, village.village_id, "6405220010001", head="张三")
    make_household(clinic, village.village_id, "6405220010002", head="李四",
                   members=(("张思", "配偶", "女"),))
    return show_window(qtbot, clinic)


def test_typing_zs_lists_zhang_san_first(window: MainWindow, qtbot, screenshot_dir: Path) -> None:
    qtbot.keyClicks(window.ui.searchEdit, "zs")
    model = window.register.model
    qtbot.waitUntil(lambda: model.rowCount() >= 2, timeout=2000)
    assert model.row_data(0)["name"] == "张三"
    assert {model.row_data(i)["name"] for i in range(model.rowCount())} == {"张三", "张思"}
    window.grab().save(str(screenshot_dir / "main-search-zs.png"))


def test_enter_opens_first_result(window: MainWindow, qtbot) -> None:
    opened: list[str] = []
    window.register.open_resident.connect(opened.append)
    qtbot.keyClicks(window.ui.searchEdit, "lisi")
    qtbot.keyClick(window.ui.searchEdit, Qt.Key.Key_Return)
    assert len(opened) == 1
    assert window.clinic.resident(opened[0]).name == "李四"


def test_ctrl_f_focuses_search_from_anywhere(window: MainWindow, qtbot) -> None:
    window.ui.navList.setCurrentRow(3)
    window.ui.navList.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.ui.searchEdit.hasFocus()
    assert window.ui.pages.currentWidget() is window.register_tabs
    assert window.register_tabs.currentWidget() is window.register


def test_no_page_is_blank(window: MainWindow, screenshot_dir: Path) -> None:
    assert window.ui.navList.count() == len(NAV_PAGES) == 9
    for row, (key, title, _) in enumerate(NAV_PAGES):
        window.ui.navList.setCurrentRow(row)
        page = window.ui.pages.currentWidget()
        texts = " ".join(label.text() for label in page.findChildren(QLabel))
        assert texts.strip(), f"page {title} shows nothing"
        if key == "contracts":
            window.grab().save(str(screenshot_dir / "main-contracts-page.png"))
    window.wait_for_tasks()


def test_status_bar_names_clinic_user_database_sync(window: MainWindow) -> None:
    texts = [label.text() for label in window.status_labels.values()]
    assert texts[0].startswith("本院：")
    assert texts[1] == "用户：测试员"
    assert texts[2] == "数据库：clinic.db"
    assert texts[3] == "上次同步：尚未同步"


def test_results_model_passes_qtmodeltester(qtmodeltester, clinic: Clinic,
                                            village: Village) -> None:
    make_household(clinic, village.village_id, head="张三", members=(("张小三", "之子", "男"),))
    model = RowsModel(search_columns())
    model.set_rows(clinic.search("zs"))
    qtmodeltester.check(model)
    model.sort(2, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
