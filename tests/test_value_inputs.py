"""Tests for the value-input readers: outcomes, routes and volumes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import FIXTURES, counts, utc, write_csv

import tokenlib
from tokenlib.errors import MissingColumnError, ParameterError, UnknownFormatError
from tokenlib.ledger import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "data" / "templates"


def rows(con, table: str, order: str = "source_row") -> list[dict]:
    """A value table as a list of dicts, in ``order``."""
    cur = con.execute(f"SELECT * FROM {table} ORDER BY {order}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def quarantined(con) -> list[tuple]:
    """(row, column, value, reason) of the quarantine, by row."""
    return con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()


# --- outcomes ------------------------------------------------------------------


def test_outcomes_good_rows_by_hand(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "value_outcomes.csv")
    # 14 rows: rows 1-3 are clean, the other 11 have one fault each.
    assert summary.source == "outcomes"
    assert counts(summary) == (14, 3, 0, 11)
    first, second, third = rows(con, "outcomes")
    # A date is that UTC day: start at midnight, end the next midnight.
    assert (first["start"], first["end"]) == (utc(2026, 3, 1), utc(2026, 3, 2))
    assert (first["use_case"], first["outcome"]) == ("support_chat", "ticket resolved")
    assert (first["attempted"], first["verified"], first["failed"]) == (100, 80, 5)
    # The value is a decimal; the currency code is stored upper case.
    assert (first["value"], first["currency"]) == (Decimal("640"), "USD")
    # A column the layout does not know goes to tags; empty ones do not.
    assert json.loads(first["tags"]) == {"channel": "web"}
    assert second["failed"] is None and second["tags"] is None
    assert (third["session"], third["value"], third["currency"]) == ("s1", None, None)


def test_outcomes_faults_go_to_quarantine_naming_row_and_column(con):
    tokenlib.ingest_file(con, FIXTURES / "value_outcomes.csv")
    assert quarantined(con) == [
        (4, "verified", "11", "verified exceeds attempted"),  # 11 > 10
        (5, "failed", "3", "failed exceeds attempted minus verified"),  # 3 > 10-8
        (6, "verified", "-1", "negative count"),
        (7, "attempted", "2.5", "not a whole number"),
        (8, "currency", None, "not a 3-letter currency code"),  # value, no code
        (9, "currency", "dollars", "not a 3-letter currency code"),
        (10, "date", "03/02/2026", "unparseable date (expected YYYY-MM-DD)"),
        (11, "date", None, "missing required value"),
        (12, "use_case", None, "missing required value"),
        (13, "attempted", None, "missing required value"),
        (14, "value", "abc", "not a number"),
    ]


def test_outcomes_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, FIXTURES / "value_outcomes.csv")
    before = rows(con, "outcomes")
    again = tokenlib.ingest_file(con, FIXTURES / "value_outcomes.csv")
    # The 3 good rows are now duplicates; the quarantine is rewritten, not added.
    assert counts(again) == (14, 0, 3, 11)
    assert rows(con, "outcomes") == before
    assert len(quarantined(con)) == 11


def test_restated_day_replaces_the_earlier_count(con, tmp_path):
    day = {"date": "2026-03-01", "use_case": "support_chat", "outcome": "resolved"}
    tokenlib.ingest_file(
        con, write_csv(tmp_path / "a.csv", [{**day, "attempted": 10, "verified": 7}])
    )
    # The same day, use case and outcome in another file is the same record.
    later = write_csv(tmp_path / "b.csv", [{**day, "attempted": 10, "verified": 9}])
    summary = tokenlib.ingest_file(con, later)
    assert (summary.ingested, summary.duplicate) == (0, 1)
    assert [(r["verified"]) for r in rows(con, "outcomes")] == [9]


def test_outcomes_per_request_are_keyed_by_request_id(con, tmp_path):
    base = {"date": "2026-03-01", "use_case": "triage", "attempted": 1}
    path = write_csv(
        tmp_path / "per_request.csv",
        [
            {**base, "request_id": "q1", "verified": 1},
            {**base, "request_id": "q2", "verified": 1},
            {**base, "request_id": "q1", "verified": 0},  # q1 again: it stands
        ],
    )
    assert counts(tokenlib.ingest_file(con, path)) == (3, 2, 1, 0)
    got = [(r["request_id"], r["verified"]) for r in rows(con, "outcomes", "1")]
    assert sorted(got) == [("q1", 0), ("q2", 1)]


def test_outcomes_with_a_start_time_and_a_mapping(con, tmp_path):
    path = write_csv(
        tmp_path / "mapped.csv",
        [{"start": "2026-03-01 10:00:00+00", "workload": "chat", "attempted": 2,
          "verified": 1}],
    )  # fmt: skip
    summary = tokenlib.ingest_file(
        con, path, fmt="outcomes", mapping={"use_case": "workload"}
    )
    assert counts(summary) == (1, 1, 0, 0)
    (row,) = rows(con, "outcomes")
    # A time without an end is an instant.
    assert row["start"] == row["end"] == utc(2026, 3, 1, 10)
    assert row["use_case"] == "chat" and row["tags"] is None


def test_mapping_to_an_unknown_column_is_refused(con):
    with pytest.raises(ParameterError, match="not a column of the outcomes layout"):
        tokenlib.ingest_file(
            con,
            FIXTURES / "value_outcomes.csv",
            fmt="outcomes",
            mapping={"spend": "value"},
        )


def test_missing_required_column_is_named(con, tmp_path):
    path = write_csv(tmp_path / "o.csv", [{"use_case": "a", "attempted": 1}])
    with pytest.raises(MissingColumnError, match="date or start") as err:
        tokenlib.ingest_file(con, path, fmt="outcomes")
    assert "verified" in str(err.value) and "o.csv" in str(err.value)


# --- routes --------------------------------------------------------------------


def test_routes_good_rows_and_faults(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "value_routes.csv")
    # 11 rows: r1 twice (row 10 stands), r2 and r3 clean, 7 faulty rows.
    assert summary.source == "routes"
    assert counts(summary) == (11, 3, 1, 7)
    got = {r["request_id"]: r for r in rows(con, "routes")}
    assert sorted(got) == ["r1", "r2", "r3"]
    r1 = got["r1"]
    assert (r1["source_row"], r1["served_score"], r1["reference_score"]) == (
        10,
        0.95,
        0.92,
    )
    assert r1["provider"] == "openai"  # lower-cased as in the ledger
    assert (r1["input_tokens"], r1["cache_read_tokens"], r1["output_tokens"]) == (
        1000,
        500,
        200,
    )
    assert r1["start"] == r1["end"] == utc(2026, 3, 1, 10, 9)
    assert (got["r2"]["candidate_model"], got["r2"]["candidate_score"]) == (
        "gpt-4.1-mini",
        0.79,
    )
    # No evaluation ran on r3: its scores stay empty, never zero.
    assert got["r3"]["served_score"] is None and got["r3"]["reference_score"] is None
    assert quarantined(con) == [
        (4, "served_score", "1.2", "score outside 0..1"),
        (5, "reference_score", "-0.1", "score outside 0..1"),
        (6, "candidate_score", "0.7", "candidate score without a candidate_model"),
        (7, "reference_model", None, "missing required value"),
        (8, "input_tokens", "-5", "negative token count"),
        (9, "served_score", "high", "not a number"),
        (11, "start", None, "missing required value"),
    ]


def test_routes_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, FIXTURES / "value_routes.csv")
    before = rows(con, "routes")
    again = tokenlib.ingest_file(con, FIXTURES / "value_routes.csv")
    # 4 good rows (r1 twice, r2, r3): all duplicates now.
    assert counts(again) == (11, 0, 4, 7)
    assert rows(con, "routes") == before


def test_identical_samples_without_request_ids_are_two_records(con, tmp_path):
    sample = {
        "date": "2026-03-01",
        "served_model": "gpt-4.1-mini",
        "reference_model": "gpt-4.1",
        "served_score": "0.9",
        "reference_score": "0.9",
    }
    path = write_csv(tmp_path / "samples.csv", [sample, sample])
    assert counts(tokenlib.ingest_file(con, path)) == (2, 2, 0, 0)
    assert counts(tokenlib.ingest_file(con, path)) == (2, 0, 2, 0)


def test_scores_with_decimal_commas(con, tmp_path):
    path = tmp_path / "semicolon.csv"
    path.write_text(
        "date;served_model;reference_model;served_score;reference_score\n"
        "2026-03-01;gpt-4.1-mini;gpt-4.1;0,85;0,9\n"
        "2026-03-01;gpt-4.1-mini;gpt-4.1;1,5;0,9\n"
    )
    assert counts(tokenlib.ingest_file(con, path)) == (2, 1, 0, 1)
    assert [(r["served_score"], r["reference_score"]) for r in rows(con, "routes")] == [
        (0.85, 0.9)
    ]
    assert quarantined(con) == [(2, "served_score", "1,5", "score outside 0..1")]


# --- volumes -------------------------------------------------------------------


def test_volumes_good_rows_and_faults(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "value_volumes.csv")
    # 10 rows: 1, 2, 5, 9, 10 clean (10 restates 1), 5 faulty.
    assert summary.source == "volumes"
    assert counts(summary) == (10, 4, 1, 5)
    got = {(r["start"].day, r["unit"]): r for r in rows(con, "volumes")}
    assert sorted(got) == [(1, "booking"), (1, "call"), (1, "resolved_ticket"),
                           (2, "booking")]  # fmt: skip
    booking = got[(1, "booking")]
    # Row 10 is the same day, unit and use case as row 1: its copy stands.
    assert (booking["source_row"], booking["volume"]) == (10, 1100.0)
    assert (booking["revenue"], booking["gross_profit"]) == (
        Decimal("198000"),
        Decimal("43560"),
    )
    assert got[(1, "resolved_ticket")]["use_case"] == "support_chat"
    # A currency without an amount is kept; it is a valid code.
    assert got[(1, "call")]["currency"] == "EUR"
    assert got[(2, "booking")]["currency"] == "EUR"
    assert quarantined(con) == [
        (3, "volume", "-3", "negative volume"),
        (4, "currency", None, "not a 3-letter currency code"),  # revenue, no code
        (6, "unit", None, "missing required value"),
        (7, "volume", None, "missing required value"),
        (8, "date", "2026-02-30", "unparseable date (expected YYYY-MM-DD)"),
    ]


def test_negative_gross_profit_and_tags_are_kept(con, tmp_path):
    # Row 1 alone: a loss-making day is a fact, not a fault.
    lines = (FIXTURES / "value_volumes.csv").read_text().splitlines()
    path = tmp_path / "one.csv"
    path.write_text("\n".join(lines[:2]) + "\n")
    assert counts(tokenlib.ingest_file(con, path)) == (1, 1, 0, 0)
    (row,) = rows(con, "volumes")
    assert (row["gross_profit"], row["currency"]) == (Decimal("-2500.25"), "USD")
    assert json.loads(row["tags"]) == {"region": "emea"}


def test_volumes_from_parquet_with_typed_columns(con, tmp_path):
    path = tmp_path / "volumes.parquet"
    con.execute(
        "COPY (SELECT DATE '2026-03-01' AS date, 'booking' AS unit, "
        "1000.0::DOUBLE AS volume, 180000.5::DECIMAL(18, 2) AS revenue, "
        f"'USD' AS currency) TO '{path}' (FORMAT parquet)"
    )
    assert counts(tokenlib.ingest_file(con, path)) == (1, 1, 0, 0)
    (row,) = rows(con, "volumes")
    assert (row["start"], row["end"]) == (utc(2026, 3, 1), utc(2026, 3, 2))
    assert (row["volume"], row["revenue"]) == (1000.0, Decimal("180000.5"))


# --- detection and templates -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "source"),
    [
        (FIXTURES / "value_outcomes.csv", "outcomes"),
        (FIXTURES / "value_routes.csv", "routes"),
        (FIXTURES / "value_volumes.csv", "volumes"),
        (TEMPLATES / "outcomes.csv", "outcomes"),
        (TEMPLATES / "routes.csv", "routes"),
        (TEMPLATES / "volumes.csv", "volumes"),
    ],
)
def test_value_inputs_are_detected_from_their_columns(con, path, source):
    assert tokenlib.ingest_file(con, path).source == source


@pytest.mark.parametrize("name", ["outcomes.csv", "routes.csv", "volumes.csv"])
def test_templates_ingest_without_quarantine(con, name):
    summary = tokenlib.ingest_file(con, TEMPLATES / name)
    assert summary.quarantined == 0 and summary.ingested == summary.rows_read > 0


def test_routes_with_start_and_tokens_are_not_a_request_log(con, tmp_path):
    # start + input_tokens alone is a request log; the model pair makes it routes.
    row = {"start": "2026-03-01T10:00:00Z", "input_tokens": 5}
    log = write_csv(tmp_path / "log.csv", [row])
    assert tokenlib.ingest_file(con, log).source == "request_log"
    routes = write_csv(
        tmp_path / "r.csv",
        [{**row, "served_model": "gpt-4.1-mini", "reference_model": "gpt-4.1"}],
    )
    assert tokenlib.ingest_file(con, routes).source == "routes"


def test_file_with_two_value_layouts_asks_for_format(con, tmp_path):
    path = write_csv(
        tmp_path / "both.csv",
        [{"date": "2026-03-01", "use_case": "a", "attempted": 1, "verified": 1,
          "unit": "call", "volume": 3}],
    )  # fmt: skip
    with pytest.raises(UnknownFormatError, match="outcomes and volumes"):
        tokenlib.ingest_file(con, path)
    assert tokenlib.ingest_file(con, path, fmt="volumes").source == "volumes"
