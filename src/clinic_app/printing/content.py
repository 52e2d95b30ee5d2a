"""What goes on each card, as plain data: gathered through the ``Clinic`` facade, hashed.

A card's content is a frozen dataclass holding exactly the text that will be printed (and the
QR payload). Its ``content_hash`` is a hash of that text, so "changed since the last print" is
a comparison with the hash recorded in ``print_log`` — an age or a print date is therefore never
part of a card (it would change every card every day). Every local rule and text comes from the
clinic's policy profile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clinic_app.domain import codes
from clinic_app.domain.policy import RULES, SERVICE_CODES, Profile, format_value

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic

CONTACT_CARD = "contact_card"
HOUSEHOLD_CARD = "household_card"


def content_hash(value: Any) -> str:
    """A stable hash of a card's content (dataclasses, tuples, text): 32 hex digits."""
    data = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]



def policy_source(profile: Any) -> str:
    """The policy basis a household reads on its card: the national rules by their document's
    name ("国家默认" is only the settings page's label for them), a place by its profile."""
    return "国家基本公共卫生服务规范" if profile.id == "national" else profile.name

@dataclass(frozen=True)
class Skipped:
    """A subject left out of a batch, and why (shown to the user, never silently dropped)."""

    subject_id: str
    name: str
    reason: str
    code: str = ""  # why, for grouping: inactive, unsigned, expired, missing, glyphs, empty…


def clinic_name(clinic: Clinic) -> str:
    return (clinic.setting("clinic_name") or "").strip()


def services_text(services: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """Contract services as printed: 健康体检1次/年, 健康咨询 (on demand: no count)."""
    out = []
    for item in services:
        name = item.get("name") or SERVICE_CODES.get(item.get("code", ""), item.get("code", ""))
        times = item.get("times") or 0
        out.append(f"{name}{times}次/年" if times else name)
    return tuple(out)


def _ended(contract: Mapping[str, Any], today: dt.date) -> bool:
    return bool(contract.get("ended_on")) and contract["ended_on"] <= today.isoformat()


def _end_reason(contract: Mapping[str, Any]) -> str:
    return codes.label(codes.CONTRACT_END_REASONS, contract.get("end_reason") or "other")


def _term(start: str | None, end: str | None) -> str:
    return f"{start} 至 {end}" if start and end else ""


def _policy_lines(profile: Profile, on: dt.date, key: str, fallback: str) -> tuple[str, ...]:
    lines = profile.value(key, on) or profile.value(fallback, on) or ()
    return tuple(lines)


# ------------------------------------------------------------------------- 签约服务联系卡


@dataclass(frozen=True)
class ContactCard:
    """One resident's 签约服务联系卡: front (who, doctor, services) and back (policy)."""

    resident_id: str
    title: str
    clinic: str
    name: str
    village: str
    group: str
    household_no: str
    doctor: str
    doctor_phone: str
    team: str
    team_phone: str
    services: tuple[str, ...]
    term: str
    policy_title: str
    policy_lines: tuple[str, ...]
    policy_source: str

    @property
    def qr_payload(self) -> str:
        """Only the record id — nothing personal. Upper-case hex fits QR's compact
        alphanumeric mode (a smaller code, so bigger modules on a small card)."""
        return self.resident_id.upper()

    @property
    def content_hash(self) -> str:
        return content_hash(self)

    def texts(self) -> list[tuple[str, str, str]]:
        """(text, where, subject) of everything printed, for the missing-glyph check."""
        who = f"{self.name}的联系卡"
        items = [self.title, self.clinic, self.name, self.village, self.group,
                 self.household_no, self.doctor, self.doctor_phone, self.team, self.team_phone,
                 *self.services, self.term, self.policy_title, *self.policy_lines,
                 self.policy_source]
        return [(t, who, self.resident_id) for t in items if t]


def contact_cards(clinic: Clinic, resident_ids: Sequence[str]
                  ) -> tuple[list[ContactCard], list[Skipped]]:
    """Card contents for the residents (in the given order), and who has no card and why.

    A card names the signed doctor, so a resident without a contract in force today gets no
    card (listed in the skipped with the reason: sign or renew first).
    """
    today = clinic.today()
    profile = clinic.profile
    title = profile.value("card.contact.title", today) or "家庭医生签约服务联系卡"
    lines = _policy_lines(profile, today, "card.contact.policy_lines",
                          "card.household.policy_lines")
    name_of_clinic = clinic_name(clinic)
    cards: list[ContactCard] = []
    skipped: list[Skipped] = []
    for row in clinic.contact_card_rows(resident_ids):
        if row["deleted"] or row["status"] != "active":
            skipped.append(Skipped(row["id"], row["name"], "已不在册", "inactive"))
            continue
        if not row["contract_id"]:
            skipped.append(Skipped(row["id"], row["name"], "未签约，请先签约", "unsigned"))
            continue
        if _ended(row, today):
            skipped.append(Skipped(row["id"], row["name"], f"签约已于 {row['ended_on']} 解约"
                                   f"（{_end_reason(row)}）", "ended"))
            continue
        if row["end_on"] < today.isoformat():
            skipped.append(Skipped(row["id"], row["name"],
                                   f"签约已于 {row['end_on']} 到期，请先续约", "expired"))
            continue
        services = json.loads(row["services"] or "[]")
        if not services:  # a contract without its own list: the package as the profile has it
            package = profile.package(row["package_code"], today)
            services = [s.__dict__ for s in package.services] if package else []
        cards.append(ContactCard(
            resident_id=row["id"], title=title, clinic=name_of_clinic, name=row["name"],
            village=row["village"] or "", group=row["group_name"] or "",
            household_no=row["household_no"] or "", doctor=row["doctor"] or "",
            doctor_phone=row["doctor_phone"] or "", team=row["team"] or "",
            team_phone=row["team_phone"] or "", services=services_text(services),
            term=_term(row["start_on"], row["end_on"]), policy_title="健康扶贫政策",
            policy_lines=lines, policy_source=policy_source(profile)))
    found = {c.resident_id for c in cards} | {s.subject_id for s in skipped}
    skipped += [Skipped(rid, "", "找不到这位居民", "missing")
                for rid in resident_ids if rid not in found]
    return cards, skipped


# ------------------------------------------------------------------------- 明白卡


@dataclass(frozen=True)
class Member:
    resident_id: str
    name: str
    relation: str
    sex: str
    born: str  # YYYY-MM: an age would change the card every birthday
    category: str
    conditions: tuple[str, ...]
    doctor: str
    doctor_phone: str
    package: str
    term: str
    medicines: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdCard:
    """One household's 明白卡: who is in it, what each is promised, and what the policy pays."""

    household_id: str
    title: str
    clinic: str
    village: str
    group: str
    household_no: str
    address: str
    head: str
    phone: str
    members: tuple[Member, ...]
    promises: tuple[str, ...]
    benefits: tuple[tuple[str, str], ...]
    policy_lines: tuple[str, ...]
    doctors: tuple[tuple[str, str, str, str], ...]  # name, phone, team, team phone
    issue: str
    policy_source: str

    @property
    def content_hash(self) -> str:
        return content_hash(self)

    def texts(self) -> list[tuple[str, str, str]]:
        who = f"{self.head or self.household_no}户的明白卡"
        items = [self.title, self.clinic, self.village, self.group, self.household_no,
                 self.address, self.head, self.phone, *self.promises, *self.policy_lines,
                 self.issue, self.policy_source]
        for label, value in self.benefits:
            items += [label, value]
        for doctor in self.doctors:
            items += list(doctor)
        for m in self.members:
            items += [m.name, m.relation, m.category, *m.conditions, m.doctor, m.doctor_phone,
                      m.package, m.term, *m.medicines]
        return [(t, who, self.household_id) for t in items if t]


# Rules shown in the 政策待遇 table when the profile sets them, in this order.
BENEFIT_KEYS = (
    "reimburse.inpatient_actual_percent", "reimburse.out_of_pocket_cap_fen",
    "reimburse.outpatient_percent", "reimburse.deductible_cut_percent",
    "reimburse.ratio_raise_points", "reimburse.serious_illness_percent",
    "reimburse.pay_after_treatment", "medicine.free_cap_fen", "medicine.free_cap_conditions",
    "medicine.govt_top_up_percent", "medicine.box_enabled", "fund.yearly_cap_fen",
    "checkup.cost_fen", "contract.subsidy_fen", "waivers.items",
)


def benefits(profile: Profile, on: dt.date) -> tuple[tuple[str, str], ...]:
    """(label, value) of every payment rule the profile holds (whatever it holds, no more)."""
    out = []
    for key in BENEFIT_KEYS:
        value = profile.value(key, on)
        if value in (None, (), []) or value is False:
            continue
        spec = RULES[key]
        text = format_value(spec, value)
        if spec.kind == "bool":
            text = "是"
        out.append((spec.label, text))
    return tuple(out)


def promises(profile: Profile, on: dt.date, condition_codes: Iterable[str]) -> tuple[str, ...]:
    """What the household is promised: checkups a year, follow-ups a year per disease."""
    out = []
    per_year = profile.value("checkup.per_year", on)
    if per_year:
        out.append(f"每人每年免费健康体检{per_year}次")
    present = set(condition_codes)
    for code in ("hypertension", "diabetes", "severe_mental"):
        times = profile.value(f"followup.per_year.{code}", on)
        if code in present and times:
            out.append(f"{codes.CONDITIONS[code]}患者每年面对面随访不少于{times}次")
    if "tuberculosis" in present:
        intensive = profile.value("followup.tb_intensive_days", on)
        continuation = profile.value("followup.tb_continuation_days", on)
        out.append(f"肺结核患者强化期每{intensive}天、继续期每{continuation}天随访1次")
    if profile.value("medicine.box_enabled", on) and present & {"hypertension", "diabetes"}:
        out.append("慢病患者可由签约医生代购药品、医保结算、上门送药（慢病小药箱）")
    principle = profile.value("contract.principle", on)
    if principle:
        out.append(principle)
    return tuple(out)


def household_cards(clinic: Clinic, household_ids: Sequence[str]
                    ) -> tuple[list[HouseholdCard], list[Skipped]]:
    today = clinic.today()
    profile = clinic.profile
    bundle = clinic.household_card_rows(household_ids)
    members_of: dict[str, list[dict[str, Any]]] = {}
    for row in bundle["members"]:
        members_of.setdefault(row["household_id"], []).append(row)
    conditions_of: dict[str, list[dict[str, Any]]] = {}
    for row in bundle["conditions"]:
        conditions_of.setdefault(row["resident_id"], []).append(row)
    medicines_of: dict[str, list[str]] = {}
    for row in bundle["box_items"]:
        text = " ".join(p for p in (row["medicine"], row["strength"], row["dose"]) if p)
        medicines_of.setdefault(row["resident_id"], []).append(text)
    contract_of = {row["id"]: row for row in bundle["contracts"]}
    title = profile.value("card.household.title", today) or "健康扶贫政策明白卡"
    lines = _policy_lines(profile, today, "card.household.policy_lines",
                          "card.contact.policy_lines")
    paid = benefits(profile, today)
    issue = profile.value("card.household.issue", today) or ""
    name_of_clinic = clinic_name(clinic)
    cards, skipped = [], []
    for house in bundle["households"]:
        people = members_of.get(house["id"], [])
        label = house["household_no"] or house["id"][:8]
        if house["deleted"]:
            skipped.append(Skipped(house["id"], label, "这一户已删除", "inactive"))
            continue
        if not people:
            skipped.append(Skipped(house["id"], label, "这一户没有在册成员", "empty"))
            continue
        members = []
        doctors: dict[tuple[str, str, str, str], None] = {}
        all_codes: list[str] = []
        for person in people:
            contract = contract_of.get(person["id"]) or {}
            term = _term(contract.get("start_on"), contract.get("end_on"))
            if contract.get("contract_id") and _ended(contract, today):
                term = f"已于 {contract['ended_on']} 解约\n{_end_reason(contract)}"
                contract = {}
            elif contract.get("contract_id") and contract["end_on"] < today.isoformat():
                # An expired contract promises nothing any more, but the household must read
                # that it lapsed and can be renewed, not that it was never signed.
                term = f"签约已于 {contract['end_on']} 到期\n请续约"
                contract = {}
            package = profile.package(contract.get("package_code") or "", today)
            mine = conditions_of.get(person["id"], [])
            all_codes += [c["code"] for c in mine]
            if contract.get("doctor"):
                doctors[(contract["doctor"], contract.get("doctor_phone") or "",
                         contract.get("team") or "", contract.get("team_phone") or "")] = None
            members.append(Member(
                resident_id=person["id"], name=person["name"], relation=person["relation"],
                sex=person["sex"], born=(person["birth_date"] or "")[:7],
                category=codes.label(codes.POVERTY_CATEGORIES, person["poverty_category"]),
                conditions=tuple(c["name"] or codes.label(codes.CONDITIONS, c["code"])
                                 for c in mine),
                doctor=contract.get("doctor") or "", doctor_phone=contract.get("doctor_phone")
                or "", package=(package.name if package else contract.get("package_code")
                                or ""),
                term=term, medicines=tuple(medicines_of.get(person["id"], []))))
        head = next((m.name for m in members if m.relation == "户主"), "")
        phone = house["phone"] or next((p["phone"] for p in people if p["phone"]), "")
        cards.append(HouseholdCard(
            household_id=house["id"], title=title, clinic=name_of_clinic,
            village=house["village"] or "", group=house["group_name"] or "",
            household_no=house["household_no"] or "", address=house["address"] or "",
            head=head, phone=phone, members=tuple(members),
            promises=promises(profile, today, all_codes), benefits=paid, policy_lines=lines,
            doctors=tuple(doctors), issue=issue, policy_source=policy_source(profile)))
    found = {c.household_id for c in cards} | {s.subject_id for s in skipped}
    skipped += [Skipped(h, "", "找不到这一户", "missing") for h in household_ids if h not in found]
    return cards, skipped
