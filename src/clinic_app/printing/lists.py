"""The visit list (随访工作单) a doctor carries on a round, from 今日待办.

Landscape A4, most urgent first (the work list's order): who, where, phone, conditions, when
due and how late, the last visit's readings, why they are listed, and boxes for the result —
the doctor ticks and writes on the paper, then enters the visits when back at the clinic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from reportlab.platypus.flowables import Flowable

from clinic_app import work_list
from clinic_app.printing import pdfdoc
from clinic_app.printing.pdfdoc import Built, Styles, grid_table, para
from clinic_app.progress import Progress

CONDITION_SHORT = {"hypertension": "高血压", "diabetes": "糖尿病", "tuberculosis": "肺结核",
                   "severe_mental": "严重精神障碍"}


@dataclass(frozen=True)
class VisitList:
    title: str
    clinic: str
    scope: str  # 红星村 / 李建国的签约居民 / 全部
    as_of: dt.date
    rows: tuple[Mapping[str, Any], ...]

    def texts(self) -> list[tuple[str, str, str]]:
        out = [self.title, self.clinic, self.scope]
        for row in self.rows:
            out += [row.get("name", ""), row.get("village", ""), row.get("group_name", ""),
                    row.get("address", ""), row.get("rule", ""), *row.get("conditions", [])]
        return [(str(t), "随访工作单", "") for t in out if t]


def _row(index: int, item: Mapping[str, Any], st: Styles) -> list[Any]:
    age = f"{item['age']}岁" if item.get("age") is not None else ""
    place = "".join(p for p in (item.get("village", ""), item.get("group_name", "")) if p)
    if item.get("address") and item["address"] != place:
        place += f"\n{item['address']}"
    late = f"{item['overdue_days']}天" if item.get("overdue_days") else ""
    last = item.get("last_visit") or "从未随访"
    readings = [f"血压 {item['last_bp']}" if item.get("last_bp") else "",
                f"血糖 {item['last_glucose']}" if item.get("last_glucose") else ""]
    last_text = "\n".join([last, *[r for r in readings if r]])
    risk = work_list.risk_label(item)
    due_for = work_list.due_for_text(item, CONDITION_SHORT)
    hint = f"{risk}：{due_for}" + (f"\n{short_rule(item['rule'])}" if item.get("rule") else "")
    bold = st.cell_bold if item.get("risk", 3) <= 1 else st.cell
    return [para(index, st.cell), para(item.get("name", ""), st.cell_bold),
            para(f"{item.get('sex', '')}\n{age}", st.cell), para(place, st.cell),
            para(item.get("phone", ""), st.cell),
            para("、".join(item.get("conditions", [])), st.cell),
            para(item.get("due_on", ""), st.cell), para(late, bold), para(last_text, st.cell),
            para(hint, bold), para("□已随访\n□电话\n□未见到", st.cell), para("", st.cell)]


_AGREED = "医生约定的下次随访日期（规则建议："


def short_rule(rule: str) -> str:
    """The reason a patient is listed, short enough for the paper (the agreed date is the
    due date already printed beside it; the rule's own reason is what the doctor needs)."""
    if rule.startswith(_AGREED) and rule.endswith("）"):
        return rule[len(_AGREED):-1] + "（已约定日期）"
    return rule


def render(visit_list: VisitList, *, progress: Progress | None = None) -> Built:
    st = Styles(8.2)
    width = pdfdoc.usable_width("A4-landscape", 10 * mm, 10 * mm)
    story: list[Flowable] = [para(visit_list.title, st.title)]
    sub = "　".join(p for p in (visit_list.clinic, visit_list.scope,
                               f"日期：{visit_list.as_of}",
                               f"共 {len(visit_list.rows)} 人") if p)
    story.append(para(sub, st.subtitle))
    head = [para(t, st.cell_bold) for t in (
        "序号", "姓名", "性别\n年龄", "村组／住址", "电话", "慢病", "应随访", "逾期",
        "上次随访", "提示", "本次结果", "备注")]
    rows = [head] + [_row(n, item, st) for n, item in enumerate(visit_list.rows, 1)]
    mm_widths = (9, 22, 12, 30, 23, 24, 19, 12, 26, 52, 18)
    widths = [w * mm for w in mm_widths]
    widths.append(width - sum(widths))
    if len(rows) == 1:
        story.append(para("没有逾期或近期应随访的患者。", st.body))
    else:
        story.append(grid_table(rows, widths, padding=1.8))
    story.append(Spacer(1, 4 * mm))
    story.append(para("随访医生签字：＿＿＿＿＿＿＿＿　　回到卫生室后请及时录入随访记录。",
                      st.body))
    return pdfdoc.build(story, paper="A4-landscape", title=visit_list.title,
                        margins=(10 * mm, 10 * mm, 10 * mm, 15 * mm), progress=progress)


def scope_text(village: str = "", doctor: str = "") -> str:
    parts = [village, f"{doctor}的签约居民" if doctor else ""]
    return "　".join(p for p in parts if p) or "全部村"

