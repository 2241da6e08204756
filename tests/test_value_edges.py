"""Value-stage edge cases found in review, each worked by hand.

List prices (genai-prices, November 2026), USD per million tokens: gpt-4o
standard input 2.50, output 10; gpt-4o-mini input 0.15, output 0.60.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import counts, write_csv

import tokenlib
from tokenlib import value
from tokenlib.executive import unit_costs
from tokenlib.policy import Policy

MINI, BIG = "gpt-4o-mini", "gpt-4o"


def _usage(con, day, model, use_case, tier=None, **tok):
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, service_tier, input_tokens, output_tokens, requests, record_type, "
        "use_case) VALUES (uuid(), 'request_log', 'r.csv', CAST(? AS TIMESTAMPTZ), "
        "'request', 'openai', ?, ?, ?, ?, 1, 'usage', ?)",
        [day, model, tier, tok.get("input", 0), tok.get("output", 0), use_case],
    )


def _charge(con, day, cost, use_case=None, currency="USD"):
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "billed_cost, currency, record_type, use_case) VALUES (uuid(), 'focus', "
        "'bill.csv', CAST(? AS TIMESTAMPTZ), 'bucket', ?, ?, 'charge', ?)",
        [day, cost, currency, use_case],
    )


def _volume(con, day, unit, volume, revenue=None, use_case=None, currency="USD",
            end=None):  # fmt: skip
    """A volume row; ``end`` None makes it a time row (end = start)."""
    con.execute(
        'INSERT INTO volumes (record_id, source, source_file, start, "end", unit, '
        "use_case, volume, revenue, currency) VALUES (uuid(), 'volumes', 'v.csv', "
        "CAST(? AS TIMESTAMPTZ), CAST(coalesce(?, ?) AS TIMESTAMPTZ), ?, ?, ?, ?, ?)",
        [day, end, day, unit, use_case, volume, revenue, currency],
    )


def _route(con, day, served, scores):
    served_score, reference_score = scores
    con.execute(
        "INSERT INTO routes (record_id, source, source_file, start, use_case, "
        "provider, served_model, reference_model, served_score, reference_score, "
        "input_tokens, output_tokens) VALUES (uuid(), 'routes', 'routes.csv', "
        "CAST(? AS TIMESTAMPTZ), 'support', 'openai', ?, ?, ?, ?, 1000000, 100000)",
        [day, served, BIG, served_score, reference_score],
    )


# --- batch leverage: a negotiated batch rate in EUR -----------------------------


def test_batch_saving_never_subtracts_a_eur_cost_from_a_usd_list(con, tmp_path):
    rates = write_csv(
        tmp_path / "rates.csv",
        [
            {"provider": "openai", "model": BIG, "token_class": c,
             "price_per_mtok": p, "currency": "EUR", "valid_from": "2026-01-01",
             "valid_to": "", "service_tier": "batch"}
            for c, p in (("input", "1.00"), ("output", "4.00"))
        ],
    )  # fmt: skip
    _usage(con, "2026-11-03 10:00", BIG, "docs", "batch", input=1_000_000,
           output=100_000)  # fmt: skip
    tokenlib.price_ledger(con, negotiated=rates)
    got = value.batch_leverage(con, Policy(batch_eligible=("docs",)))
    docs = got[got["use_case"] == "docs"].iloc[0]
    # The request cost 1M x 1.00 + 0.1M x 4.00 = 1.40 EUR; at the standard list
    # it is 1M x 2.50 + 0.1M x 10 = 3.50 USD. 3.50 USD - 1.40 EUR is no amount:
    # the saving in EUR is unknown, not 2.10.
    assert docs["currency"] == "EUR"
    assert pd.isna(docs["batch_saving"]), docs["batch_saving"]


# --- unit costs: unpriced spend, currencies, zones -------------------------------


def test_cost_per_unit_of_unpriced_spend_is_null_not_zero(con):
    # All of booking_bot's spend is on a model no price list knows.
    _usage(con, "2026-06-01 10:00", "acme-tiny-9", "booking_bot", input=5_000_000)
    _volume(con, "2026-06-01", "booking", 100, use_case="booking_bot",
            end="2026-06-02")  # fmt: skip
    tokenlib.price_ledger(con)
    row = unit_costs(con).iloc[0]
    # Cost unknown: 100 bookings cost ? / 100, not 0 / 100.
    assert pd.isna(row["cost_per_unit"]), row["cost_per_unit"]


def test_unit_revenue_in_two_currencies_is_not_summed(con):
    _charge(con, "2026-06-01", 12.0)
    _volume(con, "2026-06-01", "booking", 100, 10_000, currency="USD",
            end="2026-06-02")  # fmt: skip
    _volume(con, "2026-06-02", "booking", 10, 900, currency="EUR",
            end="2026-06-03")  # fmt: skip
    tokenlib.price_ledger(con)
    row = unit_costs(con, unit="booking").iloc[0]
    # 10,000 USD and 900 EUR have no sum; 10,900 is in no currency.
    assert row["revenue"] != pytest.approx(10_900), row["revenue"]


def test_volume_time_rows_take_the_reporting_day_like_outcomes(con):
    # 20:00 UTC on 1 June is 05:00 on 2 June in Tokyo.
    _charge(con, "2026-06-01 20:00", 6.0)
    _volume(con, "2026-06-01 20:00", "call", 30)
    tokenlib.price_ledger(con, tz="Asia/Tokyo", start=date(2026, 6, 2),
                          end=date(2026, 6, 3))  # fmt: skip
    got = unit_costs(con, unit="call")
    # Both fall on Tokyo's 2 June: 6 USD over 30 calls = 0.20.
    assert len(got) == 1, got
    assert got["cost_per_unit"].iloc[0] == pytest.approx(0.20)


def test_weekly_unit_cost_pairs_volumes_and_spend_in_the_same_zone_week(con):
    # 22:30 UTC on Sunday 7 June is 00:30 on Monday 8 June in Paris.
    _charge(con, "2026-06-07 22:30", 5.0)
    _volume(con, "2026-06-08", "booking", 10, end="2026-06-09")
    tokenlib.price_ledger(con, tz="Europe/Paris")
    got = unit_costs(con, unit="booking", by="week")
    # Week of Monday 8 June in Paris: 5 USD over 10 bookings = 0.50.
    week = got[got["week"].astype(str) == "2026-06-08"].iloc[0]
    assert week["cost_per_unit"] == pytest.approx(0.50), week["cost_per_unit"]


# --- route money when no win is priced -------------------------------------------


def test_route_money_saved_is_null_when_no_win_is_priced(con):
    _route(con, "2026-11-03 01:00", "acme-tiny-9", (0.9, 0.9))
    tokenlib.price_ledger(con)
    row = value.route_win_rate(con, Policy()).iloc[0]
    # One win, its served model unpriced: the money saved is unknown, not 0.
    assert (row["wins"], row["unpriced"]) == (1, 1)
    assert pd.isna(row["money_saved"]), row["money_saved"]


# --- readers ----------------------------------------------------------------------


def test_identical_samples_with_blank_request_ids_are_two_records(con, tmp_path):
    sample = {
        "date": "2026-03-01",
        "request_id": "",
        "served_model": "gpt-4.1-mini",
        "reference_model": "gpt-4.1",
        "served_score": "0.9",
        "reference_score": "0.9",
    }
    path = write_csv(tmp_path / "samples.csv", [sample, sample])
    # Two evaluation samples, as when the file has no request_id column.
    assert counts(tokenlib.ingest_file(con, path)) == (2, 2, 0, 0)


# --- the price-book extension leaves the ledger's figures alone -------------------


def test_route_price_book_extension_changes_no_spend(con):
    _usage(con, "2026-11-03 10:00", MINI, "support", input=1_000_000)
    _route(con, "2026-11-03 01:00", MINI, (0.9, 0.9))
    tokenlib.price_ledger(con)
    before = con.execute("SELECT sum(cost), count(*) FROM spend").fetchone()
    value.route_win_rate(con, Policy())
    after = con.execute("SELECT sum(cost), count(*) FROM spend").fetchone()
    # 1M x 0.15 = 0.15 USD, one row, before and after.
    assert before == after
    assert before[0] == pytest.approx(0.15)


# --- cost per verified outcome with part of the use case unpriced ----------------


def test_cost_per_verified_outcome_says_when_part_of_the_cost_is_unpriced(con):
    _usage(con, "2026-11-03 10:00", MINI, "sup", input=1_000_000)
    _usage(con, "2026-11-03 11:00", "acme-tiny-9", "sup", input=9_000_000)
    con.execute(
        'INSERT INTO outcomes (record_id, source, source_file, start, "end", '
        "use_case, attempted, verified) VALUES (uuid(), 'outcomes', 'o.csv', "
        "TIMESTAMPTZ '2026-11-03 00:00+00', TIMESTAMPTZ '2026-11-04 00:00+00', "
        "'sup', 10, 10)"
    )
    tokenlib.price_ledger(con)
    row = value.cost_per_verified_outcome(con).iloc[0]
    # Priced part: 1M x 0.15 = 0.15 USD; the other 9M tokens have no price, so
    # 0.15 / 10 = 0.015 is a floor, not the cost per outcome: say so.
    assert row["use_case"] == "sup"
    assert pd.isna(row["cost_per_verified"]) or row["reason"] is not None, (
        row["cost_per_verified"],
        row["reason"],
    )
