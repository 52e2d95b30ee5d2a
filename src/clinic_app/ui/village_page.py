"""Lists of a village: every household or resident, filtered, sortable, exported to xlsx."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes
from clinic_app.errors import ClinicError
from clinic_app.ui.household_page import MEMBER_COLUMNS
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import TableOrNote, fill_villages

RESIDENT_COLUMNS = [
    Column("户编号", lambda r: r["household_no"]),
    Column("组", lambda r: r["group_name"]),
    *MEMBER_COLUMNS[:4],
    MEMBER_COLUMNS[4],
    Column("人员类别", lambda r: codes.label(codes.POVERTY_CATEGORIES, r["poverty_category"])),
    *MEMBER_COLUMNS[6:],
]
HOUSEHOLD_COLUMNS = [
    Column("户编号", lambda r: r["household_no"]),
    Column("组", lambda r: r["group_name"]),
    Column("户主", lambda r: r["head_name"] or "（未指定）"),
    Column("户主电话", lambda r: r["head_phone"]),
    Column("在册人数", lambda r: r["members"], align_right=True),
    Column("慢病人数", lambda r: r["patients"], align_right=True),
    Column("地址", lambda r: r["address"]),
]


def _filter_combo(name: str, everything: str, table: dict[str, str]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.addItem(everything, None)
    for code, label in table.items():
        combo.addItem(label, code)
    return combo


class VillagePage(QWidget):
    open_resident = Signal(str)
    open_household = Signal(str)
    import_requested = Signal()

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.village = QComboBox()
        self.village.setObjectName("villageCombo")
        self.mode = QComboBox()
        self.mode.setObjectName("modeCombo")
        self.mode.addItem("按人", "residents")
        self.mode.addItem("按户", "households")
        self.category = _filter_combo("categoryFilter", "全部人员类别",
                                      codes.POVERTY_CATEGORIES)
        self.condition = _filter_combo("conditionFilter", "全部（不限慢病）", codes.CONDITIONS)
        self.contract = _filter_combo("contractFilter", "全部签约状态", codes.CONTRACT_STATUS)
        self.inactive = QCheckBox("含迁出/死亡")
        self.export_button = QPushButton("导出 Excel(&E)…")
        self.export_button.setObjectName("exportButton")
        self.count = QLabel()
        self.count.setObjectName("villageCount")
        bar = QHBoxLayout()
        for widget in (QLabel("村"), self.village, self.mode, self.category, self.condition,
                       self.contract, self.inactive):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.import_button = QPushButton("导入扶贫办名单(&I)…")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self.import_requested)
        bar.addWidget(self.import_button)
        bar.addWidget(self.export_button)
        self.resident_model = RowsModel(RESIDENT_COLUMNS, self)
        self.household_model = RowsModel(HOUSEHOLD_COLUMNS, self)
        self.residents = TableOrNote(self.resident_model, "villageResidents",
                                     "这个村没有符合条件的居民。")
        self.households = TableOrNote(self.household_model, "villageHouseholds",
                                      "这个村还没有登记任何户。")
        self.residents.view.activated.connect(lambda i: self.open_resident.emit(
            self.resident_model.row_data(i.row())["id"]))
        self.households.view.activated.connect(lambda i: self.open_household.emit(
            self.household_model.row_data(i.row())["id"]))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.count)
        layout.addWidget(self.residents, 1)
        layout.addWidget(self.households, 1)
        for combo in (self.village, self.mode, self.category, self.condition, self.contract):
            combo.currentIndexChanged.connect(self.refresh)
        self.inactive.toggled.connect(self.refresh)
        self.export_button.clicked.connect(self.export)
        self.reload_villages()

    def reload_villages(self) -> None:
        fill_villages(self.village, self.clinic.places("village"))
        self.refresh()

    def refresh(self) -> None:
        village_id = self.village.currentData()
        by_household = self.mode.currentData() == "households"
        for widget in (self.category, self.condition, self.contract, self.inactive):
            widget.setEnabled(not by_household)
        self.residents.setVisible(not by_household)
        self.households.setVisible(by_household)
        if village_id is None:
            self.resident_model.set_rows([])
            self.household_model.set_rows([])
            self.count.setText("还没有登记任何村。点右上角“导入扶贫办名单”开始。")
            return
        if by_household:
            rows = self.clinic.village_households(village_id)
            self.household_model.set_rows(rows)
            self.count.setText(f"{self.village.currentText()}：{len(rows)} 户")
        else:
            rows = self.clinic.village_roster(
                village_id, category=self.category.currentData(),
                condition=self.condition.currentData(),
                contract_status=self.contract.currentData(),
                include_inactive=self.inactive.isChecked())
            self.resident_model.set_rows(rows)
            self.count.setText(f"{self.village.currentText()}：{len(rows)} 人")

    def export(self, path: str | None = None) -> Path | None:
        """Export what is shown; asks for a file name unless one is given (tests)."""
        by_household = self.mode.currentData() == "households"
        default = f"{self.village.currentText()}{'户' if by_household else '居民'}名单.xlsx"
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "导出 Excel", default,
                                                  "Excel 文件 (*.xlsx)")
            if not path:
                return None
        target = Path(path)
        try:
            if by_household:
                self.clinic.export_households(target, self.household_model.rows())
            else:
                self.clinic.export_roster(target, self.resident_model.rows())
        except ClinicError as exc:
            QMessageBox.warning(self, "导出失败", str(exc))
            return None
        return target
