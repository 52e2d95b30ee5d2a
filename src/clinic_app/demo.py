"""A generated demo township, so a new installation has something real-shaped to look at.

Names come from Faker's zh_CN person data (weighted surnames), ID numbers are valid (checksum,
birth date, sex digit), households have 1–8 members, about a quarter of adults have a chronic
condition, and the past year holds contracts, follow-ups, checkups and medicine deliveries.
Everything is marked as demo data (the clinic is named 演示) so nobody mistakes it for patients.

Each village is written in its own transaction: killing the process part-way leaves whole
villages and a database that passes ``clinic-app check``. 200,000 residents generate in well
under the two minutes the foundation issue allows (see bench/).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from faker.providers.person.zh_CN import Provider as PersonData

from clinic_app.clinic import Clinic, add_months
from clinic_app.domain import followup, ids, schedule
from clinic_app.progress import Progress, SilentProgress
from clinic_app.storage import queries
from clinic_app.storage.db import write_transaction
from clinic_app.storage.store import Store, new_id

VILLAGE_STEMS = (
    "红星", "新庄", "李家", "王家", "杨柳", "石桥", "东湾", "西沟", "南坪", "北山", "双河", "马场",
    "高岭", "柳树", "团结", "前进", "和平", "长青", "青石", "黄土", "白杨", "中心", "沙坡", "兴隆",
    "太平", "永安", "上庄", "下庄", "大湾", "小河", "龙泉", "泉水", "梨园", "枣林", "红旗", "胜利",
)
TOWNSHIP_NAMES = ("兴仁镇", "关桥乡", "李俊乡", "树台乡", "红羊乡", "贾塘乡", "曹洼乡", "九彩乡")
# County code of each profile's place, so demo ID numbers look local; 640522 = 海原县 (中卫).
PROFILE_PLACES = {
    "national": ("640522", "海原县"),
    "zhongwei": ("640522", "海原县"),
    "xinbin": ("210422", "新宾满族自治县"),
    "zhangshu": ("360982", "樟树市"),
    "guyang": ("150222", "固阳县"),
    "rongchang": ("500153", "荣昌区"),
}
MEDICINES = {
    "hypertension": [("苯磺酸氨氯地平片", "5mg×28片", "每日1次，每次1片", 1850),
                     ("硝苯地平缓释片", "20mg×30片", "每日2次，每次1片", 1260),
                     ("厄贝沙坦片", "150mg×14片", "每日1次，每次1片", 2240)],
    "diabetes": [("二甲双胍片", "0.5g×48片", "每日3次，每次1片", 980),
                 ("格列美脲片", "2mg×30片", "每日1次，每次1片", 1530),
                 ("阿卡波糖片", "50mg×30片", "每日3次，每次1片", 3120)],
}
# Single characters only: a given name is built from one or two of them.
# New county code → (old code, year the new one started).
RENAMED_CODES = {"640522": ("642222", 2004)}
GIVEN_MALE = tuple(c for c in PersonData.first_names_male if len(c) == 1)
GIVEN_FEMALE = tuple(c for c in PersonData.first_names_female if len(c) == 1)


@dataclass
class DemoSummary:
    residents: int
    households: int
    villages: int
    seconds: float = 0.0


class _Gen:
    def __init__(self, seed: int, today: dt.date, county_code: str) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.county_code = county_code
        self.surnames = list(PersonData.last_names)
        self.weights = list(PersonData.last_names.values())
        self._surname_pool = self.rng.choices(self.surnames, self.weights, k=4096)
        self._used: set[tuple[str, dt.date, str, int]] = set()

    def surname(self) -> str:
        return self.rng.choice(self._surname_pool)

    def given(self, sex: str) -> str:
        pool = GIVEN_MALE if sex == "男" else GIVEN_FEMALE
        return "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2, 2))))

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"

    def birth(self, low_age: int, high_age: int) -> dt.date:
        days = self.rng.randint(low_age * 365, high_age * 365 + 364)
        return self.today - dt.timedelta(days=days)

    def id_number(self, birth: dt.date, sex: str) -> str:
        # Residents born before a county was renamed carry its old code (海原县 642222 until
        # 2004, 640522 after), as real ID cards do.
        code = self.county_code
        old = RENAMED_CODES.get(code)
        if old is not None and birth.year < old[1]:
            code = old[0]
        # A random sequence per (place, birth date, sex), never reused: ids.make holds 500.
        while True:
            sequence = self.rng.randrange(500)
            key = (code, birth, sex, sequence)
            if key not in self._used:
                self._used.add(key)
                return ids.make(code, birth, sequence, sex)


def _members(gen: _Gen) -> Iterator[tuple[str, str, dt.date]]:
    """(relation, sex, birth) for one household of 1–8, head first."""
    rng = gen.rng
    size = rng.choices(range(1, 9), weights=(12, 22, 20, 20, 12, 7, 4, 3))[0]
    head_sex = "男" if rng.random() < 0.85 else "女"
    head_birth = gen.birth(28, 85)
    yield "户主", head_sex, head_birth
    left = size - 1
    head_age = ids.age_on(head_birth, gen.today)
    if left and rng.random() < 0.85:
        yield "配偶", "女" if head_sex == "男" else "男", gen.birth(
            max(20, head_age - 8), min(90, head_age + 5))
        left -= 1
    for _ in range(left):
        if head_age > 45 and rng.random() < 0.5:
            sex = rng.choice("男女")
            yield ("之孙子" if sex == "男" else "之孙女"), sex, gen.birth(0, 20)
        else:
            sex = rng.choice("男女")
            yield ("之子" if sex == "男" else "之女"), sex, gen.birth(
                max(0, head_age - 45), max(1, head_age - 18))


def generate(clinic: Clinic, residents: int = 2000, seed: int = 1, profile: str = "national",
             progress: Progress | None = None) -> DemoSummary:
    """Fill an empty register with a demo township of about `residents` people."""
    progress = progress or SilentProgress()
    clinic.library.get(profile)
    if any(queries.table_counts(clinic.store, ["residents", "places"]).values()):
        raise ValueError("数据库中已有数据，演示数据只能生成到空数据库中")
    today = clinic.today()
    county_code, county_name = PROFILE_PLACES.get(profile, PROFILE_PLACES["national"])
    gen = _Gen(seed, today, county_code)
    rng = gen.rng
    per_village = 1000
    village_count = max(1, round(residents / per_village))
    township_name = rng.choice(TOWNSHIP_NAMES)
    store = clinic.store
    with write_transaction(clinic.db):
        # The synced settings (profile, names) go where the county will see them.
        clinic._put_setting(store, "profile_id", profile)
        clinic._put_setting(store, "clinic_name", f"{township_name}卫生院（演示数据）")
        clinic._put_setting(store, "township_name", township_name)
        store.set_meta("setting.demo", "1")  # this PC only
        county = store.insert("places", {"kind": "county", "name": county_name,
                                         "code": county_code})
        township = store.insert("places", {"kind": "township", "name": township_name,
                                           "parent_id": county})
        centre_team = store.insert("teams", {"name": f"{township_name}卫生院全科团队",
                                             "phone": gen.phone(), "place_id": township})
        gp = store.insert("doctors", {"name": gen.surname() + gen.given("男"), "role": "gp",
                                      "phone": gen.phone(), "team_id": centre_team,
                                      "place_id": township})
        store.update("teams", centre_team, {"leader_id": gp})
    stems = rng.sample(VILLAGE_STEMS, min(len(VILLAGE_STEMS), village_count))
    while len(stems) < village_count:
        stems.append(f"{rng.choice(VILLAGE_STEMS)}{len(stems) + 1}")
    made = 0
    households = 0
    progress.update(0, residents, "生成演示乡镇")
    for index, stem in enumerate(stems):
        target = residents - made if index == village_count - 1 else per_village
        with write_transaction(clinic.db):
            n_res, n_hh = _village(clinic, store, gen, township, f"{stem}村", index, target,
                                   profile)
        made += n_res
        households += n_hh
        progress.update(made, residents, f"已生成 {index + 1}/{village_count} 个村")
    return DemoSummary(made, households, village_count)


def _village(clinic: Clinic, store: Store, gen: _Gen, township: str, name: str, index: int,
             target: int, profile_id: str) -> tuple[int, int]:
    rng = gen.rng
    today = gen.today
    village_name = name
    profile = clinic.library.get(profile_id)
    village = store.insert("places", {"kind": "village", "name": name, "parent_id": township,
                                      "code": f"{index + 1:03d}"})
    team = store.insert("teams", {"name": f"{name}家庭医生团队", "phone": gen.phone(),
                                  "place_id": village})
    doctor_rows = [{"id": new_id(), "name": gen.surname() + gen.given(sex),
                    "role": "village_doctor", "phone": gen.phone(), "team_id": team,
                    "place_id": village}
                   for sex in ("男", rng.choice("男女"))]
    doctors = store.insert_many("doctors", doctor_rows)
    store.update("teams", team, {"leader_id": doctors[0]})

    households: list[dict[str, Any]] = []
    residents: list[dict[str, Any]] = []
    search_rows: dict[str, list[tuple[str, str, str]]] = {}
    conditions: list[dict[str, Any]] = []
    patients: list[tuple[str, dict[str, Any], list[str]]] = []
    groups = max(1, target // 150)
    while len(residents) < target:
        hh_id = new_id()
        household_no = f"{gen.county_code}{index + 1:03d}{len(households) + 1:04d}"
        group = f"{rng.randint(1, groups)}组"
        head_id = None
        family_surname = gen.surname()
        for relation, sex, birth in _members(gen):
            if len(residents) >= target and head_id is not None:
                break
            rid = new_id()
            surname = family_surname if relation not in ("配偶",) else gen.surname()
            name = surname + gen.given(sex)
            id_number = gen.id_number(birth, sex)
            age = ids.age_on(birth, today)
            phone = gen.phone() if age >= 18 and rng.random() < 0.7 else ""
            keys = queries.search_key_rows(rid, name, id_number, phone)
            category = rng.choices(("poverty_registered", "dibao", "tekun", "lifted", "monitored"),
                                   weights=(60, 15, 5, 15, 5))[0]
            record = {
                "id": rid, "household_id": hh_id, "relation": relation, "name": name,
                "name_pinyin": " ".join(k for k, kind, _ in keys if kind in "fF"),
                "name_initials": " ".join(k for k, kind, _ in keys if kind in "iI"),
                "id_number": id_number, "sex": sex, "birth_date": birth.isoformat(),
                "phone": phone, "ethnicity": rng.choices(("汉族", "回族", "满族"), (80, 15, 5))[0],
                "poverty_category": category,
                "poverty_status": "lifted" if category == "lifted" else "not_lifted",
                "insurance": "resident", "treatment_batch": "none",
                "disability": rng.choices(("", "physical", "visual", "intellectual"),
                                          (94, 3, 2, 1))[0],
            }
            chronic = []
            if age >= 35:
                p_htn = 0.12 + 0.005 * (age - 35)
                if rng.random() < p_htn:
                    chronic.append("hypertension")
                if rng.random() < p_htn * 0.4:
                    chronic.append("diabetes")
            if rng.random() < 0.004:
                chronic.append("tuberculosis")
            if rng.random() < 0.006:
                chronic.append("severe_mental")
            if chronic:
                record["treatment_batch"] = "chronic"
                for code in chronic:
                    conditions.append({"resident_id": rid, "code": code,
                                       "name": {"hypertension": "高血压", "diabetes": "2型糖尿病",
                                                "tuberculosis": "肺结核",
                                                "severe_mental": "严重精神障碍"}[code],
                                       "diagnosed_on": (today - dt.timedelta(
                                           # TB is under treatment for months, not years
                                           days=rng.randint(10, 200) if code == "tuberculosis"
                                           else rng.randint(200, 4000))).isoformat()})
                patients.append((rid, record, chronic))
            elif age >= 50 and rng.random() < 0.01:
                record["treatment_batch"] = "major"
                conditions.append({"resident_id": rid, "code": "cataract", "name": "白内障",
                                   "diagnosed_on": (today - dt.timedelta(
                                       days=rng.randint(30, 700))).isoformat()})
            residents.append(record)
            search_rows[rid] = keys
            if relation == "户主":
                head_id = rid
        households.append({"id": hh_id, "household_no": household_no, "village_id": village,
                           "group_name": group, "address": f"{village_name}{group}",
                           "head_id": head_id, "phone": "", "poverty_category": ""})
    store.insert_many("households", households)
    store.insert_many("residents", residents)
    queries.replace_search_keys(store, search_rows)
    store.insert_many("conditions", conditions)
    diagnosed_on = {(c["resident_id"], c["code"]): dt.date.fromisoformat(c["diagnosed_on"])
                    for c in conditions}
    _contracts_and_services(store, gen, profile, residents, patients, doctors, team,
                            diagnosed_on)
    return len(residents), len(households)


# Common first-line medicines (name, times a day, dose), for the demo's visit forms.
_DEMO_MEDICINES: dict[str, list[dict[str, Any]]] = {
    "hypertension": [
        {"name": "硝苯地平缓释片", "times_per_day": 2, "dose": "10mg"},
        {"name": "苯磺酸氨氯地平片", "times_per_day": 1, "dose": "5mg"},
        {"name": "厄贝沙坦片", "times_per_day": 1, "dose": "150mg"},
        {"name": "吲达帕胺片", "times_per_day": 1, "dose": "2.5mg"},
    ],
    "diabetes": [
        {"name": "盐酸二甲双胍片", "times_per_day": 3, "dose": "0.5g"},
        {"name": "格列美脲片", "times_per_day": 1, "dose": "2mg"},
        {"name": "阿卡波糖片", "times_per_day": 3, "dose": "50mg"},
    ],
}


def _tb_or_smi_visits(gen: _Gen, profile: Any, rid: str, condition: str, doctor: str,
                      diagnosed: dt.date) -> list[dict[str, Any]]:
    """Visits of a TB or severe-mental-disorder patient at the intervals the rules give: TB
    from the start of treatment (the diagnosis), intensive for two months and then the
    continuation phase, each visit recording its phase and treatment month as a doctor would."""
    rng, today = gen.rng, gen.today
    out = []
    if condition == "tuberculosis":
        day = diagnosed + dt.timedelta(days=rng.randint(0, 5))
    else:
        day = max(diagnosed, today - dt.timedelta(days=rng.randint(330, 380)))
    stop = today - dt.timedelta(days=rng.randint(60, 120) if rng.random() < 0.1 else 0)
    while day <= stop:
        data: dict[str, Any] = {}
        if condition == "severe_mental":
            data["stability"] = rng.choices(("stable", "basically_stable", "unstable"),
                                            (80, 15, 5))[0]
            data["risk_level"] = 0 if data["stability"] == "stable" else rng.randint(1, 3)
        else:
            data["tb_phase"] = schedule.tb_phase(None, diagnosed, day)
            data["treatment_month"] = followup.treatment_month(day, diagnosed, None, None)
        visit = schedule.Visit(day, condition, data=data)
        (due,) = schedule.due_dates(profile, {condition: diagnosed}, [visit], None, day)
        out.append({
            "resident_id": rid, "form": condition, "visit_date": day.isoformat(),
            "method": rng.choice(("home", "clinic")), "doctor_id": doctor, "sbp": None,
            "dbp": None, "heart_rate": None, "weight_kg": None, "height_cm": None,
            "fasting_glucose": None, "classification": "", "proposed_classification": "",
            "next_visit_on": due.due_on.isoformat(), "proposed_next_on": due.due_on.isoformat(),
            "referral_reason": "", "data": json.dumps(data, ensure_ascii=False)})
        day = due.due_on + dt.timedelta(days=rng.randint(-2, 3))
    return out


def _contracts_and_services(store: Store, gen: _Gen, profile: Any, residents: list[dict[str, Any]],
                            patients: list[tuple[str, dict[str, Any], list[str]]],
                            doctors: list[str], team: str,
                            diagnosed_on: dict[tuple[str, str], dt.date]) -> None:
    rng = gen.rng
    today = gen.today
    term = profile.value("contract.term_months", today)
    packages = {p.code: p for p in profile.packages(today)}
    chronic_ids = {rid for rid, _, _ in patients}
    contracts = []
    for record in residents:
        if rng.random() > (0.97 if record["id"] in chronic_ids else 0.85):
            continue
        start = today - dt.timedelta(days=rng.randint(0, 400))
        code = "chronic" if record["id"] in chronic_ids and "chronic" in packages else next(
            iter(packages))
        services = [{"code": s.code, "name": s.name, "times": s.times}
                    for s in packages[code].services]
        contracts.append({
            "resident_id": record["id"], "team_id": team, "doctor_id": rng.choice(doctors),
            "profile_id": profile.id, "package_code": code, "services": services,
            "signed_on": start.isoformat(), "start_on": start.isoformat(),
            "end_on": (add_months(start, term) - dt.timedelta(days=1)).isoformat(),
            "agreement_no": f"QY{start:%Y}{rng.randrange(10**6):06d}"})
    store.insert_many("contracts", contracts)
    # Health education and consultations given under the contracts (counted as 履约).
    services = []
    for contract in contracts:
        start = dt.date.fromisoformat(contract["start_on"])
        span = (min(today, dt.date.fromisoformat(contract["end_on"])) - start).days
        if span <= 0:
            continue
        # Health education as the package promises it, pro rata of the term so far: most
        # doctors keep up, some fall one or two short (履约 shows both); consultations on demand.
        times = next((s["times"] or 0 for s in contract["services"]
                      if s["code"] == "health_education"), 0)
        due = round(times * span / 365)
        given = due if rng.random() < 0.75 else max(0, due - rng.randint(1, 2))
        days = [rng.randint(0, span) for _ in range(given)]
        days += [rng.randint(0, span) for _ in range(rng.random() < 0.3)]
        for n, offset in enumerate(days):
            code = "health_education" if n < given else "consultation"
            services.append({"resident_id": contract["resident_id"], "service_code": code,
                             "service_on": (start + dt.timedelta(days=offset)).isoformat(),
                             "doctor_id": contract["doctor_id"], "method": "home",
                             "note": "演示数据"})
    store.insert_many("service_records", services)

    visits = []
    checkups = []
    boxes = []
    free_cap = profile.value("medicine.free_cap_fen", today)
    free_conditions = profile.value("medicine.free_cap_conditions", today) or ()
    free_used: dict[tuple[str, int], int] = {}
    items = []
    deliveries = []
    for rid, record, chronic in patients:
        doctor = rng.choice(doctors)
        forms = [c for c in chronic if c in ("hypertension", "diabetes")]
        if forms:
            form = "combined" if len(forms) == 2 else forms[0]
            birth = dt.date.fromisoformat(record["birth_date"])
            height = round(rng.gauss(162 if record["sex"] == "女" else 170, 6), 1)
            weight = round(rng.gauss(60 if record["sex"] == "女" else 68, 9), 1)
            # Each patient has their own usual pressure/glucose; most are near control.
            usual_sbp = rng.gauss(134, 11)
            usual_glucose = rng.gauss(6.6, 1.1)
            # What the doctor prescribed and advised; the form carries it from visit to visit.
            medicines = [dict(m) for m in rng.sample(_DEMO_MEDICINES["hypertension"], 1)] \
                if "hypertension" in forms else []
            if "diabetes" in forms:
                medicines.append(dict(rng.choice(_DEMO_MEDICINES["diabetes"])))
            smoker = record["sex"] == "男" and rng.random() < 0.4
            form_data = json.dumps({
                "adherence": rng.choices(("regular", "intermittent"), (85, 15))[0],
                "salt": rng.choice(("medium", "heavy")), "salt_target": "light",
                "smoking_now": rng.choice((5, 10, 20)) if smoker else 0, "smoking_target": 0,
                "exercise_times": rng.choice((3, 5, 7)), "exercise_minutes": 30,
                "medicines": medicines}, ensure_ascii=False)
            # Visits follow the real rules (domain.schedule); a few patients fall behind.
            day = today - dt.timedelta(days=rng.randint(330, 400))
            # 85% keep up to today; the rest stopped coming some months ago.
            stop = today - dt.timedelta(days=rng.randint(60, 240) if rng.random() < 0.15 else 0)
            previous = None
            while day <= stop:
                sbp = int(max(95, min(215, rng.gauss(usual_sbp, 9))))
                dbp = int(max(55, min(125, sbp * 0.58 + rng.gauss(0, 6))))
                glucose = (round(max(3.0, rng.gauss(usual_glucose, 0.9)), 1)
                           if "diabetes" in forms else None)
                visit = schedule.Visit(day, form, sbp, dbp, glucose)
                verdict = schedule.assess(profile, visit, previous, birth)
                visits.append({
                    "resident_id": rid, "form": form, "visit_date": day.isoformat(),
                    "method": rng.choices(("clinic", "home", "phone"), (50, 40, 10))[0],
                    "doctor_id": doctor, "sbp": sbp, "dbp": dbp,
                    "heart_rate": rng.randint(60, 96), "weight_kg": weight, "height_cm": height,
                    "fasting_glucose": glucose, "classification": verdict.classification,
                    "proposed_classification": verdict.classification,
                    "next_visit_on": verdict.next_on.isoformat(),
                    "proposed_next_on": verdict.next_on.isoformat(),
                    "referral_reason": "；".join(verdict.reasons) if verdict.referral else "",
                    "data": form_data,
                })
                previous = schedule.Visit(day, form, sbp, dbp, glucose,
                                          classification=verdict.classification)
                day = verdict.next_on + dt.timedelta(days=rng.randint(-3, 4))
        for condition in (c for c in chronic if c in ("tuberculosis", "severe_mental")):
            visits.extend(_tb_or_smi_visits(gen, profile, rid, condition, doctor,
                                            diagnosed_on[(rid, condition)]))
        if forms:
            box = new_id()
            boxes.append({"id": box, "resident_id": rid,
                          "opened_on": (today - dt.timedelta(days=365)).isoformat()})
            for condition in forms:
                medicine, strength, dose, price = rng.choice(MEDICINES[condition])
                item = new_id()
                items.append({"id": item, "box_id": box, "medicine": medicine,
                              "strength": strength, "dose": dose, "condition_code": condition,
                              "units_per_day": 1.0, "pack_size": 28})
                # Two boxes of 28 every eight weeks or so, the last one within the last weeks;
                # some boxes missed their last delivery and have run out (药快用完).
                for k in range(7 if rng.random() < 0.85 else 6):
                    on = today - dt.timedelta(days=max(0, 360 - k * 58 - rng.randint(0, 5)))
                    quantity = rng.choice((2, 2, 2, 3))
                    total = quantity * price
                    insurance = total * 60 // 100
                    # The free-medicine fund pays only where the profile has one, for the
                    # diseases it covers and up to its yearly cap; the patient pays the rest.
                    free = 0
                    if free_cap and condition in free_conditions:
                        key = (rid, on.year)
                        free = max(0, min(total - insurance, free_cap - free_used.get(key, 0)))
                        free_used[key] = free_used.get(key, 0) + free
                    deliveries.append({
                        "box_id": box, "resident_id": rid, "item_id": item,
                        "delivered_on": on.isoformat(), "medicine": medicine,
                        "quantity": quantity, "unit": "盒", "unit_price_fen": price,
                        "insurance_fen": insurance, "free_fund_fen": free,
                        "patient_fen": total - insurance - free,
                        "receipt_no": f"SJ{rng.randrange(10**8):08d}",
                        "delivered_by": doctor, "location": "home"})
    cost = profile.value("checkup.cost_fen", today)
    for record in residents:
        if rng.random() < 0.7:
            day = today - dt.timedelta(days=rng.randint(0, 364))
            checkups.append({
                "resident_id": record["id"], "checkup_date": day.isoformat(),
                "doctor_id": rng.choice(doctors), "sbp": rng.randint(100, 170),
                "dbp": rng.randint(60, 100), "evaluation": rng.choice(("normal", "abnormal")),
                "cost_fen": cost, "profile_id": profile.id, "data": "{}"})
    for table, rows in (("follow_ups", visits), ("checkups", checkups),
                        ("medicine_boxes", boxes), ("box_items", items),
                        ("deliveries", deliveries)):
        store.insert_many(table, rows)
