"""Small widgets shared by pages: a configured table view that explains itself when empty."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QWidget,
)

from clinic_app.ui.models import RowsModel

ERROR_STYLE = "color: #b00020;"
OK_STYLE = "color: #1b5e20;"


def table_view(model: RowsModel, name: str, *, sortable: bool = True) -> QTableView:
    """A read-only, row-selecting, keyboard-friendly table over a RowsModel."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # Size columns from the first rows only: measuring all 200 on every keystroke took ~70 ms.
    header.setResizeContentsPrecision(30)
    # One long cell (a service package, a long reason) must not push the others off screen;
    # the full text is in the tooltip.
    header.setMaximumSectionSize(360)
    header.setStretchLastSection(True)
    if sortable:
        view.setSortingEnabled(True)
        # Rows arrive in a meaningful order (rank, household); no sort until a header click.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    return view


class TableOrNote(QStackedWidget):
    """A table that shows a sentence instead of an empty grid when it has no rows."""

    def __init__(self, model: RowsModel, name: str, empty_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = table_view(model, name)
        self.note = QLabel(empty_text)
        self.note.setObjectName(f"{name}Empty")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.note.setMargin(8)
        self.addWidget(self.view)
        self.addWidget(self.note)
        model.modelReset.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        self.setCurrentWidget(self.view if self.model.rowCount() else self.note)


def fill_villages(combo: QComboBox, places: list[Any], all_label: str | None = None) -> None:
    """Refill a village chooser (villages come and go with imports), keeping the choice and
    without firing its change signal."""
    combo.blockSignals(True)
    current = combo.currentData()
    combo.clear()
    if all_label is not None:
        combo.addItem(all_label, None)
    for place in places:
        combo.addItem(place.name, place.id)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


def person_heading(person: Any, today: Any, name: str) -> QLabel:
    """A record dialog's heading: who it is about (name, sex, age), large and bold."""
    title = QLabel()
    title.setObjectName(name)
    font = title.font()
    font.setPointSize(font.pointSize() + 3)
    font.setBold(True)
    title.setFont(font)
    age = person.age(today)
    title.setText(f"{person.name}　{person.sex}　{f'{age}岁' if age is not None else ''}")
    return title
