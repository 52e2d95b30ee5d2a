"""签约服务联系卡 on paper: wallet-card size (ISO/IEC 7810 ID-1, 85.6 × 54 mm).

Layouts:

* ``duplex`` — sheets of 10 cards on A4 (2 × 5, edge to edge, crop marks in the margins):
  a page of fronts, then a page of backs mirrored left-right, so a printer duplexing on the
  long edge puts each back behind its front.
* ``foldover`` — 5 cards per A4: each row is a front and its back side by side; cut out the
  strip and fold on the middle line (for printers that cannot print both sides).
* ``single`` — one card per 85.6 × 54 mm page, front then back, for a card printer.

Text never leaves its box: each block shrinks to its minimum size, then wraps; if a card still
overflows, every size on it is scaled down together (``layout_front``). The QR code holds only
the record id and is drawn as one vector path (one rectangle per run of dark modules), which is
both crisp at any printer resolution and fast. The back is the same for every card of one
profile, so it is drawn once per document as a form XObject and reused.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from clinic_app.errors import ClinicError
from clinic_app.printing import fonts
from clinic_app.printing.content import ContactCard
from clinic_app.printing.text import Fitted, fit
from clinic_app.progress import Progress, SilentProgress

CARD_W = 85.6 * mm
CARD_H = 54 * mm
COLS, ROWS = 2, 5
PER_SHEET = COLS * ROWS
# The 2 × 5 grid centred on A4: 19.4 mm side margins, 13.5 mm top and bottom.
GRID_X = (A4[0] - COLS * CARD_W) / 2
GRID_Y = (A4[1] - ROWS * CARD_H) / 2
MARK_GAP = 2 * mm  # crop marks start this far from the grid (never touch a card)
MARK_LEN = 6 * mm

SAFE = 3 * mm  # text keeps this far from the cut edge (a slightly off cut loses nothing)
BAND_INSET = 1.5 * mm
QR_SIZE = 18 * mm
LABEL_W = 13 * mm
BAND = (0.08, 0.42, 0.38)  # dark teal: readable white text, prints well in grey too
GREY = (0.35, 0.35, 0.35)
LAYOUTS = ("duplex", "foldover", "single")
_DARK_RUN = re.compile(rb"\x01+")  # a run of dark modules in a row of the QR matrix


class CardTooFull(ClinicError):
    """The card text cannot fit even at the smallest readable size."""


@dataclass(frozen=True)
class Line:
    text: str
    font: str
    size: float
    x: float
    y: float  # baseline, from the card's bottom-left corner
    color: tuple[float, float, float] = (0, 0, 0)


@dataclass(frozen=True)
class Placement:
    """Where one side of a card went: page (1-based), card's bottom-left corner, side."""

    subject_id: str
    page: int
    x: float
    y: float
    side: str  # front | back


@dataclass(frozen=True)
class CardSheet:
    pdf: bytes
    pages: int
    placements: list[Placement]


# --------------------------------------------------------------------------------- layout


def _stack(lines: list[Line], fitted: Fitted, font: str, x: float, top: float,
           color: tuple[float, float, float] = (0, 0, 0)) -> float:
    """Append fitted lines under `top`; return the new top (the bottom of the block)."""
    y = top
    for text in fitted.lines:
        y -= fitted.leading
        lines.append(Line(text, font, fitted.size, x, y + fitted.leading * 0.22, color))
    return y


@dataclass(frozen=True)
class Front:
    """A laid-out front: the part every card of the batch shares (band, title, clinic) and
    the card's own lines; the QR code's top edge."""

    shared: tuple[Line, ...]
    own: tuple[Line, ...]
    band_h: float
    qr_top: float


def layout_front(card: ContactCard) -> Front:
    """The front's lines, shrunk together until everything fits."""
    fonts.register()
    for scale in (1.0, 0.92, 0.85, 0.78, 0.72, 0.66):
        result = _front(card, scale)
        if result is not None:
            return result
    raise CardTooFull(f"{card.name}的联系卡内容太多，最小字号也放不下，请精简服务内容或政策文字")


def _front(card: ContactCard, s: float) -> Front | None:
    regular, bold = fonts.REGULAR, fonts.BOLD
    lines: list[Line] = []
    inner = CARD_W - 2 * SAFE
    white = (1, 1, 1)
    # Band: title, then the clinic (long names wrap onto a second line).
    top = CARD_H - BAND_INSET - 1.0 * mm
    title = fit(card.title, bold, inner, 10.5 * s, 6.5 * s, 1, 1.2)
    top = _stack(lines, title, bold, SAFE, top, white)
    if card.clinic:
        clinic = fit(card.clinic, regular, inner, 7 * s, 5 * s, 1, 1.2)
        top = _stack(lines, clinic, regular, SAFE, top, white)
    band_bottom = top - 1.0 * mm
    band_h = CARD_H - BAND_INSET - band_bottom
    shared = len(lines)
    # Left column beside the QR code: name, village, doctor, phones.
    qr_top = band_bottom - 1.5 * mm
    column = CARD_W - SAFE - QR_SIZE - 1.5 * mm - SAFE
    top = qr_top + 0.5 * mm
    name = fit(card.name, bold, column, 15 * s, 8 * s, 1, 1.15)
    top = _stack(lines, name, bold, SAFE, top)
    place = "".join(p for p in (card.village, card.group) if p)
    if place:
        top = _stack(lines, fit(place, regular, column, 7.5 * s, 5 * s, 1, 1.2), regular, SAFE,
                     top, GREY)
    top -= 1.0 * mm
    value_w = column - LABEL_W
    for label, value, font, size in (("签约医生", card.doctor, bold, 9 * s),
                                     ("医生手机", card.doctor_phone, bold, 9 * s),
                                     ("团队电话", card.team_phone, regular, 8 * s)):
        if not value:
            continue
        fitted = fit(value, font, value_w, size, 5.5 * s, 1, 1.2)
        label_fit = fit(label, regular, LABEL_W - 1 * mm, 6.5 * s, 4.5 * s, 1, 1.2)
        baseline_top = top
        bottom = _stack(lines, fitted, font, SAFE + LABEL_W, top)
        # The label sits on the first line's baseline.
        lines.append(Line(label_fit.lines[0], regular, label_fit.size, SAFE,
                          baseline_top - fitted.leading + fitted.leading * 0.22, GREY))
        top = bottom
    qr_bottom = qr_top - QR_SIZE - 2.4 * mm  # QR plus its caption
    top = min(top, qr_bottom) - 1.2 * mm
    # Full width: services, then the contract term.
    if card.services:
        label = "服务内容："
        services = fit(label + "、".join(card.services), regular, inner, 7.2 * s, 5 * s, 3,
                       1.2)
        top = _stack(lines, services, regular, SAFE, top)
    if card.term:
        top = _stack(lines, fit(f"签约期：{card.term}", regular, inner, 6.5 * s, 4.5 * s, 1,
                                1.2), regular, SAFE, top, GREY)
    if top < SAFE - 0.5 * mm:
        return None
    return Front(tuple(lines[:shared]), tuple(lines[shared:]), band_h, qr_top)


@lru_cache(maxsize=32)
def layout_back(title: str, policy_lines: tuple[str, ...], source: str
                ) -> tuple[list[Line], float]:
    """The back: policy lines numbered with a hanging indent, at the largest size that fits."""
    fonts.register()
    regular, bold = fonts.REGULAR, fonts.BOLD
    inner = CARD_W - 2 * SAFE
    for size in (8.6, 8.2, 7.8, 7.4, 7.0, 6.6, 6.2, 5.8, 5.4, 5.0, 4.7, 4.4):
        lines: list[Line] = []
        top = CARD_H - BAND_INSET - 0.9 * mm
        head = fit(title, bold, inner, 8.5, 6, 1, 1.2)
        top = _stack(lines, head, bold, SAFE, top, (1, 1, 1))
        band_h = CARD_H - BAND_INSET - (top - 0.9 * mm)
        top -= 2.2 * mm
        for number, text in enumerate(policy_lines, 1):
            mark = f"{number}."
            indent = fonts.width("00.", regular, size) + 0.8
            fitted = fit(text, regular, inner - indent, size, size, 99, 1.22)
            lines.append(Line(mark, regular, size, SAFE, top - fitted.leading * 0.78))
            top = _stack(lines, fitted, regular, SAFE + indent, top) - size * 0.25
        footer = fit(f"政策依据：{source}", regular, inner, 4.8, 4.2, 2, 1.15)
        if top - footer.height >= SAFE - 0.5 * mm:
            _stack(lines, footer, regular, SAFE, SAFE + footer.height - 0.3 * mm, GREY)
            return lines, band_h
    raise CardTooFull("联系卡背面的政策文字太多，最小字号也放不下，请在政策配置中精简"
                      "“联系卡背面政策要点”")


# --------------------------------------------------------------------------------- drawing


def _draw_lines(canvas: Canvas, lines: Sequence[Line], x0: float, y0: float) -> None:
    color = None
    for line in lines:
        if line.color != color:
            canvas.setFillColorRGB(*line.color)
            color = line.color
        canvas.setFont(line.font, line.size)
        canvas.drawString(x0 + line.x, y0 + line.y, line.text)


def _band(canvas: Canvas, x0: float, y0: float, height: float) -> None:
    canvas.setFillColorRGB(*BAND)
    canvas.roundRect(x0 + BAND_INSET, y0 + CARD_H - BAND_INSET - height,
                     CARD_W - 2 * BAND_INSET, height, 1.2 * mm, stroke=0, fill=1)


def qr_path(payload: str) -> tuple[int, str]:
    """(modules per side, PDF path operators in module units) of the payload's QR code.

    One rectangle per horizontal run of dark modules, y counted from the bottom row. Integer
    coordinates keep the operators short and cheap to write (a thousand codes in a batch).
    """
    code = segno.make_qr(payload, error="m", mask=0, boost_error=False)
    matrix = code.matrix
    count = len(matrix)
    parts = []
    for row_index, row in enumerate(matrix):
        y = count - 1 - row_index
        parts += [f"{run.start()} {y} {run.end() - run.start()} 1 re"
                  for run in _DARK_RUN.finditer(bytes(row))]
    return count, " ".join(parts)


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as one filled path, scaled from module units to `size` at (x, y).

    `size` is the symbol without its quiet zone; the layout keeps two modules around it blank
    (scanners read a printed code with a 2-module margin).
    """
    count, path = qr_path(payload)
    scale = size / count
    canvas.addLiteral(f"q 0 g {scale:.4f} 0 0 {scale:.4f} {x:.3f} {y:.3f} cm {path} f Q")


class _Forms:
    """What repeats on every card is drawn once per document as a form XObject and reused:
    the front's band, title, clinic and QR caption; the whole back (the policy lines)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.names: dict[Any, str] = {}

    def _place(self, key: Any, draw: Callable[[], None], x0: float, y0: float) -> None:
        name = self.names.get(key)
        if name is None:
            name = f"card{len(self.names)}"
            self.canvas.beginForm(name, lowerx=0, lowery=0, upperx=CARD_W, uppery=CARD_H)
            draw()
            self.canvas.endForm()
            self.names[key] = name
        self.canvas.saveState()
        self.canvas.translate(x0, y0)
        self.canvas.doForm(name)
        self.canvas.restoreState()

    def front(self, card: ContactCard, x0: float, y0: float) -> None:
        front = layout_front(card)

        def shared() -> None:
            _band(self.canvas, 0, 0, front.band_h)
            _draw_lines(self.canvas, front.shared, 0, 0)
            self.canvas.setFillColorRGB(*GREY)
            self.canvas.setFont(fonts.REGULAR, 4.6)
            self.canvas.drawCentredString(CARD_W - SAFE - QR_SIZE / 2,
                                          front.qr_top - QR_SIZE - 2.0 * mm, "扫码查档案")

        self._place(("front", front.shared, front.band_h, front.qr_top), shared, x0, y0)
        draw_qr(self.canvas, card.qr_payload, x0 + CARD_W - SAFE - QR_SIZE,
                y0 + front.qr_top - QR_SIZE, QR_SIZE)
        _draw_lines(self.canvas, front.own, x0, y0)

    def back(self, card: ContactCard, x0: float, y0: float) -> None:
        key = (card.policy_title, card.policy_lines, card.policy_source)

        def whole() -> None:
            lines, band_h = layout_back(*key)
            _band(self.canvas, 0, 0, band_h)
            _draw_lines(self.canvas, lines, 0, 0)

        self._place(("back", key), whole, x0, y0)


def _crop_marks(canvas: Canvas, xs: Sequence[float], ys: Sequence[float],
                folds: Sequence[float] = ()) -> None:
    """Short lines in the margins on every cut line (dashed on a fold line), off the cards."""
    left, right, bottom, top = xs[0], xs[-1], ys[0], ys[-1]
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(0.3)
    for x in xs:
        canvas.line(x, top + MARK_GAP, x, top + MARK_GAP + MARK_LEN)
        canvas.line(x, bottom - MARK_GAP, x, bottom - MARK_GAP - MARK_LEN)
    for y in ys:
        canvas.line(left - MARK_GAP, y, left - MARK_GAP - MARK_LEN, y)
        canvas.line(right + MARK_GAP, y, right + MARK_GAP + MARK_LEN, y)
    canvas.setDash(1.5, 1.5)
    for x in folds:
        canvas.line(x, top + MARK_GAP, x, top + MARK_GAP + MARK_LEN)
        canvas.line(x, bottom - MARK_GAP, x, bottom - MARK_GAP - MARK_LEN)
    canvas.setDash()


def _sheet_label(canvas: Canvas, text: str) -> None:
    canvas.setFillColorRGB(*GREY)
    canvas.setFont(fonts.REGULAR, 6.5)
    canvas.drawString(GRID_X + 6 * mm, A4[1] - GRID_Y + 4.5 * mm, text)


def slot(col: int, row: int) -> tuple[float, float]:
    """Bottom-left corner of the card in column col, row row (row 0 at the top) on A4."""
    return GRID_X + col * CARD_W, GRID_Y + (ROWS - 1 - row) * CARD_H


def render(cards: Sequence[ContactCard], layout: str = "duplex", *, title: str = "",
           progress: Progress | None = None) -> CardSheet:
    """The PDF of the cards in the chosen layout, and where every card side went."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout}")
    progress = progress or SilentProgress()
    fonts.register()
    buffer = io.BytesIO()
    size = (CARD_W, CARD_H) if layout == "single" else A4
    canvas = Canvas(buffer, pagesize=size, pageCompression=1, initialFontName=fonts.REGULAR)
    canvas.setTitle(title or "签约服务联系卡")
    canvas.setCreator("clinic-app")
    forms = _Forms(canvas)
    placements: list[Placement] = []
    total = len(cards)
    progress.update(0, total, "正在排版联系卡")
    page = 1

    def report(done: int) -> None:
        if done % 50 == 0 or done == total:
            progress.update(done, total, "正在排版联系卡")

    if layout == "single":
        for done, card in enumerate(cards, 1):
            forms.front(card, 0, 0)
            placements.append(Placement(card.resident_id, page, 0, 0, "front"))
            canvas.showPage()
            forms.back(card, 0, 0)
            placements.append(Placement(card.resident_id, page + 1, 0, 0, "back"))
            canvas.showPage()
            page += 2
            report(done)
    else:
        per_page = PER_SHEET if layout == "duplex" else ROWS
        sheets = max(1, -(-total // per_page))
        xs = [GRID_X + c * CARD_W for c in range(COLS + 1)]
        ys = [GRID_Y + r * CARD_H for r in range(ROWS + 1)]
        done = 0
        for sheet in range(sheets):
            batch = cards[sheet * per_page:(sheet + 1) * per_page]
            if layout == "duplex":
                _crop_marks(canvas, xs, ys)
                _sheet_label(canvas, f"第{sheet + 1}/{sheets}张 正面 · 沿裁切线裁开")
                for index, card in enumerate(batch):
                    x, y = slot(index % COLS, index // COLS)
                    forms.front(card, x, y)
                    placements.append(Placement(card.resident_id, page, x, y, "front"))
                canvas.showPage()
                page += 1
                _sheet_label(canvas, f"第{sheet + 1}/{sheets}张 背面 · 长边翻转双面打印")
                for index, card in enumerate(batch):
                    # Mirrored left-right: flipping the sheet on its long edge swaps columns.
                    x, y = slot(COLS - 1 - index % COLS, index // COLS)
                    forms.back(card, x, y)
                    placements.append(Placement(card.resident_id, page, x, y, "back"))
            else:
                _crop_marks(canvas, [xs[0], xs[-1]], ys, folds=[xs[1]])
                _sheet_label(canvas, f"第{sheet + 1}/{sheets}张 · 沿实线裁开，沿虚线对折")
                for index, card in enumerate(batch):
                    x, y = slot(0, index)
                    forms.front(card, x, y)
                    placements.append(Placement(card.resident_id, page, x, y, "front"))
                    forms.back(card, x + CARD_W, y)
                    placements.append(Placement(card.resident_id, page, x + CARD_W, y,
                                                "back"))
            canvas.showPage()
            page += 1
            done += len(batch)
            report(done)
    canvas.save()
    return CardSheet(buffer.getvalue(), page - 1, placements)
