"""GUI tests run offscreen with the bundled font as the application font."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="session")
def qapp_cls():  # noqa: ANN201 (pytest-qt hook fixture)
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture
def app(qapp):  # noqa: ANN001, ANN201
    from clinic_app.ui.app import application

    return application()


@pytest.fixture
def screenshot_dir() -> Iterator[Path]:
    SCREENSHOTS.mkdir(exist_ok=True)
    yield SCREENSHOTS
