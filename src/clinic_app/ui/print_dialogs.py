"""Dialogs of the 打印 page: characters the font lacks, and choosing households of a village.

Both open window-modal with ``open()`` (no nested event loop) and report through signals, so
the page goes on when the user answers and tests press the same buttons a person would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import table_view

GLYPH_COLUMNS = [
    Column("哪里", lambda r: r["where"] or "（表头）"),
    Column("文字", lambda r: r["text"]),
    Column("字库中没有的字", lambda r: r["chars"]),
]


class MissingGlyphsDialog(QDialog):
    """Some names hold characters the bundled font lacks: say which, and let the user choose
    to print them as □ (written in by hand), to leave those people out, or to stop."""

    chosen = Signal(str)  # "mark" or "skip"; nothing when cancelled

    def __init__(self, problems: Sequence[Any], *, can_skip: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missingGlyphsDialog")
        self.setWindowTitle("有字库中没有的字")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.choice: str | None = None
        intro = QLabel(f"下面 {len(problems)} 处文字中有字库里没有的生僻字，直接打印会印成空白。"
                       "请选择怎么办：")
        intro.setWordWrap(True)
        self.model = RowsModel(GLYPH_COLUMNS, self)
        self.model.set_rows([{
            "where": p.where, "text": p.text,
            "chars": "、".join(f"“{c}”（U+{ord(c):04X}）" for c in p.chars)} for p in problems])
        self.table = table_view(self.model, "glyphProblems", sortable=False)
        hint = QLabel("用□代替：这些字印成□，打印后请用笔写上。"
                      + ("跳过：这次不打印这些人，核对写法后再单独打印。" if can_skip else ""))
        hint.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.mark_button = buttons.addButton("用□代替并打印(&M)",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.mark_button.setObjectName("glyphMark")
        self.skip_button = buttons.addButton("跳过这些人(&S)",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button.setObjectName("glyphSkip")
        self.skip_button.setVisible(can_skip)
        self.cancel_button = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setObjectName("glyphCancel")
        self.mark_button.clicked.connect(lambda: self._choose("mark"))
        self.skip_button.clicked.connect(lambda: self._choose("skip"))
        self.cancel_button.clicked.connect(self.reject)
        self.mark_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(620, 320)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
        self.chosen.emit(choice)


HOUSEHOLD_COLUMNS = [
    Column("户编号", lambda r: r["household_no"]),
    Column("组", lambda r: r["group_name"]),
    Column("户主", lambda r: r["head_name"] or "（未指定）"),
    Column("在册人数", lambda r: r["members"], align_right=True),
    Column("慢病人数", lambda r: r["patients"], align_right=True),
    Column("地址", lambda r: r["address"]),
]


class HouseholdPicker(QDialog):
    """Pick some households of a village (Ctrl/Shift-click, 全选)."""

    picked = Signal(list)  # the chosen households' rows

    def __init__(self, rows: Sequence[dict[str, Any]], selected: Sequence[str] = (),
                 village: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("householdPicker")
        self.setWindowTitle(f"选择要打印的户 — {village}" if village else "选择要打印的户")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.model = RowsModel(HOUSEHOLD_COLUMNS, self)
        self.model.set_rows(rows)
        self.table = table_view(self.model, "pickHouseholds")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.count = QLabel()
        self.table.selectionModel().selectionChanged.connect(self._count)
        chosen = QItemSelection()
        for row, data in enumerate(rows):
            if data["id"] in selected:
                chosen.select(self.model.index(row, 0),
                              self.model.index(row, self.model.columnCount() - 1))
        self.table.selectionModel().select(chosen, QItemSelectionModel.SelectionFlag.Select)
        select_all = QPushButton("全选(&A)")
        select_all.clicked.connect(self.table.selectAll)
        clear = QPushButton("全不选(&N)")
        clear.clicked.connect(self.table.clearSelection)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("按住 Ctrl 或 Shift 点选多户。"))
        tools.addStretch(1)
        tools.addWidget(select_all)
        tools.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addWidget(buttons)
        self._count()
        self.resize(760, 480)

    def selected_rows(self) -> list[dict[str, Any]]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.row_data(r) for r in rows]

    def _count(self, *_: object) -> None:
        self.count.setText(f"已选 {len(self.selected_rows())} 户，共 {self.model.rowCount()} 户")

    def _accept(self) -> None:
        self.accept()
        self.picked.emit(self.selected_rows())
