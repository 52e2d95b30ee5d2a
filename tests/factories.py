"""Factories for test data: small, explicit registers built through the real Clinic facade."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

from clinic_app.clinic import Clinic
from clinic_app.domain import ids

FIXED_TODAY = dt.date(2026, 11, 23)
COUNTY_CODE = "640522"
_sequence = itertools.count(1)


def id_number(birth: dt.date = dt.date(1960, 5, 1), sex: str = "男",
              place: str = COUNTY_CODE) -> str:
    """A valid 18-digit ID number, unique among the next 500 made for the same birth date."""
    return ids.make(place, birth, next(_sequence) % 500, sex)


def open_clinic(path: Path, today: dt.date = FIXED_TODAY) -> Clinic:
    return Clinic.open(path, user="测试员", today=lambda: today)


@dataclass
class Village:
    township_id: str
    village_id: str


def make_village(clinic: Clinic, name: str = "红星村", township: str = "兴隆镇") -> Village:
    township_id = clinic.add_place("township", township)
    return Village(township_id, clinic.add_place("village", name, township_id))


@dataclass
class Family:
    household_id: str
    head_id: str
    member_ids: list[str]


def make_household(clinic: Clinic, village_id: str, household_no: str = "",
                   head: str = "张三", members: tuple[tuple[str, str, str], ...] = (),
                   phone: str = "13912345678") -> Family:
    """A household with its head (male, born 1960) and members given as (name, relation, sex)."""
    household_id = clinic.add_household(village_id, household_no)
    head_id = clinic.add_resident(household_id, "户主", name=head,
                                  id_number=id_number(dt.date(1960, 5, 1), "男"),
                                  phone=phone).id
    member_ids = [
        clinic.add_resident(household_id, relation, name=name,
                            id_number=id_number(dt.date(1988, 3, 9), sex)).id
        for name, relation, sex in members
    ]
    return Family(household_id, head_id, member_ids)


# ---------------------------------------------------------------- printing (issue 7)
@dataclass
class Practice:
    """A family-doctor team with one doctor (who signs contracts)."""

    team_id: str
    doctor_id: str


def make_doctor(clinic: Clinic, name: str = "李建国", phone: str = "13912345678",
                team: str = "红星村家庭医生团队", team_phone: str = "0951-7654321",
                place_id: str | None = None) -> Practice:
    team_id = clinic.add_team(team, team_phone, place_id)
    return Practice(team_id, clinic.add_doctor(name, phone=phone, team_id=team_id,
                                               place_id=place_id))


def sign(clinic: Clinic, resident_id: str, practice: Practice, package: str = "basic",
         start: dt.date = FIXED_TODAY - dt.timedelta(days=30)) -> str:
    """A contract with the practice's doctor for the profile's term, started `start`."""
    return clinic.sign_contract(resident_id, team_id=practice.team_id,
                                doctor_id=practice.doctor_id, package_code=package,
                                start_on=start)
