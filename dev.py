"""Set up and run clinic_app from a fresh checkout, on Linux or Windows.

    python dev.py run     # make .venv, install, start the app (demo township on first run)
    python dev.py test    # make .venv, install with test tools, run ruff and the whole test suite

Only the standard library is used here, so it runs before anything is installed.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
MIN_PYTHON = (3, 11)

# Shared libraries Qt's offscreen and xcb platforms load on Linux, with the Debian/Ubuntu
# package that provides each (ENGINEERING-NOTES: a bare Debian 12 lacks these).
QT_LINUX_LIBS = {
    "EGL": "libegl1",
    "GL": "libgl1",
    "dbus-1": "libdbus-1-3",
    "fontconfig": "libfontconfig1",
    "glib-2.0": "libglib2.0-0",
    "xkbcommon": "libxkbcommon0",
}
# Only needed for a real window under X11 (not for tests, which run offscreen).
QT_LINUX_XCB_LIBS = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def missing_linux_packages(libs: dict[str, str]) -> list[str]:
    if not sys.platform.startswith("linux"):
        return []
    return [pkg for lib, pkg in libs.items() if ctypes.util.find_library(lib) is None]


def ensure_system_libraries(with_window: bool) -> None:
    libs = dict(QT_LINUX_LIBS)
    if with_window and os.environ.get("QT_QPA_PLATFORM", "") != "offscreen":
        libs.update(QT_LINUX_XCB_LIBS)
    missing = missing_linux_packages(libs)
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        print(f"安装 Qt 需要的系统库: {' '.join(missing)}", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run([apt, "install", "-y", "-qq", *missing], check=True, env=env)
        return
    sys.exit(
        "缺少 Qt 需要的系统库（Qt needs these system packages）:\n"
        f"    sudo apt-get install {' '.join(missing)}\n"
        "安装后再运行一次本命令。"
    )


def ensure_venv(extras: str) -> Path:
    if sys.version_info < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        sys.exit(f"需要 Python {wanted} 或更新版本，当前是 {sys.version.split()[0]}")
    py = venv_python()
    if not py.exists():
        print(f"创建虚拟环境 {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = VENV / f".installed-{extras or 'app'}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        print("安装依赖 ...", flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        target = f".[{extras}]" if extras else "."
        # The build backend's notices (editable install, deprecations) are for packagers,
        # not for a doctor starting the app; errors still show.
        quiet = dict(os.environ, PYTHONWARNINGS="ignore")
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", target], check=True,
                       cwd=ROOT, env=quiet)
        stamp.write_text("ok", encoding="utf-8")
    return py


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    rest = argv[1:]
    if command == "run":
        ensure_system_libraries(with_window=True)
        py = ensure_venv("")
        return subprocess.call([str(py), "-m", "clinic_app", "gui", "--demo-if-empty", *rest])
    if command == "test":
        ensure_system_libraries(with_window=False)
        py = ensure_venv("test")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        lint = subprocess.call(
            [str(py), "-m", "ruff", "check", "src", "tests", "bench", "ui", "dev.py"], cwd=ROOT)
        if lint != 0:
            print("ruff 检查未通过", file=sys.stderr)
            return lint
        return subprocess.call([str(py), "-m", "pytest", *rest], cwd=ROOT, env=env)
    sys.exit(f"未知命令 {command!r}：用 run 或 test")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
