"""Tests on the real public exports in ../shared/data/real/ (beside the repo).

Each test ingests one real file and checks the ledger against totals worked
out here with the csv and json modules, never with tokenlib. The folder's
README describes the files (origin, licence, the cut that was kept).
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import REAL_DATA as REAL

import tokenlib

if not REAL.is_dir():
    pytest.skip(
        f"{REAL} is absent (a user's fresh clone); CI and developers have it",
        allow_module_level=True,
    )

AZURE_CODE = REAL / "azure_llm_inference_trace_2023_code_1815-1845.csv"
OPENAI = REAL / "openai_usage_api_completions_daily_2025-01-11_to_01-25.json"
FOCUS = REAL / "focus_1.0_sample_charges_2024-09-01_to_09-20.csv"
AI = "AI and Machine Learning"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    con = tokenlib.open_ledger(tmp_path_factory.mktemp("real") / "ledger.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def summaries(con) -> dict[str, tokenlib.IngestSummary]:
    """Ingest the three files once, format detected from their content."""
    return {p.name: tokenlib.ingest_file(con, p) for p in (AZURE_CODE, OPENAI, FOCUS)}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchone()


# --- Azure LLM inference trace (code) ---------------------------------------------


def test_azure_trace_is_ingested_whole_without_quarantine(summaries):
    s = summaries[AZURE_CODE.name]
    assert (s.source, s.rows_read, s.ingested, s.duplicate, s.quarantined) == (
        "request_log",
        5100,
        5100,
        0,
        0,
    )


def test_azure_trace_token_sums_match_the_file(con, summaries):
    records = read_csv(AZURE_CODE)
    assert len(records) == 5100
    context = sum(int(r["ContextTokens"]) for r in records)
    generated = sum(int(r["GeneratedTokens"]) for r in records)
    got = one(
        con,
        "SELECT count(*), sum(input_tokens), sum(output_tokens), "
        "sum(cache_read_tokens), sum(requests) FROM ledger "
        "WHERE source = 'request_log'",
    )
    assert got == (5100, context, generated, 0, 5100)


def test_azure_trace_times_are_utc_and_within_the_cut(con, summaries):
    stamps = [r["TIMESTAMP"] for r in read_csv(AZURE_CODE)]

    def parse(text: str) -> datetime:
        # Seven fraction digits; the ledger keeps microseconds.
        day, frac = text.split(".")
        return datetime.fromisoformat(f"{day}.{frac[:6]}").replace(tzinfo=UTC)

    got = one(
        con, "SELECT min(start), max(start) FROM ledger WHERE source = 'request_log'"
    )
    assert got == (min(map(parse, stamps)), max(map(parse, stamps)))
    # The README's cut: every request before 2023-11-16 18:45 UTC.
    assert got[1] < datetime(2023, 11, 16, 18, 45, tzinfo=UTC)


# --- OpenAI Usage API export ------------------------------------------------------


def test_openai_export_reads_every_non_empty_bucket(summaries):
    buckets = json.loads(OPENAI.read_text())
    results = sum(len(b["results"]) for b in buckets)
    assert (len(buckets), results) == (15, 14)  # one bucket is empty
    s = summaries[OPENAI.name]
    assert (s.source, s.rows_read, s.ingested, s.quarantined) == (
        "openai_usage",
        results,
        results,
        0,
    )


def test_openai_input_is_uncached_and_cache_reads_kept_apart(con, summaries):
    results = [r for b in json.loads(OPENAI.read_text()) for r in b["results"]]
    uncached = sum(r["input_tokens"] - r["input_cached_tokens"] for r in results)
    cached = sum(r["input_cached_tokens"] for r in results)
    output = sum(r["output_tokens"] for r in results)
    requests = sum(r["num_model_requests"] for r in results)
    got = one(
        con,
        "SELECT sum(input_tokens), sum(cache_read_tokens), "
        "sum(output_tokens), sum(requests), sum(reasoning_tokens) "
        "FROM ledger WHERE source = 'openai_usage'",
    )
    assert got == (uncached, cached, output, requests, 0)
    assert cached > 0, "the cut holds cached tokens, so the split is exercised"


def test_openai_partial_first_bucket_and_ungrouped_fields(con, summaries):
    first = json.loads(OPENAI.read_text())[0]
    start = datetime.fromtimestamp(first["start_time"], UTC)
    assert start == datetime(2025, 1, 11, 17, 31, tzinfo=UTC)
    got = con.execute(
        'SELECT start, "end", model, project, "user", service_tier FROM ledger '
        "WHERE source = 'openai_usage' ORDER BY start LIMIT 1"
    ).fetchone()
    assert got == (
        start,
        datetime.fromtimestamp(first["end_time"], UTC),
        None,
        None,
        None,
        "standard",
    )


# --- FOCUS 1.0 sample ------------------------------------------------------------


def test_focus_sample_keeps_all_612_rows_without_quarantine(con, summaries):
    s = summaries[FOCUS.name]
    assert (s.source, s.rows_read, s.ingested, s.duplicate, s.quarantined) == (
        "focus",
        612,
        612,
        0,
        0,
    )
    assert one(con, "SELECT count(*) FROM quarantine")[0] == 0


def test_focus_billed_cost_per_service_category_matches_the_file(con, summaries):
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for r in read_csv(FOCUS):
        expected[r["ServiceCategory"]] += Decimal(r["BilledCost"])
    got = dict(
        con.execute(
            "SELECT service_category, sum(billed_cost) FROM ledger "
            "WHERE source = 'focus' GROUP BY 1"
        ).fetchall()
    )
    assert got == expected
    assert sum(got.values()) == Decimal("11.15367699036")


def test_focus_effective_cost_total_matches_the_file(con, summaries):
    expected = sum(Decimal(r["EffectiveCost"]) for r in read_csv(FOCUS))
    got = one(con, "SELECT sum(effective_cost) FROM ledger WHERE source = 'focus'")
    assert got == (expected,)


def test_focus_ai_category_rows_are_all_there(con, summaries):
    expected = sum(1 for r in read_csv(FOCUS) if r["ServiceCategory"] == AI)
    assert expected == 9
    got = one(
        con,
        "SELECT count(*) FROM ledger WHERE source = 'focus' AND service_category = ?",
        AI,
    )
    assert got == (expected,)


def test_focus_rows_per_provider_and_charge_category(con, summaries):
    records = read_csv(FOCUS)
    providers = Counter(r["ProviderName"].lower() for r in records)
    assert providers == {"aws": 558, "microsoft": 51, "oracle": 3}  # README
    got = dict(
        con.execute(
            "SELECT provider, count(*) FROM ledger WHERE source = 'focus' GROUP BY 1"
        ).fetchall()
    )
    assert got == providers
    categories = Counter(r["ChargeCategory"] for r in records)
    got = dict(
        con.execute(
            "SELECT charge_category, count(*) FROM ledger "
            "WHERE source = 'focus' GROUP BY 1"
        ).fetchall()
    )
    assert got == categories == {"Usage": 610, "Adjustment": 2}


def test_focus_sample_has_no_token_units_so_no_tokens(con, summaries):
    units = {r["ConsumedUnit"] for r in read_csv(FOCUS)}
    assert not any("token" in u.lower() for u in units)
    got = one(
        con,
        "SELECT sum(input_tokens + cache_read_tokens + output_tokens), "
        "count(DISTINCT record_type) FROM ledger WHERE source = 'focus'",
    )
    assert got == (0, 1)


# --- re-ingesting ----------------------------------------------------------------


def test_reingesting_the_real_files_changes_nothing(con, summaries):
    table = "SELECT * FROM ledger ORDER BY record_id"
    before = con.execute(table).fetchall()
    for path in (AZURE_CODE, OPENAI, FOCUS):
        s = tokenlib.ingest_file(con, path)
        assert (s.ingested, s.duplicate) == (0, s.rows_read), path.name
    assert con.execute(table).fetchall() == before


# --- fully loaded cost: a bill rule claims real FOCUS rows ------------------------


def _prorated(rows: list[dict], start: datetime, end: datetime) -> float:
    """Each row's EffectiveCost (BilledCost where empty) times the share of
    its charge period inside [start, end), worked out here from the csv."""
    total = 0.0
    for r in rows:
        a = datetime.fromisoformat(r["ChargePeriodStart"]).replace(tzinfo=UTC)
        b = datetime.fromisoformat(r["ChargePeriodEnd"]).replace(tzinfo=UTC)
        inside = max((min(b, end) - max(a, start)).total_seconds(), 0)
        cost = float(r["EffectiveCost"] or r["BilledCost"])
        total += cost * inside / (b - a).total_seconds()
    return total


@pytest.mark.parametrize("last_day", [21, 11])
def test_loaded_cost_bill_rule_claims_the_ec2_rows(con, summaries, last_day):
    from datetime import date

    from tokenlib.loaded import measure_loaded
    from tokenlib.loaded_assumptions import Assumptions

    ec2 = [
        r
        for r in read_csv(FOCUS)
        if r["ServiceName"] == "Amazon Elastic Compute Cloud"
        and r["ServiceCategory"] == "Compute"
    ]
    assert len(ec2) == 229
    start, end = date(2024, 9, 1), date(2024, 9, last_day)
    tokenlib.price_ledger(con, start=start, end=end)
    rule = {
        "component": "inference_infrastructure.gpu",
        "service_name": "*compute cloud",
        "service_category": "compute",
    }
    base = measure_loaded(con, Assumptions(bill=(rule,)))
    expected = _prorated(
        ec2,
        datetime(2024, 9, 1, tzinfo=UTC),
        datetime(2024, 9, last_day, tzinfo=UTC),
    )
    assert base.bill["amount"].sum() == pytest.approx(expected, rel=1e-9)
    assert not base.bill["in_token_bill"].any()
    if last_day == 21:
        assert expected == pytest.approx(5.0, abs=1e-6)


# --- Optimisation on a real trace --------------------------------------------------

AZURE_CONV = REAL / "azure_llm_inference_trace_2023_conv_1815-1845.csv"


def test_azure_conversation_trace_sets_the_self_hosted_calculator(tmp_path):
    from tokenlib.params import loaded_assumptions, open_priced, value_policy
    from tokenlib.scenario import SelfHosted

    path = tmp_path / "ledger.duckdb"
    con = tokenlib.open_ledger(path)
    assert tokenlib.ingest_file(con, AZURE_CONV).quarantined == 0
    con.close()
    con = open_priced(str(path))
    loaded = tokenlib.fully_loaded(con, loaded_assumptions("", "USD"))
    today = tokenlib.measure_levers(con, value_policy(""), loaded, None)
    con.close()

    records = read_csv(AZURE_CONV)
    context = sum(int(r["ContextTokens"]) for r in records)
    generated = sum(int(r["GeneratedTokens"]) for r in records)
    share = context / (context + generated)
    assert (today.tokens, today.days) == (context + generated, 1)
    assert today.input_share == pytest.approx(share)
    # The trace has no model, so no price and no route rows: said, not measured.
    sources = today.sources.set_index("lever")["source"]
    assumed = ["routed_share", "input_cost_share", "cache_hit", "batch_share"]
    assert sources[assumed].tolist() == ["assumed"] * 4

    config = SelfHosted.model_validate({
        "hourly_price": 2.0, "prefill_tokens_per_second": 10_000,
        "decode_tokens_per_second": 1_000, "utilisation": 0.5, "gpu_memory_gb": 80,
        "weights_gb": 16, "context_tokens": 8192,
        "model": {"layers": 32, "kv_heads": 8, "head_dim": 128, "bytes_per_value": 2},
        "api_input_per_mtok": 3.0, "api_output_per_mtok": 15.0,
    })  # fmt: skip
    calc = tokenlib.self_hosted(today, config).set_index("quantity")["value"]
    # A million tokens in the trace's mix: busy seconds at 10k/s in, 1k/s out.
    seconds = 1e6 * share / 10_000 + 1e6 * (1 - share) / 1_000
    assert calc["cost per million tokens, busy"] == pytest.approx(seconds / 3600 * 2)
    assert calc["API list price per million tokens"] == pytest.approx(
        share * 3 + (1 - share) * 15
    )
    assert calc["today's volume a month"] == pytest.approx(
        (context + generated) * 30.4375 / 1e6
    )
