"""Token cost in the listener's units: per booking, per call, basis points.

Finance hears basis points of revenue and cost per dollar of gross profit;
a product owner hears cost per booking or per resolved ticket. The business
volumes (the ``volumes`` table: per day and unit, how many, with revenue and
gross profit) carry those denominators; :func:`unit_costs` divides the AI
spend of the reporting period by them.

A volume row that names a use case is paired with that use case's spend;
one that names none with all AI spend, on the same reporting days. Money in
another currency than the volumes' is never divided by them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .period import in_period
from .sources.base import literal

__all__ = [
    "say_money",
    "brief_numbers",
    "brief_trends",
    "role_brief",
    "unit_costs",
    "weekly_spend",
    "what_changed",
]


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
        none), ``volume``, ``currency``, ``cost`` (empty when no priced spend
        in ``currency`` matches), ``cost_per_unit``, ``revenue``,
        ``gross_profit`` (empty when given in more than one currency),
        ``bps_of_revenue`` (cost over revenue x 10,000),
        ``cost_per_gross_profit``, ``reason`` (why a figure is missing).

    Notes
    -----
    Volumes and spend fall on the same reporting days: a volume given as a
    date keeps that date; one given with a time takes its day in the
    report's zone (as outcomes do).
    """
    week = by == "week"
    when = "date_trunc('week', day)::DATE" if week else "NULL::DATE"
    only = f"AND unit = {literal(unit)}" if unit else ""
    frame = con.execute(
        f"""
        WITH v AS (
          SELECT {when} AS week, unit, coalesce(use_case, '(all AI)') AS use_case,
                 sum(volume) AS volume,
                 count(DISTINCT currency) AS currencies,
                 any_value(currency) AS money_currency,
                 sum(revenue)::DOUBLE AS revenue,
                 sum(gross_profit)::DOUBLE AS gross_profit
          FROM {in_period("volumes")} WHERE true {only}
          GROUP BY ALL
        ),
        s AS (
          SELECT {when} AS week, coalesce(use_case, '(none)') AS use_case,
                 sum(cost) AS cost
          FROM spend WHERE cost_currency = ? GROUP BY ALL
        ),
        all_ai AS (SELECT week, sum(cost) AS cost FROM s GROUP BY ALL)
        SELECT v.*,
          CASE WHEN v.use_case = '(all AI)' THEN a.cost ELSE s.cost END AS cost
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

    # Revenue and profit only in one currency, and only that of the cost.
    mixed = frame.pop("currencies") > 1
    frame.loc[mixed, ["revenue", "gross_profit"]] = float("nan")
    same = frame.pop("money_currency").fillna(currency) == currency
    revenue = frame["revenue"].where(same & (frame["revenue"] > 0))
    profit = frame["gross_profit"].where(same & (frame["gross_profit"] > 0))
    frame["bps_of_revenue"] = frame["cost"] / revenue * 10_000
    frame["cost_per_gross_profit"] = frame["cost"] / profit

    # Say why, the most basic reason last so that it stands.
    frame["reason"] = None
    frame.loc[frame["revenue"].isna(), "reason"] = "no revenue given"
    frame.loc[~same, "reason"] = "revenue in another currency"
    frame.loc[mixed, "reason"] = "revenue in more than one currency"
    frame.loc[frame["cost"].isna(), "reason"] = f"no priced spend in {currency}"
    if not week:
        frame = frame.drop(columns="week")
    return frame


def weekly_spend(con: duckdb.DuckDBPyConnection, currency: str = "USD") -> pd.DataFrame:
    """AI spend per week (weeks start on Monday, days in the report's zone).

    Returns
    -------
    pandas.DataFrame
        ``week``, ``currency``, ``cost``, ``days`` (days with spend in the
        week: a first or last week may be partial).
    """
    return con.execute(
        """SELECT date_trunc('week', day)::DATE AS week, cost_currency AS currency,
             sum(cost) AS cost, count(DISTINCT day) AS days
           FROM spend WHERE cost_currency = ? GROUP BY ALL ORDER BY week""",
        [currency],
    ).df()


def what_changed(
    con: duckdb.DuckDBPyConnection,
    currency: str = "USD",
    by: str = "use_case",
    n: int = 3,
) -> list[str]:
    """Sentences on the largest moves of the last 7 days against the 7 before.

    Examples
    --------
    A result reads like ``"coding_assistant: up 120.50 USD (+35%) on the
    week before"``.
    """
    from .metrics import top_movers

    movers = top_movers(con, by)
    movers = movers[movers["currency"] == currency].head(n)
    lines = []
    for row in movers.itertuples(index=False):  # at most n rows
        name, change, pct = getattr(row, by), row.change, row.change_pct
        if name == "(none)":
            name = f"spend with no {by.replace('_', ' ')}"
        way = "up" if change >= 0 else "down"
        # A percentage of a base under one unit of money says nothing.
        small = pd.isna(pct) or abs(row.previous) < 1
        share = "" if small else f" ({pct:+.0f}%)"
        lines.append(
            f"{name}: {way} {abs(change):,.2f} {currency}{share} on the week before"
        )
    return lines


def say_number(x: float) -> str:
    """Say a number for people: separators from 1,000, else 4 digits.

    >>> say_number(15000.0), say_number(0.0375), say_number(10240.0)
    ('15,000', '0.0375', '10,240')
    """
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def say_money(x: float | None, currency: str) -> str:
    """Say an amount for people: to the cent, or to 4 places under a cent
    (unit costs are often that small); "n/a" when unknown.

    >>> say_money(1234.5, "USD"), say_money(0.0041, "USD")
    ('1,234.50 USD', '0.0041 USD')
    >>> say_money(None, "EUR")
    'n/a'
    """
    if x is None or pd.isna(x):
        return "n/a"
    return f"{x:,.2f} {currency}" if abs(x) >= 0.01 else f"{x:.4f} {currency}"


def _share(x: float | None) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.0%}"


def role_brief(
    summary: dict,
    units: pd.DataFrame,
    currency: str = "USD",
    business_unit: str = "booking",
) -> pd.DataFrame:
    """The number each role cares about, in its own units.

    Parameters
    ----------
    summary
        From :func:`tokenlib.summarise` (headline, attribution and value).
    units
        From :func:`unit_costs` for the period.
    business_unit
        The unit whose revenue and gross profit finance measures AI against
        (``booking``, ``transaction``).

    Returns
    -------
    pandas.DataFrame
        ``role`` (finance, engineering, FinOps, leadership), ``measure``,
        ``value`` (said with its unit); "n/a" where the data gives none.
        Leadership gets the AI cost of every unit the volumes name;
        engineering the cost per API call, or per request without call
        volumes.
    """
    by_unit = units.set_index("unit") if len(units) else pd.DataFrame()

    def unit(name: str, column: str):
        if name in by_unit.index:
            return by_unit.loc[name, column]
        return None

    said = business_unit.replace("_", " ")
    bps = unit(business_unit, "bps_of_revenue")
    requests = summary.get("requests") or None
    per_call = unit("call", "cost_per_unit")
    if per_call is None and requests and summary["total_cost"] is not None:
        per_call = summary["total_cost"] / requests
    rows = [
        ("finance", "AI spend in the period",
         say_money(summary["total_cost"], currency)),
        ("finance", f"share of {said} revenue",
         "n/a" if bps is None or pd.isna(bps) else f"{bps:,.1f} bps"),
        ("finance", "AI cost per unit of gross profit",
         say_money(unit(business_unit, "cost_per_gross_profit"), currency)),
        ("engineering", "cost per API call" if "call" in by_unit.index
         else "cost per request", say_money(per_call, currency)),
        ("engineering", "cost per million tokens",
         say_money(summary["cost_per_mtok"], currency)),
        ("engineering", "input served from cache", _share(summary["cache_leverage"])),
        ("engineering", "requests routed to a cheaper model without loss",
         _share(summary["route_win_rate"])),
        ("FinOps", "spend with a named owner",
         "n/a" if summary["direct_allocation_pct"] is None
         else f"{summary['direct_allocation_pct']:.0f}%"),
        ("FinOps", "tokens without a price",
         f"{summary['unpriced_tokens']:,}"),
        ("FinOps", "regulated requests in an allowed region",
         _share(summary["sovereignty_hit_rate"])),
    ]  # fmt: skip
    leaders = [business_unit] + [u for u in by_unit.index if u != business_unit]
    for name in dict.fromkeys(leaders):
        rows.append(
            (
                "leadership",
                f"AI cost per {name.replace('_', ' ')}",
                say_money(unit(name, "cost_per_unit"), currency),
            )
        )
    rows.append(
        (
            "leadership",
            "cost per verified outcome",
            say_money(summary["cost_per_verified_outcome"], currency),
        )
    )
    return pd.DataFrame(rows, columns=["role", "measure", "value"])


def brief_trends(
    con: duckdb.DuckDBPyConnection,
    currency: str = "USD",
    policy=None,
    business_unit: str = "booking",
) -> list[dict]:
    """Weekly series of the executive summary's numbers, for :func:`kpi_trends`.

    AI spend, AI cost per business unit (where volumes give it), cost per
    verified outcome (where outcomes do), spend with a named owner (on
    absolute amounts), and the route win rate against its target; full
    weeks of spend data only (Monday to Sunday, days in the report's zone).
    """
    from .policy import Policy
    from .value import route_win_rate
    from .value_trends import value_trends

    policy = policy or Policy()
    # Full weeks only: a partial first or last week would read as a drop.
    spend = weekly_spend(con, currency)
    spend = spend[spend["days"] == 7]
    full = set(pd.to_datetime(spend["week"]))

    def in_full(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[pd.to_datetime(frame["week"]).isin(full)]

    panels = [
        {"title": "AI spend", "week": spend["week"], "value": spend["cost"],
         "unit": f"{currency} per week"},
    ]  # fmt: skip
    units = unit_costs(con, currency, unit=business_unit, by="week")
    rows = in_full(units)
    if len(rows):
        panels.append(
            {
                "title": f"AI cost per {business_unit.replace('_', ' ')}",
                "week": rows["week"],
                "value": rows["cost_per_unit"],
                "unit": currency,
            }
        )
    weekly = value_trends(con, policy, currency)
    weekly = in_full(weekly)
    if weekly["cost_per_verified_outcome"].notna().any():
        panels.append(
            {
                "title": "Cost per verified outcome",
                "week": weekly["week"],
                "value": weekly["cost_per_verified_outcome"],
                "unit": currency,
            }
        )
    owned = con.execute(
        """SELECT date_trunc('week', day)::DATE AS week,
             100 * coalesce(sum(abs(cost)) FILTER (WHERE NOT shared), 0)
               / nullif(sum(abs(cost)), 0) AS pct
           FROM spend WHERE cost_currency = ? GROUP BY ALL ORDER BY week""",
        [currency],
    ).df()
    owned = in_full(owned)
    panels.append({"title": "Spend with a named owner", "week": owned["week"],
                   "value": owned["pct"], "unit": "%"})  # fmt: skip
    routes = route_win_rate(con, policy, by="week")
    if "week" in routes:
        routes = in_full(routes)
    if "week" in routes and routes["win_rate"].notna().any():
        panels.append({"title": "Route win rate", "week": routes["week"],
                       "value": routes["win_rate"] * 100, "unit": "%",
                       "target": policy.route_target * 100})  # fmt: skip
    return panels


def brief_numbers(panels: list[dict], currency: str = "USD") -> pd.DataFrame:
    """The summary's numbers: each series' last full week, and its change.

    Returns
    -------
    pandas.DataFrame
        ``number``, ``last_week`` (said with its unit), ``change`` (on the
        week before: a percentage for money, points for shares).

    Examples
    --------
    >>> weeks = pd.to_datetime(["2026-01-05", "2026-01-12"])
    >>> panel = {"title": "AI spend", "week": weeks, "value": [800.0, 1000.0],
    ...          "unit": "USD per week"}
    >>> brief_numbers([panel]).values.tolist()
    [['AI spend', '1,000.00 USD per week', '+25% on the week before']]
    """
    rows = []
    for panel in panels:
        values = pd.Series(panel["value"], dtype=float).dropna()
        if values.empty:
            continue
        last = values.iloc[-1]
        before = values.iloc[-2] if len(values) > 1 else None
        if panel["unit"] == "%":
            shown = f"{last:.0f}%"
            change = None if before is None else f"{last - before:+.0f} points"
        else:
            shown = f"{say_money(last, currency)}" + (
                " per week" if panel["unit"].endswith("per week") else ""
            )
            change = (
                None if before in (None, 0) else f"{(last - before) / abs(before):+.0%}"
            )
        rows.append(
            (
                panel["title"],
                shown,
                "" if change is None else f"{change} on the week before",
            )
        )
    if not rows:
        rows = [("(none)", "no full week of priced spend in this period", "")]
    return pd.DataFrame(rows, columns=["number", "last_week", "change"])
