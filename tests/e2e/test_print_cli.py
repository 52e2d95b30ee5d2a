"""`clinic-app print …` end to end: a demo township printed village by village, the print
log and reprints, --changed-only, a rare character refused in Chinese with a non-zero exit."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_doctor, make_household, make_village, open_clinic, sign
from pypdf import PdfReader

from clinic_app.cli import main
from clinic_app.clinic import Clinic


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clinic_app", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("print") / "t.db"
    assert main(["demo", "--db", str(db), "--residents", "120", "--seed", "5",
                 "--profile", "xinbin", "--json"]) == 0
    return db


def first_village(db: Path) -> str:
    with Clinic.open(db) as clinic:
        return clinic.places("village")[0].name


def test_print_every_kind_record_and_reprint(township: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = str(township)
    village = first_village(township)
    cards = tmp_path / "cards.pdf"
    assert main(["print", "contact-cards", "--db", db, "--out", str(cards), "--village",
                 village, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "contact_card" and summary["job_id"]
    assert summary["printed"] and summary["pages"] == PdfReader(cards).get_num_pages()
    text = pdf_text(cards)
    assert summary["printed"][0]["label"] in text and "健康扶贫政策" in text
    assert {s["code"] for s in summary["skipped"]} <= {"unsigned", "expired"}

    # Nothing changed since: exit 5, a Chinese message, no new job.
    again = tmp_path / "again.pdf"
    assert main(["print", "contact-cards", "--db", db, "--out", str(again), "--village",
                 village, "--changed-only"]) == 5
    assert "没有变化" in capsys.readouterr().err and not again.exists()

    assert main(["print", "jobs", "--db", db, "--json"]) == 0
    (job,) = json.loads(capsys.readouterr().out)
    assert job["job_id"] == summary["job_id"] and job["subjects"] == len(summary["printed"])
    assert main(["print", "reprint", summary["job_id"], "--db", db, "--out", str(again),
                 "--no-record", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["printed"] == summary["printed"]

    outputs = {
        "household-cards": ["--village", village, "--a5"],
        "visit-list": ["--village", village],
        "follow-up-forms": ["--blank", "--form", "combined", "--copies", "2"],
        "checkup-report": ["--resident", summary["printed"][0]["id"]],
        "monthly-report": [],
    }
    for kind, extra in outputs.items():
        out = tmp_path / f"{kind}.pdf"
        assert main(["print", kind, "--db", db, "--out", str(out), "--json", *extra]) == 0, kind
        result = json.loads(capsys.readouterr().out)
        assert out.exists() and result["pages"] == PdfReader(out).get_num_pages() >= 1
    assert "随访工作单" in pdf_text(tmp_path / "visit-list.pdf")
    assert "健康扶贫月报" in pdf_text(tmp_path / "monthly-report.pdf")
    assert PdfReader(tmp_path / "follow-up-forms.pdf").get_num_pages() == 2


def test_rare_character_refused_in_chinese_then_marked(tmp_path: Path) -> None:
    db = tmp_path / "rare.db"
    clinic = open_clinic(db)
    village = make_village(clinic, "红星村")
    family = make_household(clinic, village.village_id, "001", head="王𠀀明")
    sign(clinic, family.head_id, make_doctor(clinic))
    clinic.close()
    out = tmp_path / "cards.pdf"
    refused = run_cli("print", "contact-cards", "--db", str(db), "--out", str(out))
    assert refused.returncode == 1
    assert "生僻字" in refused.stderr and "王𠀀明" in refused.stderr
    assert not out.exists()  # nothing printed blank
    marked = run_cli("print", "contact-cards", "--db", str(db), "--out", str(out), "--single",
                     "--missing", "mark")
    assert marked.returncode == 0, marked.stderr
    assert "□" in marked.stderr and "王□明" in pdf_text(out)
    # stderr is a pipe here, as in a county script's log: plain lines, no terminal escape
    # codes, and the progress a line of its own (text mode reads a carriage return as a line
    # break, so "\r正在…" would leave an empty first line).
    assert "\x1b" not in marked.stderr
    assert marked.stderr.splitlines()[0].startswith("正在")


def test_a_mistyped_db_is_refused_not_created(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["print", "visit-list", "--db", str(tmp_path / "nope.db"), "--out",
                 str(tmp_path / "x.pdf")]) == 1
    assert "不存在" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()


def test_an_empty_db_file_or_an_unwritable_out_is_said_in_chinese(
        township: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert main(["overdue", "--db", str(empty)]) == 1
    assert "数据库文件是空的（0 字节）" in capsys.readouterr().err
    assert empty.stat().st_size == 0  # not turned into a new, empty register
    assert main(["print", "visit-list", "--db", str(township), "--out", str(tmp_path)]) == 1
    assert "这是一个文件夹，请在后面写上文件名" in capsys.readouterr().err
