"""Tests for the Anthropic messages usage report reader.

Expected values are worked out by hand from the fixtures described in
``tests/fixtures/README.md`` or from the small files written in each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, ledger_rows, utc

import tokenlib
from tokenlib.errors import MissingColumnError

PAGE = FIXTURES / "anthropic_usage_page.json"
CLASSES = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
)


def tokens(con) -> list[tuple]:
    return [tuple(r[c] for c in CLASSES) for r in ledger_rows(con, "start, source_row")]


def result(**fields) -> dict:
    """One usage result; token fields default to 0, group-bys to null."""
    out = {
        "uncached_input_tokens": 0,
        "cache_creation": {
            "ephemeral_5m_input_tokens": 0,
            "ephemeral_1h_input_tokens": 0,
        },
        "cache_read_input_tokens": 0,
        "output_tokens": 0,
        "model": "claude-sonnet-4-5-20250929",
        "workspace_id": None,
        "service_tier": None,
    }
    return {**out, **fields}


def bucket(start: str, end: str, *results: dict) -> dict:
    return {"starting_at": start, "ending_at": end, "results": list(results)}


def write(path: Path, *buckets: dict) -> Path:
    path.write_text(json.dumps({"data": list(buckets), "has_more": False}))
    return path


D2, D3, D4, D5 = (f"2026-03-0{d}T00:00:00Z" for d in (2, 3, 4, 5))


def test_token_classes_and_cache_write_split(con):
    summary = tokenlib.ingest_file(con, PAGE)
    # Five results in three buckets; the empty bucket adds nothing.
    assert (summary.source, summary.rows_read, summary.ingested) == (
        "anthropic_usage",
        5,
        5,
    )
    # Uncached input is taken as it stands (not reduced by the cache
    # columns); cache writes keep their 5m / 1h split.
    assert tokens(con) == [
        (120500, 910000, 40200, 10000, 22800),
        (2000, 0, 0, 0, 500),
        (7000, 1000, 0, 3000, 800),
        (100, 0, 0, 0, 10),
        (5, 0, 0, 0, 1),
    ]
    sums = con.execute(
        "SELECT " + ", ".join(f"sum({c})" for c in CLASSES) + " FROM ledger"
    ).fetchone()
    # input 120,500 + 2,000 + 7,000 + 100 + 5; cache_read 910,000 + 1,000;
    # 1h writes 10,000 + 3,000; output 22,800 + 500 + 800 + 10 + 1.
    assert sums == (129605, 911000, 40200, 13000, 24111)
    assert {
        (r["provider"], r["grain"], r["record_type"]) for r in ledger_rows(con)
    } == {("anthropic", "bucket", "usage")}


def test_buckets_keep_their_real_bounds(con):
    tokenlib.ingest_file(con, PAGE)
    got = [(r["start"], r["end"]) for r in ledger_rows(con)]
    day2 = (utc(2026, 3, 2), utc(2026, 3, 3))
    partial = (utc(2026, 3, 4), utc(2026, 3, 4, 10))
    assert got == [day2, day2, partial, partial, partial]


def test_service_tiers_map_to_ledger_names(con):
    tokenlib.ingest_file(con, PAGE)
    # standard, batch, priority_on_demand, flex_discount, null.
    assert [r["service_tier"] for r in ledger_rows(con)] == [
        "standard",
        "batch",
        "priority",
        "flex",
        "standard",
    ]


def test_dimensions_tags_and_null_group_bys(con):
    tokenlib.ingest_file(con, PAGE)
    r1, r2, r3, _, r5 = ledger_rows(con)
    assert (r1["model"], r1["project"], r1["region"]) == (
        "claude-sonnet-4-5-20250929",
        "wrkspc_a",
        "us",
    )
    # Web searches are a request count in tags, never tokens or requests.
    assert json.loads(r1["tags"]) == {
        "api_key_id": "apikey_1",
        "context_window": "0-200k",
        "web_search_requests": 3,
    }
    assert r1["requests"] is None
    # Null workspace (default workspace) and null key (Console) stay null.
    assert (r2["project"], r2["region"]) == (None, "global")
    assert json.loads(r2["tags"]) == {
        "context_window": "0-200k",
        "web_search_requests": 0,
    }
    assert (r3["project"], r3["region"]) == ("wrkspc_b", None)
    assert json.loads(r5["tags"]) == {"web_search_requests": 0}


def test_absent_group_by_fields_stay_unset(con, tmp_path):
    res = {"uncached_input_tokens": 10, "output_tokens": 2}
    path = write(tmp_path / "u.json", bucket(D2, D3, res))
    tokenlib.ingest_file(con, path)
    (r,) = ledger_rows(con)
    assert (r["model"], r["project"], r["region"], r["tags"]) == (
        None,
        None,
        None,
        None,
    )
    assert (r["service_tier"], r["input_tokens"], r["cache_read_tokens"]) == (
        "standard",
        10,
        0,
    )


def test_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, PAGE)
    before = ledger_rows(con, "record_id")
    summary = tokenlib.ingest_file(con, PAGE)
    assert (summary.rows_read, summary.ingested, summary.duplicate) == (5, 0, 5)
    assert ledger_rows(con, "record_id") == before


def test_json_lines_of_buckets_are_the_same_records(con):
    tokenlib.ingest_file(con, PAGE)
    ids = [r["record_id"] for r in ledger_rows(con, "record_id")]
    summary = tokenlib.ingest_file(con, FIXTURES / "anthropic_usage_buckets.jsonl")
    assert (summary.source, summary.ingested, summary.duplicate) == (
        "anthropic_usage",
        0,
        5,
    )
    assert [r["record_id"] for r in ledger_rows(con, "record_id")] == ids


@pytest.mark.parametrize("shape", ["page", "list"])
def test_only_empty_buckets_read_no_rows(con, tmp_path, shape):
    buckets = [bucket(D2, D3), bucket(D3, D4)]
    value = {"data": buckets, "has_more": False} if shape == "page" else buckets
    path = tmp_path / "u.json"
    path.write_text(json.dumps(value))
    summary = tokenlib.ingest_file(con, path)
    assert (summary.source, summary.rows_read) == ("anthropic_usage", 0)
    assert ledger_rows(con) == []


def test_partial_bucket_then_full_bucket_counts_the_full_once(con, tmp_path):
    # The fixture ends with 03-04 00:00 to 10:00; a later export has the
    # whole of 03-04 for the same three groups.
    later = write(
        tmp_path / "later.json",
        bucket(
            D4,
            D5,
            result(
                model="claude-haiku-4-5-20251001",
                workspace_id="wrkspc_b",
                service_tier="priority_on_demand",
                uncached_input_tokens=9000,
                output_tokens=900,
            ),
            result(
                model="claude-haiku-4-5-20251001",
                workspace_id="wrkspc_b",
                service_tier="flex_discount",
                uncached_input_tokens=150,
                output_tokens=15,
            ),
            result(
                model="claude-haiku-4-5-20251001",
                workspace_id="wrkspc_b",
                uncached_input_tokens=5,
                output_tokens=1,
            ),
        ),
    )
    tokenlib.ingest_file(con, PAGE)
    summary = tokenlib.ingest_file(con, later)
    # Three records replaced, none added.
    assert (summary.ingested, summary.duplicate) == (0, 3)
    day4 = con.execute(
        "SELECT count(*), sum(input_tokens), sum(output_tokens), min(start), "
        "max(\"end\") FROM ledger WHERE start >= '2026-03-04'"
    ).fetchone()
    # 9,000 + 150 + 5 input and 900 + 15 + 1 output, over the whole day.
    assert day4 == (3, 9155, 916, utc(2026, 3, 4), utc(2026, 3, 5))
    # The partial export again does not undo the full bucket.
    tokenlib.ingest_file(con, PAGE)
    assert con.execute(
        "SELECT sum(input_tokens) FROM ledger WHERE start >= '2026-03-04'"
    ).fetchone() == (9155,)


def test_bad_counts_go_to_quarantine_with_row_and_field(con, tmp_path):
    nested = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": "abc"}
    path = write(
        tmp_path / "u.json",
        bucket(
            D2,
            D3,
            result(model="a", uncached_input_tokens=100, output_tokens=1),
            result(model="b", uncached_input_tokens=-3),
            result(model="c", cache_creation=nested),
            result(model="d", output_tokens=1.5),
            result(model="e", server_tool_use={"web_search_requests": -1}),
        ),
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.quarantined) == (5, 1, 4)
    assert [(r["model"], r["input_tokens"]) for r in ledger_rows(con)] == [("a", 100)]
    got = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()
    assert got == [
        (2, "uncached_input_tokens", "-3", "negative token count"),
        (3, "cache_creation.ephemeral_1h_input_tokens", "abc", "not a whole number"),
        (4, "output_tokens", "1.5", "not a whole number"),
        (5, "server_tool_use.web_search_requests", "-1", "negative count"),
    ]


def test_results_without_output_tokens_name_the_field(con, tmp_path):
    path = write(tmp_path / "u.json", bucket(D2, D3, {"uncached_input_tokens": 4}))
    with pytest.raises(MissingColumnError, match="output_tokens") as err:
        tokenlib.ingest_file(con, path, fmt="anthropic_usage")
    assert "u.json" in str(err.value)
