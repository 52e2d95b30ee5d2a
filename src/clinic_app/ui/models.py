"""Table models for every list in the window (Qt's model/view; no SQL, data from Clinic)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from clinic_app.domain import codes

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[dict[str, Any]], Any]
    align_right: bool = False
    tooltip: Callable[[dict[str, Any]], str] | None = None


class RowsModel(QAbstractTableModel):
    """A read-only table of dict rows described by ``Column``s; sortable by the view."""

    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[dict[str, Any]] = []

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_data(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.value(row)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == self.ID_ROLE:
            return row.get("id")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            return self._columns[section].title
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not (0 <= column < len(self._columns)):
            return
        getter = self._columns[column].value
        self.layoutAboutToBeChanged.emit()
        self._rows.sort(key=lambda r: _sort_key(getter(r)),
                        reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (2, "")
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value))


def search_columns() -> list[Column]:
    return [
        Column("姓名", lambda r: r["name"]),
        Column("性别", lambda r: r["sex"]),
        Column("年龄", lambda r: r["age"], align_right=True),
        Column("身份证号", lambda r: r["masked_id"]),
        Column("村", lambda r: r["village"]),
        Column("户主", lambda r: r["head_name"]),
        Column("慢病", lambda r: "、".join(r["conditions"])),
        Column("签约", lambda r: codes.label(codes.CONTRACT_STATUS, r["contract_status"])),
        Column("下次随访", lambda r: r["next_follow_up"]),
        Column("状态", lambda r: codes.label(codes.RESIDENT_STATUS, r["status"])),
    ]
