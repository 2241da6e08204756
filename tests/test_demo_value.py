"""Tests for the demo's value inputs: plausible, consistent, reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import tokenlib
from tokenlib.demo import DEMO_FILES, generate_demo, write_demo
from tokenlib.demo_value import DEMO_POLICY, VALUE_FILES, value_frames

DAYS = 14
TOLERANCE = 0.02  # the demo policy's quality tolerance


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, days=DAYS)
    return out


@pytest.fixture(scope="module")
def demo():
    return generate_demo(days=DAYS)


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name)


def test_value_files_are_demo_files_and_the_policy_is_beside_them(folder):
    assert list(DEMO_FILES[-3:]) == list(VALUE_FILES)
    policy = yaml.safe_load((folder / DEMO_POLICY).read_text())
    assert policy["route_target"] == 0.70
    assert policy["quality_tolerance"] == TOLERANCE
    assert policy["batch_eligible"] == ["doc_summarisation"]
    assert policy["residency"] == [
        {"use_case": "support_chat", "allowed": ["eu*", "europe-*"]}
    ]


def test_value_frames_are_reproducible_and_follow_the_seed(demo):
    again = value_frames(generate_demo(days=DAYS))
    for name, frame in value_frames(demo).items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = value_frames(generate_demo(seed=8, days=DAYS))
    assert not other["outcomes.csv"].equals(value_frames(demo)["outcomes.csv"])


def test_outcomes_are_consistent_counts(folder):
    o = read(folder, "outcomes.csv")
    assert (o.verified <= o.attempted).all() and (o.verified >= 0).all()
    assert (o.failed <= o.attempted - o.verified).all() and o.failed.sum() > 0
    # Prototyping is a use case without outcomes.
    assert set(o.use_case) == {
        "support_chat",
        "coding_assistant",
        "doc_summarisation",
        "analytics_agent",
        "ticket_triage",
    }
    assert (o.currency == "USD").all()
    # Support: 8 USD of agent cost deflected per verified ticket.
    support = o[o.use_case == "support_chat"]
    assert np.allclose(support.value, support.verified * 8.0)
    assert 0.75 <= support.verified.sum() / support.attempted.sum() <= 0.85


def test_coding_outcomes_count_the_claude_code_pilots_pull_requests(folder, demo):
    o = read(folder, "outcomes.csv")
    coding = o[o.use_case == "coding_assistant"]
    assert coding.claude_code_prs.sum() == demo.agents.sessions.pull_requests.sum()
    assert (coding.attempted >= coding.claude_code_prs).all()


def test_routes_are_requests_of_the_log(folder, demo):
    r = read(folder, "routes.csv")
    log = demo.log.set_index("request_id")
    same = log.loc[r.request_id]
    assert set(r.use_case) == {"support_chat", "analytics_agent"}
    assert (same.model.to_numpy() == r.served_model.to_numpy()).all()
    assert (same.input_tokens.to_numpy() == r.input_tokens.to_numpy()).all()
    assert (same.output_tokens.to_numpy() == r.output_tokens.to_numpy()).all()


def test_routes_mix_wins_losses_and_opportunities(folder):
    r = read(folder, "routes.csv")
    scored = r.served_score.notna() & r.reference_score.notna()
    e = r[scored]
    assert 0 < (~scored).sum() < 0.2 * len(r)  # a few requests not evaluated
    routed = e.served_model != e.reference_model
    win = routed & (e.served_score >= e.reference_score - TOLERANCE)
    loss = routed & ~win
    opportunity = ~routed & (e.candidate_score >= e.reference_score - TOLERANCE)
    assert 0.5 <= win.mean() <= 0.8
    assert loss.sum() > 0 and opportunity.sum() > 0
    scores = e[["served_score", "reference_score"]].to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()


def test_support_runs_in_the_eu_save_the_after_hours_fallback(demo):
    log = demo.log
    support = log[log.use_case == "support_chat"]
    assert set(support.region) == {"eu", "us"}
    us = support[support.region == "us"]
    assert 0.05 <= len(us) / len(support) <= 0.25
    hour = us.start.dt.hour
    assert ((hour >= 20) | (hour < 6)).all()
    # Other OpenAI work keeps the provider's default region.
    other = log[(log.use_case != "support_chat") & (log.provider == "openai")]
    assert set(other.region) == {"us"}


def test_volumes_per_day_and_unit(folder):
    v = read(folder, "volumes.csv")
    assert len(v) == 3 * DAYS
    assert set(v.unit) == {"resolved_ticket", "booking", "call"}
    booking = v[v.unit == "booking"]
    assert (booking.gross_profit < booking.revenue).all()
    assert (booking.currency == "USD").all()
    # Every ticket the bot saw was resolved in the end, plus tickets it never saw.
    o = read(folder, "outcomes.csv")
    tickets = o[o.use_case == "support_chat"].set_index("date").attempted
    resolved = v[v.unit == "resolved_ticket"].set_index("date").volume
    assert (resolved >= tickets.reindex(resolved.index)).all()


def test_value_files_ingest_without_quarantine(folder, tmp_path):
    con = tokenlib.open_ledger(tmp_path / "ledger.duckdb")
    try:
        got = [tokenlib.ingest_file(con, folder / name) for name in VALUE_FILES]
    finally:
        con.close()
    assert [s.source for s in got] == ["outcomes", "routes", "volumes"]
    assert all(s.quarantined == 0 and s.ingested == s.rows_read > 0 for s in got)
