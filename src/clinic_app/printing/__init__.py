"""Printing: contact cards, household policy cards, visit lists, forms and reports as PDFs.

Pure Python (reportlab + segno), no Qt: the window previews and prints the PDFs these
functions return, the command line saves them. Each job is a plain function taking the
``Clinic`` and an optional ``progress`` (``clinic_app.progress.Progress``; cancel raises
``Cancelled`` between steps) and returning a ``PrintOutput`` — ``pdf`` bytes, ``pages``, the
``items`` printed (subject, content hash, pages) and the ``skipped`` with reasons. Once the
paper is really printed, ``output.record(clinic)`` writes the job to ``print_log``; recorded
jobs are listed by ``clinic.print_jobs()`` and printed again with ``reprint(clinic, job_id)``.

Before anything is drawn, every text is checked against the bundled font: a character it lacks
raises ``MissingGlyphs`` (its ``problems`` say whose card and which character) unless the
caller chose ``missing="mark"`` (print □ to write in by hand) or ``missing="skip"``.
"""

from __future__ import annotations

from clinic_app.printing.content import CONTACT_CARD, HOUSEHOLD_CARD, Skipped
from clinic_app.printing.fonts import GlyphProblem, MissingGlyphs, missing_glyphs
from clinic_app.printing.jobs import (
    CHECKUP_REPORT,
    FOLLOW_UP_FORM,
    KINDS,
    MONTHLY_REPORT,
    VISIT_LIST,
    NothingToPrint,
    PrintedItem,
    PrintOutput,
    checkup_report_pdf,
    contact_cards_pdf,
    follow_up_forms_pdf,
    household_cards_pdf,
    monthly_report_pdf,
    reprint,
    visit_list_pdf,
)

__all__ = [
    "CHECKUP_REPORT", "CONTACT_CARD", "FOLLOW_UP_FORM", "HOUSEHOLD_CARD", "KINDS",
    "MONTHLY_REPORT", "VISIT_LIST", "GlyphProblem", "MissingGlyphs", "NothingToPrint",
    "PrintOutput", "PrintedItem", "Skipped", "checkup_report_pdf", "contact_cards_pdf",
    "follow_up_forms_pdf", "household_cards_pdf", "missing_glyphs", "monthly_report_pdf",
    "reprint", "visit_list_pdf",
]
