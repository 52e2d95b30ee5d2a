"""Fitting text into boxes on a card: shrink, then wrap — never clip, never overlap.

Chinese breaks between any two characters, except that closing punctuation (，。、）…) never
starts a line and opening punctuation never ends one (the usual 避头尾 rule). Runs of Latin
letters and digits (phone numbers, dates, 2型) stay whole unless longer than a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

NO_LINE_START = set("，。、；：？！）》」』】〕”’,.;:?!)]}%·…—～")
NO_LINE_END = set("（《「『【〔“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9.\-/:%+@#]+| +|.", re.S)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Lines of text no wider than max_width (a token wider than a line is split by character)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_one(paragraph, font, size, max_width))
    return lines


def _wrap_one(text: str, font: str, size: float, max_width: float) -> list[str]:
    # Widths are summed token by token (a string's width is the sum of its characters').
    lines: list[str] = []
    current, current_w = "", 0.0
    for token in _tokens(text):
        token_w = stringWidth(token, font, size)
        if current_w + token_w <= max_width + 1e-6:
            current, current_w = current + token, current_w + token_w
            continue
        if token.isspace():  # a space at the break disappears
            lines.append(current)
            current, current_w = "", 0.0
            continue
        if token_w > max_width:  # too long for any line: split it by character
            for char in token:
                char_w = stringWidth(char, font, size)
                if current and current_w + char_w > max_width + 1e-6:
                    lines.append(current)
                    current, current_w = "", 0.0
                current, current_w = current + char, current_w + char_w
            continue
        if token in NO_LINE_START and len(current) > 1:
            # Carry the last character down with the punctuation (避头).
            carried = current[-1] + token
            lines.append(current[:-1])
            current, current_w = carried, stringWidth(carried, font, size)
            continue
        if len(current) > 1 and current[-1] in NO_LINE_END:
            lines.append(current[:-1])  # an opening bracket goes down with its text (避尾)
            current = current[-1] + token
            current_w = stringWidth(current, font, size)
            continue
        if current:
            lines.append(current.rstrip())
        current = token.lstrip()
        current_w = stringWidth(current, font, size)
    lines.append(current.rstrip())
    return lines if any(lines) else [""]


@dataclass(frozen=True)
class Fitted:
    size: float
    lines: tuple[str, ...]
    leading: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.leading


@lru_cache(maxsize=4096)
def fit(text: str, font: str, max_width: float, size: float, min_size: float,
        max_lines: int = 1, leading: float = 1.25, step: float = 0.25) -> Fitted:
    """The largest size from size down to min_size at which text fits in max_lines lines.

    If even min_size needs more lines, the text is wrapped at min_size onto as many lines as it
    needs (the caller sees the height and makes room — nothing is cut off).
    """
    current = size
    while True:
        lines = wrap(text, font, current, max_width)
        if len(lines) <= max_lines or current - step < min_size - 1e-9:
            return Fitted(current, tuple(lines), current * leading)
        current -= step


def fits_one_line(text: str, font: str, size: float, max_width: float) -> bool:
    return stringWidth(text, font, size) <= max_width
