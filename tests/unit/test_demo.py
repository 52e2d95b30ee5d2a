"""The demo township obeys the profile it is generated under (nothing a real clinic can't have)."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import open_clinic

from clinic_app import demo


@pytest.mark.parametrize("profile", ["national", "xinbin"])
def test_demo_medicine_follows_the_free_medicine_cap(tmp_path: Path, profile: str) -> None:
    clinic = open_clinic(tmp_path / "d.db")
    demo.generate(clinic, 1000, seed=3, profile=profile)
    cap = clinic.profile.value("medicine.free_cap_fen")
    per_year = clinic.store.rows("""
        SELECT resident_id, substr(delivered_on, 1, 4) AS year, sum(free_fund_fen) AS free,
               sum(quantity * unit_price_fen - insurance_fen - free_fund_fen - patient_fen)
                 AS unbalanced
        FROM deliveries WHERE deleted = 0 GROUP BY resident_id, year""")
    assert per_year, "the demo has medicine boxes"
    assert all(r["unbalanced"] == 0 for r in per_year)
    if cap is None:  # national: no free-medicine fund at all
        assert all(r["free"] == 0 for r in per_year)
    else:
        assert all(r["free"] <= cap for r in per_year)
        assert any(r["free"] > 0 for r in per_year)
    assert clinic.setting("clinic_name", "").endswith("（演示数据）")
    clinic.close()
