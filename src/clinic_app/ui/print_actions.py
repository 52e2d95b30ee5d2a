"""Entry points to the 打印 page from other pages (打印联系卡, 打印明白卡, 打印随访名单).

Kept apart from ``print_page`` so that the pages which only need a button do not import the
printing machinery (reportlab loads when something is first printed, not at start-up). A button
asks its window to open the 打印 page with a ``PrintRequest``; the main window's ``open_print``
presets the page and generates the preview at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

# The print kinds (the same strings as clinic_app.printing's kinds, without importing it).
CONTACT_CARD = "contact_card"
HOUSEHOLD_CARD = "household_card"
FOLLOW_UP_FORM = "follow_up_form"
CHECKUP_REPORT = "checkup_report"
VISIT_LIST = "visit_list"
MONTHLY_REPORT = "monthly_report"


@dataclass(frozen=True)
class PrintRequest:
    """What another page wants printed: a kind and whom (the page's own scope)."""

    kind: str
    village_id: str | None = None
    household_ids: tuple[str, ...] = ()
    resident_ids: tuple[str, ...] = ()
    label: str = ""  # whom, in words: "王德胜", "王德胜户"
    month: str = ""  # 月报: YYYY-MM (统计 page); empty: the 打印 page's own month


def request_print(widget: QWidget, request: PrintRequest | None) -> None:
    """Send `request` to the main window holding `widget` (nothing when request is None)."""
    if request is None:
        return
    opener = getattr(widget.window(), "open_print", None)
    if opener is None:  # a page shown on its own (never in the app): say so, don't fail silently
        QMessageBox.information(widget, "打印", "请在主窗口的“打印”页打印。")
        return
    opener(request)


def print_button(text: str, name: str, request: Callable[[], PrintRequest | None]
                 ) -> QPushButton:
    """A button that opens the 打印 page with what `request()` returns at the click."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.clicked.connect(lambda: request_print(button, request()))
    return button


# The buttons other pages add (one line each there); they read the page's current record.


def contact_card_button(page: Any) -> QPushButton:
    """打印联系卡 on the resident page: this resident's 签约服务联系卡."""

    def request() -> PrintRequest | None:
        if not page.resident_id or page.detail is None:
            return None
        return PrintRequest(CONTACT_CARD, resident_ids=(page.resident_id,),
                            label=page.detail.resident.name)

    button = print_button("打印联系卡(&K)", "printContactCard", request)
    button.setToolTip("在“打印”页预览并打印此人的签约服务联系卡")
    return button


def household_card_button(page: Any) -> QPushButton:
    """打印明白卡 on the household page: this household's 户政策明白卡."""

    def request() -> PrintRequest | None:
        if not page.household_id:
            return None
        head_id = page.clinic.household(page.household_id).head_id
        head = page.clinic.resident(head_id).name if head_id else "（无户主）"
        return PrintRequest(HOUSEHOLD_CARD, household_ids=(page.household_id,),
                            label=f"{head}户")

    button = print_button("打印明白卡(&K)", "printHouseholdCard", request)
    button.setToolTip("在“打印”页预览并打印本户的户政策明白卡")
    return button


def visit_list_button(page: Any) -> QPushButton:
    """打印随访名单 on 今日待办: the round's visit list for the chosen village."""

    def request() -> PrintRequest:
        village_id = page.village.currentData()
        return PrintRequest(VISIT_LIST, village_id=village_id,
                            label=page.village.currentText() if village_id else "全部村")

    button = print_button("打印随访名单(&P)", "printVisitList", request)
    button.setToolTip("在“打印”页预览并打印这个村的随访工作单")
    return button
