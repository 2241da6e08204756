"""The forecast of tokens, the invoice and the fully loaded cost, by hand.

gpt-4o-mini list prices: 0.15 USD per million input, 0.60 per million
output tokens.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import WEEK, buckets, daily_history

import tokenlib
from tokenlib import forecast
from tokenlib.errors import ParameterError
from tokenlib.forecast import daily_series, project

MONTH = 365.25 / 12
NO_BUCKETS = buckets()


def _row(con, start, provider, model, inp, out, kind="usage", cost=None, cur=None):
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, input_tokens, output_tokens, requests, record_type, billed_cost, "
        "currency) VALUES (uuid(), 'request_log', 'log.csv', CAST(? AS TIMESTAMPTZ), "
        "'request', ?, ?, ?, ?, 1, ?, ?, ?)",
        [start, provider, model, inp, out, kind, cost, cur],
    )


@pytest.fixture
def ledger():
    con = tokenlib.open_ledger(":memory:")
    # 1 March: 1M in + 1M out (0.75 USD) and 1M in (0.15 USD); a 5 EUR charge.
    _row(con, "2026-03-01 10:00:00+00", "openai", "gpt-4o-mini", 10**6, 10**6)
    _row(con, "2026-03-01 12:00:00+00", "openai", "gpt-4o-mini", 10**6, 0)
    _row(con, "2026-03-01 00:00:00+00", "acme", None, 0, 0, "charge", 5, "EUR")
    # 3 March: 1M out (0.60 USD); a 10 USD bill for 1M tokens that a usage
    # row of an unpriced model also carries (the bill is not split over it).
    _row(con, "2026-03-03 09:00:00+00", "openai", "gpt-4o-mini", 0, 10**6)
    _row(con, "2026-03-03 09:00:00+00", "acme", "mystery", 10**6, 0)
    _row(con, "2026-03-03 00:00:00+00", "acme", None, 10**6, 0, "token_charge",
         10, "USD")  # fmt: skip
    yield con
    con.close()


def test_daily_series_sums_and_fills_the_data_days(ledger):
    tokenlib.price_ledger(ledger)
    got = daily_series(ledger, "USD")
    assert got["day"].tolist() == [date(2026, 3, d) for d in (1, 2, 3)]
    assert got["tokens"].tolist() == [3e6, 0, 2e6]  # the bill's 1M not twice
    assert got["token_bill"].tolist() == pytest.approx([0.90, 0, 10.60])


def test_daily_series_fills_the_whole_period(ledger):
    tokenlib.price_ledger(ledger, start=date(2026, 2, 28), end=date(2026, 3, 5))
    got = daily_series(ledger, "USD")
    assert got["day"].tolist() == [date(2026, 2, 28) + timedelta(i) for i in range(5)]
    assert got["tokens"].tolist() == [0, 3e6, 0, 2e6, 0]
    assert got["token_bill"].tolist() == pytest.approx([0, 0.90, 0, 10.60, 0])
    eur = daily_series(ledger, "EUR")
    assert eur["token_bill"].tolist() == [0, 5, 0, 0, 0]
    assert eur["tokens"].tolist() == got["tokens"].tolist()


def _seasonal(weeks=8, level=1000.0, noise=5.0, seed=1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level + np.tile(WEEK, weeks) + rng.normal(0, noise, 7 * weeks)


def test_project_keeps_level_and_weekly_pattern():
    history = daily_history(_seasonal())  # 56 days from Thu 1 Jan
    p = project(history, NO_BUCKETS, "USD", horizon_days=28, paths=200)
    ahead = p.daily[(p.daily["series"] == "invoice") & (p.daily["kind"] == "forecast")]
    assert ahead["day"].iloc[0] == date(2026, 2, 26)
    truth = 1000 + np.tile(WEEK, 4)  # day 57 is day 1 of the pattern again
    assert ahead["mean"].to_numpy() == pytest.approx(truth, rel=0.03)
    assert ahead["mean"].mean() == pytest.approx(1000, rel=0.02)
    assert (ahead["low"] <= ahead["mean"]).all()
    assert (ahead["mean"] <= ahead["high"]).all()
    assert (ahead["high"] - ahead["low"]).min() > 0
    assert p.paths["invoice"].shape == (28, 200)
    assert p.invoice_total == pytest.approx(p.paths["invoice"].sum(axis=0).mean())


def test_history_rows_carry_actuals_and_bucket_base():
    history = daily_history(_seasonal(weeks=3), tokens=[7.0] * 21)
    labour = ("labour", 100.0, 0.05)
    p = project(history, buckets(labour), "USD", horizon_days=7, paths=50)
    past = p.daily[p.daily["kind"] == "history"].set_index("series")
    assert past.loc["invoice", "mean"].tolist() == history["token_bill"].tolist()
    loaded = (history["token_bill"] + 100).tolist()
    assert past.loc["fully loaded", "mean"].tolist() == pytest.approx(loaded)
    assert past.loc["tokens", "mean"].tolist() == [7.0] * 21
    assert (past["low"] == past["mean"]).all() and (past["high"] == past["mean"]).all()
    assert past.loc["tokens", "currency"].isna().all()
    assert set(past.loc["invoice", "currency"]) == {"USD"}
    assert "tokens: history is flat, forecast held at 7" in p.notes


def test_fixed_buckets_add_exactly_with_compound_growth():
    # 48 months are 1,461 days: the last day grows by 1.02 ** 48 exactly.
    history = daily_history(_seasonal(weeks=4))
    fixed = buckets(("labour", 100.0, 0.02), ("governance", 30.0, 0.0))
    p = project(history, fixed, "USD", horizon_days=1461, paths=20)
    extra = p.paths["fully loaded"] - p.paths["invoice"]
    assert extra[-1] == pytest.approx(100 * 1.02**48 + 30)
    assert extra[0] == pytest.approx(100 * 1.02 ** (1 / MONTH) + 30)
    assert np.ptp(extra, axis=1).max() == pytest.approx(0)  # same on every path
    totals = p.by_bucket.set_index("bucket")["forecast_total"]
    assert p.by_bucket["bucket"].tolist() == [
        "token bill", "labour", "governance", "fully loaded"
    ]  # fmt: skip
    assert totals["governance"] == pytest.approx(30 * 1461)
    assert p.gap == pytest.approx(totals["labour"] + totals["governance"])
    assert totals["fully loaded"] == pytest.approx(p.loaded_total)
    assert totals["token bill"] == pytest.approx(p.invoice_total)


def test_drawn_buckets_take_one_draw_per_path_for_the_whole_horizon():
    # Draws 50, 100, 150, 200 on four paths; no growth; flat invoice 10.
    history = daily_history([10.0] * 14)
    idle = buckets(("gpu idle", 100.0, 0.0))
    draws = pd.DataFrame({"gpu idle": [50.0, 100.0, 150.0, 200.0]})
    p = project(history, idle, "USD", horizon_days=5, paths=4, draws=draws)
    per_path = p.paths["fully loaded"] - 10
    assert per_path[0].tolist() == [50.0, 100.0, 150.0, 200.0]
    assert (per_path == per_path[0]).all()  # kept all horizon
    row = p.by_bucket.set_index("bucket").loc["gpu idle"]
    assert row["forecast_total"] == pytest.approx(5 * 125)
    # The 10th and 90th percentiles of 250, 500, 750, 1000.
    assert (row["low"], row["high"]) == (pytest.approx(325), pytest.approx(925))


def test_fewer_draws_than_paths_are_resampled():
    history = daily_history([10.0] * 14)
    draws = pd.DataFrame({"labour": [1.0, 2.0]})
    p = project(history, buckets(("labour", 1.5, 0.0)), "USD", horizon_days=2,
                paths=50, draws=draws)  # fmt: skip
    assert set(np.unique(p.paths["fully loaded"] - 10)) == {1.0, 2.0}


def test_project_is_repeatable_with_a_seed():
    history = daily_history(_seasonal(weeks=3))
    one = project(history, NO_BUCKETS, "USD", horizon_days=10, paths=50, seed=3)
    two = project(history, NO_BUCKETS, "USD", horizon_days=10, paths=50, seed=3)
    assert (one.paths["invoice"] == two.paths["invoice"]).all()
    assert (one.paths["invoice"] >= 0).all()


def test_short_history_is_refused_with_its_length():
    with pytest.raises(ParameterError, match="13 given"):
        project(daily_history([1.0, 2.0] * 6 + [1.0]), NO_BUCKETS, "USD")


def test_a_bucket_without_draws_is_refused():
    labour = buckets(("labour", 100.0, 0.0))
    with pytest.raises(ParameterError, match="no column for bucket.*labour"):
        project(daily_history([1.0, 2.0] * 10), labour, "USD",
                draws=pd.DataFrame({"governance": [1.0]}))  # fmt: skip


def test_convergence_warning_becomes_a_note(monkeypatch):
    fit = forecast.ETSModel.fit

    def warn_then_fit(self, *args, **kwargs):
        warnings.warn("did not converge", forecast.ConvergenceWarning, stacklevel=1)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(forecast.ETSModel, "fit", warn_then_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = project(daily_history(_seasonal(weeks=3)), NO_BUCKETS, "USD", 7, 20)
    assert "invoice: the model fit did not fully converge" in p.notes


def test_project_reads_history_in_day_order():
    history = daily_history([100.0] * 14)
    p = project(history.iloc[::-1], NO_BUCKETS, "USD", horizon_days=3, paths=5)
    ahead = p.daily[(p.daily["series"] == "invoice") & (p.daily["kind"] == "forecast")]
    assert ahead["day"].tolist() == [date(2026, 1, 15 + i) for i in range(3)]


def test_under_three_weeks_fits_no_weekly_pattern():
    history = daily_history(list(np.arange(15.0) % 4 + 10))
    p = project(history, NO_BUCKETS, "USD", horizon_days=5, paths=20)
    assert "invoice: under 21 days, no weekly pattern fitted" in p.notes
    assert p.by_bucket["bucket"].tolist() == ["token bill", "fully loaded"]
    assert p.gap == 0


def test_credits_are_history_but_not_forecast():
    # Usage of 10 a day; a 150 credit on day 13 makes that day's bill -140.
    history = daily_history([10.0] * 12 + [-140.0, 10.0])
    history["credits"] = [0.0] * 12 + [-150.0, 0.0]
    p = project(history, NO_BUCKETS, "USD", horizon_days=3, paths=5)
    past = p.daily.query("series == 'invoice' and kind == 'history'")
    assert past["mean"].iloc[12] == -140.0
    assert (p.paths["invoice"] == 10.0).all()
    assert "credits of -150.00 USD in the history are left out" in " ".join(p.notes)


def test_daily_series_keeps_credits_apart(ledger):
    ledger.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "billed_cost, currency, record_type, charge_category, service_category) "
        "VALUES (uuid(), 'focus', 'f.csv', '2026-03-03', 'bucket', -4, 'USD', "
        "'charge', 'Credit', 'AI and Machine Learning')"
    )
    tokenlib.price_ledger(ledger)
    got = daily_series(ledger, "USD")
    assert got["token_bill"].tolist() == pytest.approx([0.90, 0, 6.60])
    assert got["credits"].tolist() == [0, 0, -4]
