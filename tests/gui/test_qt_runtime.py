"""Guards against the PySide6 6.12.0 / CPython 3.11 crash (None's refcount drained)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLineEdit


def test_void_qt_calls_do_not_drain_none_refcount(app) -> None:
    edit = QLineEdit()
    before = sys.getrefcount(None)
    for _ in range(5000):
        edit.setText("张三")
    after = sys.getrefcount(None)
    # On 3.12+ None is immortal (constant count). On 3.11 a healthy build stays near `before`;
    # the broken build drops by one per call and would later abort with none_dealloc.
    assert after >= before - 100, f"None refcount fell from {before} to {after}"


def test_bundled_font_is_the_application_font(app) -> None:
    from PySide6.QtGui import QFontDatabase, QFontMetrics

    from clinic_app.ui.app import load_fonts

    family = load_fonts()
    assert "Noto Sans SC" in family
    assert app.font().family() == family
    assert family in QFontDatabase.families()
    metrics = QFontMetrics(app.font())
    for char in "张三䶮单曾":  # includes a CJK Extension A character (䶮)
        assert metrics.inFont(char), char
