"""Progress and cancellation for long jobs (import, print, export, demo generation).

A long job is a plain function that takes a ``Progress``. It reports with ``progress.update``
and calls ``progress.check()`` between steps; when the user pressed cancel, ``check`` raises
``Cancelled`` and the job's open transaction rolls back. The Qt background runner and the command
line each provide their own ``Progress``; the core never knows which.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """The user cancelled the job; nothing it was writing in its transaction was kept."""


class Progress:
    def __init__(self, on_update: Callable[[int, int, str], None] | None = None) -> None:
        self._on_update = on_update
        self._cancel = threading.Event()
        self.done = 0
        self.total = 0
        self.message = ""

    def update(self, done: int | None = None, total: int | None = None, message: str | None = None
               ) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        if self._on_update is not None:
            self._on_update(self.done, self.total, self.message)
        self.check()

    def advance(self, step: int = 1, message: str | None = None) -> None:
        self.update(self.done + step, None, message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("已取消")


class SilentProgress(Progress):
    def __init__(self) -> None:
        super().__init__(None)
