"""The outlook on demo ledgers: a forecast where history allows, else why."""

from __future__ import annotations

from datetime import date

import pytest

import tokenlib
from tokenlib.demo import write_demo
from tokenlib.demo_loaded import DEMO_ASSUMPTIONS
from tokenlib.outlook import _holdout
from tokenlib.summary import summary_loaded


def _demo(folder, days: int):
    con = tokenlib.open_ledger(folder / "ledger.duckdb")
    for path in write_demo(folder, days=days):
        tokenlib.ingest_file(con, path)
    tokenlib.price_ledger(con)
    return con, tokenlib.read_assumptions(folder / DEMO_ASSUMPTIONS)


@pytest.fixture(scope="module")
def five_weeks(tmp_path_factory):
    con, assumed = _demo(tmp_path_factory.mktemp("demo35"), 35)
    yield con, assumed
    con.close()


@pytest.mark.parametrize(("days", "held"), [(90, 28), (35, 21), (27, 7), (20, 0)])
def test_holdout_is_whole_weeks_leaving_two_to_fit(days, held):
    assert _holdout(days) == held


def test_five_weeks_give_a_forecast_a_backtest_and_a_budget(five_weeks):
    con, assumed = five_weeks
    loaded = tokenlib.fully_loaded(con, assumed)
    ahead = tokenlib.outlook(con, loaded, assumed, paths=100)
    assert len(ahead.history) == 35
    assert ahead.backtest.holdout_days == 21
    forecast = ahead.daily.query("kind == 'forecast' and series == 'invoice'")
    assert len(forecast) == assumed.horizon_days == 90
    assert forecast["day"].iloc[0] == date(2026, 12, 1)
    # The budget runs from 1 October; the demo's five weeks from 27 October.
    assert ahead.budget.spent == pytest.approx(
        ahead.daily.query("kind == 'history' and series == 'fully loaded'")[
            "mean"
        ].sum()
    )
    lines = ahead.describe().splitlines()
    assert lines[0].startswith("Held out the last 21 days (2026-11-10 to")
    assert lines[1].startswith("The forecast ")
    assert lines[2].startswith("Budget 68,000 USD for 2026-10-01 to 2027-01-01")
    assert "spent (token bill plus the buckets' modelled cost)" in lines[2]


def test_summary_loaded_matches_the_loaded_cost_and_says_why_not(five_weeks):
    con, assumed = five_weeks
    loaded = tokenlib.fully_loaded(con, assumed)
    got = summary_loaded(con, "USD", assumed)
    assert got["fully_loaded_cost"] == pytest.approx(loaded.fully_loaded)
    assert got["loaded_multiplier"] == pytest.approx(
        loaded.fully_loaded / tokenlib.summarise(con)["total_cost"]
    )
    assert not any(n.startswith("no fully loaded") for n in got["loaded_notes"])
    eur = summary_loaded(con, "EUR", assumed)
    assert eur["fully_loaded_cost"] is None
    assert eur["loaded_notes"] == [
        "no fully loaded cost: the assumptions are in USD, the report in EUR"
    ]
    none = summary_loaded(con, "USD", None)
    assert none["fully_loaded_cost"] is None and none["loaded_notes"]


def test_ten_days_say_why_there_is_no_forecast(tmp_path):
    con, assumed = _demo(tmp_path, 10)
    loaded = tokenlib.fully_loaded(con, assumed)
    ahead = tokenlib.outlook(con, loaded, assumed)
    assert ahead.projection is None and ahead.budget is None
    assert ahead.daily.empty and ahead.gap is None and ahead.by_bucket.empty
    assert "no forecast" in ahead.describe() and "10 given" in ahead.describe()
    con.close()
