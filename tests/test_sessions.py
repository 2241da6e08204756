"""Sessions view, costliest sessions and estimates against the bill.

List prices (genai-prices, June 2026), USD per million tokens:
claude-sonnet-4-5 input 3, cache read 0.30, output 15; above 200k input
tokens the whole request takes input 6, output 22.50.
claude-haiku-4-5 input 1, output 5.
"""

from __future__ import annotations

import pytest

import tokenlib
from tokenlib.sessions import (
    costliest_sessions,
    reconcile_estimates,
    sessions,
    sessions_by,
)

SONNET, HAIKU = "claude-sonnet-4-5", "claude-haiku-4-5"


def _request(con, session, user, start, model, estimate, team=None, **tokens):
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, input_tokens, cache_read_tokens, output_tokens, requests, "
        'reported_cost, currency, record_type, team, "user", agent, session) '
        "VALUES (uuid(), 'claude_code_events', 'events.jsonl', "
        "CAST(? AS TIMESTAMPTZ), 'request', 'anthropic', ?, ?, ?, ?, 1, ?, 'USD', "
        "'usage', ?, ?, 'claude_code', ?)",
        [
            start,
            model,
            tokens.get("input", 0),
            tokens.get("cache_read", 0),
            tokens.get("output", 0),
            estimate,
            team,
            user,
            session,
        ],
    )


def _activity(con, session, metric, value):
    con.execute(
        "INSERT INTO activity (record_id, source, source_file, start, metric, value, "
        "session) VALUES (uuid(), 'claude_code_metrics', 'm.jsonl', "
        "TIMESTAMPTZ '2026-06-01 12:00:00+00', ?, ?, ?)",
        [metric, value, session],
    )


@pytest.fixture
def con(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    # s1: 1000*3 + 9000*0.3 + 500*15 = 13,200 -> 0.0132; then a long-context
    # request 210,000*6 + 100*22.5 = 1,262,250 -> 1.26225. Total 1.27545.
    _request(con, "s1", "ana", "2026-06-01 10:00:00+00", SONNET, 0.014, "platform",
             input=1000, cache_read=9000, output=500)  # fmt: skip
    _request(con, "s1", "ana", "2026-06-01 10:30:00+00", SONNET, 0.6315, "platform",
             input=210_000, output=100)  # fmt: skip
    # s2: 500*3 + 100,000*0.3 + 1000*15 = 46,500 -> 0.0465.
    _request(con, "s2", "bo", "2026-06-01 11:00:00+00", SONNET, 0.0465,
             input=500, cache_read=100_000, output=1000)  # fmt: skip
    # s3: 1000*1 + 1000*5 = 6,000 -> 0.006.
    _request(con, "s3", "bo", "2026-06-01 12:00:00+00", HAIKU, 0.006,
             input=1000, output=1000)  # fmt: skip
    for metric, value in (("commits", 2), ("pull_requests", 1), ("api_errors", 3)):
        _activity(con, "s1", metric, value)
    _activity(con, "s3", "commits", 1)
    tokenlib.price_ledger(con)
    return con


def test_one_row_per_session_with_cost_tokens_and_outcomes(con):
    frame = sessions(con).set_index("session")
    assert frame.index.tolist() == ["s1", "s2", "s3"]  # costliest first
    s1 = frame.loc["s1"]
    assert s1["cost"] == pytest.approx(1.27545)
    assert s1["tokens"] == 1000 + 9000 + 500 + 210_000 + 100
    assert s1["cached_ratio"] == pytest.approx(9000 / 220_000)
    assert (s1["long_context"], s1["requests"], s1["minutes"]) == (1, 2, 30)
    assert (s1["commits"], s1["pull_requests"], s1["api_errors"]) == (2, 1, 3)
    assert (s1["top_model"], s1["owner"]) == (SONNET, "platform")
    assert frame.loc["s2", "cost"] == pytest.approx(0.0465)
    assert frame.loc["s3", ["commits", "pull_requests"]].tolist() == [1, 0]


def test_sessions_roll_up_by_user(con):
    by = sessions_by(sessions(con), "user").set_index("user")
    assert by.loc["bo", ["sessions", "commits"]].tolist() == [2, 1]
    assert by.loc["bo", "cost"] == pytest.approx(0.0525)  # 0.0465 + 0.006
    assert by.loc["ana", "cost_per_pull_request"] == pytest.approx(1.27545)
    assert by["cost_per_pull_request"].isna().tolist() == [False, True]


def test_costliest_sessions_say_why(con):
    top = costliest_sessions(sessions(con), n=2)
    # Median cached ratio 9000/220,000 (s1); s1 is long and retried.
    assert top["session"].tolist() == ["s1", "s2"]
    assert top["why"].tolist() == ["long context, retries", "no single cause"]
    assert top["vs_median"].iloc[0] == pytest.approx(1.27545 / 0.0465)


def test_estimates_against_priced_cost_and_the_bill(con, tmp_path):
    got = reconcile_estimates(con).set_index("model")
    # Sonnet: estimated 0.014 + 0.6315 + 0.0465 = 0.692; priced 1.32195.
    assert got.loc[SONNET, "estimated"] == pytest.approx(0.692)
    assert got.loc[SONNET, "priced"] == pytest.approx(1.32195)
    assert got.loc[SONNET, "gap"] == pytest.approx(0.692 - 1.32195)
    assert not got.loc[SONNET, "billed"]
    # A bill of 1.50 USD for Sonnet that day becomes what the report counts.
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, billed_cost, currency, record_type) VALUES (uuid(), "
        "'anthropic_cost', 'cost.json', TIMESTAMPTZ '2026-06-01 00:00:00+00', "
        "'bucket', 'anthropic', ?, 1.5, 'USD', 'token_charge')",
        [SONNET],
    )
    tokenlib.price_ledger(con)
    got = reconcile_estimates(con).set_index("model")
    assert got.loc[SONNET, "cost"] == pytest.approx(1.5)
    assert got.loc[SONNET, "gap_pct"] == pytest.approx((0.692 - 1.5) / 1.5 * 100)
    assert got.loc[SONNET, "billed"]
    assert got.loc[HAIKU, "cost"] == pytest.approx(0.006)  # no bill covers haiku


def test_a_ledger_without_sessions_gives_empty_frames(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "empty.duckdb")
    tokenlib.price_ledger(con)
    frame = sessions(con)
    assert frame.empty
    assert costliest_sessions(frame).empty
    assert sessions_by(frame, "user").empty


def test_costliest_sessions_are_held_against_their_own_agent(con):
    # Two cheap chat sessions would pull a global median down to 0.006; the
    # claude_code sessions' typical cost stays s2's 0.0465.
    for session in ("c1", "c2"):
        con.execute(
            "INSERT INTO ledger (record_id, source, source_file, start, grain, "
            "provider, model, input_tokens, requests, record_type, agent, session) "
            "VALUES (uuid(), 'request_log', 'log.csv', "
            "TIMESTAMPTZ '2026-06-01 09:00:00+00', 'request', 'anthropic', ?, "
            "1000, 1, 'usage', 'chat', ?)",
            [HAIKU, session],
        )
    tokenlib.price_ledger(con)
    top = costliest_sessions(sessions(con), n=1)
    assert top["vs_median"].iloc[0] == pytest.approx(1.27545 / 0.0465)
