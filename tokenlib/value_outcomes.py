"""Use-case economics: cost per use case and per verified outcome, revenue.

Every function reads the ``spend`` view of :func:`tokenlib.price_ledger`
and the ``outcomes`` table restricted to the same reporting days
(:func:`in_period`), and returns a tidy frame. Money comes with its
``currency`` and two currencies are never added: a cost in one currency is
only set against outcomes or revenue in the same one. Where a figure cannot
be computed it is null and ``reason`` says why.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .attribution import Owners, allocate
from .period import in_period
from .schema import TOKENS_SQL

__all__ = [
    "BASIS",
    "TOTAL",
    "in_period",
    "cost_per_use_case",
    "cost_per_verified_outcome",
    "cost_vs_revenue",
    "reported_value",
    "value_per_token",
]

#: What the cost of a use case is made of, in this release.
BASIS = "token cost"
#: Label of the row that totals the use cases.
TOTAL = "(total)"
_USE_CASE = "nullif(trim(use_case), '')"
_TOKENS = TOKENS_SQL


def _spend_by_use_case() -> str:
    """Return SQL of cost per use case and currency (rows with a cost)."""
    return f"""SELECT {_USE_CASE} AS use_case, cost_currency AS currency,
        sum(cost) AS cost
      FROM spend WHERE cost IS NOT NULL AND {_USE_CASE} IS NOT NULL
      GROUP BY ALL"""


def cost_per_use_case(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Give each use case its own spend plus a share of spend naming none.

    Spend that names a use case is direct; spend that names none is split
    over the use cases in proportion to their direct spend, per currency
    (:func:`tokenlib.attribution.allocate`).

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``currency``, ``direct``, ``allocated``, ``cost``
        (direct + allocated), largest first per currency; a use case
        ``(unallocated)`` holds spend no use case could take. Per currency
        ``cost`` adds up to the total spend.
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW use_case_spend AS
        SELECT day, cost_currency, cost, {_USE_CASE} AS owner,
               {_USE_CASE} IS NULL AS shared
        FROM spend"""
    )
    frame = allocate(
        con, Owners(dimension="use_case", shared_owners=()), source="use_case_spend"
    )
    frame = frame.rename(columns={"owner": "use_case", "shared": "allocated"})
    frame.attrs["basis"] = BASIS
    return frame


def cost_per_verified_outcome(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Price each verified outcome, and the spend on unverified or failed work.

    Per use case: ``cost_per_verified`` = cost of the use case's spend /
    verified outcomes; ``unverified_cost`` = cost x (attempted - verified) /
    attempted, the part of the cost that bought no verified outcome.
    Per currency, the ``(total)`` row covers the use cases with both spend
    (in that currency only) and attempted outcomes: their cost over their
    verified outcomes, and ``unverified_share`` = sum of unverified cost /
    their cost.

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``currency``, ``cost``, ``attempted``, ``verified``,
        ``failed``, ``cost_per_verified``, ``unverified_cost``,
        ``unverified_share``, ``unpriced_tokens`` (the use case's tokens
        whose cost is unknown), ``basis`` ("token cost"), ``reason`` (why a
        figure is null: no spend, no outcomes, spend in more than one
        currency, no verified outcome; or that it is a floor because some
        tokens have no price).

    Notes
    -----
    A use case with spend in two currencies has a row per currency and no
    figures: its outcomes cannot be split between the currencies.
    """
    sql = f"""
    WITH s AS ({_spend_by_use_case()}),
    n AS (SELECT use_case, count(*) AS currencies FROM s GROUP BY ALL),
    u AS (SELECT {_USE_CASE} AS use_case, sum(input_tokens + cache_read_tokens
            + cache_write_5m_tokens + cache_write_1h_tokens + output_tokens)
            AS unpriced
          FROM spend WHERE cost IS NULL AND counted GROUP BY ALL),
    o AS (SELECT use_case, sum(attempted) AS attempted, sum(verified) AS verified,
                 sum(failed) AS failed
          FROM {in_period("outcomes")} GROUP BY ALL),
    j AS (
      SELECT coalesce(s.use_case, o.use_case) AS use_case, s.currency, s.cost,
        o.attempted, o.verified, o.failed,
        CASE WHEN s.cost IS NULL THEN 'no spend for this use case in the period'
             WHEN o.use_case IS NULL THEN 'no outcomes reported for this use case'
             WHEN n.currencies > 1 THEN 'spend in ' || n.currencies
               || ' currencies: outcomes cannot be split between them'
             WHEN o.attempted = 0 THEN 'no outcome attempted'
             WHEN o.verified = 0 THEN 'no verified outcome'
        END AS reason,
        coalesce(u.unpriced, 0) AS unpriced_tokens,
        s.cost IS NOT NULL AND o.attempted > 0 AND n.currencies = 1 AS counted
      FROM s FULL JOIN o ON s.use_case = o.use_case
      LEFT JOIN n ON n.use_case = s.use_case
      LEFT JOIN u ON u.use_case = coalesce(s.use_case, o.use_case)
    ),
    r AS (
      SELECT use_case, currency, cost, attempted, verified, failed,
        CASE WHEN reason IS NULL THEN cost / verified END AS cost_per_verified,
        CASE WHEN counted THEN cost * (attempted - verified) / attempted END
          AS unverified_cost,
        coalesce(reason, CASE WHEN unpriced_tokens > 0 THEN
          format('{{:,}} tokens have no price: a floor, not the full cost',
                 unpriced_tokens) END) AS reason,
        unpriced_tokens, counted
      FROM j
    )
    SELECT use_case, currency, cost, attempted, verified, failed,
      cost_per_verified, unverified_cost,
      unverified_cost / nullif(cost, 0) AS unverified_share, unpriced_tokens,
      reason, 0 AS o
    FROM r
    UNION ALL
    SELECT '{TOTAL}', currency, sum(cost), sum(attempted), sum(verified),
      sum(failed), sum(cost) / nullif(sum(verified), 0), sum(unverified_cost),
      sum(unverified_cost) / nullif(sum(cost), 0), sum(unpriced_tokens),
      CASE WHEN sum(verified) = 0 THEN 'no verified outcome'
           WHEN sum(unpriced_tokens) > 0 THEN 'some tokens have no price: a floor'
      END, 1
    FROM r WHERE counted GROUP BY currency
    ORDER BY currency NULLS LAST, o, use_case"""
    frame = con.execute(sql).df().drop(columns="o")
    frame.insert(len(frame.columns) - 1, "basis", BASIS)
    return frame


def _revenue_sql() -> str:
    """Return SQL of outcome value per use case and currency, in the period."""
    return f"""SELECT use_case, upper(currency) AS currency, sum(value) AS revenue
      FROM {in_period("outcomes")}
      WHERE value IS NOT NULL AND currency IS NOT NULL GROUP BY ALL"""


def reported_value(con: duckdb.DuckDBPyConnection, currency: str) -> float | None:
    """All outcome value reported in ``currency`` in the period; None when
    no outcome carries a value in it."""
    (value,) = con.execute(
        f"SELECT sum(revenue) FROM ({_revenue_sql()}) WHERE currency = ?",
        [currency.upper()],
    ).fetchone()
    return float(value) if value is not None else None


def cost_vs_revenue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Set inference cost against AI revenue, per use case and currency.

    ``revenue`` is the sum of outcome ``value``; ``ratio`` = cost /
    revenue; ``gross_margin`` = (revenue - cost) / revenue. Cost and
    revenue are set against each other only in the same currency. The
    ``(total)`` row of a currency covers the use cases with both.

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``currency``, ``cost``, ``revenue``, ``ratio``,
        ``gross_margin``, ``reason`` (no revenue or no spend in that
        currency, revenue of zero).
    """
    sql = f"""
    WITH s AS ({_spend_by_use_case()}), v AS ({_revenue_sql()}),
    j AS (
      SELECT coalesce(s.use_case, v.use_case) AS use_case,
        coalesce(s.currency, v.currency) AS currency, s.cost, v.revenue
      FROM s FULL JOIN v ON s.use_case = v.use_case AND s.currency = v.currency
    ),
    r AS (
      SELECT *, cost IS NOT NULL AND revenue IS NOT NULL AS matched FROM j
      UNION ALL
      SELECT '{TOTAL}', currency, sum(cost), sum(revenue), true
      FROM j WHERE cost IS NOT NULL AND revenue IS NOT NULL GROUP BY currency
    )
    SELECT use_case, currency, cost, revenue,
      CASE WHEN matched THEN cost / nullif(revenue, 0) END AS ratio,
      CASE WHEN matched THEN (revenue - cost) / nullif(revenue, 0) END
        AS gross_margin,
      CASE WHEN revenue IS NULL THEN 'no revenue in ' || currency
           WHEN cost IS NULL THEN 'no spend in ' || currency
           WHEN revenue = 0 THEN 'revenue is zero' END AS reason
    FROM r ORDER BY currency, use_case = '{TOTAL}', use_case"""
    frame = con.execute(sql).df()
    frame.attrs["basis"] = BASIS
    return frame


def value_per_token(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Divide the value attributed to each use case by its tokens.

    ``tokens`` are the use case's counted tokens of every class (reasoning
    sits inside output); ``value_per_token`` = value / tokens and
    ``value_per_mtok`` the same per million tokens. The ``(total)`` row of
    a currency covers the use cases with both value and tokens.

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``currency``, ``value``, ``tokens``,
        ``value_per_token``, ``value_per_mtok``, ``reason``.
    """
    sql = f"""
    WITH t AS (SELECT {_USE_CASE} AS use_case, sum({_TOKENS}) AS tokens
               FROM spend WHERE counted AND {_USE_CASE} IS NOT NULL GROUP BY ALL),
    v AS ({_revenue_sql()}),
    j AS (SELECT coalesce(v.use_case, t.use_case) AS use_case, v.currency,
            v.revenue AS value, t.tokens
          FROM v FULL JOIN t ON v.use_case = t.use_case),
    r AS (
      SELECT * FROM j
      UNION ALL
      SELECT '{TOTAL}', currency, sum(value), sum(tokens) FROM j
      WHERE value IS NOT NULL AND tokens > 0 GROUP BY currency
    )
    SELECT use_case, currency, value, tokens,
      value / nullif(tokens, 0) AS value_per_token,
      value / nullif(tokens, 0) * 1e6 AS value_per_mtok,
      CASE WHEN value IS NULL THEN 'no value reported for this use case'
           WHEN coalesce(tokens, 0) = 0 THEN 'no tokens for this use case' END
        AS reason
    FROM r ORDER BY currency NULLS LAST, use_case = '{TOTAL}', use_case"""
    return con.execute(sql).df()
