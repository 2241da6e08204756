"""Forecast token volume, the token bill and the fully loaded cost (issue 5).

The history is one row per reporting day. A damped-trend exponential
smoothing model (weekly season once there are three full weeks) draws many
possible futures; the band is read from their quantiles. The fully loaded
cost adds unmetered buckets (labour, governance, idle capacity) to each
drawn invoice, each bucket's daily cost drawn once per path.

The fit, draw and band helpers here are shared: :mod:`tokenlib.backtest`
scores a forecast on held-out days and :mod:`tokenlib.budget` sets one
against a budget.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from .errors import ParameterError
from .period import DAYS_PER_MONTH
from .schema import TOKENS_SQL

__all__ = ["Projection", "band_of", "daily_series", "project", "simulate_days"]

#: Fewest days of history a forecast is drawn from.
MIN_DAYS = 14
#: Where a forecast covers series, the name of each and its history column.
SERIES = {"tokens": "tokens", "invoice": "usage_bill"}
#: The model: additive errors and a damped additive trend.
_ETS = {"error": "add", "trend": "add", "damped_trend": True}
BUCKET_COLUMNS = ("bucket", "daily", "monthly_growth")


def daily_series(con: duckdb.DuckDBPyConnection, currency: str) -> pd.DataFrame:
    """Return tokens and the token bill per reporting day, every day present.

    Every day from the period's first to its last is a row; a day without
    data is zero. Where the period leaves a bound open, the data's first or
    last day is used.

    Parameters
    ----------
    con
        Connection with the ``spend`` view of :func:`tokenlib.price_ledger`.
    currency
        ISO code of the money kept; cost in other currencies is left out.

    Returns
    -------
    pandas.DataFrame
        ``day`` (date), ``tokens`` (counted tokens of every class, reasoning
        inside output), ``token_bill`` (cost in ``currency``), ``credits``
        (the part of it that is credits, zero or negative).

    Notes
    -----
    Tokens come from counted rows only, so a bill's tokens that usage rows
    already carry are not added twice; cost comes from every row, as in
    :func:`tokenlib.metrics.total_spend`, because a bill not split over its
    usage carries its money on an uncounted row.

    Examples
    --------
    >>> import tokenlib
    >>> con = tokenlib.open_ledger(":memory:")
    >>> tokenlib.price_ledger(con, start=date(2026, 1, 1), end=date(2026, 1, 4))
    >>> daily_series(con, "USD")["token_bill"].tolist()
    [0.0, 0.0, 0.0]
    """
    frame = con.execute(
        f"""
        WITH d AS (
          SELECT day,
            sum({TOKENS_SQL}) FILTER (WHERE counted) AS tokens,
            sum(cost) FILTER (WHERE cost_currency = ?) AS token_bill,
            sum(cost) FILTER (WHERE cost_currency = ?
                              AND charge_category = 'Credit') AS credits
          FROM spend GROUP BY day
        ),
        b AS (
          SELECT coalesce(p.start, (SELECT min(day) FROM d)) AS first,
                 coalesce(p."end" - 1, (SELECT max(day) FROM d)) AS last
          FROM report_params p
        ),
        days AS (
          SELECT CAST(unnest(generate_series(first, last, INTERVAL 1 DAY))
                      AS DATE) AS day
          FROM b WHERE first <= last
        )
        SELECT days.day,
               CAST(coalesce(d.tokens, 0) AS DOUBLE) AS tokens,
               CAST(coalesce(d.token_bill, 0) AS DOUBLE) AS token_bill,
               CAST(coalesce(d.credits, 0) AS DOUBLE) AS credits
        FROM days LEFT JOIN d USING (day) ORDER BY day""",
        [currency, currency],
    ).df()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def _quiet_fit(y: np.ndarray, season: int, notes: list[str], label: str):
    """Fit the model, turning statsmodels' warnings into notes."""
    seasonal = "add" if len(y) >= 3 * season else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ETSModel(y, **_ETS, seasonal=seasonal, seasonal_periods=season)
        fit = model.fit(disp=False)
    kinds = {w.category for w in caught}
    if ConvergenceWarning in kinds:
        notes.append(f"{label}: the model fit did not fully converge")
    if kinds - {ConvergenceWarning}:
        notes.append(f"{label}: numerical warnings while fitting the model")
    if seasonal is None:
        notes.append(f"{label}: under {3 * season} days, no weekly pattern fitted")
    return fit


def simulate_days(
    y: np.ndarray,
    horizon: int,
    paths: int,
    seed: int,
    notes: list[str],
    label: str,
    season: int = 7,
) -> np.ndarray:
    """Draw ``paths`` futures of ``horizon`` days, clipped at zero."""
    if len(y) < MIN_DAYS:
        raise ParameterError(
            f"{label}: a forecast needs at least {MIN_DAYS} days of history; "
            f"{len(y)} given. Widen the period or wait for more data."
        )
    if np.ptp(y) == 0:
        notes.append(f"{label}: history is flat, forecast held at {y[-1]:g}")
        return np.full((horizon, paths), float(y[-1]))
    fit = _quiet_fit(y, season, notes, label)
    drawn = fit.simulate(
        horizon, anchor="end", repetitions=paths, rng=np.random.default_rng(seed)
    )
    return np.clip(np.reshape(drawn, (horizon, paths)), 0, None)


def band_of(draws: np.ndarray, level: float, axis: int = 1) -> tuple:
    """Mean, low and high quantile of draws along ``axis``."""
    q = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=axis)
    return draws.mean(axis=axis), q[0], q[1]


@dataclass(frozen=True, eq=False)
class Projection:
    """Forecast of tokens, the invoice and the fully loaded cost.

    ``daily`` has ``day``, ``series`` (tokens, invoice, fully loaded),
    ``kind`` (history, forecast), ``mean``, ``low``, ``high``, ``currency``;
    ``by_bucket`` has ``bucket``, ``forecast_total``, ``low``, ``high``,
    ``currency`` over the horizon; ``paths`` maps each series to its drawn
    futures, shape (horizon_days, paths).
    """

    daily: pd.DataFrame
    by_bucket: pd.DataFrame
    invoice_total: float
    loaded_total: float
    gap: float
    horizon_days: int
    level: float
    currency: str
    notes: tuple[str, ...]
    paths: dict[str, np.ndarray]


def _check_buckets(buckets: pd.DataFrame, draws: pd.DataFrame | None) -> None:
    missing = [c for c in BUCKET_COLUMNS if c not in buckets.columns]
    if missing:
        raise ParameterError(
            f"buckets: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(BUCKET_COLUMNS)}"
        )
    absent = [] if draws is None else sorted(set(buckets["bucket"]) - set(draws))
    if absent:
        raise ParameterError(
            f"draws: no column for bucket(s) {', '.join(map(str, absent))}"
        )


def _bucket_paths(
    buckets: pd.DataFrame,
    draws: pd.DataFrame | None,
    horizon: int,
    paths: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Each bucket's daily cost per path: one drawn base, then growth.

    Paths take the draws' rows in turn (resampled when there are fewer
    draws than paths); without draws every path has the bucket's ``daily``.
    """
    ahead = np.arange(1, horizon + 1)
    rows = np.arange(paths)
    if draws is not None and len(draws) < paths:
        rows = np.random.default_rng(seed).integers(0, len(draws), paths)
    out = {}
    for row in buckets.itertuples(index=False):  # one per bucket, a handful
        base = (
            np.full(paths, float(row.daily))
            if draws is None
            else draws[row.bucket].to_numpy(dtype=float)[rows]
        )
        growth = (1 + row.monthly_growth) ** (ahead / DAYS_PER_MONTH)
        out[str(row.bucket)] = growth[:, None] * base[None, :]
    return out


def _history_rows(
    history: pd.DataFrame, buckets: pd.DataFrame, currency: str
) -> pd.DataFrame:
    loaded = history["token_bill"] + float(buckets["daily"].sum())
    said = {
        "tokens": (history["tokens"], None),
        "invoice": (history["token_bill"], currency),
        "fully loaded": (loaded, currency),
    }
    return pd.concat(
        pd.DataFrame(
            {"day": history["day"], "series": name, "kind": "history"}
            | {"mean": v, "low": v, "high": v, "currency": cur}
        )
        for name, (v, cur) in said.items()
    )


def _forecast_rows(
    first: date, sims: dict, level: float, currency: str
) -> pd.DataFrame:
    frames = []
    for name, draws in sims.items():
        mean, low, high = band_of(draws, level)
        days = [first + timedelta(days=i) for i in range(len(mean))]
        frames.append(
            pd.DataFrame(
                {"day": days, "series": name, "kind": "forecast", "mean": mean}
                | {"low": low, "high": high}
                | {"currency": None if name == "tokens" else currency}
            )
        )
    return pd.concat(frames)


def _totals(named: dict, level: float, currency: str) -> pd.DataFrame:
    rows = []
    for name, draws in named.items():
        mean, low, high = band_of(draws.sum(axis=0), level, axis=0)
        rows.append((name, float(mean), float(low), float(high), currency))
    columns = ["bucket", "forecast_total", "low", "high", "currency"]
    return pd.DataFrame(rows, columns=columns)


def project(
    history: pd.DataFrame,
    buckets: pd.DataFrame,
    currency: str,
    horizon_days: int = 90,
    paths: int = 500,
    seed: int = 0,
    level: float = 0.8,
    draws: pd.DataFrame | None = None,
) -> Projection:
    """Forecast tokens, the invoice and the fully loaded cost with a band.

    Parameters
    ----------
    history
        Frame of :func:`daily_series`: ``day``, ``tokens``, ``token_bill``.
    buckets
        One row per unmetered cost: ``bucket``, ``daily`` (base cost per
        day in ``currency``), ``monthly_growth`` (0.02 is 2% a month,
        compounding). May be empty.
    currency
        ISO code of the money in ``history`` and ``buckets``.
    horizon_days
        Days forecast after the last day of history.
    paths
        Futures drawn; the band is read from their quantiles.
    seed
        Seed of the draws, so a report run twice shows the same band.
    level
        Share of futures inside the band (0.8: from the 10th to the 90th
        percentile).
    draws
        Drawn cost per day of each bucket, one column per ``bucket`` (as
        :attr:`tokenlib.loaded.LoadedCost.draws`); None holds every bucket
        at its ``daily`` on every path.

    Returns
    -------
    Projection
        Daily rows of history and forecast, horizon totals by bucket, the
        invoice and fully loaded totals and the gap between them (means of
        the drawn totals), notes on the fit, and the drawn paths.

    Raises
    ------
    ParameterError
        Fewer than 14 days of history, a bucket without draws when draws
        are given, a level outside (0, 1), or a horizon or paths below 1.

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=28).date
    >>> history = pd.DataFrame({"day": days, "tokens": [1e6] * 28,
    ...                         "token_bill": [10.0, 12.0] * 14})
    >>> people = pd.DataFrame({"bucket": ["labour"], "daily": [5.0],
    ...     "monthly_growth": [0.0]})
    >>> p = project(history, people, "USD", horizon_days=10, paths=50)
    >>> round(p.gap, 6)
    50.0
    """
    if not 0 < level < 1:
        raise ParameterError(f"level={level}: expected a share between 0 and 1")
    if horizon_days < 1 or paths < 1:
        raise ParameterError(
            f"horizon_days={horizon_days}, paths={paths}: expected 1 or more each"
        )
    _check_buckets(buckets, draws)
    buckets = buckets.reset_index(drop=True)
    history = history.assign(day=pd.to_datetime(history["day"]).dt.date)
    history = history.sort_values("day", ignore_index=True)

    # Credits are one-offs: the invoice is forecast from the bill without them.
    notes: list[str] = []
    credits = history["credits"] if "credits" in history else 0.0
    history = history.assign(usage_bill=history["token_bill"] - credits)
    if float(np.sum(credits)):
        notes.append(
            f"credits of {float(np.sum(credits)):,.2f} {currency} in the history "
            "are left out of the forecast: they do not recur"
        )

    # Futures of the two metered series, then of each unmetered bucket.
    sims = {
        name: simulate_days(
            history[column].to_numpy(dtype=float),
            horizon_days,
            paths,
            seed,
            notes,
            name,
        )
        for name, column in SERIES.items()
    }
    extra = _bucket_paths(buckets, draws, horizon_days, paths, seed)
    sims["fully loaded"] = sims["invoice"] + sum(extra.values(), np.zeros(1))

    # Daily rows and horizon totals.
    first = history["day"].iloc[-1] + timedelta(days=1)
    daily = pd.concat(
        [
            _history_rows(history, buckets, currency),
            _forecast_rows(first, sims, level, currency),
        ],
        ignore_index=True,
    )
    named = {"token bill": sims["invoice"]} | extra
    by_bucket = _totals(named | {"fully loaded": sims["fully loaded"]}, level, currency)
    invoice = float(sims["invoice"].sum(axis=0).mean())
    loaded = float(sims["fully loaded"].sum(axis=0).mean())
    return Projection(
        daily=daily,
        by_bucket=by_bucket,
        invoice_total=invoice,
        loaded_total=loaded,
        gap=loaded - invoice,
        horizon_days=horizon_days,
        level=level,
        currency=currency,
        notes=tuple(dict.fromkeys(notes)),
        paths=sims,
    )
