"""Stage 1-2 metrics on small ledgers whose answers are worked by hand.

Prices used (Anthropic claude-sonnet-4-5 before any change): input $3,
cache read $0.30, 5-minute write $3.75, 1-hour write $6, output $15 per MTok.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import write_csv

import tokenlib

SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}


def _r(start, team=None, **tokens):
    row = {
        **SONNET,
        "start": start,
        "team": team or "",
        "input_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
    }
    return {**row, **tokens}


@pytest.fixture
def small(ledger_of):
    # Three requests: $0.30, $1.50 and $0.027 (1000 x 3 + 10k x 0.30 + 2k x
    # 3.75 + 1k x 6 + 500 x 15 = 27,000 per million).
    return ledger_of(
        [
            _r("2026-06-01T03:00:00Z", "search", input_tokens=100_000),  # $0.30
            _r("2026-06-01T15:00:00Z", "search", output_tokens=100_000),  # $1.50
            _r(
                "2026-06-02T12:00:00Z",
                "",
                input_tokens=1000,
                cache_read_tokens=10_000,
                cache_write_5m_tokens=2000,
                cache_write_1h_tokens=1000,
                output_tokens=500,
                reasoning_tokens=200,
            ),  # $0.027
        ]
    )


def test_total_and_average_daily_cost(small):
    tokenlib.price_ledger(small)
    total = tokenlib.total_spend(small)
    assert total["cost"].iloc[0] == pytest.approx(1.827)
    assert total["days"].iloc[0] == 2
    assert total["avg_daily_cost"].iloc[0] == pytest.approx(1.827 / 2)


def test_days_are_bucketed_in_the_reporting_zone(small):
    # 03:00 UTC on 1 June is 23:00 on 31 May in New York.
    tokenlib.price_ledger(small, tz="America/New_York")
    daily = tokenlib.spend_by_day(small)
    got = dict(zip(daily["day"].astype(str), daily["cost"].round(6), strict=True))
    assert got == {"2026-05-31": 0.3, "2026-06-01": 1.5, "2026-06-02": 0.027}
    assert daily.attrs["tz"] == "America/New_York"


def test_period_filter_keeps_start_drops_end(small):
    tokenlib.price_ledger(small, start=date(2026, 6, 2), end=date(2026, 6, 3))
    assert tokenlib.summarise(small)["total_cost"] == pytest.approx(0.027)


def test_spend_by_team_with_unowned_and_other(small):
    tokenlib.price_ledger(small)
    by = tokenlib.spend_by(small, "team")
    assert by["team"].tolist() == ["search", "(none)"]
    assert by["share"].tolist() == pytest.approx([1.8 / 1.827, 0.027 / 1.827])
    # Unowned spend is a gap to close, so it is never folded into Other.
    folded = tokenlib.spend_by(small, "team", other_below=0.02)
    assert folded["team"].tolist() == ["search", "(none)"]


def test_small_owners_fold_into_other(ledger_of):
    con = ledger_of(
        [
            _r("2026-06-01T03:00:00Z", "search", input_tokens=100_000),
            _r("2026-06-01T04:00:00Z", "ads", input_tokens=1_000),
            _r("2026-06-01T05:00:00Z", "web", input_tokens=1_000),
        ]
    )
    tokenlib.price_ledger(con)
    folded = tokenlib.spend_by(con, "team", other_below=0.05)
    assert folded["team"].tolist() == ["search", "Other"]
    assert folded["cost"].tolist() == pytest.approx([0.3, 0.006])


def test_token_totals_keep_reasoning_inside_output(small):
    tokenlib.price_ledger(small)
    summary = tokenlib.summarise(small)
    assert summary["tokens"] == {
        "input": 101_000,
        "cache_read": 10_000,
        "cache_write_5m": 2000,
        "cache_write_1h": 1000,
        "output": 100_500,
        "reasoning": 200,
    }
    # Blended: $1.827 over 214,500 tokens (reasoning not added again).
    assert summary["cost_per_mtok"] == pytest.approx(1.827 / 214_500 * 1e6)


def test_io_and_cached_ratios(small):
    tokenlib.price_ledger(small)
    ratios = tokenlib.token_ratios(small)
    all_input = 101_000 + 10_000 + 2000 + 1000
    assert ratios["io_ratio"].iloc[0] == pytest.approx(all_input / 100_500)
    assert ratios["cached_ratio"].iloc[0] == pytest.approx(10_000 / all_input)


def test_cache_saving_is_net_of_write_premium(small):
    tokenlib.price_ledger(small)
    saving = tokenlib.savings(small)
    # Reads saved 10k x (3 - 0.30); writes cost 2k x 0.75 + 1k x 3 more than input.
    assert saving["cache_saving"].iloc[0] == pytest.approx((27_000 - 4_500) / 1e6)
    assert saving["cache_write_premium"].iloc[0] == pytest.approx(4_500 / 1e6)


def _focus_rows(day, quantity_in, cost_in, model=None):
    tags = '{"team": "claims"' + (f', "model": "{model}"' if model else "") + "}"
    return {
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargePeriodEnd": f"{day}T23:59:59Z",
        "BilledCost": cost_in,
        "EffectiveCost": cost_in,
        "BillingCurrency": "USD",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": "Claude API",
        "ChargeCategory": "Usage",
        "ProviderName": "Anthropic",
        "ConsumedQuantity": quantity_in,
        "ConsumedUnit": "Tokens",
        "SkuMeter": "sonnet-input-tokens",
        "Tags": tags,
    }


def test_charge_is_money_of_record_and_usage_splits_it(ledger_of, tmp_path):
    # Usage on 1 June prices at $0.30 + $1.50; the bill says $1.60 for the day.
    con = ledger_of(
        [
            _r("2026-06-01T03:00:00Z", "search", input_tokens=100_000),
            _r("2026-06-01T15:00:00Z", "ads", output_tokens=100_000),
        ]
    )
    bill = write_csv(tmp_path / "bill.csv", [_focus_rows("2026-06-01", 100_000, 1.6)])
    tokenlib.ingest_file(con, bill)
    tokenlib.price_ledger(con)
    summary = tokenlib.summarise(con)
    assert summary["total_cost"] == pytest.approx(1.6)
    assert summary["cost_from_bills"] == pytest.approx(1.6)
    assert summary["tokens"]["input"] == 100_000  # the bill's tokens not added again
    by = tokenlib.spend_by(con, "team").set_index("team")["cost"]
    assert by["search"] == pytest.approx(1.6 * 0.3 / 1.8)
    assert by["ads"] == pytest.approx(1.6 * 1.5 / 1.8)
    drift = tokenlib.drift(con)
    assert drift["computed"].sum() == pytest.approx(1.8)
    assert drift["billed"].sum() == pytest.approx(1.6)
    assert drift["drift"].sum() == pytest.approx(0.2)


def test_drift_by_model_on_a_token_metered_bill(ledger_of, tmp_path):
    # 2M input tokens of Sonnet billed $6.30 against $6.00 at list.
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    bill = write_csv(
        tmp_path / "bill.csv",
        [_focus_rows("2026-06-01", 2_000_000, 6.3, model="claude-sonnet-4-5")],
    )
    tokenlib.ingest_file(con, bill)
    tokenlib.price_ledger(con)
    drift = tokenlib.drift(con)
    assert drift[["model", "computed", "billed"]].values.tolist() == [
        ["claude-sonnet-4-5", pytest.approx(6.0), pytest.approx(6.3)]
    ]
    assert drift["drift_pct"].iloc[0] == pytest.approx(-0.3 / 6.3 * 100)
    assert tokenlib.summarise(con)["total_cost"] == pytest.approx(6.3)


def test_scope_all_adds_non_ai_bill_rows(ledger_of, tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    compute = {
        **_focus_rows("2026-06-01", "", 10.0),
        "ServiceCategory": "Compute",
        "ServiceName": "Amazon EC2",
        "ConsumedUnit": "Hours",
        "ConsumedQuantity": 5,
    }
    tokenlib.ingest_file(
        con,
        write_csv(
            tmp_path / "b.csv",
            [_focus_rows("2026-06-01", 1000, 0.5, model="claude-sonnet-4-5"), compute],
        ),
    )
    tokenlib.price_ledger(con)
    assert tokenlib.summarise(con)["total_cost"] == pytest.approx(0.5)
    tokenlib.price_ledger(con, scope=tokenlib.Scope("all"))
    assert tokenlib.summarise(con)["total_cost"] == pytest.approx(10.5)
    # A rule adds the GPU instances that serve AI to the AI scope.
    tokenlib.price_ledger(con, scope=tokenlib.Scope("ai", services=("Amazon EC2",)))
    assert tokenlib.summarise(con)["total_cost"] == pytest.approx(10.5)


def test_no_ai_rows_says_so_without_failing(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    compute = {**_focus_rows("2026-06-01", "", 10.0), "ServiceCategory": "Compute"}
    tokenlib.ingest_file(con, write_csv(tmp_path / "b.csv", [compute]))
    tokenlib.price_ledger(con)
    summary = tokenlib.summarise(con)
    assert summary["total_cost"] is None and summary["days"] == 0
    assert "no rows in the AI scope" in summary["notes"][0]


def test_top_movers_compare_equal_windows(ledger_of):
    rows = [
        _r(f"2026-06-{d:02d}T12:00:00Z", "a", input_tokens=100_000) for d in range(1, 5)
    ]
    rows += [
        _r(f"2026-06-{d:02d}T12:00:00Z", "b", input_tokens=100_000) for d in (3, 4)
    ]
    con = ledger_of(rows)
    tokenlib.price_ledger(con)
    movers = tokenlib.top_movers(con, "team", days=2).set_index("team")
    # Window 3-4 June vs 1-2 June: a 0.60 -> 0.60, b 0 -> 0.60.
    assert movers.loc["b", "change"] == pytest.approx(0.6)
    assert movers.loc["a", "change"] == pytest.approx(0.0)
    assert movers.index[0] == "b"


def test_bills_in_two_currencies_on_one_day_are_not_doubled(tmp_path):
    usd = _focus_rows("2026-06-01", 1_000_000, 10.0)
    eur = {
        **_focus_rows("2026-06-01", 1_000_000, 9.0),
        "BillingCurrency": "EUR",
        "SkuMeter": "sonnet-input-tokens-eu",
    }
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    tokenlib.ingest_file(con, write_csv(tmp_path / "b.csv", [usd, eur]))
    tokenlib.price_ledger(con)
    summary = tokenlib.summarise(con, "USD")
    assert summary["total_cost"] == pytest.approx(10.0)
    assert summary["other_currencies"] == {"EUR": pytest.approx(9.0)}
    assert summary["tokens"]["input"] == 2_000_000


def test_unpriced_usage_under_a_bill_counts_its_tokens_once(ledger_of, tmp_path):
    con = ledger_of(
        [
            {
                **_r("2026-06-01T03:00:00Z", "search", input_tokens=1_000_000),
                "model": "my-finetune",
            }
        ]
    )
    tokenlib.ingest_file(
        con, write_csv(tmp_path / "b.csv", [_focus_rows("2026-06-01", 1_000_000, 4.0)])
    )
    tokenlib.price_ledger(con)
    summary = tokenlib.summarise(con)
    assert summary["tokens"]["input"] == 1_000_000
    assert summary["total_cost"] == pytest.approx(4.0)  # the bill is the money


def test_a_bill_naming_its_model_is_split_only_over_that_model(ledger_of, tmp_path):
    # Haiku usage ($0.30 at list) sits beside a Sonnet bill of $5: the bill
    # does not move onto Haiku, and Haiku keeps its priced cost.
    con = ledger_of(
        [
            {
                **_r("2026-06-01T03:00:00Z", "web", input_tokens=300_000),
                "model": "claude-3-haiku",
            }
        ]
    )
    bill = _focus_rows("2026-06-01", 1_000_000, 5.0, model="claude-sonnet-4-5")
    tokenlib.ingest_file(con, write_csv(tmp_path / "b.csv", [bill]))
    tokenlib.price_ledger(con)
    by = tokenlib.spend_by(con, "model").set_index("model")["cost"]
    assert by["claude-3-haiku"] == pytest.approx(300_000 * 0.25 / 1e6)
    assert by["claude-sonnet-4-5"] == pytest.approx(5.0)
    assert tokenlib.summarise(con)["tokens"]["input"] == 1_300_000


def test_drift_never_compares_or_adds_two_currencies(ledger_of, tmp_path):
    con = ledger_of([_r("2026-06-01T03:00:00Z", "web", input_tokens=100_000)])
    eur = {
        **_focus_rows("2026-06-01", 100_000, 0.25, model="claude-sonnet-4-5"),
        "BillingCurrency": "EUR",
    }
    tokenlib.ingest_file(con, write_csv(tmp_path / "b.csv", [eur]))
    tokenlib.price_ledger(con)
    (row,) = tokenlib.drift(con).to_dict("records")
    assert row["currency"] == "EUR" and row["billed"] == pytest.approx(0.25)
    assert pd.isna(row["computed"])  # list prices are in USD: not comparable


def test_provider_names_meet_whatever_their_case(ledger_of, tmp_path):
    con = ledger_of(
        [
            {
                **_r("2026-06-01T03:00:00Z", "web", input_tokens=100_000),
                "provider": "Anthropic",
            }
        ]
    )
    bill = {
        **_focus_rows("2026-06-01", 100_000, 0.4, model="claude-sonnet-4-5"),
        "ProviderName": "ANTHROPIC",
    }
    tokenlib.ingest_file(con, write_csv(tmp_path / "b.csv", [bill]))
    tokenlib.price_ledger(con)
    summary = tokenlib.summarise(con)
    assert summary["total_cost"] == pytest.approx(0.4)
    assert summary["tokens"]["input"] == 100_000


def test_a_bill_outside_the_scope_covers_no_usage(ledger_of, tmp_path):
    con = ledger_of([_r("2026-06-01T03:00:00Z", "web", input_tokens=100_000)])
    bill = {
        **_focus_rows("2026-06-01", 100_000, 99.0, model="claude-sonnet-4-5"),
        "ServiceCategory": "Compute",
    }
    tokenlib.ingest_file(con, write_csv(tmp_path / "b.csv", [bill]))
    tokenlib.price_ledger(con)
    assert tokenlib.summarise(con)["total_cost"] == pytest.approx(0.30)
