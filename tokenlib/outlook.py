"""The outlook: the fully loaded cost carried forward, backtested, budgeted.

:func:`outlook` reads the daily history, forecasts tokens, the invoice and
the fully loaded cost over the assumptions' horizon, backtests the invoice
forecast on held-out days and sets it against the budget. A ledger too short
to forecast gets an outlook that says why instead of an error, so a report
on a few days of data still runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from .backtest import Backtest, backtest
from .budget import BudgetView, budget_view
from .errors import ParameterError
from .forecast import MIN_DAYS, Projection, daily_series, project
from .loaded import LoadedCost
from .loaded_assumptions import Assumptions

__all__ = ["HOLDOUT_DAYS", "Outlook", "outlook"]

#: Days held out to backtest the invoice forecast: four whole weeks.
HOLDOUT_DAYS = 28

_DAILY = ["day", "series", "kind", "mean", "low", "high", "currency"]


@dataclass(frozen=True, eq=False)
class Outlook:
    """Forecast, backtest and budget view; each None when it cannot be made.

    ``notes`` say why a part is missing and what the forecast left out.
    """

    history: pd.DataFrame
    projection: Projection | None
    backtest: Backtest | None
    budget: BudgetView | None
    notes: tuple[str, ...] = ()

    @property
    def daily(self) -> pd.DataFrame:
        """The projection's daily rows; an empty frame with no forecast."""
        if self.projection is None:
            return pd.DataFrame(columns=_DAILY)
        return self.projection.daily

    @property
    def by_bucket(self) -> pd.DataFrame:
        """Horizon totals: token bill, each bucket, fully loaded; ``bucket``,
        ``forecast_total``, ``low``, ``high``, ``currency``. Empty with no
        forecast."""
        if self.projection is None:
            columns = ["bucket", "forecast_total", "low", "high", "currency"]
            return pd.DataFrame(columns=columns)
        return self.projection.by_bucket

    @property
    def gap(self) -> float | None:
        """Fully loaded minus invoice over the horizon; None with no forecast."""
        return None if self.projection is None else self.projection.gap

    def describe(self) -> str:
        """Say the backtest, the budget and the notes, one line each."""
        lines = [self.backtest.describe()] if self.backtest else []
        lines += [self.budget.describe()] if self.budget else []
        return "\n".join(lines + list(self.notes))


def _holdout(days: int) -> int:
    """Four weeks held out, fewer (whole weeks) when history is short."""
    spare = (days - MIN_DAYS) // 7 * 7
    return min(HOLDOUT_DAYS, spare)


def outlook(
    con: duckdb.DuckDBPyConnection,
    loaded: LoadedCost,
    assumptions: Assumptions,
    paths: int = 500,
    seed: int = 0,
) -> Outlook:
    """Forecast the period's cost over the assumptions' horizon.

    Parameters
    ----------
    con
        Connection with the ``spend`` view (:func:`tokenlib.price_ledger`).
    loaded
        The period's fully loaded cost (:func:`tokenlib.loaded.fully_loaded`).
    assumptions
        Give the horizon (``horizon_days``) and the budget.
    paths, seed
        Futures drawn and their seed (the same seed, the same band).

    Returns
    -------
    Outlook
    """
    history = daily_series(con, loaded.currency)
    notes = []
    try:
        projection = project(
            history,
            loaded.forecast_buckets(),
            loaded.currency,
            assumptions.horizon_days,
            paths,
            seed,
            draws=loaded.draws,
        )
    except ParameterError as exc:
        return Outlook(history, None, None, None, (f"no forecast: {exc}",))
    notes += projection.notes

    # The invoice forecast, scored on days it did not see (credits apart).
    held = _holdout(len(history))
    tested = None
    if not history["token_bill"].any():
        notes.append(f"no backtest: no token bill in {loaded.currency} to score")
    elif held >= 7:
        usage = history.set_index("day")
        tested = backtest(usage["token_bill"] - usage["credits"], held)
    else:
        notes.append(
            f"no backtest: {len(history)} days leave no whole week to hold out "
            f"after the {MIN_DAYS} a forecast needs"
        )

    # The budget, when the assumptions set one.
    budget, b = None, assumptions.budget
    if b is not None:
        try:
            args = (b.amount, b.start, b.end, b.covers)
            budget = budget_view(history, projection, *args)
            notes += budget.notes
        except ParameterError as exc:
            notes.append(f"no budget view: {exc}")
    return Outlook(history, projection, tested, budget, tuple(notes))
