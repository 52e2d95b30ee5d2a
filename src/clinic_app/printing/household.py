"""户政策明白卡: one page per household (A4, or A5 at a smaller size), from ``HouseholdCard``.

Top to bottom: the title and the household; the signed doctors and their phones, large; every
member with conditions, contract and doctor; what the household is promised (checkups,
follow-ups, medicine box); what the policy pays, exactly as the profile holds it; the place's
policy lines; a signature line for the household. A big household simply continues on a second
page (the member table's header repeats) — nothing is shrunk past reading or cut off.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer, Table
from reportlab.platypus.flowables import Flowable
from reportlab.platypus.tables import TableStyle

from clinic_app.printing import fonts, pdfdoc
from clinic_app.printing.content import HouseholdCard
from clinic_app.printing.pdfdoc import Built, Marker, Styles, grid_table, para, rich
from clinic_app.progress import Progress, SilentProgress

BASE_SIZE = {"A4": 9.5, "A5": 7.4}


def _story(card: HouseholdCard, st: Styles, width: float) -> list[Flowable]:
    out: list[Flowable] = [para(card.title, st.title)]
    sub = "　".join(p for p in (card.clinic, f"政策依据：{card.policy_source}") if p)
    out.append(para(sub, st.subtitle))
    place = "".join(p for p in (card.village, card.group) if p)
    info = [
        [para("户　主", st.cell_bold), para(card.head or "（未指定）", st.cell),
         para("户编号", st.cell_bold), para(card.household_no, st.cell)],
        [para("村　组", st.cell_bold), para(place, st.cell),
         para("联系电话", st.cell_bold), para(card.phone, st.cell)],
    ]
    if card.address:
        info.append([para("住　址", st.cell_bold), para(card.address, st.cell), "", ""])
    label_w = 16 * mm
    value_w = (width - 2 * label_w) / 2
    spans = [("SPAN", (1, 2), (3, 2))] if card.address else []
    out.append(grid_table(info, [label_w, value_w, label_w, value_w], header_rows=0,
                          extra=[("BACKGROUND", (0, 0), (0, -1), pdfdoc.SHADE),
                                 ("BACKGROUND", (2, 0), (2, 1), pdfdoc.SHADE), *spans]))
    out.append(Spacer(1, st.base * 0.6))
    # The doctors first and large: the phone number is what the household needs most.
    if card.doctors:
        rows = []
        for name, phone, team, team_phone in card.doctors:
            line = f"签约医生　<b>{escape(name)}</b>　手机　<b>{escape(phone or '—')}</b>"
            if team_phone:
                line += f"　　{escape(team or '团队')}电话　{escape(team_phone)}"
            rows.append([rich(line, st.big)])
        box = Table(rows, colWidths=[width], hAlign="LEFT")
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.0, pdfdoc.HEAD),
                                 ("BACKGROUND", (0, 0), (-1, -1), pdfdoc.SHADE),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 6),
                                 ("TOPPADDING", (0, 0), (-1, -1), 3),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
        out.append(box)
        out.append(Spacer(1, st.base * 0.3))  # the hint is not part of the box: air between
        out.append(para("身体不适、需要随访或转诊，请先联系您的签约医生。", st.small))
    else:
        out.append(para("本户目前没有有效的家庭医生签约，请联系村卫生室签约。", st.big))

    out.append(para("家庭成员与签约服务", st.heading))
    head = [para(t, st.cell_bold) for t in ("姓名", "关系", "性别", "出生年月", "人员类别",
                                            "慢病／疾病", "签约医生", "服务包与签约期")]
    rows = [head]
    fractions = (0.16, 0.07, 0.05, 0.09, 0.12, 0.17, 0.14, 0.20)
    contract_w = width * fractions[-1] - 5
    for m in card.members:
        # The phones are in the box above: the table names the doctor only, so a row of a
        # big household stays two lines high and the card keeps to one page.
        contract = "\n".join(p for p in (m.package, _term(m.term, contract_w, st)) if p) \
            or "未签约"
        doctor = m.doctor or "—"
        rows.append([para(m.name, st.cell_bold), para(m.relation, st.cell),
                     para(m.sex, st.cell), para(m.born, st.cell), para(m.category, st.cell),
                     para("、".join(m.conditions) or "—", st.cell), para(doctor, st.cell),
                     para(contract, st.cell)])
    out.append(grid_table(rows, [width * f for f in fractions]))

    out.append(para("我们为您提供", st.heading))
    out += [para(f"• {line}", st.body) for line in card.promises]
    medicine_rows = [(m.name, m.medicines) for m in card.members if m.medicines]
    if medicine_rows:
        out.append(para("慢病小药箱（签约医生代购、结算、送药）", st.heading))
        rows = [[para(name, st.cell_bold), para("；".join(items), st.cell)]
                for name, items in medicine_rows]
        out.append(grid_table(rows, [width * 0.18, width * 0.82], header_rows=0))

    if card.benefits:
        out.append(CondPageBreak(40 * mm))  # the heading never ends a page alone
        out.append(para("政策待遇", st.heading))
        cells = [[para(label, st.cell_bold), para(value, st.cell)]
                 for label, value in card.benefits]
        half = -(-len(cells) // 2)
        left, right = cells[:half], cells[half:]
        right += [["", ""]] * (len(left) - len(right))
        rows = [[*a, *b] for a, b in zip(left, right, strict=True)]
        label_w = width * 0.2
        out.append(grid_table(rows, [label_w, width / 2 - label_w] * 2, header_rows=0,
                              extra=[("BACKGROUND", (0, 0), (0, -1), pdfdoc.SHADE),
                                     ("BACKGROUND", (2, 0), (2, -1), pdfdoc.SHADE)]))
    if card.policy_lines:  # kept together: a page break never splits the policy list
        out.append(KeepTogether([para("健康扶贫政策要点", st.heading), *[
            para(f"{n}. {line}", st.body) for n, line in enumerate(card.policy_lines, 1)]]))
    if card.issue:
        out.append(Spacer(1, st.base * 0.4))
        out.append(para(f"发放：{card.issue}", st.small))
    signature = Table([[para("户主（或家庭成员）签字：＿＿＿＿＿＿＿＿", st.body),
                        para("签约医生签字：＿＿＿＿＿＿＿＿", st.body),
                        para("日期：＿＿＿＿年＿＿月＿＿日", st.body)]],
                      colWidths=[width * 0.4, width * 0.32, width * 0.28], hAlign="LEFT")
    signature.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), st.base * 1.2)]))
    out.append(KeepTogether([Spacer(1, st.base), para("以上内容已向本户讲解，本户已知晓。",
                                                      st.body), signature]))
    return out


def _term(term: str, width: float, st: Styles) -> str:
    """The contract term on one line if it fits the column, else broken after 至 (never
    inside a date)."""
    compact = term.replace(" ", "")
    if "至" not in compact or fonts.width(compact, fonts.REGULAR, st.cell.fontSize) <= width:
        return compact
    return compact.replace("至", "至\n")


def render(cards: Sequence[HouseholdCard], paper: str = "A4", *,
           progress: Progress | None = None) -> Built:
    """One household per page (or more, for a big one); A4 or A5."""
    if paper not in BASE_SIZE:
        raise ValueError(f"unknown paper {paper}")
    progress = progress or SilentProgress()
    st = Styles(BASE_SIZE[paper])
    margin = 12 * mm if paper == "A4" else 9 * mm
    width = pdfdoc.usable_width(paper, margin, margin)
    starts: dict[str, int] = {}
    story: list[Flowable] = []
    for index, card in enumerate(cards):
        if index:
            story.append(PageBreak())
        story.append(Marker(starts, card.household_id,
                            f"{card.head or '（未指定户主）'}户 {card.household_no}".strip()))
        story += _story(card, st, width)
        if index % 20 == 0:
            progress.update(index, len(cards), "正在排版明白卡")
    progress.update(len(cards), len(cards), "正在生成PDF")
    title = cards[0].title if cards else "明白卡"
    return pdfdoc.build(story, paper=paper, title=title, footer=title,
                        margins=(margin, margin, margin, 15 * mm), progress=progress,
                        starts=starts)
