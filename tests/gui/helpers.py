"""Typing helpers: qtbot.keyClicks types ASCII only (other characters abort Qt)."""

from __future__ import annotations

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget


def type_text(widget: QWidget, text: str) -> None:
    """Type any text (Chinese included) as an input method would commit it."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def show_window(qtbot, clinic):
    """The main window over `clinic`, shown offscreen at 1366×768."""
    from clinic_app.ui.main_window import MainWindow

    window = MainWindow(clinic)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window
