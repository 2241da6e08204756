"""Tests for the Anthropic cost report reader, its detection, and the pair
of usage and cost reports priced end to end.

Expected values are worked out by hand from the fixtures described in
``tests/fixtures/README.md`` or from the small files written in each test.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, ledger_rows

import tokenlib
from tokenlib.sources import READERS

COST = FIXTURES / "anthropic_cost_day.json"
D2, D3 = "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"


def write(path: Path, *results: dict) -> Path:
    path.write_text(
        json.dumps([{"starting_at": D2, "ending_at": D3, "results": list(results)}])
    )
    return path


def test_cents_become_exact_decimal_dollars(con):
    summary = tokenlib.ingest_file(con, COST)
    assert (summary.source, summary.rows_read, summary.ingested) == (
        "anthropic_cost",
        7,
        7,
    )
    got = [
        (r["billed_cost"], r["effective_cost"], r["currency"]) for r in ledger_rows(con)
    ]
    # "36.1500" cents = 0.3615 USD, and so on; "15.0750" = 0.15075.
    dollars = ["0.3615", "0.273", "0.15075", "0.06", "0.38", "0.03", "0.05"]
    assert got == [(Decimal(d), Decimal(d), "USD") for d in dollars]
    # 0.3615 + 0.273 + 0.15075 + 0.06 + 0.38 + 0.03 + 0.05
    total = con.execute("SELECT sum(billed_cost) FROM ledger").fetchone()[0]
    assert total == Decimal("1.30525")


def test_token_costs_are_token_charges_and_others_charges(con):
    tokenlib.ingest_file(con, COST)
    got = [(r["record_type"], r["model"]) for r in ledger_rows(con)]
    sonnet = ("token_charge", "claude-sonnet-4-5-20250929")
    assert got == [sonnet] * 5 + [("charge", None), ("charge", None)]
    first, *_, search, _ = ledger_rows(con)
    assert json.loads(first["tags"]) == {
        "cost_type": "tokens",
        "token_type": "uncached_input_tokens",
        "description": "Claude Sonnet 4.5 Usage - Input Tokens",
        "context_window": "0-200k",
    }
    assert json.loads(search["tags"]) == {
        "cost_type": "web_search",
        "description": "Web Search",
    }
    assert (first["project"], first["service_tier"], first["provider"]) == (
        "wrkspc_a",
        "standard",
        "anthropic",
    )
    assert first["service_category"] == "AI and Machine Learning"
    assert (search["service_tier"], search["input_tokens"]) == (None, 0)


def test_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, COST)
    before = ledger_rows(con)
    summary = tokenlib.ingest_file(con, COST)
    assert (summary.ingested, summary.duplicate) == (0, 7)
    assert ledger_rows(con) == before


def test_rows_differing_in_one_grouping_field_are_two_records(con, tmp_path):
    a = {"amount": "100", "currency": "USD", "workspace_id": "w1"}
    b = {**a, "workspace_id": "w2"}
    summary = tokenlib.ingest_file(con, write(tmp_path / "c.json", a, b))
    # 100 cents each: 1 USD per workspace.
    assert (summary.ingested, summary.duplicate) == (2, 0)
    assert [(r["project"], r["billed_cost"]) for r in ledger_rows(con)] == [
        ("w1", Decimal("1")),
        ("w2", Decimal("1")),
    ]


def test_ungrouped_day_total_is_a_token_charge_without_model(con, tmp_path):
    path = write(tmp_path / "c.json", {"amount": "250.5", "currency": "usd"})
    tokenlib.ingest_file(con, path)
    (r,) = ledger_rows(con)
    # 250.5 cents = 2.505 USD; lower-case currency read upper case.
    assert (r["record_type"], r["model"], r["billed_cost"], r["currency"]) == (
        "token_charge",
        None,
        Decimal("2.505"),
        "USD",
    )
    assert r["tags"] is None


def test_bad_amounts_and_currencies_go_to_quarantine(con, tmp_path):
    path = write(
        tmp_path / "c.json",
        {"amount": "12.5", "currency": "USD", "cost_type": "tokens"},
        {"amount": "twelve", "currency": "USD", "cost_type": "tokens"},
        {"amount": "1.0", "currency": "dollars", "cost_type": "tokens"},
        {"amount": None, "currency": "USD", "cost_type": "tokens"},
        {"amount": "3", "currency": None, "cost_type": "web_search"},
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (5, 1, 4)
    assert [r["billed_cost"] for r in ledger_rows(con)] == [Decimal("0.125")]
    got = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()
    assert got == [
        (2, "amount", "twelve", "not a number"),
        (3, "currency", "dollars", "not a 3-letter currency code"),
        (4, "amount", None, "missing amount"),
        (5, "currency", None, "not a 3-letter currency code"),
    ]


# --- detection: each JSON reader claims only its own files -----------------------

JSON_FILES = {
    "anthropic_usage_page.json": "anthropic_usage",
    "anthropic_usage_buckets.jsonl": "anthropic_usage",
    "anthropic_usage_day.json": "anthropic_usage",
    "anthropic_cost_day.json": "anthropic_cost",
    "openai_costs_page.json": "openai_costs",
    "openai_usage_page.json": "openai_usage",
    "openai_usage_buckets.json": "openai_usage",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(JSON_FILES.items()))
def test_exactly_one_json_reader_claims_each_file(con, name, fmt):
    claims = [
        r.name for r in READERS if r.test_json and r.test_json(con, FIXTURES / name)
    ]
    assert claims == [fmt]


# --- end to end: usage and cost reports of the same day and model ---------------


def test_usage_and_cost_report_price_to_the_bill(con):
    tokenlib.ingest_file(con, FIXTURES / "anthropic_usage_day.json")
    tokenlib.ingest_file(con, COST)
    tokenlib.price_ledger(con)
    s = tokenlib.summarise(con)
    # The bill: token charges 0.3615 + 0.273 + 0.15075 + 0.06 + 0.38
    # = 1.22525, plus web search 0.03 and code execution 0.05 = 1.30525.
    assert s["total_cost"] == pytest.approx(1.30525, abs=1e-9)
    # Tokens once, from the usage report (cost rows carry none).
    assert s["tokens"] == {
        "input": 120500,
        "cache_read": 910000,
        "cache_write_5m": 40200,
        "cache_write_1h": 10000,
        "output": 22800,
        "reasoning": 0,
    }
    # Sonnet 4.5 list, USD per million: input 3, cache read 0.30, 5m write
    # 3.75, 1h write 6, output 15. Computed = 0.1205*3 + 0.91*0.3
    # + 0.0402*3.75 + 0.01*6 + 0.0228*15 = 0.3615 + 0.273 + 0.15075 + 0.06
    # + 0.342 = 1.18725 against 1.22525 billed for tokens: drift -0.038.
    (d,) = s["drift"]
    assert (d["utc_day"], d["provider"], d["model"], d["currency"]) == (
        "2026-03-02",
        "anthropic",
        "claude-sonnet-4-5",
        "USD",
    )
    assert d["computed"] == pytest.approx(1.18725, abs=1e-9)
    assert d["billed"] == pytest.approx(1.22525, abs=1e-9)
    assert d["drift"] == pytest.approx(-0.038, abs=1e-9)


def test_minor_units_follow_the_currency(con, tmp_path):
    path = write(
        tmp_path / "c.json",
        {"amount": "500", "currency": "JPY", "workspace_id": "w1"},
        {"amount": "1234", "currency": "KWD", "workspace_id": "w2"},
    )
    tokenlib.ingest_file(con, path)
    # The yen has no minor unit: 500 is 500 JPY; the dinar has 1/1000:
    # 1234 fils = 1.234 KWD.
    assert [(r["billed_cost"], r["currency"]) for r in ledger_rows(con)] == [
        (Decimal("500"), "JPY"),
        (Decimal("1.234"), "KWD"),
    ]
