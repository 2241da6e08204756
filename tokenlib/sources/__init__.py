"""Readers for the exports tokenlib ingests, and format detection."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import UnknownFormatError
from .base import Plan
from .files import _check_readable, open_table
from .focus import looks_like_focus, plan_focus
from .openai_usage import looks_like_openai_usage, plan_openai_usage
from .request_log import looks_like_request_log, plan_request_log

__all__ = ["FORMATS", "detect_format", "plan_for"]

#: Formats a user can name with ``--format``.
FORMATS = ("focus", "openai_usage", "request_log")


def detect_format(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Tell a file's format from its content.

    Raises
    ------
    UnknownFormatError
        The content matches no format, or more than one.
    """
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        if looks_like_openai_usage(con, path):
            return "openai_usage"
        raise UnknownFormatError(
            f"{path}: JSON that is not an OpenAI usage export (no buckets with "
            "start_time, end_time and results); JSON sources other than the "
            "OpenAI Usage API are not read yet"
        )
    columns = open_table(con, path).columns
    found = [
        name
        for name, test in (
            ("focus", looks_like_focus),
            ("request_log", looks_like_request_log),
        )
        if test(columns)
    ]
    if len(found) != 1:
        what = "matches " + " and ".join(found) if found else "matches no known layout"
        raise UnknownFormatError(
            f"{path}: {what} (columns: {', '.join(list(columns)[:12])}); "
            f"name the format with --format ({', '.join(FORMATS)}) and, for a "
            "request log, map columns with --map ledger_column=file_column"
        )
    return found[0]


def plan_for(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None, mapping: dict[str, str]
) -> tuple[Plan, dict[str, str]]:
    """Return the reading plan for a file and the column types it has."""
    _check_readable(path)  # JSON too: a missing file is not an unknown format
    fmt = fmt or (detect_format(con, path) if not mapping else "request_log")
    if fmt not in FORMATS:
        raise UnknownFormatError(
            f"--format {fmt}: unknown; expected one of {', '.join(FORMATS)}"
        )
    json_file = path.suffix.lower() in (".json", ".jsonl", ".ndjson")
    if (fmt == "openai_usage") != json_file:
        raise UnknownFormatError(
            f"{path}: --format {fmt} does not read {path.suffix or 'this'} files; "
            "openai_usage reads JSON, focus and request_log read CSV or Parquet"
        )
    if fmt == "openai_usage":
        return plan_openai_usage(con, path)
    table = open_table(con, path)
    plan = plan_focus(table) if fmt == "focus" else plan_request_log(table, mapping)
    return plan, table.columns
