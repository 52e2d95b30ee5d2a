"""The follow-up form dialog and the resident page's 随访 panel.

The form is built from the field specs in ``domain/followup.py`` (the same specs the core checks
and printing prints), not from a Designer file: four national forms with sixty-odd fields that
must stay in step with the core. Keyboard first: the cursor starts in 收缩压, Tab walks the fields
in the paper form's order, Enter saves from any one-line field, Esc cancels. A routine visit is
four numbers and Enter — the date, method, doctor, medicines and lifestyle targets are already
filled from the last visit, and the classification and next date are proposed by the rules.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes, followup, schedule
from clinic_app.domain.followup import Field
from clinic_app.errors import ClinicError, ValidationFailed
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.spec_editor import BAD_FIELD, SpecEditor
from clinic_app.ui.widgets import ERROR_STYLE, OK_STYLE, TableOrNote, person_heading

WARN_STYLE = "color: #b00020; font-weight: bold;"
CAUTION_STYLE = "color: #8a4b00; font-weight: bold;"
NOT_FILLED = "（未填）"


# The medicines box's example in the form's own disease (a TB form showing a BP drug confused).
MEDICINE_EXAMPLES = {
    followup.TB: "每行一种：药名 每日几次 每次用量，如：异烟肼片 每日1次 每次0.3g",
    followup.SMI: "每行一种：药名 每日几次 每次用量，如：利培酮片 每日2次 每次1mg",
    followup.DM: "每行一种：药名 每日几次 每次用量，如：盐酸二甲双胍片 每日3次 每次0.5g",
}


class FieldWidget(SpecEditor):
    """One field's editor: read and write values in the form's text/typed conventions."""

    def __init__(self, spec: Field, doctors: list[dict[str, Any]], form: str = "") -> None:
        self.spec = spec
        self.widget: QWidget
        self.checks: list[QCheckBox] = []
        kind = spec.kind
        if kind in ("choice", "doctor"):
            combo = QComboBox()
            if spec.key != "method":
                combo.addItem(NOT_FILLED, None)
            items = spec.choice_items() if kind == "choice" else [
                (d["id"], d["name"]) for d in doctors]
            for code, label in items:
                combo.addItem(label, code)
            self.widget = combo
        elif kind == "multi":
            box = QWidget()
            grid = QGridLayout(box)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setHorizontalSpacing(12)
            for i, (code, label) in enumerate(spec.choice_items()):
                check = QCheckBox(label)
                check.setProperty("code", code)
                self.checks.append(check)
                grid.addWidget(check, i // 4, i % 4)
            self.widget = box
        elif kind == "bool":
            self.widget = QCheckBox(spec.label)
        elif kind == "medicines":
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)  # Tab leaves the box; Enter adds a line
            edit.setPlaceholderText(MEDICINE_EXAMPLES.get(form, spec.hint))
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 4 + 12)
            self.widget = edit
        else:
            edit = QLineEdit()
            if kind == "date":
                edit.setPlaceholderText("如 2026-11-23")
                edit.setMaximumWidth(140)
            elif kind in ("int", "float"):
                edit.setMaximumWidth(90)
                edit.setPlaceholderText(spec.range_text())
            elif spec.hint:
                edit.setPlaceholderText(spec.hint)
            self.widget = edit
        self.widget.setObjectName(f"field_{spec.key}")
        if spec.hint and kind not in ("medicines",):
            self.widget.setToolTip(spec.hint)

    def line_text(self, value: Any) -> str:
        return followup.display(self.spec, value)

    def block_text(self, value: Any) -> str:
        return followup.medicines_text(value) if not isinstance(value, str) else value


class FollowUpDialog(QDialog):
    """Record a visit (or correct one) on one of the resident's national forms."""

    def __init__(self, clinic: Clinic, resident_id: str, form: str | None = None, *,
                 correcting: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id = resident_id
        self.correcting = correcting
        self.saved_id: str | None = None
        self.person = clinic.resident(resident_id)
        self.doctors = clinic.doctors()
        forms = clinic.follow_up_forms(resident_id)
        if correcting:
            form = clinic.follow_up(correcting).form
        form = form or (forms[0] if forms else followup.HTN)
        if form not in forms:
            forms.append(form)
        self.form = form
        self.fields: dict[str, FieldWidget] = {}
        self.touched: set[str] = set()
        self.proposal: followup.Proposal | None = None
        self._class_auto = True  # classification follows the proposal until the user picks
        self._next_auto = True
        self._filling = False
        # Problems the core found on 保存 stay shown until the next edit (focus moves
        # re-check the form, which cannot see them).
        self._save_problems: dict[str, str] = {}
        self._dirty = False  # the doctor typed or chose something: Esc asks first

        self.setWindowTitle("更正随访记录" if correcting else "记录随访")
        self.setObjectName("followUpDialog")
        title = person_heading(self.person, clinic.today(), "followUpTitle")
        self.form_combo = QComboBox()
        self.form_combo.setObjectName("formCombo")
        for code in forms:
            self.form_combo.addItem(followup.FORMS[code], code)
        self.form_combo.setCurrentIndex(forms.index(form))
        choose = len(forms) > 1 and not correcting
        self.form_combo.setVisible(choose)
        self.form_name = QLabel(followup.FORMS[form])
        self.form_name.setVisible(not choose)
        self.form_combo.currentIndexChanged.connect(self._switch_form)
        self.last_label = QLabel()
        self.last_label.setObjectName("lastVisit")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.form_combo, 1)
        header.addWidget(self.form_name, 1)
        header_box = QVBoxLayout()
        header_box.addLayout(header)
        header_box.addWidget(self.last_label)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.proposal_label = QLabel()
        self.proposal_label.setObjectName("proposal")
        self.proposal_label.setWordWrap(True)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("correctionReason")
        self.reason_edit.setPlaceholderText("更正原因（必填），如：血压录错")
        self.reason_edit.setVisible(bool(correcting))
        self.reason_edit.textEdited.connect(lambda _t: self._edited("reason"))
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存(Enter)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("saveFollowUp")
        cancel = buttons.addButton("取消(Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.accept)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(header_box)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.proposal_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.reason_edit)
        layout.addWidget(buttons)
        self._build()
        self.resize(1040, 700)

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        keep = {k: self.fields[k].raw() for k in ("visit_date", "method", "doctor_id")
                if k in self.fields}
        self.fields = {}
        self.touched = set()
        self._class_auto = self._next_auto = True
        body = QWidget()
        body_layout = QVBoxLayout(body)
        by_section: dict[str, list[Field]] = {}
        for spec in followup.fields_of(self.form):
            by_section.setdefault(spec.section, []).append(spec)
        order = list(followup.SECTIONS)
        for section, specs in sorted(by_section.items(), key=lambda i: order.index(i[0])):
            box = QGroupBox(followup.SECTIONS[section])
            grid = QGridLayout(box)
            grid.setColumnStretch(1, 1)
            grid.setColumnStretch(3, 1)
            row = col = 0
            for spec in specs:
                editor = FieldWidget(spec, self.doctors, self.form)
                self.fields[spec.key] = editor
                wide = spec.kind in ("multi", "medicines") or (
                    spec.kind == "text" and spec.key not in ("referral_to",))
                label = QLabel("" if spec.kind == "bool" else spec.label)
                label.setBuddy(editor.widget)
                cell = QHBoxLayout()
                cell.addWidget(editor.widget, 0 if spec.kind in ("int", "float", "date") else 1)
                if spec.unit:
                    cell.addWidget(QLabel(spec.unit))
                if spec.key == "weight_kg":
                    self.bmi_label = QLabel()
                    self.bmi_label.setObjectName("bmi")
                    cell.addWidget(self.bmi_label)
                if spec.kind in ("int", "float", "date"):
                    cell.addStretch(1)
                if wide and col == 2:
                    row, col = row + 1, 0
                grid.addWidget(label, row, col)
                grid.addLayout(cell, row, col + 1, 1, 3 if wide else 1)
                if wide or col == 2:
                    row, col = row + 1, 0
                else:
                    col = 2
            body_layout.addWidget(box)
        body_layout.addStretch(1)
        self.scroll.setWidget(body)
        if self.form in (followup.TB, followup.SMI):
            # The spec's intervals decide these forms' next date (R6, R7): shown, not typed.
            nxt = self.fields["next_visit_on"].widget
            assert isinstance(nxt, QLineEdit)
            nxt.setReadOnly(True)
            nxt.setToolTip("按规范间隔自动计算")
        self._connect()
        self._fill(keep)

    def _connect(self) -> None:
        for key, editor in self.fields.items():
            editor.connect(lambda touch, k=key: self._edited(k, touch),
                           lambda k=key: self._touch(k))

    def _fill(self, keep: dict[str, Any]) -> None:
        self._filling = True
        try:
            if self.correcting:
                values = self.clinic.follow_up_values(self.correcting)
                doctor = values.get("doctor_id")
                # What the rules proposed and the doctor took follows the corrected values;
                # what the doctor chose otherwise stays the doctor's.
                kept = self.clinic.follow_up_correction_values(self.correcting)
                self._class_auto = not ({"classification", "stability"} & kept.keys())
                self._next_auto = self.form in (followup.TB, followup.SMI) or \
                    "next_visit_on" not in kept
                self.touched = set(self.fields)
            else:
                draft = self.clinic.follow_up_draft(self.resident_id, self.form)
                values = {**draft.values, **{k: v for k, v in keep.items() if v}}
                doctor = values.get("doctor_id") or draft.doctor_id
            for key, editor in self.fields.items():
                if key in values:
                    editor.set(values[key])
            if "doctor_id" in self.fields and doctor:
                self.fields["doctor_id"].set(doctor)
        finally:
            self._filling = False
        self._show_last_visit()
        self._refresh()
        first = next((k for k in ("sbp", "fasting_glucose", "treatment_month", "risk_level")
                      if k in self.fields), "visit_date")
        if self.correcting:
            first = "visit_date"
        self.fields[first].focus()
        widget = self.fields[first].widget
        if isinstance(widget, QLineEdit):
            widget.selectAll()

    def _show_last_visit(self) -> None:
        visits = [v for v in self.clinic.follow_ups(self.resident_id)
                  if followup.forms_overlap(self.form, v.form) and v.id != self.correcting]
        if not visits:
            self.last_label.setText("首次随访。")
            return
        last = visits[0]
        days = (self.clinic.today() - last.visit_date).days if last.visit_date else 0
        parts = [f"上次随访 {last.visit_date}（{days}天前）"]
        if last.sbp and last.dbp:
            parts.append(f"血压 {last.sbp}/{last.dbp}")
        if last.fasting_glucose is not None:
            parts.append(f"空腹血糖 {last.fasting_glucose}")
        label = followup.CLASSES.get(last.classification) or followup.SMI_STABILITY.get(
            last.classification, "")
        if label:
            parts.append(label)
        self.last_label.setText("　".join(parts))

    def _switch_form(self) -> None:
        form = self.form_combo.currentData()
        if form and form != self.form:
            self.form = form
            self._build()

    # ------------------------------------------------------------------ live checks
    def _edited(self, key: str, touch: bool = False) -> None:
        if self._filling:
            return
        self._dirty = True
        if key in ("classification", "stability"):
            self._class_auto = False
        if key == "next_visit_on":
            self._next_auto = False
        if key == "reason":
            self.reason_edit.setStyleSheet("")
        if touch:
            self.touched.add(key)
        self._save_problems = {}
        self._refresh()

    def _touch(self, key: str) -> None:
        if key not in self.touched:
            self.touched.add(key)
            self._refresh()

    def raw_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, editor in self.fields.items():
            value = editor.raw()
            if key in ("classification", "stability") and self._class_auto:
                continue  # the core takes the proposal
            if key == "next_visit_on" and self._next_auto:
                continue
            out[key] = value
        return out

    def _refresh(self, show_all: bool = False) -> list[str]:
        """Re-check, re-propose, mark fields; return the problems shown."""
        try:
            values, problems, proposal = self.clinic.check_follow_up(
                self.resident_id, self.form, self.raw_values(), supersedes_id=self.correcting)
        except ClinicError as exc:
            self.problem_label.setText(html.escape(str(exc)))
            return [str(exc)]
        shown = {k: v for k, v in problems.items() if show_all or k in self.touched}
        shown.update({k: v for k, v in self._save_problems.items() if k not in shown})
        for key, editor in self.fields.items():
            editor.mark(key in shown)
        self.problem_label.setText("<br>".join(html.escape(p) for p in shown.values()))
        if "weight_kg" in self.fields:
            height = values.get("height_cm")
            value = followup.bmi(values.get("weight_kg"), height)
            self.bmi_label.setText(f"　体质指数 {value}" if value else
                                   ("　（填写身高后计算体质指数）" if not height else ""))
        if proposal is not None:
            self.proposal = proposal
            self._apply_proposal(proposal)
        else:
            self.proposal_label.setText("规则建议：填好本次测量值后给出分类和下次随访日期。")
            self.proposal_label.setStyleSheet("")
        return list(shown.values())

    def _apply_proposal(self, proposal: followup.Proposal) -> None:
        self._filling = True
        try:
            class_key = "stability" if self.form == followup.SMI else "classification"
            if self._class_auto and class_key in self.fields:
                self.fields[class_key].set(proposal.classification or None)
            if self._next_auto:
                self.fields["next_visit_on"].set(proposal.next_on)
        finally:
            self._filling = False
        label = proposal.label if proposal.label and proposal.label not in proposal.rule else ""
        text = f"规则建议：{label + '，' if label else ''}{proposal.rule}" \
               f"　→ 下次随访 {proposal.next_on:%Y-%m-%d}"
        if proposal.reasons and proposal.emergency:
            text = "⚠ 危急情况：" + "；".join(proposal.reasons) + "。请紧急转诊！　" + text
        elif proposal.referral:
            text = "⚠ 建议转诊。　" + text
        departs = self._departs(proposal)
        if departs:
            text += f"<br>已改为{departs}，请填写“未采用建议的原因”。"
        self.fields["override_reason"].mark(bool(departs) and not
                                            self.fields["override_reason"].raw().strip())
        self.proposal_label.setText(text)
        urgent = proposal.emergency or proposal.referral
        routine = proposal.classification in ("controlled", "stable", "")
        self.proposal_label.setStyleSheet(WARN_STYLE if urgent else OK_STYLE if routine
                                          else CAUTION_STYLE)

    def _departs(self, proposal: followup.Proposal) -> str:
        class_key = "stability" if self.form == followup.SMI else "classification"
        out = []
        if class_key in self.fields and not self._class_auto:
            chosen = self.fields[class_key].raw()
            if chosen and chosen != proposal.classification:
                out.append("其他分类")
        if not self._next_auto:
            try:
                chosen_next = followup.parse_value(followup.FIELD_BY_KEY["next_visit_on"],
                                                   self.fields["next_visit_on"].raw())
            except ValueError:
                chosen_next = None
            if chosen_next and chosen_next > proposal.next_on:
                out.append("更晚的下次随访日期")
        return "和".join(out)

    # ------------------------------------------------------------------ saving
    def accept(self) -> None:
        if self.saved_id is not None:  # already saved (a second Enter while closing)
            return
        problems = self._refresh(show_all=True)
        if problems:
            self._focus_first_problem()
            return
        meds = self.fields.get("medicines")
        raw = self.raw_values()
        if not self.correcting and not self._confirm_second_visit_that_day(raw):
            return
        try:
            if self.correcting:
                self.saved_id = self.clinic.correct_follow_up(
                    self.correcting, raw, self.reason_edit.text())
            else:
                self.saved_id = self.clinic.record_follow_up(self.resident_id, self.form, raw)
        except ValidationFailed as exc:
            self._save_problems = dict(exc.fields)
            self.problem_label.setText("<br>".join(html.escape(p) for p in exc.fields.values()))
            for key, editor in self.fields.items():
                editor.mark(key in exc.fields)
            if "reason" in exc.fields:
                self.reason_edit.setStyleSheet(BAD_FIELD)
                self.reason_edit.setFocus()
            else:
                self._focus_first_problem(exc.fields)
            return
        except ClinicError as exc:
            QMessageBox.warning(self, "没有保存", str(exc))
            return
        if meds is not None:
            warnings = followup.medicine_problems(followup.parse_medicines(meds.raw()))
            if warnings:  # kept as typed; the doctor is told what the paper form will lack
                QMessageBox.information(self, "已保存", "已保存。用药情况中：" +
                                        "；".join(warnings) + "。")
        super().accept()

    def _confirm_second_visit_that_day(self, raw: dict[str, Any]) -> bool:
        """A second visit on one day counts twice (the county reads the counts): usually a
        slip that should have been a correction, so ask."""
        try:
            day = followup.parse_value(followup.FIELD_BY_KEY["visit_date"], raw.get("visit_date"))
        except ValueError:
            return True
        same = [v for v in self.clinic.follow_ups(self.resident_id)
                if v.visit_date == day and followup.forms_overlap(self.form, v.form)]
        if not same:
            return True
        answer = QMessageBox.question(
            self, "同一天再次随访",
            f"{day} 已经记录过一次{followup.FORM_SHORT[self.form]}随访。再保存会算作两次随访；"
            "如果是上次录错了，请取消，再在随访列表中用“查看/更正”。\n\n仍要保存为新的一次随访吗？",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def reject(self) -> None:
        """Esc on a form with typed values asks before throwing them away."""
        if self.saved_id is None and self._dirty:
            answer = QMessageBox.question(
                self, "放弃录入", "这次随访还没有保存。放弃已填写的内容吗？",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().reject()

    def _focus_first_problem(self, problems: dict[str, str] | None = None) -> None:
        if problems is None:
            _, problems, _ = self.clinic.check_follow_up(
                self.resident_id, self.form, self.raw_values(), supersedes_id=self.correcting)
        for key in self.fields:
            if key in problems:
                self.fields[key].focus()
                self.scroll.ensureWidgetVisible(self.fields[key].widget)
                return


def record_due_visit(parent: QWidget, clinic: Clinic, resident_id: str,
                     condition: str | None) -> bool:
    """记录随访 from a list (今日待办, the 随访 register): the form of the condition that is
    due; True when a visit was saved."""
    forms = clinic.follow_up_forms(resident_id)
    form = next((f for f in forms if condition in schedule.FORM_CONDITIONS.get(f, ())), None)
    dialog = FollowUpDialog(clinic, resident_id, form, parent=parent)
    return dialog.exec() == QDialog.DialogCode.Accepted


class FollowUpsPanel(QWidget):
    """The resident page's 随访 tab: every visit, and record / correct / withdraw."""

    changed = Signal()

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.resident_id: str | None = None
        self.doctor_names: dict[str, str] = {}
        self.model = RowsModel([
            Column("日期", lambda r: r["visit_date"]),
            Column("随访表", lambda r: r["form"]),
            Column("方式", lambda r: r["method"]),
            Column("血压", lambda r: r["bp"]),
            Column("空腹血糖", lambda r: r["glucose"], align_right=True),
            Column("分类", lambda r: r["classification"],
                   tooltip=lambda r: r["override"]),
            Column("下次随访", lambda r: r["next"]),
            Column("医生", lambda r: r["doctor"]),
            Column("备注", lambda r: r["note"]),
        ], self)
        self.table = TableOrNote(self.model, "follow_upsTable",
                                 "没有随访记录。点“记录随访”录入第一次随访。")
        self.table.view.doubleClicked.connect(lambda _i: self.correct())
        self.count_label = QLabel()
        self.count_label.setObjectName("followUpCount")
        self.add_button = QPushButton("记录随访…")
        self.add_button.setObjectName("addFollowUp")
        self.correct_button = QPushButton("查看/更正(&E)…")
        self.void_button = QPushButton("作废…")
        self.add_button.clicked.connect(self.add)
        self.correct_button.clicked.connect(self.correct)
        self.void_button.clicked.connect(self.void)
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addWidget(self.correct_button)
        bar.addWidget(self.void_button)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.count_label.setSizePolicy(QSizePolicy.Policy.Preferred,
                                       QSizePolicy.Policy.Preferred)

    def load(self, resident_id: str, doctor_names: dict[str, str]) -> None:
        self.resident_id = resident_id
        visits = self.clinic.follow_ups(resident_id)
        names = dict(doctor_names)
        for d in self.clinic.doctors():
            names.setdefault(d["id"], d["name"])
        rows = []
        for v in visits:
            label = followup.CLASSES.get(v.classification) or followup.SMI_STABILITY.get(
                v.classification, "")
            note = []
            if v.override_reason:
                label += "（医生调整）"
            if v.data.get("correction_reason"):
                note.append(f"已更正：{v.data['correction_reason']}")
            if v.referral_to or v.referral_reason:
                note.append(f"转诊 {v.referral_to} {v.referral_reason}".strip())
            rows.append({
                "id": v.id, "visit_date": str(v.visit_date or ""),
                "form": followup.FORM_SHORT.get(v.form, v.form),
                "method": codes.label(codes.FOLLOW_UP_METHODS, v.method),
                "bp": f"{v.sbp}/{v.dbp}" if v.sbp and v.dbp else "",
                "glucose": v.fasting_glucose if v.fasting_glucose is not None else "",
                "classification": label,
                "override": (f"规则建议：{followup.CLASSES.get(v.proposed_classification, '')}"
                             f" 下次 {v.proposed_next_on}；原因：{v.override_reason}")
                if v.override_reason else "",
                "next": str(v.next_visit_on or ""),
                "doctor": names.get(v.doctor_id or "", ""), "note": "；".join(note)})
        self.model.set_rows(rows)
        forms = self.clinic.follow_up_forms(resident_id)
        person = self.clinic.resident(resident_id)
        self.add_button.setEnabled(bool(forms) and person.status == "active")
        self.add_button.setToolTip("" if forms else
                                   "没有需要随访管理的慢病：请先在“慢病与诊断”中登记高血压、"
                                   "糖尿病、肺结核或严重精神障碍")
        # Days, not rows: two forms filled on one day are one visit (as 履约 counts them).
        this_year = len({v.visit_date for v in visits if v.visit_date and
                         v.visit_date.year == self.clinic.today().year})
        self.count_label.setText(f"共 {len(visits)} 次随访，今年 {this_year} 天")
        has_rows = bool(rows)
        self.correct_button.setEnabled(has_rows)
        self.void_button.setEnabled(has_rows)

    def select(self, visit_id: str) -> bool:
        """Select a visit's row (a dot clicked on the trend chart)."""
        for row, data in enumerate(self.model.rows()):
            if data["id"] == visit_id:
                self.table.view.selectRow(row)
                self.table.view.scrollTo(self.model.index(row, 0))
                return True
        return False

    def _selected(self) -> str | None:
        index = self.table.view.currentIndex()
        if not index.isValid():
            rows = self.model.rows()
            if len(rows) == 1:
                return str(rows[0]["id"])
            QMessageBox.information(self, "请先选择", "请先在列表中点选一次随访")
            return None
        return str(self.model.row_data(index.row())["id"])

    def add(self, form: str | None = None) -> bool:
        if self.resident_id is None:
            return False
        dialog = FollowUpDialog(self.clinic, self.resident_id, form, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.changed.emit()
            return True
        return False

    def correct(self) -> None:
        visit_id = self._selected()
        if visit_id is None or self.resident_id is None:
            return
        dialog = FollowUpDialog(self.clinic, self.resident_id, correcting=visit_id, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.changed.emit()

    def void(self) -> None:
        visit_id = self._selected()
        if visit_id is None:
            return
        visit = self.clinic.follow_up(visit_id)
        reason, ok = QInputDialog.getText(
            self, "作废随访记录", f"作废 {visit.visit_date} 的随访（记录保留在历史中）。\n"
            "作废原因（如：录到了别人的档案上）：")
        if not ok:
            return
        try:
            self.clinic.void_follow_up(visit_id, reason)
        except ClinicError as exc:
            QMessageBox.warning(self, "没有作废", str(exc))
            return
        self.changed.emit()

