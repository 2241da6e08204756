"""Spend against a budget: to date, on the forecast, and when it runs out (issue 5).

:func:`budget_view` reads a :class:`tokenlib.forecast.Projection` and the
history it was made from, cumulates spend over the budget period and finds
the day the budget runs out at the current rate and on the forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .errors import ParameterError
from .forecast import Projection, band_of

__all__ = ["BudgetView", "budget_view"]

#: What a budget can pay for: the series of a projection it is set against.
COVERS = ("fully loaded", "invoice")


@dataclass(frozen=True, eq=False)
class BudgetView:
    """Spend to date against a budget, its forecast and run-out dates.

    ``frame`` has ``day``, ``kind`` (history, forecast), ``cumulative``,
    ``low``, ``high``: spend since ``start``; run-out dates are None when
    the budget lasts the period (or, on the forecast, as far as
    ``forecast_ends``, its last day).
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
    forecast_ends: date
    notes: tuple[str, ...]

    def describe(self) -> str:
        """Say the budget view in one sentence; fully loaded spend to date is
        the token bill plus each bucket's modelled cost per day."""
        done = self.frame[self.frame["kind"] == "history"]
        by = f" by {done['day'].iloc[-1]}" if len(done) else " so far"
        unknown = self.forecast_ends < self.end - timedelta(days=1)
        ran = [
            f"runs out on {d}" if d else "lasts the period"
            for d in (self.run_out_current, self.run_out_forecast)
        ]
        if unknown and self.run_out_forecast is None:
            ran[1] = "does not run out within the forecast's horizon"
        what = "spent"
        if self.covers == "fully loaded":
            what = "spent (token bill plus the buckets' modelled cost)"
        return (
            f"Budget {self.amount:,.0f} {self.currency} for {self.start} to "
            f"{self.end} ({self.covers}): {self.spent:,.0f} {what}{by}; at the "
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
        Frame of :func:`tokenlib.forecast.daily_series` the projection was made from.
    projection
        Result of :func:`tokenlib.forecast.project`.
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
        ``covers`` not one of the choices, ``amount`` not above zero,
        ``end`` not after ``start``, or a budget period outside the data
        and the forecast.

    Examples
    --------
    >>> from tokenlib.forecast import BUCKET_COLUMNS, project
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
    horizon = daily["day"].iloc[-1]
    if end <= past["day"].iloc[0] or start > horizon:
        raise ParameterError(
            f"the budget period {start} to {end} lies outside the data and "
            f"forecast ({past['day'].iloc[0]} to {horizon})"
        )
    notes = []
    if start < past["day"].iloc[0]:
        notes.append(
            f"the data starts on {past['day'].iloc[0]}, after the budget "
            f"period's start: spend from {start} to then is not in it"
        )
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
    mean, low, high = band_of(drawn, projection.level)
    later = pd.DataFrame({"day": ahead["day"][keep], "kind": "forecast"})
    later = later.assign(cumulative=mean, low=low, high=high)
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
        forecast_ends=last,
        notes=tuple(notes),
    )
