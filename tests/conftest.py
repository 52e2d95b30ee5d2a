"""Fixtures shared by unit, gui and e2e tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import Village, make_village, open_clinic

from clinic_app.clinic import Clinic


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.db"


@pytest.fixture
def clinic(db_path: Path) -> Iterator[Clinic]:
    opened = open_clinic(db_path)
    yield opened
    opened.close()


@pytest.fixture
def village(clinic: Clinic) -> Village:
    return make_village(clinic)
