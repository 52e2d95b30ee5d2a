"""PDF pages on screen and on paper: the preview widget and printing through QPrinter at 100%.

PySide6-Essentials has no QtPdf, so pages are rasterised with pypdfium2 (PDFium, the engine of
Chrome's viewer). PDFium is not thread-safe: every call goes through ``PDFIUM_LOCK``, because
the preview renders in the window's thread while a print job renders in a worker.

Printing keeps the document's geometry exactly: the printer's paper is set to each page's own
size (A4, A4 landscape, A5 or the 85.6 × 54 mm card), full page with no margins, and each page
is drawn at its physical size from the paper's corner — never "fit to page", which would shrink
card sheets by a few percent and the cuts would miss the cards. Painting on a QPrinter from a
worker thread is supported by Qt (QPainter on QImage / QPrinter / QPicture).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PySide6.QtCore import QMarginsF, QPoint, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPaintEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QScrollArea, QWidget

from clinic_app.errors import ClinicError
from clinic_app.progress import Progress, SilentProgress

PDFIUM_LOCK = threading.RLock()
PRINT_DPI = 300  # plenty for 7-point text and QR modules; an A4 page is 2480 × 3508 pixels
GAP = 12  # pixels between pages in the preview
CACHE_PAGES = 16  # rendered pages kept in memory by the preview
MM_PER_POINT = 25.4 / 72


def _image(page: pypdfium2.PdfPage, scale: float) -> QImage:
    """One page as a QImage (PDFium's BGRx bytes are Qt's RGB32 on little-endian machines)."""
    bitmap = page.render(scale=scale, prefer_bgrx=True)
    image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride,
                   QImage.Format.Format_RGB32)
    return image.copy()  # detach from PDFium's buffer, which is freed with the bitmap


class PdfPages:
    """An open PDF: page sizes (points) and pages rendered to images, safe from any thread."""

    def __init__(self, pdf: bytes) -> None:
        with PDFIUM_LOCK:
            self._doc = pypdfium2.PdfDocument(pdf)
            self.sizes: list[tuple[float, float]] = [
                self._doc.get_page_size(i) for i in range(len(self._doc))]

    def __len__(self) -> int:
        return len(self.sizes)

    def render(self, index: int, scale: float) -> QImage:
        """Page `index` at `scale` pixels per point (1.0 = 72 dpi)."""
        with PDFIUM_LOCK:
            page = self._doc[index]
            try:
                return _image(page, scale)
            finally:
                page.close()

    def close(self) -> None:
        # Closed explicitly under the lock: a finalizer might otherwise run in another thread
        # while that thread is inside PDFium.
        with PDFIUM_LOCK:
            self._doc.close()


# ----------------------------------------------------------------------------- paper


def page_layout(width_pt: float, height_pt: float) -> QPageLayout:
    """The paper for one PDF page: a standard size when it is one (so the printer driver picks
    the right tray), portrait or landscape as the page is, full page with no margins."""
    landscape = width_pt > height_pt
    short, long = sorted((width_pt, height_pt))
    size = QPageSize(QSizeF(short, long), QPageSize.Unit.Point, "",
                     QPageSize.SizeMatchPolicy.FuzzyOrientationMatch)
    if size.id() == QPageSize.PageSizeId.Custom:
        # The wallet card (85.6 × 54 mm): named in millimetres so the driver sees the real size.
        size = QPageSize(QSizeF(short * MM_PER_POINT, long * MM_PER_POINT),
                         QPageSize.Unit.Millimeter, "联系卡 85.6×54毫米",
                         QPageSize.SizeMatchPolicy.ExactMatch)
    orientation = (QPageLayout.Orientation.Landscape if landscape
                   else QPageLayout.Orientation.Portrait)
    return QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)


def paper_name(width_pt: float, height_pt: float) -> str:
    """'A4', 'A4 横向', '85.6×54毫米' — for the summary and the print log."""
    layout = page_layout(width_pt, height_pt)
    size = layout.pageSize()
    if size.id() == QPageSize.PageSizeId.Custom:
        return f"{max(width_pt, height_pt) * MM_PER_POINT:.1f}×" \
               f"{min(width_pt, height_pt) * MM_PER_POINT:.0f}毫米"
    turned = " 横向" if layout.orientation() == QPageLayout.Orientation.Landscape else ""
    return size.name() + turned


def prepare_printer(printer: QPrinter, pages: PdfPages, duplex: QPrinter.DuplexMode | None
                    ) -> None:
    """Set the printer to the document's first page: its paper, full page, no margins (100%)."""
    printer.setPageLayout(page_layout(*pages.sizes[0]))
    printer.setFullPage(True)  # after the layout, which resets it
    if duplex is not None:
        printer.setDuplex(duplex)
    printer.setCopyCount(1)


@dataclass(frozen=True)
class PrintResult:
    pages: int
    printer: str  # "打印机 NAME" or "PDF 文件 NAME.pdf" (for the print log)


def print_pages(pages: PdfPages, printer: QPrinter, progress: Progress | None = None,
                dpi: int = PRINT_DPI) -> PrintResult:
    """Print every page at 100% (a background job: ``run_task`` passes `progress`).

    Cancel aborts the printer's job, so nothing half-printed is left in the queue.
    """
    progress = progress or SilentProgress()
    total = len(pages)
    progress.update(0, total, "正在发送到打印机")
    painter = QPainter()
    if not painter.begin(printer):
        raise ClinicError("无法开始打印：打印机没有响应，请检查打印机是否已连接、已开机")
    try:
        resolution = printer.resolution()
        for index in range(total):
            width, height = pages.sizes[index]
            if index:
                if pages.sizes[index] != pages.sizes[index - 1]:
                    printer.setPageLayout(page_layout(width, height))  # from the new page on
                    printer.setFullPage(True)
                printer.newPage()
            image = pages.render(index, dpi / 72)
            # The page's physical size in printer pixels, from the paper's corner: 100%.
            target = QRectF(0, 0, width * resolution / 72, height * resolution / 72)
            painter.drawImage(target, image)
            progress.update(index + 1, total, f"正在打印第 {index + 1} 页，共 {total} 页")
    except BaseException:
        printer.abort()
        painter.end()
        raise
    painter.end()
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        name = f"PDF 文件 {Path(printer.outputFileName()).name}"
    else:
        name = f"打印机 {printer.printerName() or '（默认）'}"
    return PrintResult(total, name)


# ----------------------------------------------------------------------------- preview


class _Canvas(QWidget):
    """The pages stacked vertically; only the pages in view are rendered (and cached)."""

    def __init__(self, view: PdfView) -> None:
        super().__init__()
        self._view = view
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor("#8a8f94"))
        if not self._view.page_count():
            painter.setPen(QColor("#eceff1"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._view.empty_text)
        for index, rect in self._view.page_rects():
            if not rect.intersects(event.rect()):
                continue
            painter.fillRect(rect.translated(3, 3), QColor(0, 0, 0, 70))  # shadow
            # Drawn unscaled: a one-pixel stretch would drop a row of pixels mid-page.
            painter.drawImage(rect.topLeft(), self._view.page_image(index, rect.size()))
        painter.end()


class PdfView(QScrollArea):
    """A PDF preview: pages one under another, fit to the width or zoomed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self.pages: PdfPages | None = None
        self.zoom: float | None = None  # None: fit the width
        self.empty_text = "生成预览后，要打印的页面显示在这里"
        self._cache: OrderedDict[tuple[int, int], QImage] = OrderedDict()
        self.canvas = _Canvas(self)
        self.setWidget(self.canvas)
        self.setWidgetResizable(False)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setBackgroundRole(self.canvas.backgroundRole())
        self.verticalScrollBar().setSingleStep(40)

    def set_pdf(self, pdf: bytes | None) -> None:
        if self.pages is not None:
            self.pages.close()
        self.pages = PdfPages(pdf) if pdf else None
        self._cache.clear()
        self._relayout()
        self.verticalScrollBar().setValue(0)

    def page_count(self) -> int:
        return len(self.pages) if self.pages else 0

    def set_zoom(self, zoom: float | None) -> None:
        self.zoom = zoom
        self._cache.clear()
        self._relayout()

    def scale(self) -> float:
        """Screen pixels per PDF point."""
        if not self.pages:
            return 1.0
        if self.zoom is not None:
            return self.zoom * self.logicalDpiX() / 72
        widest = max(w for w, _ in self.pages.sizes)
        room = self.viewport().width() - 2 * GAP
        if not self.verticalScrollBar().isVisible():  # it appears once the pages are laid out
            room -= self.verticalScrollBar().sizeHint().width()
        return max(0.2, min(3.0, room / widest))

    def page_rects(self) -> list[tuple[int, QRect]]:
        if not self.pages:
            return []
        scale = self.scale()
        rects, y = [], GAP
        full = self.canvas.width()
        for index, (w, h) in enumerate(self.pages.sizes):
            size = QSize(math.ceil(w * scale), math.ceil(h * scale))  # as PDFium sizes it
            rects.append((index, QRect(QPoint((full - size.width()) // 2, y), size)))
            y += size.height() + GAP
        return rects

    def page_image(self, index: int, size: QSize) -> QImage:
        key = (index, size.width())
        image = self._cache.get(key)
        if image is None:
            assert self.pages is not None
            ratio = self.devicePixelRatioF()
            image = self.pages.render(index, self.scale() * ratio)
            image.setDevicePixelRatio(ratio)
            self._cache[key] = image
            while len(self._cache) > CACHE_PAGES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return image

    def rendered_pages(self) -> list[int]:
        """Pages rendered so far (tests: the preview really drew them)."""
        return sorted({index for index, _ in self._cache})

    def _relayout(self) -> None:
        rects = self.page_rects()
        if not rects:
            self.canvas.resize(self.viewport().size())
        else:
            width = max(self.viewport().width(), max(r.width() for _, r in rects) + 2 * GAP)
            self.canvas.resize(width, rects[-1][1].bottom() + GAP)
        self.canvas.update()

    def resizeEvent(self, event: object) -> None:  # type: ignore[override]
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.zoom is None:
            self._cache.clear()
        self._relayout()
