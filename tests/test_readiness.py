"""Tests of tokenlib.readiness: what the ledger holds and the stage it supports."""

import pandas as pd
import pytest
from conftest import write_two_row_ledger

import tokenlib as tl
from tokenlib import notebook as nb
from tokenlib import readiness
from tokenlib.errors import ParameterError


@pytest.fixture
def priced(tmp_path):
    """Two usage rows of 0.75 USD, one owned by web; one row quarantined."""
    path = write_two_row_ledger(tmp_path / "ledger.duckdb")
    con = tl.open_ledger(path)
    con.execute(
        "INSERT INTO quarantine (source, source_file, source_row, reason) "
        "VALUES ('request_log', 'test.csv', 3, 'bad timestamp')"
    )
    con.close()
    con = nb.open_priced(str(path))
    yield con
    con.close()


def test_ledger_contents(priced):
    row = readiness.ledger_contents(priced).iloc[0]
    assert (row["source"], row["files"], row["rows"], row["quarantined"]) == (
        "request_log",
        1,
        2,
        1,
    )
    assert str(row["first_utc_day"])[:10] == "2026-03-01"
    assert str(row["last_utc_day"])[:10] == "2026-03-02"


def test_data_readiness_and_stage(priced):
    table = readiness.data_readiness(priced, owner="team")
    assert list(table.columns) == ["stage", "figure", "ready", "evidence"]
    ready = dict(zip(table["figure"], table["ready"], strict=True))
    assert ready["total and daily spend"] == "yes"
    assert ready["spend by provider and model"] == "yes"
    assert ready["spend by team"] == "partly"  # one of two equal rows
    assert ready["cost per million tokens"] == "yes"
    assert ready["token-to-spend drift"] == "no"
    assert ready["cost per outcome"] == "no"
    assert ready["cost per use case"] == "partly"
    evidence = dict(zip(table["figure"], table["evidence"], strict=True))
    assert evidence["spend by team"] == "team set on 50% of cost"
    assert evidence["cost per million tokens"] == "100% of 4.0 M tokens priced"
    assert readiness.supported_stage(table) == "the data supports stage 2 economics"


def test_data_readiness_names_the_owner_dimension(priced):
    table = readiness.data_readiness(priced, owner="use_case")
    assert "spend by use case" in table["figure"].tolist()


def test_data_readiness_refuses_an_unknown_owner(priced):
    with pytest.raises(ParameterError, match="owner='owner'"):
        readiness.data_readiness(priced, owner="owner")


def test_supported_stage_with_no_cost():
    table = pd.DataFrame({"stage": ["1 spend visibility"], "ready": ["no"]})
    assert readiness.supported_stage(table).startswith("the data supports no stage")


def test_supported_stage_stops_at_the_first_stage_not_reached():
    # Stage 3's founding figure is ready, but stage 2's is not: stage 1 holds.
    table = pd.DataFrame(
        {
            "stage": ["1 spend", "1 spend", "2 economics", "3 value"],
            "ready": ["yes", "no", "no", "yes"],
        }
    )
    assert readiness.supported_stage(table) == "the data supports stage 1 spend"
