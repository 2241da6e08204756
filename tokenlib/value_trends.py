"""The five consumption metrics week by week.

Each weekly figure follows the definition of its period figure in
:mod:`tokenlib.value`, restricted to the week's reporting days (weeks start
on Monday, days in the report's zone); a week without what a figure needs
leaves it empty, never zero.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .period import in_period
from .policy import Policy
from .schema import INPUT_SQL
from .sources.base import literal
from .value_levers import _REQUESTS, _names
from .value_routes import route_win_rate

__all__ = ["trend_panels", "value_trends"]

_WEEK = "date_trunc('week', day)::DATE"
_INPUT = INPUT_SQL


def _outcome_sql(currency: str) -> str:
    """Weekly cost per verified outcome, over use cases with both."""
    return f"""
    SELECT week, sum(c.cost) / nullif(sum(o.verified), 0)
             AS cost_per_verified_outcome
    FROM (SELECT {_WEEK} AS week, trim(use_case) AS uc, sum(cost) AS cost
          FROM spend WHERE cost_currency = '{currency}' AND use_case IS NOT NULL
          GROUP BY ALL) c
    JOIN (SELECT {_WEEK} AS week, trim(use_case) AS uc,
                 sum(attempted) AS attempted, sum(verified) AS verified
          FROM {in_period("outcomes")} GROUP BY ALL) o USING (week, uc)
    WHERE o.attempted > 0 GROUP BY week"""


def value_trends(
    con: duckdb.DuckDBPyConnection, policy: Policy | None = None, currency: str = "USD"
) -> pd.DataFrame:
    """Return the consumption metrics per week.

    Returns
    -------
    pandas.DataFrame
        ``week``, ``cost_per_verified_outcome`` (in ``currency``),
        ``direct_allocation_pct``, ``route_win_rate``, ``cached_ratio``,
        ``batch_request_share`` (of batch-eligible requests),
        ``sovereignty_hit_rate`` (of regulated requests); empty cells where
        a week has nothing to measure.
    """
    policy = policy or Policy()
    batch = "NULL::DOUBLE"
    if policy.batch_eligible:
        batch = (
            f"coalesce(sum({_REQUESTS}) FILTER (WHERE service_tier = 'batch' "
            f"AND eligible), 0) / nullif(sum({_REQUESTS}) FILTER (WHERE eligible), 0)"
        )
    eligible = (
        f"trim(use_case) IN ({_names(policy.batch_eligible)})"
        if policy.batch_eligible
        else "false"
    )
    frame = con.execute(
        f"""
        WITH w AS (
          SELECT {_WEEK} AS week, *, {eligible} AS eligible FROM spend
        ),
        base AS (
          SELECT week,
            100 * coalesce(sum(abs(cost)) FILTER (WHERE NOT shared
                AND cost_currency = '{currency}'), 0)
              / nullif(sum(abs(cost)) FILTER (WHERE cost_currency = '{currency}'), 0)
              AS direct_allocation_pct,
            sum(cache_read_tokens) FILTER (WHERE counted)
              / nullif(sum({_INPUT}) FILTER (WHERE counted), 0) AS cached_ratio,
            {batch} AS batch_request_share
          FROM w GROUP BY week
        )
        SELECT * FROM base LEFT JOIN ({_outcome_sql(currency)}) USING (week)
        ORDER BY week"""
    ).df()
    if policy.residency:
        region = "nullif(trim(region), '')"
        whens = " ".join(
            f"WHEN {literal(r.use_case)} THEN {r.allowed_sql(region)}"
            for r in policy.residency
        )
        names = _names(tuple(r.use_case for r in policy.residency))
        hits = con.execute(
            f"""SELECT {_WEEK} AS week,
                  coalesce(sum(n) FILTER (WHERE allowed), 0) / nullif(sum(n), 0)
                    AS sovereignty_hit_rate
                FROM (SELECT day, counted, {_REQUESTS} AS n,
                        CASE trim(use_case) {whens} END AS allowed
                      FROM spend WHERE trim(use_case) IN ({names}))
                WHERE counted GROUP BY ALL"""
        ).df()
        frame = frame.merge(hits, on="week", how="left")
    else:
        frame["sovereignty_hit_rate"] = float("nan")
    routes = route_win_rate(con, policy, by="week")
    if "week" in routes:
        wins = routes[["week", "win_rate"]].rename(
            columns={"win_rate": "route_win_rate"}
        )
        wins["week"] = pd.to_datetime(wins["week"]).dt.date
        frame["week"] = pd.to_datetime(frame["week"]).dt.date
        frame = frame.merge(wins, on="week", how="left")
    else:
        frame["route_win_rate"] = float("nan")
    columns = [
        "week",
        "cost_per_verified_outcome",
        "direct_allocation_pct",
        "route_win_rate",
        "cached_ratio",
        "batch_request_share",
        "sovereignty_hit_rate",
    ]
    return frame[columns]


def trend_panels(
    frame: pd.DataFrame, currency: str = "USD", policy: Policy | None = None
) -> list[dict]:
    """Panels of :func:`tokenlib.value_plots.kpi_trends`, one per metric.

    Shares are drawn as percentages; the route win rate with its target.
    """
    policy = policy or Policy()
    said = {
        "cost_per_verified_outcome": ("Cost per verified outcome", currency, 1),
        "direct_allocation_pct": ("Direct-allocation %", "%", 1),
        "route_win_rate": ("Route win rate", "%", 100),
        "cached_ratio": ("Input read from cache", "%", 100),
        "batch_request_share": ("Eligible requests in batch", "%", 100),
        "sovereignty_hit_rate": ("Sovereignty hit rate", "%", 100),
    }
    panels = []
    for column, (title, unit, scale) in said.items():
        panel = {
            "title": title,
            "week": frame["week"],
            "value": frame[column] * scale,
            "unit": unit,
        }
        if column == "route_win_rate":
            panel["target"] = policy.route_target * 100
        panels.append(panel)
    return panels
