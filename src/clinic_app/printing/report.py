"""The township's monthly report (健康扶贫月报, 001 §二(一): 月报制度), counted from the register.

Per village and in total, at the end of the month (or today, for the month in progress):

* 签约: residents on the register, households, residents with a contract in force, the
  coverage; contracts signed in the month; chronic patients (the four scheduled diseases) and
  how many of them are signed, against the profile's coverage target.
* 随访: patients per disease; patients *due* in the month — whose next follow-up, computed by the
  schedule rules from their visits before the month began, fell on or before its last day — and
  how many of them were visited in the month (按时随访率); visits recorded in the month; BP and
  glucose control among the patients visited (latest reading of the month, by the profile's
  thresholds).
* 体检与用药: people checked in the month and in the year to date; the yearly coverage against
  the profile's target, over the residents the checkup promise covers (category not 一般人群)
  and counting those checked as often as the profile asks — the same rule as the 体检 page and
  ``clinic-app checkup-coverage`` (storage/care_queries.py); medicine-box deliveries in the
  month and who paid (insurance, the free medicine fund, the patient), in 元 from integer fen.

Nothing is estimated: every number is a count of stored rows, and the notes printed under the
tables say how each was counted.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from reportlab.platypus.flowables import Flowable

from clinic_app.domain import schedule
from clinic_app.domain.models import yuan
from clinic_app.errors import ClinicError
from clinic_app.printing import pdfdoc
from clinic_app.printing.content import policy_source
from clinic_app.printing.pdfdoc import Built, Styles, grid_table, para
from clinic_app.progress import Progress, SilentProgress

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic

TOTAL = "合计"


def parse_month(text: str | dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of a month written YYYY-MM (default: this month)."""
    if text is None:
        first = today.replace(day=1)
    elif isinstance(text, dt.date):
        first = text.replace(day=1)
    else:
        try:
            year, month = (int(p) for p in str(text).strip().split("-"))
            first = dt.date(year, month, 1)
        except ValueError:
            raise ClinicError(f"月份应写成 2026-11 这样，而不是 {text}") from None
    if first > today:
        raise ClinicError(f"{first:%Y年%m月} 还没有到，不能出月报")
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


@dataclass
class VillageStats:
    village: str
    households: int = 0
    residents: int = 0
    contracted: int = 0
    signed_in_month: int = 0
    patients: int = 0
    patients_contracted: int = 0
    hypertension: int = 0
    diabetes: int = 0
    tuberculosis: int = 0
    severe_mental: int = 0
    due: int = 0
    due_visited: int = 0
    visits: int = 0
    bp_measured: int = 0
    bp_controlled: int = 0
    glucose_measured: int = 0
    glucose_controlled: int = 0
    checkups_month: int = 0
    checkups_year: int = 0
    checkup_eligible: int = 0  # covered by the checkup promise (the 体检 page's 应体检)
    checkup_done: int = 0  # of them, checked this year as often as the profile asks
    medicine_fen: int = 0
    insurance_fen: int = 0
    free_fund_fen: int = 0
    patient_fen: int = 0

    def add(self, other: VillageStats) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)


@dataclass
class MonthlyReport:
    month: str  # YYYY-MM
    first: dt.date
    until: dt.date  # counted up to this day (month end, or today for the month in progress)
    clinic: str
    profile: str
    contract_target: float | None
    checkup_target: float | None
    checkups_per_year: int = 1
    villages: list[VillageStats] = field(default_factory=list)
    total: VillageStats = field(default_factory=lambda: VillageStats(TOTAL))

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "from": self.first.isoformat(),
                "until": self.until.isoformat(), "clinic": self.clinic, "profile": self.profile,
                "contract_target": self.contract_target, "checkup_target": self.checkup_target,
                "checkups_per_year": self.checkups_per_year,
                "villages": [asdict(v) for v in self.villages], "total": asdict(self.total)}

    def texts(self) -> list[tuple[str, str, str]]:
        return [(t, "月报", "") for t in [self.clinic, self.profile,
                                           *[v.village for v in self.villages]] if t]


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def compute(clinic: Clinic, month: str | dt.date | None = None,
            progress: Progress | None = None) -> MonthlyReport:
    """Count the month's report from the register (see the module docstring for the rules)."""
    progress = progress or SilentProgress()
    today = clinic.today()
    first, last = parse_month(month, today)
    until = min(last, today)
    profile = clinic.profile
    progress.update(0, 3, "正在读取数据")
    rows = clinic.monthly_report_rows(first, until)
    progress.update(1, 3, "正在统计")
    names = {v["id"]: v["name"] for v in rows["villages"]}
    stats: dict[str, VillageStats] = {}

    def of(village_id: str | None) -> VillageStats:
        key = village_id or ""
        if key not in stats:
            stats[key] = VillageStats(names.get(key, "（未分村）"))
        return stats[key]

    village_of: dict[str, str] = {}
    checkup_covered: set[str] = set()
    birth_of: dict[str, dt.date | None] = {}
    since_of: dict[str, dt.date] = {}
    households: dict[str, set[str]] = {}
    for r in rows["residents"]:
        village_of[r["id"]] = r["village_id"]
        birth_of[r["id"]] = dt.date.fromisoformat(r["birth_date"]) if r["birth_date"] else None
        since_of[r["id"]] = dt.date.fromisoformat(r["created_on"])
        of(r["village_id"]).residents += 1
        if r["checkup_covered"]:
            checkup_covered.add(r["id"])
            of(r["village_id"]).checkup_eligible += 1
        households.setdefault(r["village_id"], set()).add(r["household_id"])
    for village_id, homes in households.items():
        of(village_id).households = len(homes)
    contracted = {r["resident_id"] for r in rows["contracts"]} & village_of.keys()
    for rid in contracted:
        of(village_of[rid]).contracted += 1
    for r in rows["signed"]:
        if r["resident_id"] in village_of:
            of(village_of[r["resident_id"]]).signed_in_month += 1

    conditions: dict[str, dict[str, dt.date | None]] = {}
    for r in rows["conditions"]:
        if r["resident_id"] in village_of:
            conditions.setdefault(r["resident_id"], {})[r["code"]] = (
                dt.date.fromisoformat(r["diagnosed_on"]) if r["diagnosed_on"] else None)
    visits: dict[str, list[schedule.Visit]] = {}
    for r in rows["visits"]:
        visits.setdefault(r["resident_id"], []).append(schedule.Visit(
            dt.date.fromisoformat(r["visit_date"]), r["form"], r["sbp"], r["dbp"],
            r["fasting_glucose"],
            dt.date.fromisoformat(r["next_visit_on"]) if r["next_visit_on"] else None,
            r["classification"], json.loads(r["data"]) if r["data"] else {}))
    for rid, codes in conditions.items():
        s = of(village_of[rid])
        s.patients += 1
        s.patients_contracted += rid in contracted
        for code in codes:
            setattr(s, code, getattr(s, code) + 1)
        mine = visits.get(rid, [])  # newest first
        before = [v for v in mine if v.visit_date < first]
        during = [v for v in mine if first <= v.visit_date <= until]
        s.visits += len(during)
        # Every earlier visit, not just the newest few: a patient with TB or mental-health
        # visits in between would otherwise look never visited for hypertension.
        dues = schedule.due_dates(profile, codes, before, birth_of[rid], since_of[rid])
        if dues and min(d.due_on for d in dues) <= until:
            s.due += 1
            s.due_visited += bool(during)
        _control(s, profile, codes, during, birth_of[rid])
    progress.update(2, 3, "正在统计体检与用药")
    for key in ("checkups_month", "checkups_year"):
        people = {r["resident_id"] for r in rows[key]} & village_of.keys()
        for rid in people:
            s = of(village_of[rid])
            setattr(s, key, getattr(s, key) + 1)
    # Coverage as the 体检 page counts it: covered residents checked as often as the year asks.
    per_year = clinic.checkups_per_year(until.year)
    done: dict[str, int] = {}
    for r in rows["checkups_year"]:
        done[r["resident_id"]] = done.get(r["resident_id"], 0) + 1
    for rid, count in done.items():
        if rid in checkup_covered and count >= per_year:
            of(village_of[rid]).checkup_done += 1
    for r in rows["deliveries"]:
        if r["resident_id"] in village_of:
            s = of(village_of[r["resident_id"]])
            s.medicine_fen += r["total_fen"]
            s.insurance_fen += r["insurance_fen"]
            s.free_fund_fen += r["free_fund_fen"]
            s.patient_fen += r["patient_fen"]
    order = {v["id"]: n for n, v in enumerate(rows["villages"])}
    report = MonthlyReport(
        f"{first:%Y-%m}", first, until, (clinic.setting("clinic_name") or "").strip(),
        policy_source(profile), profile.value("contract.coverage_target", until),
        profile.value("checkup.coverage_target", until), per_year)
    report.villages = [stats[k] for k in sorted(stats, key=lambda k: order.get(k, 10**9))]
    for village in report.villages:
        report.total.add(village)
    progress.update(3, 3, "统计完成")
    return report


def _control(s: VillageStats, profile: Any, codes: Mapping[str, Any],
             during: list[schedule.Visit], birth: dt.date | None) -> None:
    """BP / glucose control at the patient's latest reading of the month."""
    if "hypertension" in codes:
        latest = next((v for v in during if v.sbp is not None and v.dbp is not None), None)
        if latest is not None:
            s.bp_measured += 1
            visit = schedule.Visit(latest.visit_date, "hypertension", latest.sbp, latest.dbp)
            s.bp_controlled += bool(schedule.is_controlled(profile, visit, birth))
    if "diabetes" in codes:
        latest = next((v for v in during if v.fasting_glucose is not None), None)
        if latest is not None:
            s.glucose_measured += 1
            visit = schedule.Visit(latest.visit_date, "diabetes",
                                   fasting_glucose=latest.fasting_glucose)
            s.glucose_controlled += bool(schedule.is_controlled(profile, visit, birth))


# ------------------------------------------------------------------------- the PDF


def notes(report: MonthlyReport) -> list[str]:
    """How each number is counted, printed under the tables (and shown by the 统计 page, so
    the screen and the paper explain them in the same words)."""
    return [
        "口径：在册人数为统计日在册（未迁出、未死亡）的居民；有效签约为统计日签约期内且未解约。",
        "本月应随访：按随访规则，根据本月以前的随访记录推算的下次随访日期在统计期内（含逾期）的"
        "慢病患者；已随访为其中本月有随访记录的人数。",
        "控制率：本月有测量记录的患者中，最近一次血压（或空腹血糖）达到政策配置控制标准的比例。",
        "本年体检人数：本年1月1日至统计日有体检记录的人数（同一人多次只计一次）。",
        "体检覆盖率：应体检人数为统计日在册、人员类别不是“一般人群”的居民（类别未填的也计入）；"
        f"覆盖率为其中本年体检达到每年{report.checkups_per_year}次的比例，"
        "与“体检”页和 clinic-app checkup-coverage 口径相同。",
    ]


def _table(report: MonthlyReport, st: Styles, width: float, heads: Iterable[str],
           cells: Any, fractions: Iterable[float]) -> Flowable:
    rows = [[para(h, st.cell_bold) for h in heads]]
    for village in [*report.villages, report.total]:
        style = st.cell_bold if village is report.total else st.cell
        rows.append([para(village.village, style), *[para(c, style) for c in cells(village)]])
    return grid_table(rows, [width * f for f in fractions],
                      extra=[("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                              pdfdoc.SHADE)])


def render(report: MonthlyReport, *, progress: Progress | None = None) -> Built:
    st = Styles(8.5)
    width = pdfdoc.usable_width("A4-landscape")
    year, month = report.first.year, report.first.month
    title = f"健康扶贫月报（{year}年{month}月）"
    in_progress = report.until.day != calendar.monthrange(year, month)[1]
    sub = "　".join(p for p in (
        report.clinic, f"政策依据：{report.profile}",
        f"统计期间：{report.first} 至 {report.until}" + ("（本月尚未结束）" if in_progress
                                                        else "")) if p)
    target = f"（目标 {report.contract_target:g}%）" if report.contract_target else ""
    story: list[Flowable] = [para(title, st.title), para(sub, st.subtitle),
                             para("一、家庭医生签约", st.heading)]
    story.append(_table(
        report, st, width,
        ("行政村", "在册户数", "在册人数", "有效签约人数", "签约率", "本月新签约",
         "慢病患者", "慢病患者签约", f"慢病签约率{target}"),
        lambda v: (v.households, v.residents, v.contracted, rate(v.contracted, v.residents),
                   v.signed_in_month, v.patients, v.patients_contracted,
                   rate(v.patients_contracted, v.patients)),
        (0.16, 0.09, 0.09, 0.11, 0.09, 0.1, 0.1, 0.12, 0.14)))
    story.append(para("二、慢病随访", st.heading))
    story.append(_table(
        report, st, width,
        ("行政村", "高血压", "糖尿病", "肺结核", "严重精神障碍", "本月应随访", "已随访",
         "按时随访率", "随访人次", "血压控制率", "血糖控制率"),
        lambda v: (v.hypertension, v.diabetes, v.tuberculosis, v.severe_mental, v.due,
                   v.due_visited, rate(v.due_visited, v.due), v.visits,
                   f"{rate(v.bp_controlled, v.bp_measured)}（{v.bp_controlled}/{v.bp_measured}）",
                   f"{rate(v.glucose_controlled, v.glucose_measured)}"
                   f"（{v.glucose_controlled}/{v.glucose_measured}）"),
        (0.14, 0.07, 0.07, 0.07, 0.09, 0.08, 0.07, 0.08, 0.07, 0.13, 0.13)))
    checkup_target = f"（目标 {report.checkup_target:g}%）" if report.checkup_target else ""
    story.append(para("三、健康体检与慢病用药", st.heading))
    story.append(_table(
        report, st, width,
        ("行政村", "本月体检人数", "本年体检人数", "应体检人数",
         f"本年体检覆盖率{checkup_target}", "本月送药金额（元）", "医保支付", "免费药品基金",
         "个人支付"),
        lambda v: (v.checkups_month, v.checkups_year, v.checkup_eligible,
                   f"{rate(v.checkup_done, v.checkup_eligible)}"
                   f"（{v.checkup_done}/{v.checkup_eligible}）",
                   yuan(v.medicine_fen), yuan(v.insurance_fen), yuan(v.free_fund_fen),
                   yuan(v.patient_fen)),
        (0.14, 0.09, 0.09, 0.09, 0.15, 0.12, 0.1, 0.12, 0.1)))
    story.append(Spacer(1, 3 * mm))
    for note in notes(report):
        story.append(para(note, st.small))
    story.append(Spacer(1, 6 * mm))
    story.append(para("填报人：＿＿＿＿＿＿　　审核人：＿＿＿＿＿＿　　"
                      "填报日期：＿＿＿＿年＿＿月＿＿日", st.body))
    return pdfdoc.build(story, paper="A4-landscape", title=title, progress=progress)
