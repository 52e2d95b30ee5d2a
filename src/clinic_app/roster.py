"""Importing the poverty office's roster (扶贫办建档立卡名单), again and again.

The office sends the roster as a spreadsheet several times a year, and it is messy: title rows
and merged title cells above the header, blank rows, a totals row, ID numbers that Excel stored
as numbers (and so lost their last digits), full-width digits, spaces, people listed twice.
``import_roster`` reads it (``.xlsx`` through openpyxl in read-only mode, ``.csv`` in UTF-8 with
or without BOM, GBK or GB18030), finds the header row, maps the usual Chinese headers to fields,
normalises what can be recovered and reports what cannot, row by row, in Chinese.

A re-import is a dynamic adjustment (动态调整): households are keyed by the roster's household
number, residents by ID number (a person without one, such as a newborn, by household + name +
birth date); new people are added, changed fields go through ``Store.update`` (so they land in
the change log, under the user marked 名单导入), and people the roster answers for (members of
its households, people an earlier import brought in) who are missing from it are listed per
village for review, never deleted. Local edits win: a field changed by hand since the last
import that touched it (read from the change log, nothing stored) keeps its value and is
reported as a conflict, unless the caller chooses to overwrite it. Nothing a doctor recorded
(visits, contracts, notes) is touched; a blank roster cell never erases a value. Relation
words (妻, 长子, 母亲…) become the codes of ``codes.RELATIONS``; 健康状况 naming a chronic
disease is a condition suggestion, recorded only when accepted. Each household keeps one head
whose relation is 户主, as ``Clinic.set_head`` does: a replaced head who is not on the roster
becomes 其他, and every such consequence is in the report's warnings and changes. The whole
import is one transaction: a crash or a cancel leaves the register as it was, and importing
the same file twice changes nothing the second time.

The work runs in three steps: read the table (no database), check every row (no database),
then plan against the register and write the plan, inside one transaction
(``storage.db.write_transaction``: ``db.atomic()`` begun IMMEDIATE). A dry run plans inside a
read transaction and reports what would change without writing.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import json
import re
import sqlite3
import time
import unicodedata
import zipfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stdnum.cn import ric

from clinic_app import fileio
from clinic_app.domain import codes, ids, pinyin, validate
from clinic_app.errors import ClinicError
from clinic_app.progress import Progress, SilentProgress
from clinic_app.storage import db as storage_db
from clinic_app.storage import queries, roster_queries
from clinic_app.storage.store import Store, new_id

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic

# ---------------------------------------------------------------------------------- columns
# Field → Chinese label (the wizard shows these when the user edits the mapping).
FIELDS: dict[str, str] = {
    "name": "姓名",
    "id_number": "证件号码",
    "sex": "性别",
    "relation": "与户主关系",
    "household_no": "户编号",
    "township": "乡(镇)",
    "village": "行政村",
    "group": "组",
    "phone": "联系电话",
    "poverty_category": "人员类别",
    "poverty_status": "脱贫属性",
    "health": "健康状况",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "address": "家庭住址",
}
REQUIRED_FIELDS = ("name", "id_number", "household_no")

# Exact header texts (after normalisation: NFKC, no spaces, no asterisks).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "成员姓名", "人员姓名", "家庭成员姓名", "贫困人口姓名", "名字"),
    "id_number": ("证件号码", "身份证号", "身份证号码", "公民身份证号码", "公民身份号码",
                  "身份证件号码", "证件号", "身份证", "居民身份证号码"),
    "sex": ("性别",),
    "relation": ("与户主关系", "与户主的关系", "家庭关系", "关系"),
    "household_no": ("户编号", "户号", "家庭编号", "户编码", "贫困户编号"),
    "township": ("乡(镇)", "乡镇", "乡(镇、街道)", "乡镇(街道)", "乡(镇)名称", "乡镇名称",
                 "镇", "乡", "街道"),
    "village": ("行政村", "村", "村(社区)", "行政村(社区)", "村名", "行政村名称", "村名称"),
    "group": ("组", "村民小组", "小组", "组别", "村民组", "社"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"),
    "poverty_category": ("贫困户属性", "人员类别", "户属性", "贫困类别", "人员属性", "户类别",
                         "贫困属性"),
    "poverty_status": ("脱贫属性", "脱贫状态", "是否脱贫", "脱贫情况"),
    "health": ("健康状况", "健康情况"),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "出生时间", "生日"),
    "address": ("家庭住址", "住址", "家庭地址", "地址", "现住址", "居住地址", "详细地址"),
}
_ALIAS_INDEX = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}

HEADER_SCAN = 30  # the header is looked for in the first rows only
TOTAL_WORDS = ("合计", "总计")
SUBTOTAL_WORDS = ("小计",)

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_PARENTHESISED = re.compile(r"\([^)]*\)")
_PHONE_SPLIT = re.compile(r"[/,，、;；\s]+")
_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+\d+:[A-Z]+\d+)\"")

LOST_DIGITS = ("身份证号被表格存成了数字，后几位已丢失，"
               "请在表格中把该列设为文本后重新录入")

# Who the change log names for an import's writes (Clinic.import_roster sets it): "名单导入",
# or the user followed by "（名单导入）". Any other user's change is a local edit.
IMPORT_USER = "名单导入"
IMPORT_USER_SUFFIX = f"（{IMPORT_USER}）"

# Fields a local edit protects from the roster (local edits win unless the user overwrites).
# Where a person lives and who heads a household follow the roster: they are the poverty
# office's to decide, and each such change is listed before the import.
PROTECTED_FIELDS: dict[str, tuple[str, ...]] = {
    "residents": ("name", "sex", "birth_date", "phone", "ethnicity", "poverty_category",
                  "poverty_status", "relation"),
    "households": ("group_name", "poverty_category", "address"),
}


def is_import_user(user: str) -> bool:
    """True for the change-log user of a roster import's writes."""
    return user == IMPORT_USER or user.endswith(IMPORT_USER_SUFFIX)


def import_user(user: str) -> str:
    """The change-log user for an import run by user (unchanged if already marked)."""
    if is_import_user(user):
        return user
    return f"{user}{IMPORT_USER_SUFFIX}" if user else IMPORT_USER


_HOUSEHOLD_LABELS = {"group_name": "组", "address": "地址", "village_id": "所在村",
                     "head_id": "户主", "poverty_category": "户类别"}


def _field_label(table: str, name: str) -> str:
    if table == "households" and name in _HOUSEHOLD_LABELS:
        return _HOUSEHOLD_LABELS[name]
    return codes.FIELD_LABELS.get(name, name)


def _show_code(name: str, value: Any) -> str:
    """A stored value as people read it (a category's label, not its code)."""
    if value in (None, ""):
        return "（空）"
    if name == "poverty_category":
        return codes.label(codes.POVERTY_CATEGORIES, value)
    if name == "poverty_status":
        return codes.label(codes.POVERTY_STATUS, value)
    return str(value)


# ---------------------------------------------------------------------------------- report
@dataclass
class RowIssue:
    """One problem of one spreadsheet row: an error (row rejected) or a warning."""

    row: int  # spreadsheet row number, 1-based, as Excel shows it
    column: str  # the column's header text ("" when the problem is the whole row)
    reason: str  # Chinese, for people
    values: tuple[Any, ...] = ()  # the original cell values (for the error report)

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    path: str
    encoding: str = ""  # of a .csv ("utf-8-sig", "utf-8", "gbk", "gb18030"); "" for .xlsx
    sheet: str = ""  # of an .xlsx
    header_row: int = 0  # 1-based row of the header (its last line, if it has two)
    headers: list[str] = field(default_factory=list)
    mapping: dict[int, str] = field(default_factory=dict)  # column index (0-based) → field
    rows_read: int = 0  # data rows looked at (blank, totals and note rows not counted)
    imported: int = 0  # new residents
    updated: int = 0  # roster residents whose fields changed (every change is in changes)
    unchanged: int = 0
    households: int = 0  # new households
    households_updated: int = 0
    places_created: list[str] = field(default_factory=list)
    skipped_other_village: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    missing_from_roster: list[dict[str, Any]] = field(default_factory=list)
    missing_by_village: dict[str, int] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)  # updates: table, id, fields
    # Fields changed by hand since the last import that the roster would change: kept
    # unless overwritten (each has a key to choose it by, and "overwritten").
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # 健康状况 naming a chronic disease: recorded as a condition only when accepted.
    condition_suggestions: list[dict[str, Any]] = field(default_factory=list)
    village: str | None = None
    dry_run: bool = False
    seconds: float = 0.0
    on: str = ""  # the date of the import (ISO), for titles of saved lists

    @property
    def rejected(self) -> int:
        """Rows not imported because of an error."""
        return len({issue.row for issue in self.errors})

    @property
    def kept_local(self) -> int:
        """Conflicting fields where the local edit was kept."""
        return sum(1 for c in self.conflicts if not c["overwritten"])

    @property
    def conditions_added(self) -> int:
        return sum(1 for s in self.condition_suggestions if s["accepted"])

    def field_changes(self) -> list[dict[str, Any]]:
        """Every planned change, one row per field: who, field, current value → roster value."""
        return [{"row": change["row"], "name": change["name"], "table": change["table"],
                 "household_no": change.get("household_no", ""), **shown}
                for change in self.changes for shown in change.get("display", [])]

    def column_label(self, column: int) -> str:
        text = self.headers[column] if column < len(self.headers) else ""
        return text or f"第{column + 1}列"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "encoding": self.encoding, "sheet": self.sheet,
            "header_row": self.header_row, "headers": list(self.headers),
            "mapping": {str(column): name for column, name in sorted(self.mapping.items())},
            "rows_read": self.rows_read, "imported": self.imported, "updated": self.updated,
            "unchanged": self.unchanged, "households": self.households,
            "households_updated": self.households_updated,
            "places_created": list(self.places_created),
            "skipped_other_village": self.skipped_other_village, "rejected": self.rejected,
            "errors": [issue.to_json() for issue in self.errors],
            "warnings": [issue.to_json() for issue in self.warnings],
            # Lists on screen and in scripts show masked ID numbers; the saved .xlsx has them.
            "missing_from_roster": [{k: v for k, v in m.items() if k != "id_number"}
                                    for m in self.missing_from_roster],
            "missing_by_village": dict(self.missing_by_village),
            "changes": [dict(c) for c in self.changes],
            "conflicts": [dict(c) for c in self.conflicts], "kept_local": self.kept_local,
            "condition_suggestions": [dict(s) for s in self.condition_suggestions],
            "conditions_added": self.conditions_added,
            "village": self.village, "dry_run": self.dry_run, "seconds": self.seconds,
            "on": self.on,
        }


@dataclass
class RosterPreview:
    """The first rows of a roster and the detected header, for the import wizard."""

    path: str
    encoding: str
    sheet: str
    sheets: list[str]
    header_row: int  # 1-based; 0 when no header row was found
    headers: list[str]
    mapping: dict[int, str]
    rows: list[list[str]]  # the first data rows, as text


# ---------------------------------------------------------------------------------- values
def _text(value: Any) -> str:
    """A cell as clean text: half-width, no invisible characters, trimmed."""
    if value is None:
        return ""
    if value.__class__ is str:
        return _clean(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value)
        if abs(value) >= 1e15:  # as Excel shows it: 15 significant digits, then zeros
            return str(int(Decimal(f"{value:.15g}")))
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _clean(str(value))


@lru_cache(maxsize=16384)  # townships, villages, categories … repeat on every row
def _clean(text: str) -> str:
    if text.isascii():
        return text.strip()
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).strip()


def _compact(value: Any) -> str:
    """Text without any whitespace (codes, place names, relations)."""
    return "".join(_text(value).split())


def header_key(value: Any) -> str:
    return _compact(value).replace("*", "").rstrip(":").lower()


def match_header(value: Any) -> str | None:
    """The field a header cell names, or None."""
    key = header_key(value)
    if not key:
        return None
    found = _ALIAS_INDEX.get(key) or _ALIAS_INDEX.get(_PARENTHESISED.sub("", key))
    return found or _contains_rule(key)


def _contains_rule(key: str) -> str | None:
    if "户主" in key and "关系" not in key:
        return None  # 户主姓名 / 户主电话 describe the head, not this row's person
    rules: tuple[tuple[tuple[str, ...], str], ...] = (
        (("身份证", "证件号"), "id_number"),
        (("与户主", "关系"), "relation"),
        (("户编号", "户号", "户编码"), "household_no"),
        (("姓名",), "name"),
        (("性别",), "sex"),
        (("电话", "手机", "联系方式"), "phone"),
        (("健康",), "health"),
        (("民族",), "ethnicity"),
        (("住址", "地址"), "address"),
    )
    for words, name in rules:
        if any(w in key for w in words):
            return name
    if "出生" in key and "地" not in key:  # 出生日期 / 出生年月, not 出生地
        return "birth_date"
    if "脱贫" in key and "年" not in key:
        return "poverty_status"
    if "属性" in key or "类别" in key:
        return "poverty_category"
    if "村民小组" in key or "自然村" in key or key.endswith("组"):
        return "group"  # a natural village (自然村) is part of an administrative one
    if "村" in key:
        return "village"
    if "乡" in key or "镇" in key or "街道" in key:
        return "township"
    return None


def match_headers(cells: Sequence[Any]) -> dict[int, str]:
    """Column index → field for a header row; exact names first, the first column wins."""
    keys = [header_key(c) for c in cells]
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for column, key in enumerate(keys):
        name = _ALIAS_INDEX.get(key) or _ALIAS_INDEX.get(_PARENTHESISED.sub("", key))
        if name and name not in taken:
            mapping[column] = name
            taken.add(name)
    for column, key in enumerate(keys):
        if column in mapping or not key:
            continue
        name = _contains_rule(key)
        if name and name not in taken:
            mapping[column] = name
            taken.add(name)
    return dict(sorted(mapping.items()))


@lru_cache(maxsize=1024)
def poverty_category_code(text: str) -> str:
    """A category code from codes.POVERTY_CATEGORIES, or the text itself (categories are data)."""
    key = _compact(text)
    if not key:
        return ""
    for code, label in codes.POVERTY_CATEGORIES.items():
        if key in (code, label):
            return code
    if key == "一般户" or any(w in key for w in ("非贫困", "一般农户", "一般人群", "非建档")):
        return "none"
    if any(w in key for w in ("特困", "五保", "供养")):
        return "tekun"
    if "低保" in key:
        return "dibao"
    if "残疾" in key:
        return "poor_disabled"
    if any(w in key for w in ("监测", "防止返贫", "边缘", "不稳定", "突发")):
        return "monitored"
    if key in ("脱贫户", "已脱贫户", "稳定脱贫户"):
        return "lifted"
    if any(w in key for w in ("贫困", "建档立卡")):
        return "poverty_registered"
    return key


@lru_cache(maxsize=1024)
def poverty_status_code(text: str) -> str:
    key = _compact(text)
    if not key:
        return ""
    if key in ("否",) or "未脱贫" in key or "返贫" in key:
        return "not_lifted"
    if key in ("是",) or "脱贫" in key:
        return "lifted"
    return key


@lru_cache(maxsize=1024)
def _sex_of(text: str) -> str | None:
    key = _compact(text).upper()
    if key in ("男", "男性", "M", "1"):
        return "男"
    if key in ("女", "女性", "F", "2"):
        return "女"
    return None


# Relation words as rosters write them → the codes of codes.RELATIONS. Relatives the codes have
# no word for (侄子, 公公, 祖母…) are 其他; anything else is kept as written, with a warning.
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "户主": ("户主", "本人", "户主本人", "本户主"),
    "配偶": ("配偶", "妻", "夫", "妻子", "丈夫", "爱人", "老伴", "夫妻", "妻室"),
    "之子": ("子", "之子", "儿子", "长子", "次子", "三子", "四子", "五子", "六子", "幼子",
             "小儿子", "大儿子", "二儿子", "三儿子", "独子", "养子", "继子"),
    "之女": ("女", "之女", "女儿", "长女", "次女", "三女", "四女", "五女", "六女", "幼女",
             "小女儿", "大女儿", "二女儿", "三女儿", "独女", "养女", "继女"),
    "之儿媳": ("儿媳", "之儿媳", "儿媳妇", "媳妇", "长媳", "次媳"),
    "之女婿": ("女婿", "之女婿", "上门女婿"),
    "之孙子": ("孙子", "之孙子", "孙", "长孙", "次孙", "外孙", "外孙子"),
    "之孙女": ("孙女", "之孙女", "长孙女", "次孙女", "外孙女"),
    "之父": ("父亲", "父", "之父", "爸爸"),
    "之母": ("母亲", "母", "之母", "妈妈"),
    "兄弟姐妹": ("兄弟姐妹", "兄弟", "姐妹", "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐",
               "妹妹", "哥", "之兄", "之弟", "之姐", "之妹"),
    "其他": ("其他", "其它", "其他亲属", "其它亲属", "侄子", "侄女", "外甥", "外甥女", "祖父",
             "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "公公", "婆婆", "岳父", "岳母",
             "孙媳妇", "孙女婿", "曾孙子", "曾孙女", "重孙子", "重孙女", "曾孙", "重孙",
             "儿媳之子", "兄弟之子", "兄弟之女"),
}
_RELATION_INDEX = {word: code for code, words in RELATION_WORDS.items() for word in words}
assert set(RELATION_WORDS) == set(codes.RELATIONS)


@lru_cache(maxsize=1024)
def relation_code(text: str) -> tuple[str, bool]:
    """(what to store, known): the code of codes.RELATIONS for a relation word, or the word."""
    key = _compact(text)
    if not key:
        return "", True
    for candidate in (key, key.removeprefix("户主之"), key.removeprefix("户主的"),
                      key.removeprefix("与户主"), key.rstrip("的")):
        if candidate in _RELATION_INDEX:
            return _RELATION_INDEX[candidate], True
    return key, False


# 健康状况 words naming a chronic disease of codes.CONDITIONS. Only a suggestion: the wizard
# shows it and the condition is recorded only when the user ticks it.
HEALTH_WORDS: dict[str, tuple[str, ...]] = {
    "hypertension": ("高血压", "原发性高血压", "高血压病"),
    "diabetes": ("糖尿病", "2型糖尿病", "Ⅱ型糖尿病", "II型糖尿病", "二型糖尿病"),
    "tuberculosis": ("肺结核", "结核", "结核病", "肺结核病"),
    "severe_mental": ("精神病", "重性精神障碍", "严重精神障碍", "重性精神病", "精神分裂症",
                      "精神障碍", "双相情感障碍", "偏执性精神病", "癫痫所致精神障碍"),
    "chd": ("冠心病",),
    "stroke": ("脑卒中", "中风", "脑梗", "脑梗塞", "脑梗死", "脑出血", "脑溢血"),
    "copd": ("慢阻肺", "慢性阻塞性肺疾病", "慢性阻塞性肺病"),
    "ckd": ("慢性肾病", "慢性肾炎", "慢性肾功能不全", "尿毒症"),
    "cancer": ("恶性肿瘤", "癌症"),
    "cataract": ("白内障",),
    "arthritis": ("类风湿", "类风湿关节炎", "类风湿性关节炎"),
}
_HEALTH_SPLIT = re.compile(r"[、,，;；/／+＋\s]+|及|和|伴")
_HEALTH_NOISE = re.compile(r"^(?:患有|患|长期慢性病|慢性病|慢病)[:：]?|(?:患者|病人)$")
assert set(HEALTH_WORDS) <= set(codes.CONDITIONS)
_HEALTH_INDEX = {word: code for code, words in HEALTH_WORDS.items() for word in words}


def _health_parts(text: str) -> list[tuple[str, str | None]]:
    key = _compact(text)
    out: list[tuple[str, str | None]] = []
    for part in _HEALTH_SPLIT.split(key.replace("(", "、").replace(")", "、")):
        word = _HEALTH_NOISE.sub("", part)
        if not word:
            continue
        code = _HEALTH_INDEX.get(word)
        if code is None and word.endswith("癌") and len(word) <= 5:
            code = "cancer"  # 肺癌, 胃癌 … are 恶性肿瘤
        out.append((word, code))
    return out


@lru_cache(maxsize=1024)
def health_conditions(text: str) -> tuple[str, ...]:
    """The condition codes a 健康状况 cell names (长期慢性病（高血压、糖尿病） → both)."""
    found: list[str] = []
    for _, code in _health_parts(text):
        if code is not None and code not in found:
            found.append(code)
    return tuple(found)


def _only_conditions(text: str) -> bool:
    """True when every word of the cell names a condition (nothing else to keep in notes)."""
    parts = _health_parts(text)
    return bool(parts) and all(code is not None for _, code in parts)


@lru_cache(maxsize=1024)
def _ethnicity(text: str) -> str:
    key = _compact(text)
    if (key and not key.endswith("族") and key not in ("其他", "其它", "未知")
            and len(key) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in key)):
        return key + "族"
    return key


@lru_cache(maxsize=1024)
def _group(text: str) -> str:
    key = _compact(text)
    return f"{int(key)}组" if key.isdigit() else key


def _phone(text: str) -> tuple[str, str | None]:
    """(phone to store, warning): the first plausible number of the cell."""
    raw = _text(text)
    if not raw:
        return "", None
    for part in _PHONE_SPLIT.split(raw):
        if part and validate.phone_problem(part) is None:
            return validate.clean_phone(part), None
    if validate.phone_problem(raw) is None:
        return validate.clean_phone(raw), None
    return "", f"电话号码“{raw}”格式不对，未导入（手机11位，座机如 0951-1234567）"


def _household_no(value: Any) -> tuple[str, str | None]:
    if isinstance(value, float) and not value.is_integer():
        return "", "户编号不是整数，请把该列设为文本后重新录入"
    if isinstance(value, float) and abs(value) >= 1e15:
        return "", "户编号被表格存成了数字，后几位可能已丢失，请把该列设为文本后重新录入"
    number = _compact(value)
    if not number:
        return "", "户编号为空"
    return number, None


def _birth_date(value: Any, today: dt.date) -> tuple[dt.date | None, str | None]:
    """(birth date, problem) of a 出生日期 cell: a date cell, 2026-03-05, 2026年3月5日, 20260305."""
    if value is None:
        return None, None
    if isinstance(value, dt.datetime):
        day: dt.date | None = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _compact(value)
        if not text:
            return None, None
        try:
            day = validate.parse_date(text)
        except ValueError as exc:
            return None, f"出生{exc}"
    if day is None:
        return None, None
    if not dt.date(1880, 1, 1) <= day <= today:
        return None, f"出生日期 {day} 不合理"
    return day, None


def parse_id_cell(value: Any, today: dt.date,
                  place_warnings: dict[tuple[str, int], tuple[str, ...]] | None = None
                  ) -> ids.IdNumber:
    """Check an ID cell as a spreadsheet gives it; raise ids.IdNumberError with the reason.

    Excel keeps 15 significant digits, so an 18-digit ID typed into a number cell comes back
    as a float, or as an integer ending in 000: its last digits are gone and cannot be guessed.
    With place_warnings (a cache the caller keeps for one import), a well-formed number is
    checked without a birthplace lookup per person (see _quick_parse).
    """
    if isinstance(value, bool):
        raise ids.IdNumberError("身份证号格式不对")
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise ids.IdNumberError(LOST_DIGITS)
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        if len(digits) > 15 and digits.endswith("000"):
            raise ids.IdNumberError(LOST_DIGITS)
        text = digits
    else:
        text = _text(value).lstrip("'‘’`")
        if not text:
            raise ids.IdNumberError("身份证号为空")
    if place_warnings is not None:
        quick = _quick_parse(text, today, place_warnings)
        if quick is not None:
            return quick
    return ids.parse(text, today=today)


def _quick_parse(text: str, today: dt.date,
                 cache: dict[tuple[str, int], tuple[str, ...]]) -> ids.IdNumber | None:
    """ids.parse's answer for a number that passes all its hard checks, or None.

    ids.parse spends most of its time looking up the birthplace code (python-stdnum), whose
    answer depends only on the code and the birth year: that part runs once per (code, year)
    through ids.parse itself. Everything else (15-digit, malformed, wrong check digit,
    impossible date) goes to ids.parse, which stays the one authority on messages.
    tests/unit/test_roster.py checks that both give the same result.
    """
    number = ids.normalise(text)
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return None
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if birth > today or birth.year < 1880 or number[17] != ric.calc_check_digit(number):
        return None
    key = (number[:6], birth.year)
    if key not in cache:
        cache[key] = ids.parse(number, today=today).warnings
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return ids.IdNumber(number, birth, sex, number[:6], cache[key])


def _place_stem(name: str, suffixes: Sequence[str]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


TOWNSHIP_SUFFIXES = ("民族乡", "街道办事处", "街道", "镇", "乡")
VILLAGE_SUFFIXES = ("村民委员会", "村委会", "社区", "村")


def same_village(a: str, b: str) -> bool:
    """红星村 and 红星 are the same village in a filter."""
    a, b = _compact(a), _compact(b)
    return a == b or _place_stem(a, VILLAGE_SUFFIXES) == _place_stem(b, VILLAGE_SUFFIXES)


# ---------------------------------------------------------------------------------- reading
@dataclass
class _Table:
    rows: list[Sequence[Any]]
    encoding: str
    sheet: str
    sheets: list[str]


def _every(total: int) -> int:
    """How many rows between progress reports: about a hundred reports a job, at most 500."""
    return max(1, min(500, total // 100 or 1))


def read_table(path: Path, *, sheet: str | None = None, progress: Progress | None = None,
               limit: int | None = None) -> _Table:
    """All rows of the roster file (or the first limit rows), merged cells filled in."""
    progress = progress or SilentProgress()
    if not path.exists():
        raise ClinicError(f"找不到文件 {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, progress, limit)
    if suffix in (".csv", ".txt"):
        return _read_csv(path, progress, limit)
    if suffix in (".xls", ".et"):
        raise ClinicError("不能读取旧版 .xls 文件，请在 Excel 或 WPS 中“另存为” .xlsx 后再导入")
    raise ClinicError(f"不支持的文件类型 {path.suffix or '(无扩展名)'}：请使用 .xlsx 或 .csv")


def _read_xlsx(path: Path, sheet: str | None, progress: Progress,
               limit: int | None) -> _Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ClinicError(f"无法读取 {path.name}：文件已损坏或不是 .xlsx（{exc}）") from None
    try:
        names = list(book.sheetnames)
        sizes = {ws.title: ws.max_row or 0 for ws in book.worksheets}  # before any reset
        if sheet is not None:
            if sheet not in names:
                raise ClinicError(f"表格中没有名为“{sheet}”的工作表（有：{'、'.join(names)}）")
            chosen = book[sheet]
        else:
            sheets = [book.active] if book.active is not None else []
            sheets += [ws for ws in book.worksheets if ws is not book.active]
            chosen = sheets[0] if sheets else None
            for candidate in sheets:
                candidate.reset_dimensions()
                head = list(candidate.iter_rows(max_row=HEADER_SCAN, values_only=True))
                if detect_header(head) is not None:
                    chosen = candidate
                    break
        if chosen is None:
            raise ClinicError(f"{path.name} 中没有工作表")
        total = sizes.get(chosen.title, 0)
        chosen.reset_dimensions()  # some writers store wrong dimensions: read every cell
        every = _every(total)
        rows: list[Sequence[Any]] = []
        for row in chosen.iter_rows(values_only=True):
            rows.append(row)
            if len(rows) % every == 0:
                progress.update(len(rows), max(total, len(rows)), "读取名单")
            if limit is not None and len(rows) >= limit:
                break
        _fill_merged(rows, _merged_ranges(book, chosen))
        return _Table(rows, "", chosen.title, names)
    finally:
        book.close()


def _merged_ranges(book: Any, sheet: Any) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of merged cells; read-only mode does not give them.

    They follow the cell data in the sheet's XML, so the end of the part is searched.
    """
    from openpyxl.utils.cell import range_boundaries

    archive = getattr(book, "_archive", None)
    part = getattr(sheet, "_worksheet_path", None)
    if archive is None or part is None:
        return []
    try:
        data = archive.read(part)
    except (KeyError, OSError, zipfile.BadZipFile):
        return []
    start = data.find(b"mergeCells", max(0, data.rfind(b"sheetData")))
    if start < 0:
        return []
    out = []
    for match in _MERGE_REF.finditer(data, max(0, start - 16)):
        min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode())
        out.append((min_col or 1, min_row or 1, max_col or 1, max_row or 1))
    return out


def _fill_merged(rows: list[Sequence[Any]], ranges: list[tuple[int, int, int, int]]) -> None:
    """Give every cell of a merged range the value of its top-left cell, as Excel shows it."""
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for index in range(min_row - 1, min(max_row, len(rows))):
            row = list(rows[index])
            if len(row) < max_col:
                row += [None] * (max_col - len(row))
            for column in range(min_col - 1, max_col):
                row[column] = value
            rows[index] = row


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ClinicError("无法识别文件的文字编码（支持 UTF-8、GBK、GB18030），"
                      "请在 Excel 或 WPS 中另存为 .xlsx 后再导入")


def _read_csv(path: Path, progress: Progress, limit: int | None) -> _Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ClinicError(f"无法读取 {path.name}：{fileio.reason(exc)}") from None
    text, encoding = _decode(data)
    sample = text[:8192]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    rows: list[Sequence[Any]] = []
    total = text.count("\n") + 1
    every = _every(total)
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(record)
        if len(rows) % every == 0:
            progress.update(len(rows), max(total, len(rows)), "读取名单")
        if limit is not None and len(rows) >= limit:
            break
    return _Table(rows, encoding, "", [])


# ---------------------------------------------------------------------------------- header
@dataclass
class Header:
    index: int  # 0-based index of the header's last line; data starts after it
    headers: list[str]
    mapping: dict[int, str]


def detect_header(rows: Sequence[Sequence[Any]]) -> Header | None:
    """The header among the first rows: the line (or pair of lines) naming the most fields.

    It must name at least 姓名 and 身份证号. Two lines combine when the header has two levels
    (户籍地址 over 乡/村/组, with 姓名 merged down both lines).
    """
    best: Header | None = None
    best_score = 0
    limit = min(len(rows), HEADER_SCAN)
    texts = [[_text(v) for v in rows[i]] for i in range(limit)]
    for i in range(limit):
        candidates = [(i, texts[i])]
        upper = texts[i - 1] if i > 0 else []
        if len({t for t in upper if t}) >= 2:  # not a title row (one text, merged across)
            width = max(len(upper), len(texts[i]))
            combined = [
                (texts[i][c] if c < len(texts[i]) else "")
                or (upper[c] if c < len(upper) else "") for c in range(width)]
            candidates.append((i, combined))
        for end, cells in candidates:
            mapping = match_headers(cells)
            names = set(mapping.values())
            if not {"name", "id_number"} <= names:
                continue
            if len(names) > best_score:
                best, best_score = Header(end, list(cells), mapping), len(names)
    return best


# ---------------------------------------------------------------------------------- rows
@dataclass
class _Row:
    row: int
    values: tuple[Any, ...]
    name: str = ""
    id: ids.IdNumber | None = None
    id_number: str = ""  # as parsed, also for rejected rows (for the missing list)
    sex: str = ""  # from the ID number; from the 性别 column for a person without one
    birth: dt.date | None = None  # likewise, from the ID or the 出生日期 column
    address: str = ""
    household_no: str = ""
    township: str = ""
    village: str = ""
    group: str = ""
    relation: str = ""
    phone: str = ""
    category: str = ""
    status: str = ""
    ethnicity: str = ""
    health: str = ""
    errors: list[RowIssue] = field(default_factory=list)
    village_id: str | None = None
    resident_id: str = ""
    household_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def key(self) -> str:
        """Who this row is, stable between the check and the import: the ID number, or
        household + name + birth date for a person without one (a newborn)."""
        if self.id_number and self.id is not None:
            return self.id_number
        birth = self.birth.isoformat() if self.birth else ""
        return f"{self.household_no}/{self.name}/{birth}"


@dataclass
class _Household:
    household_no: str
    household_id: str
    existing: dict[str, Any] | None
    village_id: str
    group: str
    rows: list[_Row] = field(default_factory=list)
    head: _Row | None = None
    address: str = ""  # the first address its rows give


class _Places:
    """The register's places by name, plus the ones this import creates (planned)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.names = {r["id"]: r["name"] for r in rows}
        counties = [r["id"] for r in rows if r["kind"] == "county"]
        self.county_id = counties[0] if len(counties) == 1 else None
        self.townships: dict[str, list[dict[str, Any]]] = {}
        self.villages: dict[str, list[dict[str, Any]]] = {}
        self.created: list[dict[str, Any]] = []
        self._cache: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        for row in rows:
            if row["kind"] == "township":
                self.townships.setdefault(row["name"], []).append(row)
            elif row["kind"] == "village":
                self.villages.setdefault(row["name"], []).append(row)

    def _create(self, kind: str, name: str, parent_id: str | None) -> dict[str, Any]:
        row = {"id": new_id(), "kind": kind, "name": name, "parent_id": parent_id, "code": ""}
        self.created.append(row)
        self.names[row["id"]] = name
        (self.townships if kind == "township" else self.villages).setdefault(name, []).append(
            row)
        return row

    @staticmethod
    def _by_name(index: dict[str, list[dict[str, Any]]], name: str, suffixes: Sequence[str],
                 parent_id: str | None = None, *, any_parent: bool = False
                 ) -> list[dict[str, Any]]:
        def fits(row: dict[str, Any]) -> bool:
            return any_parent or row["parent_id"] == parent_id

        exact = [r for r in index.get(name, []) if fits(r)]
        if exact:
            return exact
        stem = _place_stem(name, suffixes)
        return [r for key, rows in index.items() if _place_stem(key, suffixes) == stem
                for r in rows if fits(r)]

    def township(self, name: str) -> str:
        found = self._by_name(self.townships, name, TOWNSHIP_SUFFIXES, any_parent=True)
        if len(found) > 1 and self.county_id:
            found = [r for r in found if r["parent_id"] == self.county_id] or found
        if found:
            return str(found[0]["id"])
        return str(self._create("township", name, self.county_id)["id"])

    def village(self, township: str, village: str) -> tuple[str | None, str | None]:
        """(village id, error): find or plan the village of a row."""
        key = (township, village)
        if key not in self._cache:
            self._cache[key] = self._resolve(township, village)
        return self._cache[key]

    def _resolve(self, township: str, village: str) -> tuple[str | None, str | None]:
        if township:
            parent = self.township(township)
            found = self._by_name(self.villages, village, VILLAGE_SUFFIXES, parent)
            if len(found) == 1 or (found and found[0]["name"] == village):
                return str(found[0]["id"]), None
            if found:
                return None, f"{township}有多个与“{village}”相近的村，请写出完整村名"
            return str(self._create("village", village, parent)["id"]), None
        found = self._by_name(self.villages, village, VILLAGE_SUFFIXES, any_parent=True)
        if len(found) == 1:
            return str(found[0]["id"]), None
        if found:
            return None, f"登记册中有{len(found)}个名为“{village}”的村，请在名单中填写乡镇"
        return None, f"登记册中没有“{village}”，名单中也没有乡镇，无法确定它属于哪个乡镇"


# ---------------------------------------------------------------------------------- import
def preview_roster(path: Path | str, *, sheet: str | None = None,
                   rows: int = 20) -> RosterPreview:
    """The detected header and the first data rows (the wizard shows them before importing)."""
    target = Path(path)
    table = read_table(target, sheet=sheet, limit=HEADER_SCAN + rows)
    header = detect_header(table.rows)
    start = header.index + 1 if header else 0
    sample = [[_text(v) for v in row] for row in table.rows[start:start + rows]]
    return RosterPreview(str(target), table.encoding, table.sheet, table.sheets,
                         header.index + 1 if header else 0,
                         header.headers if header else [], header.mapping if header else {},
                         sample)


def import_roster(clinic: Clinic, path: Path | str, *, village: str | None = None,
                  dry_run: bool = False, progress: Progress | None = None,
                  mapping: Mapping[str, int] | None = None, header_row: int | None = None,
                  sheet: str | None = None, overwrite_local: bool | Collection[str] = False,
                  accept_conditions: bool | Collection[str] = False) -> ImportReport:
    """Import (or re-import) the poverty office's roster; see the module docstring.

    village: import only the rows of this village (a name as the roster writes it).
    mapping: field → 0-based column index, replacing the detected mapping (the wizard's edit).
    header_row: 1-based row of the header, when detection picks the wrong one.
    overwrite_local: fields changed by hand since the last import keep the local value
    (reported in report.conflicts) unless this is True, or a collection holding the
    conflict's "key" (from a dry run's report: the user's choice, row by row).
    accept_conditions: likewise for report.condition_suggestions (健康状况 naming a chronic
    disease): True records them all as conditions, a collection of keys only those; the
    others stay in a new resident's notes.
    Raises ClinicError for a file that cannot be read or has no usable header; row problems
    are in the report. Raises progress.Cancelled when cancelled (nothing is kept).
    """
    store = clinic.store
    user = store.user
    store.user = import_user(user)  # the change log tells the import's writes from edits
    try:
        with _collector_paused():
            return _import(clinic, Path(path), village=village, dry_run=dry_run,
                           progress=progress or SilentProgress(), mapping=mapping,
                           header_row=header_row, sheet=sheet,
                           overwrite_local=_choice(overwrite_local),
                           accept_conditions=_choice(accept_conditions))
    finally:
        store.user = user


def _choice(value: bool | Collection[str]) -> bool | frozenset[str]:
    return value if isinstance(value, bool) else frozenset(value)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk job, as bulk loaders do.

    An import builds millions of small objects that all live until it ends; the collector
    would rescan them again and again (measured: a fifth of a 50,000-row import). Nothing
    here makes reference cycles that need it. Restored afterwards, even on error or cancel.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _import(clinic: Clinic, target: Path, *, village: str | None, dry_run: bool,
            progress: Progress, mapping: Mapping[str, int] | None, header_row: int | None,
            sheet: str | None, overwrite_local: bool | frozenset[str],
            accept_conditions: bool | frozenset[str]) -> ImportReport:
    started = time.perf_counter()
    table = read_table(target, sheet=sheet, progress=progress)
    header = _choose_header(table, mapping, header_row)
    if village is None and "village" not in header.mapping.values():
        raise ClinicError("名单中没有“行政村”列：请在导入时选择这份名单所属的村")
    report = ImportReport(str(target), table.encoding, table.sheet, header.index + 1,
                          header.headers, header.mapping, village=village, dry_run=dry_run,
                          on=clinic.today().isoformat())
    job = _Import(clinic, report, header, progress)
    job.overwrite_local, job.accept_conditions = overwrite_local, accept_conditions
    rows = job.check_rows(table.rows)
    # One transaction for the whole import: taken IMMEDIATE (the write lock waits on the busy
    # timeout rather than failing), or a plain read transaction for a dry run, which writes
    # nothing. A cancel (progress.check raising Cancelled) or any error rolls it all back.
    transaction = clinic.db.atomic() if dry_run else storage_db.write_transaction(clinic.db)
    try:
        with transaction:
            job.plan(rows)
            if not dry_run:
                job.apply()
    except sqlite3.Error as exc:
        raise ClinicError(f"导入失败，数据未改动：{storage_db.explain(exc)}") from exc
    report.errors.sort(key=lambda issue: issue.row)
    report.warnings.sort(key=lambda issue: issue.row)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _choose_header(table: _Table, mapping: Mapping[str, int] | None,
                   header_row: int | None) -> Header:
    if header_row is not None:
        if not 1 <= header_row <= len(table.rows):
            raise ClinicError(f"表头行 {header_row} 超出了表格的行数（{len(table.rows)} 行）")
        cells = [_text(v) for v in table.rows[header_row - 1]]
        header = Header(header_row - 1, cells, match_headers(cells))
    else:
        found = detect_header(table.rows)
        if found is None:
            raise ClinicError(
                f"在前 {HEADER_SCAN} 行中找不到表头：表头行至少要有“姓名”和“身份证号”"
                "（或“证件号码”）两列。请检查表格，或在导入向导中指定表头行和各列。")
        header = found
    if mapping is not None:
        unknown = set(mapping) - set(FIELDS)
        if unknown:
            raise ClinicError(f"未知的字段：{'、'.join(sorted(unknown))}")
        by_column: dict[int, str] = {}
        for name, column in mapping.items():
            if not isinstance(column, int) or column < 0:
                raise ClinicError(f"“{FIELDS[name]}”的列号不对：{column}")
            if column in by_column:
                raise ClinicError(f"第{column + 1}列同时指定给了“{FIELDS[by_column[column]]}”"
                                  f"和“{FIELDS[name]}”")
            by_column[column] = name
        header = Header(header.index, header.headers, dict(sorted(by_column.items())))
    missing = [FIELDS[n] for n in REQUIRED_FIELDS if n not in header.mapping.values()]
    if missing:
        raise ClinicError(f"名单缺少必需的列：{'、'.join(missing)}"
                          f"（表头在第 {header.index + 1} 行）")
    return header


class _Import:
    def __init__(self, clinic: Clinic, report: ImportReport, header: Header,
                 progress: Progress) -> None:
        self.clinic = clinic
        self.store: Store = clinic.store
        self.report = report
        self.progress = progress
        self.today = clinic.today()
        self.columns = {name: column for column, name in header.mapping.items()}
        self.header_texts = [_compact(h) for h in header.headers]
        # the plan
        self.new_places: list[dict[str, Any]] = []
        self.new_households: list[dict[str, Any]] = []
        self.new_residents: list[dict[str, Any]] = []
        self.new_keys: list[tuple[str, str, str]] = []
        self.household_updates: list[tuple[str, dict[str, Any]]] = []
        self.resident_updates: list[tuple[str, dict[str, Any]]] = []
        self.reindex: dict[str, list[tuple[str, str, str]]] = {}
        self.new_conditions: list[dict[str, Any]] = []
        self.overwrite_local: bool | frozenset[str] = False
        self.accept_conditions: bool | frozenset[str] = False
        self.other_village_ids: set[str] = set()  # so a person who moved is not "missing"
        self.place_codes: dict[str, tuple[int, int]] = {}  # code → (first row, count)
        self.place_warnings: dict[tuple[str, int], tuple[str, ...]] = {}  # see _quick_parse

    # ------------------------------------------------------------------ helpers
    def _cell(self, row: Sequence[Any], name: str) -> Any:
        column = self.columns.get(name)
        if column is None or column >= len(row):
            return None
        return row[column]

    def _label(self, name: str) -> str:
        column = self.columns.get(name)
        return "" if column is None else self.report.column_label(column)

    def _error(self, row: _Row, name: str, reason: str) -> None:
        issue = RowIssue(row.row, self._label(name) if name else "", reason, row.values)
        row.errors.append(issue)
        self.report.errors.append(issue)

    def _warn(self, row: _Row, name: str, reason: str) -> None:
        self.report.warnings.append(
            RowIssue(row.row, self._label(name) if name else "", reason, row.values))

    # ------------------------------------------------------------------ step 1: check rows
    def check_rows(self, table: list[Sequence[Any]]) -> list[_Row]:
        """Parse every data row into a _Row with its errors; no database access."""
        report = self.report
        start = report.header_row
        total = len(table) - start
        every = _every(total)
        wanted = report.village
        has_village = "village" in self.columns
        out: list[_Row] = []
        first_seen: dict[str, int] = {}
        for index in range(start, len(table)):
            if (index - start) % every == 0:
                self.progress.update(index - start, total, "检查名单")
            values = tuple(table[index])
            kind = self._row_kind(values)
            if kind == "end":
                break
            if kind == "skip":
                continue
            report.rows_read += 1
            row = _Row(index + 1, values)
            row.village = _compact(self._cell(values, "village")) if has_village else ""
            if wanted is not None:
                if not has_village:
                    row.village = _compact(wanted)
                elif row.village and not same_village(row.village, wanted):
                    report.skipped_other_village += 1
                    self.other_village_ids.add(ids.normalise(self._cell(values, "id_number")))
                    continue
            self._parse(row, first_seen)
            out.append(row)
        if wanted is not None and has_village and not out:
            raise ClinicError(f"名单中没有“{wanted}”的人员，请检查所选的村")
        for code, (first, count) in self.place_codes.items():
            report.warnings.append(RowIssue(
                first, self._label("id_number"),
                f"{count} 人的身份证号地区代码 {code} 不在行政区划表中"
                f"（县区新设或改名时常见），第{first}行起，请核对"))
        return out

    def _row_kind(self, values: Sequence[Any]) -> str:
        """data / skip (blank, notes, repeated header, numbering) / end (totals)."""
        filled = 0
        for value in values:
            if value is None:
                continue
            if value.__class__ is str:
                text = value.strip()
                if not text:
                    continue
                if text[0] in "合总小":
                    compact = _compact(text)
                    if compact.startswith(TOTAL_WORDS):
                        return "end"
                    if compact.startswith(SUBTOTAL_WORDS):
                        return "skip"
            filled += 1
        if not filled:
            return "skip"
        name = _compact(self._cell(values, "name"))
        number = _compact(self._cell(values, "id_number"))
        household = _compact(self._cell(values, "household_no"))
        name_column = self.columns["name"]
        if name_column < len(self.header_texts) and name and name == self.header_texts[
                name_column]:
            return "skip"  # the header repeated (printed pages)
        if name.isdigit() and number.isdigit() and len(number) <= 3:
            return "skip"  # a column-number row under the header (1, 2, 3 …)
        if not (name or number or household) and filled <= 2:
            return "skip"  # a note such as 制表人：… 审核人：…
        return "data"

    def _parse(self, row: _Row, first_seen: dict[str, int]) -> None:
        values = row.values
        row.name = validate.clean_name(_text(self._cell(values, "name")))
        if (problem := validate.name_problem(row.name)) is not None:
            self._error(row, "name", problem)
        row.household_no, household_problem = _household_no(
            self._cell(values, "household_no"))
        given_sex = _sex_of(_text(self._cell(values, "sex")))
        given_birth, birth_problem = _birth_date(self._cell(values, "birth_date"), self.today)
        raw_id = self._cell(values, "id_number")
        if _compact(raw_id) == "" and not isinstance(raw_id, int | float):
            self._parse_without_id(row, given_sex, given_birth, birth_problem, first_seen)
        else:
            try:
                parsed = parse_id_cell(raw_id, self.today, self.place_warnings)
            except ids.IdNumberError as exc:
                self._error(row, "id_number", str(exc))
            else:
                row.id, row.id_number = parsed, parsed.number
                row.sex, row.birth = parsed.sex, parsed.birth_date
                for warning in parsed.warnings:
                    if warning.startswith("地区代码"):  # one warning per code, not per person
                        first, count = self.place_codes.get(parsed.place_code, (row.row, 0))
                        self.place_codes[parsed.place_code] = (first, count + 1)
                    else:
                        self._warn(row, "id_number", warning)
                if parsed.number in first_seen:
                    self._error(row, "id_number",
                                f"与第{first_seen[parsed.number]}行是同一人（身份证号重复），"
                                f"以第{first_seen[parsed.number]}行为准")
                else:
                    first_seen[parsed.number] = row.row
                if given_sex is not None and given_sex != parsed.sex:
                    self._warn(row, "sex", f"性别“{given_sex}”与身份证号（{parsed.sex}）不符，"
                                           "已按身份证号记录")
                if given_birth is not None and given_birth != parsed.birth_date:
                    self._warn(row, "birth_date",
                               f"出生日期 {given_birth} 与身份证号（{parsed.birth_date}）不符，"
                               "已按身份证号记录")
        if household_problem is not None:
            self._error(row, "household_no", household_problem)
        if not row.village:
            self._error(row, "village", "行政村为空")
        row.township = _compact(self._cell(values, "township"))
        row.group = _group(_text(self._cell(values, "group")))
        written = _text(self._cell(values, "relation"))
        row.relation, known = relation_code(written)
        if not known:
            self._warn(row, "relation", f"与户主关系“{row.relation}”不是常用称谓，已照原样记录，"
                                        f"请核对（常用：{'、'.join(codes.RELATIONS)}）")
        row.phone, warning = _phone(_text(self._cell(values, "phone")))
        if warning is not None:
            self._warn(row, "phone", warning)
        row.category = poverty_category_code(_text(self._cell(values, "poverty_category")))
        row.status = poverty_status_code(_text(self._cell(values, "poverty_status")))
        row.ethnicity = _ethnicity(_text(self._cell(values, "ethnicity")))
        row.health = _compact(self._cell(values, "health"))
        row.address = _text(self._cell(values, "address"))

    def _parse_without_id(self, row: _Row, sex: str | None, birth: dt.date | None,
                          birth_problem: str | None, first_seen: dict[str, int]) -> None:
        """A person without an ID number (a newborn not yet registered): kept when the row
        gives the sex and the birth date, matched on re-import by household, name and birth."""
        missing = [label for label, value in (("性别", sex), ("出生日期", birth)) if not value]
        if missing:
            where = "" if "birth_date" in self.columns else "（名单中没有“出生日期”列）"
            self._error(row, "id_number",
                        f"身份证号为空：没有证件的人（如新生儿）须填写{'和'.join(missing)}"
                        f"{where}才能登记" + (f"；{birth_problem}" if birth_problem else ""))
            return
        assert sex is not None and birth is not None
        row.sex, row.birth = sex, birth
        key = row.key
        if key in first_seen:
            self._error(row, "name", f"与第{first_seen[key]}行是同一人（同户、同名、同出生日期），"
                                     f"以第{first_seen[key]}行为准")
            return
        first_seen[key] = row.row
        self._warn(row, "id_number", "没有身份证号，已按姓名、性别和出生日期登记"
                                     "（同户同名同生日视为同一人），办证后请补录身份证号")

    # ------------------------------------------------------------------ step 2: plan
    def plan(self, rows: list[_Row]) -> None:
        """Compare the rows with the register and decide every insert and update."""
        self.progress.update(0, len(rows), "对照登记册")
        store = self.store
        places = _Places(roster_queries.live_places(store))
        if "village" not in self.columns and "township" not in self.columns:
            # The whole sheet is the chosen village: it must be in the register already.
            _, problem = places.village("", _compact(self.report.village))
            if problem is not None:
                raise ClinicError(f"{problem}：请先在登记册中建立这个村，或导入带乡镇、"
                                  "行政村列的名单")
        for row in rows:
            if row.village:
                row.village_id, problem = places.village(row.township, row.village)
                if problem is not None:
                    self._error(row, "village", problem)
        good = [r for r in rows if r.ok]
        existing_people = roster_queries.residents_by_id_number(
            store, [r.id_number for r in good if r.id_number])
        existing_households = roster_queries.households_by_no(
            store, {r.household_no for r in good})
        households = self._group_households(good, existing_households, places)
        self.progress.check()
        matched = self._match(households, existing_people)
        households = {k: h for k, h in households.items() if h.rows}
        self._plan_residents(households, matched)
        self._plan_households(households, matched, rows)
        self._plan_conditions(households, matched)
        # Only the places a household of this import lives in are created.
        used = {h.village_id for h in households.values()}
        villages = [p for p in places.created if p["kind"] == "village" and p["id"] in used]
        parents = {p["parent_id"] for p in villages}
        townships = [p for p in places.created if p["kind"] == "township" and p["id"] in parents]
        self.new_places = townships + villages
        self.report.places_created = [p["name"] for p in self.new_places]
        self._missing(rows, households, {r.village_id for r in rows if r.village_id})
        self._describe(households, places)

    def _group_households(self, rows: list[_Row], existing: dict[str, dict[str, Any]],
                          places: _Places) -> dict[str, _Household]:
        households: dict[str, _Household] = {}
        for row in rows:
            household = households.get(row.household_no)
            if household is None:
                found = existing.get(row.household_no)
                household = _Household(row.household_no, found["id"] if found else new_id(),
                                       found, str(row.village_id), row.group)
                households[row.household_no] = household
            elif row.village_id != household.village_id:
                self._error(row, "household_no",
                            f"户编号 {row.household_no} 在第{household.rows[0].row}行属于"
                            f"{places.names.get(household.village_id, '')}，"
                            f"这一行却是{row.village}")
                continue
            if row.relation == "户主":
                if household.head is None:
                    household.head = row
                else:  # one head per household, as Clinic.set_head keeps it
                    row.relation = "其他"
                    self._warn(row, "relation",
                               f"户编号 {row.household_no} 有多个户主，以第{household.head.row}"
                               "行为准，此人的与户主关系记为“其他”，请核对")
            if row.address and not household.address:
                household.address = row.address
            household.rows.append(row)
        return households

    def _match(self, households: dict[str, _Household],
               by_number: dict[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """The register's record of each roster row (by spreadsheet row), where it has one.

        By ID number first. A person without one (a newborn) is the member of the same
        household with the same name and birth date; so is a person whose ID the roster now
        gives but whom the register holds without one (the newborn got an ID card).
        """
        found: dict[int, dict[str, Any]] = {}
        claimed: set[str] = set()
        unmatched: list[tuple[_Household, _Row]] = []
        for household in households.values():
            for row in household.rows:
                person = by_number.get(row.id_number) if row.id_number else None
                if person is not None:
                    found[row.row] = person
                    claimed.add(person["id"])
                elif household.existing is not None and row.birth is not None:
                    unmatched.append((household, row))
        if not unmatched:
            return found
        members: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for person in roster_queries.household_members(
                self.store, {h.household_id for h, _ in unmatched}):
            key = (person["household_id"], person["name"], person["birth_date"] or "")
            members.setdefault(key, []).append(person)
        for household, row in unmatched:
            assert row.birth is not None
            candidates = [p for p in members.get(
                (household.household_id, row.name, row.birth.isoformat()), [])
                if p["id"] not in claimed and not (row.id_number and p["id_number"])]
            if len(candidates) > 1:
                self._error(row, "name", f"户编号 {row.household_no} 中有{len(candidates)}人"
                                         f"同名同出生日期，无法确定是哪一位，请补录身份证号")
                household.rows.remove(row)
                if household.head is row:
                    household.head = None
            elif candidates:
                found[row.row] = candidates[0]
                claimed.add(candidates[0]["id"])
            elif row.id_number and any(p["id_number"] for p in members.get(
                    (household.household_id, row.name, row.birth.isoformat()), [])):
                self._warn(row, "id_number", f"户编号 {row.household_no} 中已有同名、同出生日期"
                                             "但身份证号不同的人，已作为新居民导入，"
                                             "请核对是否同一人（身份证号有误）")
        return found

    # ------------------------------------------------------------------ local edits win
    def _overwrite(self, key: str) -> bool:
        return self.overwrite_local is True or (
            not isinstance(self.overwrite_local, bool) and key in self.overwrite_local)

    def _local_edits(self, table: str, row_ids: Sequence[str]
                     ) -> dict[str, dict[str, tuple[str, str, bool]]]:
        """Fields whose latest change was made by hand, not by a roster import.

        Computed from the change log (nothing stored): for each row, the last entry that set
        each field decides; a row typed in by hand counts as set by hand in every field until
        an import changes that field. Returns {row id: {field: (user, at, by insert)}}.
        """
        state: dict[str, dict[str, tuple[str, str, bool] | None]] = {}
        for entry in roster_queries.change_history(self.store, table, row_ids):
            fields = state.setdefault(entry["row_id"], {})
            mark = None if is_import_user(entry["user"] or "") else (
                entry["user"] or "", entry["at"] or "", entry["op"] == "insert")
            if entry["op"] == "insert":
                fields.clear()
                fields["*"] = mark
            elif entry["op"] == "update" and entry["fields"]:
                for name in json.loads(entry["fields"]):
                    fields[name] = mark
        out: dict[str, dict[str, tuple[str, str, bool]]] = {}
        for row_id, fields in state.items():
            every = fields.pop("*", None)
            local = {name: mark for name, mark in fields.items() if mark is not None}
            if every is not None:
                names = PROTECTED_FIELDS[table]
                local.update({n: every for n in names if n not in fields})
            if local:
                out[row_id] = local
        return out

    def _keep_local(self, table: str, current: dict[str, Any], changes: dict[str, Any],
                    local: dict[str, tuple[str, str, bool]], row: _Row, who: str) -> None:
        """Drop from changes the fields changed by hand since the last import (unless the
        user chose to overwrite them) and report each as a conflict."""
        for name in [n for n in changes if n in local and n in PROTECTED_FIELDS[table]]:
            old, new = current.get(name), changes[name]
            if name == "relation" and "户主" in (old, new):
                continue  # who heads the household follows the roster (reported as a change)
            user, at, by_insert = local[name]
            if by_insert and old in (None, ""):
                continue  # left blank when typed in: nothing to protect
            key = f"{table}/{current['id']}/{name}"
            overwrite = self._overwrite(key)
            self.report.conflicts.append({
                "key": key, "table": table, "id": current["id"], "row": row.row,
                "name": who, "household_no": row.household_no, "field": name,
                "label": _field_label(table, name), "current": _show_code(name, old),
                "roster": _show_code(name, new), "local_user": user,
                "local_at": at[:16].replace("T", " "),
                "how": "录入" if by_insert else "修改", "overwritten": overwrite})
            if not overwrite:
                del changes[name]

    # ------------------------------------------------------------------ residents
    def _plan_residents(self, households: dict[str, _Household],
                        matched: dict[int, dict[str, Any]]) -> None:
        report = self.report
        pending: list[tuple[_Row, dict[str, Any], dict[str, Any]]] = []
        for household in households.values():
            for row in household.rows:
                assert row.birth is not None
                row.household_id = household.household_id
                found = matched.get(row.row)
                wanted = {
                    "name": row.name, "sex": row.sex, "birth_date": row.birth.isoformat(),
                    "relation": row.relation, "household_id": household.household_id,
                    "phone": row.phone, "ethnicity": row.ethnicity,
                    "poverty_category": row.category, "poverty_status": row.status,
                }
                if found is None:
                    row.resident_id = new_id()
                    keys = pinyin.name_keys(row.name)
                    self.new_residents.append({
                        "id": row.resident_id, "id_number": row.id_number or None,
                        "name_pinyin": keys.joined_full(),
                        "name_initials": keys.joined_initials(), "notes": self._notes(row),
                        **wanted})
                    self.new_keys += queries.search_key_rows(
                        row.resident_id, row.name, row.id_number or None, row.phone)
                    report.imported += 1
                    continue
                row.resident_id = found["id"]
                if row.id_number and not found["id_number"]:
                    wanted["id_number"] = row.id_number  # the newborn got an ID card
                if found["status"] != "active":
                    status = codes.label(codes.RESIDENT_STATUS, found["status"])
                    self._warn(row, "", f"此人在登记册中为“{status}”，名单中仍在册，请核对")
                # A blank roster cell never erases what the register has.
                changes = {k: v for k, v in wanted.items()
                           if (v or k == "household_id") and found[k] != v}
                if changes:
                    pending.append((row, found, changes))
                else:
                    report.unchanged += 1
        protected = set(PROTECTED_FIELDS["residents"])
        local = self._local_edits("residents", [
            found["id"] for _, found, changes in pending if changes.keys() & protected])
        for row, found, changes in pending:
            if found["id"] in local:
                self._keep_local("residents", found, changes, local[found["id"]], row,
                                 row.name)
            if not changes:
                report.unchanged += 1
                continue
            if "name" in changes:
                keys = pinyin.name_keys(row.name)
                changes["name_pinyin"] = keys.joined_full()
                changes["name_initials"] = keys.joined_initials()
            if changes.keys() & {"name", "phone", "id_number"}:
                merged = {**found, **changes}
                self.reindex[found["id"]] = queries.search_key_rows(
                    found["id"], merged["name"], merged["id_number"], merged["phone"] or "")
            self.resident_updates.append((found["id"], changes))
            report.updated += 1
            report.changes.append({
                "table": "residents", "id": found["id"], "row": row.row, "name": row.name,
                "household_no": row.household_no,
                "fields": {k: {"old": found.get(k), "new": v} for k, v in changes.items()
                           if k not in ("name_pinyin", "name_initials")}})

    def _notes(self, row: _Row) -> str:
        """A new resident's notes: the roster's 健康状况, unless it all became conditions."""
        if row.health in ("", "健康", "良好", "健康良好"):
            return ""
        named = health_conditions(row.health)
        if named and _only_conditions(row.health) and all(
                self._accept(f"{row.key}/{code}") for code in named):
            return ""
        return f"健康状况（扶贫办名单）：{row.health}"

    def _accept(self, key: str) -> bool:
        return self.accept_conditions is True or (
            not isinstance(self.accept_conditions, bool) and key in self.accept_conditions)

    def _plan_conditions(self, households: dict[str, _Household],
                         matched: dict[int, dict[str, Any]]) -> None:
        """健康状况 naming a chronic disease: a suggestion, recorded only when accepted."""
        named = [(row, health_conditions(row.health)) for h in households.values()
                 for row in h.rows if row.health]
        named = [(row, found) for row, found in named if found]
        if not named:
            return
        have = roster_queries.active_condition_codes(
            self.store, [matched[row.row]["id"] for row, _ in named if row.row in matched])
        for row, found in named:
            for code in found:
                if code in have.get(row.resident_id, ()):
                    continue  # already recorded: nothing to suggest
                key = f"{row.key}/{code}"
                accepted = self._accept(key)
                self.report.condition_suggestions.append({
                    "key": key, "row": row.row, "name": row.name,
                    "household_no": row.household_no, "health": row.health, "code": code,
                    "condition": codes.label(codes.CONDITIONS, code),
                    "new_resident": row.row not in matched, "accepted": accepted})
                if accepted:
                    self.new_conditions.append({
                        "resident_id": row.resident_id, "code": code,
                        "name": codes.label(codes.CONDITIONS, code), "diagnosed_on": None,
                        "notes": f"来自扶贫办名单健康状况：{row.health}"})

    # ------------------------------------------------------------------ households
    def _plan_households(self, households: dict[str, _Household],
                         matched: dict[int, dict[str, Any]], rows: list[_Row]) -> None:
        """New households, changed ones, and who heads each after the import.

        The register keeps one head per household, a member whose relation is 户主 (as
        Clinic.set_head does): a head the roster replaces, still living in the household but
        missing from the roster, becomes 其他; a household whose head the roster moved away
        is left without one. Both are reported.
        """
        store = self.store
        report = self.report
        home = {r.resident_id: h.household_id for h in households.values() for r in h.rows}
        row_of = {r.resident_id: r for h in households.values() for r in h.rows}
        current_home = {p["id"]: p["household_id"] for p in matched.values()}
        rejected_heads: dict[str, int] = {}
        for row in rows:
            if not row.ok and row.relation == "户主" and row.household_no:
                rejected_heads.setdefault(row.household_no, row.row)
        old_heads = [h.existing["head_id"] for h in households.values()
                     if h.existing and h.existing["head_id"] and h.head is None
                     and h.existing["head_id"] not in home]
        old_heads_now = roster_queries.residents_by_id(store, old_heads)
        headed: dict[str, _Household] = {}  # existing household id → its household, if headed
        pending: list[tuple[dict[str, Any], dict[str, Any], _Row]] = []
        for household in households.values():
            first = household.rows[0]
            head = household.head.resident_id if household.head else None
            if household.head is None:
                number = household.household_no
                why = (f"户主行（第{rejected_heads[number]}行）被拒绝"
                       if number in rejected_heads else "名单中没有户主")
                self._warn(first, "relation", f"户编号 {number}：{why}，其他成员已导入，"
                                              "请核对后为该户指定户主")
                old = household.existing["head_id"] if household.existing else None
                now = old_heads_now.get(old or "")
                # The register's head stays only if the roster left them in place as 户主.
                keep = (now is not None and now["household_id"] == household.household_id
                        and now["relation"] == "户主")
                head = old if keep else None
            elif household.existing is not None:
                headed[household.household_id] = household
            category = household.head.category if household.head else ""
            if household.existing is None:
                self.new_households.append({
                    "id": household.household_id, "household_no": household.household_no,
                    "village_id": household.village_id, "group_name": household.group,
                    "head_id": head, "poverty_category": category,
                    "address": household.address, "phone": "", "notes": ""})
                report.households += 1
                continue
            current = household.existing
            wanted = {"village_id": household.village_id, "group_name": household.group,
                      "poverty_category": category, "head_id": head,
                      "address": household.address}
            changes = {k: v for k, v in wanted.items()
                       if (v or k == "head_id") and current[k] != v}
            if changes:
                pending.append((current, changes, first))
        protected = set(PROTECTED_FIELDS["households"])
        local = self._local_edits("households", [
            current["id"] for current, changes, _ in pending if changes.keys() & protected])
        for current, changes, first in pending:
            if current["id"] in local:
                self._keep_local("households", current, changes, local[current["id"]], first,
                                 f"户 {current['household_no']}")
            if changes:
                self._household_update(current, changes, first.row)
        # Members called 户主 who are not the roster's head and not on the roster: 其他.
        for person in roster_queries.members_called_head(store, list(headed)):
            household = headed[person["household_id"]]
            assert household.head is not None
            if person["id"] in row_of or person["id"] == household.head.resident_id:
                continue
            self.resident_updates.append((person["id"], {"relation": "其他"}))
            report.changes.append({
                "table": "residents", "id": person["id"], "row": household.head.row,
                "name": person["name"], "household_no": household.household_no,
                "fields": {"relation": {"old": "户主", "new": "其他"}}})
            self._warn(household.head, "relation",
                       f"户编号 {household.household_no} 的户主改为{household.head.name}，"
                       f"原户主{person['name']}不在名单中，与户主关系改记为“其他”，请核对")
        # Households outside the roster whose head the roster moved into another household.
        moved = [rid for rid, hid in home.items() if rid in current_home
                 and current_home[rid] != hid]
        roster_households = {h.household_id for h in households.values()}
        for other in roster_queries.households_headed_by(store, moved):
            if other["id"] in roster_households:
                continue
            person = row_of[other["head_id"]]
            self._household_update(other, {"head_id": None}, person.row)
            self._warn(person, "household_no",
                       f"{person.name}原是户编号 {other['household_no'] or '(无)'} 的户主，"
                       f"名单中已在户编号 {person.household_no}，原户暂无户主，请重新指定")

    def _household_update(self, current: dict[str, Any], changes: dict[str, Any],
                          row: int) -> None:
        self.household_updates.append((current["id"], changes))
        self.report.households_updated += 1
        self.report.changes.append({
            "table": "households", "id": current["id"], "row": row,
            "name": f"户 {current['household_no'] or '(无编号)'}",
            "household_no": current["household_no"],
            "fields": {k: {"old": current.get(k), "new": v} for k, v in changes.items()}})

    # ------------------------------------------------------------------ missing, display
    def _missing(self, rows: list[_Row], households: dict[str, _Household],
                 villages: set[str]) -> None:
        """People the roster answers for but no longer lists (for review, never deleted).

        Only in the villages of this file, and only members of a household the file lists or
        people an earlier roster import brought in or updated (the change log says which):
        residents the doctor registered who were never on a roster (the rest of the village)
        are not the poverty office's to drop.
        """
        seen = {r.id_number for r in rows if r.id_number} | self.other_village_ids
        matched = {r.resident_id for r in rows if r.resident_id}
        listed = {h.household_id for h in households.values() if h.existing is not None}
        candidates = [p for p in roster_queries.village_residents(self.store, sorted(villages))
                      if p["id"] not in matched and (p["id_number"] or "") not in seen]
        others = [p["id"] for p in candidates if p["household_id"] not in listed]
        from_roster = roster_queries.rows_changed_by(self.store, "residents", others,
                                                     IMPORT_USER, IMPORT_USER_SUFFIX)
        counts: dict[str, int] = {}
        for person in candidates:
            if person["household_id"] in listed:
                reason = "同户其他成员在名单中"
            elif person["id"] in from_roster:
                reason = "以前的名单中有此人"
            else:
                continue
            self.report.missing_from_roster.append({
                "resident_id": person["id"], "name": person["name"],
                "masked_id": ids.mask(person["id_number"] or ""),
                "id_number": person["id_number"] or "", "sex": person["sex"],
                "birth_date": person["birth_date"] or "", "relation": person["relation"],
                "village": person["village"], "group": person["group_name"],
                "household_no": person["household_no"], "reason": reason})
            counts[person["village"]] = counts.get(person["village"], 0) + 1
        self.report.missing_by_village = counts

    def _describe(self, households: dict[str, _Household], places: _Places) -> None:
        """Readable old → new values for every planned change (household numbers, not ids)."""
        numbers = {h.household_id: h.household_no for h in households.values()}
        names = {r.resident_id: r.name for h in households.values() for r in h.rows}
        wanted_households = {f["old"] for c in self.report.changes
                             for n, f in c["fields"].items() if n == "household_id"}
        wanted_people = {f["old"] for c in self.report.changes
                         for n, f in c["fields"].items() if n == "head_id"}
        numbers.update(roster_queries.household_numbers(
            self.store, [h for h in wanted_households if h and h not in numbers]))
        names.update({k: v["name"] for k, v in roster_queries.residents_by_id(
            self.store, [p for p in wanted_people if p and p not in names]).items()})

        def show(name: str, value: Any) -> str:
            if value in (None, ""):
                return "（空）"
            if name == "household_id":
                return f"户 {numbers.get(value) or '(无编号)'}"
            if name == "head_id":
                return names.get(value, "（未知）")
            if name == "village_id":
                return places.names.get(value, "（未知）")
            return _show_code(name, value)

        for change in self.report.changes:
            change["display"] = [
                {"field": name, "label": _field_label(change["table"], name),
                 "current": show(name, value["old"]), "roster": show(name, value["new"])}
                for name, value in change["fields"].items()]

    # ------------------------------------------------------------------ step 3: write
    def apply(self) -> None:
        store = self.store
        progress = self.progress
        total = (len(self.new_residents) + len(self.resident_updates)
                 + len(self.household_updates) + len(self.new_households))
        done = 0
        progress.update(done, total, "写入登记册")
        store.insert_many("places", self.new_places)
        batch = max(1, min(1000, total // 50 or 1))
        # Residents before households: a household names its head, a resident its household;
        # both keys are deferred, and this order leaves SQLite the fewer pending checks.
        for start in range(0, len(self.new_residents), batch):
            chunk = self.new_residents[start:start + batch]
            store.insert_many("residents", chunk)
            done += len(chunk)
            progress.update(done, total, "写入居民")
        for start in range(0, len(self.new_households), batch):
            chunk = self.new_households[start:start + batch]
            store.insert_many("households", chunk)
            done += len(chunk)
            progress.update(done, total, "写入户")
        roster_queries.insert_search_keys(store, self.new_keys)
        for count, (row_id, changes) in enumerate(self.household_updates, 1):
            store.update("households", row_id, changes)
            if count % batch == 0:
                progress.update(done + count, total, "写入户的变动")
        done += len(self.household_updates)
        for count, (row_id, changes) in enumerate(self.resident_updates, 1):
            store.update("residents", row_id, changes)
            if count % batch == 0:
                progress.update(done + count, total, "写入居民的变动")
        done += len(self.resident_updates)
        if self.reindex:
            queries.replace_search_keys(store, self.reindex)
        store.insert_many("conditions", self.new_conditions)
        progress.update(done, total, "写入登记册")


# ---------------------------------------------------------------------------------- errors out
def write_error_report(report: ImportReport, out_path: Path | str) -> int:
    """Save the rejected rows (original values plus 原因) as .xlsx; returns the row count."""
    from clinic_app.export import list_title, write_xlsx

    width = max([len(report.headers), *(len(i.values) for i in report.errors)], default=0)
    headers = ["原表行号", *(report.column_label(c) for c in range(width)), "原因"]
    id_column = next((c for c, n in report.mapping.items() if n == "id_number"), None)
    by_row: dict[int, list[RowIssue]] = {}
    for issue in report.errors:
        by_row.setdefault(issue.row, []).append(issue)

    def cells(issues: list[RowIssue]) -> list[Any]:
        values = list(issues[0].values) + [None] * (width - len(issues[0].values))
        out = []
        for column, value in enumerate(values):
            if column == id_column and isinstance(value, int | float) and not isinstance(
                    value, bool):
                value = _text(value)  # keep what Excel showed, as text
            out.append(value)
        reasons = "；".join(f"{i.column}：{i.reason}" if i.column else i.reason for i in issues)
        return [issues[0].row, *out, reasons]

    rows: Iterator[list[Any]] = (cells(issues) for _, issues in sorted(by_row.items()))
    title = list_title(Path(report.path).name, "导入错误报告", report.on or dt.date.today(),
                       len(by_row), "行")
    return write_xlsx(out_path, "导入错误", headers, rows, title=title)


def write_missing_report(report: ImportReport, out_path: Path | str) -> int:
    """Save the people missing from the roster (full ID numbers, as text) as .xlsx, for the
    village doctor and the poverty office to check each one; returns the row count."""
    from clinic_app.export import list_title, write_xlsx

    villages = list(report.missing_by_village)
    subject = villages[0] if len(villages) == 1 else ""
    title = list_title(subject, f"不在名单（{Path(report.path).name}）中的人员",
                       report.on or dt.date.today(), len(report.missing_from_roster))
    headers = ["村", "组", "户编号", "姓名", "性别", "出生日期", "身份证号", "与户主关系",
               "为何列出", "核实结果（脱贫/死亡/迁出/仍在册）"]
    rows = ([m["village"], m.get("group", ""), m["household_no"], m["name"], m.get("sex", ""),
             m.get("birth_date", ""), m.get("id_number") or m.get("masked_id", ""),
             m.get("relation", ""), m.get("reason", ""), ""]
            for m in report.missing_from_roster)
    return write_xlsx(out_path, "不在名单中", headers, rows, title=title)
