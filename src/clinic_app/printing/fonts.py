"""The bundled Chinese font for every PDF, and the check for characters it cannot draw.

reportlab never falls back to another font: a character missing from the font prints as
nothing, silently (ENGINEERING-NOTES). A rare character in a name (生僻字) must therefore be found
*before* printing — ``missing_glyphs`` — and the caller refuses or asks; it is never printed
blank. The fonts are the fixed-weight Noto Sans SC instances in ``resources/fonts`` (TrueType
outlines, so reportlab embeds a subset of the glyphs each PDF uses). Parsing a 10 MB font takes
about half a second, so each is registered once per process and cached.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from clinic_app.errors import ClinicError

# Binary (zlib only) streams, not ASCII85 on top: a fifth smaller and faster to write; every
# PDF reader and printer driver of the last twenty years reads them.
rl_config.useA85 = 0

REGULAR = "NotoSansSC"
BOLD = "NotoSansSC-Bold"
_FILES = {REGULAR: "NotoSansSC-Regular.ttf", BOLD: "NotoSansSC-Bold.ttf"}
_lock = threading.Lock()
_loaded: dict[str, TTFont] = {}


def font(name: str = REGULAR) -> TTFont:
    """The registered reportlab font (registered on first use, then cached)."""
    found = _loaded.get(name)
    if found is not None:
        return found
    with _lock:  # background print jobs may start two at once
        if name not in _loaded:
            data = resources.files("clinic_app.resources").joinpath("fonts", _FILES[name])
            with resources.as_file(data) as path:
                loaded = TTFont(name, str(path))
            pdfmetrics.registerFont(loaded)
            _loaded[name] = loaded
            if {REGULAR, BOLD} <= set(_loaded):
                pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD,
                                              italic=REGULAR, boldItalic=BOLD)
    return _loaded[name]


def register() -> None:
    """Register both weights (and the family, so ``<b>`` in paragraphs uses the bold one)."""
    font(REGULAR)
    font(BOLD)


def width(text: str, name: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, name, size)


# Characters that are never drawn as glyphs, so never "missing": line breaks, tabs, and the
# invisible format characters a pasted name may carry.
def _needs_glyph(char: str) -> bool:
    return char not in "\n\r\t" and unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")


def missing_chars(text: str) -> list[str]:
    """The distinct characters of text that the bundled font cannot draw, in order."""
    cmap = font(REGULAR).face.charToGlyph
    bold = font(BOLD).face.charToGlyph
    out: list[str] = []
    for char in text:
        if _needs_glyph(char) and (ord(char) not in cmap or ord(char) not in bold) \
                and char not in out:
            out.append(char)
    return out


@dataclass(frozen=True)
class GlyphProblem:
    """One piece of text (a name, a village…) that would print with gaps."""

    text: str
    chars: tuple[str, ...]
    where: str = ""  # whose card / which field, in Chinese
    subject_id: str = ""

    def describe(self) -> str:
        codes = "、".join(f"“{c}”(U+{ord(c):04X})" for c in self.chars)
        place = f"{self.where}：" if self.where else ""
        return f"{place}“{self.text}”中的 {codes} 字库中没有"


def missing_glyphs(texts: Iterable[str | tuple[str, str] | tuple[str, str, str]]
                   ) -> list[GlyphProblem]:
    """Which of the given texts contain characters the font lacks.

    Each item is a text, or (text, where) or (text, where, subject_id) so the message can say
    whose card it is. Returns one problem per text with missing characters; empty = all print.
    """
    items = [(item, "", "") if isinstance(item, str) else (*item, "")[:3] for item in texts]
    # Most batches have no rare character at all: check each distinct character once.
    distinct = set().union(*(text for text, _, _ in items)) if items else set()
    if not missing_chars("".join(sorted(distinct))):
        return []
    problems = []
    for text, where, subject in items:
        chars = missing_chars(text)
        if chars:
            problems.append(GlyphProblem(text, tuple(chars), where, subject))
    return problems


def mark_missing(text: str, mark: str = "□") -> str:
    """Text with every character the font lacks replaced by a visible box (to hand-write in)."""
    missing = set(missing_chars(text))
    return "".join(mark if c in missing else c for c in text) if missing else text


class MissingGlyphs(ClinicError):
    """Printing refused: some text has characters the font cannot draw (it would print blank)."""

    def __init__(self, problems: list[GlyphProblem]) -> None:
        self.problems = problems
        shown = "；".join(p.describe() for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"有 {len(problems)} 处文字含字库中没有的生僻字，打印出来会是空白，"
                         f"已停止打印：{shown}{more}。请核对这些字（可改用常用写法并在备注中"
                         "注明），或选择用“□”代替后手写补上")
