"""The resident page's 慢病小药箱 tab: medicines on the box, days left, deliveries, and the
free-medicine balance shown before every delivery.

A delivery dialog shows the year's cap, what is used and what is left (from the policy profile)
before anything is typed; amounts are typed in 元 and parsed exactly to fen. The fund's share
follows "total − insurance − patient" until the doctor types it; a share beyond what is left is
refused on the spot with the amounts and a 按余额拆分 button that moves the excess to the
patient. Corrections and refunds are new rows; replaced rows stay in the list, greyed.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes, medicine
from clinic_app.domain.medicine import Split, parse_yuan, yuan_text
from clinic_app.domain.models import yuan
from clinic_app.domain.validate import parse_date
from clinic_app.errors import ClinicError, ValidationFailed
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import ERROR_STYLE, OK_STYLE, TableOrNote

BAD_FIELD = "border: 1px solid #b00020; background: #fff4f4;"
LOW_STYLE = "color: #b45309; font-weight: bold;"
LONG_SUPPLY_DAYS = 180  # a delivery lasting longer is probably a typing slip (100 boxes)
UNITS = ("盒", "瓶", "支", "袋", "板")
GREY = QColor("#9e9e9e")
OUT_COLOUR = QColor("#ffd6d6")
SOON_COLOUR = QColor("#fff7cc")


def _money(fen: int) -> str:
    return yuan(fen)


class DeliveriesModel(RowsModel):
    """Deliveries with replaced rows greyed (they stay as history but no longer count)."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            return None if self.row_data(index.row())["current"] else GREY
        return super().data(index, role)


class ItemsModel(RowsModel):
    """Box medicines tinted by days left: out (red), within the warning days (yellow)."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            left = self.row_data(index.row())["days_left"]
            if left is None or not self.row_data(index.row())["active"]:
                return None
            if left < 0:
                return OUT_COLOUR
            return SOON_COLOUR if left <= medicine.RUNS_OUT_SOON_DAYS else None
        return super().data(index, role)


ITEM_COLUMNS = [
    Column("药品", lambda r: r["medicine"]),
    Column("规格", lambda r: r["strength"]),
    Column("用法", lambda r: r["dose"]),
    Column("病种", lambda r: r["condition"]),
    Column("每日用量", lambda r: r["per_day"], align_right=True),
    Column("余药", lambda r: r["supply"]),
    Column("预计用完", lambda r: r["runs_out_on"]),
    Column("状态", lambda r: r["state"], tooltip=lambda r: r["stop_reason"]),
]
DELIVERY_COLUMNS = [
    Column("日期", lambda r: r["delivered_on"]),
    Column("类型", lambda r: r["kind_label"]),
    Column("药品", lambda r: r["medicine"]),
    Column("数量", lambda r: f"{r['quantity']}{r['unit']}", align_right=True),
    Column("单价(元)", lambda r: _money(r["unit_price_fen"]), align_right=True),
    Column("金额(元)", lambda r: _money(r["quantity"] * r["unit_price_fen"]), align_right=True),
    Column("医保", lambda r: _money(r["insurance_fen"]), align_right=True),
    Column("免费基金", lambda r: _money(r["free_fund_fen"]), align_right=True),
    Column("个人", lambda r: _money(r["patient_fen"]), align_right=True),
    Column("票据号", lambda r: r["receipt_no"]),
    Column("送药人", lambda r: r["delivered_by_name"] or ""),
    Column("方式", lambda r: medicine.LOCATIONS.get(r["location"], r["location"])),
    Column("说明", lambda r: r["state"], tooltip=lambda r: r["notes"]),
]


class MedicineBoxPanel(QWidget):
    """One resident's 慢病小药箱."""

    changed = Signal()
    message = Signal(str)

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id: str | None = None
        self.view: medicine.BoxView | None = None
        self.dialog: QDialog | None = None
        self.balance_label = QLabel()
        self.balance_label.setObjectName("boxBalance")
        self.balance_label.setWordWrap(True)
        font = self.balance_label.font()
        font.setBold(True)
        self.balance_label.setFont(font)
        self.open_button = QPushButton("建立药箱…")
        self.open_button.setObjectName("openBox")
        self.open_button.clicked.connect(self.open_box)
        self.item_button = QPushButton("添加药品…")
        self.item_button.setObjectName("addBoxItem")
        self.item_button.clicked.connect(self.add_item)
        self.stop_button = QPushButton("停用药品…")
        self.stop_button.clicked.connect(self.stop_item)
        self.deliver_button = QPushButton("发药(&D)…")
        self.deliver_button.setObjectName("deliver")
        self.deliver_button.clicked.connect(self.deliver)
        self.correct_button = QPushButton("更正…")
        self.correct_button.setObjectName("correctDelivery")
        self.correct_button.clicked.connect(self.correct)
        self.refund_button = QPushButton("退药…")
        self.refund_button.setObjectName("refundDelivery")
        self.refund_button.clicked.connect(self.refund)
        self.void_button = QPushButton("作废…")
        self.void_button.clicked.connect(self.void)

        self.items_model = ItemsModel(ITEM_COLUMNS, self)
        self.items = TableOrNote(self.items_model, "boxItems",
                                 "药箱里还没有药品。点“添加药品”登记代购的慢病用药。")
        self.deliveries_model = DeliveriesModel(DELIVERY_COLUMNS, self)
        self.deliveries = TableOrNote(self.deliveries_model, "boxDeliveries",
                                      "还没有发药记录。")
        self.deliveries.view.doubleClicked.connect(lambda _i: self.correct())
        item_bar = QHBoxLayout()
        item_bar.addWidget(QLabel("药箱药品"))
        item_bar.addStretch(1)
        item_bar.addWidget(self.open_button)
        item_bar.addWidget(self.item_button)
        item_bar.addWidget(self.stop_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(item_bar)
        top_layout.addWidget(self.items, 1)
        delivery_bar = QHBoxLayout()
        delivery_bar.addWidget(QLabel("发药与退药（票据）"))
        delivery_bar.addStretch(1)
        for button in (self.deliver_button, self.correct_button, self.refund_button,
                       self.void_button):
            delivery_bar.addWidget(button)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(delivery_bar)
        bottom_layout.addWidget(self.deliveries, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([140, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.balance_label)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ loading
    def load(self, resident_id: str) -> None:
        self.resident_id = resident_id
        self.view = view = self.clinic.medicine_box(resident_id)
        balance = view.balance
        left = balance.left_fen
        low = left is not None and balance.cap_fen and left * 10 < balance.cap_fen
        self.balance_label.setText(balance.text() + ("　（余额不足一成）" if low else ""))
        self.balance_label.setStyleSheet(LOW_STYLE if low else "")
        rows = []
        for entry in view.items:
            item, supply = entry["item"], entry["supply"]
            pack = item.units_per_pack
            per_day = f"{item.units_per_day:g}" if item.units_per_day else ""
            if per_day and pack:
                per_day += f"（每盒{pack}）"
            rows.append({
                "id": item.id, "medicine": item.medicine, "strength": item.strength,
                "dose": item.dose, "condition": entry["condition"], "per_day": per_day,
                "supply": supply.text() if item.active and supply.days_left is not None else "",
                "runs_out_on": str(supply.runs_out_on or "") if item.active else "",
                "days_left": supply.days_left, "active": bool(item.active),
                "state": "在用" if item.active else f"{item.stopped_on or ''} 停用",
                "stop_reason": item.stop_reason})
        self.items_model.set_rows(rows)
        shown = []
        for row in view.deliveries:
            notes = []
            if row["kind"] == "refund":
                notes.append(f"退 {row['refund_of_date']} 发药")
            if row["corrects_id"]:
                notes.append("更正后")
            if not row["current"]:
                notes.append("已被更正（不计入）")
            shown.append({**row, "kind_label": medicine.KINDS.get(row["kind"], row["kind"]),
                          "state": "；".join(notes), "notes": row["notes"]})
        self.deliveries_model.set_rows(shown)
        has_box = view.box is not None
        active = self.clinic.resident(resident_id).status == "active"
        self.open_button.setVisible(not has_box)
        self.open_button.setEnabled(active)
        self.item_button.setEnabled(has_box and active)
        self.stop_button.setEnabled(any(r["active"] for r in rows))
        self.deliver_button.setEnabled(any(r["active"] for r in rows) and active)
        for button in (self.correct_button, self.refund_button, self.void_button):
            button.setEnabled(any(r["current"] for r in shown))
        if not has_box:
            self.items.note.setText("还没有慢病小药箱。点“建立药箱”开始代购、结算、送药登记。")

    # ------------------------------------------------------------------ actions
    def _selected_delivery(self) -> dict[str, Any] | None:
        index = self.deliveries.view.currentIndex()
        rows = [r for r in self.deliveries_model.rows() if r["current"]]
        if index.isValid():
            row = self.deliveries_model.row_data(index.row())
            if not row["current"]:
                QMessageBox.information(self, "已被更正", "这条记录已被更正，请选择更正后的那一条")
                return None
            return row
        if len(rows) == 1:
            return rows[0]
        QMessageBox.information(self, "请先选择", "请先在发药列表中点选一条记录")
        return None

    def _selected_item(self) -> dict[str, Any] | None:
        index = self.items.view.currentIndex()
        active = [r for r in self.items_model.rows() if r["active"]]
        if index.isValid():
            return self.items_model.row_data(index.row())
        if len(active) == 1:
            return active[0]
        QMessageBox.information(self, "请先选择", "请先在药品列表中点选一种药")
        return None

    def open_box(self) -> None:
        if self.resident_id is None:
            return
        try:
            self.clinic.open_box(self.resident_id)
        except ClinicError as exc:
            QMessageBox.warning(self, "没有建立", str(exc))
            return
        self.message.emit("已建立慢病小药箱")
        self.changed.emit()

    def add_item(self) -> QDialog | None:
        if self.view is None or self.view.box is None:
            return None
        return self._open(ItemDialog(self.clinic, self.view, parent=self))

    def stop_item(self) -> None:
        row = self._selected_item()
        if row is None:
            return
        reason, ok = QInputDialog.getText(self, "停用药品",
                                          f"停用 {row['medicine']}（记录保留）。\n停用原因：")
        if not ok:
            return
        try:
            self.clinic.stop_box_item(row["id"], reason)
        except ClinicError as exc:
            QMessageBox.warning(self, "没有停用", str(exc))
            return
        self.changed.emit()

    def deliver(self) -> DeliveryDialog | None:
        if self.view is None or self.view.box is None:
            return None
        dialog = DeliveryDialog(self.clinic, self.view, parent=self)
        self._open(dialog)
        return dialog

    def correct(self) -> QDialog | None:
        row = self._selected_delivery()
        if row is None or self.view is None:
            return None
        if row["kind"] == "refund":
            return self._open(RefundDialog(self.clinic, self.view, row, correcting=True,
                                           parent=self))
        return self._open(DeliveryDialog(self.clinic, self.view, correcting=row, parent=self))

    def refund(self) -> QDialog | None:
        row = self._selected_delivery()
        if row is None or self.view is None:
            return None
        if row["kind"] != "delivery":
            QMessageBox.information(self, "不能退药", "请选择一条发药记录再退药")
            return None
        return self._open(RefundDialog(self.clinic, self.view, row, parent=self))

    def void(self) -> None:
        row = self._selected_delivery()
        if row is None:
            return
        reason, ok = QInputDialog.getText(
            self, "作废发药记录", f"作废 {row['delivered_on']} {row['medicine']} 这条记录"
            "（含其更正前的版本；记录保留在历史中）。\n作废原因（如：录到了别人的档案上）：")
        if not ok:
            return
        try:
            self.clinic.void_delivery(row["id"], reason)
        except ClinicError as exc:
            QMessageBox.warning(self, "没有作废", str(exc))
            return
        self.changed.emit()

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._done(dialog))
        dialog.open()
        return dialog

    def _done(self, dialog: QDialog) -> None:
        text = getattr(dialog, "done_text", "")
        self.changed.emit()
        if text:
            self.message.emit(text)


class ItemDialog(QDialog):
    """Put a medicine on the box: name, 规格, 用法, condition, daily amount, pack size."""

    def __init__(self, clinic: Clinic, view: medicine.BoxView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.view = view
        self.done_text = ""
        self.setWindowTitle("添加药品")
        self.setObjectName("itemDialog")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("itemName")
        self.strength_edit = QLineEdit()
        self.strength_edit.setObjectName("itemStrength")
        self.strength_edit.setPlaceholderText("如 5mg×28片")
        self.dose_edit = QLineEdit()
        self.dose_edit.setObjectName("itemDose")
        self.dose_edit.setPlaceholderText("如 每日1次，每次1片")
        self.condition_combo = QComboBox()
        self.condition_combo.setObjectName("itemCondition")
        active = [c for c in clinic.conditions(view.resident_id) if c.status == "active"]
        for c in active:
            self.condition_combo.addItem(c.label, c.code)
        self.condition_combo.addItem("（未注明病种）", "")
        for code, label in codes.CONDITIONS.items():
            if code not in {c.code for c in active}:
                self.condition_combo.addItem(f"{label}（未登记）", code)
        self.per_day = QDoubleSpinBox()
        self.per_day.setObjectName("itemPerDay")
        self.per_day.setRange(0, 100)
        self.per_day.setDecimals(1)
        self.per_day.setSingleStep(0.5)
        self.per_day.setValue(1)
        self.per_day.setSpecialValueText("不计算")
        self.pack = QSpinBox()
        self.pack.setObjectName("itemPack")
        self.pack.setRange(0, 1000)
        self.pack.setSpecialValueText("按规格")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("药品名称(&N)", self.name_edit)
        form.addRow("规格", self.strength_edit)
        form.addRow("用法用量", self.dose_edit)
        form.addRow("用于病种", self.condition_combo)
        form.addRow("每日用量（片/粒/支）", self.per_day)
        form.addRow("每盒数量", self.pack)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.strength_edit.textChanged.connect(self._hint)
        self.pack.valueChanged.connect(self._hint)
        self._hint()

    def _hint(self) -> None:
        parsed = medicine.pack_size_from(self.strength_edit.text())
        if self.pack.value():
            self.hint.setText(f"每盒 {self.pack.value()} 片/粒，用于计算余药天数。")
        elif parsed:
            self.hint.setText(f"按规格每盒 {parsed} 片/粒，用于计算余药天数。")
        else:
            self.hint.setText("规格里没有每盒数量：请填“每盒数量”，否则按每次发药数量计算天数。")

    def accept(self) -> None:
        try:
            self.clinic.add_box_item(
                self.view.box.id if self.view.box else "", self.name_edit.text(),
                strength=self.strength_edit.text(), dose=self.dose_edit.text(),
                condition_code=self.condition_combo.currentData() or "",
                units_per_day=self.per_day.value() or None, pack_size=self.pack.value() or None)
        except ClinicError as exc:
            self.error.setText(html.escape(str(exc)))
            return
        self.done_text = f"已添加药品：{self.name_edit.text().strip()}"
        super().accept()


class DeliveryDialog(QDialog):
    """发药 (or its correction): the balance first, amounts in 元, the split checked live."""

    def __init__(self, clinic: Clinic, view: medicine.BoxView, *,
                 correcting: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.view = view
        self.correcting = correcting
        self.saved_id: str | None = None
        self.done_text = ""
        # Until the doctor types them, the fund and the patient share follow the split a
        # doctor would write (fund up to what is left, patient the rest), and the unit price
        # follows the last delivery of the chosen medicine.
        self._fund_auto = self._patient_auto = self._price_auto = correcting is None
        self.setWindowTitle(f"更正发药记录 — {view.resident_name}" if correcting
                            else f"发药 — {view.resident_name}")
        self.setObjectName("deliveryDialog")

        self.balance_label = QLabel()
        self.balance_label.setObjectName("deliveryBalance")
        self.balance_label.setWordWrap(True)
        font = self.balance_label.font()
        font.setBold(True)
        self.balance_label.setFont(font)
        self.item_combo = QComboBox()
        self.item_combo.setObjectName("deliveryItem")
        for entry in view.items:
            item = entry["item"]
            if item.active or (correcting and correcting["item_id"] == item.id):
                text = f"{item.medicine} {item.strength}".strip()
                self.item_combo.addItem(f"{text}（{entry['condition'] or '未注明病种'}）",
                                        item.id)
        self.date_edit = QLineEdit(clinic.today().isoformat())
        self.date_edit.setObjectName("deliveryDate")
        self.quantity = QSpinBox()
        self.quantity.setObjectName("deliveryQuantity")
        self.quantity.setRange(1, 999)
        self.unit_combo = QComboBox()
        self.unit_combo.setEditable(True)
        self.unit_combo.addItems(UNITS)
        self.price_edit = self._money_edit("deliveryPrice", "如 18.50")
        self.total_label = QLabel()
        self.total_label.setObjectName("deliveryTotal")
        self.insurance_edit = self._money_edit("deliveryInsurance", "医保结算金额")
        self.fund_edit = self._money_edit("deliveryFund", "")
        self.patient_edit = self._money_edit("deliveryPatient", "0")
        self.split_button = QPushButton("按余额拆分(&F)")
        self.split_button.setObjectName("splitButton")
        self.split_button.setToolTip("基金只付剩余额度，超出部分改由个人支付")
        self.split_button.clicked.connect(self.apply_split)
        self.receipt_edit = QLineEdit()
        self.receipt_edit.setObjectName("deliveryReceipt")
        self.receipt_edit.setPlaceholderText("医保结算单或收据号")
        self.doctor_combo = QComboBox()
        self.doctor_combo.setObjectName("deliveryDoctor")
        self.doctor_combo.addItem("（未填）", None)
        for doctor in clinic.doctors():
            self.doctor_combo.addItem(doctor["name"], doctor["id"])
        # The same doctor the follow-up form proposes: the contract's, else the last one used.
        default = clinic.default_doctor_id(view.resident_id)
        if default and self.doctor_combo.findData(default) >= 0:
            self.doctor_combo.setCurrentIndex(self.doctor_combo.findData(default))
        self.location_combo = QComboBox()
        for code, label in medicine.LOCATIONS.items():
            self.location_combo.addItem(label, code)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("deliveryReason")
        self.reason_edit.setPlaceholderText("更正原因（必填），如：单价录错")
        self.problem_label = QLabel()
        self.problem_label.setObjectName("deliveryProblems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self.problem_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                         QSizePolicy.Policy.Preferred)
        # Room for the longest message (over the cap: three lines) without resizing.
        self.problem_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 6)
        self.problem_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        quantity_row = QHBoxLayout()
        quantity_row.addWidget(self.quantity)
        quantity_row.addWidget(self.unit_combo)
        quantity_row.addSpacing(12)
        quantity_row.addWidget(QLabel("单价"))
        quantity_row.addWidget(self.price_edit)
        quantity_row.addWidget(QLabel("元"))
        quantity_row.addStretch(1)
        fund_row = QHBoxLayout()
        fund_row.addWidget(self.fund_edit)
        fund_row.addWidget(QLabel("元"))
        fund_row.addWidget(self.split_button)
        fund_row.addStretch(1)
        form = QFormLayout()
        form.addRow("药品(&M)", self.item_combo)
        form.addRow("发药日期", self.date_edit)
        # A row that is a layout gets no buddy from QFormLayout, and a QLabel without a buddy
        # shows its "&" as typed: name the box each mnemonic jumps to.
        form.addRow(self._buddy_label("数量(&Q)", self.quantity), quantity_row)
        form.addRow("金额", self.total_label)
        form.addRow(self._buddy_label("医保支付(&I)", self.insurance_edit),
                    self._with_unit(self.insurance_edit))
        form.addRow(self._buddy_label("免费药品基金", self.fund_edit), fund_row)
        form.addRow(self._buddy_label("个人支付(&P)", self.patient_edit),
                    self._with_unit(self.patient_edit))
        form.addRow("票据号(&R)", self.receipt_edit)
        form.addRow("送药人", self.doctor_combo)
        form.addRow("方式", self.location_combo)
        if correcting:
            form.addRow("更正原因", self.reason_edit)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("saveDelivery")
        cancel = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.balance_label)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(buttons)
        if correcting:
            self._fill(correcting)
        else:
            self._last_price()
        self.item_combo.currentIndexChanged.connect(self._item_changed)
        self.quantity.valueChanged.connect(self.refresh)
        for edit in (self.date_edit, self.insurance_edit):
            edit.textEdited.connect(self.refresh)
        self.price_edit.textEdited.connect(self._price_typed)
        self.fund_edit.textEdited.connect(self._fund_typed)
        self.patient_edit.textEdited.connect(self._patient_typed)
        self.refresh()
        self.resize(620, self.sizeHint().height())
        self.price_edit.setFocus()

    def _money_edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setMaximumWidth(110)
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        return edit

    @staticmethod
    def _buddy_label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    @staticmethod
    def _with_unit(edit: QLineEdit) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(edit)
        row.addWidget(QLabel("元"))
        row.addStretch(1)
        return row

    def _fill(self, row: dict[str, Any]) -> None:
        index = self.item_combo.findData(row["item_id"])
        self.item_combo.setCurrentIndex(max(index, 0))
        self.date_edit.setText(str(row["delivered_on"]))
        self.quantity.setValue(int(row["quantity"]))
        self.unit_combo.setCurrentText(row["unit"])
        self.price_edit.setText(yuan(row["unit_price_fen"]))
        self.insurance_edit.setText(yuan(row["insurance_fen"]))
        self.fund_edit.setText(yuan(row["free_fund_fen"]))
        self.patient_edit.setText(yuan(row["patient_fen"]))
        self.receipt_edit.setText(row["receipt_no"])
        if row["delivered_by"] and self.doctor_combo.findData(row["delivered_by"]) >= 0:
            self.doctor_combo.setCurrentIndex(self.doctor_combo.findData(row["delivered_by"]))
        self.location_combo.setCurrentIndex(max(0, self.location_combo.findData(
            row["location"])))

    def _last_price(self) -> None:
        """The chosen medicine's price at its last delivery (blank for a first delivery),
        until the doctor types a price."""
        if not self._price_auto:
            return
        price = medicine.last_unit_price(self.view.deliveries, self.item_combo.currentData())
        self.price_edit.setText(yuan(price) if price is not None else "")

    def _item_changed(self) -> None:
        self._last_price()
        self.refresh()

    # ------------------------------------------------------------------ live checks
    def _price_typed(self) -> None:
        self._price_auto = False
        self.refresh()

    def _fund_typed(self) -> None:
        self._fund_auto = False
        self.refresh()

    def _patient_typed(self) -> None:
        self._patient_auto = False
        self.refresh()

    def _amounts(self) -> tuple[dict[str, int], dict[str, str]]:
        values: dict[str, int] = {}
        problems: dict[str, str] = {}
        for key, edit, label in (("unit_price_fen", self.price_edit, "单价"),
                                 ("insurance_fen", self.insurance_edit, "医保支付"),
                                 ("patient_fen", self.patient_edit, "个人支付"),
                                 ("free_fund_fen", self.fund_edit, "免费药品基金")):
            try:
                values[key] = parse_yuan(edit.text(), label)
            except medicine.MedicineError as exc:
                problems[key] = str(exc)
        return values, problems

    def _date(self) -> tuple[dt.date | None, str | None]:
        try:
            return parse_date(self.date_edit.text()), None
        except ValueError as exc:
            return None, f"发药{exc}"

    def refresh(self) -> dict[str, str]:
        """Re-check the delivery as typed; show the balance before it and every problem."""
        values, problems = self._amounts()
        on, date_problem = self._date()
        if date_problem:
            problems["delivered_on"] = date_problem
        on = on or self.clinic.today()
        replacing = self.correcting["id"] if self.correcting else None
        balance = self.clinic.box_balance(self.view.resident_id, on, exclude_id=replacing)
        self.balance_label.setText("发药前：" + balance.text())
        price = values.get("unit_price_fen", 0)
        total = self.quantity.value() * price
        self.total_label.setText(f"{yuan_text(total)}（{self.quantity.value()} × "
                                 f"{yuan(price)}）")
        item_id = self.item_combo.currentData()
        notes: list[str] = []  # saved as they are, but the doctor should read them
        if self._fund_auto and self._patient_auto and item_id is not None and \
                "unit_price_fen" not in problems and "insurance_fen" not in problems:
            # The fund pays what is left of the cap (0 when nothing is), the patient the rest.
            split = self.clinic.suggest_split(item_id, total, values["insurance_fen"], on,
                                              replacing=replacing)
            rest = max(0, total - values["insurance_fen"])
            fund = min(split.free_fund_fen, rest)
            self.fund_edit.setText(yuan(fund))
            self.patient_edit.setText(yuan(rest - fund))
            values["free_fund_fen"], values["patient_fen"] = fund, rest - fund
            problems.pop("free_fund_fen", None)
            problems.pop("patient_fen", None)
            if rest > fund and balance.rule.available:
                # Never silently: the patient is asked to pay what the fund cannot.
                notes.append(f"免费用药基金这次只能支付 {yuan(fund)} 元，其余 "
                             f"{yuan(rest - fund)} 元记为个人支付；由医保或其他方式支付的，"
                             "请改上面的金额。")
        elif self._patient_auto and not self._fund_auto and not problems.keys() & {
                "insurance_fen", "free_fund_fen", "unit_price_fen"}:
            # The fund typed by hand: the patient pays what is left (the cap is checked below).
            patient = max(0, total - values["insurance_fen"] - values["free_fund_fen"])
            self.patient_edit.setText(yuan(patient))
            values["patient_fen"] = patient
            problems.pop("patient_fen", None)
        elif self._fund_auto and "insurance_fen" not in problems and \
                "patient_fen" not in problems:
            fund = total - values.get("insurance_fen", 0) - values.get("patient_fen", 0)
            self.fund_edit.setText(yuan(fund))
            values["free_fund_fen"] = fund
            problems.pop("free_fund_fen", None)
        if item_id is None:
            problems["item_id"] = "药箱里没有在用的药品，请先添加药品"
        elif not problems and "unit_price_fen" in values:
            if not self.price_edit.text().strip():
                problems["unit_price_fen"] = "请填写单价"
            else:
                _, found, _ = self.clinic.check_delivery(
                    item_id, quantity=self.quantity.value(), unit_price_fen=price,
                    delivered_on=on, insurance_fen=values["insurance_fen"],
                    free_fund_fen=values["free_fund_fen"], patient_fen=values["patient_fen"],
                    replacing=replacing)
                problems.update(found)
        for key, edit in (("unit_price_fen", self.price_edit),
                          ("insurance_fen", self.insurance_edit),
                          ("free_fund_fen", self.fund_edit), ("patient_fen", self.patient_edit),
                          ("delivered_on", self.date_edit)):
            edit.setStyleSheet(BAD_FIELD if key in problems else "")
        over = "free_fund_fen" in problems and "超出" in problems["free_fund_fen"]
        self.split_button.setEnabled(item_id is not None and total > 0)
        self.split_button.setStyleSheet("font-weight: bold;" if over else "")
        # A blank price at the start is not an error yet: say what to do instead.
        shown = {k: v for k, v in problems.items()
                 if not (k == "unit_price_fen" and not self.price_edit.text().strip())}
        if shown:
            self.problem_label.setStyleSheet(ERROR_STYLE)
            self.problem_label.setText("<br>".join(html.escape(p) for p in shown.values()))
        elif problems:
            self.problem_label.setStyleSheet("")
            self.problem_label.setText("请填写单价。")
        else:
            text = (f"可以保存：医保 {yuan(values['insurance_fen'])} + 基金 "
                    f"{yuan(values['free_fund_fen'])} + 个人 {yuan(values['patient_fen'])} = "
                    f"{yuan(total)} 元")
            share = medicine.last_insurance_share(self.view.deliveries, item_id)
            if total and not values["insurance_fen"] and share:
                # Insurance is typed from the settlement slip; a forgotten one would put the
                # whole cost on the patient. Allowed (some purchases aren't covered), but said.
                notes.append(f"请核对：医保支付为 0，上次这种药医保支付了 {share}%；"
                             f"照此保存则个人支付 {yuan(values['patient_fen'])} 元。")
            days = self._days_supplied(item_id)
            if days is not None and days > LONG_SUPPLY_DAYS:
                notes.append(f"请核对数量：这次发药约够 {days} 天（超过半年）。")
            if notes:
                self.problem_label.setStyleSheet(LOW_STYLE)
                self.problem_label.setText("<br>".join([*map(html.escape, notes), text]))
            else:
                self.problem_label.setStyleSheet(OK_STYLE)
                self.problem_label.setText(text)
        self.save_button.setEnabled(not problems)
        return problems

    def _days_supplied(self, item_id: str | None) -> int | None:
        """How many days this delivery lasts at the item's dose (None when not known)."""
        entry = next((e for e in self.view.items if e["item"].id == item_id), None)
        item = entry["item"] if entry else None
        if item is None or not item.units_per_day or item.units_per_day <= 0:
            return None
        return int(self.quantity.value() * (item.pack_size or 1) / item.units_per_day)

    def apply_split(self) -> None:
        """Fund up to what is left of the cap (and the top-up share), the patient the rest."""
        values, problems = self._amounts()
        item_id = self.item_combo.currentData()
        if item_id is None or "unit_price_fen" in problems or "insurance_fen" in problems:
            self.refresh()
            return
        on, _ = self._date()
        total = self.quantity.value() * values["unit_price_fen"]
        split = self.clinic.suggest_split(
            item_id, total, values["insurance_fen"], on,
            replacing=self.correcting["id"] if self.correcting else None)
        self._fund_auto = self._patient_auto = False
        self.insurance_edit.setText(yuan(split.insurance_fen))
        self.fund_edit.setText(yuan(split.free_fund_fen))
        self.patient_edit.setText(yuan(split.patient_fen))
        self.refresh()

    # ------------------------------------------------------------------ saving
    def accept(self) -> None:
        if self.saved_id is not None:
            return
        if self.refresh():
            return
        values, _ = self._amounts()
        on, _ = self._date()
        args: dict[str, Any] = {
            "quantity": self.quantity.value(), "unit_price_fen": values["unit_price_fen"],
            "delivered_on": on, "insurance_fen": values["insurance_fen"],
            "free_fund_fen": values["free_fund_fen"], "patient_fen": values["patient_fen"],
            "receipt_no": self.receipt_edit.text(), "delivered_by":
                self.doctor_combo.currentData(), "location": self.location_combo.currentData(),
            "unit": self.unit_combo.currentText().strip() or "盒"}
        try:
            if self.correcting:
                self.saved_id = self.clinic.correct_delivery(
                    self.correcting["id"], reason=self.reason_edit.text(),
                    item_id=self.item_combo.currentData(), **args)
            else:
                self.saved_id = self.clinic.deliver(self.item_combo.currentData(), **args)
        except ValidationFailed as exc:
            self.problem_label.setStyleSheet(ERROR_STYLE)
            self.problem_label.setText("<br>".join(html.escape(p) for p in exc.fields.values()))
            if "reason" in exc.fields:
                self.reason_edit.setStyleSheet(BAD_FIELD)
                self.reason_edit.setFocus()
            return
        except ClinicError as exc:
            QMessageBox.warning(self, "没有保存", str(exc))
            return
        total = self.quantity.value() * values["unit_price_fen"]
        self.done_text = (f"已{'更正' if self.correcting else '登记'}发药："
                          f"{self.item_combo.currentText()} {self.quantity.value()}"
                          f"{args['unit']}，{yuan(total)} 元")
        super().accept()


class RefundDialog(QDialog):
    """退药 (or the correction of a refund): how many come back, and who gets what back."""

    def __init__(self, clinic: Clinic, view: medicine.BoxView, row: dict[str, Any], *,
                 correcting: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.row = row
        self.correcting = correcting
        self.done_text = ""
        # The delivery refunded: the row itself, or (correcting a refund) the one it refunds.
        self.original = next((r for r in view.deliveries if r["id"] == row["refund_of"]), row) \
            if correcting else row
        refunds = [r for r in view.deliveries if r["current"] and r["kind"] == "refund"
                   and r["refund_of"] == self.original["id"] and r["id"] != row["id"]]
        self.before = sum((Split.of(r) for r in refunds), Split())
        back = -sum(r["quantity"] for r in refunds)
        self.setWindowTitle("更正退药记录" if correcting else "退药")
        self.setObjectName("refundDialog")
        info = QLabel(f"{self.original['delivered_on']} 发 {self.original['medicine']} "
                      f"{self.original['quantity']}{self.original['unit']}，单价 "
                      f"{yuan(self.original['unit_price_fen'])} 元；已退 {back}"
                      f"{self.original['unit']}")
        info.setWordWrap(True)
        self.quantity = QSpinBox()
        self.quantity.setObjectName("refundQuantity")
        self.quantity.setRange(1, max(1, int(self.original["quantity"]) - back))
        if correcting:
            self.quantity.setValue(-int(row["quantity"]))
        self.date_edit = QLineEdit(str(row["delivered_on"]) if correcting
                                   else clinic.today().isoformat())
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("refundReason")
        self.reason_edit.setPlaceholderText("如：换药、停药、药品破损")
        self.receipt_edit = QLineEdit(row["receipt_no"] if correcting else "")
        self.preview = QLabel()
        self.preview.setObjectName("refundPreview")
        self.preview.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("退回数量", self.quantity)
        form.addRow("退药日期", self.date_edit)
        form.addRow("原因(&R)", self.reason_edit)
        form.addRow("票据号", self.receipt_edit)
        buttons = QDialogButtonBox()
        save = buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        save.setObjectName("saveRefund")
        cancel = buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        save.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.quantity.valueChanged.connect(self._preview)
        self._preview()

    def _preview(self) -> None:
        amount = self.quantity.value() * int(self.original["unit_price_fen"])
        try:
            split = medicine.refund_split(Split.of(self.original), self.before, amount)
        except medicine.MedicineError as exc:
            self.preview.setText(str(exc))
            return
        self.preview.setText(f"退回 {yuan(amount)} 元：医保 {yuan(-split.insurance_fen)}，"
                             f"免费药品基金 {yuan(-split.free_fund_fen)}（回到"
                             f"{str(self.original['delivered_on'])[:4]}年额度），"
                             f"个人 {yuan(-split.patient_fen)}")

    def accept(self) -> None:
        try:
            on = parse_date(self.date_edit.text())
        except ValueError as exc:
            self.error.setText(f"退药{exc}")
            return
        try:
            if self.correcting:
                self.clinic.correct_delivery(self.row["id"], reason=self.reason_edit.text(),
                                             quantity=self.quantity.value(), delivered_on=on,
                                             receipt_no=self.receipt_edit.text())
            else:
                self.clinic.refund_delivery(self.row["id"], self.quantity.value(), on=on,
                                            reason=self.reason_edit.text(),
                                            receipt_no=self.receipt_edit.text())
        except ClinicError as exc:
            self.error.setText(html.escape(str(exc)))
            return
        self.done_text = f"已登记退药：{self.original['medicine']} {self.quantity.value()}" \
                         f"{self.original['unit']}"
        super().accept()
