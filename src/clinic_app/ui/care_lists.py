"""Checkups and medicine boxes across the register: the 今日待办 lists (体检未做, 药已用完或快用完),
the 体检 page (coverage per village as a chart, and who is still due) and the 药箱 page
(quarterly reconciliation with export, runs-out list). Also the small hooks that put these and
the resident-page tabs in place, so the shared pages change by one line each.

Lists over a whole township are computed in the background (``ui/tasks.run_task``) on a
``Clinic`` of their own, as 今日待办 does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain import codes, medicine
from clinic_app.domain.models import yuan
from clinic_app.errors import ClinicError
from clinic_app.export import write_xlsx
from clinic_app.progress import Progress
from clinic_app.ui.checkup_form import CheckupsPanel
from clinic_app.ui.medicine_box import OUT_COLOUR, MedicineBoxPanel
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import TableOrNote

DUE_COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("性别", lambda r: r["sex"]),
    Column("年龄", lambda r: r["age"], align_right=True),
    Column("村组", lambda r: f"{r['village']}{r['group_name'] or ''}"),
    Column("户编号", lambda r: r["household_no"]),
    Column("上次体检", lambda r: r["last_on"] or "从未体检"),
    Column("电话", lambda r: r["phone"]),
]
RUNS_OUT_COLUMNS = [
    Column("姓名", lambda r: r["name"]),
    Column("药品", lambda r: f"{r['medicine']} {r['strength']}".strip()),
    Column("病种", lambda r: r["condition"]),
    Column("余药", lambda r: r["supply"]),
    Column("预计用完", lambda r: r["runs_out_on"]),
    Column("村组", lambda r: f"{r['village'] or ''}{r['group_name'] or ''}"),
    Column("电话", lambda r: r["phone"]),
]
COVERAGE_COLUMNS = [
    Column("村", lambda r: r["village"]),
    Column("应体检", lambda r: r["eligible"], align_right=True),
    Column("已体检", lambda r: r["checked"], align_right=True),
    Column("未体检", lambda r: r["due"], align_right=True),
    Column("覆盖率", lambda r: "—" if r["percent"] is None else f"{r['percent']:g}%",
           align_right=True),
    Column("体检人次", lambda r: r["checkups"], align_right=True),
    Column("有异常", lambda r: r["abnormal"], align_right=True),
    Column("补偿费用(元)", lambda r: yuan(r["cost_fen"]), align_right=True),
]
REPORT_COLUMNS = [
    Column("村", lambda r: r["village"] or ""),
    Column("姓名", lambda r: r["name"]),
    Column("日期", lambda r: r["delivered_on"]),
    Column("类型", lambda r: medicine.KINDS.get(r["kind"], r["kind"])),
    Column("药品", lambda r: r["medicine"]),
    Column("数量", lambda r: f"{r['quantity']}{r['unit']}", align_right=True),
    Column("金额(元)", lambda r: yuan(r["quantity"] * r["unit_price_fen"]), align_right=True),
    Column("医保", lambda r: yuan(r["insurance_fen"]), align_right=True),
    Column("免费基金", lambda r: yuan(r["free_fund_fen"]), align_right=True),
    Column("个人", lambda r: yuan(r["patient_fen"]), align_right=True),
    Column("票据号", lambda r: r["receipt_no"]),
    Column("送药人", lambda r: r["delivered_by_name"] or ""),
]


# The runs-out lists hold two kinds of rows, ran out first (most days without medicine on
# top: they need a call, or the medicine stopping on the box) then running out within
# RUNS_OUT_SOON_DAYS; their titles say both, and the ran-out rows are tinted as on the box tab.
RUNS_OUT_TITLE = "药已用完或快用完"
RUNS_OUT_EMPTY = f"没有已用完或 {medicine.RUNS_OUT_SOON_DAYS} 天内用完的药。"


class RunsOutModel(RowsModel):
    """The runs-out rows, those already out of medicine tinted red."""

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid():
            return OUT_COLOUR if self.row_data(index.row())["days_left"] < 0 else None
        return super().data(index, role)


def _open_on(clinic: Clinic) -> tuple[Any, dt.date]:
    return clinic.path, clinic.today()


# ---------------------------------------------------------------------- 今日待办
class CareLists(QTabWidget):
    """体检未做 and 药快用完 for 今日待办, computed in the background with the work list."""

    open_resident = Signal(str)

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("careLists")
        self.clinic = clinic
        self.task: Task | None = None
        self.due_model = RowsModel(DUE_COLUMNS, self)
        self.due = TableOrNote(self.due_model, "checkupsDue", "今年应体检的居民都已体检。")
        self.runs_model = RunsOutModel(RUNS_OUT_COLUMNS, self)
        self.runs = TableOrNote(self.runs_model, "runsOut", RUNS_OUT_EMPTY)
        self.due.view.activated.connect(lambda i: self.open_resident.emit(
            self.due_model.row_data(i.row())["id"]))
        self.runs.view.activated.connect(lambda i: self.open_resident.emit(
            self.runs_model.row_data(i.row())["resident_id"]))
        self.addTab(self.due, "体检未做")
        self.addTab(self.runs, RUNS_OUT_TITLE)
        self.setTabToolTip(1, f"已用完的（在前）和 {medicine.RUNS_OUT_SOON_DAYS} 天内用完的药，"
                              "按每日用量和已发数量计算")

    @classmethod
    def attach(cls, page: Any, splitter: QSplitter) -> CareLists:
        """Add the lists under 今日待办's work list; they follow its village and refresh."""
        lists = cls(page.clinic)
        lists.open_resident.connect(page.open_resident)
        splitter.addWidget(lists)
        splitter.setSizes([360, 140, 180])
        page.care_lists = lists
        return lists

    def refresh(self, village_id: str | None = None) -> Task:
        path, today = _open_on(self.clinic)

        def job(progress: Progress) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            progress.update(0, 0, "正在计算体检和药箱待办……")
            with Clinic.open(path, today=lambda: today) as worker:
                return (worker.checkups_due(village_id=village_id),
                        worker.runs_out_soon(village_id=village_id))

        self.task = run_task(self, "计算体检和药箱待办", job, on_done=self._show,
                             on_error=lambda text: self.setTabText(0, "体检未做（计算失败）"))
        return self.task

    def _show(self, result: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        due, runs = result
        self.due_model.set_rows(due)
        self.runs_model.set_rows(runs)
        self.setTabText(0, f"体检未做（{len(due)}）")
        out = sum(1 for r in runs if r["days_left"] < 0)
        self.setTabText(1, f"{RUNS_OUT_TITLE}（{len(runs)}，已用完 {out}）" if out
                        else f"{RUNS_OUT_TITLE}（{len(runs)}）")


# ---------------------------------------------------------------------- 体检 page
class CoverageChart(pg.PlotWidget):
    """Checkup coverage per village as bars, the profile's target as a dashed line: the
    villages lagging behind stand out before anyone reads a number."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("coverageChart")
        self.setBackground("w")
        self.setLabel("left", "体检覆盖率 (%)")
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.showGrid(y=True, alpha=0.2)
        self.setYRange(0, 112, padding=0)
        self.setMinimumHeight(160)
        self.bars: pg.BarGraphItem | None = None
        self.labels: list[pg.TextItem] = []
        self.target_line: pg.InfiniteLine | None = None

    def set_rows(self, rows: list[dict[str, Any]], target: float | None) -> None:
        self.clear()
        self.labels = []
        shown = [r for r in rows if r["eligible"]]
        xs = list(range(len(shown)))
        heights = [r["percent"] or 0 for r in shown]
        brushes = [pg.mkBrush("#2e7d32" if target is None or h >= target else
                              "#f9a825" if h >= (target or 0) * 0.8 else "#c62828")
                   for h in heights]
        if shown:
            self.bars = pg.BarGraphItem(x=xs, height=heights, width=0.6, brushes=brushes)
            self.addItem(self.bars)
        for x, row in zip(xs, shown, strict=True):
            text = pg.TextItem(f"{row['percent']:g}%", color="#333333", anchor=(0.5, 1))
            text.setPos(x, (row["percent"] or 0) + 1)
            self.addItem(text)
            self.labels.append(text)
        if target is not None:
            self.target_line = pg.InfiniteLine(
                pos=target, angle=0, pen=pg.mkPen("#555555", width=1,
                                                  style=Qt.PenStyle.DashLine))
            self.addItem(self.target_line)
            label = pg.TextItem(f"目标 {target:g}%", color="#555555", anchor=(0, 1))
            label.setPos(-0.55, target)
            self.addItem(label)
        axis = self.getAxis("bottom")
        axis.setTicks([[(x, r["village"]) for x, r in zip(xs, shown, strict=True)]])
        self.setXRange(-0.6, max(len(shown), 1) - 0.4, padding=0)


class CheckupsPage(QWidget):
    """体检: coverage per village for a year (chart and table), and everyone still due."""

    open_resident = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.setObjectName("checkupsPage")
        self.clinic = clinic
        self.task: Task | None = None
        self.year = QComboBox()
        self.year.setObjectName("checkupYear")
        this_year = clinic.today().year
        for year in range(this_year, this_year - 5, -1):
            self.year.addItem(f"{year}年", year)
        self.village = QComboBox()
        self.village.setObjectName("checkupVillage")
        self.summary = QLabel()
        self.summary.setObjectName("checkupSummary")
        self.summary.setWordWrap(True)
        refresh = QPushButton("刷新(&R)")
        refresh.clicked.connect(self.refresh)
        export = QPushButton("导出未体检名单(&E)…")
        export.clicked.connect(lambda: self.export())
        bar = QHBoxLayout()
        bar.addWidget(self.year)
        bar.addWidget(QLabel("未体检名单："))
        bar.addWidget(self.village)
        bar.addWidget(self.summary, 1)
        bar.addWidget(refresh)
        bar.addWidget(export)
        self.chart = CoverageChart()
        self.coverage_model = RowsModel(COVERAGE_COLUMNS, self)
        self.coverage = TableOrNote(self.coverage_model, "coverageTable", "还没有登记任何村。")
        self.due_model = RowsModel(DUE_COLUMNS, self)
        self.due = TableOrNote(self.due_model, "checkupsDueAll", "都已体检。")
        self.due.view.activated.connect(lambda i: self.open_resident.emit(
            self.due_model.row_data(i.row())["id"]))
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.chart)
        upper.addWidget(self.coverage)
        upper.setSizes([560, 560])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.due)
        splitter.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.reload_villages()
        self.year.currentIndexChanged.connect(self.refresh)
        self.village.currentIndexChanged.connect(self.refresh)
        self._loaded = False

    def reload_villages(self) -> None:
        self.village.blockSignals(True)
        current = self.village.currentData()
        self.village.clear()
        self.village.addItem("全部村", None)
        for place in self.clinic.places("village"):
            self.village.addItem(place.name, place.id)
        self.village.setCurrentIndex(max(0, self.village.findData(current)))
        self.village.blockSignals(False)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def refresh(self) -> Task:
        path, today = _open_on(self.clinic)
        year, village_id = self.year.currentData(), self.village.currentData()

        def job(progress: Progress) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            progress.update(0, 0, "正在统计体检覆盖率……")
            with Clinic.open(path, today=lambda: today) as worker:
                return (worker.checkup_coverage(year),
                        worker.checkups_due(year, village_id=village_id))

        self.summary.setText("正在统计……")
        self.task = run_task(self, "统计体检覆盖率", job, on_done=self._show,
                             on_error=lambda text: QMessageBox.warning(self, "体检", text))
        return self.task

    def _show(self, result: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        coverage, due = result
        self.coverage_model.set_rows(coverage)
        self.due_model.set_rows(due)
        target = coverage[0]["target"] if coverage else None
        self.chart.set_rows(coverage, target)
        eligible = sum(r["eligible"] for r in coverage)
        checked = sum(r["checked"] for r in coverage)
        cost = sum(r["cost_fen"] for r in coverage)
        percent = f"{100 * checked / eligible:.1f}%" if eligible else "—"
        standard = self.clinic.profile.value("checkup.cost_fen")
        money = f"，按标准 {yuan(standard)} 元/人计 {yuan(cost)} 元" if standard is not None \
            else f"，费用 {yuan(cost)} 元"
        self.summary.setText(f"全乡镇应体检 {eligible} 人，已体检 {checked} 人（{percent}）"
                             f"{money}；名单中未体检 {len(due)} 人")

    def export(self, path: str | None = None) -> Path | None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "导出未体检名单", f"{self.year.currentText()}未体检名单.xlsx",
                "Excel 文件 (*.xlsx)")
            if not path:
                return None
        rows = self.due_model.rows()
        try:
            write_xlsx(path, f"{self.year.currentText()}未体检", [
                "村", "组", "户编号", "姓名", "性别", "年龄", "人员类别", "上次体检", "电话"],
                ([r["village"], r["group_name"], r["household_no"], r["name"], r["sex"],
                  r["age"], codes.label(codes.POVERTY_CATEGORIES, r["poverty_category"]),
                  r["last_on"] or "从未体检", r["phone"]] for r in rows))
        except ClinicError as exc:
            QMessageBox.warning(self, "导出失败", str(exc))
            return None
        return Path(path)


# ---------------------------------------------------------------------- 药箱 page
def _quarters(today: dt.date, count: int = 8) -> list[str]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(f"{year}Q{quarter}")
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
    return out


class MedicinePage(QWidget):
    """药箱: the quarterly reconciliation (every delivery and refund, totals, export) and the
    medicines about to run out across the villages."""

    open_resident = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.setObjectName("medicinePage")
        self.clinic = clinic
        self.task: Task | None = None
        self.report: medicine.MedicineReport | None = None
        self.quarter = QComboBox()
        self.quarter.setObjectName("reportQuarter")
        for text in _quarters(clinic.today()):
            year, number = medicine.parse_quarter(text)
            self.quarter.addItem(medicine.quarter_label(year, number), text)
        self.summary = QLabel()
        self.summary.setObjectName("reportSummary")
        self.summary.setWordWrap(True)
        refresh = QPushButton("刷新(&R)")
        refresh.clicked.connect(self.refresh)
        export = QPushButton("导出对账表(&E)…")
        export.setObjectName("exportReport")
        export.clicked.connect(lambda: self.export())
        bar = QHBoxLayout()
        bar.addWidget(QLabel("季度对账"))
        bar.addWidget(self.quarter)
        bar.addWidget(self.summary, 1)
        bar.addWidget(refresh)
        bar.addWidget(export)
        self.report_model = RowsModel(REPORT_COLUMNS, self)
        self.rows = TableOrNote(self.report_model, "reportRows", "这个季度没有发药或退药记录。")
        self.rows.view.activated.connect(lambda i: self.open_resident.emit(
            self.report_model.row_data(i.row())["resident_id"]))
        self.runs_model = RunsOutModel(RUNS_OUT_COLUMNS, self)
        self.runs = TableOrNote(self.runs_model, "runsOutAll", RUNS_OUT_EMPTY)
        self.runs.view.activated.connect(lambda i: self.open_resident.emit(
            self.runs_model.row_data(i.row())["resident_id"]))
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(QLabel(f"{RUNS_OUT_TITLE}（已用完的在前，再是 "
                                      f"{medicine.RUNS_OUT_SOON_DAYS} 天内用完的；"
                                      "按每日用量和已发数量计算）"))
        lower_layout.addWidget(self.runs, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.rows)
        splitter.addWidget(lower)
        splitter.setSizes([380, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.quarter.currentIndexChanged.connect(self.refresh)
        self._loaded = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def refresh(self) -> Task:
        path, today = _open_on(self.clinic)
        quarter = self.quarter.currentData()

        def job(progress: Progress) -> tuple[medicine.MedicineReport, list[dict[str, Any]]]:
            progress.update(0, 0, "正在汇总发药记录……")
            with Clinic.open(path, today=lambda: today) as worker:
                return worker.medicine_report(quarter), worker.runs_out_soon()

        self.summary.setText("正在汇总……")
        self.task = run_task(self, "汇总季度对账", job, on_done=self._show,
                             on_error=lambda text: QMessageBox.warning(self, "药箱", text))
        return self.task

    def _show(self, result: tuple[medicine.MedicineReport, list[dict[str, Any]]]) -> None:
        report, runs = result
        self.report = report
        self.report_model.set_rows(report.rows)
        self.runs_model.set_rows(runs)
        totals = report.totals
        due = f"；请于 {report.due_on} 前报送核对" if report.due_on else ""
        self.summary.setText(
            f"{report.start}至{report.end}：{len(report.rows)} 笔，金额 {yuan(totals['total_fen'])}"
            f" 元（医保 {yuan(totals['insurance_fen'])}，免费药品基金 "
            f"{yuan(totals['free_fund_fen'])}，个人 {yuan(totals['patient_fen'])}）{due}")

    def export(self, path: str | None = None) -> Path | None:
        quarter = self.quarter.currentData()
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "导出季度对账表", f"慢病用药对账{quarter}.xlsx", "Excel 文件 (*.xlsx)")
            if not path:
                return None
        try:
            self.clinic.export_medicine_report(path, quarter)
        except ClinicError as exc:
            QMessageBox.warning(self, "导出失败", str(exc))
            return None
        return Path(path)


# ---------------------------------------------------------------------- hooks for shared pages
def care_pages(clinic: Clinic) -> dict[str, QWidget]:
    """The 体检 and 药箱 pages of the navigation, by their NAV_PAGES keys."""
    return {"checkups": CheckupsPage(clinic), "medicine": MedicinePage(clinic)}


def connect_care_pages(window: Any) -> None:
    """Open a resident from these pages as from any other list of the window."""
    for key in ("checkups", "medicine"):
        page = window.pages.get(key)
        if isinstance(page, CheckupsPage | MedicinePage):
            page.open_resident.connect(window.open_resident)


class ResidentCareTabs:
    """The resident page's 体检 and 药品发放 tabs, replaced by the checkup and box panels."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.checkups = CheckupsPanel(page.clinic)
        self.box = MedicineBoxPanel(page.clinic)
        for key, panel, title in (("checkups", self.checkups, "体检"),
                                  ("deliveries", self.box, "慢病小药箱")):
            index = page.tabs.indexOf(page.sections[key])
            page.tabs.removeTab(index)
            page.tabs.insertTab(index, panel, title)
            panel.changed.connect(self._reload)
            panel.message.connect(self._message)

    def load(self, resident_id: str) -> None:
        self.checkups.load(resident_id)
        self.box.load(resident_id)

    def _reload(self) -> None:
        if self.page.resident_id is not None:
            self.page.load(self.page.resident_id)

    def _message(self, text: str) -> None:
        if self.page.resident_id is not None:
            self.page.saved.emit(self.page.resident_id, [text])


def install_resident_tabs(page: Any) -> ResidentCareTabs:
    page.care_tabs = ResidentCareTabs(page)
    return page.care_tabs
