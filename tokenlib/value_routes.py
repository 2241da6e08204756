"""Route win rate: cheaper models serving without quality loss, and the money.

Reads the ``routes`` table (routing evidence) over the reporting days of
the ``spend`` view, and prices each row's tokens at its served, reference
and candidate models with the ledger's price book.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .errors import ParameterError
from .period import in_period
from .policy import Policy
from .prices import list_price_book, resolve_models
from .pricing import standard_cost_sql

__all__ = ["route_win_rate", "route_losses", "route_price_ratio"]

#: Scores are compared with this slack, so a score exactly at the tolerance
#: (0.88 against 0.90 - 0.02) is a win despite binary floating point.
EPSILON = 1e-9
_GROUPS = {
    None: "",
    "week": "date_trunc('week', day)::DATE AS week",
    "day": "day",
    "use_case": "coalesce(use_case, '(none)') AS use_case",
}
_PRICED = ("input", "cache_read", "output")


def _extend_price_book(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``route_models`` and add the route models the book lacks.

    ``price_book`` holds the models of the ledger; a reference or candidate
    model the ledger never used gets its rows from the same catalogue.
    """
    pairs = con.execute(
        """SELECT DISTINCT provider, model FROM (
             SELECT lower(provider) AS provider,
                    unnest([served_model, reference_model, candidate_model]) AS model
             FROM routes) WHERE model IS NOT NULL"""
    ).df()
    mm = resolve_models(pairs)
    mm["model_key"] = mm["catalogue_provider"] + "/" + mm["catalogue_model"]
    con.register("_route_mm", mm)
    con.execute("CREATE OR REPLACE TEMP TABLE route_models AS SELECT * FROM _route_mm")
    con.unregister("_route_mm")
    have = set(
        con.execute("SELECT DISTINCT model_key FROM price_book").df()["model_key"]
    )
    wanted = set(mm["model_key"].dropna()) - have
    if wanted:
        book = list_price_book()
        book["model_key"] = book["catalogue_provider"] + "/" + book["catalogue_model"]
        con.register("_route_book", book[book["model_key"].isin(wanted)])
        con.execute(
            "CREATE OR REPLACE TEMP TABLE price_book AS SELECT * FROM price_book "
            "UNION ALL BY NAME SELECT * FROM _route_book"
        )
        con.unregister("_route_book")


def _priced_routes_sql(tolerance: float) -> str:
    """Return SQL of route rows in the period, flagged and priced per model."""
    join, _ = standard_cost_sql("x")
    missing = " OR ".join(f"(x.{c}_tokens <> 0 AND sp.{c} IS NULL)" for c in _PRICED)
    amount = " + ".join(f"x.{c}_tokens * coalesce(sp.{c}, 0)" for c in _PRICED)
    meets = f"{{s}} >= reference_score - {tolerance!r} - {EPSILON!r}"
    return f"""
    WITH r AS (SELECT * FROM {in_period("routes")}),
    roles AS (
      SELECT record_id, lower(provider) AS provider, CAST(start AS DATE) AS price_date,
        unnest(['served', 'reference', 'candidate']) AS role,
        unnest([served_model, reference_model, candidate_model]) AS model,
        input_tokens, cache_read_tokens, output_tokens,
        0 AS cache_write_5m_tokens, 0 AS cache_write_1h_tokens,
        input_tokens + cache_read_tokens AS request_input
      FROM r
    ),
    x AS (
      SELECT roles.*, mm.model_key FROM roles LEFT JOIN route_models mm
        ON coalesce(roles.provider, '') = coalesce(mm.provider, '')
       AND roles.model = mm.model
    ),
    c AS (
      SELECT x.record_id, x.role,
        CASE WHEN sp.model_key IS NULL OR {missing} THEN NULL
             ELSE ({amount}) / 1e6 END AS cost
      FROM x {join}
    ),
    costs AS (
      SELECT record_id,
        any_value(cost) FILTER (WHERE role = 'served') AS served_cost,
        any_value(cost) FILTER (WHERE role = 'reference') AS reference_cost,
        any_value(cost) FILTER (WHERE role = 'candidate') AS candidate_cost
      FROM c GROUP BY record_id
    ),
    f AS (
      SELECT r.*, costs.* EXCLUDE (record_id),
        served_score IS NOT NULL AND reference_score IS NOT NULL AS evaluated,
        served_model <> reference_model AS routed
      FROM r JOIN costs USING (record_id)
    )
    SELECT *,
      evaluated AND routed AND {meets.format(s="served_score")} AS win,
      evaluated AND routed AND NOT ({meets.format(s="served_score")}) AS loss,
      evaluated AND NOT routed AND candidate_model IS NOT NULL
        AND candidate_model <> reference_model
        AND coalesce({meets.format(s="candidate_score")}, false) AS would_win
    FROM f"""


def route_win_rate(
    con: duckdb.DuckDBPyConnection, policy: Policy, by: str | None = None
) -> pd.DataFrame:
    """Measure route wins, losses, money saved and the routing opportunity.

    Over route rows in the period that were evaluated (served and reference
    scores both present; other rows are counted in ``not_evaluated`` and
    left out): a row is *routed* when ``served_model`` differs from
    ``reference_model``; a *win* is routed with ``served_score >=
    reference_score - quality_tolerance``; a *loss* is routed and not a
    win. ``win_rate`` = wins / evaluated, ``loss_rate`` = losses /
    evaluated. ``money_saved`` = sum over wins of (the row's tokens at the
    reference model's price - at the served model's price). The
    *opportunity* is the share of evaluated rows not routed whose
    ``candidate_score >= reference_score - quality_tolerance``, and
    ``opportunity_saving`` the money routing them to the candidate would
    save. ``target`` is the policy's route target.

    Parameters
    ----------
    by
        None for one row, or ``week`` (the trend), ``day``, ``use_case``.

    Returns
    -------
    pandas.DataFrame
        [``by``], ``rows``, ``not_evaluated``, ``evaluated``, ``routed``,
        ``wins``, ``losses``, ``win_rate``, ``loss_rate``, ``would_win``,
        ``opportunity``, ``target``, ``currency``, ``money_saved``,
        ``opportunity_saving``, ``unpriced`` (wins and would-wins whose
        models have no price: left out of the money), ``reason``.

    Notes
    -----
    Tokens are priced at list prices in force on the row's UTC date at the
    standard tier; negotiated rates are not applied to the comparison.
    """
    if by not in _GROUPS:
        raise ParameterError(
            f"route_win_rate by={by!r}: expected None, week, day or use_case"
        )
    _extend_price_book(con)
    key = _GROUPS[by]
    group = f"{key}, " if key else ""
    sql = f"""
    SELECT {group}count(*) AS rows, count(*) FILTER (WHERE NOT evaluated)
        AS not_evaluated,
      count(*) FILTER (WHERE evaluated) AS evaluated,
      count(*) FILTER (WHERE evaluated AND routed) AS routed,
      count(*) FILTER (WHERE win) AS wins, count(*) FILTER (WHERE loss) AS losses,
      count(*) FILTER (WHERE win) / nullif(count(*) FILTER (WHERE evaluated), 0)
        AS win_rate,
      count(*) FILTER (WHERE loss) / nullif(count(*) FILTER (WHERE evaluated), 0)
        AS loss_rate,
      count(*) FILTER (WHERE would_win) AS would_win,
      count(*) FILTER (WHERE would_win)
        / nullif(count(*) FILTER (WHERE evaluated), 0) AS opportunity,
      {policy.route_target!r} AS target, 'USD' AS currency,
      CASE WHEN count(*) FILTER (WHERE win) = 0 THEN 0
           ELSE sum(reference_cost - served_cost) FILTER (WHERE win) END
        AS money_saved,
      CASE WHEN count(*) FILTER (WHERE would_win) = 0 THEN 0
           ELSE sum(reference_cost - candidate_cost) FILTER (WHERE would_win) END
        AS opportunity_saving,
      count(*) FILTER (WHERE (win AND (reference_cost - served_cost) IS NULL)
        OR (would_win AND (reference_cost - candidate_cost) IS NULL)) AS unpriced,
      CASE WHEN count(*) = 0 THEN 'no routing evidence in the period'
           WHEN count(*) FILTER (WHERE evaluated) = 0
           THEN 'no route row has both a served and a reference score' END
        AS reason
    FROM ({_priced_routes_sql(policy.quality_tolerance)})
    {"GROUP BY ALL ORDER BY ALL" if key else ""}"""
    return con.execute(sql).df()


def route_losses(con: duckdb.DuckDBPyConnection, policy: Policy) -> pd.DataFrame:
    """List the routed requests that lost quality against the reference.

    Returns
    -------
    pandas.DataFrame
        ``day``, ``use_case``, ``request_id``, ``served_model``,
        ``reference_model``, ``served_score``, ``reference_score``,
        ``shortfall`` (reference minus served score), worst first.
    """
    _extend_price_book(con)
    return con.execute(
        f"""SELECT day, use_case, request_id, served_model, reference_model,
          served_score, reference_score, reference_score - served_score AS shortfall
        FROM ({_priced_routes_sql(policy.quality_tolerance)}) WHERE loss
        ORDER BY shortfall DESC, day, request_id"""
    ).df()


def route_price_ratio(con: duckdb.DuckDBPyConnection, policy: Policy) -> dict:
    """Measure what the cheaper tier costs against the premium, and how much
    traffic it can take.

    Over evaluated route rows in the period: ``routed_share`` = routed /
    evaluated (today's); ``safe_share`` = (wins + would-wins) / evaluated,
    the share measured to hold quality on a cheaper model; ``price_ratio``
    = the cheaper model's cost over the reference model's, summed over the
    routed rows priced on both sides, else over the would-wins' candidates.

    Returns
    -------
    dict
        ``evaluated``, ``routed_share``, ``safe_share``, ``price_ratio``
        (None where no priced pair exists), ``priced_on`` (``routed``,
        ``candidates`` or None) and ``use_cases`` (those with evaluated
        rows, sorted).
    """
    _extend_price_book(con)
    use_cases = con.execute(
        f"""SELECT DISTINCT trim(use_case) FROM {in_period("routes")}
        WHERE served_score IS NOT NULL AND reference_score IS NOT NULL
          AND use_case IS NOT NULL ORDER BY 1"""
    ).fetchall()
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE evaluated),
          count(*) FILTER (WHERE evaluated AND routed),
          count(*) FILTER (WHERE win OR would_win),
          sum(served_cost) FILTER (WHERE evaluated AND routed
            AND served_cost IS NOT NULL AND reference_cost IS NOT NULL)
          / nullif(sum(reference_cost) FILTER (WHERE evaluated AND routed
            AND served_cost IS NOT NULL AND reference_cost IS NOT NULL), 0),
          sum(candidate_cost) FILTER (WHERE would_win
            AND candidate_cost IS NOT NULL AND reference_cost IS NOT NULL)
          / nullif(sum(reference_cost) FILTER (WHERE would_win
            AND candidate_cost IS NOT NULL AND reference_cost IS NOT NULL), 0)
        FROM ({_priced_routes_sql(policy.quality_tolerance)})"""
    ).fetchone()
    evaluated, routed, safe, on_routed, on_candidates = row
    ratio, on = (
        (on_routed, "routed")
        if on_routed is not None
        else (on_candidates, "candidates")
    )
    return {
        "evaluated": evaluated,
        "routed_share": routed / evaluated if evaluated else 0.0,
        "safe_share": safe / evaluated if evaluated else 0.0,
        "price_ratio": ratio,
        "priced_on": on if ratio is not None else None,
        "use_cases": tuple(u for (u,) in use_cases),
    }
