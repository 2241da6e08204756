"""Forecast token volume, the token bill and the fully loaded cost (issue 5).

The history is one row per reporting day. A damped-trend exponential
smoothing model (weekly season once there are three full weeks) draws many
possible futures; the band is read from their quantiles. The fully loaded
cost adds unmetered buckets (labour, governance, idle capacity) to each
drawn invoice, each bucket's daily cost drawn once per path.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from .errors import ParameterError
from .schema import TOKENS_SQL

__all__ = [
    "Backtest",
    "BudgetView",
    "Projection",
    "backtest",
    "budget_view",
    "daily_series",
    "project",
]

#: Days in an average month, for monthly growth applied per day.
MONTH_DAYS = 365.25 / 12
#: Fewest days of history a forecast is drawn from.
MIN_DAYS = 14
#: Where a forecast covers series, the name of each and its history column.
SERIES = {"tokens": "tokens", "invoice": "usage_bill"}
COVERS = ("fully loaded", "invoice")
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


def _simulate(
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


def _band(draws: np.ndarray, level: float, axis: int = 1) -> tuple:
    """Mean, low and high quantile of draws along ``axis``."""
    q = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=axis)
    return draws.mean(axis=axis), q[0], q[1]


def _wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    total = np.abs(actual).sum()
    return float(np.abs(actual - forecast).sum() / total) if total else math.nan


@dataclass(frozen=True, eq=False)
class Backtest:
    """How a forecast made without the last days did on them.

    ``wape``, ``mape``, ``coverage`` and ``naive_wape`` are shares (0.061 is
    6.1%); ``frame`` has ``day``, ``actual``, ``forecast``, ``low``, ``high``.
    """

    holdout_days: int
    wape: float
    mape: float
    coverage: float
    naive_wape: float
    frame: pd.DataFrame

    def describe(self) -> str:
        """Say the backtest in one sentence."""
        days = self.frame["day"]
        return (
            f"Held out the last {self.holdout_days} days ({days.iloc[0]} to "
            f"{days.iloc[-1]}): the forecast was off "
            f"by {self.wape:.1%} of the actual total (WAPE); a repeat of the "
            f"last week was off by {self.naive_wape:.1%}; {self.coverage:.0%} "
            "of days fell inside the 80% band."
        )


def backtest(values: pd.Series, holdout_days: int = 28, season: int = 7) -> Backtest:
    """Forecast the last ``holdout_days`` from the days before and score it.

    Parameters
    ----------
    values
        One value per day, indexed by day, oldest first.
    holdout_days
        Days at the end held out and forecast.
    season
        Days in the repeating pattern (7: a week); the naive baseline
        repeats the last ``season`` days.

    Returns
    -------
    Backtest
        WAPE (sum of absolute errors over the sum of actuals), MAPE (mean
        absolute share error over days with an actual above zero), coverage
        of the 80% band, and the naive baseline's WAPE.

    Raises
    ------
    ParameterError
        Fewer than 14 days left to fit on, or ``holdout_days`` below 1.

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=42).date
    >>> week = pd.Series([5.0, 6, 7, 6, 5, 1, 1] * 6, index=days)
    >>> round(backtest(week, holdout_days=14).wape, 3)
    0.0
    """
    if holdout_days < 1:
        raise ParameterError(f"holdout_days={holdout_days}: expected 1 or more")
    y = values.to_numpy(dtype=float)
    train, actual = y[:-holdout_days], y[-holdout_days:]
    draws = _simulate(train, len(actual), 500, 0, [], "backtest", season)
    mean, low, high = _band(draws, 0.8)
    naive = np.resize(train[-season:], len(actual))
    shown = actual > 0
    mape = np.abs(actual - mean)[shown] / actual[shown]
    frame = pd.DataFrame(
        {"day": values.index[-holdout_days:], "actual": actual}
        | {"forecast": mean, "low": low, "high": high}
    )
    return Backtest(
        holdout_days=len(actual),
        wape=_wape(actual, mean),
        mape=float(mape.mean()) if shown.any() else math.nan,
        coverage=float(((actual >= low) & (actual <= high)).mean()),
        naive_wape=_wape(actual, naive),
        frame=frame,
    )


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
        growth = (1 + row.monthly_growth) ** (ahead / MONTH_DAYS)
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
        mean, low, high = _band(draws, level)
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
        mean, low, high = _band(draws.sum(axis=0), level, axis=0)
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
        name: _simulate(
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


@dataclass(frozen=True, eq=False)
class BudgetView:
    """Spend to date against a budget, its forecast and run-out dates.

    ``frame`` has ``day``, ``kind`` (history, forecast), ``cumulative``,
    ``low``, ``high``: spend since ``start``; run-out dates are None when
    the budget lasts the period.
    """

    frame: pd.DataFrame
    amount: float
    currency: str
    covers: str
    start: date
    end: date
    spent: float
    run_out_current: date | None
    run_out_forecast: date | None
    notes: tuple[str, ...]

    def describe(self) -> str:
        """Say the budget view in one sentence."""
        done = self.frame[self.frame["kind"] == "history"]
        by = f" by {done['day'].iloc[-1]}" if len(done) else " so far"
        ran = [
            f"runs out on {d}" if d else "lasts the period"
            for d in (self.run_out_current, self.run_out_forecast)
        ]
        return (
            f"Budget {self.amount:,.0f} {self.currency} for {self.start} to "
            f"{self.end} ({self.covers}): {self.spent:,.0f} spent{by}; at the "
            f"current rate it {ran[0]}; on the forecast it {ran[1]}."
        )


def _run_out_current(
    spent: pd.DataFrame, amount: float, rate: float, start: date, end: date
) -> date | None:
    """Day the budget runs out, spending ``rate`` a day after the history."""
    over = spent[spent["cumulative"] >= amount]
    if len(over):
        return over["day"].iloc[0]
    if rate <= 0:
        return None
    last = spent["day"].iloc[-1] if len(spent) else start - timedelta(days=1)
    left = amount - (spent["cumulative"].iloc[-1] if len(spent) else 0.0)
    day = last + timedelta(days=math.ceil(left / rate - 1e-9))
    return day if day < end else None


def _check_same_history(history: pd.DataFrame, past: pd.DataFrame) -> None:
    """Refuse a history that is not the one the projection was made from."""
    days = pd.to_datetime(history["day"]).dt.date
    if days.max() != past["day"].iloc[-1] or len(days) != len(past):
        raise ParameterError(
            f"history: {len(days)} days to {days.max()}, but the projection "
            f"was made from {len(past)} days to {past['day'].iloc[-1]}; "
            "pass the history given to project()"
        )


def budget_view(
    history: pd.DataFrame,
    projection: Projection,
    amount: float,
    start: date,
    end: date,
    covers: str = "fully loaded",
) -> BudgetView:
    """Compare spend to date and its forecast with a budget for a period.

    Parameters
    ----------
    history
        Frame of :func:`daily_series` the projection was made from.
    projection
        Result of :func:`project`.
    amount
        Budget in the projection's currency.
    start, end
        Budget period: ``start`` inclusive, ``end`` exclusive.
    covers
        What the budget pays for: ``"fully loaded"`` or ``"invoice"``.

    Returns
    -------
    BudgetView
        Cumulative spend per day (actuals, then the forecast with its band),
        spend to date, and the run-out day at the mean rate of the last 28
        days of history and on the forecast (None if not in the period).

    Raises
    ------
    ParameterError
        ``covers`` not one of the choices, ``amount`` not above zero, or
        ``end`` not after ``start``.

    Examples
    --------
    >>> days = pd.date_range("2026-01-01", periods=14).date
    >>> history = pd.DataFrame({"day": days, "tokens": 1.0, "token_bill": 10.0})
    >>> none = pd.DataFrame(columns=list(BUCKET_COLUMNS))
    >>> p = project(history, none, "USD", horizon_days=30, paths=20)
    >>> budget_view(history, p, 300, date(2026, 1, 1), date(2026, 2, 1),
    ...             covers="invoice").run_out_current
    datetime.date(2026, 1, 30)
    """
    if covers not in COVERS:
        raise ParameterError(f"covers={covers!r}: expected one of {', '.join(COVERS)}")
    if not amount > 0:
        raise ParameterError(f"amount={amount}: a budget must be above zero")
    if end <= start:
        raise ParameterError(f"end={end} is not after start={start}; end is exclusive")

    # Actual spend in the period, cumulated from its start.
    daily = projection.daily[projection.daily["series"] == covers]
    past = daily[daily["kind"] == "history"]
    _check_same_history(history, past)
    rate = float(past["mean"].tail(28).mean())
    inside = past[(past["day"] >= start) & (past["day"] < end)]
    done = pd.DataFrame({"day": inside["day"], "kind": "history"}).assign(
        cumulative=inside["mean"].cumsum()
    )
    done = done.assign(low=done["cumulative"], high=done["cumulative"])
    spent = float(done["cumulative"].iloc[-1]) if len(done) else 0.0

    # Forecast from the day after the history, to the end or the horizon.
    ahead = daily[daily["kind"] == "forecast"].reset_index(drop=True)
    keep = ((ahead["day"] >= start) & (ahead["day"] < end)).to_numpy()
    drawn = spent + np.cumsum(projection.paths[covers][keep], axis=0)
    mean, low, high = _band(drawn, projection.level)
    later = pd.DataFrame({"day": ahead["day"][keep], "kind": "forecast"})
    later = later.assign(cumulative=mean, low=low, high=high)
    notes = []
    last = ahead["day"].iloc[-1]
    if last < end - timedelta(days=1):
        notes.append(
            f"the forecast stops on {last}, before the budget period ends; "
            "run-out dates after it are not known"
        )

    # Run-out dates.
    over = pd.concat([done, later.drop(columns=["low", "high"])])
    crossed = over[over["cumulative"] >= amount]
    return BudgetView(
        frame=pd.concat([done, later], ignore_index=True),
        amount=float(amount),
        currency=projection.currency,
        covers=covers,
        start=start,
        end=end,
        spent=spent,
        run_out_current=_run_out_current(done, amount, rate, start, end),
        run_out_forecast=crossed["day"].iloc[0] if len(crossed) else None,
        notes=tuple(notes),
    )
