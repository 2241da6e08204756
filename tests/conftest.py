"""Shared test helpers: small ledgers built from rows written in the test."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import tokenlib

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


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
