"""Usable at 1366×768 and at 125% / 150% display scaling: every page fits its logical screen.

Qt reads QT_SCALE_FACTOR at start-up, so each scale runs in its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from clinic_app import demo
    from clinic_app.clinic import Clinic
    from clinic_app.ui.app import application
    from clinic_app.ui.main_window import MainWindow

    db, out, width, height = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    app = application()
    clinic = Clinic.open(db)
    demo.generate(clinic, residents=300, seed=2)
    window = MainWindow(clinic)
    window.resize(width, height)
    window.show()
    app.processEvents()
    first = clinic.search("z")[0]["id"]
    pages = {"search": lambda: window.run_search(),
             "resident": lambda: window.open_resident(first),
             "household": lambda: window.open_household(clinic.resident(first).household_id),
             "village": lambda: (window.go_back(), window.go_back(),
                                 window.register_tabs.setCurrentWidget(window.villages))}
    window.ui.searchEdit.setText("z")
    for name, show in pages.items():
        show()
        app.processEvents()
        hint = window.minimumSizeHint()
        if hint.width() > width or hint.height() > height:
            print(f"TOO BIG {name}: needs {hint.width()}x{hint.height()}")
        window.grab().save(str(out / f"scaled-{out.name}-{name}.png"))
    print("done", window.devicePixelRatio())
""")


@pytest.mark.parametrize(("label", "scale", "width", "height"), [
    ("1366x768-100", "1", 1366, 728),  # a taskbar takes ~40 px
    ("1366x768-125", "1.25", 1092, 582),
    ("1920x1080-150", "1.5", 1280, 690),
])
def test_window_fits_scaled_screens(tmp_path: Path, screenshot_dir: Path, label: str,
                                    scale: str, width: int, height: int) -> None:
    out = screenshot_dir / label
    out.mkdir(exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "s.db"), str(out),
                             str(width), str(height)], capture_output=True, text=True,
                            encoding="utf-8", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "TOO BIG" not in result.stdout, result.stdout
    assert f"done {float(scale)}" in result.stdout
