"""Tests for the demo's Claude Code telemetry and Anthropic cost report."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import genai_prices
import numpy as np
import pandas as pd
import pytest

import tokenlib
from tokenlib.attribution import read_owners
from tokenlib.demo import Demo, generate_demo, write_demo

DAYS = 10
# Anthropic list prices, USD per million tokens, by hand from the price page:
# (uncached input, cache read, 5-minute write, 1-hour write, output).
PRICES = {
    ("claude-sonnet-4-5-20250929", "0-200k"): (3, "0.3", "3.75", 6, 15),
    ("claude-sonnet-4-5-20250929", "200k-1M"): (6, "0.6", "7.5", 12, "22.5"),
    ("claude-haiku-4-5-20251001", "0-200k"): (1, "0.1", "1.25", 2, 5),
}
CLASSES = ["input", "cache_read", "cache_write_5m", "cache_write_1h", "output"]
ANY_VALUE = {"stringValue", "intValue", "doubleValue", "boolValue"}


@pytest.fixture(scope="module")
def demo() -> Demo:
    return generate_demo(days=DAYS)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = write_demo(tmp_path_factory.mktemp("agents"), days=DAYS)
    return {p.name: p for p in paths}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _attrs(kvs: list[dict]) -> dict:
    """KeyValue list -> {key: python value}, checking the encoding."""
    out = {}
    for kv in kvs:
        (kind, value), *rest = kv["value"].items()
        assert not rest and kind in ANY_VALUE, kv
        if kind == "intValue":
            assert isinstance(value, str) and value.isdigit(), kv
            value = int(value)
        out[kv["key"]] = value
    return out


@pytest.fixture(scope="module")
def records(files: dict[str, Path]) -> list[tuple[dict, dict, dict]]:
    """(resource attributes, record, record attributes) of every log record."""
    out = []
    for line in _lines(files["claude_code_events.jsonl"]):
        for rl in line["resourceLogs"]:
            res = _attrs(rl["resource"]["attributes"])
            for sl in rl["scopeLogs"]:
                out += [(res, r, _attrs(r["attributes"])) for r in sl["logRecords"]]
    return out


@pytest.fixture(scope="module")
def points(files: dict[str, Path]) -> list[tuple[dict, dict, dict]]:
    """(resource attributes, metric, point attributes + value) of every point."""
    out = []
    for line in _lines(files["claude_code_metrics.jsonl"]):
        for rm in line["resourceMetrics"]:
            res = _attrs(rm["resource"]["attributes"])
            for sm in rm["scopeMetrics"]:
                for m in sm["metrics"]:
                    for p in m["sum"]["dataPoints"]:
                        out.append((res, m, p))
    return out


def test_log_records_follow_the_otlp_json_encoding(records) -> None:
    names = Counter()
    for res, rec, at in records:
        assert res["service.name"] == "claude-code"
        assert rec["timeUnixNano"].isdigit() and rec["observedTimeUnixNano"].isdigit()
        assert rec["body"] == {"stringValue": "claude_code." + at["event.name"]}
        assert rec["eventName"] == rec["body"]["stringValue"]
        assert at["event.timestamp"].endswith("Z")
        # The ISO timestamp and the nanoseconds name the same millisecond.
        when = datetime.fromisoformat(at["event.timestamp"].replace("Z", "+00:00"))
        assert int(rec["timeUnixNano"]) == round(when.timestamp() * 1000) * 10**6
        assert {"session.id", "user.id", "user.email", "organization.id"} <= set(at)
        assert "prompt" not in at  # redacted by default: never written
        names[at["event.name"]] += 1
    assert set(names) == {"api_request", "tool_result", "api_error", "user_prompt"}
    # Errors are a few percent of calls.
    assert 0.005 < names["api_error"] / names["api_request"] < 0.1


def test_no_prompt_text_anywhere(files: dict[str, Path]) -> None:
    text = files["claude_code_events.jsonl"].read_text()
    assert '"key":"prompt"' not in text
    prompts = text.count('"key":"prompt_length"')
    assert prompts == text.count('"stringValue":"claude_code.user_prompt"') > 0


def test_api_requests_carry_the_documented_attributes(records) -> None:
    calls = [at for _, _, at in records if at["event.name"] == "api_request"]
    wanted = {
        "model",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_creation_tokens",
        "cost_usd",
        "duration_ms",
        "request_id",
    }
    assert all(wanted <= set(at) for at in calls)
    assert {at["model"] for at in calls} == {
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5-20251001",
    }
    tools = [at for _, _, at in records if at["event.name"] == "tool_result"]
    assert {at["tool_name"] for at in tools} == {"Bash", "Edit", "Read", "Grep"}
    assert {at["success"] for at in tools} == {"true", "false"}
    errors = [at for _, _, at in records if at["event.name"] == "api_error"]
    assert {at["status_code"] for at in errors} <= {429, 529}
    assert {at["attempt"] for at in errors} <= {1, 2, 3}


def test_event_sequence_counts_up_within_a_session(records) -> None:
    seqs = defaultdict(list)
    for _, _, at in records:
        seqs[at["session.id"]].append(at["event.sequence"])
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in seqs.values())


def test_resources_name_team_cost_centre_and_leave_a_sixth_unowned(records) -> None:
    users = {at["user.email"]: res for res, _, at in records}
    assert all(e.startswith("dev") and e.endswith("@example.com") for e in users)
    teams = Counter(res.get("team.id") for res in users.values())
    # 12 developers: 4 platform, 3 web, 3 mobile, 2 without team.id (1 in 6).
    assert teams == {"platform": 4, "web": 3, "mobile": 3, None: 2}
    for res in users.values():
        if "team.id" in res:
            assert res["cost_center"] == f"cc-{res['team.id']}-01"
        assert res["department"] == "engineering"


def test_metrics_are_delta_sums_with_string_int64(points) -> None:
    names = set()
    for _, m, p in points:
        assert m["sum"]["aggregationTemporality"] == 1 and m["sum"]["isMonotonic"]
        assert p["startTimeUnixNano"].isdigit() and p["timeUnixNano"].isdigit()
        # One hourly export interval per point.
        assert int(p["timeUnixNano"]) - int(p["startTimeUnixNano"]) == 3600 * 10**9
        assert ("asInt" in p) != ("asDouble" in p)
        if "asInt" in p:
            assert isinstance(p["asInt"], str) and p["asInt"].isdigit()
        names.add(m["name"])
        assert "session.id" in _attrs(p["attributes"])
    assert names == {
        "claude_code.session.count",
        "claude_code.lines_of_code.count",
        "claude_code.commit.count",
        "claude_code.pull_request.count",
        "claude_code.active_time.total",
        "claude_code.token.usage",
        "claude_code.cost.usage",
    }


def test_token_and_cost_metrics_equal_the_events_per_session(records, points):
    kinds = {
        "input_tokens": "input",
        "output_tokens": "output",
        "cache_read_tokens": "cacheRead",
        "cache_creation_tokens": "cacheCreation",
    }
    events, cost = Counter(), Counter()
    for _, _, at in records:
        if at["event.name"] == "api_request":
            for attr, kind in kinds.items():
                events[at["session.id"], at["model"], kind] += at[attr]
            cost[at["session.id"], at["model"]] += at["cost_usd"]
    metrics, metric_cost = Counter(), Counter()
    sessions = Counter()
    for _, m, p in points:
        at = _attrs(p["attributes"])
        if m["name"] == "claude_code.token.usage":
            metrics[at["session.id"], at["model"], at["type"]] += p["asDouble"]
        elif m["name"] == "claude_code.cost.usage":
            metric_cost[at["session.id"], at["model"]] += p["asDouble"]
        elif m["name"] == "claude_code.session.count":
            sessions[at["session.id"]] += int(p["asInt"])
    assert +metrics == +events  # zero counts are not exported
    assert set(metric_cost) == set(cost)
    for key, usd in cost.items():
        assert metric_cost[key] == pytest.approx(usd, rel=1e-9)
    # Every session with calls is counted once.
    assert sessions == Counter({s: 1 for s, _, _ in events})


def test_coding_agent_reads_its_context_from_cache(demo: Demo) -> None:
    r = demo.agents.requests
    total = r.input_tokens + r.cache_read_tokens + r.cache_creation_tokens
    assert r.cache_read_tokens.sum() / total.sum() > 0.8


def test_a_few_sessions_cost_far_more_than_the_median() -> None:
    # The whole four-week pilot, so there are enough sessions for a tail.
    calls = generate_demo(days=28).agents.requests
    per_session = calls.groupby("session_no").cost_usd.sum()
    assert len(per_session) > 300
    assert per_session.quantile(0.99) > 10 * per_session.median()
    assert per_session.idxmax() in set(calls[calls.runaway].session_no)


def test_pilot_runs_over_the_last_four_weeks_only() -> None:
    demo = generate_demo(days=40)
    days = pd.to_datetime(demo.agents.requests.time, unit="ms").dt.normalize()
    # 40 days ending 2026-11-30: the pilot starts 28 days before the end.
    assert days.min() >= pd.Timestamp("2026-11-03")


def _expected_cents(demo: Demo) -> dict[tuple[str, str], Decimal]:
    """Cents per (day, model) from the frames: tokens x price x drift."""
    log = demo.log[demo.log.provider == "anthropic"]
    snap = {
        "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    }
    calls = demo.agents.requests
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "day": log.start.dt.strftime("%Y-%m-%d"),
                    "model": log.model.map(snap),
                    **{c: log[f"{c}_tokens"] for c in CLASSES},
                }
            ),
            pd.DataFrame(
                {
                    "day": pd.to_datetime(calls.time, unit="ms").dt.strftime(
                        "%Y-%m-%d"
                    ),
                    "model": calls.model,
                    "input": calls.input_tokens,
                    "cache_read": calls.cache_read_tokens,
                    "cache_write_5m": calls.cache_creation_tokens,
                    "cache_write_1h": 0,
                    "output": calls.output_tokens,
                }
            ),
        ]
    )
    # Above 200k input tokens a Sonnet request is billed at the long-context tier.
    prompt = frame[CLASSES[:4]].sum(axis=1)
    sonnet = frame.model == "claude-sonnet-4-5-20250929"
    frame["window"] = np.where(sonnet & (prompt > 200_000), "200k-1M", "0-200k")
    sums = frame.groupby(["day", "model", "window"])[CLASSES].sum()
    drift = {d.strftime("%Y-%m-%d"): int(v) for d, v in demo.agents.drift.items()}
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (day, model, window), row in sums.iterrows():
        for c, price in zip(CLASSES, PRICES[model, window], strict=True):
            # tokens x $/MTok / 1e6 x 100 cents x drift / 1000
            out[day, model] += (
                Decimal(int(row[c])) * Decimal(str(price)) * drift[day] / 10**7
            )
    return out


def test_hand_prices_are_the_catalogue_list_prices() -> None:
    when = datetime(2026, 11, 20, 12, tzinfo=UTC)
    # 100k input + 100k output tokens cost (input + output price) / 10;
    # 1M of each is above 200k, so (long-context input + output price) x 1.
    for (model, window), p in PRICES.items():
        n = 100_000 if window == "0-200k" else 10**6
        usage = genai_prices.Usage(input_tokens=n, output_tokens=n)
        got = genai_prices.calc_price(
            usage, model, provider_id="anthropic", genai_request_timestamp=when
        )
        expected = (Decimal(str(p[0])) + Decimal(str(p[4]))) * n / 10**6
        assert got.total_price == expected, model


def test_cost_report_is_tokens_times_list_price_times_drift(
    demo: Demo, files: dict[str, Path]
) -> None:
    page = json.loads(files["anthropic_cost_report.json"].read_text())
    assert page["has_more"] is False and len(page["data"]) == DAYS
    got: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for bucket in page["data"]:
        for r in bucket["results"]:
            assert r["currency"] == "USD" and r["cost_type"] == "tokens"
            assert r["service_tier"] == "standard"
            got[bucket["starting_at"][:10], r["model"]] += Decimal(r["amount"])
    # Exact to the last written digit: every price is whole 1e-6 $/MTok.
    assert dict(got) == dict(_expected_cents(demo))


def test_bill_runs_above_list_price_on_some_days(demo: Demo) -> None:
    drift = demo.agents.drift
    assert set(drift[drift != 1000]) <= set(range(1010, 1031))
    assert (drift == 1000).any() and (drift > 1000).any()


def test_cost_report_ingests_to_the_same_total(
    demo: Demo, files: dict[str, Path], tmp_path: Path
) -> None:
    con = tokenlib.open_ledger(tmp_path / "ledger.duckdb")
    try:
        s = tokenlib.ingest_file(con, files["anthropic_cost_report.json"])
        total, models = con.execute(
            "SELECT sum(billed_cost), count(DISTINCT model) FROM ledger "
            "WHERE record_type = 'token_charge' AND currency = 'USD'"
        ).fetchone()
    finally:
        con.close()
    assert s.source == "anthropic_cost" and s.quarantined == 0
    cents = sum(_expected_cents(demo).values())
    assert Decimal(str(total)) == pytest.approx(cents / 100, abs=Decimal("1e-9"))
    assert models == 2


def test_demo_owner_rules_place_every_claude_code_user(files, tmp_path) -> None:
    # Each developer without team.id has a rule, so Claude Code spend is all
    # owned once the rules apply; the sandbox is shared.
    folder = next(iter(files.values())).parent
    owners = read_owners(folder / "owners.yml")
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    tokenlib.ingest_file(con, folder / "claude_code_events.jsonl")
    tokenlib.price_ledger(con, owners=owners)
    unowned = con.execute("SELECT count(*) FROM spend WHERE owner IS NULL")
    assert unowned.fetchone()[0] == 0
    used = con.execute("SELECT DISTINCT owner_basis FROM spend").fetchall()
    assert ("rule 1: user",) in used and ("explicit",) in used
    assert [r.field for r in owners.rules][-1] == "application"
