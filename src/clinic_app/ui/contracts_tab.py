"""The resident page's 签约 tab: the contracts, 签约 / 续约 / 解约 / 登记服务, and 履约.

Installed into ``ResidentPage`` by ``install_contracts_tab`` (one line there): it wraps the
page's existing contracts table, adds the actions above it and, below, the fulfilment of the
selected contract — each promised service with promised, done, due so far and status
(签约一人履约一人，签约一项履约一项).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic, ResidentDetail
from clinic_app.domain import codes
from clinic_app.domain.models import Contract
from clinic_app.ui.contract_dialogs import (
    EndContractDialog,
    ServiceDialog,
    ServiceRecordsDialog,
    SignDialog,
)
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import ERROR_STYLE, TableOrNote

if TYPE_CHECKING:
    from clinic_app.ui.resident_page import ResidentPage

STATUS_COLOURS = {"behind": QColor("#ffe0e0"), "missed": QColor("#ffd0d0"),
                  "stopped": QColor("#eeeeee"), "done": QColor("#e3f4e1")}


def _count(value: int, status: str) -> str:
    return "按需" if status in ("on_demand", "not_applicable") else str(value)


FULFILMENT_COLUMNS = [
    Column("服务项目", lambda r: r["name"], tooltip=lambda r: r["note"]),
    Column("承诺次数", lambda r: _count(r["promised"], r["status"]), align_right=True),
    Column("已完成", lambda r: r["done"], align_right=True),
    Column("至今应完成", lambda r: _count(r["expected"], r["status"]), align_right=True),
    Column("状态", lambda r: r["status_label"]),
    Column("依据", lambda r: r["note"], tooltip=lambda r: r["note"]),
]


class FulfilmentModel(RowsModel):
    """Promises tinted by status: behind and missed stand out, kept ones are green."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            return STATUS_COLOURS.get(self.row_data(index.row())["status"])
        return super().data(index, role)


class ContractsTab(QWidget):
    """Contracts of one resident with their actions and the selected one's fulfilment."""

    changed = Signal(str)  # what was done, for the status bar

    def __init__(self, clinic: Clinic, contracts: TableOrNote,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.contracts = contracts
        self.detail: ResidentDetail | None = None
        self.status = QLabel()
        self.status.setObjectName("contractStatus")
        self.status.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setObjectName("contractWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(ERROR_STYLE)
        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for key, text, slot in (("sign", "签约(&Q)…", self.sign),
                                ("renew", "续约(&X)…", self.renew),
                                ("end", "解约(&J)…", self.end),
                                ("service", "登记服务(&G)…", self.record_service),
                                ("records", "服务记录(&L)…", self.show_records)):
            button = QPushButton(text)
            button.setObjectName(f"contract_{key}")
            button.clicked.connect(slot)
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)
        self.fulfilment_model = FulfilmentModel(FULFILMENT_COLUMNS, self)
        self.fulfilment = TableOrNote(self.fulfilment_model, "fulfilmentTable",
                                      "选中一份签约，这里列出每项承诺的服务及完成情况。")
        self.fulfilment_title = QLabel("履约情况")
        self.fulfilment_title.setObjectName("fulfilmentTitle")
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.fulfilment_title)
        lower_layout.addWidget(self.fulfilment, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(contracts)
        splitter.addWidget(lower)
        splitter.setSizes([120, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(self.warning)
        layout.addWidget(splitter, 1)
        contracts.view.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        contracts.model.modelReset.connect(self._select_first)

    # ------------------------------------------------------------------ state
    def load(self, detail: ResidentDetail) -> None:
        self.detail = detail
        person = detail.resident
        on_register = person.status == "active"
        self.buttons["sign"].setEnabled(on_register)
        self.buttons["service"].setEnabled(on_register)
        latest = detail.contracts[-1] if detail.contracts else None
        if on_register and latest is not None and latest.ended_on is not None and \
                latest.end_reason in ("death", "moved"):
            reason = codes.label(codes.CONTRACT_END_REASONS, latest.end_reason)
            # Said so it is true both after 恢复在册 and after a 解约 typed as 迁出/死亡.
            self.warning.setText(f"原签约已于 {latest.ended_on} 因{reason}解约，不会自动恢复；"
                                 "如此人仍在本地并需继续服务，请重新签约。")
        elif not on_register:
            self.warning.setText(f"此人已{person.status_label}，不能签约或登记服务；"
                                 "原有签约和履约记录保留。")
        else:
            self.warning.clear()
        self.warning.setVisible(bool(self.warning.text()))
        self._select_first()

    def _select_first(self) -> None:
        if self.contracts.model.rowCount():
            self.contracts.view.selectRow(0)
        self._selected()

    def selected(self) -> Contract | None:
        if self.detail is None:
            return None
        index = self.contracts.view.currentIndex()
        if not index.isValid() or not self.contracts.model.rowCount():
            return None
        contract_id = self.contracts.model.row_data(index.row()).get("id")
        return next((c for c in self.detail.contracts if c.id == contract_id), None)

    def _selected(self) -> None:
        contract = self.selected()
        today = self.clinic.today()
        renewed = contract is not None and any(
            c.renewed_from_id == contract.id for c in (self.detail.contracts if self.detail
                                                      else []))
        active = self.detail is not None and self.detail.resident.status == "active"
        self.buttons["renew"].setEnabled(active and contract is not None and
                                         contract.ended_on is None and not renewed)
        self.buttons["end"].setEnabled(contract is not None and contract.ended_on is None
                                       and contract.end_on is not None
                                       and contract.end_on >= today)
        self.buttons["renew"].setToolTip("已续约" if renewed else "")
        if contract is None:
            self.status.setText("尚未签约。点“签约”为此人签约，或在户页面“全户签约”。"
                                if self.detail is not None else "")
            self.fulfilment_model.set_rows([])
            self.fulfilment_title.setText("履约情况")
            return
        self.status.setText(self._describe(contract))
        items = self.clinic.fulfilment(contract.id, today)
        self.fulfilment_model.set_rows([i.to_dict() for i in items])
        owed = [i for i in items if i.owed]
        kept = sum(1 for i in owed if i.done >= i.promised)
        behind = sum(1 for i in owed if i.status in ("behind", "missed"))
        self.fulfilment_title.setText(
            f"履约情况（截至 {min(today, contract.end_on or today)}）："
            f"应履约 {len(owed)} 项，已完成 {kept} 项" + (f"，落后或未完成 {behind} 项"
                                                     if behind else ""))

    def _describe(self, contract: Contract) -> str:
        packages = {p.code: p.name for p in self.clinic.profile.packages(contract.start_on)}
        doctor = self.clinic.doctor(contract.doctor_id).name if contract.doctor_id else "未指定"
        team = self.clinic.team(contract.team_id).name if contract.team_id else ""
        expiring = self.clinic.profile.value("contract.expiring_soon_days", default=30)
        state = codes.label(codes.CONTRACT_STATUS, contract.status(self.clinic.today(),
                                                                   expiring))
        text = (f"{packages.get(contract.package_code, contract.package_code)}　"
                f"{contract.start_on} 至 {contract.end_on}　医生：{doctor}"
                + (f"（{team}）" if team else "")
                + f"　协议书编号：{contract.agreement_no or '无'}　状态：{state}")
        if contract.ended_on is not None:
            reason = codes.label(codes.CONTRACT_END_REASONS, contract.end_reason)
            note = f"，{contract.end_note}" if contract.end_note else ""
            text += f"（{contract.ended_on} 解约：{reason}{note}）"
        if contract.renewed_from_id:
            text += "　（续约）"
        return text

    # ------------------------------------------------------------------ actions
    def _resident_id(self) -> str | None:
        return self.detail.resident.id if self.detail is not None else None

    def _done(self, dialog: QDialog, message: str) -> QDialog:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.changed.emit(message)
        return dialog

    def sign(self) -> QDialog | None:
        if (resident_id := self._resident_id()) is None:
            return None
        return self._done(SignDialog(self.clinic, resident_id, parent=self), "已签约")

    def renew(self) -> QDialog | None:
        contract = self.selected()
        if contract is None or (resident_id := self._resident_id()) is None:
            return None
        return self._done(SignDialog(self.clinic, resident_id, renew=contract, parent=self),
                          "已续约")

    def end(self) -> QDialog | None:
        contract = self.selected()
        if contract is None:
            return None
        return self._done(EndContractDialog(self.clinic, contract, parent=self), "已解约")

    def record_service(self) -> QDialog | None:
        if (resident_id := self._resident_id()) is None:
            return None
        contract = self.selected()
        return self._done(ServiceDialog(self.clinic, resident_id, contract, parent=self),
                          "已登记服务")

    def show_records(self) -> QDialog | None:
        if (resident_id := self._resident_id()) is None:
            return None
        dialog = ServiceRecordsDialog(self.clinic, resident_id, parent=self)
        dialog.exec()
        if dialog.changed:
            self.changed.emit("已删除服务记录")
        return dialog


def install_contracts_tab(page: ResidentPage) -> ContractsTab:
    """Put the 签约 tab (actions + 履约) where the page's contracts table was."""
    section = page.sections["contracts"]
    index = page.tabs.indexOf(section)
    title = page.tabs.tabText(index)
    page.tabs.removeTab(index)
    tab = ContractsTab(page.clinic, section)
    page.tabs.insertTab(index, tab, title)

    def reload(message: str) -> None:
        if page.resident_id is not None:
            page.load(page.resident_id)
            page.tabs.setCurrentWidget(tab)
            page.saved.emit(page.resident_id, [message])

    tab.changed.connect(reload)
    page.contracts_tab = tab
    return tab
