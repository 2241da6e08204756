"""Tests for tokenlib.ingest: upsert, quarantine and accounting of every row.

Expected values are worked out by hand from the fixture rows described in
``tests/fixtures/README.md`` or from the small files written in each test;
file totals are also recomputed with the csv and json modules.
"""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURES, write_csv

import tokenlib
from tokenlib.errors import InputFileError, MissingColumnError, ParameterError

FILES = (
    "azure_trace_small.csv",
    "azure_trace_bad_rows.csv",
    "request_log_messy.csv",
    "focus_1_2_ai.csv",
    "focus_1_0_old_names.csv",
    "focus_semicolon_decimal_comma.csv",
    "openai_usage_page.json",
)


def ledger(con: duckdb.DuckDBPyConnection, *drop: str) -> list[tuple]:
    """The whole ledger table ordered by record_id, without ``drop`` columns."""
    cols = [r[0] for r in con.execute("DESCRIBE ledger").fetchall() if r[0] not in drop]
    select = ", ".join(f'"{c}"' for c in cols)
    return con.execute(f"SELECT {select} FROM ledger ORDER BY record_id").fetchall()


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The quarantine table without its ingest time, in file and row order."""
    return con.execute(
        "SELECT source, source_file, source_row, column_name, value, reason, raw "
        "FROM quarantine ORDER BY source_file, source_row"
    ).fetchall()


def data_rows(path: Path) -> int:
    """Rows in an input file, counted without tokenlib."""
    if path.suffix == ".json":
        return sum(len(b["results"]) for b in json.loads(path.read_text())["data"])
    with path.open(newline="", encoding="utf-8-sig") as f:
        return sum(1 for _ in f) - 1


def write_trace(path: Path, rows: list[tuple[str, int, int]]) -> Path:
    """Write a request log in the Azure trace layout."""
    lines = ["TIMESTAMP,ContextTokens,GeneratedTokens"]
    lines += [f"{t},{i},{o}" for t, i, o in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


FOCUS_HEADER = (
    "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeClass,ServiceName,"
    "ServiceCategory,ProviderName,SkuMeter,ConsumedQuantity,ConsumedUnit,"
    "BilledCost,BillingCurrency"
)


def focus_row(meter: str, qty: str, cost: str, charge_class: str = "") -> str:
    return (
        f"2026-03-02T00:00:00Z,2026-03-03T00:00:00Z,Usage,{charge_class},"
        f"Amazon Bedrock,AI and Machine Learning,AWS,{meter},{qty},Tokens,"
        f"{cost},USD"
    )


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


# --- re-ingesting never double counts ------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_ingesting_the_same_file_twice_changes_nothing(con, name):
    first = tokenlib.ingest_file(con, FIXTURES / name)
    ledger_before, quarantine_before = ledger(con), quarantine(con)
    assert ledger_before, "the fixture should put rows in the ledger"

    again = tokenlib.ingest_file(con, FIXTURES / name)
    assert ledger(con) == ledger_before
    assert quarantine(con) == quarantine_before
    assert (again.rows_read, again.ingested, again.quarantined) == (
        first.rows_read,
        0,
        first.quarantined,
    )
    assert again.duplicate == first.ingested + first.duplicate


def test_overlapping_request_logs_count_the_union_once(con, tmp_path):
    # Six requests; the third and fourth are two identical requests.
    requests = [
        ("2023-11-16 18:15:00.1000000", 100, 1),
        ("2023-11-16 18:15:00.2000000", 200, 2),
        ("2023-11-16 18:15:00.3000000", 300, 3),
        ("2023-11-16 18:15:00.3000000", 300, 3),
        ("2023-11-16 18:15:00.5000000", 500, 5),
        ("2023-11-16 18:15:00.6000000", 600, 6),
    ]
    a = write_trace(tmp_path / "a.csv", requests[:4])
    b = write_trace(tmp_path / "b.csv", requests[2:])
    tokenlib.ingest_file(con, a)
    summary = tokenlib.ingest_file(con, b)
    assert (summary.rows_read, summary.ingested, summary.duplicate) == (4, 2, 2)
    got = con.execute(
        "SELECT count(*), sum(input_tokens), sum(output_tokens) FROM ledger"
    ).fetchone()
    assert got == (6, 100 + 200 + 300 + 300 + 500 + 600, 1 + 2 + 3 + 3 + 5 + 6)


def test_overlapping_request_logs_in_either_order_give_one_ledger(tmp_path):
    requests = [(f"2023-11-16 18:15:0{s}.0000000", 10 * s, s) for s in range(6)]
    a = write_trace(tmp_path / "a.csv", requests[:4])
    b = write_trace(tmp_path / "b.csv", requests[2:])
    results = []
    for order in ((a, b), (b, a)):
        con = tokenlib.open_ledger(tmp_path / f"{order[0].stem}.duckdb")
        for path in order:
            tokenlib.ingest_file(con, path)
        results.append(ledger(con, "source_file", "source_row"))
        con.close()
    assert len(results[0]) == 6
    assert results[0] == results[1]


def test_record_id_comes_from_the_content_not_the_file_path(con, tmp_path):
    copy = tmp_path / "elsewhere" / "trace.csv"
    copy.parent.mkdir()
    shutil.copy(FIXTURES / "azure_trace_small.csv", copy)
    tokenlib.ingest_file(con, FIXTURES / "azure_trace_small.csv")
    summary = tokenlib.ingest_file(con, copy)
    assert (summary.ingested, summary.duplicate) == (0, 4)
    assert con.execute("SELECT count(*) FROM ledger").fetchone()[0] == 4


def test_record_ids_are_the_same_in_a_fresh_ledger(con, tmp_path):
    tokenlib.ingest_file(con, FIXTURES / "focus_1_2_ai.csv")
    other = tokenlib.open_ledger(tmp_path / "other.duckdb")
    tokenlib.ingest_file(other, FIXTURES / "focus_1_2_ai.csv")
    ids = "SELECT record_id FROM ledger ORDER BY record_id"
    assert con.execute(ids).fetchall() == other.execute(ids).fetchall()
    assert len(set(con.execute(ids).fetchall())) == 11
    other.close()


def test_restated_focus_row_replaces_the_earlier_copy(con, tmp_path):
    first = write_lines(
        tmp_path / "sep_v1.csv",
        FOCUS_HEADER,
        focus_row("ModelX-input-tokens", "1000", "10.00"),
        focus_row("ModelX-output-tokens", "200", "4.00"),
    )
    # Re-exported: the input charge restated, a cache-read charge added.
    second = write_lines(
        tmp_path / "sep_v2.csv",
        FOCUS_HEADER,
        focus_row("ModelX-input-tokens", "1250", "12.50"),
        focus_row("ModelX-cache-read-input-token-count", "300", "1.00"),
    )
    tokenlib.ingest_file(con, first)
    summary = tokenlib.ingest_file(con, second)
    assert (summary.rows_read, summary.ingested, summary.duplicate) == (2, 1, 1)
    got = con.execute(
        "SELECT count(*), sum(billed_cost), sum(input_tokens), "
        "sum(cache_read_tokens), sum(output_tokens) FROM ledger"
    ).fetchone()
    assert got == (3, Decimal("17.50"), 1250, 300, 200)


def test_focus_correction_is_added_not_replacing_the_charge(con, tmp_path):
    charge = write_lines(
        tmp_path / "v1.csv",
        FOCUS_HEADER,
        focus_row("ModelX-input-tokens", "1000", "10.00"),
    )
    correction = write_lines(
        tmp_path / "v2.csv",
        FOCUS_HEADER,
        focus_row("ModelX-input-tokens", "-250", "-2.50", "Correction"),
    )
    tokenlib.ingest_file(con, charge)
    tokenlib.ingest_file(con, correction)
    got = con.execute(
        "SELECT count(*), sum(billed_cost), sum(input_tokens) FROM ledger"
    ).fetchone()
    assert got == (2, Decimal("7.50"), 750)


def test_identical_focus_rows_in_one_file_are_two_records(con, tmp_path):
    row = focus_row("ModelX-input-tokens", "100", "1.00")
    path = write_lines(tmp_path / "f.csv", FOCUS_HEADER, row, row)
    first = tokenlib.ingest_file(con, path)
    again = tokenlib.ingest_file(con, path)
    assert (first.ingested, again.ingested, again.duplicate) == (2, 0, 2)
    got = con.execute("SELECT count(*), sum(billed_cost) FROM ledger").fetchone()
    assert got == (2, Decimal("2.00"))


def test_request_id_repeated_in_a_file_keeps_the_last_copy(con, tmp_path):
    path = write_lines(
        tmp_path / "log.csv",
        "start,request_id,input_tokens,output_tokens",
        "2025-05-01T12:00:00Z,r1,10,1",
        "2025-05-01T12:00:01Z,r2,20,2",
        "2025-05-01T12:00:00Z,r1,11,3",
    )
    summary = tokenlib.ingest_file(con, path)
    assert (summary.rows_read, summary.ingested, summary.duplicate) == (3, 2, 1)
    got = con.execute(
        "SELECT input_tokens, output_tokens FROM ledger ORDER BY start"
    ).fetchall()
    assert got == [(11, 3), (20, 2)]


# --- quarantine ----------------------------------------------------------------


def test_wrong_rows_go_to_quarantine_with_file_row_column_value_reason(con):
    path = FIXTURES / "azure_trace_bad_rows.csv"
    summary = tokenlib.ingest_file(con, path)
    assert (
        summary.rows_read,
        summary.ingested,
        summary.duplicate,
        summary.quarantined,
    ) == (8, 2, 0, 6)
    got = [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in quarantine(con)]
    label = str(path.resolve())
    assert got == [
        ("request_log", label, 2, "ContextTokens", "-5", "negative token count"),
        ("request_log", label, 3, "ContextTokens", "abc", "not a whole number"),
        (
            "request_log",
            label,
            4,
            "TIMESTAMP",
            "0005-11-16 18:15:03",
            "unparseable time",
        ),
        ("request_log", label, 5, "TIMESTAMP", None, "missing required value"),
        ("request_log", label, 6, "ContextTokens", "12.5", "not a whole number"),
        ("request_log", label, 7, "TIMESTAMP", "not a time", "unparseable time"),
    ]
    assert con.execute(
        "SELECT source_row, input_tokens, output_tokens FROM ledger ORDER BY 1"
    ).fetchall() == [(1, 100, 10), (8, 400, 40)]


def test_quarantine_keeps_the_whole_row_as_json(con):
    tokenlib.ingest_file(con, FIXTURES / "azure_trace_bad_rows.csv")
    raw = json.loads(quarantine(con)[0][6])
    assert {k: raw[k] for k in ("TIMESTAMP", "ContextTokens", "GeneratedTokens")} == {
        "TIMESTAMP": "2023-11-16 18:15:01",
        "ContextTokens": "-5",
        "GeneratedTokens": "10",
    }


def test_ledger_and_quarantine_reconcile_with_the_file_totals(con):
    path = FIXTURES / "azure_trace_bad_rows.csv"
    tokenlib.ingest_file(con, path)

    # File totals with the csv module: every value that is a whole number.
    def whole(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            return 0

    with path.open(newline="") as f:
        records = list(csv.DictReader(f))
    file_in = sum(whole(r["ContextTokens"]) for r in records)
    file_out = sum(whole(r["GeneratedTokens"]) for r in records)
    assert (file_in, file_out) == (845, 115)

    raws = [json.loads(r[6]) for r in quarantine(con)]
    held_in = sum(whole(r["ContextTokens"]) for r in raws)
    held_out = sum(whole(r["GeneratedTokens"]) for r in raws)
    led_in, led_out = con.execute(
        "SELECT sum(input_tokens), sum(output_tokens) FROM ledger"
    ).fetchone()
    assert (led_in + held_in, led_out + held_out) == (file_in, file_out)


@pytest.mark.parametrize("name", FILES)
def test_every_input_row_is_accounted_for(con, name):
    path = FIXTURES / name
    summary = tokenlib.ingest_file(con, path)
    n = data_rows(path)
    assert summary.rows_read == n
    assert summary.ingested + summary.duplicate + summary.quarantined == n
    held = con.execute("SELECT count(*) FROM ledger").fetchone()[0]
    bad = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert held + bad + summary.duplicate == n


def test_a_fixed_file_clears_its_quarantine(con, tmp_path):
    path = write_trace(
        tmp_path / "t.csv",
        [("2023-11-16 18:15:00", 100, 1), ("2023-11-16 18:15:01", -7, 2)],
    )
    assert tokenlib.ingest_file(con, path).quarantined == 1
    write_trace(path, [("2023-11-16 18:15:00", 100, 1), ("2023-11-16 18:15:01", 7, 2)])
    summary = tokenlib.ingest_file(con, path)
    assert (summary.ingested, summary.duplicate, summary.quarantined) == (1, 1, 0)
    assert quarantine(con) == []
    assert con.execute("SELECT sum(input_tokens) FROM ledger").fetchone()[0] == 107


def test_ingest_log_records_each_summary(con):
    summary = tokenlib.ingest_file(con, FIXTURES / "azure_trace_bad_rows.csv")
    got = con.execute(
        "SELECT source_file, source, rows_read, ingested, duplicate, quarantined "
        "FROM ingest_log"
    ).fetchall()
    assert got == [(summary.path, "request_log", 8, 2, 0, 6)]


# --- files that cannot be read ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "fmt", "says"),
    [
        ("gone.csv", None, None, ": no such file"),
        ("gone.json", None, None, ": no such file"),
        ("gone.json", None, "openai_usage", ": no such file"),
        ("blank.csv", b"", None, ": the file is empty"),
        ("blank.json", b"", None, ": the file is empty"),
        ("blank.json", b"", "openai_usage", ": the file is empty"),
        ("usage.xlsx", b"PK\x03\x04", None, "unsupported file type"),
        ("broken.parquet", b"not parquet at all", None, "cannot be read"),
    ],
)
def test_unreadable_file_stops_with_a_message_naming_it(
    con, tmp_path, name, content, fmt, says
):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=says) as err:
        tokenlib.ingest_file(con, path, fmt=fmt)
    assert name in str(err.value)
    assert ledger(con) == []


def test_a_folder_is_not_an_export(con, tmp_path):
    with pytest.raises(InputFileError, match="folder"):
        tokenlib.ingest_file(con, tmp_path, fmt="focus")


def test_missing_column_error_is_also_a_key_error_with_a_plain_message(con, tmp_path):
    path = write_lines(
        tmp_path / "f.csv", "ChargePeriodStart,BilledCost", "2026-03-02,1"
    )
    with pytest.raises(KeyError) as err:
        tokenlib.ingest_file(con, path)
    assert isinstance(err.value, MissingColumnError)
    message = str(err.value)
    assert message.startswith(str(path))
    assert "ServiceName" in message and "ProviderName" in message


# --- parameters ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["colour", "record_id", "source_file"])
def test_set_values_refuse_what_is_not_a_settable_column(con, name):
    with pytest.raises(ParameterError, match=name):
        tokenlib.ingest_file(
            con, FIXTURES / "azure_trace_small.csv", set_values={name: "x"}
        )
    assert ledger(con) == []


def test_ingest_paths_returns_one_summary_per_file_in_order(con):
    paths = [FIXTURES / "azure_trace_small.csv", FIXTURES / "azure_trace_bad_rows.csv"]
    got = [
        (s.source, s.ingested, s.quarantined) for s in tokenlib.ingest_paths(con, paths)
    ]
    assert got == [("request_log", 4, 0), ("request_log", 2, 6)]


def test_mapping_an_owner_column_later_relabels_instead_of_adding(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(
        "ts,prompt,completion,dept\n"
        "2026-06-01T09:00:00Z,1000,50,search\n2026-06-01T09:00:01Z,2000,60,ads\n"
    )
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    base = {"start": "ts", "input_tokens": "prompt", "output_tokens": "completion"}
    tokenlib.ingest_file(con, log, mapping=base, set_values={"model": "gpt4o-mini"})
    again = tokenlib.ingest_file(
        con, log, mapping={**base, "team": "dept"}, set_values={"model": "gpt-4o-mini"}
    )
    assert (again.ingested, again.duplicate, again.replaced) == (0, 2, 2)
    assert str(again).endswith("(2 held records changed by this copy)")
    got = con.execute(
        "SELECT team, model, input_tokens FROM ledger ORDER BY input_tokens"
    ).fetchall()
    assert got == [("search", "gpt-4o-mini", 1000), ("ads", "gpt-4o-mini", 2000)]


def test_a_ledger_with_text_record_ids_is_migrated(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute(
        tokenlib.schema.LEDGER_DDL.replace('"record_id" UUID', '"record_id" VARCHAR')
    )
    old.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "record_type) "
        "VALUES (md5('a'), 'request_log', 'f.csv', TIMESTAMPTZ '2026-01-01', "
        "'request', 'usage')"
    )
    old.close()
    con = tokenlib.open_ledger(path)
    kind, rid = con.execute(
        "SELECT typeof(record_id), CAST(record_id AS VARCHAR) FROM ledger"
    ).fetchone()
    assert kind == "UUID" and rid.replace("-", "") == "0cc175b9c0f1b6a831c399e269772661"


def test_a_ledger_without_newer_columns_gains_them_and_ingests(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute(
        tokenlib.schema.LEDGER_DDL.replace('"reported_cost" DECIMAL(38, 12),', "")
    )
    old.close()
    con = tokenlib.open_ledger(path)
    names = [r[0] for r in con.execute("DESCRIBE ledger").fetchall()]
    assert names[-1] == "reported_cost"  # added last, after the old columns
    log = write_csv(
        tmp_path / "log.csv",
        [{"start": "2026-01-01T00:00:00Z", "input_tokens": 5, "model": "m"}],
    )
    assert tokenlib.ingest_file(con, log).ingested == 1
    got = con.execute("SELECT input_tokens, reported_cost, model FROM ledger")
    assert got.fetchall() == [(5, None, "m")]


def test_an_old_ledger_opened_read_only_is_priced_with_empty_new_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute(
        tokenlib.schema.LEDGER_DDL.replace('"reported_cost" DECIMAL(38, 12),', "")
    )
    old.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, provider, "
        "model, input_tokens, record_type) VALUES (uuid(), 'request_log', 'f.csv', "
        "TIMESTAMPTZ '2026-06-01', 'request', 'openai', 'gpt-4o-mini', 1000000, "
        "'usage')"
    )
    old.close()
    con = tokenlib.open_ledger(path, read_only=True)
    tokenlib.price_ledger(con)
    # 1M input tokens of gpt-4o-mini at 0.15 USD per million.
    assert tokenlib.summarise(con)["total_cost"] == pytest.approx(0.15)
    assert con.execute("SELECT reported_cost FROM spend").fetchall() == [(None,)]


def test_ingesting_the_same_file_again_changes_nothing_it_reports(tmp_path):
    log = write_csv(
        tmp_path / "log.csv",
        [{"start": "2026-01-01T00:00:00Z", "input_tokens": 5, "model": "m"}],
    )
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    tokenlib.ingest_file(con, log)
    again = tokenlib.ingest_file(con, log)
    assert (again.ingested, again.duplicate, again.replaced) == (0, 1, 0)
    assert "changed" not in str(again)
