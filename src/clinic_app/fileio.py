"""Writing the files a user asked for (exports, PDFs) safely, and saying in Chinese why not.

A file is written under a temporary name beside the target and renamed over it only when
complete, so a full disk or a cancelled job never leaves half an Excel file or PDF under the
real name. The finished file gets the permissions any new file of the user's would (the
temporary file is private to the user; on a shared folder the county clerk must read it).
Operating-system errors become ``ClinicError`` with a Chinese reason a village doctor can act
on, instead of "Is a directory" or a traceback.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from clinic_app.errors import ClinicError

_REASONS = {
    errno.ENOENT: "文件夹不存在",
    errno.EISDIR: "这是一个文件夹，请在后面写上文件名",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EEXIST: "路径中有一段不是文件夹",  # mkdir of a folder where a file has the name
    errno.EACCES: "没有写入权限（文件可能正在 Excel 或 WPS 中打开，或文件夹是只读的）",
    errno.EPERM: "没有写入权限（文件可能正在 Excel 或 WPS 中打开，或文件夹是只读的）",
    errno.ENOSPC: "磁盘空间不足，请清理磁盘或换一个位置",
    errno.EROFS: "磁盘或U盘是只读的",
    errno.ENAMETOOLONG: "文件名太长",
}


def reason(exc: OSError) -> str:
    """Why an operating-system call failed, in Chinese."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    if isinstance(exc, PermissionError):  # Windows reports a file open in Excel this way
        return _REASONS[errno.EACCES]
    return exc.strerror or str(exc)


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_file(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Write `path` through `write(temporary_path)`, then rename it into place."""
    target = Path(path)
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.stem[:40]}-", suffix=".part",
                                    dir=target.parent)
        os.close(fd)
        temp = Path(name)
        try:
            write(temp)
            os.chmod(temp, _default_mode())
            os.replace(temp, target)
        finally:
            if temp.exists():
                temp.unlink()
    except OSError as exc:
        raise ClinicError(f"无法写入 {target}：{reason(exc)}") from None
    return target


def write_bytes(path: Path | str, data: bytes) -> Path:
    return write_file(path, lambda temp: temp.write_bytes(data))
