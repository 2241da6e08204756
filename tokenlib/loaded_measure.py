"""Measure what the ledger knows for the fully loaded cost.

Money is summed over every row of ``spend`` (a bill not split over its
usage keeps its money on a row that is not counted for tokens); tokens and
requests over counted rows only.

The token bill, requests, tokens and outcomes per use case, and the cloud
bill rows the assumptions' ``bill`` rules claim for a bucket (GPU
instances, storage). All of it is SQL over the ``spend`` and ``priced``
views and the ``outcomes`` table, kept to the report's period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from .attribution import tag_sql
from .errors import ParameterError
from .period import in_period
from .schema import TOKENS_SQL
from .sources.base import literal

__all__ = ["NO_USE_CASE", "Baseline", "BillRuleSQL", "measure"]

#: How spend with no use case is named in tables.
NO_USE_CASE = "(no use case)"


@dataclass(frozen=True)
class BillRuleSQL:
    """A bill rule as SQL: which component it carries and its condition."""

    component: str
    condition: str
    use_case: str | None = None


@dataclass(frozen=True)
class Baseline:
    """What the ledger measured over the period, in one currency.

    Attributes
    ----------
    start, end
        First day and first day after the period, in the report's zone.
    by_use_case
        One row per use case: ``use_case``, ``spend`` (token bill),
        ``requests``, ``tokens``, ``priced_tokens`` (those the token bill
        prices), ``unpriced_rows``, ``attempted``, ``verified``, ``failed``,
        ``failed_spend`` (failed ÷ attempted × spend).
    bill
        Bill lines the rules claimed: ``component``, ``use_case``,
        ``currency``, ``amount`` (the part inside the period; all of a row
        the period's token bill counts), ``in_token_bill`` (the AI scope
        counts it), ``rows``.
    notes
        What was left out and why (other currencies, unpriced rows).
    """

    currency: str
    start: date
    end: date
    by_use_case: pd.DataFrame
    bill: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def token_bill(self) -> float:
        return float(self.by_use_case["spend"].sum())


def _groups(con: duckdb.DuckDBPyConnection, currency: str) -> pd.DataFrame:
    """One pass over ``spend``: per use case and cost currency, the days,
    rows, money, requests and tokens; every figure below comes from it."""
    uc = f"coalesce(use_case, {literal(NO_USE_CASE)})"
    return con.execute(
        f"""SELECT {uc} AS use_case, cost_currency,
          min(day) AS first, max(day) AS last, count(*) AS n,
          CAST(sum(cost) AS DOUBLE) AS cost,
          CAST(sum(CASE WHEN counted THEN coalesce(requests, 0) END) AS DOUBLE)
            AS requests,
          CAST(sum(CASE WHEN counted THEN {TOKENS_SQL} END) AS DOUBLE) AS tokens,
          count(*) FILTER (WHERE counted AND cost IS NULL) AS unpriced_rows
        FROM spend GROUP BY ALL"""
    ).df()


def _period(
    con: duckdb.DuckDBPyConnection, groups: pd.DataFrame
) -> tuple[date, date, str, str | None]:
    """The days the buckets are charged for: the report's period, kept to
    the days the data covers, and a note when that cut it."""
    start, end, tz = con.execute(
        'SELECT start, "end", tz FROM report_params'
    ).fetchone()
    if groups.empty:
        raise ParameterError(
            "the ledger has no spend in the period; widen start and end "
            "or ingest exports first"
        )
    first = pd.Timestamp(groups["first"].min()).date()
    stop = pd.Timestamp(groups["last"].max()).date() + timedelta(days=1)
    note = None
    if (start and start < first) or (end and end > stop):
        note = (
            f"the data covers {first} to {stop - timedelta(days=1)} of the "
            "period: the buckets are charged for those days only"
        )
    return first, stop, tz, note


def _by_use_case(
    con: duckdb.DuckDBPyConnection, groups: pd.DataFrame, currency: str
) -> pd.DataFrame:
    """Per use case: the token bill in ``currency``, volumes and outcomes."""
    mine = groups["cost_currency"] == currency
    g = groups.assign(
        spend=groups["cost"].where(mine, 0.0).fillna(0.0),
        priced_tokens=groups["tokens"].where(mine, 0.0).fillna(0.0),
    )
    s = g.groupby("use_case")[
        ["spend", "requests", "tokens", "priced_tokens", "unpriced_rows"]
    ].sum()
    o = (
        con.execute(
            f"""SELECT use_case, CAST(sum(attempted) AS DOUBLE) AS attempted,
            CAST(sum(verified) AS DOUBLE) AS verified,
            CAST(sum(coalesce(failed, 0)) AS DOUBLE) AS failed
          FROM {in_period("outcomes")} GROUP BY ALL"""
        )
        .df()
        .set_index("use_case")
    )
    out = s.join(o, how="outer").fillna(0.0)
    out["unpriced_rows"] = out["unpriced_rows"].astype(int)
    share = (out["failed"] / out["attempted"]).where(out["attempted"] > 0, 0.0)
    out["failed_spend"] = out["spend"] * share
    out = out.rename_axis("use_case").reset_index()
    return out.sort_values(["spend", "use_case"], ascending=[False, True],
                           ignore_index=True)  # fmt: skip


def _bill(
    con: duckdb.DuckDBPyConnection,
    rules: list[BillRuleSQL],
    bounds: tuple[date, date, str],
) -> pd.DataFrame:
    """Bill lines the rules claim, prorated to the part inside the period.

    A row the AI scope counts is in the token bill of the period it starts
    in, whole, as the ``spend`` view has it; it is never prorated into a
    bucket. Credits are not the cost of a component and are not claimed.
    """
    empty = pd.DataFrame(
        columns=["component", "use_case", "currency", "amount", "in_token_bill",
                 "rows", "no_cost"]
    )  # fmt: skip
    if not rules:
        return empty
    pick = " ".join(f"WHEN {r.condition} THEN {i}" for i, r in enumerate(rules))
    start, end, tz = bounds
    day = (
        "CAST(priced.start AS DATE)"
        if tz == "UTC"
        else f"CAST(timezone({literal(tz)}, priced.start) AS DATE)"
    )
    frame = con.execute(
        f"""WITH b AS (
          SELECT CASE {pick} END AS rule, currency,
            CAST(coalesce(effective_cost, billed_cost) AS DOUBLE) AS cost,
            priced.start, coalesce(priced."end", priced.start) AS stop,
            record_id IN (SELECT record_id FROM in_scope) AS in_token_bill,
            -- As the spend view has it: a charge counts on its start's day.
            (r.start IS NULL OR {day} >= r.start)
              AND (r."end" IS NULL OR {day} < r."end") AS in_period_bill,
            timezone(?, CAST(? AS TIMESTAMP)) AS p0,
            timezone(?, CAST(? AS TIMESTAMP)) AS p1
          FROM priced, report_params r WHERE record_type = 'charge'
            AND coalesce(charge_category, '') <> 'Credit'),
        k AS (
          SELECT *, CASE WHEN in_token_bill THEN
              CASE WHEN in_period_bill THEN 1.0 ELSE 0.0 END
            WHEN stop <= start THEN
              CASE WHEN start >= p0 AND start < p1 THEN 1.0 ELSE 0.0 END
            ELSE greatest(epoch(least(stop, p1)) - epoch(greatest(start, p0)), 0)
                 / (epoch(stop) - epoch(start)) END AS inside
          FROM b WHERE rule IS NOT NULL)
        SELECT rule, currency, coalesce(sum(cost * inside), 0) AS amount,
               in_token_bill, count(*) FILTER (WHERE inside > 0) AS rows,
               count(*) FILTER (WHERE inside > 0 AND cost IS NULL) AS no_cost
        FROM k GROUP BY ALL ORDER BY ALL""",
        [tz, start, tz, end],
    ).df()
    if frame.empty:
        return empty
    frame.insert(0, "component", [rules[i].component for i in frame["rule"]])
    frame.insert(1, "use_case", [rules[i].use_case for i in frame["rule"]])
    return frame.drop(columns="rule")


def measure(
    con: duckdb.DuckDBPyConnection, currency: str, rules: list[BillRuleSQL]
) -> Baseline:
    """Measure the period's token bill, volumes and claimed bill lines.

    Parameters
    ----------
    con
        Connection with the ``spend`` view (:func:`tokenlib.price_ledger`).
    currency
        The assumptions' currency; money in others is left out with a note.
    rules
        Bill rules in order; a bill row goes to the first that matches.

    Returns
    -------
    Baseline

    Raises
    ------
    ParameterError
        The period holds no spend.
    """
    groups = _groups(con, currency)
    *bounds, cut = _period(con, groups)
    by_uc = _by_use_case(con, groups, currency)
    bill = _bill(con, rules, bounds)
    notes = [cut] if cut else []

    # Money in other currencies is never added; say how much was left out.
    other = groups[
        groups["cost_currency"].notna() & ~(groups["cost_currency"] == currency)
    ]
    other = other.groupby("cost_currency")["cost"].sum()
    notes += [
        f"token bill of {a:,.2f} {c} left out: not in {currency}"
        for c, a in other.items()
    ]
    unpriced = int(groups["unpriced_rows"].sum())
    if unpriced:
        named = by_uc.loc[by_uc["unpriced_rows"] > 0, "use_case"].tolist()
        notes.append(
            f"{unpriced:,} ledger rows are unpriced (unknown model or price) "
            f"and not in the token bill, of {', '.join(named)}: their token "
            "bill is a floor"
        )
    notes += [
        f"{r.no_cost:,} bill rows claimed for {r.component} carry no cost"
        for r in bill[bill["no_cost"] > 0].itertuples()
    ]
    # Keep what was billed, and what the scope puts in another period's
    # token bill (the estimate must not stand in for it).
    kept = (bill["rows"] > bill["no_cost"]) | bill["in_token_bill"].astype(bool)
    bill = bill[kept].drop(columns="no_cost")
    foreign = bill[bill["currency"] != currency]
    notes += [
        f"bill lines of {r.amount:,.2f} {r.currency} for {r.component} "
        f"left out: not in {currency}"
        for r in foreign.itertuples()
    ]
    return Baseline(
        currency,
        bounds[0],
        bounds[1],
        by_uc,
        bill[bill["currency"] == currency].reset_index(drop=True),
        tuple(notes),
    )


def rule_sql(
    component: str,
    service_name: str | None = None,
    service_category: str | None = None,
    sku_id: str | None = None,
    tags: dict[str, str] | None = None,
    use_case: str | None = None,
) -> BillRuleSQL:
    """Build a bill rule's SQL: every given pattern must match (case ignored).

    >>> rule_sql("x.y", service_name="Amazon*").condition
    "lower(service_name) GLOB 'amazon*'"
    """
    parts = [
        f"lower({col}) GLOB {literal(pattern.lower())}"
        for col, pattern in (
            ("service_name", service_name),
            ("service_category", service_category),
            ("sku_id", sku_id),
        )
        if pattern is not None
    ]
    parts += [
        f"lower({tag_sql(k)}) GLOB {literal(v.lower())}"
        for k, v in (tags or {}).items()
    ]
    return BillRuleSQL(component, " AND ".join(parts), use_case)
