"""Reads for the 统计 page (ui/reports_page.py): which months the register has data for.

The numbers themselves come from the 月报's queries (print_queries.report_*) through
``printing.report.compute``, so the page and the printed 月报 cannot disagree.
"""

from __future__ import annotations

from clinic_app.storage.store import Store

# (table, date column): the dated work a month's report counts. Each first date is read with an
# ordered LIMIT 1 (the date indexes make it instant on a 200k township, unlike MIN over a WHERE).
_DATED = (("follow_ups", "visit_date"), ("checkups", "checkup_date"),
          ("deliveries", "delivered_on"), ("contracts", "signed_on"))


def first_activity_on(store: Store) -> str | None:
    """The earliest date (ISO) of any live visit, checkup, delivery or contract signing."""
    dates = []
    for table, column in _DATED:
        rows = store.rows(f"SELECT {column} AS on_date FROM {table} WHERE deleted = 0 "
                          f"AND {column} IS NOT NULL AND {column} <> '' "
                          f"ORDER BY {column} LIMIT 1")
        if rows:
            dates.append(str(rows[0]["on_date"]))
    return min(dates) if dates else None
