"""The budget view, by hand: spend of 100 a day against budgets of a few days."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import buckets, daily_history

from tokenlib.budget import budget_view
from tokenlib.errors import ParameterError
from tokenlib.forecast import project

NO_BUCKETS = buckets()


def test_budget_runs_out_at_the_current_rate():
    # 100 a day from 1 Jan; the budget of 1,000 starts 11 Jan: 400 spent by
    # 14 Jan, 600 left at 100 a day runs out at the end of 20 Jan.
    history = daily_history([100.0] * 14)
    p = project(history, NO_BUCKETS, "USD", horizon_days=10, paths=20)
    view = budget_view(history, p, 1000, date(2026, 1, 11), date(2026, 2, 1),
                       covers="invoice")  # fmt: skip
    assert view.spent == 400
    assert view.run_out_current == date(2026, 1, 20)
    assert view.run_out_forecast == date(2026, 1, 20)
    done = view.frame[view.frame["kind"] == "history"]
    assert done["cumulative"].tolist() == [100, 200, 300, 400]
    ahead = view.frame[view.frame["kind"] == "forecast"]
    assert ahead["day"].tolist()[0] == date(2026, 1, 15)
    assert ahead["cumulative"].tolist()[:2] == [500, 600]
    assert len(ahead) == 10 and "stops on 2026-01-24" in view.notes[0]
    assert view.describe() == (
        "Budget 1,000 USD for 2026-01-11 to 2026-02-01 (invoice): 400 spent by "
        "2026-01-14; at the current rate it runs out on 2026-01-20; on the "
        "forecast it runs out on 2026-01-20."
    )


def test_fully_loaded_budget_counts_thebuckets():
    # 100 a day plus 50 of labour: 600 by 14 Jan, 1,050 by 17 Jan.
    history = daily_history([100.0] * 14)
    labour = buckets(("labour", 50.0, 0.0))
    p = project(history, labour, "USD", horizon_days=30, paths=20)
    view = budget_view(history, p, 1000, date(2026, 1, 11), date(2026, 2, 1))
    assert view.spent == 600
    assert (view.run_out_current, view.run_out_forecast) == (date(2026, 1, 17),) * 2
    assert view.notes == ()


def test_budget_that_lasts_or_already_ran_out():
    history = daily_history([100.0] * 14)
    p = project(history, NO_BUCKETS, "USD", horizon_days=30, paths=20)
    lasts = budget_view(history, p, 10**6, date(2026, 1, 1), date(2026, 2, 1))
    assert (lasts.run_out_current, lasts.run_out_forecast) == (None, None)
    assert "it lasts the period; on the forecast it lasts" in lasts.describe()
    past = budget_view(history, p, 500, date(2026, 1, 1), date(2026, 1, 10))
    assert (past.run_out_current, past.run_out_forecast) == (date(2026, 1, 5),) * 2
    assert past.spent == 900 and (past.frame["kind"] == "history").all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"covers": "tokens"}, "covers='tokens': expected one of fully loaded, "),
        ({"amount": 0}, "amount=0"),
        ({"end": date(2026, 1, 1)}, "end=2026-01-01 is not after"),
    ],
)
def test_budget_refuses_bad_parameters(kwargs, message):
    history = daily_history([100.0] * 14)
    p = project(history, NO_BUCKETS, "USD", horizon_days=5, paths=5)
    args = {"amount": 100.0, "start": date(2026, 1, 1), "end": date(2026, 2, 1)}
    with pytest.raises(ParameterError, match=message):
        budget_view(history, p, **(args | kwargs))


def test_budget_refuses_anotherdaily_history():
    history = daily_history([100.0] * 14)
    p = project(history, NO_BUCKETS, "USD", horizon_days=5, paths=5)
    with pytest.raises(ParameterError, match="15 days to 2026-01-15, but the"):
        budget_view(
            daily_history([100.0] * 15), p, 100, date(2026, 1, 1), date(2026, 2, 1)
        )


def test_budget_around_the_data_says_what_it_cannot_see():
    # History 1 to 14 Jan at 100 a day, forecast to 24 Jan.
    history = daily_history([100.0] * 14)
    p = project(history, NO_BUCKETS, "USD", horizon_days=10, paths=20)
    with pytest.raises(ParameterError, match="lies outside the data and forecast"):
        budget_view(history, p, 500, date(2025, 12, 1), date(2026, 1, 1))
    # Starting before the data: the days before it are not in the spend.
    early = budget_view(history, p, 10**5, date(2025, 12, 20), date(2026, 1, 20),
                        covers="invoice")  # fmt: skip
    assert early.spent == 1400
    assert early.notes == (
        "the data starts on 2026-01-01, after the budget period's start: spend "
        "from 2025-12-20 to then is not in it",
    )
    # Ending after the forecast: a run-out past 24 Jan is not known.
    late = budget_view(history, p, 10**5, date(2026, 1, 1), date(2026, 3, 1),
                       covers="invoice")  # fmt: skip
    assert "does not run out within the forecast's horizon" in late.describe()
