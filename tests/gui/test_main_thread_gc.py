"""Cycle collection runs in the GUI thread only (a collection in a worker crashed PySide)."""

from __future__ import annotations

import gc
import threading
import weakref

from clinic_app.ui import app as app_module


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_workers_never_collect_the_gui_thread_does(app) -> None:
    assert app_module._collector is not None
    assert not gc.isenabled()
    ref = weakref.ref(Node())
    assert ref() is not None  # garbage, waiting for a collection

    def allocate() -> None:  # far past every threshold: automatic gc would have run here
        junk = [[] for _ in range(200_000)]
        del junk
        for _ in range(50_000):
            Node()

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert ref() is not None
    assert app_module._collector.collect() >= 0
    gc.collect()  # the timer's next rounds reach the older generations; don't wait for them
    assert ref() is None


def test_collect_does_nothing_below_the_threshold(app) -> None:
    gc.collect()
    assert app_module._collector.collect() == -1
