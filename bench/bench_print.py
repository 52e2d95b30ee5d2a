"""Time printing: 1,000 contact cards (goal: ≤ 2 s and ≤ 3 MB), and the other documents.

    python bench/bench_print.py              # a 1,500-resident demo township, cached
    python bench/bench_print.py --repeat 9
    python bench/bench_print.py --no-accel   # without reportlab's C accelerator (rl_accel)

The township is generated once into bench/.cache/ and reused. The 1,000 cards are the first
1,000 residents with a contract in force; the card job is timed whole (reading the register,
checking every character against the font, laying out, QR codes, writing the PDF). The first
run in a process also registers the 10 MB font (about 0.5 s per weight), so it is shown apart;
the median of the following runs is the number to compare with the goal. Wall time and CPU
time are both given: on a shared machine the CPU time is the steadier of the two.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
GOAL_SECONDS = 2.0
GOAL_BYTES = 3 * 1024 * 1024


def _block_accelerator() -> None:
    class Block:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            if name in ("_rl_accel", "rl_accel", "reportlab.lib._rl_accel"):
                raise ImportError("blocked for the benchmark")

    sys.meta_path.insert(0, Block())  # type: ignore[arg-type]


def township(residents: int, seed: int) -> Path:
    from clinic_app import demo
    from clinic_app.clinic import Clinic

    path = CACHE / f"print-township-{residents}-{seed}.db"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        partial = path.with_suffix(".partial.db")
        for stale in CACHE.glob(partial.name + "*"):
            stale.unlink()
        with Clinic.open(partial) as clinic:
            demo.generate(clinic, residents, seed, "xinbin")
            clinic.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(path)
    return path


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-accel", action="store_true",
                        help="block reportlab's C accelerator (to see what it is worth)")
    args = parser.parse_args(argv)
    if args.no_accel:
        _block_accelerator()
    from reportlab.lib import rl_accel

    from clinic_app import printing
    from clinic_app.clinic import Clinic
    from clinic_app.printing import content

    accelerated = type(rl_accel.fp_str).__name__ == "builtin_function_or_method"
    path = township(args.residents, args.seed)
    clinic = Clinic.open(path)
    everyone = clinic.print_subjects("resident")
    cards, _skipped = content.contact_cards(clinic, everyone)
    ids = [card.resident_id for card in cards[:args.cards]]
    if len(ids) < args.cards:
        print(f"only {len(ids)} residents have a contract in force; use --residents larger")
    rows: list[tuple[str, str]] = []

    def job() -> printing.PrintOutput:
        return printing.contact_cards_pdf(clinic, resident_ids=ids)

    wall, cpu, _ = timed(job)
    rows.append((f"{len(ids):,} contact cards, first run (registers the font)",
                 f"{wall:.2f} s wall, {cpu:.2f} s CPU"))
    walls, cpus = [], []
    for _ in range(args.repeat):
        wall, cpu, output = timed(job)
        walls.append(wall)
        cpus.append(cpu)
    assert isinstance(output, printing.PrintOutput)
    median_wall, median_cpu = statistics.median(walls), statistics.median(cpus)
    size = len(output.pdf)
    verdict = "within" if median_wall <= GOAL_SECONDS and size <= GOAL_BYTES else "OVER"
    rows.append((f"{len(ids):,} contact cards, median of {args.repeat}",
                 f"{median_wall:.2f} s wall, {median_cpu:.2f} s CPU"))
    rows.append(("  PDF size", f"{size / 1024 / 1024:.2f} MB, {output.pages} pages "
                 f"({verdict} the goal of {GOAL_SECONDS:g} s and 3 MB)"))
    for layout in ("single", "foldover"):
        wall, cpu, other = timed(lambda layout=layout: printing.contact_cards_pdf(
            clinic, resident_ids=ids, layout=layout))
        assert isinstance(other, printing.PrintOutput)
        rows.append((f"  same cards, layout {layout}",
                     f"{wall:.2f} s wall, {cpu:.2f} s CPU, {len(other.pdf) / 2**20:.2f} MB"))
    village = clinic.places("village")[0]
    households = clinic.print_subjects("household", village_id=village.id)
    wall, cpu, cards_out = timed(lambda: printing.household_cards_pdf(
        clinic, household_ids=households))
    assert isinstance(cards_out, printing.PrintOutput)
    rows.append((f"{len(households)} household cards (明白卡), one village",
                 f"{wall:.2f} s wall, {cpu:.2f} s CPU, {cards_out.pages} pages, "
                 f"{1000 * cpu / max(1, cards_out.pages):.0f} ms CPU a page"))
    wall, cpu, _ = timed(lambda: printing.visit_list_pdf(clinic, village_id=village.id))
    rows.append(("visit list, one village", f"{wall:.2f} s wall, {cpu:.2f} s CPU"))
    wall, cpu, _ = timed(lambda: printing.monthly_report_pdf(clinic))
    rows.append((f"monthly report, {args.residents:,} residents",
                 f"{wall:.2f} s wall, {cpu:.2f} s CPU"))
    clinic.close()
    print(f"township: {path.name}; reportlab accelerator: {'on' if accelerated else 'off'}")
    width = max(len(name) for name, _ in rows)
    print(f"| {'operation'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, result in rows:
        print(f"| {name.ljust(width)} | {result} |")
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    raise SystemExit(main())
