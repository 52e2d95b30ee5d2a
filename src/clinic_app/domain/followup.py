"""The national follow-up forms as data: fields, units, plausible ranges, and the rules' proposal.

Four forms of the national basic public-health service spec (third edition): hypertension,
type 2 diabetes (the two combined on one visit when a patient has both), pulmonary tuberculosis
and severe mental disorder. Each field says where it is stored (a ``follow_ups`` column, or a key
of the row's ``data`` JSON), how it is typed, its unit, the range outside which a value is
refused as implausible (a typing slip, not a clinical judgement), and whether it is carried over
from the last visit (medicines, targets, lifestyle — what rarely changes between visits).

The UI builds its form from these specs, the core validates with the same specs, and printing
prints them, so a field exists in one place only. No Qt, no storage.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinic_app.domain import schedule
from clinic_app.domain.fieldspec import ChoiceField, num
from clinic_app.domain.policy import Profile
from clinic_app.domain.validate import parse_date

HTN = "hypertension"
DM = "diabetes"
TB = "tuberculosis"
SMI = "severe_mental"

FORMS = {
    HTN: "高血压患者随访服务记录表",
    DM: "2型糖尿病患者随访服务记录表",
    "combined": "高血压、2型糖尿病患者随访服务记录表",
    TB: "肺结核患者随访服务记录表",
    SMI: "严重精神障碍患者随访服务记录表",
}
FORM_SHORT = {HTN: "高血压", DM: "糖尿病", "combined": "高血压+糖尿病", TB: "肺结核",
              SMI: "严重精神障碍"}
BP_FORMS = (HTN, DM, "combined")  # forms judged by the BP/glucose rules (R1–R5)
_WITH_BP = (HTN, "combined")
_WITH_GLUCOSE = (DM, "combined")
_ALL = (HTN, DM, "combined", TB, SMI)

METHODS = {"clinic": "门诊", "home": "家庭", "phone": "电话"}
GOOD_FAIR_POOR = {"good": "良好", "fair": "一般", "poor": "差"}
GOOD_FAIR_BAD = {"good": "良好", "fair": "一般", "poor": "较差"}
ADHERENCE = {"regular": "规律", "intermittent": "间断", "none": "不服药"}
SMI_ADHERENCE = {"regular": "按医嘱规律服药", "intermittent": "间断服药", "none": "不服药",
                 "not_needed": "医嘱勿需服药"}
SALT = {"light": "轻", "medium": "中", "heavy": "重"}
HYPOGLYCAEMIA = {"none": "无", "occasional": "偶尔", "frequent": "频繁"}
FOOT_PULSE = {"normal": "触及正常", "weak": "减弱", "absent": "消失"}
CLASSES = {"controlled": "控制满意", "uncontrolled": "控制不满意", "adverse": "不良反应",
           "complication": "并发症"}
TB_PHASES = {"intensive": "强化期", "continuation": "继续期"}
TB_SUPERVISORS = {"doctor": "医生", "family": "家属", "self": "自服药", "other": "其他"}
TB_USAGE = {"daily": "每日", "intermittent": "间歇"}
TB_DRUG_FORMS = {"fdc": "固定剂量复合制剂", "loose": "散装药", "blister": "板式组合药",
                 "injection": "注射剂"}
SMI_STABILITY = {"stable": "稳定", "basically_stable": "基本稳定", "unstable": "不稳定"}
SMI_RISK = {str(n): f"{n}级" for n in range(6)}
SMI_INSIGHT = {"full": "自知力完全", "partial": "自知力不全", "none": "自知力缺失"}
SMI_HOSPITAL = {"never": "从未住院", "now": "目前正在住院", "before": "既往住院，现未住院"}
SMI_EFFECT = {"cured": "痊愈", "better": "好转", "same": "无变化", "worse": "加重"}

HTN_SYMPTOMS = ("头痛头晕", "恶心呕吐", "眼花耳鸣", "呼吸困难", "心悸胸闷", "鼻衄出血不止",
                "四肢发麻", "下肢水肿")
DM_SYMPTOMS = ("多饮", "多食", "多尿", "视力模糊", "感染", "手脚麻木", "下肢浮肿",
               "体重明显下降")
TB_SYMPTOMS = ("咳嗽咳痰", "低热盗汗", "咯血或血痰", "胸痛消瘦", "恶心纳差", "关节疼痛",
               "头痛失眠", "视物模糊", "皮肤瘙痒、皮疹", "耳鸣、听力下降")
SMI_SYMPTOMS = ("幻觉", "交流困难", "猜疑", "喜怒无常", "行为怪异", "兴奋话多", "伤人毁物",
                "悲观厌世", "无故外走", "自语自笑", "孤僻懒散")
SMI_REHAB = ("生活劳动能力", "职业训练", "学习能力", "社会交往")

# In the order the form shows them: a TB or mental-health visit starts with its own section.
SECTIONS = {
    "visit": "随访",
    "tb": "肺结核治疗管理",
    "smi": "精神状况与社会功能",
    "signs": "体征与检查",
    "symptoms": "症状",
    "lifestyle": "生活方式指导",
    "treatment": "用药与治疗",
    "outcome": "评价与下次随访",
}


@dataclass(frozen=True)
class Field(ChoiceField):
    """One field of a follow-up form."""

    key: str
    label: str
    kind: str  # int | float | date | choice | multi | text | bool | medicines | doctor
    section: str
    forms: tuple[str, ...] = _ALL
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: Mapping[str, str] | Sequence[str] | None = None
    column: bool = False  # a follow_ups column; otherwise a key of the data JSON
    carry: bool = False  # pre-filled from the last visit of the same kind
    hint: str = ""

    def applies_to(self, form: str) -> bool:
        return form in self.forms

    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return ""
        return f"{num(self.low)}–{num(self.high)}{self.unit}"


F = Field
FIELDS: tuple[Field, ...] = (
    F("visit_date", "随访日期", "date", "visit", column=True),
    F("method", "随访方式", "choice", "visit", choices=METHODS, column=True),
    # Signs first: a routine visit is these four numbers and Enter.
    # The diabetes form records BP too (体征: 血压); only hypertension is judged by it.
    F("sbp", "收缩压", "int", "signs", BP_FORMS, "mmHg", 60, 280, column=True),
    F("dbp", "舒张压", "int", "signs", BP_FORMS, "mmHg", 30, 180, column=True),
    F("fasting_glucose", "空腹血糖", "float", "signs", _WITH_GLUCOSE, "mmol/L", 1, 35,
      column=True),
    F("weight_kg", "体重", "float", "signs", (HTN, DM, "combined", TB), "kg", 20, 250,
      column=True),
    F("heart_rate", "心率", "int", "signs", _WITH_BP, "次/分", 30, 200, column=True),
    F("height_cm", "身高", "float", "signs", BP_FORMS, "cm", 80, 230, column=True, carry=True,
      hint="用于计算体质指数，沿用上次"),
    F("target_weight_kg", "目标体重", "float", "signs", BP_FORMS, "kg", 20, 250, carry=True),
    F("hba1c", "糖化血红蛋白", "float", "signs", _WITH_GLUCOSE, "%", 3, 20),
    F("foot_pulse", "足背动脉搏动", "choice", "signs", _WITH_GLUCOSE, choices=FOOT_PULSE,
      carry=True),
    F("other_signs", "其他体征", "text", "signs", BP_FORMS),
    F("lab_notes", "辅助检查", "text", "signs", (HTN, DM, "combined", SMI),
      hint="如：尿常规正常"),
    F("symptoms", "症状", "multi", "symptoms", _WITH_BP, choices=HTN_SYMPTOMS),
    F("dm_symptoms", "症状（糖尿病）", "multi", "symptoms", _WITH_GLUCOSE, choices=DM_SYMPTOMS),
    F("tb_symptoms", "症状及体征", "multi", "symptoms", (TB,), choices=TB_SYMPTOMS),
    F("smi_symptoms", "目前症状", "multi", "symptoms", (SMI,), choices=SMI_SYMPTOMS),
    F("other_symptoms", "其他症状", "text", "symptoms"),
    F("smoking_now", "日吸烟量", "int", "lifestyle", (HTN, DM, "combined", TB), "支", 0, 100,
      carry=True),
    F("smoking_target", "日吸烟量目标", "int", "lifestyle", BP_FORMS, "支", 0, 100, carry=True),
    F("drinking_now", "日饮酒量", "float", "lifestyle", (HTN, DM, "combined", TB), "两", 0, 50,
      carry=True),
    F("drinking_target", "日饮酒量目标", "float", "lifestyle", BP_FORMS, "两", 0, 50,
      carry=True),
    F("exercise_times", "运动次数", "int", "lifestyle", BP_FORMS, "次/周", 0, 21, carry=True),
    F("exercise_minutes", "每次运动", "int", "lifestyle", BP_FORMS, "分钟", 0, 600, carry=True),
    F("salt", "摄盐情况", "choice", "lifestyle", _WITH_BP, choices=SALT, carry=True),
    F("salt_target", "摄盐目标", "choice", "lifestyle", _WITH_BP, choices=SALT, carry=True),
    F("staple_food_g", "主食", "int", "lifestyle", _WITH_GLUCOSE, "克/天", 0, 2000, carry=True),
    F("staple_food_target_g", "主食目标", "int", "lifestyle", _WITH_GLUCOSE, "克/天", 0, 2000,
      carry=True),
    F("psychology", "心理调整", "choice", "lifestyle", BP_FORMS, choices=GOOD_FAIR_POOR,
      carry=True),
    F("compliance", "遵医行为", "choice", "lifestyle", BP_FORMS, choices=GOOD_FAIR_POOR,
      carry=True),
    F("adherence", "服药依从性", "choice", "treatment", (HTN, DM, "combined", TB),
      choices=ADHERENCE, carry=True),
    F("smi_adherence", "服药依从性", "choice", "treatment", (SMI,), choices=SMI_ADHERENCE,
      carry=True),
    F("adverse_reactions", "药物不良反应", "text", "treatment", hint="无则留空"),
    F("hypoglycaemia", "低血糖反应", "choice", "treatment", _WITH_GLUCOSE,
      choices=HYPOGLYCAEMIA),
    F("insulin", "胰岛素", "text", "treatment", _WITH_GLUCOSE, carry=True,
      hint="种类及用法用量，未用留空"),
    F("medicines", "用药情况", "medicines", "treatment", carry=True,
      hint="每行一种：药名 每日几次 每次用量，如：硝苯地平缓释片 每日2次 每次10mg"),
    F("treatment_month", "治疗月序", "int", "tb", (TB,), "月", 1, 24),
    F("tb_phase", "治疗阶段", "choice", "tb", (TB,), choices=TB_PHASES),
    F("supervisor", "督导人员", "choice", "tb", (TB,), choices=TB_SUPERVISORS, carry=True),
    F("regimen", "化疗方案", "text", "tb", (TB,), carry=True),
    F("drug_usage", "用法", "choice", "tb", (TB,), choices=TB_USAGE, carry=True),
    F("drug_form", "药品剂型", "choice", "tb", (TB,), choices=TB_DRUG_FORMS, carry=True),
    F("missed_doses", "漏服药次数", "int", "tb", (TB,), "次", 0, 60),
    F("tb_complications", "并发症或合并症", "text", "tb", (TB,)),
    F("risk_level", "危险性评估", "choice", "smi", (SMI,), choices=SMI_RISK),
    F("insight", "自知力", "choice", "smi", (SMI,), choices=SMI_INSIGHT),
    F("sleep", "睡眠情况", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("diet", "饮食情况", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("self_care", "个人生活料理", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("housework", "家务劳动", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("work", "生产劳动及工作", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("learning", "学习能力", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("social", "社会人际交往", "choice", "smi", (SMI,), choices=GOOD_FAIR_BAD),
    F("family_impact", "对家庭社会的影响", "text", "smi", (SMI,),
      hint="轻度滋事、肇事、肇祸、自伤、自杀未遂的次数；无则留空"),
    F("hospitalization", "住院情况", "choice", "smi", (SMI,), choices=SMI_HOSPITAL,
      carry=True),
    F("treatment_effect", "治疗效果", "choice", "smi", (SMI,), choices=SMI_EFFECT),
    F("rehab", "康复措施", "multi", "smi", (SMI,), choices=SMI_REHAB, carry=True),
    F("classification", "此次随访分类", "choice", "outcome", BP_FORMS, choices=CLASSES,
      column=True),
    F("stability", "此次随访分类", "choice", "outcome", (SMI,), choices=SMI_STABILITY),
    F("new_complication", "出现新的并发症", "bool", "outcome", BP_FORMS),
    F("referral_reason", "转诊原因", "text", "outcome", column=True),
    F("referral_to", "转诊机构及科别", "text", "outcome", column=True),
    F("next_visit_on", "下次随访日期", "date", "outcome", column=True),
    F("override_reason", "未采用建议的原因", "text", "outcome", column=True,
      hint="分类或下次日期与规则建议不同时必填"),
    F("doctor_id", "随访医生", "doctor", "outcome", column=True),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
COLUMN_KEYS = tuple(f.key for f in FIELDS if f.column)


def fields_of(form: str) -> list[Field]:
    """The fields of one form, in the order a doctor fills them (and Tab walks them)."""
    if form not in FORMS:
        raise ValueError(f"未知的随访表：{form}")
    return [f for f in FIELDS if f.applies_to(form)]


def form_for(conditions: Sequence[str]) -> list[str]:
    """The forms a patient with these condition codes is followed up on, most common first."""
    codes = set(conditions)
    out = []
    if HTN in codes and DM in codes:
        out.append("combined")
    elif HTN in codes:
        out.append(HTN)
    elif DM in codes:
        out.append(DM)
    if TB in codes:
        out.append(TB)
    if SMI in codes:
        out.append(SMI)
    return out


def forms_overlap(form: str, other: str) -> bool:
    """Whether a visit on `other` counts as the last visit for `form` (shared conditions)."""
    return bool(set(schedule.FORM_CONDITIONS.get(form, ())) &
                set(schedule.FORM_CONDITIONS.get(other, ())))


# ---------------------------------------------------------------------- medicines
_MED_LINE = re.compile(
    r"^(?P<name>.+?)\s*(?:(?:每日|每天|一日|日)\s*(?P<times>\d+)\s*次)\s*[,，、]?\s*"
    r"(?:(?:每次|一次)\s*)?(?P<dose>.*)$")


def parse_medicines(text: str) -> list[dict[str, Any]]:
    """Lines like '硝苯地平缓释片 每日2次 每次10mg' → [{name, times_per_day, dose}]."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _MED_LINE.match(line)
        if match:
            out.append({"name": match["name"].strip(), "times_per_day": int(match["times"]),
                        "dose": match["dose"].strip()})
        else:
            out.append({"name": line, "times_per_day": None, "dose": ""})
    return out


def medicines_text(medicines: Sequence[Mapping[str, Any]] | None) -> str:
    lines = []
    for med in medicines or []:
        parts = [str(med.get("name", "")).strip()]
        if med.get("times_per_day"):
            parts.append(f"每日{med['times_per_day']}次")
        if med.get("dose"):
            parts.append(f"每次{med['dose']}" if not str(med["dose"]).startswith("每次")
                         else str(med["dose"]))
        lines.append(" ".join(p for p in parts if p))
    return "\n".join(lines)


def medicine_problems(medicines: Sequence[Mapping[str, Any]]) -> list[str]:
    """Soft warnings: a line without 每日几次 is kept but the doctor is told."""
    return [f"第{i}行“{m['name']}”没有写每日几次" for i, m in enumerate(medicines, 1)
            if not m.get("times_per_day")]


# ---------------------------------------------------------------------- parsing and checks
def parse_value(field: Field, raw: Any) -> Any:
    """Text (or a typed value) → the stored value; ValueError with a Chinese message."""
    if raw is None:
        return None if field.kind not in ("multi", "medicines", "bool") else _empty(field)
    if field.kind in ("multi",):
        values = list(raw) if not isinstance(raw, str) else [
            s for s in re.split(r"[,，、;；\s]+", raw) if s]
        allowed = {c for c, _ in field.choice_items()}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"{field.label}没有“{'、'.join(unknown)}”这一项")
        return values
    if field.kind == "medicines":
        return parse_medicines(raw) if isinstance(raw, str) else [dict(m) for m in raw]
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("", "0", "否", "无", "false", "no"):
            return False
        if text in ("1", "是", "有", "true", "yes"):
            return True
        raise ValueError(f"{field.label}请填“是”或“否”")
    if isinstance(raw, str):
        raw = raw.strip().translate(_FULL_WIDTH)
        if raw == "":
            return None
    if field.kind == "int":
        try:
            value: Any = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            raise ValueError(f"{field.label}应为整数")
        return value
    if field.kind == "float":
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{field.label}应为数字") from None
    if field.kind == "date":
        if isinstance(raw, dt.date):
            return raw
        try:
            return parse_date(str(raw))
        except ValueError as exc:
            text = str(exc)  # "日期“2026-13-01”不存在": said once after "随访日期"
            if field.label.endswith("日期") and text.startswith("日期"):
                text = text[len("日期"):]
            raise ValueError(f"{field.label}{text}") from None
    if field.kind == "choice":
        return field.parse_choice(raw)
    return str(raw).strip()


def _empty(field: Field) -> Any:
    return False if field.kind == "bool" else []


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－／", "0123456789.-/")


def range_problem(field: Field, value: Any) -> str | None:
    """A number outside the plausible range: almost always a slip of the keyboard."""
    if value is None or field.low is None or field.high is None:
        return None
    if not field.low <= value <= field.high:
        return (f"{field.label} {num(value)}{field.unit} 不合理，"
                f"应在 {field.range_text()} 之间，请核对")
    return None


def check(form: str, values: Mapping[str, Any], *, today: dt.date,
          birth: dt.date | None = None) -> dict[str, str]:
    """Field → Chinese problem for typed values (see ``parse_value``); empty when all is well."""
    problems: dict[str, str] = {}
    known = {f.key for f in fields_of(form)}
    for key in values:
        if key not in known:
            label = FIELD_BY_KEY[key].label if key in FIELD_BY_KEY else key
            problems[key] = f"{FORMS[form]}没有“{label}”这一项"
    for field in fields_of(form):
        problem = range_problem(field, values.get(field.key))
        if problem:
            problems[field.key] = problem
    visit = values.get("visit_date")
    if visit is None:
        problems["visit_date"] = "请填写随访日期"
    else:
        if visit > today:
            problems["visit_date"] = f"随访日期 {visit} 在今天之后"
        elif birth is not None and visit < birth:
            problems["visit_date"] = "随访日期早于出生日期"
    sbp, dbp = values.get("sbp"), values.get("dbp")
    if (sbp is None) != (dbp is None) and "sbp" not in problems and "dbp" not in problems:
        problems["dbp" if dbp is None else "sbp"] = "血压请同时填写收缩压和舒张压"
    elif sbp is not None and dbp is not None and dbp >= sbp and "dbp" not in problems:
        problems["dbp"] = f"舒张压 {dbp} 不应高于或等于收缩压 {sbp}，请核对"
    nxt = values.get("next_visit_on")
    if nxt is not None and visit is not None and nxt <= visit:
        problems["next_visit_on"] = "下次随访日期应在本次随访之后"
    if form == SMI and values.get("risk_level") is None:
        problems["risk_level"] = "请选择危险性评估（0–5级）"
    if values.get("method") not in (None, *METHODS):
        problems["method"] = "随访方式只能是门诊、家庭或电话"
    return problems


# ---------------------------------------------------------------------- the rules' proposal
@dataclass(frozen=True)
class Proposal:
    """What the rules propose for this visit: classification, next date, referral, why."""

    classification: str
    next_on: dt.date
    rule: str
    emergency: bool = False
    referral: bool = False
    reasons: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return CLASSES.get(self.classification) or SMI_STABILITY.get(self.classification, "")


def to_visit(form: str, values: Mapping[str, Any]) -> schedule.Visit:
    data = {k: v for k, v in values.items() if k not in COLUMN_KEYS}
    return schedule.Visit(values["visit_date"], form, values.get("sbp"), values.get("dbp"),
                          values.get("fasting_glucose"), values.get("next_visit_on"),
                          values.get("classification") or "", data)


def smi_stability(values: Mapping[str, Any]) -> tuple[str, str]:
    """The spec's stability classes for severe mental disorder, with the reason."""
    risk = int(values.get("risk_level") or 0)
    symptoms = bool(values.get("smi_symptoms"))
    insight = values.get("insight") or "full"
    adverse = bool(values.get("adverse_reactions"))
    social_poor = any(values.get(k) == "poor" for k in (
        "self_care", "housework", "work", "learning", "social"))
    if risk >= 3 or (symptoms and insight == "none") or (adverse and risk >= 1):
        return "unstable", f"危险性{risk}级" + ("，精神症状明显且自知力缺失"
                                              if symptoms and insight == "none" else "")
    if risk >= 1 or symptoms or insight != "full" or social_poor:
        why = [f"危险性{risk}级"] if risk else []
        why += ["仍有精神症状"] if symptoms else []
        why += ["自知力不全"] if insight != "full" else []
        why += ["社会功能较差"] if social_poor else []
        return "basically_stable", "、".join(why)
    return "stable", "危险性0级，症状消失，自知力完全，社会功能良好"


def propose(profile: Profile, form: str, values: Mapping[str, Any],
            previous: schedule.Visit | None, birth: dt.date | None,
            diagnosed: dt.date | None = None) -> Proposal:
    """The rules' classification and next date for the values typed so far (R1–R7).

    The doctor may choose otherwise; the form then asks why, and both are stored (R8).
    """
    on: dt.date = values["visit_date"]
    if form in BP_FORMS:
        verdict = schedule.assess(profile, to_visit(form, values), previous, birth)
        classification, next_on, rule = verdict.classification, verdict.next_on, verdict.rule
        if classification == "controlled" and values.get("adverse_reactions"):
            days = profile.value("followup.recheck_days", on)
            classification, next_on = "adverse", on + dt.timedelta(days=days)
            rule = f"出现药物不良反应，调整用药，{days}天内随访"
        return Proposal(classification, next_on, rule, verdict.emergency, verdict.referral,
                        verdict.reasons)
    if form == TB:
        visit = to_visit(form, values)
        next_on, rule = schedule._tb_next(profile, visit, diagnosed, on)
        return Proposal("", next_on, rule)
    stability, why = smi_stability(values)
    visit = to_visit(form, {**values, "stability": stability})
    next_on, _risk, rule = schedule._smi_next(profile, visit, on)
    referral = stability == "unstable"
    if referral:
        rule = f"病情不稳定（{why}），建议转诊；{rule}"
    else:
        rule = f"{SMI_STABILITY[stability]}（{why}）：{rule}"
    return Proposal(stability, next_on, rule, False, referral, (why,))


def treatment_month(on: dt.date, diagnosed: dt.date | None, last_month: int | None,
                    last_visit: dt.date | None) -> int | None:
    """治疗月序 proposed for a TB visit on `on`: the month of treatment it falls in.

    Counted from the diagnosis (treatment starts on it: the 1st month runs to the day before
    the same date a month later), else from the last visit's recorded month and the months
    since; None when neither is known (the doctor types it). Held to the form's 1–24.
    """
    def months(start: dt.date) -> int:
        return (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)

    if diagnosed is not None and diagnosed <= on:
        month = months(diagnosed) + 1
    elif last_month is not None and last_visit is not None and last_visit <= on:
        month = last_month + months(last_visit)
    else:
        return None
    return max(1, min(24, month))


def bmi(weight_kg: float | None, height_cm: float | None) -> float | None:
    if not weight_kg or not height_cm:
        return None
    return round(weight_kg / (height_cm / 100) ** 2, 1)


def display(field: Field, value: Any) -> str:
    """A stored value as the form or a printout shows it."""
    if value is None or value == "" or value == []:
        return ""
    if field.kind == "choice":
        return dict(field.choice_items()).get(str(value), str(value))
    if field.kind == "multi":
        return "、".join(value)
    if field.kind == "medicines":
        return medicines_text(value)
    if field.kind == "bool":
        return "是" if value else "否"
    if field.kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if field.kind == "float":
        return num(value)
    return str(value)
