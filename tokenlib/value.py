"""Stage 3 metrics: what each token bought, and the five consumption metrics.

The metrics read the ``spend`` view of :func:`tokenlib.price_ledger` and
the ``outcomes`` and ``routes`` tables over the same reporting days, with a
:class:`tokenlib.policy.Policy` to measure against:

1. cost per verified outcome and the share of spend on unverified work
   (:func:`cost_per_verified_outcome`);
2. direct-allocation % (:func:`tokenlib.attribution.direct_allocation`);
3. route win rate, losses, money saved and opportunity
   (:func:`route_win_rate`, :func:`route_losses`);
4. cache and batch leverage (:func:`cache_leverage`,
   :func:`batch_leverage`);
5. sovereignty hit rate and its exceptions (:func:`sovereignty`,
   :func:`sovereignty_exceptions`);

plus cost per use case, cost against revenue and value per token.
:func:`summary_value` gives the headline of each as JSON-ready values.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from .period import in_period
from .policy import Policy
from .value_levers import (
    ALL_ELIGIBLE,
    ALL_REGULATED,
    batch_leverage,
    cache_leverage,
    sovereignty,
    sovereignty_exceptions,
)
from .value_outcomes import (
    BASIS,
    TOTAL,
    cost_per_use_case,
    cost_per_verified_outcome,
    cost_vs_revenue,
    value_per_token,
)
from .value_routes import route_losses, route_win_rate

__all__ = [
    "BASIS",
    "batch_leverage",
    "cache_leverage",
    "cost_per_use_case",
    "cost_per_verified_outcome",
    "cost_vs_revenue",
    "in_period",
    "route_losses",
    "route_win_rate",
    "sovereignty",
    "sovereignty_exceptions",
    "summary_value",
    "value_per_token",
]


def _pick(
    frame: pd.DataFrame, column: str, where: dict[str, object], missing: str
) -> tuple[float | None, str | None]:
    """Read ``column`` in the row matching ``where``, or say why it is null.

    ``missing`` is the reason when no row matches, unless the frame is a
    single row saying why there is nothing.
    """
    rows = frame[:0]
    if column in frame and set(where) <= set(frame):
        rows = frame[(frame[list(where)] == pd.Series(where)).all(axis=1)]
    if rows.empty:
        if len(frame) == 1 and "reason" in frame and frame["reason"].notna().all():
            return None, frame["reason"].iloc[0]
        return None, missing
    value = rows[column].iloc[0]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        reason = rows["reason"].iloc[0] if "reason" in rows else None
        return None, reason or missing
    return float(value), None


def summary_value(
    con: duckdb.DuckDBPyConnection,
    currency: str,
    policy: Policy,
    cached_ratio: float | None = None,
) -> dict:
    """Gather the value-stage headline figures, JSON-ready.

    Parameters
    ----------
    con
        Connection with the ``spend`` view registered.
    currency
        The report currency: money figures are read in it only.
    policy
        The value policy.
    cached_ratio
        The cached-token ratio when the caller has it already (it is the
        cache leverage figure); computed when None.

    Returns
    -------
    dict
        ``cost_per_verified_outcome`` (the total row in ``currency``, on
        token cost), ``route_win_rate`` (a share), ``cache_leverage``
        (cached ratio), ``batch_leverage`` (share of eligible requests run
        in batch), ``sovereignty_hit_rate`` (share of regulated requests in
        an allowed region), each a number or None, and ``value_notes``: the
        reason for each None.
    """
    # Figures whose inputs are absent are not computed: no pass over spend.
    no_outcomes = not con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {in_period('outcomes')} LIMIT 1)"
    ).fetchone()[0]
    outcomes = (
        pd.DataFrame({"reason": ["no outcomes reported in the period"]})
        if no_outcomes
        else cost_per_verified_outcome(con)
    )
    cache = (
        cache_leverage(con)
        if cached_ratio is None
        else pd.DataFrame({"cached_ratio": [cached_ratio]})
    )
    picks = {
        "cost_per_verified_outcome": (
            outcomes,
            "cost_per_verified",
            {"use_case": TOTAL, "currency": currency},
            f"no use case has both spend in {currency} and outcomes attempted",
        ),
        "route_win_rate": (route_win_rate(con, policy), "win_rate", {}, "no data"),
        "cache_leverage": (cache, "cached_ratio", {}, "no input tokens"),
        "batch_leverage": (
            batch_leverage(con, policy),
            "batch_request_share",
            {"use_case": ALL_ELIGIBLE},
            "no data",
        ),
        "sovereignty_hit_rate": (
            sovereignty(con, policy),
            "hit_rate",
            {"use_case": ALL_REGULATED, "measure": "requests"},
            "no data",
        ),
    }
    out: dict = {}
    notes = []
    for key, (frame, column, where, missing) in picks.items():
        out[key], note = _pick(frame, column, where, missing)
        if note:
            notes.append(f"{key}: {note}")
    out["value_notes"] = notes
    return out
