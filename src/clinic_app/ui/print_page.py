"""打印 page: choose what and for whom, see it, then print it at 100% or save it as a PDF.

Flow: the options make a ``PrintSpec``; 生成预览 runs its print job in the background
(``run_task``: progress, cancel) on the worker's own connection. A character the font lacks
comes back as the job's result, the page lists the names and asks (用□代替并打印 / 跳过这些人 /
取消) and runs the job again with that choice. The finished PDF is shown page by page with a
summary: how many cards on how many pages, who was left out and why, what to do at the
printer. 打印 goes through the system print dialog, the pages drawn at their real size
(``pdf_view.print_pages``); only after the pages were sent, or the PDF saved, is the job recorded
in the print log — which the 打印记录 tab lists, with one-click 重印.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import followup
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.pdf_view import PdfPages, PdfView, PrintResult, paper_name, prepare_printer
from clinic_app.ui.pdf_view import print_pages as print_pdf_pages
from clinic_app.ui.print_actions import (
    CHECKUP_REPORT,
    CONTACT_CARD,
    FOLLOW_UP_FORM,
    HOUSEHOLD_CARD,
    MONTHLY_REPORT,
    VISIT_LIST,
    PrintRequest,
)
from clinic_app.ui.print_dialogs import HouseholdPicker, MissingGlyphsDialog
from clinic_app.ui.print_log import KIND_LABELS, UNITS, PrintLog
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import ERROR_STYLE, table_view

if TYPE_CHECKING:
    from clinic_app.printing import PrintOutput

# (kind, the word on the radio button) in the order a doctor thinks of them
KIND_CHOICES = [
    (CONTACT_CARD, "联系卡"), (HOUSEHOLD_CARD, "明白卡"), (FOLLOW_UP_FORM, "随访单"),
    (CHECKUP_REPORT, "体检报告"), (VISIT_LIST, "随访名单"), (MONTHLY_REPORT, "月报"),
]
LAYOUTS = [("duplex", "A4 双面，每页 10 张（长边翻转，沿裁切线裁开）"),
           ("foldover", "A4 单面，每页 5 张（正反面并排，裁下对折）"),
           ("single", "单张卡片 85.6×54 毫米（卡片打印机）")]
PAPERS = [("A4", "A4，每户一页"), ("A5", "A5，每户一页（字小一些）")]
SKIPPED_COLUMNS = [
    Column("姓名", lambda r: r["name"] or "（无姓名）"),
    Column("原因", lambda r: r["reason"]),
]


@dataclass(frozen=True)
class PrintSpec:
    """Everything one print job needs; built from the page's options (or a log row)."""

    kind: str
    village_id: str | None = None
    household_ids: tuple[str, ...] | None = None
    resident_ids: tuple[str, ...] | None = None
    changed_only: bool = False
    layout: str = "duplex"
    paper: str = "A4"
    doctor_id: str | None = None
    due_within: int | None = None
    form: str | None = None
    blank: bool = False  # forms: leave past visits out
    nameless: bool = False  # forms: blank forms with nobody's name
    blank_columns: int = 1
    copies: int = 1
    month: str | None = None
    reprint_of: str | None = None  # a print_log job id
    title: str = ""  # whom, in words, for the summary and the file name

    def run(self, clinic: Clinic, missing: str, progress: Progress) -> PrintOutput:
        """Render the PDF (nothing is recorded here)."""
        from clinic_app import printing  # reportlab loads on the first print, not at start-up

        common: dict[str, Any] = {"missing": missing, "progress": progress}
        households = list(self.household_ids) if self.household_ids is not None else None
        residents = list(self.resident_ids) if self.resident_ids is not None else None
        if self.reprint_of:
            return printing.reprint(clinic, self.reprint_of, **common)
        if self.kind == CONTACT_CARD:
            return printing.contact_cards_pdf(
                clinic, village_id=self.village_id, household_ids=households,
                resident_ids=residents, changed_only=self.changed_only, layout=self.layout,
                **common)
        if self.kind == HOUSEHOLD_CARD:
            return printing.household_cards_pdf(
                clinic, village_id=self.village_id, household_ids=households,
                resident_ids=residents, changed_only=self.changed_only, paper=self.paper,
                **common)
        if self.kind == FOLLOW_UP_FORM:
            if self.nameless:
                return printing.follow_up_forms_pdf(clinic, form=self.form, copies=self.copies,
                                                    **common)
            if residents is None and households is not None:
                residents = clinic.print_subjects("resident", household_ids=households)
            if residents is None and self.village_id is None:
                # The whole township's round: everyone on today's work list.
                residents = list(dict.fromkeys(i["id"] for i in clinic.work_list()))
            return printing.follow_up_forms_pdf(
                clinic, resident_ids=residents, village_id=self.village_id, form=self.form,
                blank=self.blank, blank_columns=self.blank_columns, **common)
        if self.kind == CHECKUP_REPORT:
            if residents is None:
                residents = clinic.print_subjects("resident", village_id=self.village_id,
                                                  household_ids=households)
            return printing.checkup_report_pdf(clinic, residents, **common)
        if self.kind == VISIT_LIST:
            return printing.visit_list_pdf(clinic, village_id=self.village_id,
                                           doctor_id=self.doctor_id,
                                           due_within=self.due_within, **common)
        if self.kind == MONTHLY_REPORT:
            return printing.monthly_report_pdf(clinic, self.month, **common)[0]
        raise ClinicError(f"不认识的打印种类 {self.kind}")


def duplex_for(output: PrintOutput) -> QPrinter.DuplexMode | None:
    """How the sheets must go through the printer (None: leave the user's setting)."""
    if output.kind == CONTACT_CARD:
        layout = output.params.get("layout", "duplex")
        if layout == "duplex":  # backs are mirrored for a flip on the long edge
            return QPrinter.DuplexMode.DuplexLongSide
        if layout == "foldover":  # front and back side by side: one side only
            return QPrinter.DuplexMode.DuplexNone
        return None
    if output.kind == HOUSEHOLD_CARD:
        return QPrinter.DuplexMode.DuplexNone  # never another household on the back
    return None


def printer_hint(output: PrintOutput) -> str:
    """What to do at the printer, in one sentence."""
    layout = output.params.get("layout", "duplex")
    if output.kind == CONTACT_CARD and layout == "duplex":
        return ("用 A4 纸双面打印、长边翻转，按实际大小（100%）打印；正面一页、背面一页，"
                "打印后沿裁切标记裁开。")
    if output.kind == CONTACT_CARD and layout == "foldover":
        return "用 A4 纸单面打印，按实际大小（100%）；沿实线裁下，沿虚线对折。"
    if output.kind == CONTACT_CARD:
        return "卡片打印机：奇数页是正面，偶数页是背面；请在打印机属性中选择双面打印。"
    return "按实际大小（100%）打印。"


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "", text)[:40]


class PrintPage(QWidget):
    """The 打印 page: options on the left, summary and preview on the right; 打印记录 tab."""

    message = Signal(str)  # for the status bar

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.output: PrintOutput | None = None
        self.spec: PrintSpec | None = None
        self.task: Task | None = None
        self.glyph_dialog: MissingGlyphsDialog | None = None
        self.picker: HouseholdPicker | None = None
        self.printer: QPrinter | None = None  # kept: the user's printer choice stays
        # The main window keeps every job it must cancel and wait for when it closes.
        self.track: Callable[[Task], None] = lambda task: None
        self._households: tuple[str, ...] = ()
        self._household_label = ""
        self._residents: tuple[str, ...] = ()
        self._print_when_ready = False
        self._loading = False
        self._defaults_set = False

        self.tabs = QTabWidget()
        self.tabs.setObjectName("printTabs")
        self.tabs.addTab(self._build_print_tab(), "打印")
        self.log = PrintLog(clinic)
        self.log.reprint.connect(self.reprint)
        self.tabs.addTab(self.log, "打印记录")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.reload_choices()
        self._kind_changed()
        self._show_nothing("选好要打印什么、打印谁，按“生成预览”。预览无误后再打印或另存为 PDF。")

    # ------------------------------------------------------------------ building
    def _build_print_tab(self) -> QWidget:
        # What
        self.kind_group = QButtonGroup(self)
        what = QGroupBox("打印什么")
        grid = QGridLayout(what)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for index, (kind, text) in enumerate(KIND_CHOICES):
            button = QRadioButton(text)
            button.setObjectName(f"kind_{kind}")
            button.setToolTip(KIND_LABELS[kind])
            self.kind_group.addButton(button, index)
            self.kind_buttons[kind] = button
            grid.addWidget(button, index // 3, index % 3)
        self.kind_buttons[CONTACT_CARD].setChecked(True)
        self.kind_group.idToggled.connect(lambda _id, on: on and self._kind_changed())

        # For whom
        who = QGroupBox("打印谁")
        self.who_form = QFormLayout(who)
        self.who_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.village = QComboBox()
        self.village.setObjectName("printVillage")
        self.scope_group = QButtonGroup(self)
        self.scope_all = QRadioButton("全村")
        self.scope_all.setObjectName("scopeAll")
        self.scope_households = QRadioButton("选定的户")
        self.scope_households.setObjectName("scopeHouseholds")
        self.pick_button = QPushButton("选择户(&H)…")
        self.pick_button.setObjectName("pickHouseholds")
        self.pick_button.clicked.connect(self.pick_households)
        self.scope_people = QRadioButton("选定的居民")
        self.scope_people.setObjectName("scopePeople")
        self.scope_nameless = QRadioButton("不填姓名的空白表")
        self.scope_nameless.setObjectName("scopeNameless")
        for button in (self.scope_all, self.scope_households, self.scope_people,
                       self.scope_nameless):
            self.scope_group.addButton(button)
        self.scope_all.setChecked(True)
        scope = QWidget()
        scope_layout = QGridLayout(scope)
        scope_layout.setContentsMargins(0, 0, 0, 0)
        scope_layout.addWidget(self.scope_all, 0, 0)
        scope_layout.addWidget(self.scope_households, 1, 0)
        scope_layout.addWidget(self.pick_button, 1, 1)
        scope_layout.addWidget(self.scope_people, 2, 0, 1, 2)
        scope_layout.addWidget(self.scope_nameless, 3, 0, 1, 2)
        self.changed_only = QCheckBox("只打印有变化的")
        self.changed_only.setObjectName("changedOnly")
        self.changed_only.setToolTip("只打印上次打印之后内容变了的（或从未打印过的）")
        self.doctor = QComboBox()
        self.doctor.setObjectName("printDoctor")
        self.due_within = QSpinBox()
        self.due_within.setObjectName("dueWithin")
        self.due_within.setRange(0, 60)
        self.due_within.setSuffix(" 天内到期的")
        self.month = QDateEdit()
        self.month.setObjectName("printMonth")
        self.month.setDisplayFormat("yyyy-MM")
        self.form = QComboBox()
        self.form.setObjectName("printForm")
        self.form.addItem("按各人的慢病", None)
        for code, name in followup.FORM_SHORT.items():
            self.form.addItem(name, code)
        self.blank = QCheckBox("不填以往随访")
        self.blank.setObjectName("blankForms")
        self.blank_columns = QSpinBox()
        self.blank_columns.setRange(1, 4)
        self.blank_columns.setSuffix(" 栏")
        self.copies = QSpinBox()
        self.copies.setObjectName("copies")
        self.copies.setRange(1, 200)
        self.copies.setSuffix(" 份")
        self.rows: dict[str, int] = {}
        for key, label, widget in (
                ("village", "村(&V)", self.village), ("scope", "范围", scope),
                ("changed", "", self.changed_only), ("doctor", "医生", self.doctor),
                ("due", "包括", self.due_within), ("month", "月份", self.month),
                ("form", "表格", self.form), ("blank", "", self.blank),
                ("columns", "留空", self.blank_columns), ("copies", "份数", self.copies)):
            self.rows[key] = self.who_form.rowCount()
            self.who_form.addRow(label, widget)

        # Layout / paper
        self.layout_box = QGroupBox("版式")
        self.layout_stack = QStackedWidget()
        self.layout_buttons: dict[str, QRadioButton] = {}
        self.paper_buttons: dict[str, QRadioButton] = {}
        for choices, store, name in ((LAYOUTS, self.layout_buttons, "layout"),
                                     (PAPERS, self.paper_buttons, "paper")):
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(0, 0, 0, 0)
            group = QButtonGroup(page)
            for code, text in choices:
                button = QRadioButton(text)
                button.setObjectName(f"{name}_{code}")
                group.addButton(button)
                page_layout.addWidget(button)
                store[code] = button
                button.toggled.connect(self._options_changed)
            store[choices[0][0]].setChecked(True)
            self.layout_stack.addWidget(page)
        self.paper_note = QLabel()
        self.paper_note.setWordWrap(True)
        self.paper_note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.layout_stack.addWidget(self.paper_note)
        QVBoxLayout(self.layout_box).addWidget(self.layout_stack)

        self.generate_button = QPushButton("生成预览(&G)")
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(lambda: self.generate())
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(what)
        left_layout.addWidget(who)
        left_layout.addWidget(self.layout_box)
        left_layout.addWidget(self.generate_button)
        left_layout.addStretch(1)
        scroll = QScrollArea()  # the options still fit at 125% scaling on 1366×768
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(340)

        for widget in (self.village, self.doctor, self.form):
            widget.currentIndexChanged.connect(self._options_changed)
        for box in (self.changed_only, self.blank):
            box.toggled.connect(self._options_changed)
        for spin in (self.due_within, self.blank_columns, self.copies):
            spin.valueChanged.connect(self._options_changed)
        self.month.dateChanged.connect(self._options_changed)
        self.scope_group.buttonToggled.connect(lambda _b, on: on and self._scope_changed())

        # Summary, actions, preview
        self.summary = QLabel()
        self.summary.setObjectName("printSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.skipped_model = RowsModel(SKIPPED_COLUMNS, self)
        self.skipped = table_view(self.skipped_model, "skippedList")
        self.print_button = QPushButton("打印(&P)…")
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(lambda: self.print_document())
        self.save_button = QPushButton("另存为 PDF(&S)…")
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(lambda: self.save_pdf())
        self.pages_label = QLabel()
        self.pages_label.setObjectName("pagesLabel")
        zoom_out = QPushButton("缩小")
        zoom_in = QPushButton("放大")
        fit = QPushButton("适合宽度")
        actual = QPushButton("实际大小")
        zoom_out.clicked.connect(lambda: self._zoom(1 / 1.25))
        zoom_in.clicked.connect(lambda: self._zoom(1.25))
        fit.clicked.connect(lambda: self.preview.set_zoom(None))
        actual.clicked.connect(lambda: self.preview.set_zoom(1.0))
        actions = QHBoxLayout()
        actions.addWidget(self.print_button)
        actions.addWidget(self.save_button)
        actions.addStretch(1)
        actions.addWidget(self.pages_label)
        for button in (zoom_out, zoom_in, fit, actual):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            actions.addWidget(button)
        self.preview = PdfView()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.summary)
        right_layout.addWidget(self.skipped)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.preview, 1)

        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 840])
        splitter.setChildrenCollapsible(False)
        return splitter

    # ------------------------------------------------------------------ choices
    def reload_choices(self) -> None:
        """Villages, doctors, this month (the register may have changed since last shown)."""
        self._loading = True
        current = self.village.currentData()
        self.village.clear()
        self.village.addItem("全部村", None)
        for place in self.clinic.places("village"):
            self.village.addItem(place.name, place.id)
        # First time: the first village (a whole township's cards is a deliberate choice).
        index = self.village.findData(current) if self._defaults_set else -1
        self.village.setCurrentIndex(index if index >= 0 else min(1, self.village.count() - 1))
        doctor = self.doctor.currentData()
        self.doctor.clear()
        self.doctor.addItem("全部医生", None)
        for row in self.clinic.doctors():
            self.doctor.addItem(row["name"], row["id"])
        self.doctor.setCurrentIndex(max(0, self.doctor.findData(doctor)))
        today = self.clinic.today()
        if not self._defaults_set:  # once: later the user's choice stays
            self._defaults_set = True
            self.month.setDate(QDate(today.year, today.month, 1))
            self.due_within.setValue(int(self.clinic.profile.value(
                "followup.due_soon_days", today, 7) or 7))
        self._loading = False

    def kind(self) -> str:
        return KIND_CHOICES[self.kind_group.checkedId()][0]

    def _kind_changed(self) -> None:
        kind = self.kind()
        shows = {
            "village": kind != MONTHLY_REPORT,
            "scope": kind in (CONTACT_CARD, HOUSEHOLD_CARD, FOLLOW_UP_FORM, CHECKUP_REPORT),
            "changed": kind in (CONTACT_CARD, HOUSEHOLD_CARD),
            "doctor": kind == VISIT_LIST, "due": kind == VISIT_LIST,
            "month": kind == MONTHLY_REPORT,
            "form": kind == FOLLOW_UP_FORM, "blank": kind == FOLLOW_UP_FORM,
            "columns": kind == FOLLOW_UP_FORM, "copies": kind == FOLLOW_UP_FORM,
        }
        for key, row in self.rows.items():
            self.who_form.setRowVisible(row, shows[key])
        self.scope_nameless.setVisible(kind == FOLLOW_UP_FORM)
        self.scope_all.setText("今日待办中该村的患者" if kind == FOLLOW_UP_FORM else "全村")
        if self.scope_nameless.isChecked() and kind != FOLLOW_UP_FORM:
            self.scope_all.setChecked(True)
        if kind == CONTACT_CARD:
            self.layout_stack.setCurrentIndex(0)
        elif kind == HOUSEHOLD_CARD:
            self.layout_stack.setCurrentIndex(1)
        else:
            self.layout_stack.setCurrentIndex(2)
            self.paper_note.setText({
                FOLLOW_UP_FORM: "A4 纵向，每人每种表一页，留有手写的空栏。",
                CHECKUP_REPORT: "A4 纵向，每人一份。",
                VISIT_LIST: "A4 横向，按风险排序，留有打勾和记录的空栏。",
                MONTHLY_REPORT: "A4 横向，全乡镇各村汇总。"}[kind])
        self._scope_changed()

    def _scope_changed(self) -> None:
        self.scope_people.setVisible(bool(self._residents) or self.scope_people.isChecked())
        nameless = self.scope_nameless.isChecked()
        if nameless and self.form.currentData() is None:
            self.form.setCurrentIndex(1)  # a blank form is of one kind: 高血压 unless changed
        for key in ("blank", "columns"):
            self.who_form.setRowVisible(self.rows[key], self.kind() == FOLLOW_UP_FORM
                                        and not nameless)
        self.who_form.setRowVisible(self.rows["copies"], self.kind() == FOLLOW_UP_FORM
                                    and nameless)
        self.village.setEnabled(not (nameless or self.scope_people.isChecked()))
        self._options_changed()

    def _options_changed(self, *_: object) -> None:
        if self._loading or self.output is None:
            return
        # The preview no longer matches the options: never print what was not asked for.
        self.output = None
        self._show_nothing("选项已改变，请按“生成预览”重新生成。")
        self.preview.set_pdf(None)

    def _zoom(self, factor: float) -> None:
        current = self.preview.zoom or self.preview.scale() * 72 / self.preview.logicalDpiX()
        self.preview.set_zoom(max(0.25, min(4.0, current * factor)))

    # ------------------------------------------------------------------ whom
    def pick_households(self) -> HouseholdPicker | None:
        village_id = self.village.currentData()
        if village_id is None:
            self._show_nothing("请先选一个村，再选择其中的户。")
            return None
        self.picker = HouseholdPicker(self.clinic.village_households(village_id),
                                      self._households, self.village.currentText(), self)
        self.picker.picked.connect(self._households_picked)
        self.picker.open()
        return self.picker

    def _households_picked(self, rows: list[dict[str, Any]]) -> None:
        self._households = tuple(r["id"] for r in rows)
        names = [f"{r['head_name'] or '（无户主）'}户" for r in rows]
        self._household_label = "、".join(names[:3]) + (f" 等 {len(rows)} 户"
                                                        if len(rows) > 3 else "")
        self.scope_households.setText(f"选定的户：{self._household_label}" if rows
                                      else "选定的户")
        self.scope_households.setChecked(bool(rows))
        self._options_changed()

    def current_spec(self) -> PrintSpec:
        """The job the options describe."""
        kind = self.kind()
        village_id = self.village.currentData()
        households: tuple[str, ...] | None = None
        residents: tuple[str, ...] | None = None
        title = self.village.currentText()
        if self.scope_households.isChecked() and kind != VISIT_LIST:
            if not self._households:
                raise ClinicError("还没有选择户：请按“选择户…”选出要打印的户")
            households, village_id, title = self._households, None, self._household_label
        elif self.scope_people.isChecked() and kind != VISIT_LIST:
            residents, village_id = self._residents, None
            title = self.scope_people.text().removeprefix("选定的居民：")
        layout = next(c for c, b in self.layout_buttons.items() if b.isChecked())
        paper = next(c for c, b in self.paper_buttons.items() if b.isChecked())
        month = self.month.date().toString("yyyy-MM")
        if kind == MONTHLY_REPORT:
            title = month
        if kind == VISIT_LIST and self.doctor.currentData():
            title = f"{title} {self.doctor.currentText()}"
        nameless = kind == FOLLOW_UP_FORM and self.scope_nameless.isChecked()
        if nameless and self.form.currentData() is None:
            raise ClinicError("打印不填姓名的空白表，请在“表格”中选一种随访表")
        return PrintSpec(
            kind, village_id=village_id, household_ids=households, resident_ids=residents,
            changed_only=self.changed_only.isChecked() and kind in (CONTACT_CARD,
                                                                    HOUSEHOLD_CARD),
            layout=layout, paper=paper, doctor_id=self.doctor.currentData(),
            due_within=self.due_within.value(), form=self.form.currentData(),
            blank=self.blank.isChecked(), nameless=nameless,
            blank_columns=self.blank_columns.value(), copies=self.copies.value(),
            month=month, title="空白表" if nameless else title)

    def start(self, request: PrintRequest) -> Task | None:
        """Preset the options from another page's request and generate the preview."""
        self._loading = True
        self.kind_buttons[request.kind].setChecked(True)
        if request.village_id is not None:
            self.village.setCurrentIndex(max(0, self.village.findData(request.village_id)))
        elif request.kind == VISIT_LIST:
            self.village.setCurrentIndex(0)  # 全部村
        if request.household_ids:
            self._households = request.household_ids
            self._household_label = request.label
            self.scope_households.setText(f"选定的户：{request.label}")
            self.scope_households.setChecked(True)
        elif request.resident_ids:
            self._residents = request.resident_ids
            self.scope_people.setText(f"选定的居民：{request.label}")
            self.scope_people.setVisible(True)
            self.scope_people.setChecked(True)
        else:
            self.scope_all.setChecked(True)
        if request.month:  # 打印月报 on the 统计 page: the month it shows
            self.month.setDate(QDate.fromString(request.month + "-01", "yyyy-MM-dd"))
        self._loading = False
        self._scope_changed()
        self.tabs.setCurrentIndex(0)
        return self.generate()

    # ------------------------------------------------------------------ generating
    def generate(self, spec: PrintSpec | None = None, missing: str = "error", *,
                 then_print: bool = False) -> Task | None:
        """Run the print job in the background; the preview and summary fill in when done."""
        if self.task is not None:
            self.message.emit("上一个打印任务还在进行，请稍候")
            return None
        try:
            spec = spec or self.current_spec()
        except ClinicError as exc:
            self._show_nothing(str(exc), error=True)
            return None
        # Loaded here, in the window's thread, not in the job: importing reportlab (class
        # definitions) in a worker while the window's thread collects garbage crashed
        # CPython 3.11 in the test suite. Once per process, about 0.4 s.
        from clinic_app import printing

        self.spec = spec
        self._print_when_ready = then_print
        self.output = None
        self.preview.set_pdf(None)
        self._show_nothing("正在生成……")
        self._set_busy(True)
        path, user, today = self.clinic.path, self.clinic.user, self.clinic.today()

        def job(progress: Progress) -> Any:
            with Clinic.open(path, user=user, today=lambda: today) as worker:
                try:
                    return spec.run(worker, missing, progress)
                except (printing.MissingGlyphs, printing.NothingToPrint) as exc:
                    return exc  # not failures: the page shows them and asks

        self.task = run_task(self, "生成打印文件", job, on_done=self._generated,
                             on_error=self._failed, on_cancel=self._cancelled)
        self.track(self.task)
        return self.task

    def _set_busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy)
        self.log.reprint_button.setEnabled(not busy)
        ready = not busy and self.output is not None
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)
        if not busy:
            self.task = None

    def _generated(self, result: Any) -> None:
        from clinic_app import printing

        self._set_busy(False)
        if isinstance(result, printing.MissingGlyphs):
            self._ask_glyphs(result.problems)
            return
        if isinstance(result, printing.NothingToPrint):
            self._show_nothing(str(result), error=True, skipped=result.skipped)
            return
        self.output = result
        self.preview.set_pdf(result.pdf)
        self._show_output(result)
        self._set_busy(False)
        if self._print_when_ready:
            self._print_when_ready = False
            self.print_document()

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        self._show_nothing(message, error=True)

    def _cancelled(self) -> None:
        self._set_busy(False)
        self._show_nothing("已取消，没有生成打印文件。")

    def _ask_glyphs(self, problems: Sequence[Any]) -> None:
        assert self.spec is not None
        kind = self.spec.kind
        self.glyph_dialog = MissingGlyphsDialog(
            problems, can_skip=kind not in (VISIT_LIST, MONTHLY_REPORT) or
            bool(self.spec.reprint_of), parent=self)
        spec, then_print = self.spec, self._print_when_ready
        self.glyph_dialog.chosen.connect(
            lambda choice: self.generate(spec, choice, then_print=then_print))
        self.glyph_dialog.rejected.connect(lambda: self._show_nothing(
            f"已取消：有 {len(problems)} 处生僻字字库中没有。可以核对写法后再打印。"))
        self._show_nothing(f"有 {len(problems)} 处文字含字库中没有的字，请选择怎么办。")
        self.glyph_dialog.open()

    # ------------------------------------------------------------------ summary
    def _show_nothing(self, text: str, *, error: bool = False,
                      skipped: Sequence[Any] = ()) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(ERROR_STYLE if error else "")
        self._show_skipped(skipped)
        self.pages_label.setText("")
        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def _show_skipped(self, skipped: Sequence[Any]) -> None:
        self.skipped_model.set_rows([dataclasses.asdict(s) for s in skipped])
        self.skipped.setVisible(bool(skipped))
        # As tall as its rows, up to five; the preview keeps the rest of the height.
        rows = min(5, len(skipped))
        self.skipped.setFixedHeight(self.skipped.horizontalHeader().sizeHint().height()
                                    + rows * self.skipped.verticalHeader().defaultSectionSize()
                                    + 2 * self.skipped.frameWidth())

    def summary_text(self, output: PrintOutput) -> str:
        from clinic_app.printing.jobs import skipped_summary

        assert self.spec is not None
        pages = PdfPages(output.pdf)
        try:
            paper = paper_name(*pages.sizes[0])
        finally:
            pages.close()
        label = KIND_LABELS.get(output.kind, output.kind)
        unit = UNITS.get(output.kind, "份")
        if output.kind == VISIT_LIST:
            count = f"{output.params.get('count', 0)} 人，"
        elif output.kind == MONTHLY_REPORT:
            count = ""
        else:
            count = f"{len(output.items)} {unit}，"
        whom = f"（{self.spec.title}）" if self.spec.title else ""
        lines = [f"{'重印' if self.spec.reprint_of else ''}{label}{whom}：{count}"
                 f"共 {output.pages} 页 {paper}。" + printer_hint(output)]
        if output.skipped:
            lines.append(f"未打印 {len(output.skipped)} 人（{skipped_summary(output.skipped)}），"
                         "名单见下表。")
        if output.marked:
            lines.append("已用□代替字库中没有的字，打印后请手写补上：" + "；".join(
                f"{p.where}“{p.text}”" for p in output.marked[:5])
                + (f" 等 {len(output.marked)} 处" if len(output.marked) > 5 else ""))
        return "\n".join(lines)

    def _show_output(self, output: PrintOutput) -> None:
        self.summary.setText(self.summary_text(output))
        self.summary.setStyleSheet("")
        self._show_skipped(output.skipped)
        self.pages_label.setText(f"共 {output.pages} 页")

    # ------------------------------------------------------------------ paper and files
    def _ask_printer(self, printer: QPrinter) -> bool:
        """The system print dialog (tests replace this: a native dialog cannot be answered
        offscreen)."""
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("打印")
        # Every page is printed: a page range would print half a card sheet's backs.
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, False)
        return dialog.exec() == QDialog.DialogCode.Accepted

    def print_document(self) -> Task | None:
        """The system print dialog, then the pages at 100% in the background; recorded after."""
        output = self.output
        if output is None or self.task is not None:
            return None
        if self.printer is None:
            self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer = self.printer
        pages = PdfPages(output.pdf)
        try:
            prepare_printer(printer, pages, duplex_for(output))
            wanted = printer.pageLayout().pageSize()
        finally:
            pages.close()
        if not self._ask_printer(printer):
            self.message.emit("已取消打印")
            return None
        printer.setFullPage(True)  # whatever the dialog did: the page's corner is the origin
        chosen = printer.pageLayout().pageSize()
        if not chosen.isEquivalentTo(wanted) and QMessageBox.question(
                self, "纸张不同",
                f"文档是 {wanted.name()}，打印机设为 {chosen.name()}。\n仍按实际大小（100%）"
                "打印吗？（不缩放，卡片才能和裁切线对齐）") != QMessageBox.StandardButton.Yes:
            return None
        pdf = output.pdf

        def job(progress: Progress) -> PrintResult:
            document = PdfPages(pdf)
            try:
                return print_pdf_pages(document, printer, progress)
            finally:
                document.close()

        self._set_busy(True)
        self.task = run_task(self, "打印", job,
                             on_done=lambda result: self._printed(output, result),
                             on_error=self._print_failed, on_cancel=self._print_cancelled)
        self.track(self.task)  # closing the window cancels the print (the printer aborts it)
        return self.task

    def _printed(self, output: PrintOutput, result: PrintResult) -> None:
        self._set_busy(False)
        job_id = self._record(output, result.printer)
        self.message.emit(f"已送到{result.printer}：{result.pages} 页" +
                          ("，已记入打印记录" if job_id else ""))

    def _print_failed(self, message: str) -> None:
        self._set_busy(False)
        QMessageBox.warning(self, "打印失败", message + "\n没有记入打印记录。")

    def _print_cancelled(self) -> None:
        self._set_busy(False)
        self.message.emit("已取消打印，没有记入打印记录")

    def default_file_name(self) -> str:
        assert self.output is not None and self.spec is not None
        label = KIND_LABELS.get(self.output.kind, "打印")
        parts = [label, _safe_name(self.spec.title), self.clinic.today().isoformat()]
        return "-".join(p for p in parts if p) + ".pdf"

    def save_pdf(self, path: str | None = None) -> Path | None:
        """Save the previewed PDF (a file dialog unless `path` is given); recorded after."""
        output = self.output
        if output is None:
            return None
        if path is None:
            start = Path.home() / self.default_file_name()
            path, _ = QFileDialog.getSaveFileName(self, "另存为 PDF", str(start),
                                                  "PDF 文件 (*.pdf)")
            if not path:
                return None
        try:
            saved = output.save(path)
        except ClinicError as exc:  # the reason in Chinese (fileio)
            QMessageBox.warning(self, "保存失败", str(exc))
            return None
        job_id = self._record(output, f"PDF {saved.name}")
        self.message.emit(f"已保存 {saved}" + ("，已记入打印记录" if job_id else ""))
        return saved

    def _record(self, output: PrintOutput, via: str) -> str | None:
        """Write the print log (after the paper or the file really exists)."""
        try:
            job_id = dataclasses.replace(output, params={**output.params, "via": via}
                                         ).record(self.clinic)
        except ClinicError as exc:
            QMessageBox.warning(self, "打印记录", f"已打印，但没能记入打印记录：{exc}")
            return None
        self.log.refresh()
        return job_id

    # ------------------------------------------------------------------ reprint
    def reprint(self, job_id: str, what: str = "") -> Task | None:
        """One click in 打印记录: the same job again, straight to the print dialog."""
        self.tabs.setCurrentIndex(0)
        return self.generate(PrintSpec("", reprint_of=job_id, title=what), then_print=True)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.task is None:
            self.reload_choices()
            self.log.refresh()


def print_pages(clinic: Clinic) -> dict[str, QWidget]:
    """The pages this module adds to the main window's navigation (key → page)."""
    return {"printing": PrintPage(clinic)}


def connect_print_pages(window: Any) -> None:
    """Wire the 打印 page into the main window: its messages go to the status bar."""
    page = window.pages["printing"]
    page.message.connect(lambda text: window.statusBar().showMessage(text, 10000))
    page.track = window._tasks.append  # cancelled and waited for when the window closes
