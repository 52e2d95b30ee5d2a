"""Follow-up record forms (blank and filled) and the checkup report.

Follow-up forms follow the national paper forms: one row per item, one column per visit (four
to a sheet). The items are the field specs of ``domain/followup.py`` — the same list the entry
form and the checks use — so a field added there prints here without a change. A filled form
shows the latest visits, oldest on the left, and leaves columns empty for the next visits; a
blank form prints the choices as boxes to tick. Any stored value that no field describes (a key
of the ``data`` column from an older version) is printed too, under 其他记录, never dropped.

The checkup report prints every item done, grouped as the pages of the form in
``domain/checkup.py``, with its unit, the reference range and a mark when it is outside it,
then the abnormal findings and the evaluation. A stored key that no field describes is printed
with its key under 其他记录, so a checkup saved by any version prints whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer
from reportlab.platypus.flowables import Flowable

from clinic_app.domain import checkup, followup, ids
from clinic_app.domain.models import yuan
from clinic_app.printing import pdfdoc
from clinic_app.printing.pdfdoc import Built, Marker, Styles, grid_table, para
from clinic_app.progress import Progress, SilentProgress

COLUMNS = 4  # visits per sheet, as on the national forms
# Keys stored with a visit that are bookkeeping, not part of the paper form.
_INTERNAL = {"override_reason", "proposed_classification", "proposed_next_on"}
_EXTRA_LABELS = {"correction_reason": "更正原因"}


@dataclass(frozen=True)
class FormSheet:
    """One printed follow-up form: whose (empty for an anonymous blank), which form, visits."""

    resident_id: str
    form: str
    header: Mapping[str, Any] = field(default_factory=dict)
    visits: tuple[Mapping[str, Any], ...] = ()  # values, oldest first
    doctors: Mapping[str, str] = field(default_factory=dict)  # doctor id → name

    @property
    def key(self) -> str:
        return f"{self.resident_id}:{self.form}"

    def texts(self) -> list[tuple[str, str, str]]:
        who = f"{self.header.get('name', '')}的随访表"
        out = [str(v) for v in self.header.values() if isinstance(v, str)]
        for visit in self.visits:
            out += [str(v) for v in visit.values() if isinstance(v, str)]
            out += [m.get("name", "") for m in visit.get("medicines") or []
                    if isinstance(m, Mapping)]
        out += list(self.doctors.values())
        return [(t, who, self.resident_id) for t in out if t]


def header_rows(header: Mapping[str, Any], st: Styles) -> list[list[Any]]:
    """Identity of the person a form is for (blank lines when there is nobody yet)."""
    birth = header.get("birth_date") or ""
    place = "".join(p for p in (header.get("village") or "", header.get("group_name") or "")
                    if p)
    phone = header.get("phone") or header.get("household_phone") or ""
    pairs = [("姓名", header.get("name", "")), ("性别", header.get("sex", "")),
             ("出生日期", birth), ("身份证号", ids.mask(header.get("id_number") or "")),
             ("户编号", header.get("household_no", "")), ("村组", place),
             ("联系电话", phone), ("住址", header.get("address", ""))]
    cells = [[para(label, st.cell_bold), para(value or "", st.cell)] for label, value in pairs]
    return [[*cells[i], *cells[i + 1], *cells[i + 2], *cells[i + 3]] for i in (0, 4)]


def _header_table(header: Mapping[str, Any], st: Styles, width: float) -> Flowable:
    label = 15 * mm
    value = width / 4 - label
    return grid_table(header_rows(header, st), [label, value] * 4, header_rows=0,
                      extra=[("BACKGROUND", (c, 0), (c, -1), pdfdoc.SHADE) for c in (0, 2, 4, 6)])


def _blank_cell(spec: followup.Field) -> str:
    if spec.kind in ("choice", "multi"):
        return "　".join(f"□{label}" for _, label in spec.choice_items())
    if spec.kind == "bool":
        return "□是　□否"
    if spec.kind == "date":
        return "＿＿＿年＿＿月＿＿日"
    if spec.kind == "medicines":
        return "\n\n\n"
    return ""


def _value(spec: followup.Field, value: Any, doctors: Mapping[str, str]) -> str:
    if spec.kind == "doctor":
        return doctors.get(value or "", "") if value else ""
    return followup.display(spec, value)


def _form_rows(sheet: FormSheet, st: Styles) -> list[list[Any]]:
    visits = list(sheet.visits)[-COLUMNS:]
    blanks = COLUMNS - len(visits)
    rows: list[list[Any]] = [[para("项目", st.cell_bold)] + [
        para(f"第{n}次随访", st.cell_bold) for n in range(1, COLUMNS + 1)]]
    specs = followup.fields_of(sheet.form)
    keys = {s.key for s in specs}
    for spec in specs:
        if spec.key in ("dbp", *_INTERNAL):
            continue
        label = f"{spec.label}（{spec.unit}）" if spec.unit else spec.label
        if spec.key == "sbp":
            label = "血压（mmHg）"
            cells = [f"{v.get('sbp')}/{v.get('dbp')}" if v.get("sbp") is not None else ""
                     for v in visits]
            blank = "＿＿＿/＿＿＿"
        else:
            cells = [_value(spec, v.get(spec.key), sheet.doctors) for v in visits]
            blank = _blank_cell(spec)
        rows.append([para(label, st.cell_bold), *[para(c, st.cell) for c in cells],
                     *[para(blank, st.small) for _ in range(blanks)]])
        if spec.key == "weight_kg" and sheet.form in followup.BP_FORMS:
            values = [followup.bmi(v.get("weight_kg"), v.get("height_cm")) for v in visits]
            rows.append([para("体质指数（kg/m²）", st.cell_bold),
                         *[para("" if b is None else b, st.cell) for b in values],
                         *[para("", st.cell) for _ in range(blanks)]])
    # Anything stored that no field of this form describes: printed, never dropped.
    # (A severe-mental visit keeps its stability in the classification column too: the same
    # value, already printed as 此次随访分类.)
    skip = keys | _INTERNAL | ({"classification"} if sheet.form == followup.SMI else set())
    extra = sorted({k for v in visits for k in v if k not in skip
                    and v.get(k) not in (None, "", [], {})})
    for key in extra:
        spec = followup.FIELD_BY_KEY.get(key)
        label = _EXTRA_LABELS.get(key) or (spec.label if spec else key)
        cells = [followup.display(spec, v.get(key)) if spec else _plain(v.get(key))
                 for v in visits]
        rows.append([para(f"其他记录：{label}", st.cell_bold),
                     *[para(c, st.cell) for c in cells],
                     *[para("", st.cell) for _ in range(blanks)]])
    return rows


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return "；".join(f"{k}：{_plain(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def follow_up_story(sheet: FormSheet, st: Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = [para(followup.FORMS[sheet.form], st.title),
                           _header_table(sheet.header, st, width), Spacer(1, 2 * mm)]
    label_w = width * 0.2
    out.append(grid_table(_form_rows(sheet, st), [label_w] + [(width - label_w) / COLUMNS]
                          * COLUMNS, padding=2.4,
                          extra=[("BACKGROUND", (0, 1), (0, -1), pdfdoc.SHADE),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out.append(Spacer(1, 2 * mm))
    out.append(para("填表说明：按国家基本公共卫生服务规范（第三版）随访服务记录表填写；"
                    "选项在□内打“√”。", st.small))
    return out


def render_follow_up_forms(sheets: Sequence[FormSheet], *, progress: Progress | None = None
                           ) -> Built:
    progress = progress or SilentProgress()
    st = Styles(8.2)
    width = pdfdoc.usable_width("A4", 10 * mm, 10 * mm)
    starts: dict[str, int] = {}
    story: list[Flowable] = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.append(Marker(starts, sheet.key, str(sheet.header.get("name") or "")))
        story += follow_up_story(sheet, st, width)
        if index % 20 == 0:
            progress.update(index, len(sheets), "正在排版随访表")
    return pdfdoc.build(story, paper="A4", title="慢病患者随访服务记录表",
                        margins=(10 * mm, 10 * mm, 10 * mm, 15 * mm), progress=progress,
                        starts=starts)


# ------------------------------------------------------------------------- checkup report

EVALUATIONS = checkup.EVALUATIONS
# Stored with a checkup but not items of the form: the findings as the doctor saw them when
# saving (printed as 异常情况) and the reason of a correction (printed at the end).
_CHECKUP_NOTES = {"abnormal_items", "correction_reason", "evaluation"}


@dataclass(frozen=True)
class CheckupSheet:
    resident_id: str
    header: Mapping[str, Any]
    checkup_date: str
    doctor: str
    values: Mapping[str, Any]  # the row's columns and its data, merged
    cost_fen: int | None
    form_name: str

    def texts(self) -> list[tuple[str, str, str]]:
        who = f"{self.header.get('name', '')}的体检报告"
        out = [str(v) for v in self.header.values() if isinstance(v, str)]
        out += [self.doctor, self.form_name]
        out += [_plain(v) for v in self.values.values()]
        return [(t, who, self.resident_id) for t in out if t]


def _checkup_rows(sheet: CheckupSheet, st: Styles, profile: Any, on: dt.date
                  ) -> tuple[list[tuple[str, list[list[Any]]]], list[str]]:
    """(page title, rows) for every item done, grouped as the form's pages; the findings."""
    sex = str(sheet.header.get("sex") or "")
    values = dict(sheet.values)
    sections: list[tuple[str, list[list[Any]]]] = []
    described: set[str] = set(_CHECKUP_NOTES)
    for _key, title, fields in checkup.pages():
        rows = []
        for spec in fields:
            described.add(spec.key)
            value = values.get(spec.key)
            if spec.key in _CHECKUP_NOTES or value in (None, "", [], False):
                continue
            text = f"{checkup.display(spec, value)} {spec.unit}".strip()
            flag = checkup.field_flag(spec, value, sex) or ""
            rows.append([para(spec.label, st.cell_bold), para(text, st.cell),
                         para(flag, st.cell_bold), para(spec.reference_text(sex), st.cell)])
        keys = {spec.key for spec in fields}
        index = checkup.bmi(values.get("weight_kg"), values.get("height_cm"))
        if index is not None and "weight_kg" in keys:
            mark = checkup.bmi_text(index)
            rows.append([para("体质指数", st.cell_bold), para(f"{index} kg/m²", st.cell),
                         para("" if mark == "正常" else mark, st.cell_bold),
                         para("18.5–23.9", st.cell)])
        if rows:
            sections.append((title, rows))
    if "sbp" in values and "dbp" in values and not any(
            values.get(k) is not None for k in ("sbp_left", "sbp_right")):
        # Saved with only the stored BP columns (older records): print those.
        sections.insert(0, ("一般状况", [[
            para("血压", st.cell_bold), para(f"{values['sbp']}/{values['dbp']} mmHg", st.cell),
            para("", st.cell), para("", st.cell)]]))
    described |= {"sbp", "dbp"}
    extra = [[para(key, st.cell_bold), para(_plain(values[key]), st.cell), para("", st.cell),
              para("", st.cell)] for key in sorted(values)
             if key not in described and values[key] not in (None, "", [], {}, False)]
    if extra:  # keys no field describes (another version's): printed, never dropped
        sections.append(("其他记录", extra))
    stored = values.get("abnormal_items")
    if isinstance(stored, list):
        findings = [str(f) for f in stored]
    else:
        findings = [f.text for f in checkup.flags(values, profile=profile, on=on, sex=sex)]
    return sections, findings


def checkup_story(sheet: CheckupSheet, st: Styles, width: float, profile: Any,
                  on: dt.date) -> list[Flowable]:
    out: list[Flowable] = [para("健康体检报告", st.title),
                           para(sheet.form_name, st.subtitle),
                           _header_table(sheet.header, st, width), Spacer(1, 2 * mm)]
    facts = [[para("体检日期", st.cell_bold), para(sheet.checkup_date, st.cell),
              para("体检医生", st.cell_bold), para(sheet.doctor, st.cell),
              para("费用标准", st.cell_bold),
              para(f"{yuan(sheet.cost_fen)} 元" if sheet.cost_fen is not None else "",
                   st.cell)]]
    out.append(grid_table(facts, [width / 6] * 6, header_rows=0))
    sections, findings = _checkup_rows(sheet, st, profile, on)
    widths = [width * 0.3, width * 0.34, width * 0.12, width * 0.24]
    for title, rows in sections:
        out.append(para(title, st.heading))
        head = [para(t, st.cell_bold) for t in ("项目", "结果", "提示", "参考范围")]
        out.append(grid_table([head, *rows], widths))
    if not sections:
        out.append(para("这次体检没有记录检查结果。", st.body))
    out.append(para("健康评价", st.heading))
    evaluation = sheet.values.get("evaluation") or ""
    out.append(para(EVALUATIONS.get(evaluation, evaluation) or "未评价", st.body))
    for line in findings:
        out.append(para(f"• {line}", st.body))
    if sheet.values.get("correction_reason"):
        out.append(para(f"（本报告为更正后的记录，更正原因：{sheet.values['correction_reason']}）",
                        st.small))
    out.append(Spacer(1, 6 * mm))
    out.append(para("体检医生签字：＿＿＿＿＿＿＿＿　　　　居民（家属）签字：＿＿＿＿＿＿＿＿",
                    st.body))
    return out


def render_checkups(sheets: Sequence[CheckupSheet], profile: Any, on: dt.date, *,
                    progress: Progress | None = None) -> Built:
    progress = progress or SilentProgress()
    st = Styles(9)
    width = pdfdoc.usable_width("A4")
    starts: dict[str, int] = {}
    story: list[Flowable] = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.append(Marker(starts, sheet.resident_id, str(sheet.header.get("name") or "")))
        story += checkup_story(sheet, st, width, profile, on)
        progress.update(index + 1, len(sheets), "正在排版体检报告")
    return pdfdoc.build(story, paper="A4", title="健康体检报告", progress=progress,
                        starts=starts)

