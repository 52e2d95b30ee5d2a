"""Shared machinery for the A4/A5 documents (明白卡, visit list, forms, reports).

They are reportlab *platypus* documents: paragraphs wrap Chinese at any character
(``wordWrap="CJK"``), table cells are paragraphs so long names wrap inside their column, and
content that does not fit flows onto the next page with the table header repeated — nothing is
clipped. Each page carries a footer with the document title, when it was printed, and
"第 n 页 / 共 m 页" (counted after layout by ``_NumberedCanvas``). ``Marker`` flowables record on
which page each subject (a household, a resident) starts, so callers know which pages are whose.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table
from reportlab.platypus.tables import TableStyle

from clinic_app.printing import fonts
from clinic_app.progress import Progress, SilentProgress

PAPERS = {"A4": A4, "A5": A5, "A4-landscape": landscape(A4)}
GRID = colors.Color(0.45, 0.45, 0.45)
SHADE = colors.Color(0.91, 0.95, 0.94)
HEAD = colors.Color(0.08, 0.42, 0.38)


@dataclass(frozen=True)
class Styles:
    """Paragraph styles at one base size (A5 prints the same document smaller)."""

    base: float

    def style(self, name: str, size: float, *, bold: bool = False, leading: float = 1.3,
              align: int = 0, color: Any = colors.black, space_before: float = 0,
              space_after: float = 0) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=fonts.BOLD if bold else fonts.REGULAR, fontSize=size,
            leading=size * leading, alignment=align, wordWrap="CJK", textColor=color,
            spaceBefore=space_before, spaceAfter=space_after, splitLongWords=True)

    @property
    def title(self) -> ParagraphStyle:
        return self.style("title", self.base * 1.9, bold=True, align=TA_CENTER,
                          space_after=self.base * 0.3)

    @property
    def subtitle(self) -> ParagraphStyle:
        return self.style("subtitle", self.base * 0.95, align=TA_CENTER,
                          color=colors.Color(0.3, 0.3, 0.3), space_after=self.base * 0.6)

    @property
    def heading(self) -> ParagraphStyle:
        return self.style("heading", self.base * 1.2, bold=True, color=HEAD,
                          space_before=self.base * 0.8, space_after=self.base * 0.35)

    @property
    def body(self) -> ParagraphStyle:
        return self.style("body", self.base)

    @property
    def small(self) -> ParagraphStyle:
        return self.style("small", self.base * 0.85)

    @property
    def cell(self) -> ParagraphStyle:
        return self.style("cell", self.base * 0.92, leading=1.25)

    @property
    def cell_bold(self) -> ParagraphStyle:
        return self.style("cell_bold", self.base * 0.92, bold=True, leading=1.25)

    @property
    def big(self) -> ParagraphStyle:
        return self.style("big", self.base * 1.25, bold=True, leading=1.35)


def para(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: a name with < or & prints as typed)."""
    value = "" if text is None else str(text)
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


def rich(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph whose caller escaped the text itself (for <b> inside a line)."""
    return Paragraph(markup, style)


def grid_table(rows: Sequence[Sequence[Any]], widths: Sequence[float], *,
               header_rows: int = 1, shade_header: bool = True, padding: float = 2.2,
               extra: Sequence[tuple[Any, ...]] = ()) -> Table:
    """A ruled table; the header repeats on every page the table flows onto."""
    table = Table([list(r) for r in rows], colWidths=list(widths), repeatRows=header_rows,
                  hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
    ]
    if shade_header and header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE))
    table.setStyle(TableStyle([*commands, *extra]))
    return table


class Marker(Flowable):
    """Zero-size flowable that records the page it lands on: where a subject starts.

    Its label (whose card this is) goes into the footer of this page and of every following
    page until the next marker, so a continuation page still says whose it is.
    """

    def __init__(self, sink: dict[str, int], key: str, label: str = "") -> None:
        super().__init__()
        self.sink = sink
        self.key = key
        self.label = label
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.sink.setdefault(self.key, self.canv.getPageNumber())
        self.canv.subject_label = self.label  # type: ignore[attr-defined]


@dataclass
class Built:
    pdf: bytes
    pages: int
    starts: dict[str, int] = field(default_factory=dict)  # subject → first page

    def pages_of(self, order: Sequence[str]) -> dict[str, list[int]]:
        """Pages of each subject, given the subjects in document order."""
        out: dict[str, list[int]] = {}
        known = [k for k in order if k in self.starts]
        for index, key in enumerate(known):
            first = self.starts[key]
            last = self.starts[known[index + 1]] - 1 if index + 1 < len(known) else self.pages
            out[key] = list(range(first, max(first, last) + 1))
        return out


def _numbered_canvas(footer: str, printed: str) -> type[Canvas]:
    class _NumberedCanvas(Canvas):
        """Holds each page until the end, then stamps 第 n 页 / 共 m 页 on every one."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's method name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _height = self._pagesize
            self.saveState()
            self.setFont(fonts.REGULAR, 7)
            self.setFillColorRGB(0.4, 0.4, 0.4)
            label = getattr(self, "subject_label", "")
            left = f"{footer}　{label}" if label else footer
            right = f"打印：{printed}    第 {self._pageNumber} 页 / 共 {total} 页"
            room = width - 24 * mm - 6 * mm
            if fonts.width(left + right, fonts.REGULAR, 7) > room:  # narrow paper: two lines
                self.drawString(12 * mm, 10.5 * mm, left)
            else:
                self.drawString(12 * mm, 7 * mm, left)
            self.drawRightString(width - 12 * mm, 7 * mm, right)
            self.restoreState()

    return _NumberedCanvas


def build(story: list[Flowable], *, paper: str = "A4", title: str, footer: str = "",
          margins: tuple[float, float, float, float] = (12 * mm, 12 * mm, 12 * mm, 15 * mm),
          printed: dt.datetime | None = None, progress: Progress | None = None,
          on_page: Callable[[Canvas, Any], None] | None = None,
          starts: dict[str, int] | None = None) -> Built:
    """Lay out the story on pages of `paper`; margins are left, right, top, bottom.

    `starts` is the dict the story's ``Marker`` flowables write into (subject → first page).
    """
    fonts.register()
    progress = progress or SilentProgress()
    size = PAPERS[paper]
    left, right, top, bottom = margins
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=size, title=title, author="clinic-app",
                          creator="clinic-app", leftMargin=left, rightMargin=right,
                          topMargin=top, bottomMargin=bottom, initialFontName=fonts.REGULAR,
                          initialFontSize=10)
    frame = Frame(left, bottom, size[0] - left - right, size[1] - top - bottom,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=on_page or (lambda c, d: None))])

    def after_page() -> None:
        progress.check()  # cancel between pages

    doc.afterPage = after_page  # type: ignore[method-assign]
    stamp = (printed or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    doc.build(story, canvasmaker=_numbered_canvas(footer or title, stamp))
    data = buffer.getvalue()
    return Built(data, doc.page, starts if starts is not None else {})


def usable_width(paper: str, left: float = 12 * mm, right: float = 12 * mm) -> float:
    return PAPERS[paper][0] - left - right
