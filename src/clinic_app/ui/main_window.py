"""The main window: navigation, the always-reachable search box, and the status bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.clinic import Clinic
from clinic_app.progress import Progress
from clinic_app.ui.care_lists import care_pages, connect_care_pages  # 体检, 药箱 (issue 6)
from clinic_app.ui.contracts_page import connect_contract_pages, contract_pages  # 签约 (issue 5)
from clinic_app.ui.followups_page import FollowUpsPage
from clinic_app.ui.forms.ui_main_window import Ui_MainWindow
from clinic_app.ui.household_page import HouseholdPage
from clinic_app.ui.models import RowsModel, search_columns
from clinic_app.ui.print_page import connect_print_pages, print_pages  # 打印 (issue 7)
from clinic_app.ui.reports_page import connect_reports_pages, reports_pages  # 统计
from clinic_app.ui.resident_page import ResidentPage
from clinic_app.ui.settings_page import SettingsPage
from clinic_app.ui.tasks import Task, run_task
from clinic_app.ui.today_page import TodayPage
from clinic_app.ui.village_page import VillagePage
from clinic_app.ui.widgets import table_view

SEARCH_DELAY_MS = 120
SEARCH_LIMIT = 200

# (key, title, what the page will hold, shown until it is built)
NAV_PAGES = [
    ("register", "居民档案", ""),
    ("today", "今日待办", "今天该随访、已逾期的患者，按风险排序，附最近血压血糖和电话；"
                        "即将到期的签约；需要体检和药箱将用完的居民。"),
    ("contracts", "签约", "家庭医生团队与医生，按户或个人签约、续约、解约，"
                        "服务包和履约情况（签约一人、履约一人；签约一项、履约一项）。"),
    ("followups", "随访", "高血压、2型糖尿病、肺结核、严重精神障碍的国家随访表，"
                        "键盘录入，自动给出控制评价和下次随访日期。"),
    ("checkups", "体检", "每年一次的健康体检表（老年人版），异常值提示，按村统计覆盖率。"),
    ("medicine", "药箱", "慢病小药箱：代购药品、医保结算、上门送药，免费用药年度限额余额。"),
    ("printing", "打印", "签约服务联系卡、户政策明白卡、随访名单、随访表和月报，按村批量打印。"),
    ("reports", "统计", "签约覆盖率、规范管理率、血压血糖控制率、体检覆盖率、"
                      "因病致贫返贫预警。"),
    # 同步 (USB bundles, county merge) joins the list when it is built: no placeholder pages.
    ("settings", "设置", "本院所在地和政策配置，查看每条规则及其文件出处。"),
]


class RegisterPage(QWidget):
    """居民档案: search results; Enter or double-click opens a resident."""

    open_resident = Signal(str)

    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.model = RowsModel(search_columns(), self)
        self.table = table_view(self.model, "searchResults")
        self.table.activated.connect(self._activated)
        self.hint = QLabel()
        self.hint.setObjectName("searchHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        self.show_results("", [])

    def show_results(self, query: str, rows: list[dict[str, Any]]) -> None:
        self.model.set_rows(rows)
        if not query:
            self.hint.setText("在上方输入拼音首字母（如 zs 找张三）、全拼、姓名、身份证号"
                              "（或后4–6位）、电话或户编号，按回车打开第一个结果。")
        elif not rows:
            self.hint.setText(f"没有找到与“{query}”匹配的居民。可以换用拼音首字母、身份证号后几位或电话。")
        else:
            more = "（只显示前 200 条，请输入更多字缩小范围）" if len(rows) >= SEARCH_LIMIT else ""
            self.hint.setText(f"找到 {len(rows)} 人{more}。↑↓ 选择，回车打开。")
        if rows:
            self.table.selectRow(0)

    def _activated(self, index: Any) -> None:
        resident_id = self.model.data(index, RowsModel.ID_ROLE)
        if resident_id:
            self.open_resident.emit(resident_id)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        index = rows[0] if rows else self.model.index(0, 0)
        if index.isValid():
            self._activated(index)


class MainWindow(QMainWindow):
    def __init__(self, clinic: Clinic) -> None:
        super().__init__()
        self.clinic = clinic
        self.ui = Ui_MainWindow()
        self.ui.setupUi(self)
        self._tasks: list[Task] = []
        self._history: list[tuple[str, str]] = []  # (page, record id) to go back to
        self.pages: dict[str, QWidget] = {}
        self.register = RegisterPage(clinic)
        self.villages = VillagePage(clinic)
        self.register_tabs = QTabWidget()
        self.register_tabs.setObjectName("registerTabs")
        self.register_tabs.addTab(self.register, "查找居民")
        self.register_tabs.addTab(self.villages, "村名单")
        self.today = TodayPage(clinic)
        self.settings = SettingsPage(clinic)
        built = {"register": self.register_tabs, "today": self.today, "settings": self.settings}
        built.update(contract_pages(clinic))  # 签约: 团队与医生, 到期, 履约 (issue 5)
        built.update(care_pages(clinic))  # 体检 and 药箱 pages (issue 6)
        built.update(print_pages(clinic))  # 打印 page (issue 7)
        built.update(reports_pages(clinic))  # 统计 page: the 月报's numbers on screen
        self.follow_ups = FollowUpsPage(clinic)  # 随访: the village's register (issue 5)
        built["followups"] = self.follow_ups
        for key, title, _ in NAV_PAGES:
            page = built[key]  # every page is built: no placeholders
            self.pages[key] = page
            self.ui.pages.addWidget(page)
            self.ui.navList.addItem(title)
        self.resident_page = ResidentPage(clinic)
        self.household_page = HouseholdPage(clinic)
        self.ui.pages.addWidget(self.resident_page)
        self.ui.pages.addWidget(self.household_page)
        self.ui.navList.currentRowChanged.connect(self._nav)
        self.ui.navList.setCurrentRow(0)
        for page in (self.register, self.villages, self.household_page, self.resident_page,
                     self.today):
            page.open_resident.connect(self.open_resident)
        connect_contract_pages(self)  # the 签约 page opens residents too (issue 5)
        connect_care_pages(self)  # 体检, 药箱 pages open residents too (issue 6)
        connect_print_pages(self)  # 打印: its status messages (issue 7)
        connect_reports_pages(self)  # 统计: its jobs and status messages
        self.today.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.follow_ups.open_resident.connect(self.open_resident)
        self.follow_ups.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.settings.changed.connect(self._settings_changed)
        self._today_loaded = False
        for page in (self.villages, self.resident_page):
            page.open_household.connect(self.open_household)
        self.villages.import_requested.connect(self.import_roster)
        self.resident_page.back.connect(self.go_back)
        self.household_page.back.connect(self.go_back)
        self.resident_page.saved.connect(self._resident_saved)
        self.household_page.changed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.resident_page, activated=self.go_back)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.household_page, activated=self.go_back)
        self.ui.splitter.setStretchFactor(1, 1)
        self.ui.splitter.setSizes([140, 1100])

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self.ui.searchEdit.textChanged.connect(self._search_timer.start)
        self.ui.searchEdit.returnPressed.connect(self._search_enter)
        self.ui.searchEdit.installEventFilter(self)
        for keys in (QKeySequence.StandardKey.Find, QKeySequence(Qt.Key.Key_F3)):
            QShortcut(keys, self, activated=self.focus_search)

        self.status_labels = {name: QLabel() for name in ("clinic", "user", "db", "sync")}
        for label in self.status_labels.values():
            self.ui.statusBar.addPermanentWidget(label)
        self.refresh_status()
        self.ui.searchEdit.setFocus()

    # ------------------------------------------------------------------ navigation
    def _may_leave_resident(self) -> bool:
        """True unless the resident page holds unsaved edits the user wants to keep."""
        if self.ui.pages.currentWidget() is not self.resident_page or \
                not self.resident_page.changes():
            return True
        return self._confirm_discard()

    def _nav(self, row: int) -> None:
        if not self._may_leave_resident():
            self.ui.navList.blockSignals(True)
            self.ui.navList.setCurrentRow(0)
            self.ui.navList.blockSignals(False)
            return
        self._history.clear()
        self.ui.pages.setCurrentIndex(row)
        if self.ui.pages.currentWidget() is self.today and not self._today_loaded:
            self._today_loaded = True
            self._tasks.append(self.today.refresh())

    def _current_place(self) -> tuple[str, str]:
        widget = self.ui.pages.currentWidget()
        if widget is self.resident_page and self.resident_page.resident_id:
            return ("resident", self.resident_page.resident_id)
        if widget is self.household_page and self.household_page.household_id:
            return ("household", self.household_page.household_id)
        if widget is self.today:
            return ("today", "")
        return ("register", "")

    def open_resident(self, resident_id: str) -> None:
        if not self._may_leave_resident():
            return
        self._history.append(self._current_place())
        self.resident_page.load(resident_id)
        self.ui.pages.setCurrentWidget(self.resident_page)
        # Focus the record's tabs, not 姓名: a doctor typing the next search must not rename
        # this patient. Ctrl+F returns to the search box, Tab reaches the fields.
        self.resident_page.tabs.setFocus()

    def open_household(self, household_id: str) -> None:
        if not self._may_leave_resident():
            return
        self._history.append(self._current_place())
        self.household_page.load(household_id)
        self.ui.pages.setCurrentWidget(self.household_page)
        self.household_page.table.setFocus()

    def go_back(self) -> None:
        if not self._may_leave_resident():
            return
        page, record = self._history.pop() if self._history else ("register", "")
        if page == "today":
            self.ui.pages.setCurrentWidget(self.today)
        elif page == "resident":
            self.resident_page.load(record)
            self.ui.pages.setCurrentWidget(self.resident_page)
        elif page == "household":
            self.household_page.load(record)
            self.ui.pages.setCurrentWidget(self.household_page)
        else:
            self.ui.pages.setCurrentWidget(self.register_tabs)
            self.run_search()
            self.villages.refresh()

    def _confirm_discard(self) -> bool:
        answer = QMessageBox.question(
            self, "未保存的修改", "这个档案有未保存的修改。要保存吗？",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard |
            QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.resident_page.save()
        return answer == QMessageBox.StandardButton.Discard

    def _resident_saved(self, resident_id: str, warnings: list[str]) -> None:
        text = "已保存" + ("：" + "；".join(warnings) if warnings else "")
        self.statusBar().showMessage(text, 10000)

    # ------------------------------------------------------------------ search
    def focus_search(self) -> None:
        if not self._may_leave_resident():
            return
        self.ui.navList.setCurrentRow(0)
        self._nav(0)
        self.register_tabs.setCurrentWidget(self.register)
        self.ui.searchEdit.setFocus()
        self.ui.searchEdit.selectAll()

    def run_search(self) -> None:
        self._search_timer.stop()
        query = self.ui.searchEdit.text().strip()
        rows = self.clinic.search(query, SEARCH_LIMIT) if query else []
        self.register.show_results(query, rows)
        if self.ui.pages.currentWidget() is self.resident_page and self.resident_page.changes():
            # Never swap an unsaved form away while the doctor types elsewhere.
            self.statusBar().showMessage(
                f"找到 {len(rows)} 人。当前档案有未保存的修改：Ctrl+S 保存，或回车查看结果时选择。",
                8000)
            return
        self.ui.navList.setCurrentRow(0)
        self._nav(0)
        self.register_tabs.setCurrentWidget(self.register)

    def _search_enter(self) -> None:
        if not self._may_leave_resident():
            return
        if self._search_timer.isActive() or self.ui.pages.currentWidget() is not \
                self.register_tabs:
            self.run_search()
        self.register.open_selected()

    def eventFilter(self, watched: Any, event: Any) -> bool:
        # ↑/↓ in the search box move through the results without leaving the box.
        if watched is self.ui.searchEdit and event.type() == event.Type.KeyPress and \
                event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            table = self.register.table
            current = table.currentIndex().row()
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            target = max(0, min(self.register.model.rowCount() - 1, current + step))
            if self.register.model.rowCount():
                table.selectRow(target)
            return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ status
    def refresh_status(self) -> None:
        name = self.clinic.setting("clinic_name") or "未设置本院名称"
        self.status_labels["clinic"].setText(f"本院：{name}")
        self.status_labels["user"].setText(f"用户：{self.clinic.user or '未知'}")
        path = Path(str(self.clinic.path))
        self.status_labels["db"].setText(f"数据库：{path.name}")
        self.status_labels["db"].setToolTip(str(path))
        last_sync = self.clinic.setting("last_sync") or "尚未同步"
        self.status_labels["sync"].setText(f"上次同步：{last_sync}")
        self.setWindowTitle(f"村医签约随访登记 — {name}")

    # ------------------------------------------------------------------ jobs
    def generate_demo(self, residents: int) -> Task:
        from clinic_app import demo

        path = self.clinic.path

        def job(progress: Progress) -> int:
            with Clinic.open(path) as worker:
                return demo.generate(worker, residents, progress=progress).residents

        def done(count: int) -> None:
            self.refresh_status()
            self.villages.reload_villages()
            self.today.reload_villages()
            if self._today_loaded:
                self._tasks.append(self.today.refresh())
            self.statusBar().showMessage(f"已生成演示乡镇：{count} 人（演示数据，不是真实居民）",
                                         10000)

        task = run_task(self, "生成演示乡镇", job, on_done=done, on_error=self._job_failed)
        self._tasks.append(task)
        return task

    def _settings_changed(self, text: str) -> None:
        self.refresh_status()
        self.statusBar().showMessage(text, 10000)
        if self._today_loaded:  # the schedule depends on the profile
            self._tasks.append(self.today.refresh())

    def import_roster(self) -> Any:
        from clinic_app.ui.import_wizard import open_wizard

        wizard = open_wizard(self.clinic, self)
        wizard.finished.connect(lambda _: self._after_import(wizard))
        wizard.open()
        return wizard

    def _after_import(self, wizard: Any) -> None:
        report = wizard.imported()
        if report is None:
            return
        self.villages.reload_villages()
        self.today.reload_villages()
        self.run_search()
        self.statusBar().showMessage(
            f"名单已导入：新增 {report.imported} 人，更新 {report.updated} 人", 10000)

    def wait_for_tasks(self, timeout: float = 60) -> None:
        """Block until background jobs end (tests; closing the window)."""
        for task in self._tasks:
            task.wait(timeout)
        self._tasks = [t for t in self._tasks if not t.wait(0)]

    def closeEvent(self, event: Any) -> None:
        # Closing the window is leaving the page too: unsaved edits are asked about first.
        if not self._may_leave_resident():
            event.ignore()
            return
        # A job writes in one transaction: cancelling rolls it back cleanly; wait for that.
        for task in self._tasks:
            task.cancel()
        self.wait_for_tasks(30)
        super().closeEvent(event)

    def _job_failed(self, message: str) -> None:
        QMessageBox.warning(self, "操作失败", message)

    # ------------------------------------------------------------------ 打印 (issue 7)
    def open_print(self, request: Any) -> None:
        """打印联系卡 / 打印明白卡 / 打印随访名单 on other pages (ui/print_actions.py): the
        打印 page, preset to the request, generating its preview."""
        row = [key for key, _, _ in NAV_PAGES].index("printing")
        if self.ui.navList.currentRow() == row:  # a record page was shown over it
            self._nav(row)
        else:
            self.ui.navList.setCurrentRow(row)
        page = self.pages["printing"]
        if self.ui.pages.currentWidget() is page:  # not when unsaved edits kept us back
            page.start(request)  # type: ignore[attr-defined]  (its jobs join self._tasks)
