"""Field checks shared by forms, imports and the command line (messages in Chinese)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_NAME_JUNK = re.compile(r"[\s\u3000]+")


def clean_phone(raw: str | None) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s()（）]", "", text).replace("—", "-")


def phone_problem(raw: str | None) -> str | None:
    """None when the phone is empty or plausible, else why not."""
    phone = clean_phone(raw)
    if not phone:
        return None
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    if phone.isdigit() and phone.startswith("1"):
        return f"手机号应为11位数字，现在是{len(phone)}位"
    return "电话号码格式不对：手机11位，座机如 0951-1234567"


_DATE = re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$")


def parse_date(raw: str | None) -> dt.date | None:
    """A date as people write it: 2026-11-03, 2026.11.3, 2026/11/3, 2026年11月3日, 20261103.

    None for empty text; ValueError (Chinese message) for anything else unreadable.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip().replace(" ", "")
    if not text:
        return None
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.match(text)
    if match is None:
        raise ValueError(f"日期“{raw}”看不懂，请写成 2024-03-15 或 2024年3月15日")
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"日期“{raw}”不存在") from None


def clean_name(raw: str | None) -> str:
    """Names arrive with ideographic or inner spaces from spreadsheets: drop them."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if text and all("\u3400" <= c <= "\U0003134f" or c in "·•" for c in _NAME_JUNK.sub("", text)):
        return _NAME_JUNK.sub("", text).replace("•", "·")
    return re.sub(r"\s+", " ", text)


def name_problem(name: str) -> str | None:
    if not name:
        return "姓名不能为空"
    if len(name) > 30:
        return "姓名太长（最多30个字）"
    if any(c.isdigit() for c in name):
        return "姓名中不应有数字"
    if any("\u3400" <= c <= "\u9fff" for c in name) and any(c.isascii() and c.isalpha()
                                                           for c in name):
        return "姓名中混有字母，请检查是否把拼音打进了姓名"
    return None
