"""Tests for the Claude Code OpenTelemetry reader and the OTLP flattening.

Expected values are worked out by hand from the fixtures described in
``tests/fixtures/README.md``; the arithmetic is written beside each assert.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import FIXTURES, counts

import tokenlib
from tokenlib.errors import InputFileError, UnknownFormatError
from tokenlib.prices import resolve_models
from tokenlib.sources import otlp

DELTA = FIXTURES / "claude_code_metrics_delta.json"
CUMULATIVE = FIXTURES / "claude_code_metrics_cumulative.json"
NEXT = FIXTURES / "claude_code_metrics_cumulative_next.jsonl"
STRINGS = FIXTURES / "claude_code_metrics_strings.jsonl"
EVENTS = FIXTURES / "claude_code_events.json"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_5m_tokens")
SONNET = "claude-sonnet-4-5-20250929"


def token_totals(con) -> dict[str, int]:
    sums = ", ".join(f"sum({c})" for c in TOKENS)
    got = con.execute(f"SELECT {sums} FROM ledger").fetchone()
    return dict(zip(TOKENS, got, strict=True))


def activity(con) -> dict[str, float]:
    sql = "SELECT metric, sum(value) FROM activity GROUP BY metric"
    return dict(con.execute(sql).fetchall())


def column(con, sql: str) -> list:
    return [r[0] for r in con.execute(sql).fetchall()]


def utc(hour: int, minute: int) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


# --- delta metrics ------------------------------------------------------------


def test_delta_metrics_give_tokens_by_class_and_reported_cost(con):
    summary = tokenlib.ingest_file(con, DELTA)
    # 9 ledger points + 10 activity points; 2 of the activity ones are faulty.
    assert counts(summary) == (19, 17, 0, 2)
    assert summary.source == "claude_code_metrics"
    # input 1,200 + 300 + 50 (opus); output 800 + 200; cacheRead 18,250;
    # cacheCreation 4,000 as 5-minute writes.
    assert token_totals(con) == {
        "input_tokens": 1550,
        "output_tokens": 1000,
        "cache_read_tokens": 18250,
        "cache_write_5m_tokens": 4000,
    }
    # cost 0.0412 + 0.0100, an estimate in reported_cost, never a bill.
    cost = con.execute(
        "SELECT sum(reported_cost), list(DISTINCT currency), "
        "count(billed_cost) + count(effective_cost) FROM ledger "
        "WHERE reported_cost IS NOT NULL"
    ).fetchone()
    assert cost == (Decimal("0.0512"), ["USD"], 0)
    # The cost rows carry no tokens.
    assert column(
        con,
        "SELECT sum(input_tokens + output_tokens) FROM ledger "
        "WHERE reported_cost IS NOT NULL",
    ) == [0]


def test_delta_metric_rows_are_attributed(con):
    tokenlib.ingest_file(con, DELTA)
    got = con.execute(
        "SELECT DISTINCT provider, grain, record_type, agent, application, team, "
        '"user", session FROM ledger'
    ).fetchall()
    # user.email wins over user.account_uuid; team from resource team.id.
    assert got == [
        (
            "anthropic",
            "bucket",
            "usage",
            "claude_code",
            "claude-code",
            "platform",
            "dev@example.com",
            "sess-a",
        )
    ]
    first = con.execute(
        'SELECT start, "end" FROM ledger WHERE input_tokens = 1200'
    ).fetchone()
    assert first == (utc(10, 0), utc(10, 1))


def test_tags_hold_resource_and_standard_attributes_but_no_user_ids(con):
    tokenlib.ingest_file(con, DELTA)
    tags = json.loads(
        con.execute("SELECT tags FROM ledger WHERE input_tokens = 1200").fetchone()[0]
    )
    assert tags == {
        "service.version": "2.1.0",
        "department": "eng",
        "cost_center": "cc-1",
        "host.arch": "arm64",
        "organization.id": "org-1",
        "terminal.type": "vscode",
    }


def test_model_suffix_is_cut_into_tags(con):
    tokenlib.ingest_file(con, DELTA)
    model, tags = con.execute(
        "SELECT model, tags FROM ledger WHERE model LIKE 'claude-opus%'"
    ).fetchone()
    assert model == "claude-opus-4-1-20250805"
    assert json.loads(tags)["model_suffix"] == "1m"
    # Both models are ones the price book resolves.
    pairs = pd.DataFrame({"provider": ["anthropic"] * 2, "model": [model, SONNET]})
    assert set(resolve_models(pairs)["resolution"]) == {"alias"}


def test_delta_counters_become_activity(con):
    tokenlib.ingest_file(con, DELTA)
    assert activity(con) == {
        "sessions": 1.0,
        "lines_added": 120.0,
        "lines_removed": 30.0,
        "commits": 2.0,
        "pull_requests": 1.0,
        "active_seconds": 95.5,
        "edit_accepted": 3.0,
        "edit_rejected": 1.0,
    }
    tags = json.loads(
        con.execute(
            "SELECT tags FROM activity WHERE metric = 'edit_accepted'"
        ).fetchone()[0]
    )
    assert (tags["tool_name"], tags["language"]) == ("Edit", "Python")
    assert column(con, "SELECT DISTINCT session FROM activity") == ["sess-a"]


def test_unknown_metric_and_unknown_type_go_to_quarantine(con):
    tokenlib.ingest_file(con, DELTA)
    got = con.execute(
        "SELECT source_row, value, reason FROM quarantine ORDER BY source_row"
    ).fetchall()
    # Points in file order: 7 token, 2 cost, 1 session, then lines 11-13
    # (added, removed, moved), ... the made-up metric is the 19th and last.
    assert got == [
        (
            13,
            "claude_code.lines_of_code.count",
            "type (lines of code) or decision (edit tool) has an unknown value",
        ),
        (19, "claude_code.made_up.count", "unknown Claude Code metric"),
    ]


def test_reingesting_metrics_changes_nothing(con):
    tokenlib.ingest_file(con, DELTA)
    again = tokenlib.ingest_file(con, DELTA)
    assert counts(again) == (19, 0, 17, 2)
    assert column(con, "SELECT count(*) FROM ledger") == [9]
    assert column(con, "SELECT count(*) FROM activity") == [8]
    assert column(con, "SELECT count(*) FROM quarantine") == [2]


# --- cumulative metrics -----------------------------------------------------------


def test_cumulative_points_are_differenced_with_restart_and_bad_drop(con):
    summary = tokenlib.ingest_file(con, CUMULATIVE)
    # 8 token + 2 cost + 2 commit points; one bad drop.
    assert counts(summary) == (12, 11, 0, 1)
    # input 100, 250, 400 | restart 30, 90 -> 100 + 150 + 150 + 30 + 60 = 490,
    # although the file lists 250 before 100.
    inputs = column(
        con, "SELECT input_tokens FROM ledger WHERE input_tokens > 0 ORDER BY start"
    )
    assert inputs == [100, 150, 150, 30, 60]
    # output 500, 450 (drop: quarantined), 700 -> 500 + (700 - 500) = 700.
    assert token_totals(con)["output_tokens"] == 700
    # cost 0.10, 0.25 -> 0.10 + 0.15.
    assert column(con, "SELECT sum(reported_cost) FROM ledger") == [Decimal("0.25")]
    # commits 1, 3 -> 1 + 2.
    assert activity(con) == {"commits": 3.0}
    value, reason = con.execute("SELECT value, reason FROM quarantine").fetchone()
    assert Decimal(value) == 450
    assert "fell below" in reason and "bad data" in reason


def test_cumulative_increments_span_from_the_previous_point(con):
    tokenlib.ingest_file(con, CUMULATIVE)
    got = con.execute(
        'SELECT start, "end" FROM ledger WHERE input_tokens > 0 ORDER BY start'
    ).fetchall()
    # First point counts from its start time; the restart from its new one.
    assert got == [
        (utc(10, 0), utc(10, 1)),
        (utc(10, 1), utc(10, 2)),
        (utc(10, 2), utc(10, 3)),
        (utc(10, 10), utc(10, 11)),
        (utc(10, 11), utc(10, 12)),
    ]


def test_cumulative_series_continues_from_the_ledger(con):
    tokenlib.ingest_file(con, CUMULATIVE)
    summary = tokenlib.ingest_file(con, NEXT)
    assert counts(summary) == (2, 2, 0, 0)
    # input 150 after 90 (same start 10:10): 490 + 60 = 550;
    # output 800 after 700 (same start 10:00): 700 + 100 = 800.
    totals = token_totals(con)
    assert (totals["input_tokens"], totals["output_tokens"]) == (550, 800)
    # Re-ingesting either file, in any order, changes nothing.
    assert counts(tokenlib.ingest_file(con, NEXT)) == (2, 0, 2, 0)
    assert counts(tokenlib.ingest_file(con, CUMULATIVE)) == (12, 0, 11, 1)
    totals = token_totals(con)
    assert (totals["input_tokens"], totals["output_tokens"]) == (550, 800)


def test_json_lines_with_string_enums_and_numeric_ints(con):
    summary = tokenlib.ingest_file(con, STRINGS)
    # Three lines of 2 points; the third repeats the first.
    assert counts(summary) == (6, 4, 2, 0)
    totals = token_totals(con)
    # input 700 + 300, output 90; cost 0.02.
    assert (totals["input_tokens"], totals["output_tokens"]) == (1000, 90)
    assert column(con, "SELECT sum(reported_cost) FROM ledger") == [Decimal("0.02")]
    # No email: user.account_uuid, else user.id.
    users = column(con, 'SELECT DISTINCT "user" FROM ledger ORDER BY 1')
    assert users == ["acc-c", "inst-c"]


# --- events -------------------------------------------------------------------


def test_api_request_events_become_request_rows(con):
    summary = tokenlib.ingest_file(con, EVENTS)
    assert summary.source == "claude_code_events"
    # 9 records: 3 api_request (one with output -5), 2 user_prompt (one
    # without a time), tool_result, api_error, tool_decision, one unknown.
    assert counts(summary) == (9, 6, 0, 3)
    # input 1,500 + 100; output 320 + 50; cache read 12,000 + 0;
    # cache creation 2,500 + 0; cost 0.0635 + 0.00105.
    assert token_totals(con) == {
        "input_tokens": 1600,
        "output_tokens": 370,
        "cache_read_tokens": 12000,
        "cache_write_5m_tokens": 2500,
    }
    got = con.execute(
        "SELECT sum(reported_cost), sum(requests), list(DISTINCT grain), "
        "list(DISTINCT currency), list(DISTINCT model), list(DISTINCT session) "
        "FROM ledger"
    ).fetchone()
    assert got == (Decimal("0.06455"), 2, ["request"], ["USD"], [SONNET], ["sess-e"])
    tags = json.loads(
        con.execute("SELECT tags FROM ledger WHERE input_tokens = 1500").fetchone()[0]
    )
    assert (tags["request_id"], tags["duration_ms"]) == ("req_01", "4200")


def test_other_events_become_activity(con):
    tokenlib.ingest_file(con, EVENTS)
    assert activity(con) == {
        "prompts": 1.0,
        "tool_calls": 1.0,
        "api_errors": 1.0,
        "tool_decisions": 1.0,
    }
    tags = dict(con.execute("SELECT metric, tags FROM activity").fetchall())
    tool = json.loads(tags["tool_calls"])
    assert (tool["tool_name"], tool["success"], tool["duration_ms"]) == (
        "Bash",
        "true",
        "830",
    )
    error = json.loads(tags["api_errors"])
    assert (error["status_code"], error["attempt"]) == ("529", "2")
    assert json.loads(tags["prompts"])["prompt_length"] == "30"


def test_event_faults_go_to_quarantine(con):
    tokenlib.ingest_file(con, EVENTS)
    got = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()
    assert [g[:3] for g in got] == [
        (7, "event.name", "something_new"),
        (8, "output_tokens", "-5"),
        (9, "t_start", None),
    ]
    assert got[0][3].startswith("unknown Claude Code event")
    assert got[1][3] == "negative token count"
    assert got[2][3] == "missing required value"


def test_prompt_text_and_tool_arguments_are_stored_nowhere(con):
    tokenlib.ingest_file(con, EVENTS)
    # The prompt without a time went to quarantine: its raw row is there.
    assert column(con, "SELECT count(*) FROM quarantine WHERE source_row = 9") == [1]
    for table in ("ledger", "activity", "quarantine"):
        text = " ".join(
            column(con, f"SELECT CAST(to_json(t) AS VARCHAR) FROM {table} t")
        )
        assert "SECRET" not in text, table
        assert '"prompt"' not in text, table


def test_events_are_keyed_so_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, EVENTS)
    # Keys: request_id, session + event.sequence, or time + attributes
    # (the second request has neither id nor sequence).
    assert counts(tokenlib.ingest_file(con, EVENTS)) == (9, 0, 6, 3)
    assert column(con, "SELECT count(*) FROM ledger") == [2]


def test_metric_and_event_rows_carry_the_session_that_pairs_them(con):
    tokenlib.ingest_file(con, DELTA)
    tokenlib.ingest_file(con, EVENTS)
    got = con.execute(
        "SELECT source, count(*), count(session) FROM ledger GROUP BY source "
        "ORDER BY source"
    ).fetchall()
    # 9 metric rows and 2 request rows, each with its session.
    assert got == [("claude_code_events", 2, 2), ("claude_code_metrics", 9, 9)]


# --- detection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "source"),
    [
        (DELTA, "claude_code_metrics"),
        (CUMULATIVE, "claude_code_metrics"),
        (STRINGS, "claude_code_metrics"),
        (EVENTS, "claude_code_events"),
    ],
)
def test_claude_code_files_are_detected(con, path, source):
    assert tokenlib.ingest_file(con, path).source == source


def _otlp_file(path: Path, service: str, name: str, signal: str) -> Path:
    res = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    if signal == "metrics":
        point = {"timeUnixNano": "1772445660000000000", "asInt": "5", "attributes": []}
        body = {
            "name": name,
            "sum": {"aggregationTemporality": 1, "dataPoints": [point]},
        }
        doc = {
            "resourceMetrics": [
                {"resource": res, "scopeMetrics": [{"metrics": [body]}]}
            ]
        }
    else:
        record = {"timeUnixNano": "1772445660000000000", "body": {"stringValue": name}}
        doc = {
            "resourceLogs": [{"resource": res, "scopeLogs": [{"logRecords": [record]}]}]
        }
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("signal", ["metrics", "logs"])
def test_other_producers_otlp_is_not_claude_code(con, tmp_path, signal):
    path = _otlp_file(tmp_path / "genai.json", "support-agent", "gen_ai.x", signal)
    with pytest.raises(UnknownFormatError, match="matches no known layout"):
        tokenlib.ingest_file(con, path)


@pytest.mark.parametrize(
    ("signal", "source"),
    [("metrics", "claude_code_metrics"), ("logs", "claude_code_events")],
)
def test_claude_code_names_are_recognised_without_service_name(
    con, tmp_path, signal, source
):
    name = "claude_code.commit.count" if signal == "metrics" else "claude_code.x"
    path = _otlp_file(tmp_path / "cc.jsonl", "unknown_service", name, signal)
    assert tokenlib.ingest_file(con, path).source == source


@pytest.mark.parametrize(
    ("path", "fmt", "found"),
    [
        (EVENTS, "claude_code_metrics", "found logs documents"),
        (DELTA, "claude_code_events", "found metrics documents"),
        (FIXTURES / "openai_usage_page.json", "claude_code_events", "no OTLP"),
    ],
)
def test_named_format_of_the_wrong_signal_is_refused(con, path, fmt, found):
    with pytest.raises(InputFileError, match="expected OTLP JSON") as err:
        tokenlib.ingest_file(con, path, fmt=fmt)
    assert path.name in str(err.value) and found in str(err.value)


# --- OTLP flattening ------------------------------------------------------------


def test_otlp_points_read_every_encoding_quirk(tmp_path):
    def sum_metric(temporality, point):
        return {
            "name": "m",
            "sum": {"aggregationTemporality": temporality, "dataPoints": [point]},
        }

    attrs = [
        {"key": "s", "value": {"stringValue": "a"}},
        {"key": "i", "value": {"intValue": 7}},
        {"key": "b", "value": {"boolValue": False}},
        {"key": "s", "value": {"stringValue": "last"}},
    ]
    metrics = [
        sum_metric(
            1,
            {"asInt": "12", "timeUnixNano": "1772445660000000000", "attributes": attrs},
        ),
        sum_metric(
            "AGGREGATION_TEMPORALITY_CUMULATIVE",
            {"asInt": 3, "timeUnixNano": 1772445660000000000},
        ),
        sum_metric(2, {"asDouble": 0.5, "startTimeUnixNano": "0"}),
        {
            "name": "h",
            "histogram": {
                "aggregationTemporality": 1,
                "dataPoints": [{"count": "4", "sum": 10.5}],
            },
        },
    ]
    path = tmp_path / "m.json"
    doc = {"resourceMetrics": [{"scopeMetrics": [{"metrics": metrics}]}]}
    path.write_text(json.dumps(doc))
    con = duckdb.connect()
    got = con.execute(
        "SELECT kind, temporality, value, count, start_ns, time_ns, attributes, _row "
        f"FROM ({otlp.metric_points(path, drop=['b'])}) ORDER BY _row"
    ).fetchall()
    t = 1772445660000000000
    assert got == [
        ("sum", "delta", Decimal(12), None, None, t, {"i": "7", "s": "last"}, 1),
        ("sum", "cumulative", Decimal(3), None, None, t, {}, 2),
        ("sum", "cumulative", Decimal("0.5"), None, None, None, {}, 3),
        ("histogram", "delta", Decimal("10.5"), 4, None, None, {}, 4),
    ]
