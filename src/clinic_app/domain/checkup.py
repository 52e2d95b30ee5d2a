"""The annual health checkup (健康体检表, elderly version) as data: pages, fields, units, ranges.

The national basic public-health service spec (third edition) gives one checkup form for every
resident in its health records, with the elderly items (self-rated health, self-care, cognition
and mood screens) filled for people aged 65 and over. A doctor fills what was done and leaves
the rest: every field is optional, except the date.

Each field says how it is typed, its unit, the *plausible* range outside which a value is refused
(a typing slip — 15 for a temperature, 1700 for a pulse — not a clinical judgement), and its
*reference* range: a value outside it is kept but flagged abnormal and listed in the evaluation.
Reference ranges are the common clinical values printed beside the national form's items and on
Chinese lab reports (BMI by the Chinese adult standard, 18.5–23.9); they are medicine, not local
policy, so they live here. What a policy profile does set — the emergency thresholds for blood
pressure and glucose, the checkups a year, the cost standard — is read from the profile.

The UI builds its pages from these specs and the core checks with the same specs. No Qt, no SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinic_app.domain import codes
from clinic_app.domain.fieldspec import ChoiceField, num
from clinic_app.domain.policy import Profile
from clinic_app.domain.validate import parse_date

# Pages of the form, in the order a doctor walks through a checkup.
PAGES = {
    "general": "症状与一般状况",
    "lifestyle": "生活方式",
    "organs": "脏器功能",
    "exam": "查体",
    "lab": "辅助检查",
    "problems": "现存健康问题",
    "evaluation": "评价与指导",
}

SYMPTOMS = (
    "无症状", "头痛", "头晕", "心悸", "胸闷", "胸痛", "慢性咳嗽", "咳痰", "呼吸困难", "多饮",
    "多尿", "体重下降", "乏力", "关节肿痛", "视力模糊", "手脚麻木", "尿急", "尿痛", "便秘",
    "腹泻", "恶心呕吐", "眼花", "耳鸣", "乳房胀痛",
)
SELF_RATED = {"satisfied": "满意", "mostly": "基本满意", "unsure": "说不清楚",
              "unhappy": "不太满意", "very_unhappy": "不满意"}
SELF_CARE = {"independent": "可自理（0～3分）", "mild": "轻度依赖（4～8分）",
             "moderate": "中度依赖（9～18分）", "dependent": "不能自理（≥19分）"}
SCREEN = {"negative": "粗筛阴性", "positive": "粗筛阳性"}
EXERCISE = {"daily": "每天", "weekly": "每周一次以上", "sometimes": "偶尔", "never": "不锻炼"}
DIET = ("荤素均衡", "荤食为主", "素食为主", "嗜盐", "嗜油", "嗜糖")
SMOKING = {"never": "从不吸烟", "quit": "已戒烟", "smoker": "吸烟"}
DRINKING = {"never": "从不", "sometimes": "偶尔", "often": "经常", "daily": "每天"}
LIPS = {"rosy": "红润", "pale": "苍白", "cyanotic": "发绀", "chapped": "皲裂", "herpes": "疱疹"}
DENTITION = {"normal": "正常", "missing": "缺齿", "caries": "龋齿", "denture": "义齿（假牙）"}
PHARYNX = {"normal": "无充血", "congested": "充血", "follicles": "淋巴滤泡增生"}
HEARING = {"normal": "听见", "impaired": "听不清或无法听见"}
MOTOR = {"normal": "可顺利完成", "impaired": "无法独立完成任何一个动作"}
FUNDUS = {"normal": "正常", "abnormal": "异常"}
SKIN = {"normal": "正常", "flushed": "潮红", "pale": "苍白", "cyanotic": "发绀",
        "jaundice": "黄染", "pigmented": "色素沉着", "other": "其他"}
SCLERA = {"normal": "正常", "jaundice": "黄染", "congested": "充血", "other": "其他"}
LYMPH = {"none": "未触及", "supraclavicular": "锁骨上", "axillary": "腋窝", "other": "其他"}
YES_NO = {"no": "否", "yes": "是"}
NONE_SOME = {"none": "无", "present": "有"}
BREATH = {"normal": "正常", "abnormal": "异常"}
RALES = {"none": "无", "dry": "干啰音", "wet": "湿啰音", "other": "其他"}
RHYTHM = {"regular": "齐", "irregular": "不齐", "absolutely_irregular": "绝对不齐"}
EDEMA = {"none": "无", "one_side": "单侧", "both_unequal": "双侧不对称",
         "both_equal": "双侧对称"}
FOOT_PULSE = {"normal": "触及双侧对称", "absent": "未触及", "left_weak": "左侧弱或消失",
              "right_weak": "右侧弱或消失"}
URINE = {"neg": "－", "trace": "±", "1": "＋", "2": "＋＋", "3": "＋＋＋", "4": "＋＋＋＋"}
NORMAL_ABNORMAL = {"normal": "正常", "abnormal": "异常"}
CEREBRO = ("缺血性卒中", "脑出血", "蛛网膜下腔出血", "短暂性脑缺血发作")
KIDNEY = ("糖尿病肾病", "肾功能衰竭", "急性肾炎", "慢性肾炎")
HEART = ("心肌梗死", "心绞痛", "冠状动脉血运重建", "充血性心力衰竭", "心前区疼痛")
VESSEL = ("夹层动脉瘤", "动脉闭塞性疾病")
EYE = ("视网膜出血或渗出", "视乳头水肿", "白内障")
EVALUATIONS = {"normal": "体检无异常", "abnormal": "有异常"}
GUIDANCE = ("纳入慢性病患者健康管理", "建议复查", "建议转诊")
RISK_CONTROL = ("戒烟", "健康饮酒", "饮食", "锻炼", "减体重", "建议接种疫苗")
# Conditions a checkup can enrol in chronic management: those with a national follow-up form.
ENROLABLE = dict(codes.CHRONIC_CONDITIONS)

ELDERLY_AGE = 65  # the spec's elderly items apply from this age (老年人健康管理服务规范)


@dataclass(frozen=True)
class Field(ChoiceField):
    """One item of the checkup form."""

    key: str
    label: str
    kind: str  # int | float | choice | multi | text | bool
    page: str
    unit: str = ""
    low: float | None = None  # plausible range: outside it the value is refused
    high: float | None = None
    normal: tuple[float, float] | None = None  # reference range: outside it, flagged
    normal_by_sex: Mapping[str, tuple[float, float]] | None = None
    upper_exclusive: bool = False  # normal is below the upper bound (<5.18), not up to it
    choices: Mapping[str, str] | Sequence[str] | None = None
    normal_choices: tuple[str, ...] = ()  # choice codes that are not abnormal
    column: bool = False  # a ``checkups`` column; otherwise a key of the data JSON
    hint: str = ""
    elderly: bool = False  # an item of the elderly form (65 and over)

    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return ""
        return with_unit(f"{num(self.low)}–{num(self.high)}", self.unit)

    def reference(self, sex: str = "") -> tuple[float, float] | None:
        if self.normal_by_sex and sex in self.normal_by_sex:
            return self.normal_by_sex[sex]
        if self.normal_by_sex:
            # Sex unknown: the union of both ranges, so nobody is flagged for their sex.
            lows, highs = zip(*self.normal_by_sex.values(), strict=True)
            return (min(lows), max(highs))
        return self.normal

    def reference_text(self, sex: str = "") -> str:
        ref = self.reference(sex)
        if ref is None:
            return ""
        low, high = ref
        if low <= 0:
            return f"<{num(high)}" if self.upper_exclusive else f"≤{num(high)}"
        if high >= 9999:
            return f"≥{num(low)}"
        return f"{num(low)}–{num(high)}"


def with_unit(value: float | str, unit: str) -> str:
    """'186 mmHg', '36.5℃', '0.8': a space before a unit spelled in letters."""
    text = value if isinstance(value, str) else num(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit[0] in "℃%" else f"{text} {unit}"


F = Field
FIELDS: tuple[Field, ...] = (
    # ------------------------------------------------------------------ 症状与一般状况
    F("symptoms", "症状", "multi", "general", choices=SYMPTOMS, hint="可多选；没有症状选“无症状”"),
    F("other_symptoms", "其他症状", "text", "general"),
    F("temperature", "体温", "float", "general", "℃", 34, 43, (36.0, 37.3)),
    F("pulse", "脉率", "int", "general", "次/分", 20, 250, (60, 100)),
    F("respiration", "呼吸频率", "int", "general", "次/分", 5, 60, (12, 24)),
    F("sbp_left", "血压 左侧 收缩压", "int", "general", "mmHg", 60, 300, (90, 139)),
    F("dbp_left", "血压 左侧 舒张压", "int", "general", "mmHg", 30, 200, (60, 89)),
    F("sbp_right", "血压 右侧 收缩压", "int", "general", "mmHg", 60, 300, (90, 139)),
    F("dbp_right", "血压 右侧 舒张压", "int", "general", "mmHg", 30, 200, (60, 89)),
    F("height_cm", "身高", "float", "general", "cm", 50, 250, column=True),
    F("weight_kg", "体重", "float", "general", "kg", 10, 300, column=True),
    F("waist_cm", "腰围", "float", "general", "cm", 40, 200,
      normal_by_sex={"男": (0, 90), "女": (0, 85)}, upper_exclusive=True),
    F("self_rated_health", "老年人健康状态自我评估", "choice", "general", choices=SELF_RATED,
      normal_choices=("satisfied", "mostly", "unsure"), elderly=True),
    F("self_care", "老年人生活自理能力自我评估", "choice", "general", choices=SELF_CARE,
      normal_choices=("independent",), elderly=True),
    F("cognition", "老年人认知功能", "choice", "general", choices=SCREEN,
      normal_choices=("negative",), elderly=True),
    F("mmse_score", "简易智力状态检查总分", "int", "general", "分", 0, 30, (24, 30),
      elderly=True, hint="认知粗筛阳性时做"),
    F("mood", "老年人情感状态", "choice", "general", choices=SCREEN,
      normal_choices=("negative",), elderly=True),
    F("depression_score", "老年人抑郁评分总分", "int", "general", "分", 0, 30, (0, 10),
      elderly=True, hint="情感粗筛阳性时做"),
    # ------------------------------------------------------------------ 生活方式
    F("exercise", "锻炼频率", "choice", "lifestyle", choices=EXERCISE),
    F("exercise_minutes", "每次锻炼时间", "int", "lifestyle", "分钟", 0, 600),
    F("exercise_years", "坚持锻炼时间", "int", "lifestyle", "年", 0, 100),
    F("exercise_kind", "锻炼方式", "text", "lifestyle"),
    F("diet", "饮食习惯", "multi", "lifestyle", choices=DIET),
    F("smoking", "吸烟状况", "choice", "lifestyle", choices=SMOKING),
    F("cigarettes_per_day", "日吸烟量", "int", "lifestyle", "支", 0, 100),
    F("smoking_start_age", "开始吸烟年龄", "int", "lifestyle", "岁", 5, 100),
    F("smoking_quit_age", "戒烟年龄", "int", "lifestyle", "岁", 5, 110),
    F("drinking", "饮酒频率", "choice", "lifestyle", choices=DRINKING),
    F("alcohol_liang", "日饮酒量", "float", "lifestyle", "两", 0, 50),
    F("drunk_last_year", "近一年内是否曾醉酒", "choice", "lifestyle", choices=YES_NO),
    F("occupational_exposure", "职业病危害因素接触史", "text", "lifestyle",
      hint="工种、从业时间、毒物种类；无则留空"),
    # ------------------------------------------------------------------ 脏器功能
    F("lips", "口唇", "choice", "organs", choices=LIPS, normal_choices=("rosy",)),
    F("dentition", "齿列", "choice", "organs", choices=DENTITION, normal_choices=("normal",)),
    F("pharynx", "咽部", "choice", "organs", choices=PHARYNX, normal_choices=("normal",)),
    F("vision_left", "视力 左眼", "float", "organs", "", 0, 2.0, (0.5, 2.0),
      hint="小数记录，如 0.8；戴镜者填矫正视力"),
    F("vision_right", "视力 右眼", "float", "organs", "", 0, 2.0, (0.5, 2.0)),
    F("hearing", "听力", "choice", "organs", choices=HEARING, normal_choices=("normal",)),
    F("motor", "运动功能", "choice", "organs", choices=MOTOR, normal_choices=("normal",),
      hint="两手摸后脑勺、捡起笔、从椅子站起行走几步、转身坐下"),
    # ------------------------------------------------------------------ 查体
    F("fundus", "眼底", "choice", "exam", choices=FUNDUS, normal_choices=("normal",)),
    F("skin", "皮肤", "choice", "exam", choices=SKIN, normal_choices=("normal",)),
    F("sclera", "巩膜", "choice", "exam", choices=SCLERA, normal_choices=("normal",)),
    F("lymph_nodes", "淋巴结", "choice", "exam", choices=LYMPH, normal_choices=("none",)),
    F("barrel_chest", "桶状胸", "choice", "exam", choices=YES_NO, normal_choices=("no",)),
    F("breath_sounds", "呼吸音", "choice", "exam", choices=BREATH, normal_choices=("normal",)),
    F("rales", "罗音", "choice", "exam", choices=RALES, normal_choices=("none",)),
    F("heart_rate", "心率", "int", "exam", "次/分", 20, 250, (60, 100)),
    F("rhythm", "心律", "choice", "exam", choices=RHYTHM, normal_choices=("regular",)),
    F("murmur", "杂音", "choice", "exam", choices=NONE_SOME, normal_choices=("none",)),
    F("abdominal_tenderness", "腹部压痛", "choice", "exam", choices=NONE_SOME,
      normal_choices=("none",)),
    F("abdominal_mass", "腹部包块", "choice", "exam", choices=NONE_SOME,
      normal_choices=("none",)),
    F("hepatomegaly", "肝大", "choice", "exam", choices=NONE_SOME, normal_choices=("none",)),
    F("splenomegaly", "脾大", "choice", "exam", choices=NONE_SOME, normal_choices=("none",)),
    F("shifting_dullness", "移动性浊音", "choice", "exam", choices=NONE_SOME,
      normal_choices=("none",)),
    F("leg_edema", "下肢水肿", "choice", "exam", choices=EDEMA, normal_choices=("none",)),
    F("foot_pulse", "足背动脉搏动", "choice", "exam", choices=FOOT_PULSE,
      normal_choices=("normal",), hint="糖尿病患者必查"),
    F("other_exam", "其他查体", "text", "exam"),
    # ------------------------------------------------------------------ 辅助检查
    F("hemoglobin", "血红蛋白", "int", "lab", "g/L", 20, 250,
      normal_by_sex={"男": (120, 160), "女": (110, 150)}),
    F("wbc", "白细胞", "float", "lab", "×10⁹/L", 0.1, 100, (3.5, 9.5)),
    F("platelets", "血小板", "int", "lab", "×10⁹/L", 1, 2000, (100, 350)),
    F("urine_protein", "尿蛋白", "choice", "lab", choices=URINE, normal_choices=("neg",)),
    F("urine_glucose", "尿糖", "choice", "lab", choices=URINE, normal_choices=("neg",)),
    F("urine_ketone", "尿酮体", "choice", "lab", choices=URINE, normal_choices=("neg",)),
    F("urine_blood", "尿潜血", "choice", "lab", choices=URINE, normal_choices=("neg",)),
    F("fasting_glucose", "空腹血糖", "float", "lab", "mmol/L", 1, 35, (3.9, 6.1), column=True),
    F("ecg", "心电图", "choice", "lab", choices=NORMAL_ABNORMAL, normal_choices=("normal",)),
    F("ecg_note", "心电图异常描述", "text", "lab"),
    F("alt", "血清谷丙转氨酶（ALT）", "int", "lab", "U/L", 1, 3000, (0, 40)),
    F("ast", "血清谷草转氨酶（AST）", "int", "lab", "U/L", 1, 3000, (0, 40)),
    F("albumin", "白蛋白", "float", "lab", "g/L", 10, 70, (40, 55)),
    F("bilirubin", "总胆红素", "float", "lab", "μmol/L", 1, 800, (0, 21)),
    F("creatinine", "血清肌酐", "int", "lab", "μmol/L", 10, 2500,
      normal_by_sex={"男": (53, 106), "女": (44, 97)}),
    F("urea", "血尿素", "float", "lab", "mmol/L", 0.5, 80, (2.9, 8.2)),
    F("total_cholesterol", "总胆固醇", "float", "lab", "mmol/L", 1, 25, (0, 5.18),
      upper_exclusive=True),
    F("triglycerides", "甘油三酯", "float", "lab", "mmol/L", 0.1, 50, (0, 1.70),
      upper_exclusive=True),
    F("ldl", "低密度脂蛋白胆固醇", "float", "lab", "mmol/L", 0.1, 20, (0, 3.37),
      upper_exclusive=True),
    F("hdl", "高密度脂蛋白胆固醇", "float", "lab", "mmol/L", 0.1, 6, (1.04, 9999)),
    F("ultrasound", "腹部B超", "choice", "lab", choices=NORMAL_ABNORMAL,
      normal_choices=("normal",)),
    F("ultrasound_note", "B超异常描述", "text", "lab"),
    F("other_lab", "其他检查", "text", "lab"),
    # ------------------------------------------------------------------ 现存健康问题
    F("cerebrovascular", "脑血管疾病", "multi", "problems", choices=CEREBRO),
    F("kidney", "肾脏疾病", "multi", "problems", choices=KIDNEY),
    F("heart", "心脏疾病", "multi", "problems", choices=HEART),
    F("vascular", "血管疾病", "multi", "problems", choices=VESSEL),
    F("eye", "眼部疾病", "multi", "problems", choices=EYE),
    F("nervous", "神经系统疾病", "text", "problems"),
    F("other_disease", "其他系统疾病", "text", "problems"),
    F("hospital_history", "住院治疗情况", "text", "problems", hint="入/出院日期、原因、医疗机构"),
    F("medications", "主要用药情况", "text", "problems",
      hint="每行一种：药名 用法 用量，如：硝苯地平缓释片 每日2次 每次10mg"),
    # ------------------------------------------------------------------ 评价与指导
    F("evaluation", "健康评价", "choice", "evaluation", choices=EVALUATIONS, column=True,
      hint="不选时按异常项自动判断"),
    F("abnormal_notes", "其他异常", "text", "evaluation", hint="医生发现的、上面未列出的异常"),
    F("guidance", "健康指导", "multi", "evaluation", choices=GUIDANCE),
    F("enrol", "纳入慢病管理", "multi", "evaluation",
      choices=ENROLABLE, hint="勾选后登记该病种，并按随访规则安排随访"),
    F("referral_to", "转诊机构及科别", "text", "evaluation"),
    F("risk_control", "危险因素控制", "multi", "evaluation", choices=RISK_CONTROL),
    F("target_weight_kg", "减体重目标", "float", "evaluation", "kg", 10, 300),
    F("vaccines", "建议接种疫苗", "text", "evaluation"),
    F("other_guidance", "其他指导", "text", "evaluation"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
COLUMN_KEYS = tuple(f.key for f in FIELDS if f.column)
# Pairs that must be typed together (systolic with diastolic).
BP_PAIRS = (("sbp_left", "dbp_left", "左侧"), ("sbp_right", "dbp_right", "右侧"))


def pages() -> list[tuple[str, str, list[Field]]]:
    """(page key, title, fields) in the order of the paper form."""
    return [(key, title, [f for f in FIELDS if f.page == key]) for key, title in PAGES.items()]


# ---------------------------------------------------------------------- parsing
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")


def parse_value(field: Field, raw: Any) -> Any:
    """Typed text (or a typed value) → the stored value; ValueError with a Chinese message."""
    if field.kind == "multi":
        if raw is None or raw == "":
            return []
        values = list(raw) if not isinstance(raw, str) else [
            s for s in re.split(r"[,，、;；\s]+", raw) if s]
        items = field.choice_items()
        by_label = {label: code for code, label in items}
        allowed = {code for code, _ in items}
        out = [by_label.get(v, v) for v in values]
        unknown = [v for v in out if v not in allowed]
        if unknown:
            raise ValueError(f"{field.label}没有“{'、'.join(unknown)}”这一项")
        return list(dict.fromkeys(out))
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw or "").strip().lower()
        if text in ("", "0", "否", "无", "false", "no"):
            return False
        if text in ("1", "是", "有", "true", "yes"):
            return True
        raise ValueError(f"{field.label}请填“是”或“否”")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip().translate(_FULL_WIDTH)
        if raw == "":
            return None
    if field.kind == "int":
        try:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{field.label}应为整数") from None
    if field.kind == "float":
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{field.label}应为数字") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{field.label}应为数字")
        return round(value, 2)
    if field.kind == "choice":
        return field.parse_choice(raw)
    return str(raw).strip()


def range_problem(field: Field, value: Any) -> str | None:
    """A number outside the plausible range: almost always a slip of the keyboard."""
    if value is None or field.low is None or field.high is None:
        return None
    if not field.low <= value <= field.high:
        return (f"{field.label} {with_unit(value, field.unit)} 不合理，"
                f"应在 {field.range_text()} 之间，请核对")
    return None


def parse_and_check(raw: Mapping[str, Any], *, today: dt.date, checkup_date: Any,
                    birth: dt.date | None = None
                    ) -> tuple[dt.date | None, dict[str, Any], dict[str, str]]:
    """Parse every typed value and check it; returns (date, values, {field: problem}).

    Empty values are dropped (not done); problems are in Chinese and name the field.
    """
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, text in raw.items():
        spec = FIELD_BY_KEY.get(key)
        if spec is None:
            problems[key] = f"体检表没有“{key}”这一项"
            continue
        try:
            value = parse_value(spec, text)
        except ValueError as exc:
            problems[key] = str(exc)
            continue
        if value is None or value == [] or value is False or value == "":
            continue
        problem = range_problem(spec, value)
        if problem:
            problems[key] = problem
            continue
        values[key] = value
    for sbp_key, dbp_key, side in BP_PAIRS:
        sbp, dbp = values.get(sbp_key), values.get(dbp_key)
        if sbp_key in problems or dbp_key in problems:
            continue
        if (sbp is None) != (dbp is None):
            problems[dbp_key if dbp is None else sbp_key] = \
                f"{side}血压请同时填写收缩压和舒张压"
        elif sbp is not None and dbp is not None and dbp >= sbp:
            problems[dbp_key] = f"{side}舒张压 {dbp} 不应高于或等于收缩压 {sbp}，请核对"
    if values.get("smoking_quit_age") and values.get("smoking_start_age") and \
            values["smoking_quit_age"] < values["smoking_start_age"]:
        problems["smoking_quit_age"] = "戒烟年龄早于开始吸烟年龄，请核对"
    if "无症状" in values.get("symptoms", []) and len(values["symptoms"]) > 1:
        problems["symptoms"] = "选了“无症状”就不能再选其他症状"
    date: dt.date | None = None
    try:
        date = checkup_date if isinstance(checkup_date, dt.date) else parse_date(
            str(checkup_date or ""))
    except ValueError as exc:
        problems["checkup_date"] = f"体检{exc}"
    if date is None and "checkup_date" not in problems:
        problems["checkup_date"] = "请填写体检日期"
    elif date is not None and date > today:
        problems["checkup_date"] = f"体检日期 {date} 在今天之后"
    elif date is not None and birth is not None and date < birth:
        problems["checkup_date"] = "体检日期早于出生日期"
    return date, values, problems


# ---------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Flag:
    """An abnormal (or urgent) finding, as the evaluation lists it."""

    key: str
    text: str
    urgent: bool = False


def bmi(weight_kg: float | None, height_cm: float | None) -> float | None:
    if not weight_kg or not height_cm:
        return None
    return round(weight_kg / (height_cm / 100) ** 2, 1)


# Chinese adult BMI standard (WS/T 428-2013): <18.5 underweight, ≥24 overweight, ≥28 obese.
BMI_LOW, BMI_OVER, BMI_OBESE = 18.5, 24.0, 28.0
# The diagnostic fasting-glucose threshold (WHO / 中国2型糖尿病防治指南): a finding to act on,
# not the profile's control target for patients already managed.
DIABETES_FASTING = 7.0


def bmi_text(value: float | None) -> str:
    if value is None:
        return ""
    if value < BMI_LOW:
        return "偏瘦"
    if value >= BMI_OBESE:
        return "肥胖"
    if value >= BMI_OVER:
        return "超重"
    return "正常"


def field_flag(field: Field, value: Any, sex: str = "") -> str | None:
    """'偏高' / '偏低' / '异常' for one value outside its reference, else None."""
    if value is None or value == "" or value == []:
        return None
    if field.kind in ("int", "float"):
        ref = field.reference(sex)
        if ref is None:
            return None
        if value < ref[0]:
            return "偏低"
        if value > ref[1] or (field.upper_exclusive and value >= ref[1]):
            return "偏高"
        return None
    if field.kind == "choice" and field.normal_choices:
        return None if value in field.normal_choices else "异常"
    return None


def flags(values: Mapping[str, Any], *, profile: Profile, on: dt.date, sex: str = ""
          ) -> list[Flag]:
    """Every abnormal finding of a checkup, urgent ones (the profile's emergency thresholds)
    first. The evaluation lists these; the doctor may add others in 其他异常."""
    out: list[Flag] = []
    for field in FIELDS:
        value = values.get(field.key)
        mark = field_flag(field, value, sex)
        if mark is None:
            continue
        if field.kind == "choice":
            shown = dict(field.choice_items()).get(value, value)
            out.append(Flag(field.key, f"{field.label}：{shown}"))
        else:
            ref = field.reference_text(sex)
            out.append(Flag(field.key, f"{field.label} {with_unit(value, field.unit)} {mark}"
                                       f"（参考 {ref}）"))
    index = bmi(values.get("weight_kg"), values.get("height_cm"))
    if index is not None and bmi_text(index) != "正常":
        out.append(Flag("bmi", f"体质指数 {index} {bmi_text(index)}（参考 18.5–23.9）"))
    # Urgent: the profile's emergency-referral thresholds (the same as for follow-ups).
    sbp_max = max((values.get(k) or 0 for k in ("sbp_left", "sbp_right")), default=0)
    dbp_max = max((values.get(k) or 0 for k in ("dbp_left", "dbp_right")), default=0)
    urgent: list[Flag] = []
    emergency_sbp = profile.value("bp.emergency_sbp", on)
    emergency_dbp = profile.value("bp.emergency_dbp", on)
    if (emergency_sbp is not None and sbp_max >= emergency_sbp) or \
            (emergency_dbp is not None and dbp_max >= emergency_dbp):
        urgent.append(Flag("bp", f"血压 {sbp_max}/{dbp_max} mmHg 达到紧急转诊标准"
                                 f"（≥{emergency_sbp}/{emergency_dbp}），请立即处理并转诊",
                           urgent=True))
    glucose = values.get("fasting_glucose")
    high = profile.value("glucose.emergency_high", on)
    low = profile.value("glucose.emergency_low", on)
    if glucose is not None and ((high is not None and glucose >= high) or
                                (low is not None and glucose <= low)):
        urgent.append(Flag("fasting_glucose", f"空腹血糖 {num(glucose)} mmol/L 达到紧急转诊标准"
                                              f"（≥{num(high)} 或 ≤{num(low)}），请立即处理并转诊",
                           urgent=True))
    return urgent + out


def evaluation(values: Mapping[str, Any], found: Sequence[Flag]) -> str:
    """The evaluation code: the doctor's choice, else abnormal when anything was flagged."""
    chosen = values.get("evaluation")
    if chosen:
        return str(chosen)
    return "abnormal" if found or values.get("abnormal_notes") else "normal"


def suggested_enrolment(values: Mapping[str, Any], found: Sequence[Flag]) -> list[str]:
    """Conditions the findings suggest managing (the doctor decides; nothing is automatic)."""
    keys = {f.key for f in found}
    out = []
    if keys & {"sbp_left", "dbp_left", "sbp_right", "dbp_right", "bp"}:
        out.append("hypertension")
    if (values.get("fasting_glucose") or 0) >= DIABETES_FASTING:
        out.append("diabetes")
    return out


def arm_bp(values: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The BP stored in the sbp/dbp columns: the arm with the higher systolic (as the spec
    asks the higher arm to be used for diagnosis and follow-up)."""
    arms = [(values.get(s), values.get(d)) for s, d, _ in BP_PAIRS
            if values.get(s) is not None and values.get(d) is not None]
    if not arms:
        return None, None
    return max(arms, key=lambda a: (a[0], a[1]))


@dataclass
class SavedCheckup:
    """What saving a checkup did: its id, findings, evaluation, and whom it enrolled."""

    id: str
    flags: list[Flag]
    evaluation: str
    enrolled: list[str]  # condition codes newly added for chronic management
    cost_fen: int | None


def display(field: Field, value: Any) -> str:
    """A stored value as the form or a list shows it."""
    if value is None or value == "" or value == []:
        return ""
    if field.kind == "choice":
        return dict(field.choice_items()).get(str(value), str(value))
    if field.kind == "multi":
        labels = dict(field.choice_items())
        return "、".join(labels.get(v, v) for v in value)
    if field.kind == "bool":
        return "是" if value else "否"
    if field.kind == "float":
        return num(value)
    return str(value)
