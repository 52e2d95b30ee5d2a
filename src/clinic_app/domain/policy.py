"""Policy profiles (政策配置): every local rule as data, with its citation.

A profile is a TOML file in ``resources/policies/`` (format documented in
``resources/policies/README.md``). It holds one or more *versions*, each valid from a date, and
each version sets rules as ``"key" = { value = ..., cite = "000 §二(六)" }``. A rule a profile
does not set is inherited from its parent (the national default), and shown as inherited, never
invented. The rule keys, their types, Chinese labels and plausible ranges are defined once here
in ``RULES``; a file with an unknown key, a value of the wrong type or out of its range, or
rules that contradict one another on some date (``ORDERINGS``) is refused with a message
naming the file, the key and the problem.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from clinic_app.domain.codes import CONDITIONS
from clinic_app.errors import ClinicError


class PolicyError(ClinicError, ValueError):
    """A profile file that cannot be used; the message names file, key and problem."""


@dataclass(frozen=True)
class RuleSpec:
    key: str
    kind: str  # int | number | percent | money | bool | text | texts | conditions | packages
    label: str
    unit: str = ""
    group: str = ""
    # The plausible range of a numeric rule, both ends allowed, in the stored unit (money in
    # fen). A value outside it is refused in a file and in a local edit alike.
    low: int | float | None = None
    high: int | float | None = None

    def amount_text(self, value: int | float) -> str:
        """A number of this rule as people read it (money in 元), without exponents."""
        if self.kind == "money":
            yuan = value / 100
            return f"{yuan:,.0f} 元" if value % 100 == 0 else f"{yuan:,.2f} 元"
        if self.kind == "percent":
            return f"{value:g}%"
        number = str(value) if isinstance(value, int) else f"{value:g}"
        unit = _RANGE_UNITS.get(self.unit, self.unit)
        return f"{number} {unit}" if unit else number

    def range_text(self) -> str:
        """The plausible range as the errors and the 设置 editor show it: ``1–60 个月``."""
        if self.low is None or self.high is None:
            return ""
        low, high = self.amount_text(self.low), self.amount_text(self.high)
        if self.kind == "money":
            return f"{low.removesuffix(' 元')}–{high}"
        if self.kind == "percent":
            return f"{low.removesuffix('%')}–{high}"
        unit = _RANGE_UNITS.get(self.unit, self.unit)
        return f"{low.removesuffix(' ' + unit) if unit else low}–{high}"


# Units that read differently after a number in a sentence (12月 would read as December).
_RANGE_UNITS = {"月": "个月"}


def _r(key: str, kind: str, label: str, unit: str = "",
       between: tuple[int | float, int | float] | None = None) -> RuleSpec:
    if between is None and kind == "percent":
        between = (0, 100)
    if between is None and kind in ("int", "number", "money"):
        raise ValueError(f"numeric rule {key} needs a plausible range")  # a developer's slip
    low, high = between if between is not None else (None, None)
    return RuleSpec(key, kind, label, unit, key.split(".", 1)[0], low, high)


# Every numeric rule carries a plausible range (the last argument; percentages are 0–100):
# wide enough for any county's own rule, narrow enough to catch a slip of the keyboard that
# would crash a list (a 10¹¹-day reminder window) or silently change every verdict (a low
# glucose emergency at 50 mmol/L). The national values the ranges are built around are in
# national.toml; comments say where a bound comes from when it is not the obvious one.
# How rules must relate to one another is in ORDERINGS below the registry.
RULES: dict[str, RuleSpec] = {
    spec.key: spec
    for spec in (
        # 随访 follow-ups. Yearly counts: at least one, at most monthly (national 4, 中卫 6).
        # Intervals in days: the spec's 2 weeks / 10 days / 1 month / 3 months, with room.
        _r("followup.per_year.hypertension", "int", "高血压每年面对面随访次数", "次/年", (1, 12)),
        _r("followup.per_year.diabetes", "int", "2型糖尿病每年面对面随访次数", "次/年", (1, 12)),
        _r("followup.per_year.severe_mental", "int", "严重精神障碍每年随访次数（稳定期）", "次/年",
           (1, 12)),
        _r("followup.recheck_days", "int", "控制不满意首次：复诊间隔", "天", (1, 30)),
        _r("followup.referral_followup_days", "int", "转诊后随访间隔", "天", (1, 30)),
        _r("followup.tb_intensive_days", "int", "肺结核强化期随访间隔", "天", (1, 30)),
        _r("followup.tb_continuation_days", "int", "肺结核继续期随访间隔", "天", (1, 60)),
        _r("followup.smi_unstable_days", "int", "严重精神障碍不稳定时随访间隔", "天", (1, 30)),
        _r("followup.smi_stable_days", "int", "严重精神障碍稳定时随访间隔", "天", (1, 180)),
        _r("followup.due_soon_days", "int", "提前提醒天数（本周待随访）", "天", (1, 60)),
        # 控制与危急标准 thresholds: around the spec's 140/90 (150 from 65), 180/110, glucose
        # 7.0 / 16.7 / 3.9 mmol/L. 11.1 is the diabetic random-glucose line, 33.3 the
        # hyperosmolar one; 2.8 is the hypoglycaemia line for people without diabetes.
        _r("bp.controlled_sbp", "int", "血压控制满意：收缩压低于", "mmHg", (100, 160)),
        _r("bp.controlled_dbp", "int", "血压控制满意：舒张压低于", "mmHg", (60, 100)),
        _r("bp.elderly_age", "int", "老年血压标准适用年龄（含）", "岁", (50, 90)),
        _r("bp.elderly_controlled_sbp", "int", "老年人血压控制满意：收缩压低于", "mmHg",
           (100, 170)),
        _r("bp.emergency_sbp", "int", "紧急转诊：收缩压不低于", "mmHg", (150, 250)),
        _r("bp.emergency_dbp", "int", "紧急转诊：舒张压不低于", "mmHg", (90, 150)),
        _r("glucose.controlled_fasting", "number", "血糖控制满意：空腹血糖低于", "mmol/L",
           (4.4, 10.0)),
        _r("glucose.emergency_high", "number", "紧急转诊：空腹血糖不低于", "mmol/L", (11.1, 33.3)),
        _r("glucose.emergency_low", "number", "紧急转诊：空腹血糖不高于", "mmol/L", (2.8, 5.0)),
        # 健康体检 checkups (one a year everywhere; 新宾 pays 150 元)
        _r("checkup.per_year", "int", "每年健康体检次数", "次/年", (1, 4)),
        _r("checkup.cost_fen", "money", "健康体检补偿标准", "分/人", (0, 200_000)),
        _r("checkup.form", "text", "体检表版本"),
        _r("checkup.coverage_target", "percent", "健康体检覆盖率目标", "%"),
        _r("checkup.extra_items", "texts", "增加的体检项目"),
        # 签约 contracts: a term of one year in principle, five at most; 新宾 pays 8 元.
        _r("contract.term_months", "int", "签约服务周期", "月", (1, 60)),
        _r("contract.expiring_soon_days", "int", "即将到期提醒天数", "天", (1, 180)),
        _r("contract.subsidy_fen", "money", "签约服务补助标准", "分/人/年", (0, 100_000)),
        _r("contract.coverage_target", "percent", "重点人群签约覆盖率目标", "%"),
        _r("contract.conditions_full_coverage", "conditions", "要求100%签约的慢病"),
        _r("contract.packages", "packages", "签约服务包"),
        _r("contract.principle", "text", "签约履约原则"),
        # 慢病用药与小药箱 medicine
        # 新宾 caps free chronic medicine at 1000 元 a year: 20,000 元 leaves room for any county.
        _r("medicine.free_cap_fen", "money", "免费慢病用药每人每年限额", "分/人/年",
           (0, 2_000_000)),
        _r("medicine.free_cap_conditions", "conditions", "免费慢病用药适用病种"),
        _r("medicine.box_enabled", "bool", "实行慢病小药箱（代购、结算、送药）"),
        _r("medicine.govt_top_up_percent", "percent", "慢病、特殊病用药政府补足至", "%"),
        # 报销 reimbursement
        _r("reimburse.inpatient_actual_percent", "percent", "住院实际报销比例目标", "%"),
        _r("reimburse.out_of_pocket_cap_fen", "money", "住院个人自付年度累计上限", "分/年",
           (0, 10_000_000)),  # 中卫: 5000 元
        _r("reimburse.outpatient_percent", "percent", "基层门诊报销比例", "%"),
        _r("reimburse.deductible_cut_percent", "percent", "起付线降低", "%"),
        _r("reimburse.ratio_raise_points", "number", "报销比例提高", "个百分点", (0, 50)),
        _r("reimburse.serious_illness_percent", "percent", "大病保险报销比例", "%"),
        _r("reimburse.no_extra_layering", "bool", "防范层层加码（不得超出适度目标）"),
        _r("reimburse.pay_after_treatment", "bool", "县域内先诊疗后付费、一站式结算"),
        _r("reimburse.notes", "texts", "其他报销政策"),
        _r("reimburse.fund_payout_workdays", "int", "兜底资金受理后打入社保卡账户", "个工作日",
           (1, 90)),
        # 扶贫济困医疗基金 (004: 100 元 a head, bills over 3000 元, at most 5万 a year)
        _r("fund.per_head_min_fen", "money", "扶贫济困医疗基金人均不低于", "分/人", (0, 1_000_000)),
        _r("fund.bill_threshold_fen", "money", "目录外费用单次超过", "分", (0, 10_000_000)),
        _r("fund.max_share_percent", "percent", "救助不超过总费用的", "%"),
        _r("fund.yearly_cap_fen", "money", "每人每年最高救助", "分/年", (0, 100_000_000)),
        # 减免 waivers
        _r("waivers.items", "texts", "医疗费用减免项目"),
        # 三个一批 disease lists (the documents count 9 to 94 diseases)
        _r("diseases.major_count", "int", "大病集中救治病种数", "种", (0, 300)),
        _r("diseases.major", "texts", "大病集中救治病种"),
        _r("diseases.free_treatment_count", "int", "免费救治大病病种数", "种", (0, 300)),
        _r("diseases.free_treatment", "texts", "免费救治大病病种"),
        _r("diseases.special_treatment_count", "int", "专项救治重大疾病病种数", "种", (0, 300)),
        _r("diseases.special_treatment", "texts", "专项救治重大疾病病种"),
        _r("diseases.severe_count", "int", "重病兜底保障病种数", "种", (0, 300)),
        _r("diseases.severe_national_count", "int", "国家规定兜底疾病数", "种", (0, 300)),
        _r("diseases.chronic", "conditions", "慢病签约服务管理病种"),
        _r("diseases.close_out_rule", "text", "销号规则"),
        # 床位 beds (000)
        _r("beds.reserved_percent", "percent", "二、三级医院预留扶贫病床", "%"),
        _r("beds.township_min", "int", "乡镇卫生院预留扶贫病床不少于", "张", (0, 100)),
        # 报告 reporting
        _r("report.monthly", "bool", "健康扶贫月报制度"),
        _r("report.reconcile_quarterly_day", "int", "季度对账：季度结束后次月几日前", "日",
           (1, 31)),
        _r("report.poverty_warning", "bool", "因病致贫返贫监测预警"),
        # 卡片 cards and paper
        _r("card.contact.title", "text", "签约服务联系卡标题"),
        _r("card.contact.policy_lines", "texts", "联系卡背面政策要点"),
        _r("card.household.title", "text", "户政策明白卡标题"),
        _r("card.household.policy_lines", "texts", "明白卡政策要点"),
        _r("card.household.issue", "text", "每户发放的政策材料"),
    )
}

RULE_GROUPS = {
    "followup": "随访",
    "bp": "血压标准",
    "glucose": "血糖标准",
    "checkup": "健康体检",
    "contract": "家庭医生签约",
    "medicine": "慢病用药与小药箱",
    "reimburse": "医疗保障与报销",
    "fund": "扶贫济困医疗基金",
    "waivers": "费用减免",
    "diseases": "三个一批病种",
    "beds": "扶贫病床",
    "report": "报告与对账",
    "card": "卡片文字",
}

# The rules the program cannot work without: the national default must set every one.
REQUIRED = tuple(
    key
    for key in RULES
    if key.startswith(("followup.", "bp.", "glucose.", "contract.term", "contract.expiring"))
    or key in ("checkup.per_year", "contract.packages", "card.contact.title",
               "card.household.title")
)

# How rules must relate to one another, checked on every date of a profile with inherited
# values included (a local edit of one rule can break its order with an inherited one):
# (smaller, larger, strict, what goes wrong otherwise).
ORDERINGS: tuple[tuple[str, str, bool, str], ...] = (
    ("glucose.emergency_low", "glucose.controlled_fasting", True,
     "否则控制满意的血糖也会被判为危急低血糖"),
    ("glucose.controlled_fasting", "glucose.emergency_high", True,
     "否则需要紧急转诊的高血糖也算控制满意"),
    ("bp.controlled_sbp", "bp.elderly_controlled_sbp", False, "老年人的标准不应比一般标准更严"),
    ("bp.elderly_controlled_sbp", "bp.emergency_sbp", True,
     "否则需要紧急转诊的血压也算控制满意"),
    ("bp.controlled_dbp", "bp.emergency_dbp", True, "否则需要紧急转诊的血压也算控制满意"),
    ("followup.tb_intensive_days", "followup.tb_continuation_days", False,
     "强化期随访应比继续期更勤"),
    ("followup.smi_unstable_days", "followup.smi_stable_days", False,
     "病情不稳定时随访应比稳定时更勤"),
)
# A list of named diseases may be shorter than the count (documents often name a few of
# them), never longer.
NAMED_COUNTS = (
    ("diseases.major", "diseases.major_count"),
    ("diseases.free_treatment", "diseases.free_treatment_count"),
    ("diseases.special_treatment", "diseases.special_treatment_count"),
)

SERVICE_CODES = {
    "checkup": "健康体检",
    "follow_up": "慢病随访",
    "health_education": "健康教育",
    "consultation": "健康咨询",
    "referral": "转诊服务",
    "medicine_delivery": "代购送药",
    "tcm": "中医药健康管理",
    "home_bed": "家庭病床",
}


@dataclass(frozen=True)
class ServiceItem:
    code: str
    name: str
    times: int  # times a year; 0 = on demand


@dataclass(frozen=True)
class Package:
    code: str
    name: str
    services: tuple[ServiceItem, ...]


@dataclass(frozen=True)
class RuleValue:
    key: str
    value: Any
    cite: str
    profile_id: str  # the profile that set it (differs from the asking one when inherited)
    inherited: bool
    valid_from: dt.date

    @property
    def spec(self) -> RuleSpec:
        return RULES[self.key]


@dataclass(frozen=True)
class ProfileVersion:
    valid_from: dt.date
    note: str
    rules: Mapping[str, tuple[Any, str]]  # key → (value, cite)


@dataclass
class Profile:
    id: str
    name: str
    place: str
    document: str
    source: str
    parent: Profile | None
    versions: list[ProfileVersion] = field(default_factory=list)
    origin: str = ""  # file path or "local"
    # (key, date) → RuleValue: the schedule asks the same few rules for every patient.
    _cache: dict[tuple[str, dt.date | None], RuleValue | None] = field(
        default_factory=dict, repr=False, compare=False)

    def _version_on(self, on: dt.date | None) -> list[ProfileVersion]:
        """Versions in force on a date, newest first (later versions override earlier ones)."""
        if on is None:
            chosen = list(self.versions)
        else:
            chosen = [v for v in self.versions if v.valid_from <= on]
            if not chosen:  # a visit before the profile's first version: its earliest rules
                chosen = self.versions[:1]
        return sorted(chosen, key=lambda v: v.valid_from, reverse=True)

    def rule(self, key: str, on: dt.date | None = None) -> RuleValue | None:
        try:
            return self._cache[key, on]
        except KeyError:
            pass
        found = self._resolve(key, on)
        self._cache[key, on] = found
        return found

    def _resolve(self, key: str, on: dt.date | None) -> RuleValue | None:
        if key not in RULES:
            raise KeyError(f"未定义的政策规则 {key}")
        for version in self._version_on(on):
            if key in version.rules:
                value, cite = version.rules[key]
                return RuleValue(key, value, cite, self.id, False, version.valid_from)
        if self.parent is not None:
            found = self.parent.rule(key, on)
            if found is not None:
                return RuleValue(key, found.value, found.cite, found.profile_id, True,
                                 found.valid_from)
        return None

    def value(self, key: str, on: dt.date | None = None, default: Any = None) -> Any:
        found = self.rule(key, on)
        return default if found is None else found.value

    def all_rules(self, on: dt.date | None = None) -> list[RuleValue | RuleSpec]:
        """Every rule key in registry order: its value, or its spec when nobody sets it."""
        out: list[RuleValue | RuleSpec] = []
        for key, spec in RULES.items():
            found = self.rule(key, on)
            out.append(found if found is not None else spec)
        return out

    def packages(self, on: dt.date | None = None) -> list[Package]:
        return list(self.value("contract.packages", on, []))

    def package(self, code: str, on: dt.date | None = None) -> Package | None:
        return next((p for p in self.packages(on) if p.code == code), None)

    def followups_per_year(self, condition: str, on: dt.date | None = None) -> int | None:
        return self.value(f"followup.per_year.{condition}", on)

    def to_dict(self, on: dt.date | None = None) -> dict[str, Any]:
        """JSON-ready: every rule with value, citation and whether inherited."""
        rules = []
        for item in self.all_rules(on):
            if isinstance(item, RuleSpec):
                rules.append({"key": item.key, "label": item.label, "unit": item.unit,
                              "range": _range(item), "value": None, "cite": "",
                              "set_by": None, "inherited": False})
            else:
                rules.append({
                    "key": item.key, "label": item.spec.label, "unit": item.spec.unit,
                    "range": _range(item.spec),
                    "value": _jsonable(item.value), "cite": item.cite,
                    "set_by": item.profile_id, "inherited": item.inherited,
                    "valid_from": item.valid_from.isoformat(),
                })
        return {
            "id": self.id, "name": self.name, "place": self.place, "document": self.document,
            "source": self.source, "parent": self.parent.id if self.parent else None,
            "versions": [v.valid_from.isoformat() for v in self.versions],
            "rules": rules,
        }


def _range(spec: RuleSpec) -> dict[str, Any] | None:
    """A numeric rule's plausible range for scripts (stored units: money in fen)."""
    if spec.low is None:
        return None
    return {"min": spec.low, "max": spec.high, "text": spec.range_text()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Package):
        return {"code": value.code, "name": value.name,
                "services": [s.__dict__ for s in value.services]}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def format_value(spec: RuleSpec, value: Any) -> str:
    """A rule value as a person reads it (money in 元, lists joined)."""
    if value is None:
        return "未规定"
    if spec.kind == "money":
        yuan = value / 100
        return f"{yuan:,.0f} 元" if value % 100 == 0 else f"{yuan:,.2f} 元"
    if spec.kind == "percent":
        return f"{value:g}%"
    if spec.kind == "bool":
        return "是" if value else "否"
    if spec.kind == "conditions":
        return "、".join(CONDITIONS.get(c, c) for c in value)
    if spec.kind == "texts":
        return "；".join(value)
    if spec.kind == "packages":
        return "；".join(
            f"{p.name}（" + "、".join(
                f"{s.name}{s.times}次" if s.times else s.name for s in p.services) + "）"
            for p in value)
    unit = spec.unit if spec.unit and not spec.unit.startswith("分") else ""
    unit = _RANGE_UNITS.get(unit, unit)  # 12个月, not 12月 (December)
    return f"{value:g}{unit}" if isinstance(value, int | float) else str(value)


# ---------------------------------------------------------------------------------- loading


def _flatten(prefix: str, table: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for name, item in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(item, Mapping) and "value" not in item:
            yield from _flatten(key, item)
        else:
            yield key, item


def _check_value(where: str, spec: RuleSpec, value: Any) -> Any:
    def fail(problem: str) -> PolicyError:
        return PolicyError(f"{where}：规则 {spec.key}（{spec.label}）{problem}")

    kind = spec.kind
    if kind in ("int", "money", "number", "percent"):
        if kind in ("int", "money"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise fail(f"应为非负整数{'（单位：分）' if kind == 'money' else ''}，"
                           f"现在是 {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise fail(f"应为非负数，现在是 {value!r}")
        if kind == "percent" and value > 100:
            raise fail(f"百分比不能超过100，现在是 {value!r}")
        # NaN compares false both ways, so it lands here too.
        if spec.low is not None and spec.high is not None and \
                not spec.low <= value <= spec.high:
            raise fail(f"应在 {spec.range_text()}之间，现在是 {spec.amount_text(value)}")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise fail(f"应为 true 或 false，现在是 {value!r}")
    elif kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise fail("应为非空文字")
    elif kind == "texts":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail("应为文字列表")
        return tuple(value)
    elif kind == "conditions":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("应为病种代码列表")
        unknown = [v for v in value if v not in CONDITIONS]
        if unknown:
            raise fail(f"含未知病种代码 {', '.join(unknown)}（可用：{', '.join(CONDITIONS)}）")
        return tuple(value)
    elif kind == "packages":
        return tuple(_check_packages(fail, value))
    return value


def _check_packages(fail: Any, value: Any) -> Iterable[Package]:
    if not isinstance(value, list) or not value:
        raise fail("应为至少一个服务包")
    codes = set()
    for item in value:
        if not isinstance(item, Mapping) or not {"code", "name", "services"} <= set(item):
            raise fail("每个服务包要有 code、name、services")
        if item["code"] in codes:
            raise fail(f"服务包代码 {item['code']} 重复")
        codes.add(item["code"])
        services = []
        for svc in item["services"]:
            if not isinstance(svc, Mapping) or svc.get("code") not in SERVICE_CODES:
                raise fail(f"服务包 {item['code']} 含未知服务 {svc!r}"
                           f"（可用：{', '.join(SERVICE_CODES)}）")
            times = svc.get("times", 0)
            if isinstance(times, bool) or not isinstance(times, int) or times < 0:
                raise fail(f"服务包 {item['code']} 的服务 {svc['code']} 次数应为非负整数")
            services.append(ServiceItem(svc["code"], svc.get("name") or SERVICE_CODES[svc["code"]],
                                        times))
        yield Package(str(item["code"]), str(item["name"]), tuple(services))


def _problems_on(profile: Profile, on: dt.date) -> list[tuple[str, str]]:
    """(what, message) for each cross-rule problem of the rules in force on `on`."""
    profile_names = {}
    parent: Profile | None = profile
    while parent is not None:
        profile_names[parent.id] = parent.name
        parent = parent.parent

    def shown(rule: RuleValue) -> str:
        text = f"= {rule.spec.amount_text(rule.value)}"
        if rule.inherited:
            text += f"（继承自 {profile_names.get(rule.profile_id, rule.profile_id)}）"
        return text

    out = []
    for small, large, strict, why in ORDERINGS:
        low, high = profile.rule(small, on), profile.rule(large, on)
        if low is None or high is None:
            continue
        if low.value > high.value or (strict and low.value == high.value):
            out.append((f"{small}<{large}",
                        f"规则 {small}（{low.spec.label}）{shown(low)} 应"
                        f"{'小于' if strict else '不大于'} 规则 {large}（{high.spec.label}）"
                        f"{shown(high)}，{why}"))
    for names_key, count_key in NAMED_COUNTS:
        names, count = profile.rule(names_key, on), profile.rule(count_key, on)
        if names is not None and count is not None and len(names.value) > count.value:
            out.append((names_key,
                        f"规则 {names_key}（{names.spec.label}）列出 {len(names.value)} 种，"
                        f"多于规则 {count_key}（{count.spec.label}）{shown(count)}"))
    term, soon = profile.rule("contract.term_months", on), \
        profile.rule("contract.expiring_soon_days", on)
    # The shortest month: a window as long as the term lists a contract on the day it starts.
    if term is not None and soon is not None and soon.value >= term.value * 28:
        out.append(("contract.expiring_soon_days",
                    f"规则 contract.expiring_soon_days（{soon.spec.label}）{shown(soon)} "
                    f"应短于 规则 contract.term_months（{term.spec.label}）{shown(term)}"
                    f"（按每月28天计），否则签约当天就列为即将到期"))
    return out


def profile_problems(profile: Profile) -> list[str]:
    """How the profile's rules contradict one another (ORDERINGS, NAMED_COUNTS, the renewal
    window against the term), on every date its rules or its parents' change, each problem
    once, from the first date it appears."""
    chain, parent = [], profile
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    # Before its first version a profile is read by that version, so no earlier date counts.
    first = min(v.valid_from for v in profile.versions)
    dates = sorted({max(v.valid_from, first) for p in chain for v in p.versions})
    seen: set[str] = set()
    problems = []
    for on in dates:
        for what, message in _problems_on(profile, on):
            if what not in seen:
                seen.add(what)
                problems.append(f"自 {on.isoformat()} 起，{message}"
                                if len(dates) > 1 else message)
    return problems


def check_profile(profile: Profile, where: str) -> None:
    """Refuse a profile whose rules contradict one another (see profile_problems)."""
    problems = profile_problems(profile)
    if problems:
        raise PolicyError(f"{where}：" + "；".join(problems))


def parse_profile(data: Mapping[str, Any], where: str
                  ) -> tuple[dict[str, Any], list[ProfileVersion]]:
    """Validate a profile's parsed TOML; return its header and versions."""
    head = data.get("profile")
    if not isinstance(head, Mapping):
        raise PolicyError(f"{where}：缺少 [profile] 表")
    for key in ("id", "name", "place"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise PolicyError(f"{where}：[profile] 缺少 {key}")
    extra = set(data) - {"profile", "versions"}
    if extra:
        names = ", ".join(sorted(extra))
        raise PolicyError(f"{where}：未知的表 {names}（只允许 profile、versions）")
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise PolicyError(f"{where}：至少要有一个 [[versions]]")
    versions: list[ProfileVersion] = []
    for index, raw in enumerate(raw_versions, 1):
        vwhere = f"{where} 第{index}个版本"
        valid_from = raw.get("valid_from")
        if isinstance(valid_from, dt.datetime) or not isinstance(valid_from, dt.date):
            raise PolicyError(f"{vwhere}：valid_from 应为日期，如 2018-08-14")
        unknown = set(raw) - {"valid_from", "note", "rules"}
        if unknown:
            raise PolicyError(f"{vwhere}：未知的键 {', '.join(sorted(unknown))}")
        rules: dict[str, tuple[Any, str]] = {}
        for key, item in _flatten("", raw.get("rules", {})):
            if key not in RULES:
                raise PolicyError(f"{vwhere}：未知的规则 {key}")
            if not isinstance(item, Mapping) or "value" not in item:
                raise PolicyError(f"{vwhere}：规则 {key} 应写成 {{ value = ..., cite = \"...\" }}")
            cite = item.get("cite")
            if not isinstance(cite, str) or not cite.strip():
                raise PolicyError(f"{vwhere}：规则 {key} 缺少出处 cite")
            if set(item) - {"value", "cite"}:
                raise PolicyError(f"{vwhere}：规则 {key} 只允许 value 和 cite")
            rules[key] = (_check_value(vwhere, RULES[key], item["value"]), cite.strip())
        versions.append(ProfileVersion(valid_from, str(raw.get("note", "")), rules))
    dates = [v.valid_from for v in versions]
    if len(set(dates)) != len(dates):
        raise PolicyError(f"{where}：两个版本的 valid_from 相同")
    versions.sort(key=lambda v: v.valid_from)
    return dict(head), versions


class PolicyLibrary:
    """All known profiles, by id: the bundled ones plus local ones (from the database)."""

    def __init__(self) -> None:
        self._profiles: dict[str, Profile] = {}

    def __contains__(self, profile_id: str) -> bool:
        return profile_id in self._profiles

    def __iter__(self):
        return iter(self._profiles.values())

    def get(self, profile_id: str) -> Profile:
        try:
            return self._profiles[profile_id]
        except KeyError:
            known = "、".join(self._profiles) or "无"
            raise PolicyError(f"没有名为 {profile_id} 的政策配置（已有：{known}）") from None

    def add_toml(self, text: str, origin: str) -> Profile:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{origin}：TOML 格式错误：{exc}") from None
        head, versions = parse_profile(data, origin)
        return self._add(head, versions, origin)

    def _add(self, head: dict[str, Any], versions: list[ProfileVersion], origin: str) -> Profile:
        profile_id = head["id"]
        if profile_id in self._profiles and self._profiles[profile_id].origin != origin:
            raise PolicyError(f"{origin}：政策配置 id {profile_id} 与 "
                              f"{self._profiles[profile_id].origin} 重复")
        parent_id = head.get("inherits") or None
        parent = None
        if parent_id:
            if parent_id not in self._profiles:
                raise PolicyError(f"{origin}：继承的政策配置 {parent_id} 不存在或尚未加载")
            parent = self._profiles[parent_id]
        elif profile_id != "national":
            raise PolicyError(f"{origin}：地方配置必须 inherits = \"national\" 或另一个配置")
        profile = Profile(profile_id, head["name"], head["place"], head.get("document", ""),
                          head.get("source", ""), parent, versions, origin)
        if parent is None:
            missing = [k for k in REQUIRED if profile.rule(k) is None]
            if missing:
                raise PolicyError(f"{origin}：国家默认配置缺少必需规则 {', '.join(missing)}")
        check_profile(profile, origin)
        self._profiles[profile_id] = profile
        return profile


def bundled_files() -> list[tuple[str, str]]:
    """(name, text) of every bundled profile, national first."""
    folder = resources.files("clinic_app.resources").joinpath("policies")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")),
                   key=lambda f: (f.name != "national.toml", f.name))
    return [(f"policies/{f.name}", f.read_text(encoding="utf-8")) for f in files]


def load_library(extra: Iterable[tuple[str, str]] = ()) -> PolicyLibrary:
    """Load the bundled profiles, then any extra (origin, toml_text) such as local copies."""
    library = PolicyLibrary()
    for origin, text in [*bundled_files(), *extra]:
        library.add_toml(text, origin)
    return library



@dataclass(frozen=True)
class RuleDifference:
    spec: RuleSpec
    left: RuleValue | None
    right: RuleValue | None

    @property
    def same(self) -> bool:
        left = self.left.value if self.left else None
        right = self.right.value if self.right else None
        return left == right


def compare(left: Profile, right: Profile, on: dt.date | None = None,
            only_differences: bool = False) -> list[RuleDifference]:
    """Every rule of two profiles side by side (the 政策差异 view), in registry order."""
    rows = [RuleDifference(spec, left.rule(key, on), right.rule(key, on))
            for key, spec in RULES.items()]
    return [r for r in rows if not r.same] if only_differences else rows
