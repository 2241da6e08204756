"""Value metrics worked by hand.

List prices (genai-prices, in force in November 2026), USD per million
tokens, standard tier: gpt-4o input 2.50, cache read 1.25, cache write
2.50, output 10; gpt-4o-mini input 0.15, cache read 0.075, output 0.60.
gpt-4o at the batch tier: input 1.25, cache write 1.25.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import tokenlib
from tokenlib import value
from tokenlib.policy import Policy

MINI, BIG = "gpt-4o-mini", "gpt-4o"


def _charge(con, day, cost, currency, use_case):
    """An AI charge of ``cost`` (a bill row: no tokens)."""
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "billed_cost, currency, record_type, service_category, use_case) "
        "VALUES (uuid(), 'focus', 'bill.csv', CAST(? AS TIMESTAMPTZ), 'bucket', "
        "?, ?, 'charge', 'AI and Machine Learning', ?)",
        [day, cost, currency, use_case],
    )


def _usage(con, day, model, use_case, tier=None, region=None, requests=1, **tok):
    """One OpenAI request of ``model`` with tokens by class."""
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, service_tier, region, input_tokens, cache_read_tokens, "
        "cache_write_5m_tokens, output_tokens, requests, record_type, use_case) "
        "VALUES (uuid(), 'request_log', 'r.csv', CAST(? AS TIMESTAMPTZ), 'request', "
        "'openai', ?, ?, ?, ?, ?, ?, ?, ?, 'usage', ?)",
        [
            day,
            model,
            tier,
            region,
            tok.get("input", 0),
            tok.get("cache_read", 0),
            tok.get("cache_write", 0),
            tok.get("output", 0),
            requests,
            use_case,
        ],
    )


def _outcome(con, day, use_case, attempted, verified, value=None, currency=None):
    """Outcomes of one use case on one whole UTC day (a ``date`` row)."""
    con.execute(
        'INSERT INTO outcomes (record_id, source, source_file, start, "end", '
        "use_case, attempted, verified, value, currency) VALUES (uuid(), "
        "'outcomes', 'o.csv', CAST(? AS TIMESTAMPTZ), "
        "CAST(? AS TIMESTAMPTZ) + INTERVAL 1 DAY, ?, ?, ?, ?, ?)",
        [day, day, use_case, attempted, verified, value, currency],
    )


def _route(con, day, served, scores, candidate=None, **tok):
    """A route row: ``scores`` is (served, reference[, candidate]); gpt-4o is
    the reference. Tokens default to 1M input and 100k output."""
    served_score, reference_score, *cand = scores
    con.execute(
        "INSERT INTO routes (record_id, source, source_file, start, use_case, "
        "request_id, provider, served_model, reference_model, candidate_model, "
        "served_score, reference_score, candidate_score, input_tokens, "
        "output_tokens) VALUES (uuid(), 'routes', 'routes.csv', "
        "CAST(? AS TIMESTAMPTZ), 'support', ?, 'OpenAI', ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            day,
            f"req-{day[-5:]}",
            served,
            BIG,
            candidate,
            served_score,
            reference_score,
            cand[0] if cand else None,
            tok.get("input", 1_000_000),
            tok.get("output", 100_000),
        ],
    )


def _rows(frame, *columns):
    return [tuple(r) for r in frame[list(columns)].itertuples(index=False)]


@pytest.fixture
def outcomes(con):
    """Charges per use case and outcomes, over the week of 2 November."""
    for use_case, cost, currency in [
        ("support", 10, "USD"),
        ("docs", 6, "USD"),
        ("pilot", 1, "USD"),
        ("search", 4, "EUR"),  # spend, no outcomes
        ("intl", 2, "USD"),  # spend in two currencies
        ("intl", 3, "EUR"),
    ]:
        _charge(con, "2026-11-03 12:00", cost, currency, use_case)
    _outcome(con, "2026-11-02", "support", 6, 5, 30, "USD")
    _outcome(con, "2026-11-03", "support", 4, 3, 10, "USD")
    _outcome(con, "2026-11-10", "support", 100, 0)  # after the period
    _outcome(con, "2026-11-03", "docs", 4, 3, 12, "EUR")
    _outcome(con, "2026-11-03", "pilot", 3, 0)  # nothing verified
    _outcome(con, "2026-11-03", "intl", 2, 2)
    _outcome(con, "2026-11-03", "legal", 5, 5, 7, "USD")  # outcomes, no spend
    tokenlib.price_ledger(con, start=date(2026, 11, 2), end=date(2026, 11, 9))
    return con


def test_cost_per_verified_outcome(outcomes):
    frame = value.cost_per_verified_outcome(outcomes)
    got = {(r.use_case, r.currency): r for r in frame.itertuples()}
    # support: 6+4 attempted, 5+3 verified (the 10 November row is outside
    # the period); 10 / 8 = 1.25; unverified 10 x (10-8)/10 = 2.0, 20%.
    s = got["support", "USD"]
    assert (s.attempted, s.verified, s.cost) == (10, 8, 10)
    assert s.cost_per_verified == pytest.approx(1.25)
    assert s.unverified_cost == pytest.approx(2.0)
    assert s.unverified_share == pytest.approx(0.2)
    # docs: 6 / 3 = 2.0; unverified 6 x 1/4 = 1.5
    assert got["docs", "USD"].cost_per_verified == pytest.approx(2.0)
    assert got["docs", "USD"].unverified_cost == pytest.approx(1.5)
    # pilot: nothing verified, so no cost per outcome; all of its 1.0 unverified
    assert got["pilot", "USD"].reason == "no verified outcome"
    assert got["pilot", "USD"].unverified_cost == pytest.approx(1.0)
    # Total USD over support, docs, pilot: 17 / (8+3+0) and 4.5 / 17 unverified.
    total = got["(total)", "USD"]
    assert total.cost == 17
    assert total.cost_per_verified == pytest.approx(17 / 11)
    assert total.unverified_share == pytest.approx(4.5 / 17)
    # No EUR total: no EUR-only use case has outcomes; nothing is added across.
    assert ("(total)", "EUR") not in got
    assert got["search", "EUR"].reason == "no outcomes reported for this use case"
    assert got["intl", "USD"].reason.startswith("spend in 2 currencies")
    assert pd.isna(got["intl", "EUR"].cost_per_verified)
    legal = frame[frame["use_case"] == "legal"].iloc[0]
    assert legal["reason"] == "no spend for this use case in the period"
    assert pd.isna(legal["currency"]) and legal["verified"] == 5
    assert set(frame["basis"]) == {"token cost"}


def test_cost_vs_revenue_only_within_a_currency(outcomes):
    frame = value.cost_vs_revenue(outcomes)
    got = {(r.use_case, r.currency): r for r in frame.itertuples()}
    # support: revenue 30 + 10 = 40 USD against 10 USD: ratio 0.25, margin 0.75.
    assert got["support", "USD"].revenue == 40
    assert got["support", "USD"].ratio == pytest.approx(0.25)
    assert got["support", "USD"].gross_margin == pytest.approx(0.75)
    # docs: cost in USD, revenue in EUR: never set against each other.
    assert got["docs", "USD"].reason == "no revenue in USD"
    assert got["docs", "EUR"].reason == "no spend in EUR"
    assert got["legal", "USD"].reason == "no spend in USD"
    # Totals cover only use cases with both in the currency: support alone.
    assert (got["(total)", "USD"].cost, got["(total)", "USD"].revenue) == (10, 40)
    assert ("(total)", "EUR") not in got


def test_cost_per_use_case_direct_plus_allocated(con):
    _charge(con, "2026-11-03", 6, "USD", "support")
    _charge(con, "2026-11-03", 2, "USD", "docs")
    _charge(con, "2026-11-03", 4, "USD", None)
    _charge(con, "2026-11-03", 4, "EUR", "search")
    _charge(con, "2026-11-03", 1, "EUR", " ")  # blank: no use case
    tokenlib.price_ledger(con)
    frame = value.cost_per_use_case(con)
    # USD pool 4 split 6:2 -> support 3, docs 1; EUR pool 1 all to search.
    assert _rows(frame, "use_case", "currency", "direct", "allocated", "cost") == [
        ("search", "EUR", 4.0, 1.0, 5.0),
        ("support", "USD", 6.0, 3.0, 9.0),
        ("docs", "USD", 2.0, 1.0, 3.0),
    ]


def test_value_per_token(con):
    # support: 1,000,000 input + 250,000 output = 1.25 M tokens, value 40 USD
    _usage(con, "2026-11-03", MINI, "support", input=1_000_000, output=250_000)
    _usage(con, "2026-11-03", MINI, "docs", input=500_000)
    _outcome(con, "2026-11-03", "support", 1, 1, 40, "USD")
    _outcome(con, "2026-11-03", "legal", 1, 1, 10, "EUR")
    tokenlib.price_ledger(con)
    frame = value.value_per_token(con)
    got = {r.use_case: r for r in frame.itertuples()}
    # 40 / 1,250,000 = 0.000032 per token, 32 per million
    assert got["support"].value_per_token == pytest.approx(3.2e-5)
    assert got["support"].value_per_mtok == pytest.approx(32)
    assert got["docs"].reason == "no value reported for this use case"
    assert got["legal"].reason == "no tokens for this use case"
    assert got["(total)"].value_per_mtok == pytest.approx(32)
    assert got["(total)"].currency == "USD"


def test_outcome_dates_keep_their_day_in_another_zone(con):
    _charge(con, "2026-11-02 12:00", 8, "USD", "support")
    _outcome(con, "2026-11-02", "support", 4, 4)  # a date: 2 Nov wherever
    for hour, n in (("2026-11-03 02:00", 2), ("2026-11-03 06:00", 100)):
        # 02:00 UTC is 21:00 on 2 Nov in New York (in); 06:00 is 3 Nov (out)
        con.execute(
            "INSERT INTO outcomes (record_id, source, source_file, start, "
            "use_case, attempted, verified) VALUES (uuid(), 'outcomes', 'o.csv', "
            "CAST(? AS TIMESTAMPTZ), 'support', ?, ?)",
            [hour, n, n],
        )
    tokenlib.price_ledger(
        con, tz="America/New_York", start=date(2026, 11, 2), end=date(2026, 11, 3)
    )
    frame = value.cost_per_verified_outcome(con)
    row = frame[frame["use_case"] == "support"].iloc[0]
    # 4 + 2 verified; 8 / 6
    assert row["verified"] == 6
    assert row["cost_per_verified"] == pytest.approx(8 / 6)


@pytest.fixture
def routed(con):
    """Route rows of 1M input and 100k output tokens.

    At gpt-4o: 2.5 + 1.0 = 3.50 USD; at gpt-4o-mini: 0.15 + 0.06 = 0.21 USD;
    a win saves 3.50 - 0.21 = 3.29. gpt-4o-mini is not in the ledger: its
    price comes from the same catalogue.
    """
    _usage(con, "2026-11-03", BIG, "support", input=1000)
    _route(con, "2026-11-03 01:00", MINI, (0.90, 0.90))  # win
    _route(con, "2026-11-03 02:00", MINI, (0.88, 0.90))  # win at the edge
    _route(con, "2026-11-03 03:00", MINI, (0.87, 0.90))  # loss
    _route(con, "2026-11-10 04:00", BIG, (0.90, 0.90, 0.89), MINI)  # would win
    _route(con, "2026-11-10 05:00", BIG, (0.90, 0.90, 0.50), MINI)  # would lose
    _route(con, "2026-11-10 06:00", MINI, (None, None))  # not evaluated
    _route(con, "2026-11-10 07:00", MINI, (0.95, None))  # not evaluated
    tokenlib.price_ledger(con)
    return con


def test_route_win_rate(routed):
    policy = Policy(quality_tolerance=0.02, route_target=0.7)
    row = value.route_win_rate(routed, policy).iloc[0]
    # 7 rows, 2 without both scores; of 5 evaluated: 3 routed, 2 wins (0.88 is
    # exactly 0.90 - 0.02), 1 loss, 1 of the 2 not routed would win.
    assert (row["rows"], row["not_evaluated"], row["evaluated"]) == (7, 2, 5)
    assert (row["routed"], row["wins"], row["losses"]) == (3, 2, 1)
    assert row["win_rate"] == pytest.approx(2 / 5)
    assert row["loss_rate"] == pytest.approx(1 / 5)
    assert row["opportunity"] == pytest.approx(1 / 5)
    assert row["money_saved"] == pytest.approx(2 * 3.29)
    assert row["opportunity_saving"] == pytest.approx(3.29)
    assert (row["target"], row["currency"], row["unpriced"]) == (0.7, "USD", 0)
    assert row["reason"] is None
    # Adding mini to the price book leaves the ledger's spend as it was:
    # 1,000 input tokens of gpt-4o at 2.50 per million.
    assert tokenlib.total_spend(routed)["cost"].tolist() == pytest.approx([0.0025])


def test_route_tolerance_zero_makes_the_edge_a_loss(routed):
    row = value.route_win_rate(routed, Policy()).iloc[0]
    # Only 0.90 against 0.90 wins; 0.89 candidate no longer would win.
    assert (row["wins"], row["losses"], row["would_win"]) == (1, 2, 0)
    assert row["money_saved"] == pytest.approx(3.29)


def test_route_trend_by_week_and_losses(routed):
    policy = Policy(quality_tolerance=0.02)
    trend = value.route_win_rate(routed, policy, by="week")
    # Week of 2 Nov: 2 wins of 3; week of 9 Nov: 0 of 2 evaluated, 1 would win.
    assert _rows(trend, "week", "evaluated", "wins", "would_win") == [
        (pd.Timestamp("2026-11-02"), 3, 2, 0),
        (pd.Timestamp("2026-11-09"), 2, 0, 1),
    ]
    assert trend["win_rate"].tolist() == pytest.approx([2 / 3, 0.0])
    losses = value.route_losses(routed, policy)
    assert _rows(losses, "served_model", "served_score", "reference_score") == [
        (MINI, 0.87, 0.90)
    ]
    assert losses["shortfall"].iloc[0] == pytest.approx(0.03)


def test_route_unknown_model_is_unpriced_not_free(con):
    _route(con, "2026-11-03 01:00", "acme-tiny-9", (0.9, 0.9))
    _route(con, "2026-11-03 02:00", MINI, (0.9, 0.9))
    tokenlib.price_ledger(con)
    row = value.route_win_rate(con, Policy()).iloc[0]
    # Two wins; only the priced one's 3.29 counts, the other is flagged.
    assert (row["wins"], row["unpriced"]) == (2, 1)
    assert row["money_saved"] == pytest.approx(3.29)


def test_route_without_evidence_says_why(con):
    tokenlib.price_ledger(con)
    row = value.route_win_rate(con, Policy()).iloc[0]
    assert row["evaluated"] == 0 and pd.isna(row["win_rate"])
    assert row["reason"] == "no routing evidence in the period"


@pytest.fixture
def levers(con):
    """Four gpt-4o requests on 3 November, each 1M uncached input.

    support/eu: + 1M cache reads: 2.50 + 1.25 = 3.75 USD
    support/no region: 2.50 USD
    docs/batch: + 1M cache writes at batch: 1.25 + 1.25 = 2.50 USD
      (at standard: 2.50 + 2.50 = 5.00, so batch saved 2.50)
    docs/standard: 2.50 USD
    """
    _usage(con, "2026-11-03", BIG, "support", region="EU-West-1",
           input=1_000_000, cache_read=1_000_000)  # fmt: skip
    _usage(con, "2026-11-03", BIG, "support", input=1_000_000)
    _usage(con, "2026-11-03", BIG, "docs", tier="batch",
           input=1_000_000, cache_write=1_000_000)  # fmt: skip
    _usage(con, "2026-11-03", BIG, "docs", input=1_000_000)
    _usage(con, "2026-11-03", BIG, "chat", region="us-east-1", input=1_000_000)
    tokenlib.price_ledger(con)
    return con


def test_cache_leverage(levers):
    row = value.cache_leverage(levers).iloc[0]
    # all input: 5M uncached + 1M read + 1M written = 7M; 1M read -> 1/7
    assert row["cached_ratio"] == pytest.approx(1 / 7)
    # 1M reads x (2.50 - 1.25) = 1.25; the write was at batch, where the
    # write price equals input (1.25): no premium
    assert row["gross_saving"] == pytest.approx(1.25)
    assert row["write_premium"] == pytest.approx(0.0)
    assert row["net_saving"] == pytest.approx(1.25)
    assert row["currency"] == "USD"


def test_cache_leverage_net_of_the_write_premium(con):
    # 1M cache writes at standard: (2.50 - 2.50) premium on gpt-4o is nil;
    # so take mini's reads only: 2M reads x (0.15 - 0.075) = 0.15
    _usage(con, "2026-11-03", MINI, "x", input=1_000_000, cache_read=2_000_000)
    tokenlib.price_ledger(con)
    row = value.cache_leverage(con).iloc[0]
    assert row["cached_ratio"] == pytest.approx(2 / 3)
    assert row["net_saving"] == pytest.approx(0.15)


def test_batch_leverage(levers):
    policy = Policy(batch_eligible=("docs", "support", "legal"))
    frame = value.batch_leverage(levers, policy)
    got = {r.use_case: r for r in frame.itertuples()}
    # docs: 1 of 2 requests in batch; tokens 2M of 3M; saved 5.00 - 2.50
    assert got["docs"].batch_request_share == pytest.approx(0.5)
    assert got["docs"].batch_token_share == pytest.approx(2 / 3)
    assert got["docs"].batch_saving == pytest.approx(2.5)
    # support is eligible but ran nothing in batch: 0%, not null
    assert got["support"].batch_request_share == 0.0
    assert got["support"].batch_saving == 0.0
    assert got["legal"].reason == "no spend for this use case in the period"
    # all eligible: 1 of 4 requests; 2M of 3M + 3M = 6M tokens; 2.50 saved
    assert got["(all eligible)"].batch_request_share == pytest.approx(0.25)
    assert got["(all eligible)"].batch_token_share == pytest.approx(2 / 6)
    assert got["(all eligible)"].batch_saving == pytest.approx(2.5)


def test_batch_leverage_with_nothing_eligible_is_null(levers):
    frame = value.batch_leverage(levers, Policy())
    assert frame[["use_case", "reason"]].to_dict("records") == [
        {"use_case": None, "reason": "no use case is batch-eligible"}
    ]
    # The usual columns are there, empty, so a table of it still shows.
    assert frame.drop(columns=["use_case", "reason"]).isna().all(axis=None)
    assert "batch_saving" in frame


RESIDENCY = Policy(residency=({"use_case": "support", "allowed": ["eu-*"]},))


def test_sovereignty_counts_a_missing_region_as_a_miss(levers):
    frame = value.sovereignty(levers, RESIDENCY)
    # support: 2 requests, 1 in EU-West-1 (case ignored) -> 0.5;
    # spend 3.75 of 3.75 + 2.50 = 6.25 -> 0.6. chat and docs are not regulated.
    assert _rows(frame, "use_case", "measure", "total", "in_zone") == [
        ("support", "requests", 2.0, 1.0),
        ("support", "spend", 6.25, 3.75),
        ("(all regulated)", "requests", 2.0, 1.0),
        ("(all regulated)", "spend", 6.25, 3.75),
    ]
    assert frame["hit_rate"].tolist() == pytest.approx([0.5, 0.6, 0.5, 0.6])
    assert frame["currency"].tolist()[1] == "USD"
    exceptions = value.sovereignty_exceptions(levers, RESIDENCY)
    assert _rows(exceptions, "use_case", "region", "requests", "reason") == [
        ("support", "(unknown region)", 1, "unknown region")
    ]
    assert exceptions["cost"].iloc[0] == pytest.approx(2.5)


def test_sovereignty_with_nothing_regulated_is_null(levers):
    frame = value.sovereignty(levers, Policy())
    assert frame[["use_case", "reason"]].to_dict("records") == [
        {"use_case": None, "reason": "no workload is regulated in the policy"}
    ]
    assert frame.drop(columns=["use_case", "reason"]).isna().all(axis=None)
    assert "hit_rate" in frame
    assert value.sovereignty_exceptions(levers, Policy()).empty


def test_summary_value(levers):
    policy = Policy(batch_eligible=("docs",), residency=RESIDENCY.residency)
    got = value.summary_value(levers, "USD", policy)
    assert got["cache_leverage"] == pytest.approx(1 / 7)
    assert got["batch_leverage"] == pytest.approx(0.5)
    assert got["sovereignty_hit_rate"] == pytest.approx(0.5)
    assert got["cost_per_verified_outcome"] is None
    assert got["route_win_rate"] is None
    assert got["value_notes"] == [
        "cost_per_verified_outcome: no outcomes reported in the period",
        "route_win_rate: no routing evidence in the period",
    ]
    # A cached ratio the caller has is used as it is, not computed again.
    given = value.summary_value(levers, "USD", policy, cached_ratio=0.25)
    assert given["cache_leverage"] == 0.25


def test_summary_value_reads_the_report_currency(outcomes):
    got = value.summary_value(outcomes, "USD", Policy())
    assert got["cost_per_verified_outcome"] == pytest.approx(17 / 11)
    assert "batch_leverage: no use case is batch-eligible" in got["value_notes"]
    assert (
        "sovereignty_hit_rate: no workload is regulated in the policy"
        in got["value_notes"]
    )
    eur = value.summary_value(outcomes, "EUR", Policy())
    assert eur["cost_per_verified_outcome"] is None
