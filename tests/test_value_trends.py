"""The consumption metrics week by week, worked by hand.

claude-sonnet-4-5 list prices: input 3, cache read 0.30 USD per million
(requests stay under 200,000 input tokens, below the long-context tier).
"""

from __future__ import annotations

import math

import pytest

import tokenlib
from tokenlib.policy import Policy
from tokenlib.value_trends import value_trends

POLICY = Policy(
    batch_eligible=("docs",),
    residency=({"use_case": "support", "allowed": ["eu*"]},),
)


def _usage(con, day, use_case, region=None, team=None, tier="standard",
           requests=1, **tokens):  # fmt: skip
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, service_tier, region, input_tokens, cache_read_tokens, requests, "
        "record_type, use_case, team) VALUES (uuid(), 'request_log', 'log.csv', "
        "CAST(? AS TIMESTAMPTZ), 'request', 'anthropic', 'claude-sonnet-4-5', ?, ?, "
        "?, ?, ?, 'usage', ?, ?)",
        [day, tier, region, tokens.get("input", 0), tokens.get("cache_read", 0),
         requests, use_case, team],
    )  # fmt: skip


def test_weekly_consumption_metrics(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    # Week of Mon 1 June: support in eu-west-1, owned by web:
    # 100k input x 3 + 50k cache read x 0.30 per million = 0.315 USD;
    # 5 of 10 verified.
    _usage(con, "2026-06-01 10:00:00+00", "support", "eu-west-1", "web",
           input=100_000, cache_read=50_000)  # fmt: skip
    con.execute(
        'INSERT INTO outcomes (record_id, source, source_file, start, "end", '
        "use_case, attempted, verified) VALUES (uuid(), 'outcomes', 'o.csv', "
        "TIMESTAMPTZ '2026-06-02 00:00:00+00', TIMESTAMPTZ '2026-06-03 00:00:00+00', "
        "'support', 10, 5)"
    )
    # Week of 8 June: support in us (a miss), no owner; docs 2 requests in
    # batch and 2 standard (1,000 input tokens each row).
    _usage(con, "2026-06-08 10:00:00+00", "support", "us", input=100_000)
    _usage(con, "2026-06-09 10:00:00+00", "docs", tier="batch", requests=2,
           input=1000)  # fmt: skip
    _usage(con, "2026-06-09 11:00:00+00", "docs", requests=2, input=1000)
    tokenlib.price_ledger(con)
    got = value_trends(con, POLICY).set_index("week")
    first, second = got.iloc[0], got.iloc[1]
    assert [str(w) for w in got.index] == ["2026-06-01", "2026-06-08"]
    assert first["cost_per_verified_outcome"] == pytest.approx(0.315 / 5)
    assert math.isnan(second["cost_per_verified_outcome"])  # no outcomes
    assert first["cached_ratio"] == pytest.approx(50_000 / 150_000)
    assert second["cached_ratio"] == 0
    assert (first["sovereignty_hit_rate"], second["sovereignty_hit_rate"]) == (1, 0)
    assert math.isnan(first["batch_request_share"])  # no eligible work
    assert second["batch_request_share"] == pytest.approx(0.5)
    assert (first["direct_allocation_pct"], second["direct_allocation_pct"]) == (
        100,
        0,
    )
    assert got["route_win_rate"].isna().all()  # no routing evidence


def test_trend_panels_draw_shares_as_percentages():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "week": pd.to_datetime(["2026-06-01"]),
            "cost_per_verified_outcome": [0.5],
            "direct_allocation_pct": [90.0],
            "route_win_rate": [0.6],
            "cached_ratio": [0.25],
            "batch_request_share": [float("nan")],
            "sovereignty_hit_rate": [1.0],
        }
    )
    panels = tokenlib.trend_panels(frame, "EUR", Policy(route_target=0.8))
    got = {p["title"]: (list(p["value"]), p["unit"]) for p in panels}
    assert got["Cost per verified outcome"] == ([0.5], "EUR")
    assert got["Route win rate"] == ([60.0], "%")
    assert got["Direct-allocation %"] == ([90.0], "%")
    assert panels[2]["target"] == 80.0
