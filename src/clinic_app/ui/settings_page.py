"""设置: the clinic's name, township and policy profile (synced, so the county sees them),
every rule with its citation, the township's own profiles (本地方案: copy and edit), and two
profiles side by side (政策差异)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
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
from clinic_app.ui.policy_editor import LocalProfileEditor
from clinic_app.ui.widgets import ERROR_STYLE, TableOrNote


def _value(item: RuleValue | None, spec: RuleSpec) -> str:
    return format_value(spec, item.value if item else None)


def _source(item: RuleValue | None, names: dict[str, str]) -> str:
    if item is None:
        return ""
    return "继承国家默认" if item.inherited and item.profile_id == "national" else (
        f"继承 {names.get(item.profile_id, item.profile_id)}" if item.inherited else "本配置规定")


RULE_COLUMNS = [
    Column("类别", lambda r: RULE_GROUPS.get(r["spec"].group, r["spec"].group)),
    Column("规则", lambda r: r["spec"].label),
    Column("规定", lambda r: _value(r["item"], r["spec"]),
           tooltip=lambda r: _value(r["item"], r["spec"])),
    Column("来源", lambda r: _source(r["item"], r["names"])),
    Column("出处", lambda r: r["item"].cite if r["item"] else "",
           tooltip=lambda r: r["item"].cite if r["item"] else ""),
]


def _diff_cell(item: RuleValue | None, spec: RuleSpec) -> str:
    return f"{_value(item, spec)}\n出处：{item.cite}（{item.valid_from} 起）" if item else ""


SETTING_LABELS = {"profile_id": "执行的政策配置", "clinic_name": "本院名称",
                  "township_name": "所在乡镇"}
HISTORY_COLUMNS = [
    Column("时间", lambda r: r["when"]),
    Column("操作人", lambda r: r["user"]),
    Column("项目", lambda r: SETTING_LABELS.get(r["key"], r["key"])),
    Column("原来", lambda r: r["old_text"]),
    Column("改为", lambda r: r["new_text"]),
]

DIFF_COLUMNS = [
    Column("规则", lambda r: r.spec.label),
    Column("左", lambda r: _value(r.left, r.spec), tooltip=lambda r: _diff_cell(r.left, r.spec)),
    Column("右", lambda r: _value(r.right, r.spec),
           tooltip=lambda r: _diff_cell(r.right, r.spec)),
    Column("右边的出处", lambda r: r.right.cite if r.right else "",
           tooltip=lambda r: r.right.cite if r.right else ""),
    Column("相同", lambda r: "" if r.same else "不同"),
]


def _profile_combo(clinic: Clinic, name: str) -> QComboBox:
    combo = compact(QComboBox())
    combo.setObjectName(name)
    _fill(combo, clinic)
    return combo


def compact(combo: QComboBox, chars: int = 16) -> QComboBox:
    """A combo as wide as its layout gives it, not as its longest profile name: long names
    (and local copies' names) would otherwise push the page past a 1092-px-wide window."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


def _fill(combo: QComboBox, clinic: Clinic, *, choosable: bool = False) -> None:
    """Every profile (local ones marked); only those that may be chosen when `choosable`."""
    keep = combo.currentData()
    local = {i.id: i for i in clinic.local_profiles()}
    combo.blockSignals(True)
    combo.clear()
    for profile in clinic.library:
        info = local.get(profile.id)
        if choosable and info is not None and info.retired:
            continue
        mark = "" if info is None else ("【本地·已停用】" if info.retired else "【本地】")
        combo.addItem(f"{mark}{profile.name}（{profile.place}）", profile.id)
    index = combo.findData(keep)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)


class SettingsPage(QWidget):
    changed = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.clinic_name = QLineEdit(clinic.setting("clinic_name") or "")
        self.clinic_name.setObjectName("clinicName")
        self.clinic_name.setPlaceholderText("如：兴隆镇卫生院")
        self.township_name = QLineEdit(clinic.setting("township_name") or "")
        self.township_name.setObjectName("townshipName")
        self.township_name.setPlaceholderText("如：兴隆镇")
        self.profile = compact(QComboBox())
        self.profile.setObjectName("profileChoice")
        _fill(self.profile, clinic, choosable=True)
        self.profile.setCurrentIndex(max(0, self.profile.findData(clinic.profile.id)))
        save = QPushButton("保存设置(&S)")
        save.setObjectName("saveSettings")
        save.clicked.connect(self.save)
        box = QGroupBox("本院（随数据同步上报县里）")
        grid = QGridLayout(box)
        name_label = QLabel("本院名称(&N)")
        name_label.setBuddy(self.clinic_name)
        township_label = QLabel("所在乡镇(&T)")
        township_label.setBuddy(self.township_name)
        profile_label = QLabel("执行的政策配置(&P)")
        profile_label.setBuddy(self.profile)
        grid.addWidget(name_label, 0, 0)
        grid.addWidget(self.clinic_name, 0, 1)
        grid.addWidget(township_label, 0, 2)
        grid.addWidget(self.township_name, 0, 3)
        grid.addWidget(profile_label, 1, 0)
        grid.addWidget(self.profile, 1, 1, 1, 3)
        grid.addWidget(save, 1, 4)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 1)
        box.setToolTip("政策配置决定每年随访次数、体检和签约标准、免费用药限额、卡片上的政策文字等。"
                       "每条规则都注明了出处；文件没有规定的，沿用国家默认。")
        self.problems = QLabel()
        self.problems.setObjectName("policyProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(ERROR_STYLE)

        self.rules_model = RowsModel(RULE_COLUMNS, self)
        self.rules = TableOrNote(self.rules_model, "profileRules", "")
        self.view_profile = _profile_combo(clinic, "viewProfile")
        self.view_profile.currentIndexChanged.connect(self.show_rules)
        self.view_info = QLabel()
        self.view_info.setWordWrap(True)
        copy_button = QPushButton("复制为本地方案(&C)…")
        copy_button.setObjectName("copyViewed")
        copy_button.setToolTip("以这个配置为底，建一个本乡镇的方案，逐条修改并注明依据")
        copy_button.clicked.connect(
            lambda: self.editor.ask_copy(self.view_profile.currentData()))
        rules_tab = QWidget()
        rules_layout = QVBoxLayout(rules_tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("查看配置"))
        row.addWidget(self.view_profile, 1)
        row.addWidget(copy_button)
        rules_layout.addLayout(row)
        rules_layout.addWidget(self.view_info)
        rules_layout.addWidget(self.rules, 1)

        self.editor = LocalProfileEditor(clinic)
        self.editor.changed.connect(self._library_changed)
        self.editor.compare_requested.connect(self.show_comparison)
        # After copying from 规则与出处, go where the copy can be edited.
        self.editor.copied.connect(lambda _: self.tabs.setCurrentWidget(self.editor))

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

        self.history_model = RowsModel(HISTORY_COLUMNS, self)
        self.history = TableOrNote(self.history_model, "settingsHistory",
                                   "还没有改过本院名称或政策配置。")
        history_tab = QWidget()
        history_layout = QVBoxLayout(history_tab)
        note = QLabel("本院名称和执行的政策配置每次更改都记在这里，并随同步报县里，"
                      "县里据此知道各乡镇在哪段时间执行哪套规则。")
        note.setWordWrap(True)
        history_layout.addWidget(note)
        history_layout.addWidget(self.history, 1)

        self.tabs = tabs = QTabWidget()
        tabs.addTab(rules_tab, "规则与出处")
        self.local_tab = self.editor
        tabs.addTab(self.editor, "本地方案")
        self.diff_tab = diff_tab
        tabs.addTab(diff_tab, "政策差异")
        self.history_tab = history_tab
        tabs.addTab(history_tab, "变更记录")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        layout.addWidget(self.problems)
        layout.addWidget(tabs, 1)
        self.view_profile.setCurrentIndex(
            max(0, self.view_profile.findData(self.profile.currentData())))
        self.right.setCurrentIndex(max(0, self.right.findData(self.profile.currentData())))
        self._show_problems()
        self.show_rules()
        self.show_diff()
        self.show_history()

    def show_history(self) -> None:
        """Changes of the synced settings, newest first, with profile names spelled out."""
        names = {p.id: p.name for p in self.clinic.library}

        def text(key: str, value: str | None) -> str:
            if not value:
                return "（未设置）"
            return f"{names.get(value, value)}（{value}）" if key == "profile_id" else value

        rows = []
        for entry in reversed(self.clinic.settings_history()):
            try:
                when = dt.datetime.fromisoformat(entry["at"]).astimezone().strftime(
                    "%Y-%m-%d %H:%M")
            except ValueError:
                when = entry["at"]
            rows.append({**entry, "when": when, "old_text": text(entry["key"], entry["old"]),
                         "new_text": text(entry["key"], entry["new"])})
        self.history_model.set_rows(rows)

    def show_rules(self) -> None:
        profile = self.clinic.library.get(self.view_profile.currentData())
        self.view_info.setText(f"依据：{profile.document or '—'}"
                               + (f"（原文：{profile.source}）" if profile.source else ""))
        rows: list[dict[str, Any]] = []
        names = {p.id: p.name for p in self.clinic.library}
        for item in profile.all_rules():
            spec = item if isinstance(item, RuleSpec) else item.spec
            rows.append({"spec": spec, "item": None if isinstance(item, RuleSpec) else item,
                         "profile": profile.id, "names": names})
        self.rules_model.set_rows(rows)

    def show_diff(self) -> None:
        left = self.clinic.library.get(self.left.currentData())
        right = self.clinic.library.get(self.right.currentData())
        self.diff_model.set_rows(compare(left, right,
                                         only_differences=self.only_diff.isChecked()))

    def show_comparison(self, left: str, right: str) -> None:
        """A local profile beside the one it was copied from: exactly what was changed."""
        for combo, profile_id in ((self.left, left), (self.right, right)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(profile_id)))
            combo.blockSignals(False)
        self.only_diff.setChecked(True)
        self.show_diff()
        self.tabs.setCurrentWidget(self.diff_tab)

    def _library_changed(self, message: str) -> None:
        """A copy, edit or retirement: every list of profiles and both views follow."""
        _fill(self.profile, self.clinic, choosable=True)
        for combo in (self.view_profile, self.left, self.right):
            _fill(combo, self.clinic)
        self._show_problems()
        self.show_rules()
        self.show_diff()
        self.changed.emit(message)

    def _show_problems(self) -> None:
        problems = self.clinic.policy_problems
        self.problems.setText("未能载入：" + "；".join(problems) if problems else "")
        self.problems.setVisible(bool(problems))

    def save(self) -> None:
        name = self.clinic_name.text().strip()
        if not name:
            QMessageBox.warning(self, "设置", "请填写本院名称")
            return
        try:
            self.clinic.save_settings(clinic_name=name,
                                      township_name=self.township_name.text(),
                                      profile_id=self.profile.currentData())
        except ClinicError as exc:
            QMessageBox.warning(self, "保存失败", str(exc))
            return
        self.show_history()
        self.changed.emit(f"已保存：{name}，执行 {self.clinic.profile.name}")
