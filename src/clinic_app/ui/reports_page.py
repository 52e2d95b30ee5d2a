"""统计: the numbers the county reads, per village and in total, for a chosen month.

The page shows the 月报 (``printing.report.compute``) on screen: contract coverage, chronic
patients signed, follow-ups due and done on time, BP / glucose control, checkup coverage and the
month's medicine spend, with the 月报's own notes on how each is counted, so the screen, the
printed 月报 and the Excel export can never disagree. 签约率 and 按时随访率 per village are drawn
as bars: the villages lagging behind stand out before anyone reads a number.

Counting a 200k township takes seconds, so it runs through ``ui/tasks.run_task`` on a Clinic of
its own. ``printing.report`` (and with it reportlab) is imported on the first count, in the
window's thread, not at start-up (see ui/print_page.py on imports inside worker threads).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.domain.models import yuan
from clinic_app.errors import ClinicError
from clinic_app.export import Ratio, write_xlsx
from clinic_app.progress import Progress
from clinic_app.ui.models import Column, RowsModel
from clinic_app.ui.print_actions import MONTHLY_REPORT, PrintRequest, request_print
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.widgets import table_view

if TYPE_CHECKING:
    from clinic_app.printing.report import MonthlyReport

SIGNED_COLOUR = "#1565c0"
ON_TIME_COLOUR = "#2e7d32"


def rate(part: int, whole: int) -> str:
    """The 月报's rate text ("85.0%", "—" when nobody is counted), without loading reportlab
    at start-up; tests check it against printing.report.rate."""
    return f"{100 * part / whole:.1f}%" if whole else "—"


def percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def _counts(part: str, whole: str, unit: str = "人") -> Callable[[dict[str, Any]], str]:
    return lambda r: f"{r[part]}/{r[whole]} {unit}"


# (header, value of a VillageStats row as a dict): the table and the export share them.
COLUMNS = [
    Column("村", lambda r: r["village"]),
    Column("在册人数", lambda r: r["residents"], align_right=True),
    Column("签约人数", lambda r: r["contracted"], align_right=True),
    Column("签约率", lambda r: rate(r["contracted"], r["residents"]), align_right=True,
           tooltip=_counts("contracted", "residents")),
    Column("慢病患者", lambda r: r["patients"], align_right=True),
    Column("慢病签约", lambda r: r["patients_contracted"], align_right=True),
    Column("慢病签约率", lambda r: rate(r["patients_contracted"], r["patients"]),
           align_right=True, tooltip=_counts("patients_contracted", "patients")),
    Column("应随访", lambda r: r["due"], align_right=True),
    Column("按时随访", lambda r: r["due_visited"], align_right=True),
    Column("按时随访率", lambda r: rate(r["due_visited"], r["due"]), align_right=True,
           tooltip=_counts("due_visited", "due")),
    Column("血压控制率", lambda r: rate(r["bp_controlled"], r["bp_measured"]),
           align_right=True, tooltip=lambda r: f"血压达标 {r['bp_controlled']} 人 / "
                                               f"本月测量 {r['bp_measured']} 人"),
    Column("血糖控制率", lambda r: rate(r["glucose_controlled"], r["glucose_measured"]),
           align_right=True, tooltip=lambda r: f"血糖达标 {r['glucose_controlled']} 人 / "
                                               f"本月测量 {r['glucose_measured']} 人"),
    Column("本年体检", lambda r: r["checkups_year"], align_right=True),
    Column("体检覆盖率", lambda r: rate(r["checkup_done"], r["checkup_eligible"]),
           align_right=True, tooltip=lambda r: f"达到每年体检次数 {r['checkup_done']} 人 / "
                                               f"应体检 {r['checkup_eligible']} 人"),
    Column("本月药费(元)", lambda r: yuan(r["medicine_fen"]), align_right=True,
           tooltip=lambda r: f"医保 {yuan(r['insurance_fen'])} 元，免费药品基金 "
                             f"{yuan(r['free_fund_fen'])} 元，个人 {yuan(r['patient_fen'])} 元"),
]
# The export adds the counts behind each rate, so the county can re-add villages.
EXPORT_EXTRA = [
    ("血压测量人数", "bp_measured"), ("血压达标人数", "bp_controlled"),
    ("血糖测量人数", "glucose_measured"), ("血糖达标人数", "glucose_controlled"),
    ("应体检人数", "checkup_eligible"), ("体检达标人数", "checkup_done"),
]
# What the export writes instead of a column's text: rates and money as numbers the county
# can add up and chart (Excel shows the rate as a percentage and the yuan with two decimals).
EXPORT_TYPED: dict[str, Callable[[dict[str, Any]], Any]] = {
    "签约率": lambda r: Ratio(r["contracted"], r["residents"]),
    "慢病签约率": lambda r: Ratio(r["patients_contracted"], r["patients"]),
    "按时随访率": lambda r: Ratio(r["due_visited"], r["due"]),
    "血压控制率": lambda r: Ratio(r["bp_controlled"], r["bp_measured"]),
    "血糖控制率": lambda r: Ratio(r["glucose_controlled"], r["glucose_measured"]),
    "体检覆盖率": lambda r: Ratio(r["checkup_done"], r["checkup_eligible"]),
    "本月药费(元)": lambda r: decimal.Decimal(r["medicine_fen"]) / 100,
}
# The page's own line: which counts each rate divides (the 月报 notes say how they are counted).
FORMULAS = ("签约率 = 签约人数 ÷ 在册人数；慢病签约率 = 慢病患者中签约人数 ÷ 慢病患者；"
            "按时随访率 = 按时随访 ÷ 应随访（本月）；药费为本月送药金额（医保、免费药品基金、"
            "个人支付合计）。鼠标停在比率上可看到分子和分母。")


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


class RatesChart(pg.PlotWidget):
    """签约率 and 按时随访率 per village as paired bars (blue, green)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("reportsChart")
        self.setBackground("w")
        self.setTitle(f'<span style="color:{SIGNED_COLOUR}">■ 签约率</span>　　'
                      f'<span style="color:{ON_TIME_COLOUR}">■ 本月按时随访率</span>',
                      color="#333333", size="10pt")
        self.setLabel("left", "%")
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.showGrid(y=True, alpha=0.2)
        self.setYRange(0, 115, padding=0)
        self.setMinimumHeight(170)
        self.bars: list[pg.BarGraphItem] = []
        self.labels: list[pg.TextItem] = []

    def set_villages(self, rows: list[dict[str, Any]]) -> None:
        self.clear()
        self.bars, self.labels = [], []
        xs = list(range(len(rows)))
        series = (
            (-0.2, SIGNED_COLOUR, lambda r: (r["contracted"], r["residents"])),
            (0.2, ON_TIME_COLOUR, lambda r: (r["due_visited"], r["due"])),
        )
        for offset, colour, parts in series:
            heights = [percent(*parts(r)) for r in rows]
            if rows:
                bars = pg.BarGraphItem(x=[x + offset for x in xs], height=heights, width=0.38,
                                       brush=pg.mkBrush(colour), pen=pg.mkPen(None))
                self.addItem(bars)
                self.bars.append(bars)
            for x, row, height in zip(xs, rows, heights, strict=True):
                whole = parts(row)[1]
                text = pg.TextItem(f"{height:.0f}" if whole else "—", color="#333333",
                                   anchor=(0.5, 1))
                text.setPos(x + offset, height + 1)
                self.addItem(text)
                self.labels.append(text)
        self.getAxis("bottom").setTicks([[(x, r["village"]) for x, r in zip(xs, rows,
                                                                               strict=True)]])
        self.setXRange(-0.6, max(len(rows), 1) - 0.4, padding=0)


class ReportsPage(QWidget):
    """统计: the month's report per village and in total; export to Excel; print the 月报."""

    message = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.setObjectName("reportsPage")
        self.clinic = clinic
        self.task: Task | None = None
        self.report: MonthlyReport | None = None
        self.track: Callable[[Task], None] = lambda task: None  # the window waits for jobs
        self._loaded = False

        heading = QLabel("统计")
        heading.setObjectName("pageTitle")
        font = heading.font()
        font.setPointSize(font.pointSize() + 4)
        font.setBold(True)
        heading.setFont(font)
        self.month = QComboBox()
        self.month.setObjectName("reportsMonth")
        self.month.setToolTip("有随访、体检、发药或签约记录以来的月份")
        self.summary = QLabel()
        self.summary.setObjectName("reportsSummary")
        self.summary.setWordWrap(True)
        self.refresh_button = QPushButton("刷新(&R)")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("导出 Excel(&E)…")
        self.export_button.clicked.connect(lambda: self.export())
        self.print_button = QPushButton("打印月报(&P)")
        self.print_button.setToolTip("在“打印”页预览并打印这个月的健康扶贫月报")
        self.print_button.clicked.connect(self.print_report)
        bar = QHBoxLayout()
        bar.addWidget(heading)
        bar.addSpacing(12)
        month_label_widget = QLabel("月份(&M)：")
        month_label_widget.setBuddy(self.month)
        bar.addWidget(month_label_widget)
        bar.addWidget(self.month)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.print_button)

        self.model = RowsModel(COLUMNS, self)
        # Not sortable: the 合计 row belongs at the bottom, villages in the register's order.
        self.table = table_view(self.model, "reportsTable", sortable=False)
        self.notes = QLabel()
        self.notes.setObjectName("reportsNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setStyleSheet("color: #555555;")
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.notes)
        self.chart = RatesChart()
        # The table gets the page (a township has 10–20 villages); the chart is one click away.
        self.views = QTabWidget()
        self.views.setObjectName("reportsViews")
        self.views.addTab(upper, "各村数字")
        self.views.addTab(self.chart, "签约率和按时随访率图")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.views, 1)
        self.month.currentIndexChanged.connect(self.refresh)
        self._set_busy(False)

    def reload_months(self) -> None:
        """This month first, then every earlier month the register has records for."""
        current = self.month.currentData()
        self.month.blockSignals(True)
        self.month.clear()
        for month in self.clinic.report_months():
            self.month.addItem(month_label(month), month)
        self.month.setCurrentIndex(max(0, self.month.findData(current)))
        self.month.blockSignals(False)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded:  # counted when first looked at, not at start-up
            self._loaded = True
            self.reload_months()  # 0.17 s on a 200k township: not at start-up either
            self.refresh()

    def refresh(self) -> Task | None:
        if self.task is not None:
            self.message.emit("正在统计，请稍候")
            return None
        # Imported here, in the window's thread: reportlab loads with it (see module docstring).
        from clinic_app.printing import report as monthly

        month = self.month.currentData()
        path, user, today = self.clinic.path, self.clinic.user, self.clinic.today()

        def job(progress: Progress) -> MonthlyReport:
            with Clinic.open(path, user=user, today=lambda: today) as worker:
                return monthly.compute(worker, month, progress)

        self.summary.setText(f"正在统计 {month_label(month)}……")
        self._set_busy(True)
        self.task = run_task(self, "统计月报", job, on_done=self._show, on_error=self._failed,
                             on_cancel=lambda: self._failed("统计已取消"))
        self.track(self.task)
        return self.task

    def _set_busy(self, busy: bool) -> None:
        self.refresh_button.setEnabled(not busy)
        ready = not busy and self.report is not None
        self.export_button.setEnabled(ready)
        self.print_button.setEnabled(ready)
        if not busy:
            self.task = None

    def _failed(self, text: str) -> None:
        self._set_busy(False)
        self.summary.setText(text)
        self.message.emit(text)

    def _show(self, report: MonthlyReport) -> None:
        from clinic_app.printing import report as monthly

        self.report = report
        villages = [asdict(v) for v in report.villages]
        self.model.set_rows([*villages, asdict(report.total)])
        self.table.resizeColumnsToContents()
        self.table.selectRow(self.model.rowCount() - 1)  # 合计, where the eye goes first
        self.chart.set_villages(villages)
        total = report.total
        running = "（本月尚未结束）" if report.until < _month_end(report.first) else ""
        targets = "；".join(t for t in (
            f"签约目标 {report.contract_target:g}%" if report.contract_target else "",
            f"体检覆盖目标 {report.checkup_target:g}%" if report.checkup_target else "") if t)
        self.summary.setText(
            f"统计至 {report.until}{running}：在册 {total.residents} 人，签约 "
            f"{rate(total.contracted, total.residents)}，按时随访 "
            f"{rate(total.due_visited, total.due)}" + (f"。{targets}" if targets else ""))
        self.notes.setText("\n".join([FORMULAS, *monthly.notes(report)]))
        self._set_busy(False)

    # ------------------------------------------------------------------ export, print
    def export_title(self) -> str:
        assert self.report is not None
        township = (self.clinic.setting("township_name") or self.report.clinic or "").strip()
        return f"{township} 健康扶贫统计 {month_label(self.report.month)}".strip()

    def export(self, path: str | None = None) -> Path | None:
        if self.report is None:
            return None
        title = self.export_title()
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "导出 Excel", f"{title}.xlsx",
                                                  "Excel 文件 (*.xlsx)")
            if not path:
                return None
        rows = self.model.rows()
        headers = [c.title for c in COLUMNS] + [h for h, _ in EXPORT_EXTRA]
        values = [EXPORT_TYPED.get(c.title, c.value) for c in COLUMNS]
        try:
            write_xlsx(path, f"统计{self.report.month}", headers,
                       ([value(r) for value in values] + [r[k] for _, k in EXPORT_EXTRA]
                        for r in rows), title=title)
        except ClinicError as exc:
            QMessageBox.warning(self, "导出失败", str(exc))
            return None
        self.message.emit(f"已导出：{path}")
        return Path(path)

    def print_request(self) -> PrintRequest | None:
        if self.report is None:
            return None
        return PrintRequest(MONTHLY_REPORT, month=self.report.month,
                            label=month_label(self.report.month))

    def print_report(self) -> None:
        request_print(self, self.print_request())


def _month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


# ---------------------------------------------------------------------- hooks for main_window
def reports_pages(clinic: Clinic) -> dict[str, QWidget]:
    """The 统计 page of the navigation, by its NAV_PAGES key."""
    return {"reports": ReportsPage(clinic)}


def connect_reports_pages(window: Any) -> None:
    """Its jobs join the window's (cancelled, waited for on close); messages: status bar."""
    page = window.pages.get("reports")
    if isinstance(page, ReportsPage):
        page.track = window._tasks.append
        page.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
