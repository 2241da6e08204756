"""Tests for the OpenAI costs export reader and its pairing with usage.

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

COSTS = FIXTURES / "openai_costs_page.json"
D0, DAY = 1772409600, 86400  # 2026-03-02T00:00:00Z
MODEL = "gpt-4.1-mini-2025-04-14"


def cost(value, line_item, currency="usd") -> dict:
    return {
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": currency},
        "line_item": line_item,
        "project_id": None,
    }


def write(path: Path, *results: dict) -> Path:
    bucket = {"start_time": D0, "end_time": D0 + DAY, "results": list(results)}
    path.write_text(json.dumps({"object": "page", "data": [bucket]}))
    return path


def test_dollars_currency_and_charge_types(con):
    summary = tokenlib.ingest_file(con, COSTS)
    # Five results; the empty second bucket adds nothing.
    assert (summary.source, summary.rows_read, summary.ingested) == (
        "openai_costs",
        5,
        5,
    )
    got = [
        (r["billed_cost"], r["effective_cost"], r["currency"], r["record_type"])
        for r in ledger_rows(con)
    ]
    assert got == [
        (Decimal("0.0084"), Decimal("0.0084"), "USD", "token_charge"),
        (Decimal("0.0031"), Decimal("0.0031"), "USD", "token_charge"),
        (Decimal("0.007"), Decimal("0.007"), "USD", "token_charge"),
        (Decimal("0.25"), Decimal("0.25"), "USD", "charge"),
        (Decimal("0.0125"), Decimal("0.0125"), "USD", "charge"),
    ]
    r = ledger_rows(con)
    assert [x["model"] for x in r] == [MODEL] * 3 + [None, None]
    assert [x["project"] for x in r] == ["proj_a"] * 4 + [None]
    assert json.loads(r[3]["tags"]) == {"line_item": "web search tool calls"}
    assert {(x["provider"], x["service_category"]) for x in r} == {
        ("openai", "AI and Machine Learning")
    }


@pytest.mark.parametrize(
    ("line_item", "record_type", "model", "tier"),
    [
        (
            "gpt-4.1-2025-04-14, cached input",
            "token_charge",
            "gpt-4.1-2025-04-14",
            None,
        ),
        (
            "priority | gpt-5.6-sol, output, long context",
            "token_charge",
            "gpt-5.6-sol",
            "priority",
        ),
        (
            "gpt-audio-mini-2025-12-15 audio, input",
            "token_charge",
            "gpt-audio-mini-2025-12-15",
            None,
        ),
        ("web search tool calls", "charge", None, None),
        ("GPT-4o", "charge", None, None),
        (None, "token_charge", None, None),
    ],
)
def test_line_items_name_model_and_direction(
    con, tmp_path, line_item, record_type, model, tier
):
    tokenlib.ingest_file(con, write(tmp_path / "c.json", cost(1.5, line_item)))
    (r,) = ledger_rows(con)
    assert (r["record_type"], r["model"], r["service_tier"]) == (
        record_type,
        model,
        tier,
    )
    assert r["billed_cost"] == Decimal("1.5")


def test_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, COSTS)
    before = ledger_rows(con)
    summary = tokenlib.ingest_file(con, COSTS)
    assert (summary.ingested, summary.duplicate) == (0, 5)
    assert ledger_rows(con) == before


def test_bad_amounts_and_currencies_go_to_quarantine(con, tmp_path):
    path = write(
        tmp_path / "c.json",
        cost("0.5", "a"),
        cost("half", "b"),
        cost(1, "c", currency="usdollar"),
        cost(None, "d"),
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (4, 1, 3)
    assert [r["billed_cost"] for r in ledger_rows(con)] == [Decimal("0.5")]
    got = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()
    assert got == [
        (2, "amount.value", "half", "not a number"),
        (3, "amount.currency", "usdollar", "not a 3-letter currency code"),
        (4, "amount.value", None, "missing amount"),
    ]


def test_usage_and_costs_price_to_the_bill(con, tmp_path):
    usage = {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": D0,
                "end_time": D0 + DAY,
                "results": [
                    {
                        "object": "organization.usage.completions.result",
                        "input_tokens": 52000,
                        "input_cached_tokens": 31000,
                        "output_tokens": 4100,
                        "num_model_requests": 37,
                        "project_id": "proj_a",
                        "model": MODEL,
                    }
                ],
            }
        ],
    }
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(usage))
    assert tokenlib.ingest_file(con, path).source == "openai_usage"
    tokenlib.ingest_file(con, COSTS)
    tokenlib.price_ledger(con)
    s = tokenlib.summarise(con)
    # Token charges 0.0084 + 0.0031 + 0.007 = 0.0185, web search 0.25 and
    # storage 0.0125: 0.281 in all.
    assert s["total_cost"] == pytest.approx(0.281, abs=1e-9)
    # Uncached input 52,000 - 31,000, counted once.
    assert (s["tokens"]["input"], s["tokens"]["cache_read"]) == (21000, 31000)
    assert s["tokens"]["output"] == 4100
    # gpt-4.1-mini list per million: input 0.40, cached 0.10, output 1.60.
    # 0.021*0.4 + 0.031*0.1 + 0.0041*1.6 = 0.0084 + 0.0031 + 0.00656 = 0.01806
    # against 0.0185 billed: drift -0.00044.
    (d,) = s["drift"]
    assert (d["utc_day"], d["provider"], d["model"]) == (
        "2026-03-02",
        "openai",
        "gpt-4.1-mini",
    )
    assert d["computed"] == pytest.approx(0.01806, abs=1e-9)
    assert d["billed"] == pytest.approx(0.0185, abs=1e-9)
    assert d["drift"] == pytest.approx(-0.00044, abs=1e-9)
