"""Coded values stored in the register, each with its Chinese label.

Identifiers follow the glossary in DOMAIN.md. Categories that policy may change (poverty
categories after 2020, disease lists) are stored as data; this module only names the codes the
program itself reasons about and gives every stored code a label for screens and paper.
"""

from __future__ import annotations

SEXES = ("男", "女")

PLACE_KINDS = {"county": "县/区", "township": "乡镇", "village": "行政村", "group": "组"}

# 人员类别: kept as data (a resident may move from 建档立卡 to 脱贫户 after 2020).
POVERTY_CATEGORIES = {
    "poverty_registered": "建档立卡贫困人口",
    "dibao": "低保",
    "tekun": "特困/五保",
    "poor_disabled": "贫困残疾人",
    "lifted": "脱贫户",
    "monitored": "防止返贫监测对象",
    "none": "一般人群",
}

POVERTY_STATUS = {"not_lifted": "未脱贫", "lifted": "已脱贫"}

INSURANCE_KINDS = {
    "resident": "城乡居民医保",
    "ncms": "新农合",
    "employee": "职工医保",
    "none": "未参保",
}

RELATIONS = (
    "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女",
    "之父", "之母", "兄弟姐妹", "其他",
)

RESIDENT_STATUS = {"active": "在册", "moved": "迁出", "deceased": "死亡", "lifted": "脱贫退出"}

# 三个一批
TREATMENT_BATCHES = {
    "major": "大病集中救治一批",
    "chronic": "慢病签约服务管理一批",
    "severe": "重病兜底保障一批",
    "none": "未分类",
}

# Chronic conditions the follow-up rules know. Other conditions may be recorded with any code
# from a policy profile's disease lists; these four have national follow-up forms.
CHRONIC_CONDITIONS = {
    "hypertension": "高血压",
    "diabetes": "2型糖尿病",
    "tuberculosis": "肺结核",
    "severe_mental": "严重精神障碍",
}

OTHER_CONDITIONS = {
    "chd": "冠心病",
    "stroke": "脑卒中",
    "copd": "慢性阻塞性肺疾病",
    "ckd": "慢性肾病",
    "cancer": "恶性肿瘤",
    "cataract": "白内障",
    "arthritis": "类风湿关节炎",
}

CONDITIONS = {**CHRONIC_CONDITIONS, **OTHER_CONDITIONS}

CONDITION_STATUS = {"active": "管理中", "closed": "已销号"}

DISABILITY_KINDS = {
    "": "无",
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}

DOCTOR_ROLES = {
    "village_doctor": "乡村医生",
    "gp": "全科医生",
    "nurse": "护士",
    "public_health": "公卫医生",
    "specialist": "专科医生",
}

CONTRACT_STATUS = {
    "none": "未签约",
    "active": "履约中",
    "expiring": "即将到期",
    "expired": "已到期",
    "ended": "已解约",
}

CONTRACT_END_REASONS = {"death": "死亡", "moved": "迁出", "refused": "本人拒绝", "other": "其他"}

FOLLOW_UP_METHODS = {"clinic": "门诊", "home": "家庭", "phone": "电话"}

FOLLOW_UP_CLASSES = {
    "controlled": "控制满意",
    "uncontrolled": "控制不满意",
    "adverse": "不良反应",
    "complication": "并发症",
}

PAYERS = {"insurance": "医保", "free_fund": "免费药品基金", "patient": "个人"}


# Column names as the change history shows them.
FIELD_LABELS = {
    "name": "姓名", "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期",
    "phone": "电话", "ethnicity": "民族", "poverty_category": "人员类别",
    "poverty_status": "脱贫状态", "insurance": "医保类型", "insurance_no": "医保号",
    "disability": "残疾类别", "disability_grade": "残疾等级", "treatment_batch": "三个一批",
    "relation": "与户主关系", "household_id": "所在户", "status": "状态",
    "status_date": "状态日期", "status_reason": "原因", "notes": "备注",
    "name_pinyin": "拼音", "name_initials": "拼音首字母", "head_id": "户主",
}


def label(table: dict[str, str], code: str | None, default: str = "") -> str:
    """The Chinese label of a code, or the code itself when it is not known (kept as data)."""
    if code is None:
        return default
    return table.get(code, code)
