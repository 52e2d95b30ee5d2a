"""设置: the clinic's name and policy profile, every rule with its citation, and two
profiles side by side (政策差异)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain.policy import RULE_GROUPS, RuleSpec, RuleValue, compare, format_value
from clinic_app.errors import ClinicError
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import TableOrNote


def _value(item: RuleValue | None, spec: RuleSpec) -> str:
    return format_value(spec, item.value if item else None)


def _source(item: RuleValue | None, asking: str) -> str:
    if item is None:
        return ""
    return "继承国家默认" if item.inherited and item.profile_id == "national" else (
        f"继承 {item.profile_id}" if item.inherited else "本地规定")


RULE_COLUMNS = [
    Column("类别", lambda r: RULE_GROUPS.get(r["spec"].group, r["spec"].group)),
    Column("规则", lambda r: r["spec"].label),
    Column("规定", lambda r: _value(r["item"], r["spec"]),
           tooltip=lambda r: _value(r["item"], r["spec"])),
    Column("来源", lambda r: _source(r["item"], r["profile"])),
    Column("出处", lambda r: r["item"].cite if r["item"] else "",
           tooltip=lambda r: r["item"].cite if r["item"] else ""),
]
DIFF_COLUMNS = [
    Column("规则", lambda r: r.spec.label),
    Column("左", lambda r: _value(r.left, r.spec),
           tooltip=lambda r: f"{_value(r.left, r.spec)}\n出处：{r.left.cite}" if r.left else ""),
    Column("右", lambda r: _value(r.right, r.spec),
           tooltip=lambda r: f"{_value(r.right, r.spec)}\n出处：{r.right.cite}" if r.right
           else ""),
    Column("相同", lambda r: "" if r.same else "不同"),
]


def _profile_combo(clinic: Clinic, name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for profile in clinic.library:
        combo.addItem(f"{profile.name}（{profile.place}）", profile.id)
    return combo


class SettingsPage(QWidget):
    changed = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.clinic_name = QLineEdit(clinic.setting("clinic_name") or "")
        self.clinic_name.setObjectName("clinicName")
        self.clinic_name.setPlaceholderText("如：兴隆镇卫生院")
        self.profile = _profile_combo(clinic, "profileChoice")
        self.profile.setCurrentIndex(max(0, self.profile.findData(clinic.profile.id)))
        save = QPushButton("保存设置(&S)")
        save.setObjectName("saveSettings")
        save.clicked.connect(self.save)
        box = QGroupBox("本院")
        form = QFormLayout(box)
        form.addRow("本院名称(&N)", self.clinic_name)
        form.addRow("执行的政策配置(&P)", self.profile)
        note = QLabel("政策配置决定每年随访次数、体检和签约标准、免费用药限额、卡片上的政策文字等。"
                      "每条规则都注明了出处；文件没有规定的，沿用国家默认。")
        note.setWordWrap(True)
        form.addRow("", note)
        form.addRow("", save)

        self.rules_model = RowsModel(RULE_COLUMNS, self)
        self.rules = TableOrNote(self.rules_model, "profileRules", "")
        self.view_profile = _profile_combo(clinic, "viewProfile")
        self.view_profile.currentIndexChanged.connect(self.show_rules)
        self.view_info = QLabel()
        self.view_info.setWordWrap(True)
        rules_tab = QWidget()
        rules_layout = QVBoxLayout(rules_tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("查看配置"))
        row.addWidget(self.view_profile, 1)
        rules_layout.addLayout(row)
        rules_layout.addWidget(self.view_info)
        rules_layout.addWidget(self.rules, 1)

        self.left = _profile_combo(clinic, "diffLeft")
        self.right = _profile_combo(clinic, "diffRight")
        self.only_diff = QCheckBox("只显示不同的规则")
        self.only_diff.setChecked(True)
        self.diff_model = RowsModel(DIFF_COLUMNS, self)
        self.diff = TableOrNote(self.diff_model, "profileDiff", "这两个配置的规则完全相同。")
        diff_tab = QWidget()
        diff_layout = QVBoxLayout(diff_tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("左"))
        row.addWidget(self.left, 1)
        row.addWidget(QLabel("右"))
        row.addWidget(self.right, 1)
        row.addWidget(self.only_diff)
        diff_layout.addLayout(row)
        diff_layout.addWidget(self.diff, 1)
        for widget in (self.left, self.right):
            widget.currentIndexChanged.connect(self.show_diff)
        self.only_diff.toggled.connect(self.show_diff)

        self.tabs = tabs = QTabWidget()
        tabs.addTab(rules_tab, "规则与出处")
        self.diff_tab = diff_tab
        tabs.addTab(diff_tab, "政策差异")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        layout.addWidget(tabs, 1)
        self.view_profile.setCurrentIndex(self.profile.currentIndex())
        self.right.setCurrentIndex(self.profile.currentIndex())
        self.show_rules()
        self.show_diff()

    def show_rules(self) -> None:
        profile = self.clinic.library.get(self.view_profile.currentData())
        self.view_info.setText(f"依据：{profile.document or '—'}"
                               + (f"（原文：{profile.source}）" if profile.source else ""))
        rows: list[dict[str, Any]] = []
        for item in profile.all_rules():
            spec = item if isinstance(item, RuleSpec) else item.spec
            rows.append({"spec": spec, "item": None if isinstance(item, RuleSpec) else item,
                         "profile": profile.id})
        self.rules_model.set_rows(rows)

    def show_diff(self) -> None:
        left = self.clinic.library.get(self.left.currentData())
        right = self.clinic.library.get(self.right.currentData())
        self.diff_model.set_rows(compare(left, right,
                                         only_differences=self.only_diff.isChecked()))

    def save(self) -> None:
        name = self.clinic_name.text().strip()
        if not name:
            QMessageBox.warning(self, "设置", "请填写本院名称")
            return
        try:
            self.clinic.set_setting("clinic_name", name)
            self.clinic.set_profile(self.profile.currentData())
        except ClinicError as exc:
            QMessageBox.warning(self, "保存失败", str(exc))
            return
        self.changed.emit(f"已保存：{name}，执行 {self.clinic.profile.name}")
