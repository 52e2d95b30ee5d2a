"""Time the core on a large generated township (not part of the test suite).

    python bench/run.py                  # 200,000 residents, cached in bench/.cache/
    python bench/run.py --residents 50000 --repeat 50

The township is generated once per (size, seed) into a cache file and reused; the generation
time is printed when it happens. Each operation runs --repeat times and the table gives the
median and 95th percentile. Later issues add their operations to OPERATIONS.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from clinic_app import demo
from clinic_app.clinic import Clinic
from clinic_app.progress import Progress

CACHE = Path(__file__).resolve().parent / ".cache"


def township(residents: int, seed: int) -> tuple[Path, float | None]:
    path = CACHE / f"township-{residents}-{seed}.db"
    if path.exists():
        return path, None
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial.db")
    for stale in CACHE.glob(partial.name + "*"):
        stale.unlink()
    started = time.perf_counter()

    def report(done: int, total: int, message: str) -> None:
        print(f"\r生成 {done}/{total}", end="", file=sys.stderr, flush=True)

    with Clinic.open(partial) as clinic:
        demo.generate(clinic, residents, seed, progress=Progress(report))
        clinic.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    partial.rename(path)
    return path, seconds


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm caches once, as a doctor's second keystroke would find them
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def operations(clinic: Clinic) -> list[tuple[str, Callable[[], object]]]:
    rng = random.Random(5)
    sample = clinic.store.rows(
        "SELECT r.id_number, r.phone, r.name, h.household_no FROM residents r "
        "JOIN households h ON h.id = r.household_id WHERE r.phone <> '' "
        "ORDER BY r.rowid LIMIT 2000")
    people = [rng.choice(sample) for _ in range(64)]
    cycle = iter(range(10**9))

    def pick() -> dict:
        return people[next(cycle) % len(people)]

    return [
        ("search 'zs' (initials, 2 letters)", lambda: clinic.search("zs")),
        ("search 'z' (initials, 1 letter)", lambda: clinic.search("z")),
        ("search 'wang' (full pinyin)", lambda: clinic.search("wang")),
        ("search 'zhangwei' (full pinyin)", lambda: clinic.search("zhangwei")),
        ("search '张' (name prefix)", lambda: clinic.search("张")),
        ("search a full name", lambda: clinic.search(pick()["name"])),
        ("search full ID number", lambda: clinic.search(pick()["id_number"])),
        ("search last 6 of ID", lambda: clinic.search(pick()["id_number"][-6:])),
        ("search full phone", lambda: clinic.search(pick()["phone"])),
        ("search household number", lambda: clinic.search(pick()["household_no"])),
        ("search '建华' (end of a name)", lambda: clinic.search("建华")),
        *work_list_operations(clinic),
        *contract_operations(clinic),  # 家庭医生签约 (issue 5)
        *care_operations(clinic),  # 体检与慢病小药箱 (issue 6)
    ]


def work_list_operations(clinic: Clinic) -> list[tuple[str, Callable[[], object]]]:
    """今日待办 (issue 5): the whole township's list and one village's, computed when asked."""
    village = clinic.places("village")[0]
    return [
        ("work list: whole township (今日待办)", lambda: clinic.work_list()),
        (f"work list: one village ({village.name})",
         lambda: clinic.work_list(village_id=village.id)),
    ]


def contract_operations(clinic: Clinic) -> list[tuple[str, Callable[[], object]]]:
    """家庭医生签约 (issue 5): renewal lists and 履约. A whole township's fulfilment reads every
    contract's records (≈9 s at 200k): too slow to repeat here; `clinic-app contracts
    fulfilment` times it once."""
    village = clinic.places("village")[0]
    contract = clinic.store.rows("SELECT id FROM contracts WHERE deleted = 0 "
                                 "ORDER BY rowid LIMIT 1")[0]["id"]
    return [
        ("contracts expiring: whole township", lambda: clinic.expiring_soon()),
        ("contracts expired: whole township", lambda: clinic.expired_contracts()),
        (f"contracts expiring: one village ({village.name})",
         lambda: clinic.expiring_soon(village_id=village.id)),
        (f"fulfilment: one village ({village.name})",
         lambda: clinic.village_fulfilment(village_id=village.id)),
        ("fulfilment: one contract (签约 tab)", lambda: clinic.fulfilment(contract)),
    ]


# ------------------------------------------------------------ checkups, medicine box (issue 6)
def care_operations(clinic: Clinic) -> list[tuple[str, Callable[[], object]]]:
    """体检与慢病小药箱 (issue 6): the lists of one village, one resident's box, a quarter's
    reconciliation. The whole township's lists take seconds (200k: checkups due 2.3 s,
    coverage 1.7 s, runs out 2.5 s, a quarter's report 2.1 s; all in the background or an
    export): too slow to repeat here."""
    import datetime as dt

    village = clinic.places("village")[0]
    resident = clinic.store.rows("SELECT resident_id FROM medicine_boxes WHERE deleted = 0 "
                                 "ORDER BY rowid LIMIT 1")[0]["resident_id"]
    back = clinic.today() - dt.timedelta(days=90)
    quarter = f"{back.year}Q{(back.month - 1) // 3 + 1}"
    return [
        (f"checkups due: one village ({village.name})",
         lambda: clinic.checkups_due(village_id=village.id)),
        (f"runs out soon: one village ({village.name})",
         lambda: clinic.runs_out_soon(village_id=village.id)),
        ("medicine box: one resident (balance, days left)",
         lambda: clinic.medicine_box(resident)),
        (f"medicine report: one village, {quarter}",
         lambda: clinic.medicine_report(quarter, village_id=village.id)),
    ]
# (end of issue 6)


def ui_operations(clinic: Clinic) -> list[tuple[str, Callable[[], object]]]:
    """A keystroke in the search box: query, model reset and repaint (offscreen Qt)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from clinic_app.ui.app import application
    from clinic_app.ui.main_window import MainWindow

    app = application()
    window = MainWindow(clinic)
    window.resize(1366, 768)
    window.show()
    app.processEvents()

    def keystroke(text: str) -> Callable[[], object]:
        def run() -> None:
            window.ui.searchEdit.setText(text)
            window.run_search()
            window.register.table.viewport().repaint()
            app.processEvents()
        return run

    operations._window = window  # type: ignore[attr-defined]  # keep it alive
    return [("UI: keystroke 'zs' → 200 rows painted", keystroke("zs")),
            ("UI: keystroke 'zhang' → 200 rows painted", keystroke("zhang")),
            ("UI: open a resident page", lambda: window.open_resident(
                clinic.search("zs")[0]["id"]))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-ui", action="store_true", help="skip the offscreen Qt timings")
    args = parser.parse_args(argv)
    path, generated = township(args.residents, args.seed)
    rows: list[tuple[str, float, float]] = []
    if generated is not None:
        rows.append((f"demo: generate {args.residents:,} residents", generated * 1000,
                     generated * 1000))
    started = time.perf_counter()
    clinic = Clinic.open(path)
    opened = (time.perf_counter() - started) * 1000
    rows.append(("open database (migrations checked)", opened, opened))
    measured = operations(clinic) + ([] if args.no_ui else ui_operations(clinic))
    for name, fn in measured:
        rows.append((name, *measure(fn, args.repeat)))
    started = time.perf_counter()
    report = clinic.check()
    checked = (time.perf_counter() - started) * 1000
    rows.append(("check (integrity + relations)", checked, checked))
    clinic.close()
    counts = ", ".join(f"{k} {v:,}" for k, v in report.counts.items() if v)
    print(f"township: {path.name} ({path.stat().st_size / 2**20:.0f} MiB): {counts}")
    width = max(len(r[0]) for r in rows)
    print(f"| {'operation'.ljust(width)} | median ms | p95 ms |")
    print(f"|{'-' * (width + 2)}|----------:|-------:|")
    for name, median, p95 in rows:
        print(f"| {name.ljust(width)} | {median:9.2f} | {p95:6.2f} |")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
