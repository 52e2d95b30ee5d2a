"""Resident identity card numbers (居民身份证号码, GB 11643).

Normalises what people and spreadsheets really type (spaces, full-width digits, lower-case x,
15-digit pre-1999 numbers) and separates hard errors (length, checksum, impossible birth date)
from the soft warning of an unknown birthplace code: real residents carry county codes that were
renamed later (海原县 642222 became 640522), which python-stdnum's full validation rejects.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b-]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


class IdNumberError(ValueError):
    """An ID number that cannot be right; the message is Chinese, for the user."""


@dataclass(frozen=True)
class IdNumber:
    """A checked 18-character ID number and what it tells."""

    number: str
    birth_date: dt.date
    sex: str  # "男" / "女"
    place_code: str
    warnings: tuple[str, ...] = field(default=())

    def masked(self) -> str:
        """Middle digits hidden, as shown in lists: 410102********1234."""
        return mask(self.number)


def normalise(raw: object) -> str:
    """Return the ID as typed, cleaned: half-width, no spaces, upper-case X."""
    text = "" if raw is None else str(raw)
    text = unicodedata.normalize("NFKC", text)  # full-width digits and letters → ASCII
    text = _SPACES.sub("", text)
    return text.upper()


def mask(number: str) -> str:
    if len(number) < 10:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def _upgrade_15(number: str) -> str:
    """Convert a 15-digit first-generation ID to 18 digits (19YY birth year, new check digit)."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def parse(raw: object, today: dt.date | None = None) -> IdNumber:
    """Check an ID number; raise IdNumberError with a Chinese reason when it cannot be right."""
    today = today or dt.date.today()
    original = "" if raw is None else str(raw).strip()
    number = normalise(raw)
    if not number:
        raise IdNumberError("身份证号为空")
    if _SCIENTIFIC.match(number):
        raise IdNumberError("身份证号被表格存成了科学计数法数字，后几位已丢失，"
                            "请在表格中把该列设为文本后重新录入")
    warnings: list[str] = []
    if len(number) == 15:
        if not number.isdigit():
            raise IdNumberError("15位身份证号只能是数字")
        number = _upgrade_15(number)
        warnings.append("15位旧身份证号已转换为18位")
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，现在是{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("身份证号前17位必须是数字，最后一位是数字或X")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise IdNumberError(f"身份证号中的出生日期 {number[6:14]} 不存在") from None
    if birth > today:
        raise IdNumberError(f"身份证号中的出生日期 {birth:%Y-%m-%d} 晚于今天")
    if birth.year < 1880:
        raise IdNumberError(f"身份证号中的出生年份 {birth.year} 不合理")
    if number[17] != ric.calc_check_digit(number):
        if original.endswith("000") and len(original) >= 18:
            raise IdNumberError("身份证号校验位不对，末尾几位可能被表格当作数字存储时丢失")
        raise IdNumberError("身份证号校验位不对，请核对是否输错")
    try:
        ric.get_birth_place(number)
    except ValidationError:
        warnings.append(f"地区代码 {number[:6]} 不在现行行政区划表中（可能是旧代码），请核对")
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return IdNumber(number, birth, sex, number[:6], tuple(warnings))


def is_valid(raw: object) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def make(place_code: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid ID number (demo data and test factories).

    The 17th digit carries the sex: odd for men, even for women. Sequences 0–499 give distinct
    numbers for one (place, birth date, sex); callers keep them unique within that.
    """
    if not 0 <= sequence < 500:
        raise ValueError("sequence must be 0–499")
    seq = sequence % 100
    sex_digit = (sequence // 100) % 5 * 2 + (1 if sex == "男" else 0)
    body = f"{place_code}{birth:%Y%m%d}{seq:02d}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
