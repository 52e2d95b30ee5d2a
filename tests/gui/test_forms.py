"""The committed ui_*.py files must match their Designer sources in ui/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_compiled_forms_are_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "ui" / "compile_forms.py"), "--check"],
                            capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stdout + result.stderr
