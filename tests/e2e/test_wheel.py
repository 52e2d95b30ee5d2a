"""The wheel a clinic PC would install carries the fonts, policy profiles and compiled forms."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_package_data(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("clinic_app-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "clinic_app/resources/fonts/NotoSansSC-Regular.ttf",
        "clinic_app/resources/fonts/NotoSansSC-Bold.ttf",
        "clinic_app/resources/fonts/OFL.txt",
        "clinic_app/resources/policies/national.toml",
        "clinic_app/resources/policies/zhongwei.toml",
        "clinic_app/ui/forms/ui_main_window.py",
        "clinic_app/ui/forms/ui_resident_form.py",
        "clinic_app/storage/schema.py",
    ):
        assert expected in names, expected
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
