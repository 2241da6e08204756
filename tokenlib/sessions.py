"""Agentic spend by session, and telemetry estimates against the bill.

A session is one run of an agent or assistant (a Claude Code session, a
GenAI conversation, a LiteLLM session id). :func:`sessions` gives one row per
session with its cost, tokens, duration, model mix and what it produced
(commits, pull requests, lines changed, from the ``activity`` table);
:func:`costliest_sessions` says what made the costliest ones costly.
:func:`reconcile_estimates` sets what clients and gateways estimated (Claude
Code's cost metric, LiteLLM's spend) beside list price and the bill.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .errors import ParameterError
from .period import in_period
from .schema import INPUT_SQL, TOKENS_SQL

__all__ = [
    "LONG_CONTEXT",
    "sessions",
    "sessions_by",
    "costliest_sessions",
    "reconcile_estimates",
]

#: Input tokens of one request above which it counts as long context.
LONG_CONTEXT = 200_000

# Activity metrics shown per session, and their column names.
_OUTCOMES = {
    "commits": "commits",
    "pull_requests": "pull_requests",
    "lines_added": "lines_added",
    "lines_removed": "lines_removed",
    "api_errors": "api_errors",
    "tool_calls": "tool_calls",
}


def sessions(
    con: duckdb.DuckDBPyConnection, currency: str = "USD", source: str = "spend"
) -> pd.DataFrame:
    """Return one row per session in the spend view.

    Parameters
    ----------
    currency
        Money figures are in this currency; sessions' spend in others is
        left out of ``cost``.

    Returns
    -------
    pandas.DataFrame
        ``session``, ``user``, ``agent``, ``owner``, ``first``, ``last``
        (UTC), ``minutes``, ``requests``, ``cost``, ``tokens``,
        ``input_tokens``, ``cache_read_tokens``, ``cache_write_tokens``,
        ``output_tokens``, ``unpriced_tokens`` (tokens whose cost is unknown,
        left out of ``cost``), ``cached_ratio`` (cache reads over all input),
        ``long_context`` (requests over :data:`LONG_CONTEXT` input tokens),
        ``top_model``, ``top_model_share`` (of the session's cost), and the
        activity counts ``commits``, ``pull_requests``, ``lines_added``,
        ``lines_removed``, ``api_errors``, ``tool_calls`` within the
        reporting days; costliest first. ``owner`` is the owner of most of
        the session's cost.
    """
    outcomes = ", ".join(
        f"sum(value) FILTER (WHERE metric = '{m}') AS {c}" for m, c in _OUTCOMES.items()
    )
    frame = con.execute(
        f"""
        WITH s AS (SELECT * FROM {source} WHERE session IS NOT NULL AND counted),
        per AS (
          SELECT session, any_value("user") AS "user", any_value(agent) AS agent,
            arg_max(owner, coalesce(abs(cost), 0)) AS owner, min(start) AS first,
            max(coalesce("end", start)) AS last,
            sum(requests) AS requests,
            sum(cost) FILTER (WHERE cost_currency = ?) AS cost,
            sum(input_tokens) AS input_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_5m_tokens + cache_write_1h_tokens) AS cache_write_tokens,
            sum(output_tokens) AS output_tokens,
            coalesce(sum({TOKENS_SQL}) FILTER (WHERE cost IS NULL), 0)
              AS unpriced_tokens,
            count(*) FILTER (WHERE grain = 'request'
              AND {INPUT_SQL} > {LONG_CONTEXT}) AS long_context
          FROM s GROUP BY session
        ),
        models AS (
          SELECT session, arg_max(model, c) AS top_model,
                 max(c) / nullif(sum(c), 0) AS top_model_share
          FROM (SELECT session, model, sum(cost) AS c FROM s
                WHERE cost_currency = ? GROUP BY ALL)
          GROUP BY session
        ),
        done AS (
          SELECT session, {outcomes} FROM {in_period("activity")}
          WHERE session IN (SELECT session FROM per)
          GROUP BY session
        )
        SELECT per.*, models.top_model, models.top_model_share, done.* EXCLUDE (session)
        FROM per LEFT JOIN models USING (session) LEFT JOIN done USING (session)
        ORDER BY cost DESC NULLS LAST, session
        """,
        [currency, currency],
    ).df()
    inputs = frame[["input_tokens", "cache_read_tokens", "cache_write_tokens"]]
    frame["tokens"] = inputs.sum(axis=1) + frame["output_tokens"]
    frame["cached_ratio"] = frame["cache_read_tokens"] / inputs.sum(axis=1).where(
        lambda t: t > 0
    )
    frame["minutes"] = (frame["last"] - frame["first"]).dt.total_seconds() / 60
    for column in _OUTCOMES.values():
        frame[column] = frame[column].fillna(0).astype("int64")
    frame.attrs["currency"] = currency
    return frame


def sessions_by(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Roll sessions up per user, agent or owner.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``sessions``, ``cost``, ``requests``, ``commits``,
        ``pull_requests``, ``lines_added``, ``lines_removed``,
        ``cost_per_session``, ``cost_per_pull_request`` (NaN without pull
        requests), costliest first.
    """
    if by not in ("user", "agent", "owner"):
        raise ParameterError(f"sessions_by: by={by!r}; expected user, agent or owner")
    keyed = frame.assign(**{by: frame[by].fillna("(none)")})
    out = keyed.groupby(by, as_index=False).agg(
        sessions=("session", "count"),
        cost=("cost", "sum"),
        requests=("requests", "sum"),
        commits=("commits", "sum"),
        pull_requests=("pull_requests", "sum"),
        lines_added=("lines_added", "sum"),
        lines_removed=("lines_removed", "sum"),
    )
    out["cost_per_session"] = out["cost"] / out["sessions"]
    out["cost_per_pull_request"] = out["cost"] / out["pull_requests"].where(
        out["pull_requests"] > 0
    )
    return out.sort_values("cost", ascending=False, ignore_index=True)


def costliest_sessions(frame: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` costliest sessions, with what made each one costly.

    Each session is held against the typical (median) session of its own
    agent. Its ``why`` names each of: cache misses (cached ratio more than
    20 points below the typical one), long context (any request over
    :data:`LONG_CONTEXT` input tokens), retries (API errors), and length
    (over 3x the typical number of requests); "no single cause" otherwise.
    ``vs_median`` is its cost over the typical session's cost.
    """
    agent = frame["agent"].fillna("(none)")
    typical = frame.groupby(agent)[["cached_ratio", "requests", "cost"]].transform(
        "median"
    )
    top = frame.nlargest(n, "cost")
    usual = typical.loc[top.index]
    reasons = pd.DataFrame(
        {
            "cache misses": top["cached_ratio"] < usual["cached_ratio"] - 0.2,
            "long context": top["long_context"] > 0,
            "retries": top["api_errors"] > 0,
            "many requests": top["requests"] > 3 * usual["requests"],
        }
    )
    names = reasons.columns.to_numpy()
    # At most n rows: the reasons of each, in words.
    why = [", ".join(names[row]) or "no single cause" for row in reasons.to_numpy()]
    top = top.assign(
        why=pd.Series(why, index=top.index, dtype=object),
        vs_median=top["cost"] / usual["cost"].where(usual["cost"] > 0),
    )
    return top.reset_index(drop=True)


def reconcile_estimates(
    con: duckdb.DuckDBPyConnection, currency: str = "USD", source: str = "spend"
) -> pd.DataFrame:
    """Client and gateway cost estimates beside list price and the bill.

    Returns
    -------
    pandas.DataFrame
        Per ledger ``source`` and ``model`` with an estimate: ``estimated``
        (the source's own ``reported_cost``), ``priced`` (its tokens at list
        or negotiated price), ``cost`` (what the report counts: its share of
        the bill where a bill covers it, else the priced cost), ``gap`` =
        estimated - cost and ``gap_pct`` of cost. Only ``currency`` money.
    """
    frame = con.execute(
        f"""SELECT source, model,
          sum(reported_cost)::DOUBLE AS estimated,
          sum(computed_cost) FILTER (WHERE computed_currency = ?) AS priced,
          sum(cost) FILTER (WHERE cost_currency = ?) AS cost,
          bool_or(basis LIKE 'charge%') AS billed
        FROM {source} WHERE counted AND source IN (
          SELECT DISTINCT source FROM {source} WHERE reported_cost IS NOT NULL)
          AND (currency IS NULL OR currency = ?)
        GROUP BY ALL ORDER BY source, estimated DESC NULLS LAST""",
        [currency, currency, currency],
    ).df()
    frame["gap"] = frame["estimated"] - frame["cost"]
    frame["gap_pct"] = frame["gap"] / frame["cost"].where(frame["cost"] != 0) * 100
    frame["gap_pct"] = frame["gap_pct"].astype(float).replace([np.inf, -np.inf], np.nan)
    return frame
