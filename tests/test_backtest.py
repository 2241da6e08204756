"""The backtest of a forecast, by hand: series whose held-out days are known."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import WEEK

from tokenlib.backtest import backtest


def test_backtest_on_a_pure_weekly_series_is_exact():
    days = [date(2026, 1, 1) + timedelta(i) for i in range(42)]
    got = backtest(pd.Series(1000 + np.tile(WEEK, 6), index=days), 14)
    assert got.wape == pytest.approx(0, abs=1e-6)
    assert got.mape == pytest.approx(0, abs=1e-6)
    assert got.naive_wape == 0
    assert got.frame["day"].tolist() == days[-14:]
    assert got.describe().startswith(
        "Held out the last 14 days (2026-01-29 to 2026-02-11): the forecast"
    )
    assert got.describe().endswith(
        "\nThe forecast did as well as repeating the last week."
    )


def test_backtest_beats_repeating_a_week_on_a_trend():
    # Trend 5 a day: repeating the last of 28 training days misses by 35 a
    # day in the first held-out week and 70 in the second: 735 of 3815.
    days = [date(2026, 1, 1) + timedelta(i) for i in range(42)]
    trend = 100 + 5 * np.arange(42) + np.tile(WEEK, 6) / 10
    got = backtest(pd.Series(trend, index=days), holdout_days=14)
    assert got.naive_wape == pytest.approx(735 / 3815)
    assert got.wape < got.naive_wape / 2
    verdict = got.describe().splitlines()[1]
    assert verdict.startswith("The forecast beat repeating the last week")


def test_backtest_scores_mape_on_days_with_spend_and_coverage():
    # Flat training history forecasts 10 with no band; held out 7 x 0, 7 x 20.
    values = pd.Series([10.0] * 21 + [0.0] * 7 + [20.0] * 7)
    got = backtest(values, holdout_days=14)
    assert got.wape == pytest.approx(140 / 140)
    assert got.mape == pytest.approx(0.5)
    assert got.coverage == 0
    assert "0% of days fell inside the 80% band" in got.describe()
    # Repeating the last week also says 10: as good, and the band too narrow.
    assert got.describe().splitlines()[1] == (
        "The forecast did as well as repeating the last week; its band is too "
        "narrow for these days: it holds day-to-day noise, not a change of "
        "level the history had not shown."
    )
