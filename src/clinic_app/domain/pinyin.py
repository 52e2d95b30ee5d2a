"""Pinyin search keys for Chinese names.

Village doctors type names as pinyin initials (zs → 张三) or full pinyin. pypinyin's default
reading is wrong for surnames such as 单 (shan), 曾 (zeng), 仇 (qiu), 区 (ou), 解 (xie), so every
reading of every character is indexed (heteronym=True), capped so a name of many heteronyms
cannot explode into thousands of keys.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

MAX_VARIANTS = 32
MAX_READINGS_PER_CHAR = 4

# Surnames whose reading differs from the character's common reading. As a name's first
# character these readings come first (the "primary" spelling ranks above the others).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "仇": "qiu", "区": "ou", "解": "xie", "查": "zha", "朴": "piao",
    "盖": "ge", "覃": "qin", "尉": "yu", "乐": "yue", "缪": "miao", "翟": "zhai", "召": "shao",
    "种": "chong", "秘": "bi", "繁": "po", "员": "yun", "万": "wan", "隗": "wei", "冼": "xian",
    "黑": "he", "燕": "yan", "任": "ren", "华": "hua", "纪": "ji", "过": "guo", "宁": "ning",
}


@dataclass(frozen=True)
class NameKeys:
    """Spellings of a name; the first of each is the primary (how people say the name)."""

    full: tuple[str, ...]  # e.g. ("zhangsan",)
    initials: tuple[str, ...]  # e.g. ("zs",)

    @property
    def primary_full(self) -> str:
        return self.full[0] if self.full else ""

    @property
    def primary_initials(self) -> str:
        return self.initials[0] if self.initials else ""

    def joined_full(self) -> str:
        return " ".join(self.full)

    def joined_initials(self) -> str:
        return " ".join(self.initials)


@lru_cache(maxsize=8192)
def _readings(char: str) -> tuple[str, ...]:
    if not ("\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0003134f"):
        return (char.lower(),) if char.isalnum() else ()
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore", strict=False)
    if not found or not found[0]:
        return ()  # a character pypinyin does not know: contributes nothing to the keys
    seen: dict[str, None] = {}
    for reading in found[0][:MAX_READINGS_PER_CHAR]:
        seen.setdefault(reading.replace("ü", "v"), None)
    return tuple(seen)


@lru_cache(maxsize=65536)
def name_keys(name: str) -> NameKeys:
    """All full-pinyin and initial-letter spellings of a name, the primary spelling first."""
    name = name.strip()
    per_char = [r for r in (_readings(c) for c in name) if r]
    # The primary reading is phrase-aware (李长江 → li chang jiang, not zhang): pypinyin's
    # lazy_pinyin uses its phrase dictionary; per-character readings follow as alternatives.
    spoken = [s.replace("ü", "v") for s in lazy_pinyin(name, style=Style.NORMAL,
                                                        errors="ignore")]
    if len(spoken) == len(per_char):
        per_char = [(s, *(r for r in readings if r != s)) if s in readings else readings
                    for s, readings in zip(spoken, per_char, strict=True)]
    if per_char and name[:1] in SURNAME_READINGS:
        surname = SURNAME_READINGS[name[0]]
        per_char[0] = (surname, *(r for r in per_char[0] if r != surname))
    if not per_char:
        return NameKeys((), ())
    full: dict[str, None] = {}
    initials: dict[str, None] = {}
    for combo in itertools.islice(itertools.product(*per_char), MAX_VARIANTS):
        full.setdefault("".join(combo), None)
        initials.setdefault("".join(part[0] for part in combo), None)
    return NameKeys(tuple(full), tuple(initials))


def is_pinyin_query(text: str) -> bool:
    """True when the query looks like pinyin (ASCII letters only, spaces allowed)."""
    stripped = text.replace(" ", "")
    return bool(stripped) and stripped.isascii() and stripped.isalpha()
