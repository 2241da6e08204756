"""The maturity board: which metrics of each stage the loaded data supports."""

from __future__ import annotations

import pytest
from test_value import BIG, MINI, _outcome, _route, _usage

import tokenlib
from tokenlib.policy import Policy
from tokenlib.readiness import data_readiness, maturity_board


@pytest.fixture
def ledger(con):
    """Three gpt-4o requests: support 2.50 USD, docs 2.50, none 3.50.

    1M input each (2.50); the third adds 100k output (1.00).
    """
    _usage(con, "2026-11-03", BIG, "support", input=1_000_000)
    _usage(con, "2026-11-03", BIG, "docs", input=1_000_000)
    _usage(con, "2026-11-03", BIG, None, input=1_000_000, output=100_000)
    return con


def _status(board):
    return dict(zip(board["metric"], board["status"], strict=True))


def test_board_without_value_data(ledger):
    tokenlib.price_ledger(ledger)
    board = maturity_board(ledger)
    assert list(board.columns) == ["stage", "metric", "status", "missing"]
    assert _status(board) == {
        "total spend": "yes",
        "average daily spend": "yes",
        "cost per token, normalised": "yes",
        "cost per model": "yes",
        "input/output ratio": "yes",
        "cached ratio": "yes",
        "token-to-spend drift": "no",  # no bill
        "GPU utilisation": "no",
        "cost per use case": "partly",  # 5.00 of 8.50 names a use case
        "inference cost vs revenue": "no",
        "cost per verified outcome": "no",
        "route win rate": "no",
        "batch leverage": "no",
        "sovereignty hit rate": "no",
    }
    missing = dict(zip(board["metric"], board["missing"], strict=True))
    assert missing["total spend"] == ""
    assert missing["route win rate"] == (
        "routing evidence with served and reference scores"
    )
    assert board["stage"].unique().tolist() == [
        "1 spend visibility",
        "2 economics",
        "3 value",
    ]


def test_board_with_outcomes_routes_and_a_policy(ledger):
    # support has outcomes and revenue, docs has none: 2.50 of 5.00 -> partly
    _outcome(ledger, "2026-11-03", "support", 2, 1, 10, "USD")
    _route(ledger, "2026-11-03 01:00", MINI, (0.9, 0.9))
    ledger.execute(
        "INSERT INTO activity (record_id, source, source_file, start, metric, "
        "value) VALUES (uuid(), 'dcgm', 'gpu.csv', TIMESTAMPTZ '2026-11-03', "
        "'gpu_utilisation', 0.6)"
    )
    tokenlib.price_ledger(ledger)
    policy = Policy(
        batch_eligible=("docs",),
        residency=({"use_case": "support", "allowed": ["eu-*"]},),
    )
    status = _status(maturity_board(ledger, policy))
    assert status["cost per verified outcome"] == "partly"
    assert status["inference cost vs revenue"] == "partly"
    assert status["route win rate"] == "yes"
    assert status["batch leverage"] == "yes"  # docs ran, none of it in batch
    # support has spend but no region: the hit rate is 0, and computable
    assert status["sovereignty hit rate"] == "yes"
    assert status["GPU utilisation"] == "yes"
    ready = data_readiness(ledger)
    row = ready[ready["figure"] == "cost per outcome"].iloc[0]
    assert (row["ready"], row["evidence"]) == (
        "partly",
        "outcomes reported for 50% of use-case cost",
    )


def test_gpu_charges_alone_are_partly(con):
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "billed_cost, currency, record_type, service_category, service_name) "
        "VALUES (uuid(), 'focus', 'bill.csv', TIMESTAMPTZ '2026-11-03', 'bucket', "
        "100, 'USD', 'charge', 'AI and Machine Learning', 'GPU instances')"
    )
    tokenlib.price_ledger(con)
    assert _status(maturity_board(con))["GPU utilisation"] == "partly"
