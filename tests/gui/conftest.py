"""GUI tests run offscreen with the bundled font as the application font."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="session")
def qapp_cls():
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture
def app(qapp):
    from clinic_app.ui.app import application

    return application()


@pytest.fixture
def screenshot_dir() -> Iterator[Path]:
    SCREENSHOTS.mkdir(exist_ok=True)
    yield SCREENSHOTS


class DialogAnswers:
    """Answers for QMessageBox.question in tests; an unexpected question fails the test
    instead of blocking the run forever on an invisible modal dialog."""

    def __init__(self) -> None:
        self.queue: list[object] = []
        self.asked: list[str] = []

    def __call__(self, parent, title, text, *args, **kwargs):
        self.asked.append(str(text))
        if not self.queue:
            raise AssertionError(f"unexpected question dialog: {title}: {text}")
        return self.queue.pop(0)


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> DialogAnswers:
    from PySide6.QtWidgets import QMessageBox

    fake = DialogAnswers()
    monkeypatch.setattr(QMessageBox, "question", fake)
    return fake


@pytest.fixture(autouse=True)
def _gc_back_on() -> Iterator[None]:
    """The window runs the cycle collector from its own timer (ui/app.py); tests outside the
    window expect Python's automatic collection, so switch it back on after each GUI test."""
    yield
    import gc

    gc.enable()
