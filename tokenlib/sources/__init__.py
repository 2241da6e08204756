"""Readers for the exports tokenlib ingests, and format detection.

Each reader is one :class:`Reader` in :data:`READERS`: a name a user can pass
as ``--format``, and for JSON files and for tables (CSV or Parquet) a test
that recognises the layout and a function that returns the reading plans.
A file may give more than one plan (OpenTelemetry metrics feed the ledger
with tokens and the activity table with commits and sessions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import UnknownFormatError
from .anthropic_cost import looks_like_anthropic_cost, plan_anthropic_cost
from .anthropic_usage import looks_like_anthropic_usage, plan_anthropic_usage
from .base import Plan
from .claude_code import (
    looks_like_claude_code_events,
    looks_like_claude_code_metrics,
    plan_claude_code_metrics,
)
from .claude_code_events import plan_claude_code_events
from .files import Table, _check_readable, open_table
from .focus import looks_like_focus, plan_focus
from .litellm import (
    looks_like_litellm_json,
    looks_like_litellm_table,
    plan_litellm_json,
    plan_litellm_table,
)
from .openai_costs import looks_like_openai_costs, plan_openai_costs
from .openai_usage import looks_like_openai_usage, plan_openai_usage
from .otel_genai_metrics import looks_like_otel_genai_metrics, plan_otel_genai_metrics
from .otel_genai_spans import looks_like_otel_genai_spans, plan_otel_genai_spans
from .request_log import looks_like_request_log, plan_request_log
from .usage_objects import looks_like_usage_objects, plan_usage_objects
from .value_inputs import (
    looks_like_outcomes,
    looks_like_routes,
    looks_like_volumes,
    plan_outcomes,
    plan_routes,
    plan_volumes,
)

__all__ = ["FORMATS", "READERS", "Reader", "detect_format", "plan_for"]

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")

Plans = list[tuple[Plan, dict[str, str]]]


@dataclass(frozen=True)
class Reader:
    """One export format: how to recognise it and how to read it.

    Attributes
    ----------
    name
        The ``--format`` name.
    test_json, plan_json
        For JSON files: ``(con, path) -> bool`` and
        ``(con, path) -> [(Plan, columns), ...]``.
    test_table, plan_table
        For CSV or Parquet: ``(columns) -> bool`` and
        ``(table, mapping) -> Plan``.
    """

    name: str
    test_json: Callable[[duckdb.DuckDBPyConnection, Path], bool] | None = None
    plan_json: Callable[[duckdb.DuckDBPyConnection, Path], Plans] | None = None
    test_table: Callable[[dict[str, str]], bool] | None = None
    plan_table: Callable[[Table, dict[str, str]], Plan] | None = None


def _one(plan_json):
    """Adapt a JSON planner that returns one (plan, columns) pair."""
    return lambda con, path: [plan_json(con, path)]


READERS: tuple[Reader, ...] = (
    Reader("focus", test_table=looks_like_focus, plan_table=lambda t, m: plan_focus(t)),
    Reader(
        "openai_usage",
        test_json=looks_like_openai_usage,
        plan_json=_one(plan_openai_usage),
    ),
    Reader(
        "openai_costs",
        test_json=looks_like_openai_costs,
        plan_json=_one(plan_openai_costs),
    ),
    Reader(
        "anthropic_usage",
        test_json=looks_like_anthropic_usage,
        plan_json=_one(plan_anthropic_usage),
    ),
    Reader(
        "anthropic_cost",
        test_json=looks_like_anthropic_cost,
        plan_json=_one(plan_anthropic_cost),
    ),
    Reader(
        "request_log", test_table=looks_like_request_log, plan_table=plan_request_log
    ),
    Reader(
        "otel_genai_spans",
        test_json=looks_like_otel_genai_spans,
        plan_json=plan_otel_genai_spans,
    ),
    Reader(
        "otel_genai_metrics",
        test_json=looks_like_otel_genai_metrics,
        plan_json=plan_otel_genai_metrics,
    ),
    Reader(
        "claude_code_metrics",
        test_json=looks_like_claude_code_metrics,
        plan_json=plan_claude_code_metrics,
    ),
    Reader(
        "claude_code_events",
        test_json=looks_like_claude_code_events,
        plan_json=plan_claude_code_events,
    ),
    Reader(
        "litellm_spend",
        test_json=looks_like_litellm_json,
        plan_json=plan_litellm_json,
        test_table=looks_like_litellm_table,
        plan_table=plan_litellm_table,
    ),
    Reader(
        "usage_objects",
        test_json=looks_like_usage_objects,
        plan_json=plan_usage_objects,
    ),
    Reader("outcomes", test_table=looks_like_outcomes, plan_table=plan_outcomes),
    Reader("routes", test_table=looks_like_routes, plan_table=plan_routes),
    Reader("volumes", test_table=looks_like_volumes, plan_table=plan_volumes),
)

#: Formats a user can name with ``--format``.
FORMATS = tuple(r.name for r in READERS)


def _is_json(path: Path) -> bool:
    return path.suffix.lower() in JSON_SUFFIXES


def detect_format(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Tell a file's format from its content.

    Raises
    ------
    UnknownFormatError
        The content matches no format, or more than one.
    """
    if _is_json(path):
        found = [r.name for r in READERS if r.test_json and r.test_json(con, path)]
        what = "JSON formats: " + ", ".join(r.name for r in READERS if r.test_json)
    else:
        columns = open_table(con, path).columns
        found = [r.name for r in READERS if r.test_table and r.test_table(columns)]
        what = f"columns: {', '.join(list(columns)[:12])}"
    if len(found) != 1:
        how = "matches " + " and ".join(found) if found else "matches no known layout"
        raise UnknownFormatError(
            f"{path}: {how} ({what}); name the format with --format "
            f"({', '.join(FORMATS)}) and, for a request log, map columns with "
            "--map ledger_column=file_column"
        )
    return found[0]


def plan_for(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None, mapping: dict[str, str]
) -> Plans:
    """Return the reading plans for a file, each with the column types it has."""
    _check_readable(path)  # JSON too: a missing file is not an unknown format
    fmt = fmt or (detect_format(con, path) if not mapping else "request_log")
    reader = next((r for r in READERS if r.name == fmt), None)
    if reader is None:
        raise UnknownFormatError(
            f"--format {fmt}: unknown; expected one of {', '.join(FORMATS)}"
        )
    if _is_json(path):
        if reader.plan_json is None:
            raise UnknownFormatError(
                f"{path}: --format {fmt} does not read JSON; it reads CSV or Parquet"
            )
        return reader.plan_json(con, path)
    if reader.plan_table is None:
        raise UnknownFormatError(
            f"{path}: --format {fmt} does not read {path.suffix or 'this'} files; "
            "it reads JSON"
        )
    table = open_table(con, path)
    plan = reader.plan_table(table, mapping)
    return [(plan, plan.columns or table.columns)]
