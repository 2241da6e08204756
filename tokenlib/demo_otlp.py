"""Write the demo's Claude Code telemetry as OTLP/JSON Lines files.

The OTLP JSON encoding is built in DuckDB: attributes are KeyValue lists,
64-bit integers (``intValue``, ``asInt``, ``*UnixNano``) are decimal
strings, enums are integers. Logs carry one ``LogsData`` per developer and
UTC day; metrics one ``MetricsData`` per developer and hourly export, with
DELTA temporality.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

__all__ = ["write_events", "write_metrics"]

_ORG = "9b1e4c7a-2f3d-4e5a-8b6c-1d2e3f405162"
_EVENT_SCOPE = "com.anthropic.claude_code.events"
_METER_SCOPE = "com.anthropic.claude_code"
#: Event attributes after the standard ones: (key, column, AnyValue kind).
_EVENT_ATTRS = (
    ("model", "model", "string"),
    ("input_tokens", "input_tokens", "int"),
    ("output_tokens", "output_tokens", "int"),
    ("cache_read_tokens", "cache_read_tokens", "int"),
    ("cache_creation_tokens", "cache_creation_tokens", "int"),
    ("cost_usd", "cost_usd", "double"),
    ("tool_name", "tool_name", "string"),
    ("success", "success", "string"),
    ("error", "error", "string"),
    ("status_code", "status_code", "int"),
    ("attempt", "attempt", "int"),
    ("duration_ms", "duration_ms", "int"),
    ("prompt_length", "prompt_length", "int"),
    ("request_id", "request_id", "string"),
)
#: Metric name -> unit, in the order a line lists them.
METRICS = {
    "claude_code.session.count": "count",
    "claude_code.lines_of_code.count": "count",
    "claude_code.commit.count": "count",
    "claude_code.pull_request.count": "count",
    "claude_code.active_time.total": "s",
    "claude_code.token.usage": "tokens",
    "claude_code.cost.usage": "USD",
}


def _value(column: str, kind: str) -> str:
    """SQL text of an AnyValue; int64 as a decimal string, per the encoding."""
    if kind == "int":
        return (
            """'{"intValue":"' || CAST(CAST(""" + column + """ AS BIGINT) AS VARCHAR)"""
            """ || '"}'"""
        )
    if kind == "double":
        number = f"CAST(CAST({column} AS DOUBLE) AS VARCHAR)"
        return f"""'{{"doubleValue":' || {number} || '}}'"""
    return f"""'{{"stringValue":' || to_json(CAST({column} AS VARCHAR)) || '}}'"""


def _kv(key: str, column: str, kind: str = "string") -> str:
    """SQL text of a KeyValue; NULL when the column is null."""
    return f"""'{{"key":"{key}","value":' || {_value(column, kind)} || '}}'"""


def _attributes(pairs: list[str]) -> str:
    """SQL text of a KeyValue list; null entries are left out."""
    return f"'[' || concat_ws(',', {', '.join(pairs)}) || ']'"


def _obj(*fields: tuple[str | None, str]) -> str:
    """SQL text of a JSON object from (key, SQL of the value's JSON text);
    a None key takes the SQL of a whole ``"key":value`` member."""
    parts = " || ',' || ".join(f"""'"{k}":' || {v}""" if k else v for k, v in fields)
    return f"'{{' || {parts} || '}}'"


def _text(literal: str) -> str:
    """SQL of a constant JSON string."""
    return f"""'"{literal}"'"""


def _nanos(ms: str) -> str:
    """SQL of a Unix time in nanoseconds as a JSON string, from milliseconds."""
    return f"""'"' || CAST(CAST({ms} AS BIGINT) * 1000000 AS VARCHAR) || '"'"""


def _standard(seed: int) -> list[str]:
    """Session, user, organisation and terminal attributes of a record."""
    session = f"md5('{seed}:session:' || session_no)"
    uuid = (
        f"substr({session}, 1, 8) || '-' || substr({session}, 9, 4) || '-4' || "
        f"substr({session}, 14, 3) || '-a' || substr({session}, 18, 3) || '-' || "
        f"substr({session}, 21, 12)"
    )
    return [
        _kv("session.id", uuid),
        _kv("user.id", "sha256(user_id)"),
        _kv("user.email", "email"),
        _kv("organization.id", f"'{_ORG}'"),
        _kv("terminal.type", "terminal"),
    ]


def _resource(con: duckdb.DuckDBPyConnection, devs: pd.DataFrame) -> None:
    """Register one resource per developer (no team.id when unowned)."""
    con.register("devs", devs)
    pairs = [
        _kv("service.name", "'claude-code'"),
        _kv("service.version", "version"),
        _kv(
            "os.type", "CASE WHEN terminal = 'iTerm.app' THEN 'darwin' ELSE 'linux' END"
        ),
        _kv("team.id", "team"),
        _kv("cost_center", "cost_center"),
        _kv("department", "department"),
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE res AS SELECT user, email, terminal, version, "
        f"user_id, {_obj(('attributes', _attributes(pairs)))} AS resource FROM devs"
    )


def _envelope(kind: str, scope: str, items: str, agg: str) -> str:
    """SQL text of one line: a resource, its scope and the aggregated items."""
    scope_json = _obj(
        ("name", _text(scope)), ("version", "to_json(any_value(version))")
    )
    inner = _obj(("scope", scope_json), (items, f"'[' || string_agg({agg}) || ']'"))
    outer = _obj(
        ("resource", "any_value(resource)"), (f"scope{kind}s", f"'[' || {inner} || ']'")
    )
    return _obj((f"resource{kind}s", f"'[' || {outer} || ']'"))


def _write_lines(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    """Write a query's single text column as JSON Lines."""
    lines = [row[0] for row in con.execute(sql).fetchall()]
    path.write_text("\n".join(lines) + "\n")


def write_events(
    events: pd.DataFrame, devs: pd.DataFrame, seed: int, path: Path
) -> None:
    """Write the log records as OTLP/JSON Lines, one line per user and day."""
    con = duckdb.connect()
    _resource(con, devs)
    con.register("ev", events)
    attrs = [
        _kv("event.name", "event"),
        _kv(
            "event.timestamp",
            "strftime(make_timestamp(CAST(time AS BIGINT) * 1000), "
            "'%Y-%m-%dT%H:%M:%S.%gZ')",
        ),
        _kv("event.sequence", "sequence", "int"),
        *_standard(seed),
        *(_kv(k, c, kind) for k, c, kind in _EVENT_ATTRS),
    ]
    name = """'"claude_code.' || event || '"'"""
    record = _obj(
        ("timeUnixNano", _nanos("time")),
        ("observedTimeUnixNano", _nanos("time + 40")),
        ("severityNumber", "'9'"),
        ("severityText", _text("INFO")),
        ("body", _obj(("stringValue", name))),
        ("attributes", _attributes(attrs)),
        ("eventName", name),
    )
    line = _envelope(
        "Log",
        _EVENT_SCOPE,
        "logRecords",
        "record, ',' ORDER BY time, session_no, sequence",
    )
    _write_lines(
        con,
        f"""
        WITH r AS (
          SELECT ev.*, res.*, {record} AS record
          FROM ev JOIN res USING (user)
        )
        SELECT {line} FROM r GROUP BY day, user ORDER BY day, user
        """,
        path,
    )
    con.close()


def write_metrics(
    points: pd.DataFrame, devs: pd.DataFrame, seed: int, path: Path
) -> None:
    """Write metric points as OTLP/JSON Lines, one line per user and hour.

    ``points`` has ``session_no``, ``user``, ``hour`` (ms), ``metric``,
    ``type`` and ``model`` (None where not an attribute) and ``value``.
    """
    con = duckdb.connect()
    _resource(con, devs)
    order = pd.DataFrame({"metric": list(METRICS), "unit": list(METRICS.values())})
    order["rank"] = range(len(order))
    con.register("pts", points)
    con.register("mets", order)
    attrs = [*_standard(seed), _kv("model", "model"), _kv("type", "type")]
    # Counts are integers (asInt, a string); time, cost and tokens doubles.
    number = (
        """CASE WHEN unit = 'count' THEN '"asInt":"' || CAST(CAST(value AS BIGINT) """
        """AS VARCHAR) || '"' ELSE '"asDouble":' || CAST(CAST(value AS DOUBLE) """
        "AS VARCHAR) END"
    )
    point = _obj(
        ("attributes", _attributes(attrs)),
        ("startTimeUnixNano", _nanos("hour")),
        ("timeUnixNano", _nanos("hour + 3600000")),
        (None, number),
    )
    total = _obj(
        ("aggregationTemporality", "'1'"),
        ("isMonotonic", "'true'"),
        (
            "dataPoints",
            "'[' || string_agg(point, ',' ORDER BY session_no, model, type) || ']'",
        ),
    )
    metric = _obj(
        ("name", "to_json(metric)"),
        ("unit", "to_json(any_value(unit))"),
        ("sum", total),
    )
    line = _envelope("Metric", _METER_SCOPE, "metrics", "metric, ',' ORDER BY rank")
    _write_lines(
        con,
        f"""
        WITH p AS (
          SELECT pts.*, mets.unit, mets.rank, res.*, {point} AS point
          FROM pts JOIN mets USING (metric) JOIN res USING (user)
        ), m AS (
          SELECT user, hour, rank, any_value(resource) AS resource,
                 any_value(version) AS version, {metric} AS metric
          FROM p GROUP BY user, hour, metric, rank
        )
        SELECT {line} FROM m GROUP BY user, hour ORDER BY hour, user
        """,
        path,
    )
    con.close()
