"""Score a forecast on the days it was not shown (issue 5).

:func:`backtest` fits the model of :mod:`tokenlib.forecast` on all but the
last days of a series, forecasts those days and compares the forecast, and a
repeat of the last week, with what happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ParameterError
from .forecast import band_of, simulate_days

__all__ = ["Backtest", "backtest"]


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
        """Say the backtest, then what it means for trusting the forecast."""
        days = self.frame["day"]
        said = (
            f"Held out the last {self.holdout_days} days ({days.iloc[0]} to "
            f"{days.iloc[-1]}): the forecast was off "
            f"by {self.wape:.1%} of the actual total (WAPE); a repeat of the "
            f"last week was off by {self.naive_wape:.1%}; {self.coverage:.0%} "
            "of days fell inside the 80% band."
        )
        if math.isclose(self.wape, self.naive_wape, abs_tol=1e-9):
            verdict = "The forecast did as well as repeating the last week"
        elif self.wape < self.naive_wape:
            verdict = "The forecast beat repeating the last week"
        else:
            verdict = "The forecast did no better than repeating the last week"
        if self.coverage < 0.65:
            verdict += (
                "; its band is too narrow for these days: it holds day-to-day "
                "noise, not a change of level the history had not shown"
            )
        return f"{said}\n{verdict}."


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
    draws = simulate_days(train, len(actual), 500, 0, [], "backtest", season)
    mean, low, high = band_of(draws, 0.8)
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
