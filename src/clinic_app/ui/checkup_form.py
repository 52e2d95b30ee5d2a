"""The health-checkup form (健康体检表) dialog and the resident page's 体检 tab.

The form is built from the field specs in ``domain/checkup.py`` — the same specs the core checks
with — as pages (症状与一般状况, 生活方式, 脏器功能, 查体, 辅助检查, 现存健康问题, 评价与指导) in a
page list, so a doctor fills the pages of what was done and leaves the rest. Units stand beside
each box; a value outside its plausible range is refused with a Chinese message when the doctor
leaves the box; a value outside its reference range is kept and flagged (偏高/偏低/异常) on the
spot and listed in the findings at the bottom. Keyboard: Tab walks a page, Ctrl+PgDn / Ctrl+PgUp
turn pages, Ctrl+S or Ctrl+Enter saves, Esc cancels.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import checkup, codes
from clinic_app.domain.checkup import Field
from clinic_app.domain.models import yuan
from clinic_app.errors import ClinicError, ValidationFailed
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.spec_editor import BAD_FIELD, SpecEditor
from clinic_app.ui.widgets import ERROR_STYLE, TableOrNote, person_heading

FLAG_STYLE = "color: #b45309; font-weight: bold;"
HINT_STYLE = "color: #757575;"
URGENT_STYLE = "color: #b00020; font-weight: bold;"
NOT_DONE = "（未查）"
MULTI_COLUMNS = 4


class CheckupField(SpecEditor):
    """One item's editor, its unit and its live flag (偏高 / 偏低 / 异常)."""

    def __init__(self, spec: Field) -> None:
        self.spec = spec
        self.checks: list[QCheckBox] = []
        self.flag = QLabel()
        self.flag.setObjectName(f"flag_{spec.key}")
        self.flag.setStyleSheet(FLAG_STYLE)
        # Room for the widest mark from the start: a flag appearing must not push the
        # reference range out of sight or make the page jump sideways.
        self.flag.setMinimumWidth(self.flag.fontMetrics().horizontalAdvance("↑偏高") + 4)
        kind = spec.kind
        self.widget: QWidget
        if kind == "choice":
            combo = QComboBox()
            combo.addItem("（按异常项自动判断）" if spec.key == "evaluation" else NOT_DONE, None)
            for code, label in spec.choice_items():
                combo.addItem(label, code)
            self.widget = combo
        elif kind == "multi":
            box = QWidget()
            grid = QGridLayout(box)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setHorizontalSpacing(12)
            grid.setVerticalSpacing(2)
            # Same column widths in every group, so the boxes line up down the page; a long
            # list of short words (symptoms) takes more columns to save rows.
            items = spec.choice_items()
            longest = max(len(label) for _, label in items)
            columns = 6 if len(items) > 12 and longest <= 5 else MULTI_COLUMNS
            sample = "短暂性脑缺血发作" if columns == MULTI_COLUMNS else "字" * longest
            width = box.fontMetrics().horizontalAdvance(sample) + 36
            for column in range(columns):
                grid.setColumnMinimumWidth(column, width)
            grid.setColumnStretch(columns, 1)
            for i, (code, label) in enumerate(items):
                check = QCheckBox(label)
                check.setProperty("code", code)
                check.setObjectName(f"field_{spec.key}_{code}")
                self.checks.append(check)
                grid.addWidget(check, i // columns, i % columns)
            self.widget = box
        elif kind == "text" and spec.key == "medications":
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setPlaceholderText(spec.hint)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 12)
            self.widget = edit
        else:
            edit = QLineEdit()
            if kind in ("int", "float"):
                edit.setMaximumWidth(80)
            elif spec.hint:
                edit.setPlaceholderText(spec.hint)
            self.widget = edit
        self.widget.setObjectName(f"field_{spec.key}")
        tips = [spec.hint] if spec.hint else []
        if spec.kind in ("int", "float") and spec.reference():
            tips.append(f"参考范围 {spec.reference_text()}{spec.unit and ' ' + spec.unit}")
        if tips:
            self.widget.setToolTip("；".join(tips))

    def line_text(self, value: Any) -> str:
        return checkup.display(self.spec, value)

    def filled(self) -> bool:
        value = self.raw()
        return value not in (None, "", []) and not (isinstance(value, str) and not
                                                    value.strip())


class CheckupDialog(QDialog):
    """Record a checkup (or correct one): pages of the national form, findings below."""

    def __init__(self, clinic: Clinic, resident_id: str, *, correcting: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id = resident_id
        self.correcting = correcting
        self.saved: checkup.SavedCheckup | None = None
        self.person = clinic.resident(resident_id)
        self.fields: dict[str, CheckupField] = {}
        self.touched: set[str] = set()
        self.page_of: dict[str, int] = {}
        self._filling = False
        self.setWindowTitle("更正健康体检记录" if correcting else "健康体检")
        self.setObjectName("checkupDialog")

        title = person_heading(self.person, clinic.today(), "checkupTitle")
        self.date_edit = QLineEdit(clinic.today().isoformat())
        self.date_edit.setObjectName("checkupDate")
        self.date_edit.setMaximumWidth(120)
        self.doctor_combo = QComboBox()
        self.doctor_combo.setObjectName("checkupDoctor")
        self.doctor_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.doctor_combo.addItem("（未填）", None)
        for doctor in clinic.doctors():
            self.doctor_combo.addItem(doctor["name"], doctor["id"])
        # The same doctor the follow-up form proposes: the contract's, else the last one used.
        default = clinic.default_doctor_id(resident_id)
        if default and self.doctor_combo.findData(default) >= 0:
            self.doctor_combo.setCurrentIndex(self.doctor_combo.findData(default))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addSpacing(16)
        date_label = QLabel("体检日期(&D)")
        date_label.setBuddy(self.date_edit)
        header.addWidget(date_label)
        header.addWidget(self.date_edit)
        doctor_label = QLabel("体检医生")
        doctor_label.setBuddy(self.doctor_combo)
        header.addWidget(doctor_label)
        header.addWidget(self.doctor_combo)
        header.addStretch(1)
        self.standard_label = QLabel()
        self.standard_label.setObjectName("checkupStandard")
        header.addWidget(self.standard_label)

        self.page_list = QListWidget()
        self.page_list.setObjectName("checkupPages")
        self.page_list.setFixedWidth(self.page_list.fontMetrics().horizontalAdvance("现存健康问题")
                                     + 70)
        self.stack = QStackedWidget()
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self._build_pages()
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)

        self.findings = QLabel()
        self.findings.setObjectName("checkupFindings")
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.RichText)
        self.findings.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        findings_scroll = QScrollArea()
        findings_scroll.setWidgetResizable(True)
        findings_scroll.setFrameShape(QFrame.Shape.StyledPanel)
        findings_scroll.setWidget(self.findings)
        findings_scroll.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("checkupProblems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("correctionReason")
        self.reason_edit.setPlaceholderText("更正原因（必填），如：血压录错")
        self.reason_edit.setVisible(bool(correcting))

        buttons = QDialogButtonBox()
        self.prev_button = QPushButton("← 上一页(Ctrl+PgUp)")
        self.next_button = QPushButton("下一页(Ctrl+PgDn) →")
        self.prev_button.clicked.connect(lambda: self.turn(-1))
        self.next_button.clicked.connect(lambda: self.turn(1))
        self.save_button = buttons.addButton("保存(Ctrl+S)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("saveCheckup")
        cancel = buttons.addButton("取消(Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        # Enter moves to the next box (keyPressEvent): a long form must not be saved by a
        # stray Enter in its first box. No button is the dialog's default.
        for button in (self.prev_button, self.next_button, self.save_button, cancel):
            button.setAutoDefault(False)
            button.setDefault(False)
        for keys in ("Ctrl+S", "Ctrl+Return"):
            QShortcut(QKeySequence(keys), self, activated=self.accept)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, activated=lambda: self.turn(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, activated=lambda: self.turn(-1))

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        layout.addWidget(findings_scroll)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.reason_edit)
        bottom = QHBoxLayout()
        bottom.addWidget(self.prev_button)
        bottom.addWidget(self.next_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self._connect()
        self._fill()
        self.page_list.setCurrentRow(0)
        self.resize(self.default_size())

    def default_size(self) -> QSize:
        """Wide enough for the widest page with every label on one line (≈1000 px), capped
        by what a 1366×768 laptop shows (1342×680) and by the screen itself. On a screen too
        small for that (125% scaling: 1092×582) the pages scroll sideways, never clip."""
        pages = max(self.stack.widget(i).widget().minimumSizeHint().width()
                    for i in range(self.stack.count()))
        scroll = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        margins = self.layout().contentsMargins()
        width = (self.page_list.minimumWidth() + self.layout().spacing() + pages + scroll + 8
                 + margins.left() + margins.right())
        room = self.screen().availableGeometry()
        return QSize(min(max(width, 1040), 1366 - 24, room.width() - 24),
                     min(680, room.height() - 48))

    # ------------------------------------------------------------------ building
    def _build_pages(self) -> None:
        for index, (key, title, specs) in enumerate(checkup.pages()):
            page = QWidget()
            page.setObjectName(f"checkupPage_{key}")
            grid = QGridLayout(page)
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)
            grid.setHorizontalSpacing(8)
            row = col = 0
            heading = QLabel(title)
            font = heading.font()
            font.setBold(True)
            font.setPointSize(font.pointSize() + 1)
            heading.setFont(font)
            grid.addWidget(heading, row, 0, 1, 4)
            row += 1
            elderly_shown = False
            for spec in specs:
                if spec.elderly and not elderly_shown:
                    elderly_shown = True
                    if col == 2:
                        row, col = row + 1, 0
                    note = QLabel("老年人（65岁及以上）填写：")
                    note.setStyleSheet("font-weight: bold; margin-top: 6px;")
                    grid.addWidget(note, row, 0, 1, 4)
                    row += 1
                editor = CheckupField(spec)
                self.fields[spec.key] = editor
                self.page_of[spec.key] = index
                wide = spec.kind == "multi" or (spec.kind == "text" and spec.key not in (
                    "exercise_kind", "ecg_note", "ultrasound_note", "referral_to", "vaccines"))
                label = QLabel(spec.label.removeprefix("老年人"))
                label.setBuddy(editor.widget)
                # One line, never one character a line: the label keeps its text's width
                # and the page scrolls sideways before it would squeeze a label.
                label.setWordWrap(False)
                label.setObjectName(f"label_{spec.key}")
                cell = QHBoxLayout()
                cell.setSpacing(4)
                numeric = spec.kind in ("int", "float")
                cell.addWidget(editor.widget, 0 if numeric else 1)
                if spec.unit:
                    cell.addWidget(QLabel(spec.unit))
                if numeric and spec.reference(self.person.sex):
                    ref = QLabel(f"参考 {spec.reference_text(self.person.sex)}")
                    ref.setStyleSheet(HINT_STYLE)
                    cell.addWidget(ref)
                if spec.key == "weight_kg":
                    self.bmi_label = QLabel()
                    self.bmi_label.setObjectName("checkupBmi")
                    self.bmi_label.setMinimumWidth(  # its widest text, reserved (see flag)
                        self.bmi_label.fontMetrics().horizontalAdvance("体质指数 88.8（超重）"))
                    cell.addWidget(self.bmi_label)
                cell.addWidget(editor.flag)
                if numeric:
                    cell.addStretch(1)
                if wide and col == 2:
                    row, col = row + 1, 0
                grid.addWidget(label, row, col, Qt.AlignmentFlag.AlignTop if spec.kind == "multi"
                               else Qt.AlignmentFlag.AlignVCenter)
                grid.addLayout(cell, row, col + 1, 1, 3 if wide else 1)
                if wide or col == 2:
                    row, col = row + 1, 0
                else:
                    col = 2
            grid.setRowStretch(row + 1, 1)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            scroll.setWidget(page)
            self.stack.addWidget(scroll)
            self.page_list.addItem(f"{index + 1}. {title}")

    def _connect(self) -> None:
        self.date_edit.textEdited.connect(lambda _t: self._edited("checkup_date"))
        self.date_edit.editingFinished.connect(lambda: self._touch("checkup_date"))
        for key, editor in self.fields.items():
            editor.connect(lambda touch, k=key: self._edited(k, touch),
                           lambda k=key: self._touch(k))

    def _fill(self) -> None:
        if self.correcting:
            self._filling = True
            try:
                record = self.clinic.checkup_versions(self.correcting)[-1]
                self.date_edit.setText(str(record.checkup_date or ""))
                if record.doctor_id and self.doctor_combo.findData(record.doctor_id) >= 0:
                    self.doctor_combo.setCurrentIndex(self.doctor_combo.findData(
                        record.doctor_id))
                for key, value in self.clinic.checkup_values(self.correcting).items():
                    self.fields[key].set(value)
                self.touched = set(self.fields) | {"checkup_date"}
            finally:
                self._filling = False
        self._refresh()

    def keyPressEvent(self, event: Any) -> None:
        """Enter works like Tab (as in most data-entry programs); Ctrl+Enter saves."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            focused = self.focusWidget()
            if isinstance(focused, QPushButton):
                focused.click()
            else:
                self.focusNextChild()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ pages
    def turn(self, step: int) -> None:
        row = max(0, min(self.page_list.count() - 1, self.page_list.currentRow() + step))
        self.page_list.setCurrentRow(row)
        first = next((k for k, i in self.page_of.items() if i == row), None)
        if first:
            self.fields[first].focus()

    def show_page(self, key: str) -> None:
        index = list(checkup.PAGES).index(key)
        self.page_list.setCurrentRow(index)

    # ------------------------------------------------------------------ live checks
    def _edited(self, key: str, touch: bool = False) -> None:
        if self._filling:
            return
        if touch:
            self.touched.add(key)
        self._refresh()

    def _touch(self, key: str) -> None:
        if key not in self.touched:
            self.touched.add(key)
            self._refresh()

    def raw_values(self) -> dict[str, Any]:
        return {key: editor.raw() for key, editor in self.fields.items() if editor.filled()}

    def _refresh(self, show_all: bool = False) -> dict[str, str]:
        """Re-check everything typed; mark refused boxes, flag abnormal ones, list findings."""
        try:
            date, values, problems, found = self.clinic.check_checkup(
                self.resident_id, self.date_edit.text(), self.raw_values())
        except ClinicError as exc:
            self.problem_label.setText(html.escape(str(exc)))
            return {"": str(exc)}
        shown = {k: v for k, v in problems.items() if show_all or k in self.touched}
        for key, editor in self.fields.items():
            editor.mark(key in shown)
            mark = checkup.field_flag(editor.spec, values.get(key), self.person.sex)
            editor.flag.setText({"偏高": "↑偏高", "偏低": "↓偏低"}.get(mark or "", mark or ""))
        self.date_edit.setStyleSheet(BAD_FIELD if "checkup_date" in shown else "")
        self.problem_label.setText("<br>".join(html.escape(p) for p in shown.values()))
        index = checkup.bmi(values.get("weight_kg"), values.get("height_cm"))
        self.bmi_label.setText(f"体质指数 {index}（{checkup.bmi_text(index)}）" if index
                               else "")
        self._show_findings(values, found)
        self._mark_pages(shown)
        profile = self.clinic.profile
        cost = profile.value("checkup.cost_fen", date or self.clinic.today())
        self.standard_label.setText(f"补偿标准 {yuan(cost)} 元/人" if cost is not None
                                    else f"{profile.name}：未规定体检补偿标准")
        return shown

    def _show_findings(self, values: dict[str, Any], found: list[checkup.Flag]) -> None:
        lines = []
        for flag in found:
            style = URGENT_STYLE if flag.urgent else FLAG_STYLE
            lines.append(f"<span style='{style}'>{'⚠ ' if flag.urgent else ''}"
                         f"{html.escape(flag.text)}</span>")
        verdict = checkup.evaluation(values, found)
        head = f"健康评价：{checkup.EVALUATIONS[verdict]}" + (
            f"（{len(found)} 项）" if found else "")
        managed = {c.code for c in self.clinic.conditions(self.resident_id)
                   if c.status == "active"}
        suggest = [c for c in checkup.suggested_enrolment(values, found)
                   if c not in values.get("enrol", []) and c not in managed]
        if suggest:
            names = "、".join(codes.label(codes.CONDITIONS, c) for c in suggest)
            lines.append(f"建议：考虑纳入{names}管理（在“评价与指导”页勾选）")
        filled = len(values)
        if not filled:
            self.findings.setText("健康评价：尚未填写任何项目。做了哪项填哪项，其余留空。")
            return
        self.findings.setText(f"<b>{head}</b>　已填 {filled} 项<br>" + "；".join(lines)
                              if lines else f"<b>{head}</b>　已填 {filled} 项")

    def _mark_pages(self, shown: dict[str, str]) -> None:
        for index, (_key, title, specs) in enumerate(checkup.pages()):
            filled = sum(1 for s in specs if self.fields[s.key].filled())
            bad = any(s.key in shown for s in specs)
            text = f"{index + 1}. {title}" + (f"（{filled}）" if filled else "")
            item = self.page_list.item(index)
            item.setText(("⚠ " if bad else "") + text)
            item.setForeground(Qt.GlobalColor.red if bad else Qt.GlobalColor.black)

    # ------------------------------------------------------------------ saving
    def accept(self) -> None:
        if self.saved is not None:
            return
        problems = self._refresh(show_all=True)
        if problems:
            self._focus_problem(problems)
            return
        doctor = self.doctor_combo.currentData()
        try:
            if self.correcting:
                self.saved = self.clinic.correct_checkup(
                    self.correcting, self.date_edit.text(), self.raw_values(),
                    self.reason_edit.text(), doctor)
            else:
                self.saved = self.clinic.record_checkup(
                    self.resident_id, self.date_edit.text(), self.raw_values(),
                    doctor_id=doctor)
        except ValidationFailed as exc:
            self.problem_label.setText("<br>".join(html.escape(p) for p in exc.fields.values()))
            if "reason" in exc.fields:
                self.reason_edit.setStyleSheet(BAD_FIELD)
                self.reason_edit.setFocus()
            else:
                self._focus_problem(exc.fields)
            return
        except ClinicError as exc:
            QMessageBox.warning(self, "没有保存", str(exc))
            return
        super().accept()

    def _focus_problem(self, problems: dict[str, str]) -> None:
        if "checkup_date" in problems:
            self.date_edit.setFocus()
            return
        for key in self.fields:
            if key in problems:
                self.page_list.setCurrentRow(self.page_of[key])
                self.fields[key].focus()
                return


class CheckupsPanel(QWidget):
    """The resident page's 体检 tab: this year's status, every checkup, record / correct."""

    changed = Signal()
    message = Signal(str)  # what was done, for the status bar

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id: str | None = None
        self.dialog: CheckupDialog | None = None
        self.model = RowsModel([
            Column("日期", lambda r: r["date"]),
            Column("血压", lambda r: r["bp"]),
            Column("体质指数", lambda r: r["bmi"], align_right=True),
            Column("空腹血糖", lambda r: r["glucose"], align_right=True),
            Column("评价", lambda r: r["evaluation"]),
            Column("异常项", lambda r: r["abnormal"], tooltip=lambda r: r["abnormal_all"]),
            Column("医生", lambda r: r["doctor"]),
            Column("费用(元)", lambda r: r["cost"], align_right=True),
            Column("备注", lambda r: r["note"]),
        ], self)
        self.table = TableOrNote(self.model, "checkupsTable",
                                 "还没有健康体检记录。点“新增体检”录入。")
        self.table.view.doubleClicked.connect(lambda _i: self.correct())
        self.status_label = QLabel()
        self.status_label.setObjectName("checkupStatus")
        self.status_label.setWordWrap(True)
        self.add_button = QPushButton("新增体检(&K)…")
        self.add_button.setObjectName("addCheckup")
        self.correct_button = QPushButton("查看/更正…")
        self.correct_button.setObjectName("correctCheckup")
        self.void_button = QPushButton("作废…")
        self.add_button.clicked.connect(self.add)
        self.correct_button.clicked.connect(self.correct)
        self.void_button.clicked.connect(self.void)
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addWidget(self.correct_button)
        bar.addWidget(self.void_button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)

    def load(self, resident_id: str) -> None:
        self.resident_id = resident_id
        names = {d["id"]: d["name"] for d in self.clinic.doctors()}
        rows = []
        records = self.clinic.checkups(resident_id)
        for c in records:
            flags = c.data.get("abnormal_items", [])
            note = []
            if c.data.get("correction_reason"):
                note.append(f"已更正：{c.data['correction_reason']}")
            if c.data.get("enrol"):
                note.append("纳入管理：" + "、".join(codes.label(codes.CONDITIONS, x)
                                                  for x in c.data["enrol"]))
            bmi = checkup.bmi(c.weight_kg, c.height_cm)
            rows.append({
                "id": c.id, "date": str(c.checkup_date or ""),
                "bp": f"{c.sbp}/{c.dbp}" if c.sbp and c.dbp else "",
                "bmi": bmi if bmi is not None else "",
                "glucose": c.fasting_glucose if c.fasting_glucose is not None else "",
                "evaluation": checkup.EVALUATIONS.get(c.evaluation, c.evaluation),
                "abnormal": f"{len(flags)} 项" if flags else "",
                "abnormal_all": "\n".join(flags),
                "doctor": names.get(c.doctor_id or "", ""),
                "cost": yuan(c.cost_fen) if c.cost_fen is not None else "",
                "note": "；".join(note)})
        self.model.set_rows(rows)
        today = self.clinic.today()
        per_year = self.clinic.checkups_per_year(today.year)
        this_year = [c for c in records if c.checkup_date and c.checkup_date.year == today.year]
        person = self.clinic.resident(resident_id)
        if len(this_year) >= per_year:
            self.status_label.setText(f"✓ {today.year}年已体检（{this_year[0].checkup_date}）。"
                                      f"政策：每年 {per_year} 次。")
            self.status_label.setStyleSheet("color: #1b5e20;")
        else:
            self.status_label.setText(f"{today.year}年尚未完成体检（已做 {len(this_year)} 次，"
                                      f"政策要求每年 {per_year} 次）。")
            self.status_label.setStyleSheet(FLAG_STYLE)
        self.add_button.setEnabled(person.status == "active")
        self.correct_button.setEnabled(bool(rows))
        self.void_button.setEnabled(bool(rows))

    def _selected(self) -> str | None:
        index = self.table.view.currentIndex()
        if not index.isValid():
            rows = self.model.rows()
            if len(rows) == 1:
                return str(rows[0]["id"])
            QMessageBox.information(self, "请先选择", "请先在列表中点选一次体检")
            return None
        return str(self.model.row_data(index.row())["id"])

    def add(self) -> CheckupDialog | None:
        """Open the form (window-modal, not blocking: tests and the event loop go on)."""
        if self.resident_id is None:
            return None
        return self._open(CheckupDialog(self.clinic, self.resident_id, parent=self))

    def correct(self) -> CheckupDialog | None:
        checkup_id = self._selected()
        if checkup_id is None or self.resident_id is None:
            return None
        return self._open(CheckupDialog(self.clinic, self.resident_id, correcting=checkup_id,
                                        parent=self))

    def _open(self, dialog: CheckupDialog) -> CheckupDialog:
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(self._saved)
        dialog.open()
        return dialog

    def _saved(self) -> None:
        dialog = self.dialog
        self.changed.emit()
        if dialog is None or dialog.saved is None:
            return
        saved = dialog.saved
        text = f"健康体检 {checkup.EVALUATIONS.get(saved.evaluation, saved.evaluation)}"
        if saved.flags:
            text += f"（{len(saved.flags)} 项）"
        if saved.enrolled:
            names = "、".join(codes.label(codes.CONDITIONS, c) for c in saved.enrolled)
            text += f"；已登记{names}，并按随访规则安排了随访"
        self.message.emit(text)

    def void(self) -> None:
        checkup_id = self._selected()
        if checkup_id is None:
            return
        reason, ok = QInputDialog.getText(
            self, "作废体检记录", "作废这次体检（记录保留在历史中）。\n"
            "作废原因（如：录到了别人的档案上）：")
        if not ok:
            return
        try:
            self.clinic.void_checkup(checkup_id, reason)
        except ClinicError as exc:
            QMessageBox.warning(self, "没有作废", str(exc))
            return
        self.changed.emit()
