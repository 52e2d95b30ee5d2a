"""Local policy profiles (本地方案): a township's own copy of a profile, adjusted and cited.

A local profile is an ordinary profile TOML (the format of ``resources/policies/``) that
``inherits`` the profile it was copied from and sets only what the township changed. Its first
version is empty and starts on the original's first date, so until a change's ``valid_from``
every rule is the original's; each change lands in a version valid from a date, so visits made
before it are still judged by the rules then in force. The text is kept in the database (it
syncs, so the county sees which rules each township used) and loaded into the ``PolicyLibrary``
beside the bundled files.

Pure functions only: reading a typed value from what a person typed (``parse_rule_text``), the
reverse for an editor (``rule_text``), edits on a profile's versions, and writing TOML (tomllib
only reads; the few value types of a profile are written here and read back by tomllib in the
tests).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from clinic_app.domain.codes import CONDITIONS
from clinic_app.domain.policy import (
    RULES,
    SERVICE_CODES,
    Package,
    PolicyError,
    Profile,
    ProfileVersion,
    RuleSpec,
    _check_value,
    check_profile,
)

LOCAL_PREFIX = "local_"

_TRUE = {"是", "true", "yes", "y", "1", "对", "有", "实行"}
_FALSE = {"否", "false", "no", "n", "0", "不", "无", "不实行"}
_SPLIT_CODES = re.compile(r"[、，,；;\s]+")


def spec_of(key: str) -> RuleSpec:
    try:
        return RULES[key]
    except KeyError:
        close = [k for k in RULES if key.split(".")[-1] in k][:5]
        hint = f"（是否是：{'、'.join(close)}）" if close else "（policy show 可列出全部规则）"
        raise PolicyError(f"没有名为 {key} 的政策规则{hint}") from None


# ---------------------------------------------------------------------------- typed text


def parse_rule_text(key: str, text: str, where: str = "") -> Any:
    """The typed value of rule `key` from what a person typed, validated like a profile file.

    Money is typed in 元 (``1000``, ``1000元``, ``1,000.50``) or explicitly in 分 (``100000分``)
    and stored as integer fen. Lists: a JSON array, or one item per line; disease codes may be
    the Chinese names separated by 、. Raises PolicyError naming the rule and the problem.
    """
    spec = spec_of(key)
    prefix = f"{where}：" if where else ""

    def fail(problem: str) -> PolicyError:
        return PolicyError(f"{prefix}规则 {key}（{spec.label}）{problem}")

    raw = text.strip()
    kind = spec.kind
    if kind in ("texts", "conditions", "packages") and raw.startswith("["):
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise fail(f"的 JSON 列表写得不对：{exc.msg}（第{exc.colno}个字符）") from None
    elif kind == "int":
        number = _strip_unit(raw, spec)
        if not re.fullmatch(r"\d+", number):
            raise fail(f"应为非负整数，现在是“{raw}”")
        value = int(number)
    elif kind in ("number", "percent"):
        number = _strip_unit(raw, spec).rstrip("%％").strip()
        try:
            parsed = Decimal(number)
        except InvalidOperation:
            raise fail(f"应为数字，现在是“{raw}”") from None
        if not parsed.is_finite():
            raise fail(f"应为数字，现在是“{raw}”")
        value = int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    elif kind == "money":
        value = _parse_money(raw, fail)
    elif kind == "bool":
        lowered = raw.lower()
        if lowered in _TRUE:
            value = True
        elif lowered in _FALSE:
            value = False
        else:
            raise fail(f"应填“是”或“否”，现在是“{raw}”")
    elif kind == "text":
        value = raw
    elif kind == "texts":
        value = [line.strip() for line in raw.splitlines() if line.strip()]
        if not value:
            raise fail("至少要有一条文字（每行一条）")
    elif kind == "conditions":
        names = {name: code for code, name in CONDITIONS.items()}
        value = []
        for part in _SPLIT_CODES.split(raw):
            if part:
                value.append(names.get(part, part))
    elif kind == "packages":
        value = _parse_packages(raw, fail)
    else:  # a kind added to RULES without a reader here
        raise fail(f"的类型 {kind} 不能在这里修改")
    return check_rule_value(key, value, where)


def check_rule_value(key: str, value: Any, where: str = "") -> Any:
    """Validate a typed value for rule `key` with the profile-file checks (type and the
    rule's plausible range in RULES: a zero term or yearly count is out of range too)."""
    spec = spec_of(key)
    # Typed values come back as tuples and Package objects; the file checks expect TOML shapes.
    return _check_value(where or "本地方案", spec, _plain(value))


def check_versions(profile: Profile, versions: Sequence[ProfileVersion], where: str) -> None:
    """Refuse edited versions of `profile` whose rules, with what it inherits, contradict one
    another on any date (policy.ORDERINGS…): checked before saving, because profiles sync."""
    check_profile(Profile(profile.id, profile.name, profile.place, profile.document,
                          profile.source, profile.parent, list(versions), profile.origin),
                  where)


def edit_problem(profile: Profile, key: str, value: Any, valid_from: dt.date) -> str | None:
    """What would be wrong with setting `key` to `value` from `valid_from` (for an editor
    that checks as the person types), or None; the value is already parsed."""
    try:
        check_versions(profile, set_rule(profile.versions, key, value, "（检查）", valid_from),
                       "本地方案")
    except PolicyError as exc:
        return str(exc).removeprefix("本地方案：")
    return None


def _strip_unit(raw: str, spec: RuleSpec) -> str:
    text = raw.replace(",", "").replace("，", "").strip()
    for unit in filter(None, (spec.unit, spec.unit.split("/")[0])):
        if text.endswith(unit):
            return text[: -len(unit)].strip()
    return text


def _parse_money(raw: str, fail: Any) -> int:
    text = raw.replace(",", "").replace("，", "").replace(" ", "")
    in_fen = text.endswith("分")
    text = re.sub(r"(元|分)(/.*)?$", "", text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise fail(f"应为金额（元），如 1000 或 8.50，现在是“{raw}”") from None
    if not amount.is_finite() or amount < 0:
        raise fail(f"应为不小于0的金额，现在是“{raw}”")
    fen = amount if in_fen else amount * 100
    if fen != fen.to_integral_value():
        raise fail(f"金额最多精确到分，现在是“{raw}”")
    return int(fen)


def _parse_packages(raw: str, fail: Any) -> list[dict[str, Any]]:
    """Lines like ``basic 基础服务包：健康体检 1，慢病随访 4，健康咨询 0``."""
    by_name = {name: code for code, name in SERVICE_CODES.items()}
    packages = []
    for number, line in enumerate(filter(None, (x.strip() for x in raw.splitlines())), 1):
        head, sep, body = line.replace(":", "：").partition("：")
        parts = head.split(maxsplit=1)
        if not sep or len(parts) != 2:
            raise fail(f"第{number}行应写成“代码 名称：服务 次数，服务 次数”，"
                       f"如 basic 基础服务包：健康体检 1，慢病随访 4")
        services = []
        for item in filter(None, (s.strip() for s in re.split(r"[，,；;、]", body))):
            match = re.fullmatch(r"(\S+?)\s*[×x*]?\s*(\d+)\s*次?", item)
            if match is None:
                raise fail(f"第{number}行的“{item}”应写成“服务 次数”（0 表示按需）")
            name, times = match.group(1), int(match.group(2))
            services.append({"code": by_name.get(name, name), "times": times})
        packages.append({"code": parts[0], "name": parts[1], "services": services})
    return packages


def rule_text(key: str, value: Any) -> str:
    """A value as the editor shows it, so that parse_rule_text reads it back unchanged."""
    spec = spec_of(key)
    if value is None:
        return ""
    kind = spec.kind
    if kind == "money":
        yuan = Decimal(value) / 100
        return f"{yuan:f}".rstrip("0").rstrip(".") if value % 100 else str(value // 100)
    if kind == "bool":
        return "是" if value else "否"
    if kind == "texts":
        return "\n".join(value)
    if kind == "conditions":
        return "、".join(CONDITIONS.get(c, c) for c in value)
    if kind == "packages":
        return "\n".join(
            f"{p.code} {p.name}：" + "，".join(
                f"{s.name if SERVICE_CODES.get(s.code) == s.name else s.code} {s.times}"
                for s in p.services)
            for p in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------- versions


def version_for(versions: Sequence[ProfileVersion], valid_from: dt.date
                ) -> ProfileVersion | None:
    return next((v for v in versions if v.valid_from == valid_from), None)


def add_version(versions: Sequence[ProfileVersion], valid_from: dt.date, note: str,
                where: str = "") -> list[ProfileVersion]:
    """A new empty version from `valid_from` (later than the first: earlier dates keep theirs)."""
    if versions and valid_from <= versions[0].valid_from:
        raise PolicyError(f"{where}：新版本的生效日期应晚于第一个版本（"
                          f"{versions[0].valid_from.isoformat()}），否则更早的随访会被新规则改判")
    if version_for(versions, valid_from) is not None:
        raise PolicyError(f"{where}：已有 {valid_from.isoformat()} 起生效的版本")
    return sorted([*versions, ProfileVersion(valid_from, note.strip(), {})],
                  key=lambda v: v.valid_from)


def set_rule(versions: Sequence[ProfileVersion], key: str, value: Any, cite: str,
             valid_from: dt.date, where: str = "", note: str = "") -> list[ProfileVersion]:
    """Set `key` in the version starting `valid_from` (created when missing)."""
    spec_of(key)
    if not cite.strip():
        raise PolicyError(f"{where}：修改规则 {key} 要写明依据（出处），"
                          "如“本地调整：乡镇卫生院会议纪要2026-03”")
    checked = check_rule_value(key, value, where)
    out = list(versions)
    if version_for(out, valid_from) is None:
        out = add_version(out, valid_from, note or cite, where)
    return [ProfileVersion(v.valid_from, v.note, {**v.rules, key: (checked, cite.strip())})
            if v.valid_from == valid_from else v for v in out]


def clear_rule(versions: Sequence[ProfileVersion], key: str, valid_from: dt.date,
               where: str = "") -> list[ProfileVersion]:
    """Drop `key` from the version starting `valid_from`: it is inherited again there."""
    version = version_for(versions, valid_from)
    if version is None or key not in version.rules:
        raise PolicyError(f"{where}：{valid_from.isoformat()} 起的版本没有修改规则 {key}")
    return [ProfileVersion(v.valid_from, v.note, {k: r for k, r in v.rules.items() if k != key})
            if v is version else v for v in versions]


def copy_head(source: Profile, new_id: str, name: str) -> dict[str, Any]:
    """The [profile] table of a local copy: it inherits the original."""
    return {"id": new_id, "name": name.strip(), "place": source.place,
            "document": f"本地方案，复制自 {source.name}（{source.id}）",
            "source": source.source, "inherits": source.id}


def copy_versions(source: Profile, copied_on: dt.date) -> list[ProfileVersion]:
    """One empty version from the original's first date: at first every rule is inherited."""
    first = min((v.valid_from for v in source.versions), default=copied_on)
    return [ProfileVersion(first, f"{copied_on.isoformat()} 复制自 {source.name}", {})]


def head_of(profile: Profile) -> dict[str, Any]:
    return {"id": profile.id, "name": profile.name, "place": profile.place,
            "document": profile.document, "source": profile.source,
            "inherits": profile.parent.id if profile.parent else ""}


# ---------------------------------------------------------------------------- TOML


def to_toml(head: Mapping[str, Any], versions: Sequence[ProfileVersion]) -> str:
    """The profile as TOML text in the bundled files' format (read back by tomllib)."""
    lines = ["# 本地方案（由 clinic-app 保存；每条规则都带出处）", "", "[profile]"]
    for name in ("id", "name", "place", "document", "source", "inherits"):
        if head.get(name):
            lines.append(f"{name} = {_toml_value(head[name])}")
    for version in versions:
        lines += ["", "[[versions]]", f"valid_from = {version.valid_from.isoformat()}"]
        if version.note:
            lines.append(f"note = {_toml_value(version.note)}")
        lines.append("")
        lines.append("[versions.rules]")
        for key in RULES:  # registry order: stable text, readable diffs
            if key in version.rules:
                value, cite = version.rules[key]
                lines.append(f"{_toml_value(key)} = {{ value = {_toml_value(_plain(value))}, "
                             f"cite = {_toml_value(cite)} }}")
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, Package):
        return {"code": value.code, "name": value.name,
                "services": [{"code": s.code, "name": s.name, "times": s.times}
                             for s in value.services]}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes; \uXXXX for controls).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value) and len(value) > 1:
            return "[\n" + "".join(f"    {_toml_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class LocalProfileInfo:
    """A local profile as the settings page and the command line list it."""

    id: str  # the profile id in the library (``local_zhongwei_3f9a2c``)
    name: str
    base: str  # the profile it was copied from (and inherits)
    created_at: str
    created_by: str
    modified_at: str
    updated_by: str
    retired_on: dt.date | None
    retired_reason: str
    row_id: str

    @property
    def retired(self) -> bool:
        return self.retired_on is not None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LocalProfileInfo:
        return cls(row["profile_key"], row["name"], row["base_profile"], row["created_at"],
                   row["created_by"], row["modified_at"], row["updated_by"],
                   dt.date.fromisoformat(row["retired_on"]) if row["retired_on"] else None,
                   row["retired_reason"], row["id"])


def new_profile_id(source: Profile, taken: Callable[[str], bool]) -> str:
    """An id for a copy that no other township will also pick: ``local_<original>_<random>``.

    Ids travel with sync into the county's register beside every other township's, so a
    counter (``_local1``) would collide there; six random hex digits do not in practice.
    """
    root = source
    while root.id.startswith(LOCAL_PREFIX) and root.parent is not None:
        root = root.parent
    while True:
        candidate = f"{LOCAL_PREFIX}{root.id}_{secrets.token_hex(3)}"
        if not taken(candidate):
            return candidate
