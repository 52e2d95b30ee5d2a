"""The chronic-disease medicine box (慢病小药箱) in integer fen: caps, splits, refunds, supply.

003 (固阳) describes the box: the doctor buys the patient's chronic medicines on their behalf
(代购药品), settles them with insurance (医保结算), delivers them at home (上门送药) and keeps
the receipts in the box. 001 (新宾) adds free outpatient medicine for four chronic diseases,
capped per person per year (每人每年限额1000元); 003 has the government top the patient up to
95% instead. Both numbers come from the policy profile (``medicine.free_cap_fen``,
``medicine.free_cap_conditions``, ``medicine.govt_top_up_percent``); none is written here.

Money is integer fen everywhere; a yuan amount typed by a person is parsed exactly
(``parse_yuan``), never through a float. Rows of ``deliveries`` come in three kinds:

- ``delivery``: medicine handed over; amounts ≥ 0.
- ``refund``: medicine returned (退药); negative quantity and amounts, ``refund_of`` names the
  delivery. It gives its free-fund share back to the cap of the *refunded delivery's* year, so
  a January return of December medicine does not lift January's cap above the limit.
- a correction: a new row whose ``corrects_id`` names the row it replaces (same kind). The old
  row stays as history; only current rows (not replaced, not voided) count anywhere.

The cap year of a delivery is the calendar year of its delivery date. No Qt, no SQL.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from clinic_app.domain import codes
from clinic_app.domain.models import BoxItem, Delivery, MedicineBox, yuan
from clinic_app.domain.policy import Profile

# A software default, not a policy: how many days ahead 药快用完 starts listing a medicine.
RUNS_OUT_SOON_DAYS = 7

KINDS = {"delivery": "发药", "refund": "退药"}
LOCATIONS = {"home": "上门送药", "clinic": "村卫生室取药"}
PAYER_FIELDS = ("insurance_fen", "free_fund_fen", "patient_fen")


class MedicineError(ValueError):
    """A money or quantity problem, explained in Chinese."""


@dataclass(frozen=True)
class Item(BoxItem):
    """A medicine on the box, with the m0005 columns (pack size, when and why stopped)."""

    pack_size: int | None = None
    stopped_on: dt.date | None = None
    stop_reason: str = ""

    _date_fields = ("stopped_on",)

    @property
    def units_per_pack(self) -> int | None:
        """The pack size typed, else read from the 规格 ('5mg×28片' → 28)."""
        return self.pack_size or pack_size_from(self.strength)


@dataclass(frozen=True)
class DeliveryRecord(Delivery):
    """A row of ``deliveries`` with the m0005 columns (delivery or refund)."""

    kind: str = "delivery"
    refund_of: str | None = None

    @property
    def split(self) -> Split:
        return Split(self.insurance_fen, self.free_fund_fen, self.patient_fen)


# ---------------------------------------------------------------------- money
_YUAN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_yuan(text: str | int | Decimal | None, label: str = "金额") -> int:
    """'18.5' / '18.50' / '１８．５' / '18.5元' → 1850 fen, exactly. Empty → 0.

    More than two decimals is refused (a fen is the smallest unit), as is anything unreadable.
    """
    if text is None:
        return 0
    if isinstance(text, int):
        return text * 100
    raw = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace("，", "")
    raw = raw.removesuffix("元").strip().removeprefix("¥").strip()
    if raw == "":
        return 0
    if not _YUAN.match(raw):
        raise MedicineError(f"{label}“{text}”不是金额，请写成 18.50 这样的数字")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MedicineError(f"{label}“{text}”不是金额") from None
    fen = value * 100
    if fen != fen.to_integral_value():
        raise MedicineError(f"{label}“{text}”最多两位小数（到分）")
    return int(fen)


def yuan_text(fen: int | None) -> str:
    """Fen as '1,234.50 元' for messages (exact; no float)."""
    if fen is None:
        return "不限"
    text = yuan(fen)
    whole, _, part = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}"
    return f"{'-' if fen < 0 else ''}{grouped}.{part} 元"


@dataclass(frozen=True)
class Split:
    """Who pays a delivery (or gets a refund back): insurance, the free-medicine fund, the
    patient. Integer fen; the three add up to quantity × unit price (a CHECK in the schema)."""

    insurance_fen: int = 0
    free_fund_fen: int = 0
    patient_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.insurance_fen + self.free_fund_fen + self.patient_fen

    def as_row(self) -> dict[str, int]:
        return {"insurance_fen": self.insurance_fen, "free_fund_fen": self.free_fund_fen,
                "patient_fen": self.patient_fen}

    def __neg__(self) -> Split:
        return Split(-self.insurance_fen, -self.free_fund_fen, -self.patient_fen)

    def __add__(self, other: Split) -> Split:
        return Split(self.insurance_fen + other.insurance_fen,
                     self.free_fund_fen + other.free_fund_fen,
                     self.patient_fen + other.patient_fen)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Split:
        return cls(int(row["insurance_fen"]), int(row["free_fund_fen"]), int(row["patient_fen"]))


# ---------------------------------------------------------------------- the fund and its cap
@dataclass(frozen=True)
class FundRule:
    """The free-medicine fund as one profile sets it on one date."""

    cap_fen: int | None  # per person per calendar year; None = the profile sets no cap
    conditions: tuple[str, ...] | None  # None = any chronic medicine
    top_up_percent: float | None  # the government tops insurance up to this share
    profile_name: str = ""

    @property
    def available(self) -> bool:
        """A free-medicine fund exists only where the profile says so (a cap or a top-up)."""
        return self.cap_fen is not None or self.top_up_percent is not None

    def eligible(self, condition_code: str) -> bool:
        return self.conditions is None or condition_code in self.conditions

    def conditions_text(self) -> str:
        if self.conditions is None:
            return "慢性病用药"
        return "、".join(codes.label(codes.CONDITIONS, c) for c in self.conditions)

    def top_up_fen(self, total_fen: int, insurance_fen: int) -> int | None:
        """The most the fund pays under a top-up rule: total × percent − insurance (≥ 0)."""
        if self.top_up_percent is None:
            return None
        share = (Decimal(total_fen) * Decimal(str(self.top_up_percent)) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP)
        return max(0, int(share) - insurance_fen)


def fund_rule(profile: Profile, on: dt.date) -> FundRule:
    conditions = profile.value("medicine.free_cap_conditions", on)
    return FundRule(profile.value("medicine.free_cap_fen", on),
                    tuple(conditions) if conditions is not None else None,
                    profile.value("medicine.govt_top_up_percent", on), profile.name)


@dataclass(frozen=True)
class Balance:
    """The free-medicine cap of one calendar year: what is set, used and left."""

    year: int
    rule: FundRule
    used_fen: int

    @property
    def cap_fen(self) -> int | None:
        return self.rule.cap_fen

    @property
    def left_fen(self) -> int | None:
        """None when the profile sets no cap; never below zero (a correction can overspend)."""
        if self.rule.cap_fen is None:
            return None
        return max(0, self.rule.cap_fen - self.used_fen)

    def text(self) -> str:
        if not self.rule.available:
            return f"当前政策配置（{self.rule.profile_name}）没有免费慢病用药基金"
        if self.rule.cap_fen is None:
            return (f"{self.year}年免费慢病用药：政府补足至 {self.rule.top_up_percent:g}%，"
                    f"不设年度限额；已由基金支付 {yuan_text(self.used_fen)}")
        return (f"{self.year}年免费慢病用药：限额 {yuan_text(self.cap_fen)}，"
                f"已用 {yuan_text(self.used_fen)}，剩余 {yuan_text(self.left_fen)}")


def cap_year(row: Mapping[str, Any], refunded_dates: Mapping[str, str]) -> int:
    """The calendar year whose cap a row counts against: its own delivery date, or for a
    refund the date of the delivery it refunds (given in ``refunded_dates`` by id)."""
    if row.get("kind") == "refund" and row.get("refund_of") in refunded_dates:
        return int(str(refunded_dates[row["refund_of"]])[:4])
    return int(str(row["delivered_on"])[:4])


def used_in_year(rows: Iterable[Mapping[str, Any]], year: int,
                 refunded_dates: Mapping[str, str], *, exclude_id: str | None = None) -> int:
    """Free-fund fen of the current rows counted against one year's cap (refunds subtract)."""
    return sum(int(r["free_fund_fen"]) for r in rows
               if r["id"] != exclude_id and cap_year(r, refunded_dates) == year)


def last_unit_price(rows: Iterable[Mapping[str, Any]], item_id: str | None) -> int | None:
    """The unit price (fen) of an item's newest current delivery, to offer on the next one;
    None when it has none. Rows as ``BoxView.deliveries`` holds them (any order)."""
    found = [r for r in rows if r["item_id"] == item_id and r["kind"] == "delivery"
             and r.get("current", 1) and r["unit_price_fen"] is not None]
    if not found:
        return None
    newest = max(found, key=lambda r: (str(r["delivered_on"]), str(r.get("created_at") or "")))
    return int(newest["unit_price_fen"])


def last_insurance_share(rows: Iterable[Mapping[str, Any]], item_id: str | None) -> int | None:
    """The percentage insurance paid at the item's newest current delivery (rounded), to warn
    when a new one leaves it out; None when there is none or insurance paid nothing."""
    found = [r for r in rows if r["item_id"] == item_id and r["kind"] == "delivery"
             and r.get("current", 1) and r["unit_price_fen"]]
    if not found:
        return None
    newest = max(found, key=lambda r: (str(r["delivered_on"]), str(r.get("created_at") or "")))
    total = int(newest["quantity"]) * int(newest["unit_price_fen"])
    share = round(100 * int(newest["insurance_fen"]) / total) if total else 0
    return share or None


# ---------------------------------------------------------------------- splits
def suggest_split(total_fen: int, insurance_fen: int, rule: FundRule, left_fen: int | None,
                  eligible: bool) -> Split:
    """What a doctor would write: insurance as settled, then the fund up to what is left of
    the cap (and the top-up share), the patient the rest."""
    insurance = max(0, min(insurance_fen, total_fen))
    rest = total_fen - insurance
    fund = rest if rule.available and eligible else 0
    if left_fen is not None:
        fund = min(fund, left_fen)
    top_up = rule.top_up_fen(total_fen, insurance)
    if top_up is not None:
        fund = min(fund, top_up)
    return Split(insurance, fund, rest - fund)


def split_problems(total_fen: int, split: Split, *, rule: FundRule, left_fen: int | None,
                   eligible: bool, year: int, condition_label: str = "") -> dict[str, str]:
    """Field → Chinese problem for a delivery's split; empty when it may be saved."""
    problems: dict[str, str] = {}
    for name, label in (("insurance_fen", "医保支付"), ("free_fund_fen", "免费药品基金"),
                        ("patient_fen", "个人支付")):
        if getattr(split, name) < 0:
            problems[name] = f"{label}不能为负数"
    if problems:
        return problems
    if split.total_fen != total_fen:
        diff = total_fen - split.total_fen
        problems["patient_fen"] = (
            f"医保 + 基金 + 个人 = {yuan_text(split.total_fen)}，应等于总金额 "
            f"{yuan_text(total_fen)}（{'还差' if diff > 0 else '多出'} {yuan_text(abs(diff))}）")
        return problems
    fund = split.free_fund_fen
    if fund == 0:
        return problems
    if not rule.available:
        problems["free_fund_fen"] = (f"当前政策配置（{rule.profile_name}）没有免费慢病用药基金，"
                                     "基金支付应为 0，请改由医保或个人支付")
    elif not eligible:
        what = f"“{condition_label}”" if condition_label else "未注明病种的药品"
        problems["free_fund_fen"] = (f"{what}不在免费慢病用药病种（{rule.conditions_text()}）内，"
                                     "基金支付应为 0")
    elif (top_up := rule.top_up_fen(total_fen, split.insurance_fen)) is not None and \
            fund > top_up:
        problems["free_fund_fen"] = (
            f"政府补足至 {rule.top_up_percent:g}%：本次基金最多支付 {yuan_text(top_up)}，"
            f"其余由个人承担")
    elif left_fen is not None and fund > left_fen:
        over = fund - left_fen
        problems["free_fund_fen"] = (
            f"超出免费用药限额：{year}年限额 {yuan_text(rule.cap_fen)}，只剩 "
            f"{yuan_text(left_fen)}，本次基金支付 {yuan_text(fund)}，超出 {yuan_text(over)}。"
            f"请拆分：基金只付 {yuan_text(left_fen)}，超出部分改由医保或个人支付")
    return problems


def _allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` fen in proportion to `weights` (largest remainder; exact sum)."""
    total = sum(weights)
    if total == 0:
        return [0 for _ in weights]
    base = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[:amount - sum(base)]:
        base[i] += 1
    return base


def refund_split(original: Split, refunded_before: Split, amount_fen: int) -> Split:
    """Who gets back a refund of `amount_fen` (positive): each payer in proportion to what it
    paid and has not had back yet, so the last refund returns exactly what is left. The
    result is negative (a refund row)."""
    remaining = [getattr(original, f) + getattr(refunded_before, f) for f in PAYER_FIELDS]
    if amount_fen > sum(remaining):
        raise MedicineError(f"退款 {yuan_text(amount_fen)} 超过这次发放尚未退回的 "
                            f"{yuan_text(sum(remaining))}")
    parts = _allocate(amount_fen, remaining)
    return -Split(*parts)


def refund_problems(split: Split, original: Split, refunded_before: Split,
                    amount_fen: int) -> dict[str, str]:
    """A refund's split (negative) must add up and give no payer back more than it paid."""
    problems: dict[str, str] = {}
    for name, label in (("insurance_fen", "医保"), ("free_fund_fen", "免费药品基金"),
                        ("patient_fen", "个人")):
        back = -getattr(split, name)
        left = getattr(original, name) + getattr(refunded_before, name)
        if back < 0:
            problems[name] = f"退给{label}的金额不能为负"
        elif back > left:
            problems[name] = f"退给{label} {yuan_text(back)}，超过其尚未退回的 {yuan_text(left)}"
    if not problems and -split.total_fen != amount_fen:
        problems["patient_fen"] = (f"退款分摊合计 {yuan_text(-split.total_fen)}，应等于退款金额 "
                                   f"{yuan_text(amount_fen)}")
    return problems


# ---------------------------------------------------------------------- supply
_PACK = re.compile(r"[×xX*]\s*(\d+)\s*(片|粒|丸|袋|支|包|贴|瓶)")


def pack_size_from(strength: str) -> int | None:
    """Units in one pack from a 规格 like '5mg×28片' (→ 28); None when it does not say."""
    match = _PACK.search(unicodedata.normalize("NFKC", strength or ""))
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Supply:
    """How long the delivered medicine lasts at the prescribed daily use."""

    runs_out_on: dt.date | None
    days_left: int | None  # negative: ran out that many days ago

    def text(self) -> str:
        if self.days_left is None:
            return "未知"
        if self.days_left < 0:
            return f"已用完 {-self.days_left} 天"
        return f"还够 {self.days_left} 天"


def supply(rows: Sequence[Mapping[str, Any]], units_per_day: float | None,
           pack_size: int | None, as_of: dt.date) -> Supply:
    """Run the deliveries forward: each starts when the previous supply ends (medicine left
    over is used first); a refund takes its days back. Rows are current rows of one item."""
    ordered = sorted(((str(r["delivered_on"])[:10], int(r["quantity"])) for r in rows),
                     key=lambda r: (r[0], r[1] < 0))
    return supply_of(ordered, units_per_day, pack_size, as_of)


def supply_of(rows: Sequence[tuple[str, int]], units_per_day: float | None,
              pack_size: int | None, as_of: dt.date) -> Supply:
    """``supply`` over (ISO date, quantity) pairs already in date order (deliveries before
    refunds of the same day); in day numbers, as the runs-out list runs it 30,000 times."""
    if not units_per_day or units_per_day <= 0 or not rows:
        return Supply(None, None)
    per_pack = pack_size or 1
    covered: int | None = None
    for day_text, quantity in rows:
        day = _ordinal(day_text)
        days = int(quantity * per_pack / units_per_day)
        if quantity > 0:
            covered = (covered if covered is not None and covered > day else day) + days
        elif covered is not None:
            covered += days  # negative: a refund takes its days back
    if covered is None:
        return Supply(None, None)
    end = dt.date.fromordinal(covered)
    return Supply(end, covered - as_of.toordinal())


_ORDINALS: dict[str, int] = {}


def _ordinal(day: str) -> int:
    """Day number of an ISO date, remembered (a township's deliveries share few dates)."""
    found = _ORDINALS.get(day)
    if found is None:
        found = _ORDINALS[day] = dt.date.fromisoformat(day[:10]).toordinal()
    return found


# ---------------------------------------------------------------------- quarters
_QUARTER = re.compile(r"^(\d{4})\s*(?:年)?\s*[-/]?\s*(?:[Qq]|第)?\s*([1-4])\s*(?:季度?)?$")


def parse_quarter(text: str) -> tuple[int, int]:
    """'2026Q3', '2026-q3', '2026年第3季度' → (2026, 3)."""
    match = _QUARTER.match(unicodedata.normalize("NFKC", text or "").strip())
    if match is None:
        raise MedicineError(f"季度“{text}”看不懂，请写成 2026Q3（2026年第三季度）")
    return int(match.group(1)), int(match.group(2))


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)) \
        - dt.timedelta(days=1)
    return start, end


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}年第{'一二三四'[quarter - 1]}季度"


def reconcile_due(year: int, quarter: int, day: int | None) -> dt.date | None:
    """000 §二(八): reconcile every quarter and report before the given day of the next month."""
    if day is None:
        return None
    _, end = quarter_bounds(year, quarter)
    first = end + dt.timedelta(days=1)
    return dt.date(first.year, first.month, min(day, 28))


# ---------------------------------------------------------------------- what the facade returns
@dataclass
class BoxView:
    """One resident's box as the box page shows it."""

    resident_id: str
    resident_name: str
    box: MedicineBox | None
    items: list[dict[str, Any]]  # item fields + 'supply' (Supply) + 'condition' label
    deliveries: list[dict[str, Any]]  # every live row, newest first; 'current', 'replaced_by'
    balance: Balance


@dataclass
class MedicineReport:
    """The quarterly reconciliation (季度对账) of the medicine boxes: every current delivery
    and refund dated in the quarter, their totals in fen, and when it is due."""

    year: int
    quarter: int
    start: dt.date
    end: dt.date
    due_on: dt.date | None
    profile_name: str
    rows: list[dict[str, Any]]

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def totals(self) -> dict[str, int]:
        """Sums in fen: amount, each payer, and the number of rows."""
        out = {"total_fen": 0, "insurance_fen": 0, "free_fund_fen": 0, "patient_fen": 0}
        for row in self.rows:
            out["total_fen"] += row["quantity"] * row["unit_price_fen"]
            for name in PAYER_FIELDS:
                out[name] += row[name]
        return out

    def by_village(self) -> list[dict[str, Any]]:
        """Subtotals per village (fen), in name order."""
        groups: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            group = groups.setdefault(row["village"] or "", {
                "village": row["village"] or "", "rows": 0, "residents": set(), "total_fen": 0,
                "insurance_fen": 0, "free_fund_fen": 0, "patient_fen": 0})
            group["rows"] += 1
            group["residents"].add(row["resident_id"])
            group["total_fen"] += row["quantity"] * row["unit_price_fen"]
            for name in PAYER_FIELDS:
                group[name] += row[name]
        out = []
        for key in sorted(groups):
            group = groups[key]
            group["residents"] = len(group["residents"])
            out.append(group)
        return out
