"""The one background-task runner: long jobs off the UI thread, with progress and cancel.

A job is a plain function ``job(progress) -> result`` (see ``clinic_app.progress``). It runs on a
worker thread; a progress dialog appears only if the job takes longer than ``SHOW_AFTER_MS``, and
its cancel button sets the job's cancel flag, so the job's transaction rolls back at its next
``progress.check()``. Jobs that write open their own ``Clinic`` on the same file: SQLite in WAL
mode lets the window keep reading while the job writes.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from clinic_app.errors import ClinicError
from clinic_app.progress import Cancelled, Progress

SHOW_AFTER_MS = 500

# Running tasks keep themselves here until they end: a task dropped by its caller would
# otherwise be garbage-collected mid-job, losing its signals (and crashing Qt).
_RUNNING: set[Task] = set()


class _Bridge(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()


class Task:
    """One running job; keep a reference until ``finished``/``failed``/``cancelled`` fires."""

    def __init__(self, parent: QWidget | None, title: str,
                 job: Callable[[Progress], Any]) -> None:
        self.bridge = _Bridge()
        self.progress = Progress(self.bridge.progressed.emit)
        self.title = title
        self._job = job
        self.dialog = QProgressDialog(title, "取消", 0, 0, parent)
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self.bridge.progressed.connect(self._on_progress)
        for signal in (self.bridge.finished, self.bridge.failed, self.bridge.cancelled):
            signal.connect(self._close_dialog)
        self._thread = threading.Thread(target=self._run, name=f"task:{title}", daemon=True)

    def start(self) -> Task:
        """Run the job; connect callbacks before this (they must come before _forget)."""
        self.dialog.setValue(0)
        for signal in (self.bridge.finished, self.bridge.failed, self.bridge.cancelled):
            signal.connect(self._forget)
        _RUNNING.add(self)
        self._thread.start()
        return self

    def _forget(self, *_: object) -> None:
        # Deferred: dropping the last reference inside the emission would delete the bridge
        # before the caller's own slots for this signal have run.
        QTimer.singleShot(0, lambda: _RUNNING.discard(self))

    def cancel(self) -> None:
        self.progress.cancel()
        self.dialog.setLabelText("正在取消，请稍候……")

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._job(self.progress)
        except Cancelled:
            self.bridge.cancelled.emit()
        except ClinicError as exc:
            self.bridge.failed.emit(str(exc))
        except Exception as exc:  # a bug or an OS error: show it, never lose it silently
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.bridge.failed.emit(f"{self.title}失败：{detail}")
        else:
            self.bridge.finished.emit(result)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total and self.dialog.maximum() != total:
            self.dialog.setMaximum(total)
        self.dialog.setValue(min(done, total) if total else 0)
        if message and not self.progress.cancelled:
            self.dialog.setLabelText(message)

    def _close_dialog(self, *_: object) -> None:
        # Deferred: closing inside the signal that the dialog itself may be handling is unsafe.
        # The dialog is the timer's context: if its window closes first, the call is dropped
        # instead of reaching a deleted dialog.
        QTimer.singleShot(0, self.dialog, self._hide_dialog)

    def _hide_dialog(self) -> None:
        # With autoClose off (so a slow first step can't close it early), reset() alone
        # leaves the dialog on screen, blocking the window (found by a new-user test).
        self.dialog.reset()
        self.dialog.hide()


def run_task(parent: QWidget | None, title: str, job: Callable[[Progress], Any], *,
             on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[str], None] | None = None,
             on_cancel: Callable[[], None] | None = None) -> Task:
    task = Task(parent, title, job)
    if on_done:
        task.bridge.finished.connect(on_done)
    if on_error:
        task.bridge.failed.connect(on_error)
    if on_cancel:
        task.bridge.cancelled.connect(on_cancel)
    return task.start()
