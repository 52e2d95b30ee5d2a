"""Typed objects for the register's records, built from storage rows.

They are plain frozen dataclasses: screens and reports read them, the ``Clinic`` facade builds
them. Dates are ``datetime.date``; money is integer fen. Derived facts (age, contract status,
masked ID) are properties computed on demand, never stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, get_type_hints

from clinic_app.domain import codes, ids


def _to_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Record:
    """Common sync fields; subclasses add their own."""

    id: str
    modified_at: str = ""
    deleted: bool = False

    _date_fields: ClassVar[tuple[str, ...]] = ()
    _json_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        values = {k: row[k] for k in names if k in row}
        for name in cls._date_fields:
            if name in values:
                values[name] = _to_date(values[name])
        for name in cls._json_fields:
            if isinstance(values.get(name), str):
                values[name] = json.loads(values[name])
        if "deleted" in values:
            values["deleted"] = bool(values["deleted"])
        hints = get_type_hints(cls)
        for name, hint in hints.items():
            if name in values and values[name] is None and hint is str:
                values[name] = ""
        return cls(**values)


@dataclass(frozen=True)
class Place(Record):
    kind: str = "village"
    name: str = ""
    code: str = ""
    parent_id: str | None = None


@dataclass(frozen=True)
class Household(Record):
    household_no: str = ""
    village_id: str = ""
    group_name: str = ""
    address: str = ""
    head_id: str | None = None
    phone: str = ""
    poverty_category: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Resident(Record):
    household_id: str | None = None
    relation: str = ""
    name: str = ""
    id_number: str | None = None
    sex: str = ""
    birth_date: dt.date | None = None
    phone: str = ""
    ethnicity: str = ""
    poverty_category: str = ""
    poverty_status: str = ""
    insurance: str = ""
    insurance_no: str = ""
    disability: str = ""
    disability_grade: str = ""
    treatment_batch: str = "none"
    status: str = "active"
    status_date: dt.date | None = None
    status_reason: str = ""
    notes: str = ""

    _date_fields = ("birth_date", "status_date")

    def age(self, on: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        return ids.age_on(self.birth_date, on or dt.date.today())

    @property
    def masked_id(self) -> str:
        return ids.mask(self.id_number or "")

    @property
    def status_label(self) -> str:
        return codes.label(codes.RESIDENT_STATUS, self.status)


@dataclass(frozen=True)
class Condition(Record):
    resident_id: str = ""
    code: str = ""
    name: str = ""
    diagnosed_on: dt.date | None = None
    status: str = "active"
    closed_on: dt.date | None = None
    close_reason: str = ""
    notes: str = ""

    _date_fields = ("diagnosed_on", "closed_on")

    @property
    def label(self) -> str:
        return self.name or codes.label(codes.CONDITIONS, self.code)


@dataclass(frozen=True)
class Team(Record):
    name: str = ""
    phone: str = ""
    place_id: str | None = None
    leader_id: str | None = None
    active: bool = True  # m0007 (contracts): a team can be stopped like a doctor


@dataclass(frozen=True)
class Doctor(Record):
    name: str = ""
    role: str = "village_doctor"
    phone: str = ""
    team_id: str | None = None
    place_id: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Contract(Record):
    resident_id: str = ""
    team_id: str | None = None
    doctor_id: str | None = None
    profile_id: str = "national"
    package_code: str = ""
    services: list[dict[str, Any]] = field(default_factory=list)
    signed_on: dt.date | None = None
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    agreement_no: str = ""
    ended_on: dt.date | None = None
    end_reason: str = ""
    renewed_from_id: str | None = None
    end_note: str = ""  # m0007 (contracts): why, in words, beside the coded end_reason

    _date_fields = ("signed_on", "start_on", "end_on", "ended_on")
    _json_fields = ("services",)

    def status(self, on: dt.date, expiring_days: int = 30) -> str:
        """active / expiring / expired / ended — computed, never stored."""
        if self.ended_on is not None and self.ended_on <= on:
            return "ended"
        if self.end_on is not None and self.end_on < on:
            return "expired"
        if self.end_on is not None and (self.end_on - on).days <= expiring_days:
            return "expiring"
        return "active"


@dataclass(frozen=True)
class FollowUp(Record):
    resident_id: str = ""
    form: str = ""
    visit_date: dt.date | None = None
    method: str = "clinic"
    doctor_id: str | None = None
    sbp: int | None = None
    dbp: int | None = None
    heart_rate: int | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    fasting_glucose: float | None = None
    classification: str = ""
    proposed_classification: str = ""
    next_visit_on: dt.date | None = None
    proposed_next_on: dt.date | None = None
    override_reason: str = ""
    referral_reason: str = ""
    referral_to: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    supersedes_id: str | None = None

    _date_fields = ("visit_date", "next_visit_on", "proposed_next_on")
    _json_fields = ("data",)

    @property
    def bmi(self) -> float | None:
        if not self.weight_kg or not self.height_cm:
            return None
        return round(self.weight_kg / (self.height_cm / 100) ** 2, 1)


@dataclass(frozen=True)
class Checkup(Record):
    resident_id: str = ""
    checkup_date: dt.date | None = None
    doctor_id: str | None = None
    sbp: int | None = None
    dbp: int | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    fasting_glucose: float | None = None
    evaluation: str = ""
    cost_fen: int | None = None
    profile_id: str = "national"
    data: dict[str, Any] = field(default_factory=dict)
    supersedes_id: str | None = None

    _date_fields = ("checkup_date",)
    _json_fields = ("data",)


@dataclass(frozen=True)
class MedicineBox(Record):
    resident_id: str = ""
    opened_on: dt.date | None = None
    notes: str = ""

    _date_fields = ("opened_on",)


@dataclass(frozen=True)
class BoxItem(Record):
    box_id: str = ""
    medicine: str = ""
    strength: str = ""
    dose: str = ""
    condition_code: str = ""
    units_per_day: float | None = None
    active: bool = True


@dataclass(frozen=True)
class Delivery(Record):
    box_id: str = ""
    resident_id: str = ""
    item_id: str | None = None
    delivered_on: dt.date | None = None
    medicine: str = ""
    quantity: int = 0
    unit: str = "盒"
    unit_price_fen: int = 0
    insurance_fen: int = 0
    free_fund_fen: int = 0
    patient_fen: int = 0
    receipt_no: str = ""
    delivered_by: str | None = None
    location: str = "home"
    corrects_id: str | None = None
    notes: str = ""

    _date_fields = ("delivered_on",)

    @property
    def total_fen(self) -> int:
        return self.quantity * self.unit_price_fen


def yuan(fen: int | None) -> str:
    """Integer fen as a yuan string, exact: 123456 → '1234.56'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"
