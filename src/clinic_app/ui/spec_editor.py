"""The part every form field editor shares, whatever form its spec comes from.

The follow-up and checkup forms build their widgets from domain field specs
(``domain/followup.py``, ``domain/checkup.py``); reading a value back, showing a stored one,
marking a bad one and taking the focus are the same for both and live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QWidget

BAD_FIELD = "border: 1px solid #b00020; background: #fff4f4;"


class SpecEditor:
    """A field's widget (line edit, combo, text box, tick boxes for a multiple choice)."""

    widget: QWidget
    checks: list[QCheckBox]
    spec: Any

    def raw(self) -> Any:
        """The value as typed (text for line edits; codes, lists and bools otherwise)."""
        w = self.widget
        if isinstance(w, QComboBox):
            return w.currentData()
        if self.spec.kind == "multi":
            return [c.property("code") for c in self.checks if c.isChecked()]
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        assert isinstance(w, QLineEdit)
        return w.text()

    def set(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            index = w.findData(value)
            if index < 0 and value not in (None, ""):
                w.addItem(str(value), value)  # a code this version doesn't know: keep it
                index = w.count() - 1
            w.setCurrentIndex(max(index, 0))
        elif self.spec.kind == "multi":
            chosen = set(value or [])
            for check in self.checks:
                check.setChecked(check.property("code") in chosen)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(self.block_text(value))
        else:
            assert isinstance(w, QLineEdit)
            w.setText(self.line_text(value))

    def line_text(self, value: Any) -> str:
        """A stored value as a one-line field shows it (the form's own display rules)."""
        raise NotImplementedError

    def block_text(self, value: Any) -> str:
        return str(value or "")

    def mark(self, bad: bool) -> None:
        if not self.checks:
            self.widget.setStyleSheet(BAD_FIELD if bad else "")

    def focus(self) -> None:
        (self.checks[0] if self.checks else self.widget).setFocus()

    def connect(self, edited: Callable[[bool], None], left: Callable[[], None]) -> None:
        """Call ``edited(touch)`` on every change the user makes (touch: the field now counts
        as filled in, as any editor but a line edit does at once) and ``left()`` when the
        doctor leaves a line edit.

        Enter in a line edit reaches the dialog's default button (保存); connecting
        returnPressed here too would save twice.
        """
        w = self.widget
        if isinstance(w, QLineEdit):
            w.textEdited.connect(lambda _t: edited(False))
            w.editingFinished.connect(left)
        elif isinstance(w, QComboBox):
            w.activated.connect(lambda _i: edited(True))
        elif isinstance(w, QPlainTextEdit):
            w.textChanged.connect(lambda: edited(True))
        elif isinstance(w, QCheckBox):
            w.toggled.connect(lambda _c: edited(True))
        for check in self.checks:
            check.toggled.connect(lambda _c: edited(True))
