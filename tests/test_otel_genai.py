"""Tests for the OpenTelemetry GenAI readers: spans and token metrics (OTLP JSON).

Expected values are worked out by hand from the fixtures described in
``tests/fixtures/README.md`` or from the small documents written in each test.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, counts

import tokenlib
from tokenlib.sources.openai_usage import looks_like_openai_usage
from tokenlib.sources.otel_genai_metrics import looks_like_otel_genai_metrics
from tokenlib.sources.otel_genai_spans import looks_like_otel_genai_spans

SPANS = FIXTURES / "otel_genai_spans.json"
TOKENS = "input_tokens, cache_read_tokens, cache_write_5m_tokens, output_tokens, "
TOKENS += "reasoning_tokens"
T0 = 1772445600 * 10**9  # 2026-03-02T10:00:00Z in nanoseconds


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def kv(key: str, value: object) -> dict:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value)}}


def span(span_id: str, attrs: dict, parent: str | None = None) -> dict:
    """A one-second span of trace ``ab..ab`` at T0."""
    out = {
        "traceId": "ab" * 16,
        "spanId": span_id,
        "name": "span",
        "startTimeUnixNano": str(T0),
        "endTimeUnixNano": str(T0 + 10**9),
        "attributes": [kv(k, v) for k, v in attrs.items()],
    }
    if parent:
        out["parentSpanId"] = parent
    return out


def write_spans(path: Path, spans: list[dict], service: str = "app") -> Path:
    resource = {"attributes": [kv("service.name", service)]}
    doc = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}
    path.write_text(json.dumps(doc))
    return path


def write_metrics(path: Path, metrics: list[dict], service: str = "app") -> Path:
    resource = {"attributes": [kv("service.name", service)]}
    scope = {"scope": {"name": "test"}, "metrics": metrics}
    doc = {"resourceMetrics": [{"resource": resource, "scopeMetrics": [scope]}]}
    path.write_text(json.dumps(doc))
    return path


def histogram(points: list[tuple[str, float]], temporality: object = 1) -> dict:
    """gen_ai.client.token.usage points (token type, sum) over T0 to T0+60 s."""
    data = [
        {
            "startTimeUnixNano": str(T0),
            "timeUnixNano": str(T0 + 60 * 10**9),
            "count": "1",
            "sum": total,
            "attributes": [
                kv("gen_ai.provider.name", "openai"),
                kv("gen_ai.request.model", "gpt-4o-mini"),
                kv("gen_ai.token.type", kind),
            ],
        }
        for kind, total in points
    ]
    hist = {"aggregationTemporality": temporality, "dataPoints": data}
    return {"name": "gen_ai.client.token.usage", "histogram": hist}


def counter(name: str, value: int) -> dict:
    point = {
        "startTimeUnixNano": str(T0),
        "timeUnixNano": str(T0 + 60 * 10**9),
        "asInt": str(value),
        "attributes": [kv("gen_ai.provider.name", "openai")],
    }
    body = {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": [point]}
    return {"name": "gen_ai.client.inference.usage." + name, "sum": body}


# --- spans ----------------------------------------------------------------------


def test_spans_every_span_is_accounted_for(con):
    # 7 spans: 2 with usage -> ledger, invoke_agent + execute_tool -> activity,
    # retrieval without usage, cache > input, negative output -> quarantine.
    assert counts(tokenlib.ingest_file(con, SPANS)) == (7, 4, 0, 3)
    assert q(con, "SELECT count(*) FROM ledger") == [(2,)]
    assert q(con, "SELECT count(*) FROM activity") == [(2,)]


def test_span_cached_input_is_split_out_and_reasoning_stays_in_output(con):
    tokenlib.ingest_file(con, SPANS)
    got = q(con, f"SELECT {TOKENS} FROM ledger ORDER BY source_row")
    # Span 1: input 1400 includes 1024 cache reads -> 376 uncached; output 210
    # of which 64 reasoning. Span 2: 5000 - 3000 read - 1200 creation = 800.
    assert got == [(376, 1024, 0, 210, 64), (800, 3000, 1200, 400, 0)]


def test_span_model_is_the_response_model_and_who_columns_are_read(con):
    tokenlib.ingest_file(con, SPANS)
    row = q(
        con,
        'SELECT provider, model, grain, record_type, requests, agent, session, "user", '
        'application, environment, team, service_tier, start, "end", tags '
        "FROM ledger WHERE source_row = 1",
    )[0]
    assert row[:12] == (
        "openai",
        "gpt-4.1-mini-2025-04-14",
        "request",
        "usage",
        1,
        "triage",
        "conv_42",
        "u-7",
        "support-bot",
        "prod",
        "care",
        "standard",
    )
    # Start T0 + 1 s, end T0 + 2.2 s.
    assert row[12].isoformat() == "2026-03-02T10:00:01+00:00"
    assert row[13].isoformat() == "2026-03-02T10:00:02.200000+00:00"
    tags = json.loads(row[14])
    assert tags["request_model"] == "gpt-4.1-mini"
    assert tags["finish_reasons"] == '["stop"]'
    assert (tags["trace_id"], tags["span_id"]) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
    )


def test_agent_and_tool_spans_become_activity_with_duration(con):
    tokenlib.ingest_file(con, SPANS)
    got = q(
        con,
        "SELECT metric, value, agent, tags->>'tool_name', "
        "CAST(tags->>'duration_s' AS DOUBLE) FROM activity ORDER BY source_row",
    )
    # invoke_agent: 0 s to 6.5 s; execute_tool: 2.5 s to 2.75 s.
    assert got == [
        ("agent_invocations", 1.0, "triage", None, 6.5),
        ("tool_calls", 1.0, "triage", "lookup_order", 0.25),
    ]


def test_spans_without_usage_or_with_bad_counts_are_quarantined(con):
    tokenlib.ingest_file(con, SPANS)
    got = q(con, "SELECT source_row, column_name, value, reason FROM quarantine")
    assert [(r[0], r[1], r[2]) for r in sorted(got)] == [
        (5, "gen_ai.operation.name", "retrieval"),
        (6, "gen_ai.usage.cache_read.input_tokens", "900"),
        (7, "gen_ai.usage.output_tokens", "-5"),
    ]
    reasons = {r[0]: r[3] for r in got}
    assert "not token usage" in reasons[5]
    assert "exceed gen_ai.usage.input_tokens" in reasons[6]
    assert reasons[7] == "negative token count"


def test_message_content_is_stored_nowhere(con, tmp_path):
    for name in ("otel_genai_spans.json", "otel_genai_spans_deprecated.json"):
        assert "SECRET-" in (FIXTURES / name).read_text()
        tokenlib.ingest_file(con, FIXTURES / name)
    for table in ("ledger", "activity", "quarantine"):
        text = q(con, f"SELECT CAST(list(to_json(t)) AS VARCHAR) FROM {table} t")[0][0]
        assert "SECRET-" not in text
        assert "gen_ai.input.messages" not in text
        assert "gen_ai.prompt" not in text


def test_spans_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, SPANS)
    before = q(con, f"SELECT record_id, {TOKENS} FROM ledger ORDER BY 1")
    assert counts(tokenlib.ingest_file(con, SPANS)) == (7, 0, 4, 3)
    assert q(con, f"SELECT record_id, {TOKENS} FROM ledger ORDER BY 1") == before
    assert q(con, "SELECT count(*) FROM activity") == [(2,)]
    assert q(con, "SELECT count(*) FROM quarantine") == [(3,)]


def test_deprecated_names_system_and_prompt_tokens(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "otel_genai_spans_deprecated.json")
    assert counts(summary) == (2, 2, 0, 0)
    got = q(
        con,
        f'SELECT provider, model, {TOKENS}, environment, "user" '
        "FROM ledger ORDER BY source_row",
    )
    # gen_ai.system openai / vertex_ai -> openai / google; prompt_tokens is
    # input (no cache attributes), completion_tokens is output.
    assert got == [
        ("openai", "gpt-4o-mini", 1000, 0, 0, 50, 0, "staging", "u-9"),
        ("google", "gemini-2.5-flash", 2000, 0, 0, 300, 0, "staging", None),
    ]


def test_json_lines_with_base64_ids_and_numeric_values(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "otel_genai_spans_b64.jsonl")
    # Line 3 re-sends line 1's span: its last copy stands.
    assert counts(summary) == (3, 2, 1, 0)
    got = q(
        con,
        f"SELECT provider, {TOKENS}, tags->>'trace_id', tags->>'span_id' "
        "FROM ledger ORDER BY provider",
    )
    # base64 CvdlGRbNQ92ESOshHIAxnA== is hex 0af7651916cd43dd8448eb211c80319c.
    trace = "0af7651916cd43dd8448eb211c80319c"
    assert got == [
        ("aws", 300, 0, 0, 20, 0, trace, "b7ad6b7169203331"),
        ("mistral", 120, 0, 0, 30, 0, trace, "00f067aa0ba902b7"),
    ]


def test_agent_span_repeating_its_children_usage_is_not_counted_twice(con, tmp_path):
    usage = {"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10}
    spans = [
        span("a" * 16, {"gen_ai.operation.name": "invoke_agent", **usage}),
        span("b" * 16, {"gen_ai.operation.name": "chat", **usage}, parent="a" * 16),
        span("c" * 16, {"gen_ai.operation.name": "invoke_workflow", **usage}),
        span("d" * 16, {"gen_ai.operation.name": "chat", **usage}, parent="c" * 16),
    ]
    summary = tokenlib.ingest_file(con, write_spans(tmp_path / "agent.json", spans))
    # Ledger: the two chat spans; activity: the agent; quarantine: the workflow.
    assert counts(summary) == (4, 3, 0, 1)
    assert q(con, "SELECT sum(input_tokens), sum(output_tokens) FROM ledger") == [
        (200, 20)
    ]
    assert q(con, "SELECT metric FROM activity") == [("agent_invocations",)]
    assert "child spans" in q(con, "SELECT reason FROM quarantine")[0][0]


def test_span_is_priced_on_the_response_model(con, tmp_path):
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4.1-mini-2025-04-14",
        "gen_ai.usage.input_tokens": 1_000_000,
        "gen_ai.usage.cache_read.input_tokens": 400_000,
        "gen_ai.usage.output_tokens": 1_000_000,
    }
    tokenlib.ingest_file(con, write_spans(tmp_path / "s.json", [span("1" * 16, attrs)]))
    tokenlib.price_ledger(con)
    cost, model = q(con, "SELECT computed_cost, catalogue_model FROM priced")[0]
    # gpt-4.1-mini list price per million: input 0.40, cache read 0.10,
    # output 1.60: 0.6 * 0.40 + 0.4 * 0.10 + 1.0 * 1.60 = 0.24 + 0.04 + 1.60
    # = 1.88 USD (the request model gpt-4o-mini would give 0.15 * 0.6 +
    # 0.075 * 0.4 + 0.60 = 0.72).
    assert model == "gpt-4.1-mini"
    assert Decimal(str(cost)).quantize(Decimal("0.000001")) == Decimal("1.880000")


# --- metrics --------------------------------------------------------------------


def test_delta_histogram_uses_sum_not_count(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "otel_genai_metrics_delta.json")
    # 6 token points; the duration histogram is not token usage and not read.
    assert counts(summary) == (6, 6, 0, 0)
    got = q(
        con,
        "SELECT model, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens) "
        "FROM ledger GROUP BY model ORDER BY model",
    )
    # gpt-4.1-mini: input 4200 + 1000, output 650 + 90; gpt-4o-mini: input
    # 500, output 40 from the deprecated 'completion' type. Counts (3, 1, 2)
    # would give far less.
    assert got == [
        ("gpt-4.1-mini-2025-04-14", 5200, 740, 0),
        ("gpt-4o-mini", 500, 40, 0),
    ]
    tags = q(con, "SELECT DISTINCT tags->>'cache', grain FROM ledger")
    assert tags == [("not split: input includes cached tokens", "bucket")]
    assert q(con, "SELECT DISTINCT application, environment, team FROM ledger") == [
        ("support-bot", "prod", "care")
    ]


def test_cumulative_points_are_differenced_and_a_restart_starts_over(con):
    path = FIXTURES / "otel_genai_metrics_cumulative.jsonl"
    # 4 exports x (input, output) = 8 rows; the input drop is quarantined.
    assert counts(tokenlib.ingest_file(con, path)) == (8, 7, 0, 1)
    got = q(
        con,
        "SELECT strftime(start, '%H:%M'), strftime(\"end\", '%H:%M'), "
        "input_tokens, output_tokens FROM ledger ORDER BY start, output_tokens",
    )
    # Start 10:00: 1000/100 at 10:01, 1800/160 at 10:02 -> +800/+60 over
    # 10:01-10:02. Restart at 10:10: 300/20 at 10:11 counts from zero; at 10:12
    # output 50 -> +30, input fell to 250 (quarantined).
    assert got == [
        ("10:00", "10:01", 1000, 0),
        ("10:00", "10:01", 0, 100),
        ("10:01", "10:02", 800, 0),
        ("10:01", "10:02", 0, 60),
        ("10:10", "10:11", 300, 0),
        ("10:10", "10:11", 0, 20),
        ("10:11", "10:12", 0, 30),
    ]
    assert q(con, "SELECT column_name, value, reason FROM quarantine") == [
        (
            "data point value",
            "gen_ai.client.token.usage input: 250 after 300",
            "cumulative value fell without a new start time",
        )
    ]
    assert counts(tokenlib.ingest_file(con, path)) == (8, 0, 7, 1)


def test_inference_usage_counters_split_cache_out_of_input(con):
    path = FIXTURES / "otel_genai_inference_counters.json"
    assert counts(tokenlib.ingest_file(con, path)) == (1, 1, 0, 0)
    # input 5000 includes 3000 cache reads and 1200 cache writes -> 800.
    assert q(con, f"SELECT provider, model, {TOKENS} FROM ledger") == [
        ("anthropic", "claude-sonnet-4-5", 800, 3000, 1200, 400, 100)
    ]


def test_histogram_beside_counters_is_quarantined_not_added(con, tmp_path):
    metrics = [
        histogram([("input", 700)]),
        counter("input_tokens", 700),
        counter("cache_read.input_tokens", 200),
    ]
    path = write_metrics(tmp_path / "both.json", metrics)
    # One counter row (700 - 200 = 500 uncached) and one histogram row, refused.
    assert counts(tokenlib.ingest_file(con, path)) == (2, 1, 0, 1)
    assert q(con, "SELECT input_tokens, cache_read_tokens FROM ledger") == [(500, 200)]
    assert "repeats" in q(con, "SELECT reason FROM quarantine")[0][0]


def test_odd_temporality_type_and_cache_are_quarantined(con, tmp_path):
    metrics = [
        histogram([("input", 10)], temporality=0),
        histogram([("total", 20)], temporality="AGGREGATION_TEMPORALITY_DELTA"),
    ]
    path = write_metrics(tmp_path / "odd.json", metrics)
    assert counts(tokenlib.ingest_file(con, path)) == (2, 0, 0, 2)
    got = sorted(q(con, "SELECT column_name, value FROM quarantine"))
    assert got == [("aggregationTemporality", "0"), ("gen_ai.token.type", "total")]
    path = write_metrics(
        tmp_path / "cache.json",
        [counter("input_tokens", 100), counter("cache_read.input_tokens", 150)],
    )
    assert counts(tokenlib.ingest_file(con, path)) == (1, 0, 0, 1)


# --- detection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("otel_genai_spans.json", "otel_genai_spans"),
        ("otel_genai_spans_deprecated.json", "otel_genai_spans"),
        ("otel_genai_spans_b64.jsonl", "otel_genai_spans"),
        ("otel_genai_metrics_delta.json", "otel_genai_metrics"),
        ("otel_genai_metrics_cumulative.jsonl", "otel_genai_metrics"),
        ("otel_genai_inference_counters.json", "otel_genai_metrics"),
    ],
)
def test_otel_genai_files_are_detected_and_not_taken_for_openai(con, name, source):
    assert tokenlib.ingest_file(con, FIXTURES / name).source == source
    assert not looks_like_openai_usage(con, FIXTURES / name)


@pytest.mark.parametrize(
    "name", ["openai_usage_page.json", "openai_usage_buckets.json"]
)
def test_other_json_exports_are_not_taken_for_otel(con, name):
    assert not looks_like_otel_genai_spans(con, FIXTURES / name)
    assert not looks_like_otel_genai_metrics(con, FIXTURES / name)


def test_claude_code_telemetry_is_not_taken_for_otel_genai(con, tmp_path):
    metrics = write_metrics(
        tmp_path / "cc_metrics.json",
        [histogram([("input", 5)]), counter("input_tokens", 5)],
        service="claude-code",
    )
    attrs = {"gen_ai.usage.input_tokens": 5, "gen_ai.request.model": "claude"}
    spans = write_spans(
        tmp_path / "cc_spans.json", [span("1" * 16, attrs)], service="claude-code"
    )
    assert not looks_like_otel_genai_metrics(con, metrics)
    assert not looks_like_otel_genai_spans(con, spans)
    # The same files from another service are GenAI telemetry.
    assert looks_like_otel_genai_metrics(
        con, write_metrics(tmp_path / "m.json", [counter("input_tokens", 5)])
    )
    assert looks_like_otel_genai_spans(
        con, write_spans(tmp_path / "s.json", [span("1" * 16, attrs)])
    )


def cumulative_input(points: list[tuple[int, int, int]]) -> dict:
    """A cumulative input-token counter: (start s, time s, value) after T0."""
    data = [
        {
            "startTimeUnixNano": str(T0 + start * 10**9),
            "timeUnixNano": str(T0 + time * 10**9),
            "asInt": str(value),
            "attributes": [kv("gen_ai.provider.name", "openai")],
        }
        for start, time, value in points
    ]
    body = {"aggregationTemporality": 2, "isMonotonic": True, "dataPoints": data}
    return {"name": "gen_ai.client.inference.usage.input_tokens", "sum": body}


def test_cumulative_series_continues_from_the_ledger(con, tmp_path):
    first = write_metrics(
        tmp_path / "m1.json", [cumulative_input([(0, 60, 100), (0, 120, 250)])]
    )
    second = write_metrics(
        tmp_path / "m2.json", [cumulative_input([(0, 180, 400), (600, 660, 30)])]
    )
    assert counts(tokenlib.ingest_file(con, first)) == (2, 2, 0, 0)
    assert counts(tokenlib.ingest_file(con, second)) == (2, 2, 0, 0)
    got = q(
        con,
        "SELECT strftime(start, '%H:%M'), strftime(\"end\", '%H:%M'), input_tokens "
        "FROM ledger ORDER BY start",
    )
    # File 1: 100, then 250 - 100 = 150. File 2: 400 after the held 250 ->
    # 150 over 10:02-10:03; restart at 10:10 counts 30 from zero.
    # 100 + 150 + 150 + 30 = 430.
    assert got == [
        ("10:00", "10:01", 100),
        ("10:01", "10:02", 150),
        ("10:02", "10:03", 150),
        ("10:10", "10:11", 30),
    ]
    # Re-ingesting either file, in any order, changes nothing.
    assert counts(tokenlib.ingest_file(con, second)) == (2, 0, 2, 0)
    assert counts(tokenlib.ingest_file(con, first)) == (2, 0, 2, 0)
    assert q(con, "SELECT sum(input_tokens), count(*) FROM ledger") == [(430, 4)]


def test_point_after_a_drop_is_differenced_against_the_highest_value(con, tmp_path):
    points = [(0, 60, 100), (0, 120, 250), (0, 180, 200), (0, 240, 300)]
    path = write_metrics(tmp_path / "drop.json", [cumulative_input(points)])
    # 200 fell below 250: quarantined. 300 counts against 250, not 200:
    # 100 + 150 + 50 = 300, the counter's last reading.
    assert counts(tokenlib.ingest_file(con, path)) == (4, 3, 0, 1)
    assert q(con, "SELECT sum(input_tokens) FROM ledger") == [(300,)]
    assert q(con, "SELECT value FROM quarantine") == [
        ("gen_ai.client.inference.usage.input_tokens: 200 after 250",)
    ]
