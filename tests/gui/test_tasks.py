"""The background runner: results, errors, cancel, and a dialog closed before it resets."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget

from clinic_app.errors import ClinicError
from clinic_app.progress import Progress
from clinic_app.ui.tasks import SHOW_AFTER_MS, run_task


def test_result_error_and_cancel_reach_the_ui(app, qtbot) -> None:
    done: list[object] = []
    task = run_task(None, "测试", lambda progress: 42, on_done=done.append)
    qtbot.waitUntil(lambda: done == [42], timeout=3000)

    errors: list[str] = []

    def fails(progress: Progress) -> None:
        raise ClinicError("磁盘已满")

    run_task(None, "测试", fails, on_error=errors.append)
    qtbot.waitUntil(lambda: errors == ["磁盘已满"], timeout=3000)

    started, cancelled = threading.Event(), []

    def slow(progress: Progress) -> None:
        started.set()
        while True:
            progress.update(1, 2, "工作中")

    task = run_task(None, "测试", slow, on_cancel=lambda: cancelled.append(True))
    started.wait(3)
    task.cancel()
    qtbot.waitUntil(lambda: cancelled == [True], timeout=3000)


def test_parent_closed_before_the_dialog_resets(app, qtbot) -> None:
    parent = QWidget()
    finished: list[object] = []
    task = run_task(parent, "测试", lambda progress: 1, on_done=finished.append)
    task.wait(3)
    parent.deleteLater()  # the window goes away while the dialog's reset is still queued
    qtbot.waitUntil(lambda: finished == [1], timeout=3000)
    qtbot.wait(50)  # the queued reset must be dropped, not call into a deleted dialog


def test_the_progress_dialog_goes_away_when_the_job_ends(app, qtbot) -> None:
    """A job slower than SHOW_AFTER_MS shows the dialog; when it ends the dialog is gone."""
    release = threading.Event()
    done: list[object] = []

    def slow(progress: Progress) -> str:
        progress.update(1, 3, "第一步")
        release.wait(5)
        return "好了"

    task = run_task(None, "测试", slow, on_done=done.append)
    qtbot.waitUntil(task.dialog.isVisible, timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: done == ["好了"], timeout=3000)
    qtbot.waitUntil(lambda: not task.dialog.isVisible(), timeout=3000)
    qtbot.wait(SHOW_AFTER_MS + 200)  # and it does not pop up again later
    assert not task.dialog.isVisible()
