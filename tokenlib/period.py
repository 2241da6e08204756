"""Keep the rows of a table that fall in the report's period.

The ``spend`` view buckets the ledger by reporting day; tables beside it
(outcomes, routes, volumes, activity) are kept to the same days here, from
the ``report_params`` that :func:`tokenlib.price_ledger` registers.
"""

from __future__ import annotations

__all__ = ["DAYS_PER_MONTH", "HOURS_PER_MONTH", "in_period"]

#: A month is a twelfth of a Julian year: 30.4375 days, 730.5 hours. Monthly
#: amounts and growth rates turn into days with it everywhere.
DAYS_PER_MONTH = 365.25 / 12
HOURS_PER_MONTH = DAYS_PER_MONTH * 24


def in_period(table: str) -> str:
    """Return SQL selecting the rows of ``table`` in the period, with a ``day``.

    A row that covers one whole UTC day (it was given as a ``date``) keeps
    that date as its day; a row given with a time takes the day it falls on
    in the reporting zone.

    Examples
    --------
    >>> "report_params" in in_period("outcomes")
    True
    """
    return f"""(SELECT * EXCLUDE (_from, _to) FROM (
      SELECT t.*, CASE
          WHEN t."end" = t.start + INTERVAL 1 DAY
           AND t.start = date_trunc('day', t.start) THEN CAST(t.start AS DATE)
          WHEN p.tz = 'UTC' THEN CAST(t.start AS DATE)
          ELSE CAST(timezone(p.tz, t.start) AS DATE) END AS day,
        p.start AS _from, p."end" AS _to
      FROM {table} t, report_params p)
    WHERE (_from IS NULL OR day >= _from) AND (_to IS NULL OR day < _to))"""
