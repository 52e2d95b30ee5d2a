"""Package data and package list: an installed wheel must find fonts and policy profiles."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_under_src_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT / "src").parts)
        for init in (ROOT / "src").rglob("__init__.py")
    }
    found |= {"clinic_app.resources." + d.name for d in (ROOT / "resources").iterdir()
              if d.is_dir() and any(d.iterdir()) and not d.name.startswith((".", "_"))}
    assert found - listed == set(), "add these packages to pyproject.toml"
    assert "clinic_app.resources" in listed


def test_resources_are_found_through_importlib() -> None:
    folder = resources.files("clinic_app.resources")
    assert folder.joinpath("fonts", "NotoSansSC-Regular.ttf").is_file()
    assert folder.joinpath("fonts", "OFL.txt").is_file()
    assert folder.joinpath("policies", "national.toml").is_file()
