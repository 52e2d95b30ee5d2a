"""Starting the window: the Qt application, the bundled Chinese font, and the first run.

The bundled Noto Sans SC is registered and set as the application font explicitly, so a PC
without Chinese fonts shows Chinese, and every PC shows the same letters.
"""

from __future__ import annotations

import gc
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from clinic_app.clinic import Clinic
from clinic_app.errors import ClinicError
from clinic_app.storage.db import StorageError

FONT_FILES = ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf")
FONT_POINT_SIZE = 10
DEMO_RESIDENTS = 3000

_font_family: str | None = None
_translators: list[QTranslator] = []  # kept alive for the application's lifetime


def load_fonts() -> str:
    """Register the bundled fonts once; return the family name."""
    global _font_family
    if _font_family is not None:
        return _font_family
    folder = resources.files("clinic_app.resources").joinpath("fonts")
    family = ""
    for name in FONT_FILES:
        data = folder.joinpath(name).read_bytes()
        font_id = QFontDatabase.addApplicationFontFromData(data)
        if font_id < 0:
            raise RuntimeError(f"无法加载内置字体 {name}")
        family = family or QFontDatabase.applicationFontFamilies(font_id)[0]
    _font_family = family
    return family


class MainThreadCollector(QObject):
    """Python's cycle collector, run only in the GUI thread.

    A collection starts in whichever thread happens to allocate. Started in a background task
    (an import, a print job) it can free Qt objects that belong to the GUI thread, and PySide
    crashes: seen as segfaults while a print job imported reportlab in a worker. So automatic
    collection is switched off and the GUI thread collects on a timer, the generation the
    allocation counts call for, as the automatic collector would have.
    """

    def __init__(self, parent: QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)

    def collect(self) -> int:
        thresholds, counts = gc.get_threshold(), gc.get_count()
        if counts[0] <= thresholds[0]:
            return -1
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 2 if counts[2] > thresholds[2] else 1
        gc.collect(generation)
        return generation


_collector: MainThreadCollector | None = None


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the bundled font as its font (creating it if needed)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    if not _translators:
        # Qt's own texts (Save / Discard / Yes / No on standard buttons) in Chinese too.
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase", "qt"):
            translator = QTranslator()
            if translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China),
                               name, "_", folder):
                app.installTranslator(translator)
                _translators.append(translator)
    global _collector
    if _collector is None:
        _collector = MainThreadCollector(app)
    gc.disable()  # again: something may have switched it back on (tests do, between tests)
    app.setApplicationName("村医签约随访登记")
    app.setOrganizationName("clinic-app")
    font = QFont(load_fonts(), FONT_POINT_SIZE)
    app.setFont(font)
    return app


def run(db_path: Path | None, *, demo_if_empty: bool = False) -> int:
    from clinic_app.ui.main_window import MainWindow

    app = application()
    try:
        clinic = Clinic.open(db_path)
    except (StorageError, ClinicError) as exc:
        QMessageBox.critical(None, "无法打开数据库", str(exc))
        return 1
    window = MainWindow(clinic)
    window.show()
    if demo_if_empty and clinic.count("residents") == 0:
        window.generate_demo(DEMO_RESIDENTS)
    code = app.exec()
    clinic.close()
    return code
