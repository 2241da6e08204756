"""Stage 1 and 2 metrics: spend visibility and unit economics.

Every function reads the ``spend`` view that
:func:`tokenlib.pricing.price_ledger` registers and returns a tidy pandas
frame. Money columns come with a ``currency`` column and amounts in two
currencies are never added together. Frames carry the reporting zone in
``frame.attrs["tz"]`` and the cost basis in ``frame.attrs["basis"]``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .errors import ParameterError
from .pricing import standard_cost_sql
from .schema import DIMENSIONS, INPUT_SQL, TOKEN_CLASSES, TOKENS_SQL

__all__ = [
    "BASIS",
    "total_spend",
    "spend_by_day",
    "spend_by",
    "top_movers",
    "token_totals",
    "cost_per_mtok",
    "token_ratios",
    "savings",
    "drift",
    "unpriced",
    "model_resolution",
]

#: How ``cost`` is reached, said once for every figure that uses it.
BASIS = (
    "charges at EffectiveCost where a bill carries money (split over priced "
    "usage on the same provider-day); elsewhere tokens x list or negotiated price"
)
_ALL_IN = INPUT_SQL
_ALL = TOKENS_SQL


def _df(
    con: duckdb.DuckDBPyConnection, sql: str, tz: str | None = None
) -> pd.DataFrame:
    frame = con.execute(sql).df()
    frame.attrs["basis"] = BASIS
    if tz is not None:
        frame.attrs["tz"] = tz
    return frame


def _zone(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT tz FROM report_params").fetchone()[0]


def total_spend(con: duckdb.DuckDBPyConnection, source: str = "spend") -> pd.DataFrame:
    """Total spend per currency over the period.

    Returns
    -------
    pandas.DataFrame
        One row per currency: ``currency``, ``cost``, ``cost_from_bills``
        (the part whose money comes from bills; the rest is tokens times a
        price), ``billed_cost`` (sum of invoiced money in the data, None when
        no row carries money), ``days`` (days with any data in the period),
        ``avg_daily_cost`` (cost over those days), ``first_day``,
        ``last_day`` (of days with cost).
    """
    return _df(
        con,
        f"""
        WITH d AS (SELECT count(DISTINCT day) AS days FROM {source})
        SELECT cost_currency AS currency, sum(cost) AS cost,
               coalesce(sum(cost) FILTER (WHERE basis NOT LIKE 'priced%'), 0)
                 AS cost_from_bills,
               sum(billed_cost)::DOUBLE AS billed_cost,
               any_value(d.days) AS days,
               sum(cost) / any_value(d.days) AS avg_daily_cost,
               min(day) AS first_day, max(day) AS last_day
        FROM {source}, d WHERE cost IS NOT NULL
        GROUP BY cost_currency ORDER BY cost DESC""",
        _zone(con),
    )


def spend_by_day(
    con: duckdb.DuckDBPyConnection, by: str | None = None, source: str = "spend"
) -> pd.DataFrame:
    """Daily spend in the reporting zone, optionally split by a dimension.

    Returns
    -------
    pandas.DataFrame
        ``day``, [``by``], ``currency``, ``cost``, ``tokens`` (all classes
        except reasoning, which sits inside output), ``requests``.
    """
    group = f"{_dim(by)} AS {_q(by)}, " if by else ""
    return _df(
        con,
        f"""
        SELECT day, {group}cost_currency AS currency, sum(cost) AS cost,
               sum(CASE WHEN counted THEN {_ALL} END) AS tokens,
               sum(requests) AS requests
        FROM {source} GROUP BY ALL ORDER BY ALL""",
        _zone(con),
    )


def _q(name: str) -> str:
    return '"' + name + '"'


def _dim(by: str) -> str:
    if by not in DIMENSIONS and by not in (
        "source",
        "service_name",
        "record_type",
        "basis",
        "owner",
        "owner_basis",
    ):
        raise ParameterError(
            f"cannot group by {by!r}; expected one of {', '.join(DIMENSIONS)}"
        )
    return f"coalesce(CAST({_q(by)} AS VARCHAR), '(none)')"


def spend_by(
    con: duckdb.DuckDBPyConnection,
    by: str,
    other_below: float = 0.0,
    source: str = "spend",
) -> pd.DataFrame:
    """Spend by one dimension, largest first, small ones folded into Other.

    Parameters
    ----------
    by
        A ledger dimension (``provider``, ``model``, ``team``, ...).
    other_below
        Fold values whose share of their currency's spend is below this
        fraction into ``Other``; 0 folds nothing.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``currency``, ``cost``, ``share`` (of the currency's total),
        ``tokens``, ``requests``. A missing value shows as ``(none)``.
    """
    frame = _df(
        con,
        f"""
        SELECT {_dim(by)} AS {_q(by)}, cost_currency AS currency, sum(cost) AS cost,
               sum(CASE WHEN counted THEN {_ALL} END) AS tokens,
               sum(requests) AS requests
        FROM {source} WHERE cost_currency IS NOT NULL
        GROUP BY ALL""",
    )
    frame["share"] = frame["cost"] / frame.groupby("currency")["cost"].transform("sum")
    # Spend nobody owns is a gap to close: it is never folded away.
    small = (frame["share"].abs() < other_below) & (frame[by] != "(none)")
    if small.any():
        folded = (
            frame[small]
            .groupby("currency", as_index=False)[
                ["cost", "tokens", "requests", "share"]
            ]
            .sum()
        )
        folded[by] = "Other"
        frame = pd.concat([frame[~small], folded], ignore_index=True)
    frame = frame.sort_values(["currency", "cost"], ascending=[True, False])
    frame.attrs["basis"] = BASIS
    frame.attrs["other_below"] = other_below
    return frame[[by, "currency", "cost", "share", "tokens", "requests"]].reset_index(
        drop=True
    )


def top_movers(con: duckdb.DuckDBPyConnection, by: str, days: int = 7) -> pd.DataFrame:
    """Change in spend between the last ``days`` days and the ``days`` before.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``currency``, ``previous``, ``recent``, ``change``,
        ``change_pct`` (None where the previous window had no spend),
        sorted by absolute change.
    """
    frame = _df(
        con,
        f"""
        WITH last AS (SELECT max(day) AS d FROM spend WHERE cost IS NOT NULL)
        SELECT {_dim(by)} AS {_q(by)}, cost_currency AS currency,
          coalesce(sum(cost) FILTER (
            WHERE day > d - {2 * days} AND day <= d - {days}), 0)
            AS previous,
          coalesce(sum(cost) FILTER (WHERE day > d - {days}), 0) AS recent
        FROM spend, last WHERE cost IS NOT NULL GROUP BY ALL""",
        _zone(con),
    )
    frame["change"] = frame["recent"] - frame["previous"]
    prev = frame["previous"].where(frame["previous"] != 0)
    frame["change_pct"] = 100 * frame["change"] / prev
    order = frame["change"].abs().sort_values(ascending=False).index
    return frame.loc[order].reset_index(drop=True)


def token_totals(
    con: duckdb.DuckDBPyConnection, by: str | None = None, source: str = "spend"
) -> pd.DataFrame:
    """Tokens by class (reasoning is a part of output, shown apart).

    Returns
    -------
    pandas.DataFrame
        [``by``], one column per token class, ``requests``.
    """
    group = f"{_dim(by)} AS {_q(by)}, " if by else ""
    sums = ", ".join(f"sum({c}_tokens) AS {c}" for c in TOKEN_CLASSES)
    return _df(
        con,
        f"""SELECT {group}{sums}, sum(requests) AS requests
        FROM {source} WHERE counted GROUP BY ALL ORDER BY ALL""",
    )


def cost_per_mtok(
    con: duckdb.DuckDBPyConnection, by: str | None = None, source: str = "spend"
) -> pd.DataFrame:
    """Cost per million tokens, blended over all token classes.

    Only rows with a cost and tokens count, so unpriced tokens do not dilute
    the figure.

    Returns
    -------
    pandas.DataFrame
        [``by``], ``currency``, ``cost``, ``tokens``, ``cost_per_mtok``.
    """
    group = f"{_dim(by)} AS {_q(by)}, " if by else ""
    frame = _df(
        con,
        f"""
        SELECT {group}cost_currency AS currency, sum(cost) AS cost,
               sum({_ALL}) AS tokens
        FROM {source} WHERE counted AND cost IS NOT NULL AND {_ALL} > 0
        GROUP BY ALL ORDER BY cost DESC""",
    )
    frame["cost_per_mtok"] = frame["cost"] / frame["tokens"] * 1e6
    return frame


def token_ratios(
    con: duckdb.DuckDBPyConnection, by: str | None = None, source: str = "spend"
) -> pd.DataFrame:
    """Input/output ratio and cached-token ratio.

    ``io_ratio`` is all input (uncached, cache reads and writes) over output;
    ``cached_ratio`` is cache reads over all input.

    Returns
    -------
    pandas.DataFrame
        [``by``], ``input_all``, ``output``, ``cache_read``, ``io_ratio``,
        ``cached_ratio`` (None where the denominator is zero).
    """
    group = f"{_dim(by)} AS {_q(by)}, " if by else ""
    return _df(
        con,
        f"""
        SELECT {group}sum({_ALL_IN}) AS input_all, sum(output_tokens) AS output,
          sum(cache_read_tokens) AS cache_read,
          sum({_ALL_IN}) / nullif(sum(output_tokens), 0) AS io_ratio,
          sum(cache_read_tokens) / nullif(sum({_ALL_IN}), 0) AS cached_ratio
        FROM {source} WHERE counted AND {_ALL} <> 0 GROUP BY ALL ORDER BY ALL""",
    )


def savings(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Money cache and batch saved against list price, per currency.

    ``cache_saving`` is cache reads priced at the input price minus what
    they cost, net of the premium cache writes pay over input.
    ``batch_saving`` (empty for costs in another currency than the list
    prices, USD) is batch rows priced at the standard tier minus what
    they cost. Both are on priced usage only.

    Returns
    -------
    pandas.DataFrame
        ``currency``, ``cache_saving``, ``cache_write_premium``,
        ``batch_saving``.
    """
    join, standard = standard_cost_sql("s")
    return _df(
        con,
        f"""
        SELECT s.computed_currency AS currency,
          sum(s.cache_read_tokens * (s.input_price - s.cache_read_price)) / 1e6
            - sum(s.cache_write_5m_tokens * (s.cache_write_5m_price - s.input_price)
              + s.cache_write_1h_tokens * (s.cache_write_1h_price - s.input_price))
              / 1e6 AS cache_saving,
          sum(s.cache_write_5m_tokens * (s.cache_write_5m_price - s.input_price)
            + s.cache_write_1h_tokens * (s.cache_write_1h_price - s.input_price))
            / 1e6 AS cache_write_premium,
          CASE WHEN s.computed_currency = 'USD' THEN coalesce(
            sum({standard} - s.computed_cost) FILTER (WHERE s.price_tier = 'batch'),
            0) END AS batch_saving
        FROM spend AS s {join}
        WHERE s.computed_cost IS NOT NULL AND s.counted
        GROUP BY s.computed_currency""",
    )


def drift(con: duckdb.DuckDBPyConnection, source: str = "spend") -> pd.DataFrame:
    """Token-to-spend drift: computed cost against billed cost.

    Compared where a bill carries money for tokens, on UTC days and
    providers, and by model where the bill names one (else over all the
    provider's models that day). ``computed`` prices the tokens the bill
    covers (the usage rows if any, else the bill's own tokens) at list or
    negotiated prices; ``billed`` is the bill's BilledCost. ``drift`` is
    computed minus billed: negative when the bill is above the price list.
    A key billed in more than one currency is left out, and ``computed`` is
    empty where the prices are in another currency than the bill.

    Returns
    -------
    pandas.DataFrame
        ``utc_day``, ``provider``, ``model``, ``currency``, ``computed``,
        ``billed``, ``drift``, ``drift_pct`` (of billed).
    """
    frame = _df(
        con,
        f"""
        WITH bills AS (
          SELECT utc_day, provider, ck, currency,
                 sum(billed_cost)::DOUBLE AS billed
          FROM {source} WHERE record_type = 'token_charge' GROUP BY ALL
        ),
        one AS (  -- keys billed in one currency; others cannot be compared
          SELECT utc_day, provider, ck FROM bills GROUP BY ALL HAVING count(*) = 1
        )
        SELECT s.utc_day, s.provider,
          CASE WHEN s.ck = '*' THEN '(all models)'
               ELSE any_value(coalesce(s.catalogue_model, s.model)) END AS model,
          any_value(b.currency) AS currency,
          sum(s.computed_cost) FILTER (
            WHERE s.counted AND s.computed_currency = b.currency) AS computed,
          any_value(b.billed) AS billed
        FROM {source} AS s
        JOIN one USING (utc_day, provider, ck)
        JOIN bills AS b USING (utc_day, provider, ck)
        GROUP BY s.utc_day, s.provider, s.ck
        ORDER BY utc_day, provider, model""",
    )
    frame["drift"] = frame["computed"] - frame["billed"]
    billed = frame["billed"].where(frame["billed"] != 0)
    frame["drift_pct"] = 100 * frame["drift"] / billed
    return frame


def unpriced(con: duckdb.DuckDBPyConnection, source: str = "spend") -> pd.DataFrame:
    """Tokens with no price, by provider and model.

    Returns
    -------
    pandas.DataFrame
        ``provider``, ``model``, ``resolution``, ``tokens``, ``requests``,
        ``share`` (of all counted tokens).
    """
    return _df(
        con,
        f"""
        WITH t AS (SELECT sum({_ALL}) AS total FROM {source} WHERE counted)
        SELECT provider, model, resolution, sum({_ALL}) AS tokens,
               sum(requests) AS requests, sum({_ALL}) / any_value(total) AS share
        FROM {source}, t WHERE counted AND cost IS NULL AND {_ALL} > 0
        GROUP BY ALL ORDER BY tokens DESC""",
    )


def model_resolution(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How each reported model name was matched to the price catalogue."""
    return _df(
        con,
        """SELECT provider, model, catalogue_provider, catalogue_model,
        resolution FROM model_map ORDER BY resolution, provider, model""",
    )
