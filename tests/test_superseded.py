"""Aggregated telemetry is not counted where per-request records cover it."""

from __future__ import annotations

import tokenlib


def _usage(con, source: str, session, user, day: str, tokens: int) -> None:
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        'provider, model, input_tokens, record_type, session, "user") VALUES '
        "(uuid(), ?, 'otel.json', CAST(? AS TIMESTAMPTZ), 'bucket', 'anthropic', "
        "'claude-sonnet-4-5', ?, 'usage', ?, ?)",
        [source, day, tokens, session, user],
    )


def test_claude_code_metrics_give_way_to_events_of_the_same_session(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    _usage(con, "claude_code_events", "s1", "ana", "2026-06-01", 100)
    _usage(con, "claude_code_metrics", "s1", "ana", "2026-06-01", 100)  # covered
    _usage(con, "claude_code_metrics", "s2", "ana", "2026-06-01", 20)  # no events
    _usage(con, "claude_code_metrics", None, "ana", "2026-06-01", 7)  # ana has events
    _usage(con, "claude_code_metrics", None, "bo", "2026-06-01", 3)  # bo has none
    _usage(con, "claude_code_metrics", None, "ana", "2026-06-02", 5)  # other day
    tokenlib.price_ledger(con)
    # 100 (events) + 20 + 3 + 5 = 128 input tokens count; 107 are dropped.
    assert tokenlib.summarise(con)["tokens"]["input"] == 128
    assert con.execute("SELECT count(*) FROM ledger").fetchone()[0] == 6


def test_metrics_alone_count_in_full(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    _usage(con, "claude_code_metrics", "s1", "ana", "2026-06-01", 100)
    _usage(con, "otel_genai_metrics", None, None, "2026-06-01", 50)
    tokenlib.price_ledger(con)
    assert tokenlib.summarise(con)["tokens"]["input"] == 150
