"""The core (domain, storage, facade, command line) must import and run with no Qt at all."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CORE_MODULES = [
    "clinic_app", "clinic_app.clinic", "clinic_app.cli", "clinic_app.demo",
    "clinic_app.progress", "clinic_app.errors", "clinic_app.domain.ids",
    "clinic_app.domain.pinyin", "clinic_app.domain.policy", "clinic_app.domain.models",
    "clinic_app.domain.codes", "clinic_app.domain.validate", "clinic_app.storage.db",
    "clinic_app.storage.schema", "clinic_app.storage.store", "clinic_app.storage.queries",
]


def test_core_imports_and_works_with_pyside6_unavailable(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import importlib, sys
        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph"):
                    raise ImportError("Qt is blocked in this test: " + name)
                return None
        sys.meta_path.insert(0, BlockQt())
        for module in {CORE_MODULES!r}:
            importlib.import_module(module)
        from clinic_app.clinic import Clinic
        from clinic_app import demo
        with Clinic.open({str(tmp_path / "t.db")!r}) as clinic:
            demo.generate(clinic, residents=60)
            assert clinic.check().ok
            someone = clinic.store.rows("SELECT name FROM residents LIMIT 1")[0]["name"]
            assert clinic.search(someone)[0]["name"] == someone
        assert not any(m.startswith("PySide6") for m in sys.modules)
        print("core ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "core ok" in result.stdout
