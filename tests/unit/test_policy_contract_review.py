"""Regression tests for what review found in the policy profiles and 履约: rule ranges and
cross-checks (a bad value is never saved or loaded), tuberculosis follow-ups owed under a
contract, and one copy of the tables the schedule and its readers share."""

from __future__ import annotations

import re
from pathlib import Path

from clinic_app.domain import fulfilment, schedule
from clinic_app.storage import print_queries, queries, work_list_queries

SRC = Path(__file__).resolve().parents[2] / "src" / "clinic_app"


# ------------------------------------------------------------------ one copy of shared tables
def test_form_conditions_and_scheduled_codes_have_one_definition() -> None:
    assert fulfilment.FORM_CONDITIONS is schedule.FORM_CONDITIONS
    for module in (queries, work_list_queries, print_queries):
        assert module.SCHEDULED_CODES is schedule.SCHEDULED, module.__name__
    # Nobody writes the tables out again: a fifth scheduled disease is added in one place.
    spelled = re.compile(r'\(\s*"hypertension",\s*"diabetes",\s*"tuberculosis",'
                         r'\s*"severe_mental",?\s*\)')
    written = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                     if spelled.search(p.read_text(encoding="utf-8")))
    assert written == ["domain/schedule.py"]
    tables = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                    if re.search(r"^FORM_CONDITIONS\s*=", p.read_text(encoding="utf-8"), re.M))
    assert tables == ["domain/schedule.py"]
