"""Exports and PDFs are written whole or not at all, readable like the user's other files,
and a failure says why in Chinese (never "Is a directory" or a traceback)."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from clinic_app import fileio
from clinic_app.errors import ClinicError
from clinic_app.export import write_xlsx


def test_a_folder_as_the_target_is_refused_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(ClinicError, match="这是一个文件夹，请在后面写上文件名"):
        write_xlsx(tmp_path, "表", ["姓名"], [["张三"]])
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ClinicError, match="路径中有一段不是文件夹"):
        fileio.write_bytes(tmp_path / "a.txt" / "b.pdf", b"x")


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "月报.pdf"
    target.write_bytes(b"old")

    def fails(temp: Path) -> None:
        temp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ClinicError, match="磁盘空间不足"):
        fileio.write_file(target, fails)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["月报.pdf"]  # no .part left


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_the_file_is_readable_as_the_users_other_files(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = fileio.write_bytes(tmp_path / "cards.pdf", b"%PDF")
        xlsx = tmp_path / "x.xlsx"
        write_xlsx(xlsx, "表", ["姓名"], [["张三"]])
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
    assert xlsx.stat().st_mode & 0o777 == 0o644  # mkstemp alone gave 0600


def test_reasons_for_common_errors() -> None:
    assert "Excel" in fileio.reason(PermissionError(errno.EACCES, "Permission denied"))
    assert fileio.reason(OSError(errno.EROFS, "Read-only file system")) == "磁盘或U盘是只读的"
    assert fileio.reason(OSError(errno.EIO, "Input/output error")) == "Input/output error"
