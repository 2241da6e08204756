"""Cache and batch leverage and the sovereignty hit rate, over ``spend``.

Each function returns a tidy frame; where the policy or the data cannot
support a figure, the figure is null and ``reason`` says why.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .metrics import savings, token_ratios
from .policy import Policy
from .pricing import standard_cost_sql
from .schema import TOKENS_SQL
from .sources.base import literal

__all__ = ["cache_leverage", "batch_leverage", "sovereignty", "sovereignty_exceptions"]

ALL_ELIGIBLE = "(all eligible)"
ALL_REGULATED = "(all regulated)"
_TOKENS = TOKENS_SQL
# Requests of a row: its count, else one for a per-request row.
_REQUESTS = "coalesce(requests, CASE WHEN grain = 'request' THEN 1 END)"


_BATCH_COLUMNS = (
    "use_case", "requests", "batch_requests", "batch_request_share", "tokens",
    "batch_tokens", "batch_token_share", "currency", "batch_saving", "reason",
)  # fmt: skip
_SOVEREIGNTY_COLUMNS = (
    "use_case", "measure", "currency", "total", "in_zone", "hit_rate", "reason",
)  # fmt: skip


def _nothing(columns: tuple[str, ...], use_case: str | None, reason: str):
    """One row of nulls with the frame's usual columns, saying why."""
    row = dict.fromkeys(columns)
    row.update(use_case=use_case, reason=reason)
    return pd.DataFrame([row], columns=list(columns))


def _names(values: tuple[str, ...]) -> str:
    return ", ".join(map(literal, values))


def cache_leverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Measure the share of input served from cache, and the money it saved.

    ``cached_ratio`` = cache reads / all input (uncached, cache reads and
    cache writes), as :func:`tokenlib.metrics.token_ratios`.
    ``gross_saving`` = cache reads at the input price minus at the cache
    read price; ``write_premium`` = what cache writes paid over the input
    price; ``net_saving`` = gross minus premium, as
    :func:`tokenlib.metrics.savings` (priced usage only).

    Returns
    -------
    pandas.DataFrame
        One row per currency of the money: ``input_all``, ``cache_read``,
        ``cached_ratio`` (the same on every row), ``currency``,
        ``gross_saving``, ``write_premium``, ``net_saving``, ``reason``.
    """
    ratios = token_ratios(con)[["input_all", "cache_read", "cached_ratio"]]
    if ratios.empty:
        ratios = pd.DataFrame({"input_all": [0], "cache_read": [0]})
        ratios["cached_ratio"] = None
    money = savings(con).rename(
        columns={"cache_saving": "net_saving", "cache_write_premium": "write_premium"}
    )
    money["gross_saving"] = money["net_saving"] + money["write_premium"]
    money = money[["currency", "gross_saving", "write_premium", "net_saving"]]
    if money.empty:
        money = pd.DataFrame(columns=money.columns, index=[0])
    frame = ratios.merge(money, how="cross")
    frame["reason"] = None
    frame.loc[frame["currency"].isna(), "reason"] = "no priced usage: money unknown"
    frame.loc[frame["cached_ratio"].isna(), "reason"] = "no input tokens in the period"
    return frame


def batch_leverage(con: duckdb.DuckDBPyConnection, policy: Policy) -> pd.DataFrame:
    """Measure the share of batch-eligible work run in batch, and its saving.

    Over counted spend rows of the policy's batch-eligible use cases:
    ``batch_request_share`` = requests at service tier batch / requests,
    ``batch_token_share`` = the same on tokens, and ``batch_saving`` =
    batch rows priced at the standard tier minus what they cost, as
    :func:`tokenlib.metrics.savings`. The ``(all eligible)`` row covers
    every eligible use case.

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``requests``, ``batch_requests``,
        ``batch_request_share``, ``tokens``, ``batch_tokens``,
        ``batch_token_share``, ``currency``, ``batch_saving``, ``reason``.
        A use case priced in two currencies has a row per currency, its
        shares repeated. One row of nulls with a reason when no use case is
        batch-eligible.

    Notes
    -----
    A bucket row without a request count adds tokens but no requests.
    """
    if not policy.batch_eligible:
        return _nothing(_BATCH_COLUMNS, None, "no use case is batch-eligible")
    join, standard = standard_cost_sql("s")
    rows = f"""SELECT s.*, trim(s.use_case) AS uc FROM spend s
      WHERE s.counted AND trim(s.use_case) IN ({_names(policy.batch_eligible)})"""
    sets = "GROUPING SETS ((uc), ())"
    sql = f"""
    WITH e AS ({rows}),
    shares AS (
      SELECT coalesce(uc, '{ALL_ELIGIBLE}') AS use_case,
        sum({_REQUESTS}) AS requests,
        coalesce(sum({_REQUESTS}) FILTER (WHERE service_tier = 'batch'), 0)
          AS batch_requests,
        sum({_TOKENS}) AS tokens,
        coalesce(sum({_TOKENS}) FILTER (WHERE service_tier = 'batch'), 0)
          AS batch_tokens
      FROM e GROUP BY {sets}
    ),
    money AS (
      SELECT coalesce(s.uc, '{ALL_ELIGIBLE}') AS use_case,
        s.computed_currency AS currency,
        CASE WHEN s.computed_currency = 'USD' THEN coalesce(
          sum({standard} - s.computed_cost) FILTER (WHERE s.price_tier = 'batch'),
          0) END AS batch_saving
      FROM e AS s {join} WHERE s.computed_cost IS NOT NULL
      GROUP BY GROUPING SETS ((s.uc, s.computed_currency), (s.computed_currency))
    ),
    names AS (SELECT unnest([{_names(policy.batch_eligible)}, '{ALL_ELIGIBLE}'])
                AS use_case)
    SELECT use_case, requests, batch_requests,
      batch_requests / nullif(requests, 0) AS batch_request_share,
      tokens, batch_tokens, batch_tokens / nullif(tokens, 0) AS batch_token_share,
      currency, batch_saving,
      CASE WHEN requests IS NULL AND tokens IS NULL
           THEN 'no spend for this use case in the period'
           WHEN coalesce(requests, 0) = 0 THEN 'no request counts' END AS reason
    FROM names LEFT JOIN shares USING (use_case) LEFT JOIN money USING (use_case)
    ORDER BY use_case = '{ALL_ELIGIBLE}', use_case, currency"""
    return con.execute(sql).df()


def _regulated_sql(policy: Policy) -> str:
    """Return SQL of regulated spend rows, with ``allowed`` and ``n``."""
    whens = " ".join(
        f"WHEN {literal(r.use_case)} THEN {r.allowed_sql('region')}"
        for r in policy.residency
    )
    names = _names(tuple(r.use_case for r in policy.residency))
    return f"""SELECT trim(use_case) AS uc, nullif(trim(region), '') AS region,
        cost, cost_currency, counted,
        {_REQUESTS} AS n,
        CASE trim(use_case) {whens} END AS allowed
      FROM spend WHERE trim(use_case) IN ({names})"""


def sovereignty(con: duckdb.DuckDBPyConnection, policy: Policy) -> pd.DataFrame:
    """Measure the share of regulated requests and spend in an allowed region.

    Over spend rows of the use cases the policy's residency rules name: a
    row is a hit when its ``region`` matches one of its use case's allowed
    patterns; a row with no region is a miss (unknown region). For
    ``measure`` ``requests``, ``hit_rate`` = requests of hits / requests;
    for ``spend``, per currency, the same on absolute cost (so a credit
    cannot offset a miss). ``(all regulated)`` covers every regulated use
    case.

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``measure``, ``currency`` (None for requests),
        ``total``, ``in_zone``, ``hit_rate``, ``reason``. One row of nulls
        with a reason when nothing is regulated or no regulated use case
        has spend in the period.
    """
    if not policy.residency:
        return _nothing(
            _SOVEREIGNTY_COLUMNS, None, "no workload is regulated in the policy"
        )
    sql = f"""
    WITH r AS ({_regulated_sql(policy)})
    SELECT coalesce(uc, '{ALL_REGULATED}') AS use_case, 'requests' AS measure,
      CAST(NULL AS VARCHAR) AS currency, sum(n)::DOUBLE AS total,
      coalesce(sum(n) FILTER (WHERE allowed), 0)::DOUBLE AS in_zone
    FROM r WHERE counted GROUP BY GROUPING SETS ((uc), ())
    UNION ALL
    SELECT coalesce(uc, '{ALL_REGULATED}'), 'spend', cost_currency,
      sum(abs(cost))::DOUBLE, coalesce(sum(abs(cost)) FILTER (WHERE allowed), 0)
    FROM r WHERE cost IS NOT NULL
    GROUP BY GROUPING SETS ((uc, cost_currency), (cost_currency))"""
    frame = con.execute(
        f"""SELECT *, in_zone / nullif(total, 0) AS hit_rate,
          CASE WHEN coalesce(total, 0) = 0 THEN 'nothing to count' END AS reason
        FROM ({sql}) WHERE total IS NOT NULL
        ORDER BY use_case = '{ALL_REGULATED}', use_case, measure, currency"""
    ).df()
    if frame.empty:
        return _nothing(
            _SOVEREIGNTY_COLUMNS,
            ALL_REGULATED,
            "no spend of a regulated use case in the period",
        )
    return frame


def sovereignty_exceptions(
    con: duckdb.DuckDBPyConnection, policy: Policy
) -> pd.DataFrame:
    """List regulated spend that ran outside its allowed regions.

    Returns
    -------
    pandas.DataFrame
        ``use_case``, ``region`` (``(unknown region)`` when none is
        recorded), ``requests``, ``currency``, ``cost``, ``reason``
        ("unknown region" or "region not allowed"), largest cost first.
        Empty when nothing is regulated.
    """
    columns = ["use_case", "region", "requests", "currency", "cost", "reason"]
    if not policy.residency:
        return pd.DataFrame(columns=columns)
    return con.execute(
        f"""SELECT uc AS use_case, coalesce(region, '(unknown region)') AS region,
          sum(n) FILTER (WHERE counted) AS requests, cost_currency AS currency,
          sum(cost) AS cost,
          CASE WHEN region IS NULL THEN 'unknown region'
               ELSE 'region not allowed' END AS reason
        FROM ({_regulated_sql(policy)}) WHERE NOT allowed
        GROUP BY ALL ORDER BY cost DESC NULLS LAST, use_case, region"""
    ).df()
