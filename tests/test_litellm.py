"""LiteLLM spend logs: token conversion, who fields, tags, and what is never kept."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import FIXTURES

import tokenlib
from tokenlib.sources import detect_format

JSONL = FIXTURES / "litellm_spend_logs.jsonl"
CSV = FIXTURES / "litellm_spend_logs.csv"
SECRETS = ("SECRET-PROMPT-TEXT", "SECRET-ANSWER-TEXT", "SECRET-PROXY-TEXT")
TOKENS = (
    "input_tokens, cache_read_tokens, cache_write_5m_tokens, "
    "cache_write_1h_tokens, output_tokens, reasoning_tokens"
)


def _row(con, n: int, columns: str) -> tuple:
    return con.execute(
        f"SELECT {columns} FROM ledger WHERE source_row = ? "
        "AND source_file LIKE '%.jsonl'",
        [n],
    ).fetchone()


def test_json_lines_rows_are_counted_and_one_without_id_is_quarantined(con):
    s = tokenlib.ingest_file(con, JSONL)
    # 6 rows: 5 with a request id, row 5 with an empty one.
    assert (s.source, s.rows_read, s.ingested, s.quarantined) == (
        "litellm_spend",
        6,
        5,
        1,
    )
    q = con.execute("SELECT source_row, column_name, reason FROM quarantine").fetchall()
    assert q == [(5, "request_id", "missing request id")]


@pytest.mark.parametrize(
    "row, expected",
    [
        # Anthropic: prompt 2,330 = 330 uncached + 1,500 read + 500 written;
        # of the writes 200 are 1-hour, so 500 - 200 = 300 are 5-minute.
        (1, (330, 1500, 300, 200, 95, 0)),
        # OpenAI: prompt 1,200 includes 1,024 cached: 1,200 - 1,024 = 176;
        # completion 300 includes 128 reasoning.
        (2, (176, 1024, 0, 0, 300, 128)),
        # prompt 40 < cache reads 1,000: it cannot include them, so 40 stands.
        (3, (40, 1000, 0, 0, 10, 0)),
        # Failed Gemini request without a usage object: 50 prompt, 0 out.
        (4, (50, 0, 0, 0, 0, 0)),
        # Claude on Bedrock: 1,830 - 1,500 read = 330.
        (6, (330, 1500, 0, 0, 95, 0)),
    ],
)
def test_prompt_tokens_are_split_into_uncached_and_cache(con, row, expected):
    tokenlib.ingest_file(con, JSONL)
    assert _row(con, row, TOKENS) == expected


@pytest.mark.parametrize(
    "row, provider, model",
    [
        (1, "anthropic", "claude-sonnet-4-5-20250929"),
        (2, "openai", "o4-mini"),
        # empty custom_llm_provider: the prefix of the model names it
        (3, "anthropic", "claude-3-5-haiku-20241022"),
        # LiteLLM provider ids mapped to the price book's
        (4, "google", "gemini-2.5-flash"),
        (6, "aws", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ],
)
def test_provider_from_custom_llm_provider_or_the_model_prefix(
    con, row, provider, model
):
    tokenlib.ingest_file(con, JSONL)
    assert _row(con, row, "provider, model") == (provider, model)


def test_times_are_utc_with_or_without_a_zone(con):
    tokenlib.ingest_file(con, JSONL)
    rows = con.execute(
        "SELECT source_row, strftime(start, '%Y-%m-%d %H:%M:%S.%g'), "
        "strftime(\"end\", '%H:%M:%S.%g') FROM ledger ORDER BY source_row"
    ).fetchall()
    assert rows[:3] == [
        (1, "2026-03-02 10:15:02.113", "10:15:03.870"),
        (2, "2026-03-02 11:00:00.000", "11:00:04.000"),  # no zone: UTC
        (3, "2026-03-02 11:00:00.000", None),  # 12:00 at +01:00
    ]


def test_spend_is_a_reported_estimate_never_a_bill(con):
    tokenlib.ingest_file(con, JSONL)
    got = _row(
        con, 1, "reported_cost, currency, billed_cost, effective_cost, record_type"
    )
    assert got == (Decimal("0.0081"), "USD", None, None, "usage")
    # grain and one request per row
    assert _row(con, 2, "grain, requests") == ("request", 1)


def test_who_fields_and_request_tags(con):
    tokenlib.ingest_file(con, JSONL)
    got = _row(
        con,
        1,
        'team, "user", session, agent, use_case, environment, application, project',
    )
    assert got == (
        "team-search",
        "u-17",
        "sess-abc",
        "triage-bot",
        "faq",
        "prod",
        None,
        None,
    )
    assert _row(con, 2, "application, project, use_case") == (
        "helpdesk",
        "alpha",
        None,
    )
    tags = json.loads(_row(con, 1, "tags")[0])
    assert tags == {
        "request_id": "req-a1",
        "team_alias": "Search",
        "end_user": "cust-9",
        "api_key_alias": "search-prod",
        "api_key": "hash-aaa111",
        "status": "success",
        "cache_hit": "False",
        "call_type": "acompletion",
        "model_group": "claude-sonnet",
        "request_tags": ["beta"],  # key:value tags went to their dimensions
    }


def test_failed_request_is_kept_with_its_tokens_and_flagged(con):
    tokenlib.ingest_file(con, JSONL)
    tags = json.loads(_row(con, 4, "tags")[0])
    assert (tags["status"], tags["failed"], tags["litellm_provider"]) == (
        "failure",
        True,
        "gemini",
    )
    assert _row(con, 4, "input_tokens") == (50,)


def test_prompt_tokens_without_cache_are_tagged(con):
    tokenlib.ingest_file(con, JSONL)
    tags = json.loads(_row(con, 3, "tags")[0])
    assert tags["prompt_tokens_excluded"] == "cache"
    assert "prompt_tokens_excluded" not in json.loads(_row(con, 1, "tags")[0])


def test_message_text_is_stored_nowhere(con):
    tokenlib.ingest_file(con, JSONL)
    tokenlib.ingest_file(con, CSV)
    text = "".join(
        con.execute(f"SELECT string_agg(CAST({t} AS VARCHAR)) FROM {t}").fetchone()[0]
        for t in ("ledger", "quarantine")
    )
    assert "req-a1" in text and "missing request id" in text  # the dump works
    assert not [s for s in SECRETS if s in text]
    raw = con.execute("SELECT raw FROM quarantine").fetchall()
    for (r,) in raw:
        assert not {"messages", "response", "proxy_server_request"} & set(json.loads(r))


def test_csv_export_reads_as_the_json_one(con):
    tokenlib.ingest_file(con, JSONL)
    s = tokenlib.ingest_file(con, CSV)
    # CSV rows 1-2 are JSON rows 1-2 (same request ids): duplicates;
    # row 3 has prompt_tokens 12.5.
    assert (s.rows_read, s.ingested, s.duplicate, s.quarantined) == (3, 0, 2, 1)
    q = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "WHERE source_file LIKE '%.csv'"
    ).fetchall()
    assert q == [(3, "prompt_tokens", "12.5", "not a whole number")]
    # the CSV copy replaced the JSON one with the same values
    got = con.execute(
        f"SELECT {TOKENS}, team, use_case FROM ledger WHERE source_file LIKE '%.csv'"
        " ORDER BY source_row"
    ).fetchall()
    assert got == [
        (330, 1500, 300, 200, 95, 0, "team-search", "faq"),
        (176, 1024, 0, 0, 300, 128, "team-ops", None),
    ]


def test_csv_alone(con):
    s = tokenlib.ingest_file(con, CSV)
    assert (s.rows_read, s.ingested, s.quarantined) == (3, 2, 1)
    # reported cost 0.0081 + 0.00066 = 0.00876
    total = con.execute("SELECT sum(reported_cost) FROM ledger").fetchone()[0]
    assert total == Decimal("0.00876")


def test_json_array_reads_as_json_lines(con, tmp_path):
    rows = [json.loads(line) for line in JSONL.read_text().splitlines()]
    array = tmp_path / "spend.json"
    array.write_text(json.dumps(rows, indent=1))
    s = tokenlib.ingest_file(con, array)
    assert (s.rows_read, s.ingested, s.quarantined) == (6, 5, 1)
    got = con.execute(f"SELECT {TOKENS} FROM ledger WHERE source_row = 1").fetchone()
    assert got == (330, 1500, 300, 200, 95, 0)


def test_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, JSONL)
    before = con.execute("SELECT count(*), sum(input_tokens) FROM ledger").fetchone()
    s = tokenlib.ingest_file(con, JSONL)
    after = con.execute("SELECT count(*), sum(input_tokens) FROM ledger").fetchone()
    # 330 + 176 + 40 + 50 + 330 = 926 uncached input tokens
    assert before == after == (5, 926)
    assert (s.ingested, s.duplicate, s.quarantined) == (0, 5, 1)


def test_rows_are_priced_from_the_list_price_book(con):
    tokenlib.ingest_file(con, JSONL)
    tokenlib.price_ledger(con)
    cost = con.execute(
        "SELECT computed_cost FROM priced WHERE source_row = 2"
    ).fetchone()[0]
    # o4-mini: 176 x 1.10 + 1,024 x 0.275 + 300 x 4.40 per million
    # = 193.6 + 281.6 + 1,320 = 1,795.2 / 1e6
    assert cost == pytest.approx(0.0017952)


@pytest.mark.parametrize("name", [JSONL.name, CSV.name])
def test_format_is_detected(con, name):
    assert detect_format(con, FIXTURES / name) == "litellm_spend"
