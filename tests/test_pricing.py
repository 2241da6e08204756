"""Pricing: token classes, cache writes by duration, batch, dated and tiered
prices, negotiated rates, unpriced models. Expected costs are worked by hand
from the list prices quoted in each test and cross-checked with genai-prices'
own per-request calculator."""

from __future__ import annotations

from datetime import UTC, datetime

import genai_prices
import pytest

import tokenlib
from tokenlib.errors import PriceError
from tokenlib.prices import read_negotiated, resolve_models

SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}


def _row(start: str, **tokens) -> dict:
    base = {
        "start": start,
        "input_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": 0,
    }
    return {**base, **tokens}


def _costs(con) -> list:
    tokenlib.price_ledger(con)
    return [
        r[0]
        for r in con.execute(
            "SELECT computed_cost FROM priced ORDER BY source_row"
        ).fetchall()
    ]


def test_every_token_class_at_its_own_price(ledger_of):
    # Sonnet 4.5: input 3, cache read 0.30, 5m write 3.75, 1h write 6, output 15.
    con = ledger_of(
        [
            {
                **SONNET,
                **_row(
                    "2026-06-01T10:00:00Z",
                    input_tokens=1000,
                    cache_read_tokens=10_000,
                    cache_write_5m_tokens=2000,
                    cache_write_1h_tokens=1000,
                    output_tokens=500,
                ),
            }
        ]
    )
    (cost,) = _costs(con)
    assert cost == pytest.approx((3000 + 3000 + 7500 + 6000 + 7500) / 1e6)


def test_cost_matches_genai_prices_per_request(ledger_of):
    con = ledger_of(
        [
            {
                **SONNET,
                **_row(
                    "2026-06-01T10:00:00Z",
                    input_tokens=1000,
                    cache_read_tokens=10_000,
                    cache_write_5m_tokens=2000,
                    output_tokens=500,
                ),
            }
        ]
    )
    (cost,) = _costs(con)
    usage = genai_prices.Usage(
        input_tokens=13_000,
        cache_read_tokens=10_000,
        cache_write_tokens=2000,
        output_tokens=500,
    )
    ref = genai_prices.calc_price(
        usage,
        "claude-sonnet-4-5",
        provider_id="anthropic",
        genai_request_timestamp=datetime(2026, 6, 1, tzinfo=UTC),
    )
    assert cost == pytest.approx(float(ref.total_price))


def test_long_context_request_takes_tier_price_for_whole_request(ledger_of):
    # 150k input + 60k cache read = 210k > 200k: input 6, read 0.60, output 22.50.
    con = ledger_of(
        [
            {
                **SONNET,
                **_row(
                    "2026-06-01T10:00:00Z",
                    input_tokens=150_000,
                    cache_read_tokens=60_000,
                    output_tokens=1000,
                ),
            },
            {
                **SONNET,
                **_row(
                    "2026-06-01T11:00:00Z",
                    input_tokens=140_000,
                    cache_read_tokens=60_000,
                    output_tokens=1000,
                ),
            },
        ]
    )
    above, at_threshold = _costs(con)
    assert above == pytest.approx((900_000 + 36_000 + 22_500) / 1e6)
    assert at_threshold == pytest.approx((420_000 + 18_000 + 15_000) / 1e6)


def test_price_in_force_on_the_rows_date(ledger_of):
    # o3 was $10/$40 per MTok until 2025-06-10, then $2/$8.
    o3 = {"provider": "openai", "model": "o3"}
    con = ledger_of(
        [
            {
                **o3,
                **_row(
                    "2025-01-15T12:00:00Z",
                    input_tokens=1_000_000,
                    output_tokens=100_000,
                ),
            },
            {
                **o3,
                **_row(
                    "2025-07-15T12:00:00Z",
                    input_tokens=1_000_000,
                    output_tokens=100_000,
                ),
            },
        ]
    )
    january, july = _costs(con)
    assert january == pytest.approx(10 + 4)
    assert july == pytest.approx(2 + 0.8)


def test_batch_rows_get_batch_price_and_saving(ledger_of):
    # gpt-4.1-mini from 2026-10-14: standard 0.40/1.60, batch 0.20/0.80.
    mini = {"provider": "openai", "model": "gpt-4.1-mini", "service_tier": "batch"}
    con = ledger_of(
        [
            {
                **mini,
                **_row(
                    "2026-11-01T00:00:00Z",
                    input_tokens=1_000_000,
                    output_tokens=100_000,
                ),
            }
        ]
    )
    (cost,) = _costs(con)
    assert cost == pytest.approx(0.20 + 0.08)
    saving = tokenlib.savings(_spend(con))
    assert saving["batch_saving"].iloc[0] == pytest.approx(0.56 - 0.28)


def _spend(con):
    tokenlib.price_ledger(con)
    return con


def test_batch_without_catalogue_batch_price_is_flagged(ledger_of):
    # The catalogue has no batch price for gpt-4.1-mini before 2026-10-14.
    mini = {"provider": "openai", "model": "gpt-4.1-mini", "service_tier": "batch"}
    con = ledger_of([{**mini, **_row("2026-09-01T00:00:00Z", input_tokens=1_000_000)}])
    tokenlib.price_ledger(con)
    cost, flag = con.execute("SELECT computed_cost, price_flag FROM priced").fetchone()
    assert cost == pytest.approx(0.40)
    assert flag == "batch price missing: standard used"


def test_unknown_model_is_unpriced_not_zero(ledger_of):
    con = ledger_of(
        [
            {
                "provider": "internal",
                "model": "acme-llm-7b",
                **_row("2026-06-01T00:00:00Z", input_tokens=700, output_tokens=300),
            },
            {**SONNET, **_row("2026-06-01T00:00:00Z", input_tokens=1000)},
        ]
    )
    assert _costs(con)[0] is None
    summary = tokenlib.summarise(con)
    assert summary["unpriced_tokens"] == 1000
    assert summary["total_cost"] == pytest.approx(0.003)


def test_nothing_priced_gives_null_total(ledger_of):
    con = ledger_of(
        [
            {
                "provider": "internal",
                "model": "acme-llm-7b",
                **_row("2026-06-01T00:00:00Z", input_tokens=700),
            }
        ]
    )
    tokenlib.price_ledger(con)
    assert tokenlib.summarise(con)["total_cost"] is None


def test_dated_snapshot_and_alias_resolve_visibly():
    import pandas as pd

    got = resolve_models(
        pd.DataFrame(
            {
                "provider": ["anthropic", "openai", "nobody"],
                "model": ["claude-sonnet-4-5-20250929", "gpt-4.1-mini", "secret-model"],
            }
        )
    )
    models = [None if pd.isna(m) else m for m in got["catalogue_model"]]
    assert models == ["claude-sonnet-4-5", "gpt-4.1-mini", None]
    assert got["resolution"].tolist() == ["alias", "exact", "unknown"]


def _rates(tmp_path, body: str):
    path = tmp_path / "rates.csv"
    path.write_text(
        "provider,model,token_class,price_per_mtok,currency,valid_from,valid_to\n"
        + body
    )
    return path


def test_negotiated_rate_overrides_list_price_in_its_period(ledger_of, tmp_path):
    con = ledger_of(
        [
            {**SONNET, **_row("2026-06-01T10:00:00Z", input_tokens=100_000)},
            {**SONNET, **_row("2026-08-01T10:00:00Z", input_tokens=100_000)},
        ]
    )
    rates = _rates(
        tmp_path,
        "anthropic,claude-sonnet-4-5-20250929,input,2.5,USD,2026-05-01,2026-07-01\n",
    )
    tokenlib.price_ledger(con, negotiated=rates)
    rows = con.execute(
        "SELECT computed_cost, price_origin FROM priced ORDER BY source_row"
    ).fetchall()
    assert rows == [(pytest.approx(0.25), "negotiated"), (pytest.approx(0.30), "list")]


def test_negotiated_currency_is_never_added_to_usd(ledger_of, tmp_path):
    con = ledger_of(
        [
            {
                **SONNET,
                **_row(
                    "2026-06-01T10:00:00Z",
                    input_tokens=100_000,
                    output_tokens=1_000_000,
                ),
            },
            {
                "provider": "openai",
                "model": "gpt-4.1-mini",
                **_row("2026-06-01T10:00:00Z", input_tokens=1_000_000),
            },
        ]
    )
    rates = _rates(
        tmp_path,
        "anthropic,claude-sonnet-4-5,input,2,EUR,2026-01-01,\n"
        "anthropic,claude-sonnet-4-5,output,10,EUR,2026-01-01,\n",
    )
    tokenlib.price_ledger(con, negotiated=rates)
    summary = tokenlib.summarise(con, "USD")
    assert summary["total_cost"] == pytest.approx(0.40)
    # 100k input at EUR 2 + 1M output at EUR 10.
    assert summary["other_currencies"] == {"EUR": pytest.approx(10.2)}


def test_partly_negotiated_in_other_currency_is_unpriced_and_flagged(
    ledger_of, tmp_path
):
    con = ledger_of(
        [
            {
                **SONNET,
                **_row("2026-06-01T10:00:00Z", input_tokens=1000, output_tokens=1000),
            }
        ]
    )
    rates = _rates(tmp_path, "anthropic,claude-sonnet-4-5,input,2,EUR,2026-01-01,\n")
    tokenlib.price_ledger(con, negotiated=rates)
    cost, flag = con.execute("SELECT computed_cost, price_flag FROM priced").fetchone()
    assert cost is None
    assert "more than one currency" in flag


@pytest.mark.parametrize("price", ["1500", "0", "0.0000001", "abc"])
def test_price_outside_sane_band_is_refused_with_row_and_column(tmp_path, price):
    rates = _rates(tmp_path, f"openai,gpt-4o,input,{price},USD,2026-01-01,\n")
    with pytest.raises(PriceError, match=r"row 1, column price_per_mtok"):
        read_negotiated(rates)


def test_overlapping_negotiated_periods_are_refused(tmp_path):
    rates = _rates(
        tmp_path,
        "openai,gpt-4o,input,2,USD,2026-01-01,2026-06-01\n"
        "openai,gpt-4o,input,1,USD,2026-05-01,\n",
    )
    with pytest.raises(PriceError, match="row 2.*overlaps"):
        read_negotiated(rates)


def test_unknown_token_class_is_refused(tmp_path):
    rates = _rates(tmp_path, "openai,gpt-4o,inputs,2,USD,2026-01-01,\n")
    with pytest.raises(PriceError, match="token_class.*expected one of input"):
        read_negotiated(rates)


def test_alias_and_snapshot_rates_for_one_model_cannot_overlap(ledger_of, tmp_path):
    con = ledger_of([{**SONNET, **_row("2026-06-01T10:00:00Z", input_tokens=100_000)}])
    rates = _rates(
        tmp_path,
        "anthropic,claude-sonnet-4-5,input,2.5,USD,2026-01-01,\n"
        "anthropic,claude-sonnet-4-5-20250929,input,2.4,USD,2026-01-01,\n",
    )
    with pytest.raises(PriceError, match="row 2.*overlaps"):
        tokenlib.price_ledger(con, negotiated=rates)


def test_rate_for_a_model_nobody_knows_is_refused(ledger_of, tmp_path):
    con = ledger_of([{**SONNET, **_row("2026-06-01T10:00:00Z", input_tokens=100_000)}])
    rates = _rates(tmp_path, "openai,gpt-4o-mnii,input,0.1,USD,2026-01-01,\n")
    with pytest.raises(PriceError, match="row 1, column model: 'gpt-4o-mnii'"):
        tokenlib.price_ledger(con, negotiated=rates)


def test_currency_must_be_an_iso_code(tmp_path):
    rates = _rates(tmp_path, "openai,gpt-4o,input,2,USDD,2026-01-01,\n")
    with pytest.raises(PriceError, match="row 1, column currency"):
        read_negotiated(rates)


def test_spend_without_bills_matches_the_bill_matching_path(ledger_of):
    # With no token charges the spend view skips bill matching; its rows
    # must be exactly those the full matching path gives.
    from tokenlib.pricing import Scope, _spend_sql

    con = ledger_of(
        [
            {**SONNET, **_row("2026-06-01T23:30:00Z", input_tokens=1000)},
            {
                "provider": "internal",
                "model": "acme-llm-7b",
                **_row("2026-06-02T01:00:00Z", output_tokens=300),
            },
        ]
    )
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "billed_cost, currency, record_type, service_category) VALUES "
        "(uuid(), 'focus', 'bill.csv', '2026-06-01', 'bucket', 4.5, 'USD', "
        "'charge', 'Compute')"
    )
    tokenlib.price_ledger(con, scope=Scope("all"), tz="Europe/Paris")
    frames = []
    for bills in (False, True):
        sql = _spend_sql(Scope("all"), "Europe/Paris", None, None, bills)
        frames.append(
            con.execute(f"SELECT * FROM ({sql}) ORDER BY source_row NULLS FIRST").df()
        )
    short, full = frames
    assert list(short.columns) == list(full.columns)
    assert short.astype(str).equals(full.astype(str))
    assert short["basis"].tolist() == ["charge", "priced list", "unpriced"]
    assert short["day"].astype(str).tolist()[1] == "2026-06-02"  # 23:30 UTC in Paris
