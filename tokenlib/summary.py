"""The headline figures as one JSON-ready dict (``metrics --json``)."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd

from . import metrics
from .attribution import allocate, direct_allocation
from .errors import ParameterError
from .loaded import fully_loaded
from .loaded_assumptions import Assumptions
from .period import in_period
from .policy import Policy
from .schema import TOKEN_CLASSES, TOKEN_COLUMNS
from .value import summary_value

__all__ = ["summarise", "summary_loaded"]


def _clean(value):
    """Make a value JSON-safe: NaN and NA become None, dates ISO strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date | pd.Timestamp):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


# What the headline figures group by; every sum keeps the spend view's name,
# so the metric functions read the roll-up as they read the view.
_KEYS = (
    "day",
    "utc_day",
    "provider",
    "model",
    "catalogue_model",
    "resolution",
    "record_type",
    "price_tier",
    "basis",
    "counted",
    "ck",
    "cost_currency",
    "computed_currency",
    "currency",
    "owner",
    "shared",
)
_SUMS = (
    *TOKEN_COLUMNS,
    "requests",
    "cost",
    "computed_cost",
    "billed_cost",
)


def _rollup(con: duckdb.DuckDBPyConnection) -> str:
    """Read the spend view once into a small roll-up table; return its name.

    Rows with and without a cost, and with and without tokens, stay apart,
    so filters on those give the same answers as on the view.
    """
    tokens = " + ".join(c for c in TOKEN_COLUMNS if c != "reasoning_tokens")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE spend_rollup AS SELECT "
        + ", ".join(_KEYS)
        + ", cost IS NULL AS no_cost, "
        + f"({tokens}) > 0 AS has_tokens, ({tokens}) <> 0 AS any_tokens, "
        + ", ".join(f"sum({c}) AS {c}" for c in _SUMS)
        + " FROM spend GROUP BY ALL"
    )
    return "spend_rollup"


def _notes(
    con, src: str, scope: str, total, unpriced: pd.DataFrame, currency: str
) -> list:
    """Plain sentences on what the figures leave out or cannot say."""
    notes = []
    in_scope = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]
    # Rows of the period whatever the scope.
    any_scope = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {in_period('ledger')} LIMIT 1)"
    ).fetchone()[0]
    if any_scope and not in_scope and scope == "ai":
        notes.append(
            "no rows in the AI scope for this period: the bill has no "
            "'AI and Machine Learning' rows; use --scope all or add scope rules"
        )
    elif not in_scope:
        notes.append("no rows for this period: check start and end")
    if total is None and in_scope:
        notes.append(f"nothing is priced in {currency}")
    named = sorted({str(m) for m in unpriced["model"] if not pd.isna(m)})
    if named:
        notes.append("tokens with no price are left out of cost: " + ", ".join(named))
    if len(unpriced) and unpriced["model"].isna().any():
        notes.append(
            "tokens that name no model are left out of cost: set one at ingest "
            "(tokenlib ingest FILE --set model=NAME) or export usage grouped "
            "by model"
        )
    return notes


def summary_loaded(
    con: duckdb.DuckDBPyConnection, currency: str, assumptions: Assumptions | None
) -> dict:
    """The fully loaded cost figures, or nulls with a note saying why.

    ``fully_loaded_cost`` is the token bill plus the eight unmetered buckets
    for the period; ``loaded_multiplier`` is it over the token bill;
    ``loaded_by_bucket`` names each bucket's amount.
    """
    out = {"fully_loaded_cost": None, "loaded_multiplier": None,
           "loaded_by_bucket": {}, "loaded_notes": []}  # fmt: skip
    notes = out["loaded_notes"]
    if assumptions is None:
        notes.append("no fully loaded cost: no assumptions given")
        return out
    if assumptions.currency != currency:
        notes.append(
            f"no fully loaded cost: the assumptions are in "
            f"{assumptions.currency}, the report in {currency}"
        )
        return out
    try:
        loaded = fully_loaded(con, assumptions)
    except ParameterError as exc:
        notes.append(f"no fully loaded cost: {exc}")
        return out
    buckets = loaded.buckets.set_index("bucket")["amount"]
    stated = (loaded.drivers["source"] == "stated").any()
    if not stated and not (loaded.components["source"] == "bill").any():
        notes.append(
            "every unmetered bucket is from documented defaults: state your "
            "own drivers in an assumptions file"
        )
    return out | {
        "fully_loaded_cost": loaded.fully_loaded,
        "loaded_multiplier": _clean(loaded.multiplier),
        "loaded_by_bucket": {k: float(v) for k, v in buckets.items()},
        "loaded_notes": notes + list(loaded.notes),
    }


def summarise(
    con: duckdb.DuckDBPyConnection,
    currency: str = "USD",
    policy: Policy | None = None,
    assumptions: Assumptions | None = None,
) -> dict:
    """Return the headline figures for the registered ``spend`` view.

    Stage 1-2 figures, attribution (``direct_allocation_pct``, ``by_owner``)
    and the value stage's five consumption metrics, measured against
    ``policy`` (the defaults when None), with ``value_notes`` saying why a
    value figure is null; the fully loaded cost under ``assumptions``
    (:func:`summary_loaded`; null when None).

    Money figures are in ``currency``; totals in other currencies are listed
    under ``other_currencies`` and never added in. ``total_cost`` is None when
    nothing is priced in ``currency``.
    """
    params = con.execute('SELECT tz, scope, start, "end" FROM report_params').fetchone()
    src = _rollup(con)
    totals = metrics.total_spend(con, source=src)
    mine = totals[totals["currency"] == currency]
    tokens = metrics.token_totals(con, source=src)
    ratios = metrics.token_ratios(con, source=src)
    per_mtok = metrics.cost_per_mtok(con, source=src)
    per_mtok = per_mtok[per_mtok["currency"] == currency]
    unpriced = metrics.unpriced(con, source=src)
    days = con.execute(f"SELECT count(DISTINCT day) FROM {src}").fetchone()[0]
    billed = con.execute(
        f"SELECT sum(billed_cost)::DOUBLE FROM {src} WHERE currency = ?", [currency]
    ).fetchone()[0]
    total = _clean(mine["cost"].sum()) if len(mine) else None

    notes = _notes(con, src, params[1], total, unpriced, currency)
    by_day = metrics.spend_by_day(con, source=src)
    by_model = metrics.spend_by(con, "model", source=src)
    drift = metrics.drift(con, source=src)
    owners = allocate(con, source=src)
    owners = owners[owners["currency"] == currency]
    direct = direct_allocation(con, by_day=False, source=src)
    direct = direct[direct["currency"] == currency]["direct_allocation_pct"]
    cached = _clean(ratios["cached_ratio"].iloc[0]) if len(ratios) else None
    value = summary_value(con, currency, policy or Policy(), cached)
    return {
        "currency": currency,
        "notes": notes,
        "tz": params[0],
        "scope": params[1],
        "start": _clean(params[2]),
        "end": _clean(params[3]),
        "basis": metrics.BASIS,
        "total_cost": total,
        "cost_from_bills": _clean(mine["cost_from_bills"].sum()) if len(mine) else None,
        "billed_cost": billed,
        "days": days,
        "avg_daily_cost": total / days if total is not None and days else None,
        "tokens": {c: int(_clean(tokens[c].sum()) or 0) for c in TOKEN_CLASSES},
        "requests": int(_clean(tokens["requests"].sum()) or 0),
        "cost_per_mtok": _clean(per_mtok["cost_per_mtok"].iloc[0])
        if len(per_mtok)
        else None,
        "io_ratio": _clean(ratios["io_ratio"].iloc[0]) if len(ratios) else None,
        "cached_ratio": _clean(ratios["cached_ratio"].iloc[0]) if len(ratios) else None,
        "unpriced_tokens": int(_clean(unpriced["tokens"].sum()) or 0),
        "other_currencies": {
            r["currency"]: _clean(r["cost"])
            for r in _records(totals)
            if r["currency"] != currency
        },
        "by_day": _records(
            by_day[by_day["currency"] == currency][
                ["day", "cost", "tokens", "requests"]
            ]
        ),
        "by_model": _records(
            by_model[by_model["currency"] == currency][
                ["model", "cost", "share", "tokens", "requests"]
            ]
        ),
        "drift": _records(drift),
        "direct_allocation_pct": _clean(direct.iloc[0]) if len(direct) else None,
        "by_owner": _records(owners[["owner", "direct", "shared", "cost"]]),
        **{k: _clean(v) if k != "value_notes" else v for k, v in value.items()},
        **summary_loaded(con, currency, assumptions),
    }
