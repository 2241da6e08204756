"""Tests for tokenlib.demo: reproducible, realistic and readable demo files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import genai_prices
import pandas as pd
import pytest

import tokenlib
from tokenlib.demo import DEMO_FILES, write_demo
from tokenlib.errors import ParameterError

DAYS = 7
UNKNOWN = ("internal", "acme-llm-7b")
# Bedrock list price of Claude 3.5 Haiku, us-east-1, USD per 1,000 tokens.
BEDROCK_PER_1K = {"input": Decimal("0.0008"), "output": Decimal("0.004")}
TOKENS = [
    "input_tokens",
    "cache_read_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo(tmp_path_factory.mktemp("demo"), days=DAYS)


@pytest.fixture(scope="module")
def log(demo: list[Path]) -> pd.DataFrame:
    return pd.read_parquet(demo[0])


@pytest.fixture(scope="module")
def usage(demo: list[Path]) -> dict:
    return json.loads(demo[1].read_text())


@pytest.fixture(scope="module")
def focus(demo: list[Path]) -> pd.DataFrame:
    return pd.read_csv(demo[2], dtype=str, keep_default_na=False)


def test_writes_the_named_files(demo: list[Path]) -> None:
    assert [p.name for p in demo] == list(DEMO_FILES)
    assert all(p.stat().st_size > 0 for p in demo)


def test_same_seed_gives_identical_files(demo: list[Path], tmp_path: Path) -> None:
    again = write_demo(tmp_path, days=DAYS)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in demo]


def test_other_seed_differs_in_every_file(demo: list[Path], tmp_path: Path) -> None:
    other = write_demo(tmp_path, seed=8, days=DAYS)
    for a, b in zip(demo, other, strict=True):
        assert a.read_bytes() != b.read_bytes(), a.name


def test_days_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="days=0"):
        write_demo(tmp_path, days=0)


def test_request_log_covers_the_days_before_end(log: pd.DataFrame) -> None:
    assert str(log.start.dt.tz) == "UTC"
    days = log.start.dt.strftime("%Y-%m-%d")
    assert days.min() == "2026-11-24" and days.max() == "2026-11-30"
    assert days.nunique() == DAYS
    assert log.request_id.is_unique


def test_request_volume_is_a_few_thousand_a_day(log: pd.DataFrame) -> None:
    per_day = log.groupby(log.start.dt.normalize()).size()
    assert per_day.between(1_000, 4_500).all()
    weekend = per_day.index.day_of_week >= 5
    assert per_day[~weekend].mean() > 1.5 * per_day[weekend].mean()


def test_no_negative_tokens_and_reasoning_inside_output(log: pd.DataFrame) -> None:
    assert (log[TOKENS] >= 0).all().all()
    assert (log.reasoning_tokens <= log.output_tokens).all()
    reasoning = log[log.reasoning_tokens > 0].use_case.unique()
    assert list(reasoning) == ["analytics_agent"]


def test_cache_writes_only_on_anthropic(log: pd.DataFrame) -> None:
    writes = log.cache_write_5m_tokens + log.cache_write_1h_tokens
    assert set(log[writes > 0].provider) == {"anthropic"}


def test_coding_assistant_reads_far_more_than_it_writes(log: pd.DataFrame) -> None:
    code = log[log.use_case == "coding_assistant"]
    read = code[TOKENS[:4]].sum(axis=1)
    assert read.median() > 10 * code.output_tokens.median()
    assert code.cache_read_tokens.sum() > code.input_tokens.sum()


def test_batch_rows_only_for_the_batch_use_case(log: pd.DataFrame) -> None:
    batch = log.service_tier == "batch"
    assert set(log[batch].use_case) == {"doc_summarisation"}
    assert batch[log.use_case == "doc_summarisation"].all()


def test_unowned_share_is_small_but_present(log: pd.DataFrame) -> None:
    assert 0.01 <= log.team.isna().mean() <= 0.15


def test_sessions_hold_several_requests_of_one_user(log: pd.DataFrame) -> None:
    per_session = log.groupby("session")
    assert per_session.size().mean() > 2
    assert (per_session.user.nunique(dropna=False) == 1).all()
    assert 20 <= log.user.nunique() <= 30


def test_openai_export_is_daily_buckets_of_cached_input(usage: dict) -> None:
    assert usage["object"] == "page" and usage["has_more"] is False
    assert len(usage["data"]) == DAYS
    results = [r for b in usage["data"] for r in b["results"]]
    for b in usage["data"]:
        assert b["start_time"] % 86_400 == 0
        assert b["end_time"] - b["start_time"] == 86_400
    assert all(r["input_tokens"] >= r["input_cached_tokens"] >= 0 for r in results)
    assert all(r["project_id"] is None and r["user_id"] is None for r in results)
    assert 8 <= len(results) / DAYS <= 16


def demo_models(log: pd.DataFrame, usage: dict) -> set[tuple[str, str]]:
    """Every (provider, model) pair in the request log and the OpenAI export."""
    pairs = set(zip(log.provider, log.model, strict=True))
    return pairs | {("openai", r["model"]) for b in usage["data"] for r in b["results"]}


def test_every_model_but_the_unknown_one_is_priced(
    log: pd.DataFrame, usage: dict
) -> None:
    pairs = demo_models(log, usage)
    assert UNKNOWN in pairs
    tokens = genai_prices.Usage(input_tokens=1000, output_tokens=100)
    for provider, model in pairs - {UNKNOWN}:
        price = genai_prices.calc_price(tokens, model, provider_id=provider)
        assert price.total_price > 0, (provider, model)
    with pytest.raises(LookupError):
        genai_prices.calc_price(tokens, UNKNOWN[1], provider_id=UNKNOWN[0])


def test_focus_token_cost_is_list_price_then_regional_premium(
    focus: pd.DataFrame,
) -> None:
    tokens = focus[focus.ConsumedUnit == "Tokens"]
    assert len(tokens) == 2 * DAYS
    days = sorted(tokens.ChargePeriodStart.unique())
    switch = days[DAYS * 2 // 3]  # two thirds into the period
    for _, row in tokens.iterrows():
        way = "output" if row.SkuMeter.endswith("-output-tokens") else "input"
        listed = Decimal(row.ConsumedQuantity) * BEDROCK_PER_1K[way] / 1000
        premium = 1.10 if row.ChargePeriodStart >= switch else 1.0
        assert Decimal(row.ListCost) == listed, row.SkuMeter
        assert float(row.BilledCost) == pytest.approx(float(listed) * premium)
        assert row.EffectiveCost == row.BilledCost


def test_focus_has_other_charges_and_one_credit(focus: pd.DataFrame) -> None:
    assert {"Compute", "Storage"} <= set(focus.ServiceCategory)
    credit = focus[focus.ChargeCategory == "Credit"]
    assert len(credit) == 1 and Decimal(credit.BilledCost.iloc[0]) < 0
    assert focus.ChargePeriodStart.str.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z").all()
    tags = focus.Tags[focus.ServiceName == "Amazon Bedrock"].iloc[0]
    assert {"team", "application"} <= set(json.loads(tags))


# Claude Code telemetry: read by readers being written on another branch.


def test_every_file_ingests_without_quarantine(
    demo: list[Path], tmp_path: Path
) -> None:
    con = tokenlib.open_ledger(tmp_path / "ledger.duckdb")
    try:
        summaries = [tokenlib.ingest_file(con, p) for p in demo]
    finally:
        con.close()
    sources = [s.source for s in summaries]
    assert sources[:3] == ["request_log", "openai_usage", "focus"]
    assert sources[-4:] == ["anthropic_cost", "outcomes", "routes", "volumes"]
    assert all(s.quarantined == 0 and s.ingested == s.rows_read for s in summaries)
