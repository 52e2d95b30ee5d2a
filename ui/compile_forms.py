"""Compile the Designer forms in ui/*.ui into src/clinic_app/ui/forms/ui_*.py.

    python ui/compile_forms.py          # rewrite the generated files
    python ui/compile_forms.py --check  # exit 1 if any generated file is out of date

The generated files are committed (an installed app needs no uic); tests/gui/test_forms.py runs
the check so a .ui edit without recompiling fails the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "clinic_app" / "ui" / "forms"


def uic() -> str:
    exe = Path(sys.executable).with_name("pyside6-uic")
    found = str(exe) if exe.exists() else shutil.which("pyside6-uic")
    if not found:
        raise SystemExit("找不到 pyside6-uic：请先安装 PySide6-Essentials")
    return found


def compiled(source: Path) -> str:
    result = subprocess.run([uic(), "--from-imports", str(source)], capture_output=True,
                            text=True, encoding="utf-8", check=True)
    return result.stdout


def without_banner(text: str) -> str:
    """Drop uic's banner (it names the uic version, which may differ between machines)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("##"))


def target(source: Path) -> Path:
    return OUT / f"ui_{source.stem}.py"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source in sorted(HERE.glob("*.ui")):
        text = compiled(source)
        dest = target(source)
        if check:
            if not dest.exists() or without_banner(dest.read_text(encoding="utf-8")) != \
                    without_banner(text):
                stale.append(dest.name)
        else:
            dest.write_text(text, encoding="utf-8", newline="\n")
            print(f"{source.name} -> {dest.relative_to(HERE.parent)}")
    if stale:
        print(f"过期的界面文件（请运行 python ui/compile_forms.py）：{', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
