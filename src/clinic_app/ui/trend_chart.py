"""A patient's blood pressure and glucose over time, with the control lines, dots clickable.

pyqtgraph draws with Qt directly (no 160 MB PySide6-Addons for QtCharts). The control lines
come from the policy profile, so a 65-year-old sees the 150 line rather than 140.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from clinic_app.domain import codes

pg.setConfigOptions(antialias=True, background="w", foreground="#333333")

SBP_PEN = pg.mkPen("#c62828", width=2)
DBP_PEN = pg.mkPen("#1565c0", width=2)
GLUCOSE_PEN = pg.mkPen("#2e7d32", width=2)
LIMIT_PEN = pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine)


class ChineseDateAxis(pg.DateAxisItem):
    """Date ticks as 2026年 / 3月 / 3-15 instead of the C locale's English month names."""

    def tickStrings(self, values: list[float], scale: float, spacing: float
                    ) -> list[str]:
        days = spacing / 86400
        out = []
        for value in values:
            try:
                when = dt.datetime.fromtimestamp(value)
            except (OverflowError, OSError, ValueError):
                out.append("")
                continue
            if days >= 300:
                out.append(f"{when.year}年")
            elif days >= 25:
                out.append(f"{when.year}年1月" if when.month == 1 else f"{when.month}月")
            else:
                out.append(f"{when.month}-{when.day}")
        return out


def _x(day: str) -> float:
    return dt.datetime.fromisoformat(day).timestamp()


class TrendChart(QWidget):
    """BP (systolic/diastolic with the control lines) above, fasting glucose below."""

    visit_clicked = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.series: list[dict[str, Any]] = []
        self.info = QLabel("点击图上的点查看那次随访。")
        self.info.setObjectName("trendInfo")
        self.info.setWordWrap(True)
        self.bp_plot = pg.PlotWidget(axisItems={"bottom": ChineseDateAxis()})
        self.bp_plot.setLabel("left", "血压 (mmHg)")
        self.bp_plot.addLegend(offset=(-10, 5))  # top right, clear of the first visits
        self.bp_plot.showGrid(y=True, alpha=0.2)
        self.glucose_plot = pg.PlotWidget(axisItems={"bottom": ChineseDateAxis()})
        self.glucose_plot.setLabel("left", "空腹血糖 (mmol/L)")
        self.glucose_plot.showGrid(y=True, alpha=0.2)
        self.glucose_plot.setXLink(self.bp_plot)
        for plot in (self.bp_plot, self.glucose_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.setMinimumHeight(140)
        self.empty = QLabel("还没有测量过血压或血糖的随访记录，随访后这里会画出变化趋势。")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.bp_plot, 3)
        layout.addWidget(self.glucose_plot, 2)
        layout.addWidget(self.info)

    def set_series(self, series: list[dict[str, Any]], sbp_limit: int, dbp_limit: int,
                   glucose_limit: float) -> None:
        self.series = series
        self.bp_plot.clear()
        self.glucose_plot.clear()
        bp = [s for s in series if s["sbp"] is not None and s["dbp"] is not None]
        glucose = [s for s in series if s["fasting_glucose"] is not None]
        self.empty.setVisible(not bp and not glucose)
        self.bp_plot.setVisible(bool(bp))
        self.glucose_plot.setVisible(bool(glucose))
        if bp:
            xs = [_x(s["visit_date"]) for s in bp]
            self._line(self.bp_plot, xs, [s["sbp"] for s in bp], SBP_PEN, "收缩压", bp)
            self._line(self.bp_plot, xs, [s["dbp"] for s in bp], DBP_PEN, "舒张压", bp)
            for limit in (sbp_limit, dbp_limit):
                self.bp_plot.addItem(pg.InfiniteLine(limit, angle=0, pen=LIMIT_PEN,
                                                     label=str(limit),
                                                     labelOpts={"position": 0.02}))
        if glucose:
            xs = [_x(s["visit_date"]) for s in glucose]
            self._line(self.glucose_plot, xs, [s["fasting_glucose"] for s in glucose],
                       GLUCOSE_PEN, "空腹血糖", glucose)
            self.glucose_plot.addItem(pg.InfiniteLine(glucose_limit, angle=0, pen=LIMIT_PEN,
                                                      label=f"{glucose_limit:g}",
                                                      labelOpts={"position": 0.02}))
        self.info.setText("点击图上的点查看那次随访。" if series else "")

    def _line(self, plot: pg.PlotWidget, xs: list[float], ys: list[float], pen: Any,
              name: str, rows: list[dict[str, Any]]) -> None:
        plot.plot(xs, ys, pen=pen, name=name)
        dots = pg.ScatterPlotItem(xs, ys, size=9, pen=pen, brush=pg.mkBrush("w"),
                                  data=[r["id"] for r in rows], hoverable=True)
        dots.sigClicked.connect(self._clicked)
        plot.addItem(dots)

    def _clicked(self, _item: Any, points: Any, *_: Any) -> None:
        if len(points):
            self.show_visit(points[0].data())

    def show_visit(self, visit_id: str) -> None:
        row = next((s for s in self.series if s["id"] == visit_id), None)
        if row is None:
            return
        parts = [row["visit_date"]]
        if row["sbp"] is not None:
            parts.append(f"血压 {row['sbp']}/{row['dbp']} mmHg")
        if row["fasting_glucose"] is not None:
            parts.append(f"空腹血糖 {row['fasting_glucose']} mmol/L")
        if row["classification"]:
            parts.append(codes.label(codes.FOLLOW_UP_CLASSES, row["classification"]))
        self.info.setText("　".join(parts))
        self.visit_clicked.emit(visit_id)
