"""The report runner: the whole series on demo data and on real public data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
from conftest import REAL_DATA

import tokenlib
from tokenlib.demo import write_demo
from tokenlib.errors import ReportError
from tokenlib.report import (
    NOTEBOOK_DIR,
    PROJECT_ROOT,
    notebooks,
    read_params,
    run_report,
)
from tokenlib.scenario import Scenario, ScenarioFile, save_scenarios


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    con = tokenlib.open_ledger(folder / "ledger.duckdb")
    for path in write_demo(folder, days=10):
        summary = tokenlib.ingest_file(con, path)
        assert summary.quarantined == 0, summary
    con.close()
    return folder / "ledger.duckdb"


@pytest.mark.notebooks
def test_report_on_demo_data_writes_html_metrics_and_notebooks(demo_ledger, tmp_path):
    plan = tmp_path / "plan.yml"
    cached = Scenario.model_validate({"name": "all cached", "stack": {"cache_hit": 1}})
    save_scenarios(ScenarioFile(currency="USD", scenarios=[cached]), plan)
    params = read_params(None, ledger=str(demo_ledger), scenario=str(plan))
    folder = run_report(params, out=tmp_path)
    assert (tmp_path / "LATEST").read_text().strip() == folder.name
    assert sorted(p.name for p in folder.glob("*.ipynb")) == [
        p.name for p in notebooks()
    ]
    html = (folder / "report.html").read_text()
    assert "Notes and limitations" in html and "<img" in html
    brief = (folder / "executive_summary.html").read_text()
    assert "Five numbers" in brief and "<img" in brief
    assert "nb.table" not in brief and "nb.table" not in html  # no code shown
    assert html.count("Run metadata") == 1  # once, at the end of the page
    got = json.loads((folder / "metrics.json").read_text())
    con = tokenlib.open_ledger(demo_ledger, read_only=True)
    tokenlib.price_ledger(con)
    assert got["total_cost"] == pytest.approx(tokenlib.summarise(con)["total_cost"])
    assert got["days"] == 10
    for key in ("direct_allocation_pct", "by_owner", "route_win_rate", "value_notes"):
        assert key in got
    # No assumptions file: the documented defaults, said so.
    assert got["fully_loaded_cost"] == pytest.approx(
        got["total_cost"] + sum(got["loaded_by_bucket"].values())
    )
    assert got["loaded_multiplier"] == pytest.approx(
        got["fully_loaded_cost"] / got["total_cost"]
    )
    assert any("documented defaults" in n for n in got["loaded_notes"])
    assert "Fully loaded cost" in html and "no forecast" in html
    assert "VBox(" not in html  # the sliders need a live kernel
    # Optimisation: today's cache lever is cache reads over all input of the
    # rows with a USD list price (the API's; the self-hosted model has
    # none), and the saved scenario is compared against today.
    reads, inputs = con.execute(
        "SELECT sum(cache_read_tokens), sum(input_tokens + cache_read_tokens "
        "+ cache_write_5m_tokens + cache_write_1h_tokens) FROM spend "
        "WHERE counted AND computed_cost IS NOT NULL AND computed_currency = 'USD'"
    ).fetchone()
    assert got["levers"]["cache_hit"]["value"] == pytest.approx(reads / inputs)
    assert got["levers"]["cache_hit"]["source"] == "measured"
    assert [s["scenario"] for s in got["scenarios"]] == ["today", "all cached"]
    assert got["scenarios"][0]["saving"] == 0
    assert got["scenarios"][1]["saving"] > 0
    assert "Of the scenarios, 'all cached' costs least" in html
    for path in folder.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        errors = [
            o
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.get("output_type") == "error"
        ]
        assert not errors, path.name


@pytest.mark.notebooks
def test_a_saved_scenario_runs_in_the_optimisation_notebook(demo_ledger, tmp_path):
    import papermill as pm

    # What the sliders' Save button writes: a scenario file of one scenario.
    path = tmp_path / "mine.yml"
    halved = Scenario.model_validate(
        {"name": "half the model", "model": {"cost_ratio": 0.5}}
    )
    save_scenarios(ScenarioFile(currency="USD", scenarios=[halved]), path)
    out = tmp_path / "06.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK_DIR / "06_optimisation.ipynb"),
        str(out),
        parameters={"ledger": str(demo_ledger), "scenario": str(path)},
        kernel_name="python3",
        cwd=str(PROJECT_ROOT),
        progress_bar=False,
    )
    printed = "".join(
        o.get("text", "")
        for c in nbformat.read(out, as_version=4).cells
        for o in c.get("outputs", [])
    )
    # The model lever scales all token spend: half the cost, whatever it is.
    assert "Of the scenarios, 'half the model' costs least: token spend" in printed
    assert "USD (-50.0%)." in printed


def test_failing_notebook_names_notebook_and_cell_and_keeps_last_report(
    demo_ledger, tmp_path
):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Broken"),
        nbformat.v4.new_code_cell("ledger = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("1 / 0"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    broken = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, broken)
    (tmp_path / "LATEST").write_text("2026-01-01_000000\n")
    with pytest.raises(
        ReportError,
        match=r"99_broken.ipynb failed in cell 3 .*1 / 0.*ZeroDivisionError",
    ):
        run_report(
            read_params(None, ledger=str(demo_ledger)), out=tmp_path, series=[broken]
        )
    assert (tmp_path / "LATEST").read_text() == "2026-01-01_000000\n"


def test_unknown_parameter_in_file_is_refused(tmp_path):
    params = tmp_path / "p.yml"
    params.write_text("ledger: x.duckdb\ncolour: red\n")
    with pytest.raises(tokenlib.TokenlibError, match="colour"):
        read_params(params)


needs_real = pytest.mark.skipif(
    not REAL_DATA.exists(),
    reason=f"{REAL_DATA} is absent (a user's fresh clone); CI and developers have it",
)


def _column_sum(path: Path, column: str, where=lambda row: True) -> float:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return sum(float(r[column]) for r in csv.DictReader(fh) if where(r))


@needs_real
@pytest.mark.notebooks
def test_report_on_real_public_data(tmp_path):
    azure = REAL_DATA / "azure_llm_inference_trace_2023_code_1815-1845.csv"
    openai = REAL_DATA / "openai_usage_api_completions_daily_2025-01-11_to_01-25.json"
    focus = REAL_DATA / "focus_1.0_sample_charges_2024-09-01_to_09-20.csv"
    ledger = tmp_path / "real.duckdb"
    con = tokenlib.open_ledger(ledger)
    tokenlib.ingest_file(
        con, azure, set_values={"provider": "openai", "model": "gpt-4o-mini"}
    )
    tokenlib.ingest_file(con, openai)
    tokenlib.ingest_file(con, focus)
    con.close()

    # Independent figures: gpt-4o-mini lists at $0.15 in / $0.60 out per MTok.
    azure_cost = (
        _column_sum(azure, "ContextTokens") * 0.15
        + _column_sum(azure, "GeneratedTokens") * 0.60
    ) / 1e6
    ai_rows = lambda r: r["ServiceCategory"] == "AI and Machine Learning"  # noqa: E731
    focus_ai = _column_sum(focus, "EffectiveCost", ai_rows)
    buckets = json.loads(openai.read_text())
    openai_tokens = sum(
        r["input_tokens"] + r["output_tokens"] for b in buckets for r in b["results"]
    )

    folder = run_report(read_params(None, ledger=str(ledger)), out=tmp_path / "reports")
    got = json.loads((folder / "metrics.json").read_text())
    assert got["total_cost"] == pytest.approx(azure_cost + focus_ai)
    assert got["unpriced_tokens"] == openai_tokens
    assert got["billed_cost"] == pytest.approx(
        _column_sum(focus, "BilledCost", ai_rows)
    )


def test_bad_parameters_fail_before_anything_is_written(demo_ledger, tmp_path):
    params = read_params(None, ledger=str(demo_ledger), group_by="teams")
    with pytest.raises(tokenlib.TokenlibError, match="group_by='teams'"):
        run_report(params, out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_report_command_uses_the_users_ledger_not_the_demo(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TOKENLIB_LEDGER": str(tmp_path / "mine.duckdb")}
    out = subprocess.run(
        [sys.executable, "-m", "tokenlib.cli", "report", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 2
    assert "mine.duckdb" in out.stderr and "Traceback" not in out.stderr
