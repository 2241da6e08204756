"""Token cost in the listener's units: per booking, per call, basis points.

Finance hears basis points of revenue and cost per dollar of gross profit;
a product owner hears cost per booking or per resolved ticket. The business
volumes (the ``volumes`` table: per day and unit, how many, with revenue and
gross profit) carry those denominators; :func:`unit_costs` divides the AI
spend of the reporting period by them.

A volume row that names a use case is paired with that use case's spend;
one that names none with all AI spend. Volumes are dated by their UTC day
and kept to the report's period. Money in another currency than the
volumes' is never divided by them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .sources.base import literal

__all__ = ["unit_costs"]


def _period(con: duckdb.DuckDBPyConnection, column: str) -> str:
    """SQL: a UTC date column falls in the report's period."""
    first, stop = con.execute('SELECT start, "end" FROM report_params').fetchone()
    parts = ["true"]
    if first:
        parts.append(f"{column} >= DATE {literal(first.isoformat())}")
    if stop:
        parts.append(f"{column} < DATE {literal(stop.isoformat())}")
    return " AND ".join(parts)


def unit_costs(
    con: duckdb.DuckDBPyConnection,
    currency: str = "USD",
    unit: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """AI cost per business unit, and against revenue and gross profit.

    Parameters
    ----------
    con
        Connection with ``spend`` registered (:func:`tokenlib.price_ledger`).
    currency
        Cost in this currency is used; revenue and gross profit in another
        currency give no ratio.
    unit
        One unit (``booking``); all units when None.
    by
        ``week`` for a weekly trend (weeks start on Monday); the whole
        period when None.

    Returns
    -------
    pandas.DataFrame
        [``week``], ``unit``, ``use_case`` ("(all AI)" when the volumes name
        none), ``volume``, ``currency``, ``cost``, ``cost_per_unit``,
        ``revenue``, ``gross_profit``, ``bps_of_revenue`` (cost over
        revenue x 10,000), ``cost_per_gross_profit`` (cost per unit of
        gross-profit money), ``reason`` (why a ratio is missing).
    """
    week = by == "week"
    when = "date_trunc('week', d)::DATE" if week else "NULL::DATE"
    only = f"AND unit = {literal(unit)}" if unit else ""
    frame = con.execute(
        f"""
        WITH v AS (
          SELECT {when} AS week, unit, coalesce(use_case, '(all AI)') AS use_case,
                 sum(volume) AS volume, sum(revenue)::DOUBLE AS revenue,
                 sum(gross_profit)::DOUBLE AS gross_profit,
                 string_agg(DISTINCT currency, ', ') AS money_currency
          FROM (SELECT *, CAST(start AS DATE) AS d FROM volumes)
          WHERE {_period(con, "d")} {only}
          GROUP BY ALL
        ),
        s AS (
          SELECT {when.replace("d)", "utc_day)")} AS week,
                 coalesce(use_case, '(none)') AS use_case, sum(cost) AS cost
          FROM spend WHERE cost_currency = ? GROUP BY ALL
        ),
        all_ai AS (SELECT week, sum(cost) AS cost FROM s GROUP BY ALL)
        SELECT v.*, coalesce(
            CASE WHEN v.use_case = '(all AI)' THEN a.cost ELSE s.cost END, 0)
            AS cost
        FROM v
        LEFT JOIN s ON s.use_case = v.use_case
          AND s.week IS NOT DISTINCT FROM v.week
        LEFT JOIN all_ai a ON a.week IS NOT DISTINCT FROM v.week
        ORDER BY ALL
        """,
        [currency],
    ).df()
    frame.insert(4, "currency", currency)
    frame["cost_per_unit"] = frame["cost"] / frame["volume"].where(frame["volume"] > 0)
    same = frame["money_currency"].fillna(currency) == currency
    revenue = frame["revenue"].where(same & (frame["revenue"] > 0))
    profit = frame["gross_profit"].where(same & (frame["gross_profit"] > 0))
    frame["bps_of_revenue"] = frame["cost"] / revenue * 10_000
    frame["cost_per_gross_profit"] = frame["cost"] / profit
    frame["reason"] = None
    frame.loc[frame["revenue"].isna(), "reason"] = "no revenue given"
    frame.loc[~same, "reason"] = "revenue in another currency"
    if not week:
        frame = frame.drop(columns="week")
    return frame.drop(columns="money_currency")
