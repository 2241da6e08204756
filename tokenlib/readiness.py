"""Which stage and figures the loaded data supports.

The overview notebook reads what the ledger holds by source
(:func:`ledger_contents`), which figures of the series the data can give
(:func:`data_readiness`) and the last stage of the three it reaches
(:func:`supported_stage`): 1 spend visibility, 2 economics, 3 value. The
value notebook shows the same as a board of metrics, with what is missing
to compute each (:func:`maturity_board`).
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from .errors import ParameterError
from .metrics import drift
from .policy import Policy
from .schema import DIMENSIONS, TOKENS_SQL
from .value import (
    batch_leverage,
    cost_per_verified_outcome,
    cost_vs_revenue,
    route_win_rate,
    sovereignty,
)

__all__ = ["data_readiness", "ledger_contents", "maturity_board", "supported_stage"]

_TOKENS = TOKENS_SQL


def ledger_contents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Count what the ledger holds by source, whatever the period and scope.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``files``, ``rows``, ``quarantined``, ``first_utc_day``,
        ``last_utc_day``.
    """
    return con.execute("""
        WITH q AS (SELECT source, count(*) AS quarantined FROM quarantine
                   GROUP BY ALL)
        SELECT l.source, count(DISTINCT source_file) AS files, count(*) AS rows,
               coalesce(any_value(q.quarantined), 0) AS quarantined,
               min("start")::DATE AS first_utc_day,
               max("start")::DATE AS last_utc_day
        FROM ledger l LEFT JOIN q USING (source)
        GROUP BY l.source ORDER BY l.source""").df()


def _label(name: str) -> str:
    return name.replace("_", " ")


def _pct(share: float) -> str:
    """A share as a percentage that never rounds up to a full 100%.

    >>> _pct(1.0), _pct(0.9988), _pct(0.5)
    ('100%', '99.8%', '50%')
    """
    if share >= 1:
        return "100%"
    return f"{math.floor(share * 1000) / 10:g}%"


def _status(share: float | None) -> str:
    """Say "yes" from 99% of cost or tokens, "partly" above 0, else "no".

    >>> _status(0.995), _status(0.5), _status(0.0), _status(None)
    ('yes', 'partly', 'no', 'no')
    """
    if share is None or pd.isna(share) or share <= 0:
        return "no"
    return "yes" if share >= 0.99 else "partly"


def _shares(con: duckdb.DuckDBPyConnection, owner: str) -> pd.Series:
    """Rows with cost, and the shares of cost or tokens each figure needs."""
    # Shares of money are taken on absolute cost so credits do not cancel.
    col = f'"{owner}"'
    s = (
        con.execute(f"""
        SELECT count(*) FILTER (WHERE cost IS NOT NULL) AS costed,
          count(*) FILTER (WHERE basis LIKE 'charge%') AS bill_rows,
          sum(abs(cost)) FILTER (WHERE model IS NOT NULL) / sum(abs(cost)) AS model,
          sum(abs(cost)) FILTER (WHERE {col} IS NOT NULL) / sum(abs(cost)) AS owner,
          sum(abs(cost)) FILTER (WHERE use_case IS NOT NULL) / sum(abs(cost))
            AS use_case,
          sum({_TOKENS}) FILTER (WHERE counted) AS tokens,
          sum({_TOKENS}) FILTER (WHERE counted AND cost IS NOT NULL) AS priced,
          sum(output_tokens) FILTER (WHERE counted) AS output
        FROM spend""")
        .df()
        .iloc[0]
        .fillna(0)
    )
    s["priced"] = s["priced"] / s["tokens"] if s["tokens"] else 0.0
    return s


def data_readiness(con: duckdb.DuckDBPyConnection, owner: str = "team") -> pd.DataFrame:
    """Say which figures of the series the loaded data can give, by stage.

    Parameters
    ----------
    con
        Connection with the ``spend`` view registered
        (:func:`tokenlib.notebook.open_priced`).
    owner
        The dimension that says who owns spend (``team``, ``project``...).

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``figure``, ``ready`` (yes, partly or no), ``evidence``.
        The first row of each stage is the figure the stage stands on.

    Raises
    ------
    ParameterError
        ``owner`` is not a dimension of the ledger.

    Notes
    -----
    Stage 3 (value) needs outcomes, such as tickets resolved per use case:
    cost per outcome is ready on the share of use-case cost whose use case
    has outcomes reported (:func:`_outcome_share`).
    """
    if owner not in DIMENSIONS:
        raise ParameterError(
            f"owner={owner!r}: expected one of {', '.join(DIMENSIONS)}"
        )
    s = _shares(con, owner)
    compared = drift(con).dropna(subset=["computed", "billed"])
    who = _label(owner)
    outcomes = _outcome_share(con)

    # One row per figure: stage, figure, ready, evidence.
    one, two, three = "1 spend visibility", "2 economics", "3 value"
    rows = [
        (
            one,
            "total and daily spend",
            "yes" if s["costed"] else "no",
            f"{s['costed']:,.0f} rows with cost, {s['bill_rows']:,.0f} from bills",
        ),
        (
            one,
            "spend by provider and model",
            _status(s["model"]),
            f"model named on {_pct(s['model'])} of cost",
        ),
        (
            one,
            f"spend by {who}",
            _status(s["owner"]),
            f"{who} set on {_pct(s['owner'])} of cost",
        ),
        (
            two,
            "cost per million tokens",
            _status(s["priced"]),
            f"{_pct(s['priced'])} of {s['tokens'] / 1e6:,.1f} M tokens priced",
        ),
        (
            two,
            "input/output and cache ratios",
            "yes" if s["output"] else "no",
            f"{s['output'] / 1e6:,.1f} M output tokens",
        ),
        (
            two,
            "token-to-spend drift",
            "yes" if len(compared) else "no",
            f"{len(compared)} provider-days with both a bill and priced tokens",
        ),
        (
            three,
            "cost per outcome",
            _status(outcomes),
            f"outcomes reported for {_pct(outcomes)} of use-case cost",
        ),
        (
            three,
            "cost per use case",
            _status(s["use_case"]),
            f"use case set on {_pct(s['use_case'])} of cost",
        ),
    ]
    return pd.DataFrame(rows, columns=["stage", "figure", "ready", "evidence"])


def supported_stage(readiness: pd.DataFrame) -> str:
    """Name the last stage, in order, whose founding figure is not "no".

    Parameters
    ----------
    readiness
        From :func:`data_readiness`: ``stage`` and ``ready``; the first row
        of each stage is its founding figure.

    Returns
    -------
    str
        A sentence naming the stage, with "(partly)" when its founding
        figure is only partly ready.

    Examples
    --------
    >>> table = pd.DataFrame({"stage": ["1 spend", "2 economics", "3 value"],
    ...                       "ready": ["yes", "partly", "no"]})
    >>> supported_stage(table)
    'the data supports stage 2 economics (partly)'
    """
    reached = None
    for stage, rows in readiness.groupby("stage", sort=True):
        if rows["ready"].iloc[0] == "no":
            break
        reached = (stage, rows["ready"].iloc[0])
    if reached is None:
        return "the data supports no stage yet: nothing in it carries cost"
    stage, ready = reached
    return f"the data supports stage {stage}" + (" (partly)" if ready != "yes" else "")


def _covered(frame: pd.DataFrame, figure: str) -> float:
    """Return the share of use-case cost (absolute) where ``figure`` is known."""
    rows = frame[frame["use_case"] != "(total)"].dropna(subset=["cost"])
    total = rows["cost"].abs().sum()
    return (
        float(rows.loc[rows[figure].notna(), "cost"].abs().sum() / total)
        if total
        else 0.0
    )


def _outcome_share(con: duckdb.DuckDBPyConnection) -> float:
    """Return the share of use-case cost whose use case has outcomes."""
    return _covered(cost_per_verified_outcome(con), "unverified_cost")


def maturity_board(
    con: duckdb.DuckDBPyConnection, policy: Policy | None = None
) -> pd.DataFrame:
    """Say, per stage, which metrics the loaded data can compute.

    A metric is "yes" when the data supports it on at least 99% of the cost
    (or tokens) it covers, "partly" when on some, "no" otherwise; ``missing``
    names the data that would take it to "yes".

    Parameters
    ----------
    con
        Connection with the ``spend`` view registered.
    policy
        The value policy (route target, batch and residency rules);
        defaults when None.

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``metric``, ``status`` (yes, partly or no), ``missing``
        (empty when the status is yes).

    Notes
    -----
    GPU utilisation needs a utilisation series (an ``activity`` metric
    naming GPU utilisation); GPU charges alone make it "partly".
    """
    policy = policy or Policy()
    s = _shares(con, "use_case")
    compared = len(drift(con).dropna(subset=["computed", "billed"]))
    gpu = con.execute("""SELECT
        (SELECT count(*) FROM activity WHERE metric ILIKE '%gpu%util%'),
        (SELECT count(*) FROM spend WHERE cost IS NOT NULL
         AND concat_ws(' ', service_name, sku_id, consumed_unit) ILIKE '%gpu%')
        """).fetchone()
    routes = route_win_rate(con, policy).iloc[0]["evaluated"]
    batch = batch_leverage(con, policy)
    batch = "tokens" in batch and bool(batch["tokens"].fillna(0).gt(0).any())
    sovereign = sovereignty(con, policy)
    sovereign = "hit_rate" in sovereign and sovereign["hit_rate"].notna().any()
    one, two, three = "1 spend visibility", "2 economics", "3 value"
    costed = "yes" if s["costed"] else "no"
    rows = [
        (one, "total spend", costed, "a bill or usage of known models"),
        (one, "average daily spend", costed, "a bill or usage of known models"),
        (two, "cost per token, normalised", _status(s["priced"]),
         "prices for the unpriced models (catalogue names or negotiated rates)"),
        (two, "cost per model", _status(s["model"]), "the model on bill rows"),
        (two, "input/output ratio", "yes" if s["output"] else "no",
         "token counts by class"),
        (two, "cached ratio", "yes" if s["tokens"] else "no",
         "token counts with cache reads apart"),
        (two, "token-to-spend drift", "yes" if compared else "no",
         "a bill for the days of priced usage"),
        (two, "GPU utilisation", "yes" if gpu[0] else "partly" if gpu[1] else "no",
         "a GPU utilisation series (activity metric gpu_utilisation)"),
        (three, "cost per use case", _status(s["use_case"]),
         "the use case on every request (tags or owner rules)"),
        (three, "inference cost vs revenue",
         _status(_covered(cost_vs_revenue(con), "ratio")),
         "outcome values (revenue) per use case, in the cost's currency"),
        (three, "cost per verified outcome", _status(_outcome_share(con)),
         "outcomes (attempted, verified) for every use case with spend"),
        (three, "route win rate", "yes" if routes else "no",
         "routing evidence with served and reference scores"),
        (three, "batch leverage", "yes" if batch else "no",
         "batch-eligible use cases in the policy, with spend"),
        (three, "sovereignty hit rate", "yes" if sovereign else "no",
         "residency rules in the policy, and spend of those use cases"),
    ]  # fmt: skip
    board = pd.DataFrame(rows, columns=["stage", "metric", "status", "missing"])
    board.loc[board["status"] == "yes", "missing"] = ""
    return board
