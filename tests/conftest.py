"""Shared test helpers: small ledgers built from rows written in the test."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import tokenlib
from tokenlib.forecast import BUCKET_COLUMNS

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def con(tmp_path: Path):
    """An empty ledger in the test's folder, closed after the test."""
    con = tokenlib.open_ledger(tmp_path / "ledger.duckdb")
    yield con
    con.close()


def ledger_rows(con, order: str = "source_row") -> list[dict]:
    """The ledger as a list of dicts, in ``order``."""
    cur = con.execute(f"SELECT * FROM ledger ORDER BY {order}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def counts(summary) -> tuple[int, int, int, int]:
    """Rows read, ingested, duplicate and quarantined of an ingest summary."""
    return (summary.rows_read, summary.ingested, summary.duplicate, summary.quarantined)


def utc(*args: int) -> datetime:
    """A UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def write_csv(path: Path, rows: list[dict]) -> Path:
    """Write dict rows to a CSV with the union of their keys as header."""
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def ledger_of(tmp_path):
    """Build a ledger from request-log rows; returns the open connection."""

    def build(rows: list[dict], name: str = "log.csv"):
        con = tokenlib.open_ledger(tmp_path / "ledger.duckdb")
        tokenlib.ingest_file(con, write_csv(tmp_path / name, rows))
        return con

    return build


# gpt-4o-mini list price: 0.15 USD per million input, 0.60 per million output,
# so a row of 1M input and 1M output tokens costs 0.75 USD.
TWO_ROWS = [
    ("r1", "2026-03-01 10:00:00+00", "web", "chat"),
    ("r2", "2026-03-02 20:00:00+00", None, None),
]


def write_two_row_ledger(path: Path) -> Path:
    """Write a ledger of two usage rows of 0.75 USD, one owned by web."""
    con = tokenlib.open_ledger(path)
    for record_id, start, team, use_case in TWO_ROWS:
        con.execute(
            "INSERT INTO ledger (record_id, source, source_file, start, grain, "
            "provider, model, input_tokens, output_tokens, requests, "
            "record_type, team, use_case) "
            "VALUES (CAST(md5(?) AS UUID), 'request_log', 'test.csv', "
            "?, 'request', 'openai', 'gpt-4o-mini', 1000000, 1000000, 1, "
            "'usage', ?, ?)",
            [record_id, start, team, use_case],
        )
    con.close()
    return path


#: A weekly pattern that sums to zero, for synthetic daily series.
WEEK = [60.0, 40, 20, 0, -20, -60, -40]


def daily_history(values, first=None, tokens=None):
    """A :func:`tokenlib.forecast.daily_series` frame: one row a day from
    ``first`` (1 January 2026), tokens equal to the bill unless given."""
    first = first or date(2026, 1, 1)
    days = [first + timedelta(i) for i in range(len(values))]
    tokens = values if tokens is None else tokens
    return pd.DataFrame({"day": days, "tokens": tokens, "token_bill": values})


def buckets(*rows):
    """Bucket rows (bucket, daily, monthly_growth) for the projection."""
    return pd.DataFrame(list(rows), columns=list(BUCKET_COLUMNS))
