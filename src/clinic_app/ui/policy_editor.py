"""本地方案 editor on the 设置 page: a township's own copy of a policy profile.

A table lists every rule as in force from the chosen version's date (value, citation, and
whether it is inherited or changed here); the panel beside it edits the selected rule. What is
typed is checked on every keystroke with the same reader the command line uses
(``policy_local.parse_rule_text``), so a bad value is named in Chinese before anything is saved,
and the save goes through ``Clinic.set_policy_rule`` (one transaction, in the change log).

Keyboard: ↑/↓ in the table choose a rule, Enter or F2 jumps to its value, Enter in the value
goes to the citation (Ctrl+Enter in a multi-line value), Enter there saves and returns to the
table, Esc returns without saving.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import policy_local
from clinic_app.domain.policy import (
    RULE_GROUPS,
    RULES,
    Profile,
    ProfileVersion,
    RuleSpec,
    RuleValue,
    format_value,
)
from clinic_app.errors import ClinicError
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.widgets import ERROR_STYLE, OK_STYLE, TableOrNote

KIND_HINTS = {
    "int": "整数",
    "number": "数字",
    "percent": "百分比（0–100）",
    "money": "金额，按元填写（如 1000 或 8.50）",
    "bool": "是 / 否",
    "text": "一段文字",
    "texts": "每行一条",
    "conditions": "病种名称，用顿号分开（如 高血压、2型糖尿病）",
    "packages": "每行一个服务包：代码 名称：服务 次数，服务 次数（0 表示按需）",
}
MULTILINE = ("texts", "packages")
CHANGED_COLOUR = QColor("#0d47a1")  # dark blue, readable on the alternating row colours


def status_of(item: RuleValue | None, version: ProfileVersion, profile: Profile,
              names: dict[str, str]) -> str:
    """继承 / 本版本修改 / an earlier version's change, for the 状态 column."""
    if item is None:
        return "未规定"
    if item.inherited:
        return f"继承 {names.get(item.profile_id, item.profile_id)}"
    if item.valid_from == version.valid_from:
        return "本版本修改"
    return f"沿用 {item.valid_from.isoformat()} 起的修改"


def _local_time(stamp: str) -> str:
    """A stored UTC time as this PC's local time, to the minute."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _value_text(row: dict[str, Any]) -> str:
    return format_value(row["spec"], row["item"].value if row["item"] else None)


EDIT_COLUMNS = [
    Column("类别", lambda r: RULE_GROUPS.get(r["spec"].group, r["spec"].group)),
    Column("规则", lambda r: r["spec"].label, tooltip=lambda r: r["spec"].key),
    Column("规定", _value_text, tooltip=_value_text),
    Column("状态", lambda r: r["status"]),
    Column("出处", lambda r: r["item"].cite if r["item"] else "",
           tooltip=lambda r: r["item"].cite if r["item"] else ""),
]


class RuleEditModel(RowsModel):
    """Rules of one version; the ones this profile changes are bold and blue."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and 0 <= index.row() < self.rowCount() and role in (
                Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole):
            row = self.row_data(index.row())
            if not row["changed"]:
                return None
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            return CHANGED_COLOUR
        return super().data(index, role)


class _ValueSwitch:
    """Shows one of the value editors (a line, 是/否, several lines) at a time. Not a
    QStackedWidget: that sizes to its largest page, and a one-line value got a tall box."""

    def __init__(self, widgets: tuple[QWidget, ...]) -> None:
        self.widgets = widgets
        self._current = widgets[0]

    def setCurrentWidget(self, widget: QWidget) -> None:
        for other in self.widgets:
            other.setVisible(other is widget)
        self._current = widget

    def currentWidget(self) -> QWidget:
        return self._current

    def setEnabled(self, enabled: bool) -> None:
        for widget in self.widgets:
            widget.setEnabled(enabled)

    def isEnabled(self) -> bool:
        return self._current.isEnabled()


class VersionDialog(QDialog):
    """A new version: from which date, and why (the document or meeting)."""

    def __init__(self, parent: QWidget, first: dt.date, today: dt.date) -> None:
        super().__init__(parent)
        self.setWindowTitle("新增版本")
        self.first = first
        self.valid_from = QDateEdit(QDate(today.year, today.month, today.day))
        self.valid_from.setObjectName("versionDate")
        self.valid_from.setDisplayFormat("yyyy-MM-dd")
        self.valid_from.setCalendarPopup(True)
        self.note = QLineEdit()
        self.note.setObjectName("versionNote")
        self.note.setPlaceholderText("如：乡镇卫生院会议纪要2026-03")
        self.problem = QLabel()
        self.problem.setStyleSheet(ERROR_STYLE)
        form = QFormLayout(self)
        form.addRow(QLabel("从这一天起的随访、体检按新版本判断，之前的仍按原来的规则。"))
        form.addRow("生效日期(&D)", self.valid_from)
        form.addRow("依据(&N)", self.note)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("新增")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        # A stale complaint next to a corrected date reads as if it were still wrong.
        self.valid_from.dateChanged.connect(self.problem.clear)
        self.note.textChanged.connect(self.problem.clear)

    def date(self) -> dt.date:
        value = self.valid_from.date()
        return dt.date(value.year(), value.month(), value.day())

    def accept(self) -> None:
        if self.date() <= self.first:
            self.problem.setText(f"生效日期应晚于第一个版本（{self.first.isoformat()}）")
            return
        if not self.note.text().strip():
            self.problem.setText("请写明依据（文件或会议）")
            return
        super().accept()


class LocalProfileEditor(QWidget):
    """Copy a profile to a local one and edit its rules, version by version."""

    changed = Signal(str)  # a message; the library changed (the page refreshes its lists)
    compare_requested = Signal(str, str)  # (original id, local id)
    copied = Signal(str)  # the new local profile's id

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.profile_choice = QComboBox()
        self.profile_choice.setObjectName("localProfile")
        self.profile_choice.currentIndexChanged.connect(self._profile_chosen)
        self.copy_button = QPushButton("复制为本地方案(&C)…")
        self.copy_button.setObjectName("copyProfile")
        self.retire_button = QPushButton("停用此方案…")
        self.retire_button.setObjectName("retireProfile")
        self.compare_button = QPushButton("与原配置比较")
        self.compare_button.setObjectName("compareLocal")
        self.version_choice = QComboBox()
        self.version_choice.setObjectName("localVersion")
        self.version_choice.currentIndexChanged.connect(self.show_rules)
        self.version_button = QPushButton("新增版本(&V)…")
        self.version_button.setObjectName("addVersion")
        self.info = QLabel()
        self.info.setObjectName("localInfo")
        self.info.setWordWrap(True)
        self.copy_button.clicked.connect(lambda: self.ask_copy())
        self.retire_button.clicked.connect(self.ask_retire)
        self.version_button.clicked.connect(self.ask_version)
        self.compare_button.clicked.connect(self._compare)

        self.model = RuleEditModel(EDIT_COLUMNS, self)
        self.rules = TableOrNote(self.model, "localRules",
                                 "还没有本地方案。选一个配置，点“复制为本地方案”，"
                                 "再在这里修改规则；原配置保持不变。")
        self.table = self.rules.view
        self.table.setSortingEnabled(False)  # registry order: groups stay together
        # Narrower than the other tables: the edit panel sits beside this one, and the
        # full value and citation are in the tooltip and the panel.
        self.table.horizontalHeader().setMaximumSectionSize(210)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._rule_chosen())
        self.table.installEventFilter(self)

        panel = self._build_panel()
        # On a small screen (1366×768 at 125%) the panel scrolls instead of pushing the
        # window taller than the screen.
        scroller = QScrollArea()
        scroller.setWidget(panel)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setMinimumWidth(330)  # the table scrolls sideways instead
        splitter = QSplitter()
        splitter.addWidget(self.rules)
        splitter.addWidget(scroller)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)

        for combo in (self.profile_choice, self.version_choice):
            # As wide as the row allows, not as the longest name or version note.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
        top = QHBoxLayout()
        label = QLabel("本地方案(&L)")
        label.setBuddy(self.profile_choice)
        top.addWidget(label)
        top.addWidget(self.profile_choice, 2)
        version_label = QLabel("版本(&B)")
        version_label.setBuddy(self.version_choice)
        top.addWidget(version_label)
        top.addWidget(self.version_choice, 3)
        top.addWidget(self.version_button)
        top.addWidget(self.compare_button)
        top.addWidget(self.retire_button)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(splitter, 1)
        self.copy_dialog: QInputDialog | None = None
        self.retire_dialog: QInputDialog | None = None
        self.version_dialog: VersionDialog | None = None
        self.copy_source = "national"
        self.reload()

    # ------------------------------------------------------------------ building
    def _build_panel(self) -> QWidget:
        panel = QWidget()
        panel.setObjectName("rulePanel")
        self.rule_title = QLabel("请在左边选择一条规则")
        self.rule_title.setObjectName("ruleTitle")
        self.rule_title.setWordWrap(True)
        bold = self.rule_title.font()
        bold.setBold(True)
        self.rule_title.setFont(bold)
        self.rule_key = QLabel()
        self.rule_key.setStyleSheet("color: #555;")
        self.rule_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.current = QLabel()
        self.current.setObjectName("ruleCurrent")
        self.current.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")

        self.line_value = QLineEdit()
        self.line_value.setObjectName("ruleValue")
        self.bool_value = QComboBox()
        self.bool_value.setObjectName("ruleBool")
        self.bool_value.addItems(["是", "否"])
        self.text_value = QPlainTextEdit()
        self.text_value.setObjectName("ruleText")
        self.text_value.setTabChangesFocus(True)
        self.value_stack = _ValueSwitch((self.line_value, self.bool_value, self.text_value))
        for widget in self.value_stack.widgets:
            widget.installEventFilter(self)
        self.line_value.textChanged.connect(self.check)
        self.bool_value.currentIndexChanged.connect(self.check)
        self.text_value.textChanged.connect(self.check)

        self.cite = QLineEdit()
        self.cite.setObjectName("ruleCite")
        self.cite.setPlaceholderText("如：本地调整：乡镇卫生院会议纪要2026-03")
        self.cite.textChanged.connect(self.check)
        self.cite.installEventFilter(self)
        self.message = QLabel()
        self.message.setObjectName("ruleMessage")
        self.message.setWordWrap(True)
        self.save_button = QPushButton("保存修改(&S)")
        self.save_button.setObjectName("saveRule")
        self.save_button.clicked.connect(self.save_rule)
        self.clear_button = QPushButton("恢复继承(&R)")
        self.clear_button.setObjectName("clearRule")
        self.clear_button.setToolTip("撤销本版本对这条规则的修改，改回沿用原配置")
        self.clear_button.clicked.connect(self.clear_rule)
        QShortcut(QKeySequence("Ctrl+S"), panel, self.save_rule,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        value_label = QLabel("新的规定(&E)")
        value_label.setBuddy(self.line_value)
        self.value_label = value_label
        cite_label = QLabel("依据(&I)")
        cite_label.setBuddy(self.cite)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.rule_title)
        layout.addWidget(self.rule_key)
        layout.addWidget(self.current)
        layout.addSpacing(6)
        layout.addWidget(value_label)
        layout.addWidget(self.line_value)
        layout.addWidget(self.bool_value)
        layout.addWidget(self.text_value, 1)
        layout.addWidget(self.hint)
        layout.addWidget(cite_label)
        layout.addWidget(self.cite)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.value_stack.setCurrentWidget(self.line_value)
        return panel

    # ------------------------------------------------------------------ lists
    def reload(self, select: str | None = None) -> None:
        """Refill the local profiles (after a copy, an edit elsewhere, a retirement)."""
        keep = select or self.profile_choice.currentData()
        self.profile_choice.blockSignals(True)
        self.profile_choice.clear()
        for info in self.clinic.local_profiles():
            label = info.name + ("（已停用）" if info.retired else "")
            self.profile_choice.addItem(label, info.id)
            self.profile_choice.setItemData(self.profile_choice.count() - 1,
                                            f"{info.name}（{info.id}）",
                                            Qt.ItemDataRole.ToolTipRole)
        index = self.profile_choice.findData(keep) if keep else -1
        self.profile_choice.setCurrentIndex(index if index >= 0 else (
            0 if self.profile_choice.count() else -1))
        self.profile_choice.blockSignals(False)
        self._profile_chosen()

    def profile(self) -> Profile | None:
        profile_id = self.profile_choice.currentData()
        if not profile_id or profile_id not in self.clinic.library:
            return None
        return self.clinic.library.get(profile_id)

    def version(self) -> ProfileVersion | None:
        profile = self.profile()
        if profile is None or self.version_choice.currentIndex() < 0:
            return None
        return profile.versions[self.version_choice.currentIndex()]

    def _profile_chosen(self, *_: Any, version: dt.date | None = None) -> None:
        profile = self.profile()
        info = self.clinic.local_profile_info(profile.id) if profile else None
        keep = version or (self.version().valid_from if self.version() else None)
        self.version_choice.blockSignals(True)
        self.version_choice.clear()
        if profile is not None:
            for v in profile.versions:
                first = v is profile.versions[0]
                note = "复制时的原规则" if first and not v.rules else v.note
                self.version_choice.addItem(f"{v.valid_from.isoformat()} 起：{note}",
                                            v.valid_from.isoformat())
            dates = [v.valid_from for v in profile.versions]
            self.version_choice.setCurrentIndex(
                dates.index(keep) if keep in dates else len(dates) - 1)
        self.version_choice.blockSignals(False)
        editable = info is not None and not info.retired
        for widget in (self.version_button, self.retire_button, self.compare_button,
                       self.version_choice):
            widget.setEnabled(profile is not None and (editable or widget in (
                self.compare_button, self.version_choice)))
        if info is None or profile is None:
            problems = self.clinic.policy_problems
            self.info.setText("；".join(problems) if problems else "")
            self.info.setStyleSheet(ERROR_STYLE if problems else "")
        else:
            base = self.clinic.library.get(info.base).name if info.base in self.clinic.library \
                else info.base
            text = (f"复制自 {base}，{info.created_by or '未知'} 创建于 "
                    f"{_local_time(info.created_at)}；最后修改：{info.updated_by or '未知'} "
                    f"{_local_time(info.modified_at)}。加粗的是本方案改过的规则，其余沿用原配置。")
            if info.retired:
                text = f"已于 {info.retired_on} 停用（{info.retired_reason}），只能查看。" + text
            self.info.setText(text)
            self.info.setStyleSheet("")
        self.show_rules()

    def show_rules(self, *_: Any) -> None:
        profile, version = self.profile(), self.version()
        current = self.table.currentIndex().row()
        if profile is None or version is None:
            self.model.set_rows([])
            self._rule_chosen()
            return
        names = {p.id: p.name for p in self.clinic.library}
        rows = []
        for key, spec in RULES.items():
            item = profile.rule(key, version.valid_from)
            rows.append({"id": key, "spec": spec, "item": item,
                         "status": status_of(item, version, profile, names),
                         "changed": item is not None and not item.inherited})
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(max(0, min(current, len(rows) - 1)))
        self._rule_chosen()

    # ------------------------------------------------------------------ one rule
    def selected_key(self) -> str | None:
        row = self.table.currentIndex().row()
        return self.model.row_data(row)["id"] if 0 <= row < self.model.rowCount() else None

    def select_rule(self, key: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_data(row)["id"] == key:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    def _read_only_reason(self) -> str:
        """Why the selected version cannot be edited here ('' when it can)."""
        profile, version = self.profile(), self.version()
        info = self.clinic.local_profile_info(profile.id) if profile else None
        if profile is None or version is None or info is None:
            return "没有可修改的本地方案"
        if info.retired:
            return "此方案已停用，只能查看"
        if version is profile.versions[0]:
            # Changing the first version would re-judge every visit since the original's
            # first date; a change belongs to a version from the day it takes effect.
            return ("这是复制时的原规则，改了会影响以前的随访。"
                    "请先点“新增版本”，选定从哪天起生效，再在新版本里修改。")
        return ""

    def _rule_chosen(self) -> None:
        key = self.selected_key()
        reason = self._read_only_reason()
        editable = key is not None and not reason
        for widget in (self.value_stack, self.cite, self.save_button):
            widget.setEnabled(editable)
        self.clear_button.setEnabled(False)
        if key is None:
            self.rule_title.setText("请在左边选择一条规则" if self.model.rowCount() else "")
            for label in (self.rule_key, self.current, self.hint, self.message):
                label.clear()
            return
        row = self.model.row_data(self.table.currentIndex().row())
        spec: RuleSpec = row["spec"]
        item: RuleValue | None = row["item"]
        version = self.version()
        assert version is not None
        self.rule_title.setText(spec.label)
        self.rule_key.setText(spec.key)
        shown = format_value(spec, item.value if item else None)
        self.current.setText(f"从 {version.valid_from.isoformat()} 起：{shown}\n"
                             f"{row['status']}；出处：{item.cite if item else '—'}")
        unit = f"（单位：{spec.unit}）" if spec.unit and spec.kind not in ("money",) else ""
        # The plausible range from the registry (percentages say 0–100 in their hint already).
        bounds = f"；应在 {spec.range_text()}之间" if spec.range_text() and \
            spec.kind != "percent" else ""
        self.hint.setText(KIND_HINTS.get(spec.kind, "") + unit + bounds)
        text = policy_local.rule_text(spec.key, item.value) if item else ""
        if spec.kind == "bool":
            self.value_stack.setCurrentWidget(self.bool_value)
            self.bool_value.setCurrentIndex(1 if item and item.value is False else 0)
        elif spec.kind in MULTILINE:
            self.value_stack.setCurrentWidget(self.text_value)
            self.text_value.setPlainText(text)
        else:
            self.value_stack.setCurrentWidget(self.line_value)
            self.line_value.setText(text)
        self.value_label.setBuddy(self.value_stack.currentWidget())
        # A change made in this very version keeps its citation; a new one needs its own.
        here = item is not None and not item.inherited and \
            item.valid_from == version.valid_from
        self.cite.setText(item.cite if here else "")
        self.clear_button.setEnabled(editable and here)
        self.check()

    def typed_value(self) -> str:
        widget = self.value_stack.currentWidget()
        if widget is self.bool_value:
            return self.bool_value.currentText()
        if widget is self.text_value:
            return self.text_value.toPlainText()
        return self.line_value.text()

    def check(self, *_: Any) -> bool:
        """Check the typed value at once; say what is wrong (or what it will mean)."""
        key = self.selected_key()
        if key is None or not self.cite.isEnabled():  # nothing chosen, or read-only
            self.message.setStyleSheet("")
            self.message.setText(self._read_only_reason() if key else "")
            return False
        spec = RULES[key]
        try:
            value = policy_local.parse_rule_text(key, self.typed_value())
        except ClinicError as exc:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(str(exc).replace(f"规则 {key}（{spec.label}）", "", 1) or
                                 str(exc))
            self.save_button.setEnabled(False)
            return False
        # A value fine on its own can still contradict another rule (a low-glucose emergency
        # above the controlled line): say so now rather than when 保存 is pressed.
        profile, version = self.profile(), self.version()
        problem = policy_local.edit_problem(profile, key, value, version.valid_from) \
            if profile is not None and version is not None else None
        if problem:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(problem)
            self.save_button.setEnabled(False)
            return False
        if not self.cite.text().strip():
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText("请写明依据（文件、会议纪要或通知），县里看得到每条修改的出处")
            self.save_button.setEnabled(False)
            return False
        self.message.setStyleSheet(OK_STYLE)
        self.message.setText(f"将保存为：{format_value(spec, value)}")
        self.save_button.setEnabled(True)
        return True

    def save_rule(self) -> bool:
        key, profile, version = self.selected_key(), self.profile(), self.version()
        if key is None or profile is None or version is None or not self.check():
            return False
        try:
            self.clinic.set_policy_rule(profile.id, key, self.typed_value(),
                                        self.cite.text().strip(), version.valid_from)
        except ClinicError as exc:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(str(exc))
            return False
        self._after_change(key, f"已保存：{RULES[key].label}（{profile.name}，"
                                f"{version.valid_from.isoformat()} 起）")
        return True

    def clear_rule(self) -> None:
        key, profile, version = self.selected_key(), self.profile(), self.version()
        if key is None or profile is None or version is None:
            return
        try:
            self.clinic.clear_policy_rule(profile.id, key, version.valid_from)
        except ClinicError as exc:
            QMessageBox.warning(self, "恢复继承", str(exc))
            return
        self._after_change(key, f"已恢复继承：{RULES[key].label}")

    def _after_change(self, key: str, message: str) -> None:
        self._profile_chosen()
        self.select_rule(key)
        self.table.setFocus()
        self.changed.emit(message)

    # ------------------------------------------------------------------ keyboard
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        key = event.key()  # type: ignore[attr-defined]
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if watched is self.table and (enter or key == Qt.Key.Key_F2):
            if self.value_stack.isEnabled():
                target = self.value_stack.currentWidget()
                target.setFocus()
                if target is self.line_value:
                    self.line_value.selectAll()
            return True
        if watched in (self.line_value, self.bool_value, self.text_value, self.cite):
            if key == Qt.Key.Key_Escape:
                self._rule_chosen()  # drop what was typed
                self.table.setFocus()
                return True
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
            if enter and (watched is not self.text_value or ctrl):
                if watched is self.cite or self.cite.text().strip():
                    self.save_rule()
                else:
                    self.cite.setFocus()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ dialogs
    def ask_copy(self, source_id: str | None = None) -> QInputDialog:
        """Ask for the new name (non-blocking); copying happens when it is accepted."""
        if source_id is not None:
            self.copy_source = source_id
        source = self.clinic.library.get(self.copy_source)
        dialog = QInputDialog(self)
        dialog.setObjectName("copyDialog")
        dialog.setWindowTitle("复制为本地方案")
        dialog.setLabelText(f"复制“{source.name}”。新方案继承它的全部规则，"
                            "改动只记在新方案里。\n新方案的名称：")
        dialog.setTextValue(f"{source.name}（本地调整）")
        dialog.setOkButtonText("复制")
        dialog.setCancelButtonText("取消")
        dialog.textValueSelected.connect(lambda name: self.copy(source.id, name))
        self.copy_dialog = dialog
        dialog.open()
        return dialog

    def copy(self, source_id: str, name: str) -> str | None:
        try:
            new_id = self.clinic.copy_profile(source_id, name)
        except ClinicError as exc:
            QMessageBox.warning(self, "复制失败", str(exc))
            return None
        self.reload(select=new_id)
        self.copied.emit(new_id)
        self.table.setFocus()
        self.changed.emit(f"已复制为本地方案：{name.strip()}")
        return new_id

    def ask_version(self) -> VersionDialog | None:
        profile = self.profile()
        if profile is None:
            return None
        dialog = VersionDialog(self, profile.versions[0].valid_from, self.clinic.today())
        dialog.setObjectName("versionDialog")
        dialog.accepted.connect(lambda: self.add_version(dialog.date(), dialog.note.text()))
        self.version_dialog = dialog
        dialog.open()
        return dialog

    def add_version(self, valid_from: dt.date, note: str) -> bool:
        profile = self.profile()
        if profile is None:
            return False
        try:
            self.clinic.add_policy_version(profile.id, valid_from, note)
        except ClinicError as exc:
            QMessageBox.warning(self, "新增版本", str(exc))
            return False
        self._profile_chosen(version=valid_from)
        self.changed.emit(f"已新增 {valid_from.isoformat()} 起生效的版本")
        return True

    def ask_retire(self) -> QInputDialog | None:
        profile = self.profile()
        if profile is None:
            return None
        dialog = QInputDialog(self)
        dialog.setObjectName("retireDialog")
        dialog.setWindowTitle("停用本地方案")
        dialog.setLabelText(f"停用“{profile.name}”：不能再选用和修改，已有记录仍按它显示。\n"
                            "停用原因：")
        dialog.setOkButtonText("停用")
        dialog.setCancelButtonText("取消")
        dialog.textValueSelected.connect(lambda reason: self.retire(profile.id, reason))
        self.retire_dialog = dialog
        dialog.open()
        return dialog

    def retire(self, profile_id: str, reason: str) -> bool:
        try:
            self.clinic.retire_profile(profile_id, reason)
        except ClinicError as exc:
            QMessageBox.warning(self, "停用失败", str(exc))
            return False
        self.reload(select=profile_id)
        self.changed.emit("已停用本地方案")
        return True

    def _compare(self) -> None:
        profile = self.profile()
        if profile is not None and profile.parent is not None:
            self.compare_requested.emit(profile.parent.id, profile.id)
