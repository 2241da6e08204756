"""The command line: JSON metrics, idempotent ingest, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import write_csv

ROWS = [
    {
        "start": "2026-06-01T10:00:00Z",
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "input_tokens": 100_000,
        "output_tokens": 10_000,
    },
    {
        "start": "2026-06-02T10:00:00Z",
        "provider": "internal",
        "model": "acme-llm-7b",
        "input_tokens": 5_000,
        "output_tokens": 500,
    },
]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tokenlib.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def ledger(tmp_path):
    path = tmp_path / "l.duckdb"
    log = write_csv(tmp_path / "log.csv", ROWS)
    first = run("ingest", str(log), "--ledger", str(path))
    assert first.returncode == 0, first.stderr
    assert "2 rows read, 2 ingested, 0 duplicate, 0 quarantined" in first.stdout
    again = run("ingest", str(log), "--ledger", str(path))
    assert "2 rows read, 0 ingested, 2 duplicate, 0 quarantined" in again.stdout
    return path


def test_metrics_json_has_the_documented_keys_and_values(ledger):
    out = run("metrics", "--ledger", str(ledger), "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    # $0.30 input + $0.15 output for Sonnet; the acme model is unpriced.
    assert got["total_cost"] == pytest.approx(0.45)
    assert got["currency"] == "USD" and got["days"] == 2
    assert got["avg_daily_cost"] == pytest.approx(0.225)
    assert got["tokens"] == {
        "input": 105_000,
        "cache_read": 0,
        "cache_write_5m": 0,
        "cache_write_1h": 0,
        "output": 10_500,
        "reasoning": 0,
    }
    assert got["unpriced_tokens"] == 5_500
    assert got["io_ratio"] == pytest.approx(10.0)
    assert [d["day"] for d in got["by_day"]] == ["2026-06-01"]
    assert {m["model"] for m in got["by_model"]} == {"claude-sonnet-4-5"}
    assert "billed_cost" in got and got["billed_cost"] is None
    # No outcomes, routes, batch-eligible or regulated work: null, with why.
    for key in (
        "cost_per_verified_outcome",
        "route_win_rate",
        "batch_leverage",
        "sovereignty_hit_rate",
    ):
        assert got[key] is None
        assert any(note.startswith(key) for note in got["value_notes"]), key
    assert got["cache_leverage"] == 0.0  # no cache reads among 105,000 input


def test_metrics_period_and_zone_are_reported(ledger):
    out = run(
        "metrics",
        "--ledger",
        str(ledger),
        "--json",
        "--tz",
        "Asia/Tokyo",
        "--start",
        "2026-06-02",
    )
    got = json.loads(out.stdout)
    assert got["tz"] == "Asia/Tokyo" and got["start"] == "2026-06-02"
    assert got["total_cost"] is None and got["unpriced_tokens"] == 5_500


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "nope.csv"], "nope.csv: no such file"),
        (["metrics", "--tz", "Mars/Olympus", "--json"], "time zone 'Mars/Olympus'"),
        (["metrics", "--start", "June", "--json"], "--start 'June': expected a date"),
    ],
)
def test_user_mistakes_exit_nonzero_without_traceback(ledger, args, message):
    out = run(*args, "--ledger", str(ledger))
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_column_names_file_and_column(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [{"start": "2026-06-01", "cost": 1}])
    out = run(
        "ingest",
        str(bad),
        "--format",
        "request_log",
        "--ledger",
        str(tmp_path / "l.duckdb"),
    )
    assert out.returncode == 2
    assert "bad.csv" in out.stderr and "token column" in out.stderr


def test_quarantine_command_lists_file_row_column_and_reason(tmp_path):
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            {"start": "2026-06-01T10:00:00Z", "input_tokens": "12O0"},
            {"start": "2026-06-01T11:00:00Z", "input_tokens": "100"},
        ],
    )
    ledger = str(tmp_path / "l.duckdb")
    ingest = run("ingest", str(bad), "--ledger", ledger)
    assert "1 rows quarantined; list them with tokenlib quarantine" in ingest.stdout
    out = run("quarantine", "--ledger", ledger)
    assert out.returncode == 0, out.stderr
    assert (
        f"{bad}: row 1, column input_tokens: not a whole number (found '12O0')"
        in out.stdout
    )


def test_metrics_refuses_an_end_before_the_start(ledger):
    out = run(
        "metrics",
        "--ledger",
        str(ledger),
        "--start",
        "2026-06-02",
        "--end",
        "2026-06-01",
    )
    assert out.returncode == 2 and "is not after --start" in out.stderr


def test_metrics_json_owners_from_a_rules_file(tmp_path):
    # Sonnet rows: dev@a.example.com 0.45 USD (rule: team a), bo 0.45 USD
    # (no owner). Direct allocation 50%; the pool goes to a: 0.90 in all.
    row = {**ROWS[0], "user": "dev@a.example.com"}
    log = write_csv(
        tmp_path / "log.csv",
        [row, {**ROWS[0], "user": "bo", "start": "2026-06-01T11:00:00Z"}],
    )
    path = tmp_path / "l.duckdb"
    assert run("ingest", str(log), "--ledger", str(path)).returncode == 0
    rules = tmp_path / "owners.yml"
    rules.write_text(
        'rules:\n  - {field: user, pattern: "*@a.example.com", owner: a}\n'
    )
    out = run("metrics", "--ledger", str(path), "--owners", str(rules), "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["direct_allocation_pct"] == pytest.approx(50.0)
    assert got["by_owner"] == [
        {"owner": "a", "direct": pytest.approx(0.45), "shared": pytest.approx(0.45),
         "cost": pytest.approx(0.9)}
    ]  # fmt: skip
    assert sum(o["cost"] for o in got["by_owner"]) == pytest.approx(got["total_cost"])
    rules.write_text("split: sideways\n")
    bad = run("metrics", "--ledger", str(path), "--owners", str(rules), "--json")
    assert bad.returncode != 0 and "owners.yml: split" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_notes_say_what_to_do_about_usage_without_a_model(tmp_path):
    # Usage with no model: its tokens are unpriced and the note says how to
    # name the model, instead of listing "None".
    row = {k: v for k, v in ROWS[0].items() if k != "model"}
    log = write_csv(tmp_path / "log.csv", [row])
    path = tmp_path / "l.duckdb"
    assert run("ingest", str(log), "--ledger", str(path)).returncode == 0
    got = json.loads(run("metrics", "--ledger", str(path), "--json").stdout)
    assert got["unpriced_tokens"] == 110_000
    assert not any("None" in note for note in got["notes"])
    assert any("--set model=NAME" in note for note in got["notes"])
    # A period with no data says so, not that the bill lacks AI rows.
    later = run("metrics", "--ledger", str(path), "--json", "--start", "2027-01-01")
    notes = json.loads(later.stdout)["notes"]
    assert notes[0] == "no rows for this period: check start and end"


def test_metrics_fully_loaded_cost_follows_the_assumptions(ledger, tmp_path):
    def loaded(tooling: float) -> dict:
        path = tmp_path / f"loaded_{tooling:g}.yml"
        path.write_text(f"governance:\n  tooling: {tooling}\n")
        out = run("metrics", "--ledger", str(ledger), "--json",
                  "--assumptions", str(path))  # fmt: skip
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    none, some = loaded(0), loaded(3043.75)
    # 3,043.75 a month over the 2 days of data: 3,043.75 x 2 / 30.4375 = 200.
    assert some["fully_loaded_cost"] - none["fully_loaded_cost"] == pytest.approx(200)
    assert some["loaded_by_bucket"]["governance"] == pytest.approx(
        none["loaded_by_bucket"]["governance"] + 200
    )
    assert some["fully_loaded_cost"] == pytest.approx(
        some["total_cost"] + sum(some["loaded_by_bucket"].values())
    )
    assert some["loaded_multiplier"] == pytest.approx(
        some["fully_loaded_cost"] / some["total_cost"]
    )
    text = run("metrics", "--ledger", str(ledger)).stdout
    assert "fully_loaded_cost:" in text
    assert "every unmetered bucket is from documented defaults" in text
