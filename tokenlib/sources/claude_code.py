"""Claude Code OpenTelemetry exports: metrics and events as OTLP JSON.

Claude Code sends counters (``claude_code.token.usage``, ``cost.usage``,
``session.count``, ...) and events (OTLP log records ``claude_code.api_request``,
``tool_result``, ...). Token and cost metrics and ``api_request`` events become
ledger rows from provider ``anthropic``; the rest become ``activity`` rows.
Metrics and events describe the same API calls, so they keep distinct source
names (``claude_code_metrics``, ``claude_code_events``) and every row carries
its session, so that pricing can drop metric rows of sessions that have
events. Unknown metric or event names go to quarantine.

Notes
-----
The token metric does not say the cache-write duration: ``cacheCreation``
is stored as ``cache_write_5m_tokens``, assuming the 5-minute default (the
same holds for ``cache_creation_tokens`` of events). ``input`` is Anthropic's
uncached input. The cost metric and ``cost_usd`` are the client's list-price
estimate, stored as ``reported_cost``, never as a bill. A model suffix such
as ``[1m]`` is cut from the model into tag ``model_suffix``.
Cumulative points are differenced with :func:`.otlp_deltas.with_deltas`; a series
continued from an earlier file is differenced against the last point of it
already held (tags ``otel_series``, ``otel_start_ns``, ``otel_time_ns``,
``otel_cumulative``), so files of one cumulative series must be ingested in
time order: an earlier file ingested after a later one is counted again.
Prompt text (``prompt``) and ``tool_parameters`` are never read from events.
Edit decisions other than ``accept`` / ``reject`` and lines-of-code types
other than ``added`` / ``removed`` go to quarantine, as do gauges and points
of unspecified temporality. A file is flattened once into a temporary table
(:func:`.otlp.materialize`) that the plans read; planning the next file of the
same signal replaces it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import InputFileError
from .base import Check, Field, Plan, describe, literal
from .otlp import TOPS, materialize, metric_points, nanos_to_timestamp
from .otlp_deltas import held_points, with_deltas
from .otlp_peek import peek

__all__ = [
    "looks_like_claude_code_metrics",
    "looks_like_claude_code_events",
    "plan_claude_code_metrics",
]

METRICS, EVENTS = "claude_code_metrics", "claude_code_events"
_TOKENS = "claude_code.token.usage"
_COST = "claude_code.cost.usage"
#: Token type of the metric -> ledger column.
_TOKEN_TYPES = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cacheRead": "cache_read_tokens",
    "cacheCreation": "cache_write_5m_tokens",
}
#: Activity metric of each Claude Code counter (SQL over the point).
_ACTIVITY = {
    "claude_code.session.count": "'sessions'",
    "claude_code.lines_of_code.count": "CASE attributes['type'] "
    "WHEN 'added' THEN 'lines_added' WHEN 'removed' THEN 'lines_removed' END",
    "claude_code.commit.count": "'commits'",
    "claude_code.pull_request.count": "'pull_requests'",
    "claude_code.active_time.total": "'active_seconds'",
    "claude_code.code_edit_tool.decision": "CASE attributes['decision'] "
    "WHEN 'accept' THEN 'edit_accepted' WHEN 'reject' THEN 'edit_rejected' END",
}
_USER_KEYS = ("user.email", "user.account_uuid", "user.id")
#: Keys that fill columns, so they stay out of tags.
_MAPPED = ("service.name", "team.id", "session.id", *_USER_KEYS, "model")


def _is_claude(con: duckdb.DuckDBPyConnection, path: Path, signal: str) -> bool:
    seen = peek(con, path)
    return seen["signal"] == signal and (
        "claude-code" in seen["services"]
        or any(n.startswith("claude_code.") for n in seen["names"])
    )


def require_signal(con: duckdb.DuckDBPyConnection, path: Path, signal: str) -> None:
    """Refuse a file that is not OTLP JSON of ``signal`` (metrics or logs)."""
    found = peek(con, path)["signal"]
    if found != signal:
        top = TOPS[signal]
        raise InputFileError(
            f"{path}: expected OTLP JSON {signal} (documents with {top}); "
            f"found {found + ' documents' if found else 'no OTLP documents'}"
        )


def looks_like_claude_code_metrics(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """An OTLP metrics file from service ``claude-code`` or of its metrics."""
    return _is_claude(con, path, "metrics")


def looks_like_claude_code_events(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """An OTLP logs file from service ``claude-code`` or of its events."""
    return _is_claude(con, path, "logs")


def _either(key: str) -> str:
    return f"coalesce(attributes[{literal(key)}], resource[{literal(key)}])"


def _without(m: str, keys: tuple[str, ...]) -> str:
    names = ", ".join(literal(k) for k in keys)
    kept = f"list_filter(map_entries({m}), lambda e_: e_.key NOT IN ({names}))"
    return f"map_from_entries({kept})"


def _extra(pairs: dict[str, str]) -> str:
    """A map of the given keys and SQL values, leaving out NULL values."""
    entries = ", ".join(
        f"struct_pack(k := {literal(k)}, v := CAST({v} AS VARCHAR))"
        for k, v in pairs.items()
    )
    return f"map_from_entries(list_filter([{entries}], lambda e_: e_.v IS NOT NULL))"


def _tags(drop: tuple[str, ...], extra: dict[str, str]) -> str:
    """Resource and point attributes not mapped to columns, plus ``extra``."""
    resource = _without("resource", _MAPPED)
    point = _without("attributes", (*_MAPPED, *drop))
    return f"to_json(map_concat({resource}, {point}, {_extra(extra)}))"


_SUFFIX = r"'\[([^\]]*)\]$'"
#: The bracketed suffix of a model id (``[1m]``), without brackets.
MODEL_SUFFIX = f"nullif(regexp_extract(attributes['model'], {_SUFFIX}, 1), '')"


def _who(tags: str) -> dict[str, Field]:
    """Attribution and model fields shared by every plan."""
    user = ", ".join(_either(k) for k in _USER_KEYS)
    return {
        "provider": Field("text", expr="'anthropic'"),
        "model": Field(
            "text",
            expr="nullif(trim(regexp_replace(attributes['model'], "
            f"{_SUFFIX}, '')), '')",
        ),
        "session": Field("text", expr=_either("session.id")),
        "user": Field("text", expr=f"coalesce({user})"),
        "team": Field(
            "text", expr="coalesce(resource['team.id'], attributes['team.id'])"
        ),
        "agent": Field("text", expr="'claude_code'"),
        "application": Field("text", expr="resource['service.name']"),
        "tags": Field("json", expr=tags),
    }


#: Temporary table holding the flattened points of the file being read.
_POINTS = "_claude_code_metric_points"


def _flatten(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Flatten the file's points, with increments and times, once."""
    pts = with_deltas(metric_points(path), held_points(con, METRICS))
    sql = f"""SELECT *, {nanos_to_timestamp("coalesce(from_ns, time_ns)")} AS t_start,
        {nanos_to_timestamp("time_ns")} AS t_end FROM ({pts})"""
    materialize(con, _POINTS, sql, path)


def _metric_relation(where: str, extra: str) -> str:
    """Points of the metrics ``where`` selects, with ``extra`` columns."""
    return f"SELECT *, {extra} FROM {_POINTS} WHERE {where}"


def _metric_checks() -> list[Check]:
    value = "CAST(value AS VARCHAR)"
    return [
        Check("value", value, "value IS NULL", "data point has no asInt or asDouble"),
        Check(
            "temporality",
            "temporality",
            "coalesce(temporality NOT IN ('delta', 'cumulative'), true)",
            "not a delta or cumulative sum",
        ),
        Check(
            "value",
            value,
            "dropped",
            "cumulative value fell below an earlier value of the same start time: "
            "bad data",
        ),
    ]


def _metric_tags(drop: tuple[str, ...] = ()) -> str:
    cumulative = "temporality = 'cumulative'"
    kept = {"otel_series": "series", "otel_start_ns": "start_ns"}
    kept |= {"otel_time_ns": "time_ns", "otel_cumulative": "value"}
    return _tags(
        drop,
        {
            "model_suffix": MODEL_SUFFIX,
            **{k: f"CASE WHEN {cumulative} THEN {v} END" for k, v in kept.items()},
        },
    )


def _metrics_ledger(con, path: Path) -> tuple[Plan, dict[str, str]]:
    """Token and cost counters -> ledger rows, one per point."""
    token_cols = ", ".join(
        f"CASE WHEN metric = {literal(_TOKENS)} AND attributes['type'] = "
        f"{literal(t)} AND NOT dropped THEN amount END AS {col}"
        for t, col in _TOKEN_TYPES.items()
    )
    cost = f"CASE WHEN metric = {literal(_COST)} AND NOT dropped THEN amount END"
    relation = _metric_relation(
        f"metric IN ({literal(_TOKENS)}, {literal(_COST)})",
        f"{token_cols}, {cost} AS cost_usd",
    )
    fields = {
        "start": Field("time", column="t_start", required=True),
        "end": Field("time", column="t_end"),
        "grain": Field("text", expr="'bucket'"),
        "record_type": Field("text", expr="'usage'"),
        **{col: Field("tokens", column=col) for col in _TOKEN_TYPES.values()},
        "reported_cost": Field("money", column="cost_usd"),
        "currency": Field(
            "text", expr=f"CASE WHEN metric = {literal(_COST)} THEN 'USD' END"
        ),
        **_who(_metric_tags(("type",))),
    }
    types = ", ".join(literal(t) for t in _TOKEN_TYPES)
    checks = [
        *_metric_checks(),
        Check(
            "type",
            "attributes['type']",
            f"metric = {literal(_TOKENS)} AND coalesce(attributes['type'] NOT IN "
            f"({types}), true)",
            "token type is not one of input, output, cacheRead, cacheCreation",
        ),
    ]
    plan = Plan(
        source=METRICS,
        path=path,
        relation=relation,
        fields=fields,
        key=["series", "start_ns", "time_ns"],
        key_is_unique=True,
        checks=checks,
    )
    return plan, describe(con, relation)


def _metrics_activity(con, path: Path) -> tuple[Plan, dict[str, str]]:
    """Other counters -> activity rows; unknown metric names -> quarantine."""
    name = "CASE metric " + " ".join(
        f"WHEN {literal(m)} THEN {sql}" for m, sql in _ACTIVITY.items()
    )
    relation = _metric_relation(
        f"metric NOT IN ({literal(_TOKENS)}, {literal(_COST)})",
        f"{name} END AS activity_metric, "
        "CASE WHEN NOT dropped THEN amount END AS activity_value",
    )
    known = ", ".join(literal(m) for m in _ACTIVITY)
    fields = {
        "start": Field("time", column="t_start", required=True),
        "end": Field("time", column="t_end"),
        "metric": Field("text", expr="activity_metric"),
        "value": Field("float", column="activity_value"),
        **_who(_metric_tags()),
    }
    checks = [
        Check(
            "metric", "metric", f"metric NOT IN ({known})", "unknown Claude Code metric"
        ),
        *_metric_checks(),
        Check(
            "metric",
            "metric",
            "activity_metric IS NULL",
            "type (lines of code) or decision (edit tool) has an unknown value",
        ),
    ]
    plan = Plan(
        source=METRICS,
        path=path,
        relation=relation,
        fields=fields,
        key=["series", "start_ns", "time_ns"],
        key_is_unique=True,
        checks=checks,
        table="activity",
    )
    return plan, describe(con, relation)


def plan_claude_code_metrics(con: duckdb.DuckDBPyConnection, path: Path) -> list:
    """Describe how a Claude Code metrics file fills the ledger and activity."""
    require_signal(con, path, "metrics")
    _flatten(con, path)
    return [_metrics_ledger(con, path), _metrics_activity(con, path)]
