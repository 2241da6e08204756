"""Tests for tokenlib.sources: each export's traps, read the way the ledger means.

Expected values are worked out by hand from the fixture rows described in
``tests/fixtures/README.md`` or from the small files written in each test.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, ledger_rows, utc

import tokenlib
from tokenlib.errors import (
    MissingColumnError,
    ParameterError,
    UnknownFormatError,
)

TOKENS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)
DAY = 86400
D0 = 1772409600  # 2026-03-02T00:00:00Z


def totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Sum of each token column over the ledger."""
    sums = ", ".join(f"sum({c})" for c in TOKENS)
    return dict(
        zip(TOKENS, con.execute(f"SELECT {sums} FROM ledger").fetchone(), strict=True)
    )


# --- files: byte-order mark, semicolons, decimal commas, NULL strings ---------


def test_byte_order_mark_does_not_hide_the_first_column(con, tmp_path):
    text = (FIXTURES / "azure_trace_small.csv").read_text()
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    summary = tokenlib.ingest_file(con, path)
    assert summary.source == "request_log"
    assert [r["input_tokens"] for r in ledger_rows(con)] == [1000, 2500, 400, 100]


def test_semicolon_file_with_decimal_comma_and_null_strings(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "request_log_messy.csv")
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (3, 3, 0)
    got = [
        (
            r["start"],
            r["model"],
            r["input_tokens"],
            r["cache_read_tokens"],
            r["output_tokens"],
            r["reasoning_tokens"],
            r["billed_cost"],
            r["currency"],
            r["team"],
            r["record_type"],
        )
        for r in ledger_rows(con)
    ]
    assert got == [
        (
            utc(2025, 3, 1, 9),
            "gpt-4.1",
            1200,
            300,
            450,
            200,
            Decimal("0.0125"),
            "USD",
            "search",
            "token_charge",
        ),
        (
            utc(2025, 3, 1, 8, 5),
            "gpt-4.1",
            800,
            0,
            100,
            0,
            Decimal("0.5"),
            "USD",
            None,
            "token_charge",
        ),
        (utc(2025, 3, 1, 10), None, 50, 0, 5, 0, None, None, "ops", "usage"),
    ]


def test_reasoning_is_a_part_of_output_never_added(con):
    tokenlib.ingest_file(con, FIXTURES / "request_log_messy.csv")
    t = totals(con)
    # Output as written in the file: 450 + 100 + 5; reasoning 200 lies inside.
    assert t["output_tokens"] == 555
    assert t["reasoning_tokens"] == 200
    assert t["input_tokens"] + t["cache_read_tokens"] == 1200 + 300 + 800 + 50


# --- request logs ---------------------------------------------------------------


def test_azure_trace_is_recognised_and_its_times_read_as_utc(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "azure_trace_small.csv")
    assert summary.source == "request_log"
    got = [
        (
            r["start"],
            r["end"],
            r["input_tokens"],
            r["output_tokens"],
            r["requests"],
            r["grain"],
            r["record_type"],
        )
        for r in ledger_rows(con)
    ]
    assert got == [
        (
            utc(2023, 11, 16, 18, 15),
            utc(2023, 11, 16, 18, 15),
            1000,
            10,
            1,
            "request",
            "usage",
        ),
        (
            utc(2023, 11, 16, 18, 15, 1, 500000),
            utc(2023, 11, 16, 18, 15, 1, 500000),
            2500,
            20,
            1,
            "request",
            "usage",
        ),
        (
            utc(2023, 11, 16, 18, 16, 30, 250000),
            utc(2023, 11, 16, 18, 16, 30, 250000),
            400,
            300,
            1,
            "request",
            "usage",
        ),
        (
            utc(2023, 11, 16, 23, 59, 59, 999999),
            utc(2023, 11, 16, 23, 59, 59, 999999),
            100,
            1,
            1,
            "request",
            "usage",
        ),
    ]


def test_other_layouts_are_read_through_a_mapping(con, tmp_path):
    path = tmp_path / "gateway.csv"
    path.write_text(
        "ts,req,uncached_in,cached_in,completion,model_name\n"
        "2025-05-01T12:00:00Z,r1,700,300,90,claude-x\n"
        "2025-05-01T12:00:02Z,r2,10,0,5,claude-y\n"
    )
    mapping = {
        "start": "ts",
        "request_id": "req",
        "input_tokens": "uncached_in",
        "cache_read_tokens": "cached_in",
        "output_tokens": "completion",
        "model": "model_name",
    }
    summary = tokenlib.ingest_file(con, path, mapping=mapping)
    assert summary.source == "request_log"
    got = [
        (
            r["start"],
            r["input_tokens"],
            r["cache_read_tokens"],
            r["output_tokens"],
            r["model"],
        )
        for r in ledger_rows(con)
    ]
    assert got == [
        (utc(2025, 5, 1, 12), 700, 300, 90, "claude-x"),
        (utc(2025, 5, 1, 12, 0, 2), 10, 0, 5, "claude-y"),
    ]


def test_unmapped_other_layout_asks_for_format_and_mapping(con, tmp_path):
    path = tmp_path / "gateway.csv"
    path.write_text("ts,prompt,completion\n2025-05-01T12:00:00Z,7,9\n")
    with pytest.raises(UnknownFormatError, match="--format") as err:
        tokenlib.ingest_file(con, path)
    assert "gateway.csv" in str(err.value)
    assert "--map" in str(err.value)


def test_set_values_fill_provider_model_use_case_and_team(con):
    values = {
        "provider": "azure",
        "model": "gpt-4",
        "use_case": "code",
        "team": "dev-tools",
    }
    tokenlib.ingest_file(con, FIXTURES / "azure_trace_small.csv", set_values=values)
    got = {
        (r["provider"], r["model"], r["use_case"], r["team"]) for r in ledger_rows(con)
    }
    assert got == {("azure", "gpt-4", "code", "dev-tools")}
    assert len(ledger_rows(con)) == 4


def test_set_values_fill_only_what_the_file_leaves_empty(con):
    tokenlib.ingest_file(
        con, FIXTURES / "request_log_messy.csv", set_values={"team": "platform"}
    )
    assert [r["team"] for r in ledger_rows(con)] == ["search", "platform", "ops"]


def test_mapping_to_a_missing_file_column_names_it(con):
    with pytest.raises(MissingColumnError, match="when_sent") as err:
        tokenlib.ingest_file(
            con, FIXTURES / "azure_trace_small.csv", mapping={"start": "when_sent"}
        )
    assert "azure_trace_small.csv" in str(err.value)


def test_mapping_to_an_unknown_ledger_column_is_refused(con):
    with pytest.raises(ParameterError, match="prompt_tokens"):
        tokenlib.ingest_file(
            con,
            FIXTURES / "azure_trace_small.csv",
            mapping={"prompt_tokens": "ContextTokens"},
        )


def test_request_log_without_a_token_column_says_what_is_missing(con, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("start,model\n2025-05-01T12:00:00Z,m\n")
    with pytest.raises(MissingColumnError, match="token column") as err:
        tokenlib.ingest_file(con, path, fmt="request_log")
    assert "log.csv" in str(err.value)


# --- FOCUS ----------------------------------------------------------------------

FOCUS_BASE = {
    "ChargePeriodStart": "2026-03-02T00:00:00Z",
    "ChargePeriodEnd": "2026-03-03T00:00:00Z",
    "ChargeCategory": "Usage",
    "ChargeClass": "",
    "ServiceName": "Amazon Bedrock",
    "ServiceCategory": "AI and Machine Learning",
    "ProviderName": "AWS",
    "SkuMeter": "USE1-ModelX-input-tokens",
    "ConsumedQuantity": "2",
    "ConsumedUnit": "Tokens",
    "BilledCost": "0.01",
    "BillingCurrency": "USD",
}


def write_focus(path: Path, *changes: dict[str, str]) -> Path:
    """Write a FOCUS CSV: one row per dict of changes to FOCUS_BASE."""
    with path.open("w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(FOCUS_BASE))
        out.writeheader()
        for change in changes:
            out.writerow({**FOCUS_BASE, **change})
    return path


def test_focus_token_units_and_classes_row_by_row(con):
    tokenlib.ingest_file(con, FIXTURES / "focus_1_2_ai.csv")
    got = [
        tuple(r[c] for c in TOKENS[:5]) + (r["record_type"],) for r in ledger_rows(con)
    ]
    # input, cache_read, cache_write_5m, cache_write_1h, output, record_type
    assert got == [
        (250000, 0, 0, 0, 0, "token_charge"),
        (0, 0, 0, 0, 182000, "token_charge"),
        (0, 1200000, 0, 0, 0, "token_charge"),
        (0, 0, 40000, 0, 0, "token_charge"),
        (35500, 0, 0, 0, 0, "token_charge"),
        (0, 0, 0, 0, 12500, "token_charge"),
        (0, 30000, 0, 0, 0, "token_charge"),
        (0, 0, 0, 0, 0, "charge"),
        (0, 0, 0, 0, 0, "charge"),
        (0, 0, 0, 0, -2000, "token_charge"),
        (0, 0, 0, 0, 0, "charge"),
    ]


def test_focus_keeps_every_row_and_all_the_money(con):
    path = FIXTURES / "focus_1_2_ai.csv"
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (11, 11, 0)
    with path.open(newline="") as f:
        billed = sum(Decimal(r["BilledCost"]) for r in csv.DictReader(f))
    assert billed == Decimal("8.18275")
    got = con.execute("SELECT sum(billed_cost), count(*) FROM ledger").fetchone()
    assert got == (billed, 11)


def test_focus_credits_and_corrections_are_kept_typed_and_negative(con):
    tokenlib.ingest_file(con, FIXTURES / "focus_1_2_ai.csv")
    credit, correction = ledger_rows(con)[8], ledger_rows(con)[9]
    assert (credit["charge_category"], credit["charge_class"]) == ("Credit", None)
    assert credit["billed_cost"] == Decimal("-1.00")
    assert credit["effective_cost"] == Decimal("-1.00")
    assert credit["consumed_quantity"] is None
    assert (correction["charge_category"], correction["charge_class"]) == (
        "Usage",
        "Correction",
    )
    assert correction["billed_cost"] == Decimal("-0.03")


def test_focus_tags_with_embedded_commas_and_quotes(con):
    tokenlib.ingest_file(con, FIXTURES / "focus_1_2_ai.csv")
    row = ledger_rows(con)[1]
    assert json.loads(row["tags"]) == {
        "team": "search",
        "note": 'a, b "quoted"',
        "env": "prod",
    }
    assert (row["team"], row["environment"]) == ("search", "prod")


def test_focus_money_and_dimensions(con):
    tokenlib.ingest_file(con, FIXTURES / "focus_1_2_ai.csv")
    r = ledger_rows(con)[4]
    assert (r["start"], r["end"]) == (utc(2026, 3, 2), utc(2026, 3, 3))
    assert (r["provider"], r["service_name"], r["service_category"]) == (
        "microsoft",
        "Azure OpenAI Service",
        "AI and Machine Learning",
    )
    assert (r["billed_cost"], r["currency"], r["region"]) == (
        Decimal("0.08875"),
        "USD",
        "eastus",
    )
    assert (r["consumed_quantity"], r["consumed_unit"]) == (35.5, "1K Tokens")
    assert (r["grain"], r["sku_id"]) == ("bucket", "SKU2")


def test_focus_older_column_names_are_accepted(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "focus_1_0_old_names.csv")
    assert summary.source == "focus"
    bedrock, s3 = ledger_rows(con)
    assert bedrock["charge_category"] == "Usage"
    assert (bedrock["output_tokens"], bedrock["input_tokens"]) == (3000, 0)
    assert bedrock["consumed_quantity"] == 3
    assert bedrock["effective_cost"] == Decimal("0.04")
    assert (bedrock["region"], bedrock["currency"]) == ("us-west-2", "USD")
    assert (s3["record_type"], s3["billed_cost"]) == ("charge", Decimal("0.23"))


def test_focus_semicolon_file_with_decimal_comma_keeps_tokens(con):
    tokenlib.ingest_file(con, FIXTURES / "focus_semicolon_decimal_comma.csv")
    out, inp = ledger_rows(con)
    # 1,5 x 1K Tokens and 120 x 1K Tokens.
    assert (out["output_tokens"], out["record_type"]) == (1500, "token_charge")
    assert inp["input_tokens"] == 120000
    assert (out["billed_cost"], inp["billed_cost"]) == (
        Decimal("0.0225"),
        Decimal("0.3"),
    )
    assert out["consumed_quantity"] == 1.5
    assert json.loads(out["tags"]) == {"team": "data; ml"}
    assert (out["team"], out["charge_class"], inp["tags"]) == ("data; ml", None, None)


@pytest.mark.parametrize(
    ("unit", "tokens"),
    [
        ("Tokens", 2),
        ("Token", 2),
        ("1K Tokens", 2000),
        ("1k tokens", 2000),
        ("1000 Tokens", 2000),
        ("1M Tokens", 2000000),
        ("1000000 Tokens", 2000000),
        ("Units", None),
        ("Requests", None),
        ("Hours", None),
    ],
)
def test_focus_token_units(con, tmp_path, unit, tokens):
    path = write_focus(tmp_path / "f.csv", {"ConsumedUnit": unit})
    tokenlib.ingest_file(con, path)
    (r,) = ledger_rows(con)
    assert r["input_tokens"] == (tokens or 0)
    assert r["record_type"] == ("charge" if tokens is None else "token_charge")
    assert r["billed_cost"] == Decimal("0.01")


@pytest.mark.parametrize(
    ("meter", "column"),
    [
        ("USE1-ModelX-input-tokens", "input_tokens"),
        ("USE1-ModelX-mantle-output-tokens-global", "output_tokens"),
        ("USE1-ModelX-cache-read-input-token-count", "cache_read_tokens"),
        ("USE1-ModelX-cache-write-input-token-count", "cache_write_5m_tokens"),
        ("ModelX cache write 1h input tokens", "cache_write_1h_tokens"),
        ("gpt-4o-mini-0718-Outp-glbl", "output_tokens"),
        ("gpt 4o 0513 cached Input global Tokens", "cache_read_tokens"),
        ("gpt 4o 0513 Input global Tokens", "input_tokens"),
        ("Chat Completions input tokens", "input_tokens"),
        ("Chat Completions tokens", "output_tokens"),
    ],
)
def test_focus_token_class_from_the_meter(con, tmp_path, meter, column):
    path = write_focus(tmp_path / "f.csv", {"SkuMeter": meter})
    tokenlib.ingest_file(con, path)
    (r,) = ledger_rows(con)
    assert {c: r[c] for c in TOKENS} == {c: 2 if c == column else 0 for c in TOKENS}


def test_focus_token_class_from_x_sku_meter_name_and_description(con, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,"
        "ServiceCategory,ProviderName,x_SkuMeterName,ChargeDescription,"
        "ConsumedQuantity,ConsumedUnit,BilledCost,BillingCurrency\n"
        "2026-03-02,2026-03-03,Usage,S,AI and Machine Learning,P,"
        "gpt 4o Output Tokens,,5,Tokens,1,USD\n"
        "2026-03-02,2026-03-03,Usage,S,AI and Machine Learning,P,"
        ",Claude cache read input tokens,7,Tokens,1,USD\n"
    )
    tokenlib.ingest_file(con, path)
    a, b = ledger_rows(con)
    assert (a["output_tokens"], a["input_tokens"]) == (5, 0)
    assert (b["cache_read_tokens"], b["input_tokens"]) == (7, 0)


def test_focus_from_parquet_with_typed_columns(con, tmp_path):
    src = FIXTURES / "focus_1_2_ai.csv"
    path = tmp_path / "focus.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{src}', nullstr = 'NULL')) "
        f"TO '{path}' (FORMAT parquet)"
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.source, summary.ingested, summary.quarantined) == ("focus", 11, 0)
    assert totals(con) == {
        "input_tokens": 285500,
        "cache_read_tokens": 1230000,
        "cache_write_5m_tokens": 40000,
        "cache_write_1h_tokens": 0,
        "output_tokens": 192500,
        "reasoning_tokens": 0,
    }
    billed = con.execute("SELECT sum(billed_cost) FROM ledger").fetchone()[0]
    assert billed == Decimal("8.18275")


def test_focus_without_billed_cost_names_the_column(con, tmp_path):
    path = tmp_path / "focus.csv"
    base = {k: v for k, v in FOCUS_BASE.items() if k != "BilledCost"}
    path.write_text(",".join(base) + "\n" + ",".join(base.values()) + "\n")
    with pytest.raises(MissingColumnError, match="BilledCost") as err:
        tokenlib.ingest_file(con, path, fmt="focus")
    assert "focus.csv" in str(err.value)


# --- OpenAI Usage API -----------------------------------------------------------


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value))
    return path


def bucket(start: int, end: int, *results: dict) -> dict:
    return {
        "object": "bucket",
        "start_time": start,
        "end_time": end,
        "results": list(results),
    }


def result(**fields) -> dict:
    out = {
        "object": "organization.usage.completions.result",
        "input_tokens": 0,
        "input_cached_tokens": 0,
        "output_tokens": 0,
        "num_model_requests": 1,
        "project_id": None,
        "model": None,
        "batch": None,
    }
    return {**out, **fields}


def test_openai_cached_input_is_split_out_of_input(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "openai_usage_page.json")
    assert (summary.source, summary.rows_read, summary.ingested) == (
        "openai_usage",
        3,
        3,
    )
    got = [
        (r["input_tokens"], r["cache_read_tokens"], r["output_tokens"], r["requests"])
        for r in ledger_rows(con)
    ]
    assert got == [(21000, 31000, 4100, 37), (9000, 0, 1500, 2), (7000, 0, 800, 5)]
    # Uncached plus cached is what the export called input_tokens.
    t = totals(con)
    assert t["input_tokens"] + t["cache_read_tokens"] == 52000 + 9000 + 7000


def test_openai_buckets_keep_their_real_bounds(con):
    tokenlib.ingest_file(con, FIXTURES / "openai_usage_page.json")
    got = [(r["start"], r["end"], r["grain"]) for r in ledger_rows(con)]
    assert got == [
        (utc(2026, 3, 2, 11, 11), utc(2026, 3, 3), "bucket"),
        (utc(2026, 3, 2, 11, 11), utc(2026, 3, 3), "bucket"),
        (utc(2026, 3, 4), utc(2026, 3, 5), "bucket"),
    ]


def test_openai_batch_and_service_tier(con):
    tokenlib.ingest_file(con, FIXTURES / "openai_usage_page.json")
    got = [(r["service_tier"], r["model"], r["provider"]) for r in ledger_rows(con)]
    assert got == [
        ("standard", "gpt-4.1-mini-2025-04-14", "openai"),
        ("batch", "gpt-4.1-mini-2025-04-14", "openai"),
        ("priority", "o3", "openai"),
    ]


def test_openai_null_group_by_fields_stay_null(con):
    tokenlib.ingest_file(con, FIXTURES / "openai_usage_page.json")
    got = [(r["project"], r["user"], r["tags"]) for r in ledger_rows(con)]
    assert got[0] == ("proj_a", None, None)
    assert got[2][:2] == (None, "user_k")
    assert json.loads(got[2][2]) == {"api_key_id": "key_1"}


def test_openai_list_of_buckets_gives_the_same_records_as_a_page(con):
    tokenlib.ingest_file(con, FIXTURES / "openai_usage_page.json")
    before = ledger_rows(con, "record_id")
    summary = tokenlib.ingest_file(con, FIXTURES / "openai_usage_buckets.json")
    assert (summary.rows_read, summary.ingested, summary.duplicate) == (3, 0, 3)
    after = ledger_rows(con, "record_id")
    strip = ("source_file",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in after] == [
        {k: v for k, v in r.items() if k not in strip} for r in before
    ]


def test_openai_json_lines_of_pages(con, tmp_path):
    pages = [
        {
            "object": "page",
            "data": [bucket(D0, D0 + DAY, result(input_tokens=10))],
            "has_more": True,
            "next_page": "p2",
        },
        {
            "object": "page",
            "data": [
                bucket(D0 + DAY, D0 + 2 * DAY, result(input_tokens=20, output_tokens=3))
            ],
            "has_more": False,
            "next_page": None,
        },
    ]
    path = tmp_path / "usage.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pages))
    summary = tokenlib.ingest_file(con, path)
    assert (summary.source, summary.ingested) == ("openai_usage", 2)
    assert [(r["input_tokens"], r["output_tokens"]) for r in ledger_rows(con)] == [
        (10, 0),
        (20, 3),
    ]


@pytest.mark.parametrize("shape", ["page", "list"])
def test_openai_export_of_only_empty_buckets_reads_no_rows(con, tmp_path, shape):
    buckets = [bucket(D0, D0 + DAY), bucket(D0 + DAY, D0 + 2 * DAY)]
    value = (
        {"object": "page", "data": buckets, "has_more": False}
        if shape == "page"
        else buckets
    )
    path = write_json(tmp_path / "usage.json", value)
    summary = tokenlib.ingest_file(con, path)
    assert (summary.source, summary.rows_read, summary.ingested) == (
        "openai_usage",
        0,
        0,
    )
    assert ledger_rows(con) == []


def test_openai_results_without_output_tokens_name_the_column(con, tmp_path):
    res = result(input_tokens=5)
    del res["output_tokens"]
    path = write_json(tmp_path / "usage.json", [bucket(D0, D0 + DAY, res)])
    with pytest.raises(MissingColumnError, match="output_tokens") as err:
        tokenlib.ingest_file(con, path)
    assert "usage.json" in str(err.value)


def test_openai_bad_counts_go_to_quarantine(con, tmp_path):
    path = write_json(
        tmp_path / "usage.json",
        [
            bucket(
                D0,
                D0 + DAY,
                result(
                    model="a", input_tokens=100, input_cached_tokens=40, output_tokens=1
                ),
                result(model="b", input_tokens=100, input_cached_tokens=140),
                result(model="c", input_tokens=-3),
                result(model="d", input_tokens=5, output_tokens=-1),
            )
        ],
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (4, 1, 3)
    assert [
        (r["model"], r["input_tokens"], r["cache_read_tokens"])
        for r in ledger_rows(con)
    ] == [("a", 60, 40)]
    got = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()
    assert got == [
        (
            2,
            "input_cached_tokens",
            "140",
            "cached tokens exceed input_tokens, which include them",
        ),
        (3, "input_tokens", "-3", "negative token count"),
        (4, "output_tokens", "-1", "negative token count"),
    ]


def test_openai_implausible_bucket_time_goes_to_quarantine(con, tmp_path):
    path = write_json(
        tmp_path / "usage.json",
        [
            bucket(5, 5 + DAY, result(input_tokens=1)),
            bucket(D0, D0 + DAY, result(input_tokens=2)),
        ],
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.ingested, summary.quarantined) == (1, 1)
    got = con.execute(
        "SELECT source_row, column_name, value FROM quarantine"
    ).fetchall()
    assert got == [(1, "bucket_start", "5")]


def test_openai_absent_and_null_group_field_are_the_same_record(con, tmp_path):
    # An older export lacks the service_tier field; a newer one writes null.
    old = result(input_tokens=500, output_tokens=50)
    new = {**old, "service_tier": None}
    a = write_json(tmp_path / "a.json", [bucket(D0, D0 + DAY, old)])
    b = write_json(tmp_path / "b.json", [bucket(D0, D0 + DAY, new)])
    tokenlib.ingest_file(con, a)
    summary = tokenlib.ingest_file(con, b)
    assert (summary.ingested, summary.duplicate) == (0, 1)
    assert totals(con)["input_tokens"] == 500


def test_openai_restated_bucket_replaces_the_earlier_copy(con, tmp_path):
    a = write_json(
        tmp_path / "a.json",
        [bucket(D0, D0 + DAY, result(model="m", input_tokens=100, output_tokens=10))],
    )
    b = write_json(
        tmp_path / "b.json",
        [bucket(D0, D0 + DAY, result(model="m", input_tokens=130, output_tokens=12))],
    )
    tokenlib.ingest_file(con, a)
    tokenlib.ingest_file(con, b)
    assert [(r["input_tokens"], r["output_tokens"]) for r in ledger_rows(con)] == [
        (130, 12)
    ]


def test_openai_partial_last_bucket_is_replaced_by_the_full_bucket(con, tmp_path):
    # Monday's export ends at 10:00 on day 2; Tuesday's has all of day 2.
    monday = write_json(
        tmp_path / "mon.json",
        [
            bucket(D0, D0 + DAY, result(input_tokens=100)),
            bucket(D0 + DAY, D0 + DAY + 36000, result(input_tokens=40)),
        ],
    )
    tuesday = write_json(
        tmp_path / "tue.json",
        [
            bucket(D0 + DAY, D0 + 2 * DAY, result(input_tokens=90)),
            bucket(D0 + 2 * DAY, D0 + 3 * DAY, result(input_tokens=7)),
        ],
    )
    tokenlib.ingest_file(con, monday)
    summary = tokenlib.ingest_file(con, tuesday)
    assert (summary.ingested, summary.duplicate) == (1, 1)
    got = [(r["start"], r["end"], r["input_tokens"]) for r in ledger_rows(con, "start")]
    assert got == [
        (utc(2026, 3, 2), utc(2026, 3, 3), 100),
        (utc(2026, 3, 3), utc(2026, 3, 4), 90),
        (utc(2026, 3, 4), utc(2026, 3, 5), 7),
    ]


def test_openai_partial_first_bucket_does_not_replace_the_full_bucket(con, tmp_path):
    # A rolling export started at 11:11 on day 2 overlaps one that has all of it.
    full = write_json(
        tmp_path / "full.json",
        [
            bucket(D0, D0 + DAY, result(input_tokens=100)),
            bucket(D0 + DAY, D0 + 2 * DAY, result(input_tokens=90)),
        ],
    )
    rolling = write_json(
        tmp_path / "rolling.json",
        [
            bucket(D0 + DAY + 40260, D0 + 2 * DAY, result(input_tokens=60)),
            bucket(D0 + 2 * DAY, D0 + 3 * DAY, result(input_tokens=7)),
        ],
    )
    tokenlib.ingest_file(con, full)
    summary = tokenlib.ingest_file(con, rolling)
    assert (summary.ingested, summary.duplicate) == (1, 1)
    assert [r["input_tokens"] for r in ledger_rows(con, "start")] == [100, 90, 7]


# --- format detection -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("azure_trace_small.csv", "request_log"),
        ("request_log_messy.csv", "request_log"),
        ("focus_1_2_ai.csv", "focus"),
        ("focus_1_0_old_names.csv", "focus"),
        ("focus_semicolon_decimal_comma.csv", "focus"),
        ("openai_usage_page.json", "openai_usage"),
        ("openai_usage_buckets.json", "openai_usage"),
    ],
)
def test_format_is_detected_from_the_content(con, name, source):
    assert tokenlib.ingest_file(con, FIXTURES / name).source == source


def test_file_matching_two_layouts_asks_for_format(con, tmp_path):
    path = write_focus(tmp_path / "both.csv", {})
    text = path.read_text().splitlines()
    path.write_text(f"{text[0]},start,input_tokens\n{text[1]},2026-03-02,5\n")
    with pytest.raises(UnknownFormatError, match="focus and request_log") as err:
        tokenlib.ingest_file(con, path)
    assert "--format" in str(err.value)
    assert tokenlib.ingest_file(con, path, fmt="focus").source == "focus"


def test_json_that_is_not_a_usage_export_says_what_json_is_read(con, tmp_path):
    path = write_json(tmp_path / "other.json", [{"a": 1}])
    with pytest.raises(UnknownFormatError, match="matches no known layout") as err:
        tokenlib.ingest_file(con, path)
    assert "other.json" in str(err.value)
    assert "JSON formats: openai_usage" in str(err.value)
    with pytest.raises(UnknownFormatError, match="focus does not read JSON"):
        tokenlib.ingest_file(con, path, fmt="focus")


def test_unknown_format_name_lists_the_known_ones(con):
    with pytest.raises(UnknownFormatError, match="expected one of focus, ") as err:
        tokenlib.ingest_file(con, FIXTURES / "focus_1_2_ai.csv", fmt="cur")
    for name in ("openai_usage", "openai_costs", "anthropic_usage", "request_log"):
        assert name in str(err.value)


def _log(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_request_log_input_that_includes_cache_is_split(con, tmp_path):
    # OpenAI-style counts: prompt 1,000 of which 300 cached; out 90 incl. 40 reasoning.
    path = _log(
        tmp_path / "log.csv",
        "ts,prompt,cached,completion,reasoning\n2026-06-01T00:00:00Z,1000,300,90,40\n",
    )
    mapping = {
        "start": "ts",
        "input_tokens_with_cache": "prompt",
        "cache_read_tokens": "cached",
        "output_tokens": "completion",
        "reasoning_tokens": "reasoning",
    }
    tokenlib.ingest_file(con, path, mapping=mapping)
    (r,) = ledger_rows(con)
    assert (r["input_tokens"], r["cache_read_tokens"]) == (700, 300)
    assert (r["output_tokens"], r["reasoning_tokens"]) == (90, 40)


def test_request_log_output_without_reasoning_gets_it_added(con, tmp_path):
    # Gemini-style counts: candidates 50 visible, thoughts 20 outside them.
    path = _log(
        tmp_path / "log.csv",
        "ts,prompt,candidates,thoughts\n2026-06-01T00:00:00Z,400,50,20\n",
    )
    mapping = {
        "start": "ts",
        "input_tokens": "prompt",
        "visible_output_tokens": "candidates",
        "reasoning_tokens": "thoughts",
    }
    tokenlib.ingest_file(con, path, mapping=mapping)
    (r,) = ledger_rows(con)
    assert (r["output_tokens"], r["reasoning_tokens"]) == (70, 20)


def test_cached_more_than_the_input_that_includes_it_is_quarantined(con, tmp_path):
    path = _log(
        tmp_path / "log.csv",
        "ts,prompt,cached\n2026-06-01T00:00:00Z,100,300\n2026-06-01T00:01:00Z,5,x\n"
        "2026-06-01T00:02:00Z,500,200\n",
    )
    mapping = {
        "start": "ts",
        "input_tokens_with_cache": "prompt",
        "cache_read_tokens": "cached",
    }
    summary = tokenlib.ingest_file(con, path, mapping=mapping)
    assert (summary.ingested, summary.quarantined) == (1, 2)
    reasons = con.execute(
        "SELECT source_row, column_name, reason FROM quarantine ORDER BY 1"
    ).fetchall()
    assert reasons == [
        (1, "prompt", "cache tokens exceed the input count that includes them"),
        (2, "cached", "not a whole number"),
    ]
    (r,) = ledger_rows(con)
    assert (r["input_tokens"], r["cache_read_tokens"]) == (300, 200)


def test_mapping_both_conventions_of_one_count_is_refused(con, tmp_path):
    path = _log(tmp_path / "log.csv", "ts,a,b\n2026-06-01T00:00:00Z,1,2\n")
    mapping = {"start": "ts", "input_tokens": "a", "input_tokens_with_cache": "b"}
    with pytest.raises(ParameterError, match="map one of them"):
        tokenlib.ingest_file(con, path, mapping=mapping)


def test_rows_with_too_few_or_too_many_fields_are_quarantined_whole(con, tmp_path):
    path = _log(
        tmp_path / "trace.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:17:03.97,4808,10\n"
        "2023-11-16 18:17:04.03,3180\n"
        "2023-11-16 18:17:05.03,3180,5,7\n"
        "2023-11-16 18:17:06.03,100,5\n",
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (4, 2, 2)
    bad = con.execute(
        "SELECT source_row, column_name, value FROM quarantine ORDER BY 1"
    ).fetchall()
    assert bad == [
        (2, "(whole row)", "2023-11-16 18:17:04.03,3180"),
        (3, "(whole row)", "2023-11-16 18:17:05.03,3180,5,7"),
    ]
    # The readable rows keep their own row numbers in the file.
    assert [(r["source_row"], r["input_tokens"]) for r in ledger_rows(con)] == [
        (1, 4808),
        (4, 100),
    ]


def test_a_row_short_of_several_columns_is_one_quarantined_row(con, tmp_path):
    path = _log(
        tmp_path / "log.csv",
        "start,provider,model,input_tokens,output_tokens\n"
        "2025-03-01T00:00:00Z,openai,gpt-4o-mini,10,1\n"
        "2025-03-01T01:00:00Z,openai\n"
        "2025-03-01T02:00:00Z,openai,gpt-4o-mini,30,3\n",
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (3, 2, 1)
    assert [r["source_row"] for r in ledger_rows(con)] == [1, 3]


def test_rows_without_a_request_id_are_quarantined_not_merged(con, tmp_path):
    path = _log(
        tmp_path / "log.csv",
        "request_id,start,input_tokens\n"
        ",2025-03-01T00:00:00Z,101\n,2025-03-01T00:00:01Z,102\nx,2025-03-01T00:00:02Z,104\n",
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.ingested, summary.quarantined) == (1, 2)
    reasons = {r[0] for r in con.execute("SELECT reason FROM quarantine").fetchall()}
    assert reasons == {"missing request id"}
