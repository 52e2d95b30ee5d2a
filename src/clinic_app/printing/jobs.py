"""Print jobs: choose who is printed, check the font, render, and describe what was printed.

Every job is a plain function ``f(clinic, …, progress=None) -> PrintOutput`` that the UI runs
through ``ui/tasks.run_task`` and the command line runs directly. Nothing is written while a
job renders; once the paper is really printed (or the PDF saved), the caller records it with
``output.record(clinic)`` → ``Clinic.record_print`` (one ``print_log`` row per subject, the
content hash of what was printed), which is what makes "changed since last print" and
one-click reprints work.

Missing glyphs: ``missing="error"`` (default) raises ``MissingGlyphs`` listing every text the
font cannot draw, before anything is rendered; ``"mark"`` prints each such character as “□”
for the doctor to write in by hand; ``"skip"`` leaves those subjects out (listed in
``output.skipped``). Nothing is ever printed blank.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from clinic_app.domain import followup
from clinic_app.errors import ClinicError
from clinic_app.fileio import write_bytes
from clinic_app.printing import contact_card, content, fonts, forms, household, lists, report
from clinic_app.printing.content import CONTACT_CARD, HOUSEHOLD_CARD, Skipped
from clinic_app.printing.fonts import GlyphProblem, MissingGlyphs
from clinic_app.progress import Progress, SilentProgress

if TYPE_CHECKING:
    from clinic_app.clinic import Clinic

MISSING_MODES = ("error", "mark", "skip")
T = TypeVar("T")


@dataclass(frozen=True)
class PrintedItem:
    """One subject in a printed document: whose it is, which version, on which pages."""

    subject_id: str
    content_hash: str
    label: str
    pages: tuple[int, ...]


@dataclass
class PrintOutput:
    """A rendered PDF and what it holds; ``record`` it once it has really been printed."""

    kind: str
    pdf: bytes
    pages: int
    items: list[PrintedItem]
    params: dict[str, Any]
    skipped: list[Skipped] = field(default_factory=list)
    marked: list[GlyphProblem] = field(default_factory=list)  # printed with □ (missing="mark")
    placements: list[contact_card.Placement] = field(default_factory=list)  # contact cards

    def save(self, path: Path | str) -> Path:
        """Write the PDF (a half-written one never takes the real name; why not, in Chinese)."""
        return write_bytes(path, self.pdf)

    def record(self, clinic: Clinic) -> str:
        """Record this print in print_log; returns the job id (for reprinting)."""
        return clinic.record_print(self.kind, [(i.subject_id, i.content_hash)
                                               for i in self.items], self.params)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (the command line's --json output)."""
        return {"kind": self.kind, "pages": self.pages, "bytes": len(self.pdf),
                "printed": [{"id": i.subject_id, "label": i.label, "pages": list(i.pages),
                             "content_hash": i.content_hash} for i in self.items],
                "skipped": [dataclasses.asdict(s) for s in self.skipped],
                "marked": [p.describe() for p in self.marked], "params": self.params}


class NothingToPrint(ClinicError):
    """The batch is empty (nobody chosen, or nobody changed since the last print)."""

    def __init__(self, message: str, skipped: Sequence[Skipped] = ()) -> None:
        self.skipped = list(skipped)
        if skipped:
            message += "（" + skipped_summary(skipped) + "）"
        super().__init__(message)


SKIP_LABELS = {"inactive": "已不在册", "unsigned": "未签约", "expired": "签约已到期未续约",
               "ended": "已解约",
               "missing": "找不到", "empty": "没有在册成员", "glyphs": "含生僻字",
               "no_checkup": "没有体检记录"}


def skipped_summary(skipped: Sequence[Skipped]) -> str:
    """'未签约 150；签约已到期未续约 63' — who was left out, counted by reason."""
    counts: dict[str, int] = {}
    for item in skipped:
        label = SKIP_LABELS.get(item.code, item.reason)
        counts[label] = counts.get(label, 0) + 1
    return "；".join(f"{label} {n}" for label, n in counts.items())


# ------------------------------------------------------------------------- shared steps


def _marked(value: T) -> T:
    """The same content with every character the font lacks replaced by □."""
    if isinstance(value, str):
        return fonts.mark_missing(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_marked(v) for v in value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [_marked(v) for v in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _marked(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if not f.name.endswith("_id")}
        return dataclasses.replace(value, **changes)
    return value


def apply_missing(subjects: Sequence[T], texts: Callable[[T], list[tuple[str, str, str]]],
                  subject_id: Callable[[T], str], label: Callable[[T], str], missing: str
                  ) -> tuple[list[T], list[GlyphProblem], list[Skipped]]:
    """Check every text for missing glyphs and apply the chosen mode.

    Returns (subjects to print, problems marked with □, subjects skipped).
    """
    if missing not in MISSING_MODES:
        raise ValueError(f"missing must be one of {MISSING_MODES}")
    problems = fonts.missing_glyphs([t for s in subjects for t in texts(s)])
    if not problems:
        return list(subjects), [], []
    if missing == "error":
        raise MissingGlyphs(problems)
    bad = {p.subject_id for p in problems}
    if missing == "skip":
        keep = [s for s in subjects if subject_id(s) not in bad]
        skipped = [Skipped(subject_id(s), label(s), "含字库中没有的生僻字，未打印",
                           "glyphs")
                   for s in subjects if subject_id(s) in bad]
        return keep, [], skipped
    return [_marked(s) if subject_id(s) in bad else s for s in subjects], problems, []


def _changed(clinic: Clinic, kind: str, subjects: Sequence[T],
             subject_id: Callable[[T], str], digest: Callable[[T], str]) -> list[T]:
    """Subjects whose content differs from their last print (or never printed)."""
    last = clinic.last_printed(kind, [subject_id(s) for s in subjects])
    return [s for s in subjects if last.get(subject_id(s)) != digest(s)]


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, False, [], ())}


# ------------------------------------------------------------------------- 联系卡


def contact_cards_pdf(clinic: Clinic, *, village_id: str | None = None,
                      household_ids: Sequence[str] | None = None,
                      resident_ids: Sequence[str] | None = None, changed_only: bool = False,
                      layout: str = "duplex", missing: str = "error",
                      progress: Progress | None = None) -> PrintOutput:
    """签约服务联系卡 for a village, some households or some residents (default: everyone).

    changed_only keeps residents whose card differs from its last print (or never printed).
    layout: "duplex" (10 per A4, backs on the next page), "foldover" (5 per A4, front and
    back side by side) or "single" (one 85.6 × 54 mm page per side, for a card printer).
    """
    progress = progress or SilentProgress()
    if layout not in contact_card.LAYOUTS:
        raise ClinicError(f"未知的版式 {layout}（可选：{'、'.join(contact_card.LAYOUTS)}）")
    progress.update(0, 0, "正在读取签约信息")
    ids = clinic.print_subjects("resident", village_id=village_id,
                                household_ids=household_ids, resident_ids=resident_ids)
    cards, skipped = content.contact_cards(clinic, ids)
    if changed_only:
        cards = _changed(clinic, CONTACT_CARD, cards, lambda c: c.resident_id,
                         lambda c: c.content_hash)
    hashes = {c.resident_id: c.content_hash for c in cards}  # of the content, before any □
    cards, marked, bad = apply_missing(cards, lambda c: c.texts(), lambda c: c.resident_id,
                                       lambda c: c.name, missing)
    skipped += bad
    if not cards:
        raise NothingToPrint("没有需要打印的联系卡" + ("：自上次打印以来没有变化"
                                                      if changed_only else ""), skipped)
    sheet = contact_card.render(cards, layout, progress=progress)
    pages: dict[str, list[int]] = {}
    for place in sheet.placements:
        pages.setdefault(place.subject_id, []).append(place.page)
    items = [PrintedItem(c.resident_id, hashes[c.resident_id], c.name,
                         tuple(sorted(set(pages[c.resident_id])))) for c in cards]
    params = _params(layout=layout, village_id=village_id, changed_only=changed_only,
                     count=len(items))
    return PrintOutput(CONTACT_CARD, sheet.pdf, sheet.pages, items, params, skipped, marked,
                       sheet.placements)


# ------------------------------------------------------------------------- 明白卡


def household_cards_pdf(clinic: Clinic, *, village_id: str | None = None,
                        household_ids: Sequence[str] | None = None,
                        resident_ids: Sequence[str] | None = None, changed_only: bool = False,
                        paper: str = "A4", missing: str = "error",
                        progress: Progress | None = None) -> PrintOutput:
    """户政策明白卡, one page per household (A4 or A5), for a village or chosen households."""
    progress = progress or SilentProgress()
    if paper not in household.BASE_SIZE:
        raise ClinicError(f"明白卡只能用 A4 或 A5 纸，而不是 {paper}")
    progress.update(0, 0, "正在读取各户信息")
    ids = clinic.print_subjects("household", village_id=village_id,
                                household_ids=household_ids, resident_ids=resident_ids)
    cards, skipped = content.household_cards(clinic, ids)
    if changed_only:
        cards = _changed(clinic, HOUSEHOLD_CARD, cards, lambda c: c.household_id,
                         lambda c: c.content_hash)
    hashes = {c.household_id: c.content_hash for c in cards}
    cards, marked, bad = apply_missing(cards, lambda c: c.texts(), lambda c: c.household_id,
                                       lambda c: c.head or c.household_no, missing)
    skipped += bad
    if not cards:
        raise NothingToPrint("没有需要打印的明白卡" + ("：自上次打印以来没有变化"
                                                      if changed_only else ""), skipped)
    built = household.render(cards, paper, progress=progress)
    pages = built.pages_of([c.household_id for c in cards])
    items = [PrintedItem(c.household_id, hashes[c.household_id],
                         f"{c.head or '（无户主）'}户 {c.household_no}".strip(),
                         tuple(pages.get(c.household_id, ()))) for c in cards]
    params = _params(paper=paper, village_id=village_id, changed_only=changed_only,
                     count=len(items))
    return PrintOutput(HOUSEHOLD_CARD, built.pdf, built.pages, items, params, skipped, marked)


# ------------------------------------------------------------------------- 随访工作单

VISIT_LIST = "visit_list"
FOLLOW_UP_FORM = "follow_up_form"
CHECKUP_REPORT = "checkup_report"
MONTHLY_REPORT = "monthly_report"
KINDS = {CONTACT_CARD: "签约服务联系卡", HOUSEHOLD_CARD: "户政策明白卡", VISIT_LIST: "随访工作单",
         FOLLOW_UP_FORM: "随访服务记录表", CHECKUP_REPORT: "健康体检报告",
         MONTHLY_REPORT: "健康扶贫月报"}


def visit_list_pdf(clinic: Clinic, *, village_id: str | None = None,
                   doctor_id: str | None = None, as_of: dt.date | None = None,
                   due_within: int | None = None, missing: str = "error",
                   progress: Progress | None = None) -> PrintOutput:
    """The round's visit list from 今日待办 (overdue and due soon, most urgent first)."""
    progress = progress or SilentProgress()
    progress.update(0, 0, "正在计算待随访名单")
    as_of = as_of or clinic.today()
    items = clinic.work_list(as_of, village_id=village_id, doctor_id=doctor_id,
                             due_within=due_within)
    village = clinic.place(village_id).name if village_id else ""
    doctor = clinic.doctor(doctor_id).name if doctor_id else ""
    visits = lists.VisitList("随访工作单", content.clinic_name(clinic),
                             lists.scope_text(village, doctor), as_of, tuple(items))
    (visits,), marked, _ = apply_missing([visits], lambda v: v.texts(), lambda v: "",
                                         lambda v: v.title, "mark" if missing == "skip"
                                         else missing)
    built = lists.render(visits, progress=progress)
    subject = village_id or doctor_id or ""
    digest = content.content_hash([as_of.isoformat(), [
        (i["id"], i["due_on"], i["risk"]) for i in items]])
    item = PrintedItem(subject, digest, f"{visits.scope} {as_of}",
                       tuple(range(1, built.pages + 1)))
    params = _params(village_id=village_id, doctor_id=doctor_id, as_of=as_of.isoformat(),
                     due_within=due_within, count=len(items))
    return PrintOutput(VISIT_LIST, built.pdf, built.pages, [item], params, [], marked)


# ------------------------------------------------------------------------- 随访表、体检报告


def _form_visits(clinic: Clinic, resident_id: str, form: str) -> tuple[
        tuple[dict[str, Any], ...], dict[str, str]]:
    """The latest visits that belong on this form (oldest first) and their doctors' names."""
    chosen = [v for v in clinic.follow_ups(resident_id) if followup.forms_overlap(form, v.form)]
    chosen = chosen[:forms.COLUMNS][::-1]
    out = []
    doctors: dict[str, str] = {}
    for visit in chosen:
        values = {k: getattr(visit, k) for k in followup.COLUMN_KEYS if hasattr(visit, k)}
        values.update(visit.data)
        out.append(values)
        if visit.doctor_id and visit.doctor_id not in doctors:
            doctors[visit.doctor_id] = clinic.doctor(visit.doctor_id).name
    return tuple(out), doctors


def follow_up_forms_pdf(clinic: Clinic, *, resident_ids: Sequence[str] | None = None,
                        village_id: str | None = None, form: str | None = None,
                        blank: bool = False, blank_columns: int = 1, copies: int = 1,
                        missing: str = "error", progress: Progress | None = None
                        ) -> PrintOutput:
    """随访服务记录表, blank or filled.

    With no residents and no village: `copies` blank forms of `form` (nobody's name on them).
    Otherwise one form per resident and form (the resident's own forms, or only `form`): the
    identity header filled in, and — unless `blank` — the latest visits, leaving
    `blank_columns` columns empty for the next ones. With a village and no residents, the
    residents are the village's patients on today's work list (a round's forms).
    """
    progress = progress or SilentProgress()
    if form is not None and form not in followup.FORMS:
        raise ClinicError(f"未知的随访表 {form}（可选：{'、'.join(followup.FORMS)}）")
    sheets: list[forms.FormSheet] = []
    if resident_ids is None and village_id is None:
        if form is None:
            raise ClinicError("打印空白随访表请指定表格种类")
        sheets = [forms.FormSheet(f"blank{n}", form) for n in range(max(1, copies))]
    else:
        if resident_ids is None:
            resident_ids = list(dict.fromkeys(
                i["id"] for i in clinic.work_list(village_id=village_id)))
        keep = max(0, forms.COLUMNS - max(0, blank_columns))
        for count, rid in enumerate(resident_ids):
            progress.update(count, len(resident_ids), "正在读取随访记录")
            header = clinic.print_header(rid)
            for kind in ([form] if form else clinic.follow_up_forms(rid)):
                visits, doctors = ((), {}) if blank else _form_visits(clinic, rid, kind)
                visits = visits[-keep:] if keep else ()
                sheets.append(forms.FormSheet(rid, kind, header, visits, doctors))
    if not sheets:
        raise NothingToPrint("这些居民没有需要随访的慢病，没有随访表可打印")
    hashes = {s.key: content.content_hash([s.form, s.visits]) for s in sheets}
    sheets, marked, skipped = apply_missing(sheets, lambda s: s.texts(), lambda s: s.key,
                                            lambda s: s.header.get("name", ""), missing)
    if not sheets:
        raise NothingToPrint("没有可打印的随访表", skipped)
    built = forms.render_follow_up_forms(sheets, progress=progress)
    pages = built.pages_of([s.key for s in sheets])
    items = [PrintedItem(s.resident_id if s.header else "", hashes[s.key],
                         f"{s.header.get('name', '空白')} {followup.FORM_SHORT[s.form]}",
                         tuple(pages.get(s.key, ()))) for s in sheets]
    params = _params(form=form, blank=blank, village_id=village_id,
                     blank_columns=blank_columns if not blank else None, count=len(items))
    return PrintOutput(FOLLOW_UP_FORM, built.pdf, built.pages, items, params, skipped, marked)


def checkup_report_pdf(clinic: Clinic, resident_ids: Sequence[str], *,
                       missing: str = "error", progress: Progress | None = None
                       ) -> PrintOutput:
    """Each resident's latest checkup as a report (residents without a checkup: skipped)."""
    progress = progress or SilentProgress()
    sheets: list[forms.CheckupSheet] = []
    skipped: list[Skipped] = []
    form_name = clinic.profile.value("checkup.form", clinic.today()) or "健康体检表"
    for count, rid in enumerate(resident_ids):
        progress.update(count, len(resident_ids), "正在读取体检记录")
        header = clinic.print_header(rid)
        found = clinic.print_checkups(rid, 1)
        if not found:
            skipped.append(Skipped(rid, header["name"], "没有体检记录", "no_checkup"))
            continue
        row = found[0]
        values = {k: row[k] for k in ("sbp", "dbp", "weight_kg", "height_cm",
                                      "fasting_glucose", "evaluation") if row.get(k) is not None}
        values.update(json.loads(row["data"] or "{}"))
        sheets.append(forms.CheckupSheet(rid, header, row["checkup_date"], row["doctor"] or "",
                                         values, row["cost_fen"], form_name))
    hashes = {s.resident_id: content.content_hash([s.checkup_date, s.values]) for s in sheets}
    sheets, marked, bad = apply_missing(sheets, lambda s: s.texts(), lambda s: s.resident_id,
                                        lambda s: s.header.get("name", ""), missing)
    skipped += bad
    if not sheets:
        raise NothingToPrint("没有可打印的体检报告", skipped)
    built = forms.render_checkups(sheets, clinic.profile, clinic.today(), progress=progress)
    pages = built.pages_of([s.resident_id for s in sheets])
    items = [PrintedItem(s.resident_id, hashes[s.resident_id],
                         f"{s.header.get('name', '')} {s.checkup_date}",
                         tuple(pages.get(s.resident_id, ()))) for s in sheets]
    return PrintOutput(CHECKUP_REPORT, built.pdf, built.pages, items,
                       _params(count=len(items)), skipped, marked)


# ------------------------------------------------------------------------- 月报


def monthly_report_pdf(clinic: Clinic, month: str | dt.date | None = None, *,
                       missing: str = "error", progress: Progress | None = None
                       ) -> tuple[PrintOutput, report.MonthlyReport]:
    """The township's 月报 for a month (YYYY-MM; default this month), and its numbers."""
    progress = progress or SilentProgress()
    numbers = report.compute(clinic, month, progress)
    (checked,), marked, _ = apply_missing([numbers], lambda r: r.texts(), lambda r: "",
                                          lambda r: r.month, "mark" if missing == "skip"
                                          else missing)
    built = report.render(checked, progress=progress)
    digest = content.content_hash(numbers.to_json())
    item = PrintedItem(numbers.month, digest, f"{numbers.month} 月报",
                       tuple(range(1, built.pages + 1)))
    return (PrintOutput(MONTHLY_REPORT, built.pdf, built.pages, [item],
                        {"month": numbers.month}, [], marked), numbers)


# ------------------------------------------------------------------------- reprint


def reprint(clinic: Clinic, job_id: str, *, missing: str = "error",
            progress: Progress | None = None) -> PrintOutput:
    """Print a recorded job again: the same people and options, with today's content.

    (A card is always printed as the register holds it now; the job's record says which
    version each person held before.)
    """
    rows = clinic.print_job_items(job_id)
    kind, params = rows[0]["kind"], rows[0]["params"]
    output = _reprint(clinic, kind, params, [r["subject_id"] for r in rows if r["subject_id"]],
                      missing, progress)
    # Logged with the original job's options (a village's cards stay "梨园村" in the log, not
    # a list of 786 names) and a pointer to the job it repeats.
    output.params = {**params, "reprint_of": job_id}
    return output


def _reprint(clinic: Clinic, kind: str, params: dict[str, Any], subjects: list[str],
             missing: str, progress: Progress | None) -> PrintOutput:
    if kind == CONTACT_CARD:
        return contact_cards_pdf(clinic, resident_ids=subjects,
                                 layout=params.get("layout", "duplex"), missing=missing,
                                 progress=progress)
    if kind == HOUSEHOLD_CARD:
        return household_cards_pdf(clinic, household_ids=subjects,
                                   paper=params.get("paper", "A4"), missing=missing,
                                   progress=progress)
    if kind == VISIT_LIST:
        as_of = params.get("as_of")
        return visit_list_pdf(clinic, village_id=params.get("village_id"),
                              doctor_id=params.get("doctor_id"),
                              as_of=dt.date.fromisoformat(as_of) if as_of else None,
                              due_within=params.get("due_within"), missing=missing,
                              progress=progress)
    if kind == FOLLOW_UP_FORM:
        return follow_up_forms_pdf(clinic, resident_ids=list(dict.fromkeys(subjects)) or None,
                                   form=params.get("form"), blank=params.get("blank", False),
                                   blank_columns=params.get("blank_columns", 1),
                                   copies=params.get("count", 1), missing=missing,
                                   progress=progress)
    if kind == CHECKUP_REPORT:
        return checkup_report_pdf(clinic, subjects, missing=missing, progress=progress)
    if kind == MONTHLY_REPORT:
        return monthly_report_pdf(clinic, params.get("month"), missing=missing,
                                  progress=progress)[0]
    raise ClinicError(f"不认识的打印种类 {kind}")
