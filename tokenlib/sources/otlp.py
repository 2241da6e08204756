"""Flatten OTLP JSON files (OpenTelemetry metrics and logs) with DuckDB.

An OTLP JSON file is one ``MetricsData`` or ``LogsData`` document, or JSON
Lines of them as the OpenTelemetry file exporter writes. The functions here
return SQL relations of one row per metric data point or per log record,
carrying the resource attributes, the scope, and the point's or record's own
attributes as ``MAP(VARCHAR, VARCHAR)`` so that readers can query them as
``attributes['session.id']``. Each row has a 1-based ``_row`` in file order.

Notes
-----
The OTLP JSON quirks are accepted: 64-bit integers (``asInt``, ``intValue``,
``*UnixNano``) as strings or numbers, ``aggregationTemporality`` as an integer
or as its enum name. Attribute values are kept as text: strings, numbers and
booleans by value, array and key-value-list values as their JSON text, bytes
as base64. A key repeated in one attribute list keeps its last value.
Traces (``resourceSpans``) are not flattened here. Counters are turned into
increments by :func:`tokenlib.sources.otlp_deltas.with_deltas`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from ..errors import InputFileError
from .base import literal

__all__ = [
    "documents",
    "metric_points",
    "log_records",
    "materialize",
    "nanos_to_timestamp",
    "peek",
]

#: Temporality enum values (integer or name) -> 'delta' / 'cumulative'.
_TEMPORALITY = (
    "CASE upper(CAST({t} AS VARCHAR)) "
    "WHEN '1' THEN 'delta' WHEN 'AGGREGATION_TEMPORALITY_DELTA' THEN 'delta' "
    "WHEN '2' THEN 'cumulative' "
    "WHEN 'AGGREGATION_TEMPORALITY_CUMULATIVE' THEN 'cumulative' END"
)
#: Metric data kinds, in the order OTLP lists them.
_KINDS = ("sum", "gauge", "histogram", "exponentialHistogram", "summary")


def documents(path: Path) -> str:
    """Return SQL reading a file's JSON documents as ``doc`` with ``_doc`` order."""
    src = (
        f"read_json_objects({literal(str(path))}, format = 'auto', "
        "maximum_object_size = 1073741824)"
    )
    return f"SELECT json AS doc, row_number() OVER () AS _doc FROM {src}"


def any_value(value: str) -> str:
    """Return SQL giving an OTLP AnyValue (JSON) as text."""
    return (
        f"coalesce({value}->>'stringValue', {value}->>'intValue', "
        f"{value}->>'doubleValue', {value}->>'boolValue', "
        f"CAST(coalesce({value}->'arrayValue', {value}->'kvlistValue') AS VARCHAR), "
        f"{value}->>'bytesValue')"
    )


def attributes(kvs: str, drop: Iterable[str] = ()) -> str:
    """Return SQL turning a KeyValue list (JSON) into a list of ``{k, v}``.

    Keys in ``drop`` are left out, so their values are never read. Turn the
    list, once it is a column, into a map with :func:`as_map`.
    """
    entries = (
        "list_transform(coalesce(CAST(" + kvs + " AS JSON[]), []), "
        "lambda kv_: struct_pack(k := kv_->>'key', v := "
        + any_value("kv_->'value'")
        + "))"
    )
    dropped = ", ".join(literal(k) for k in drop)
    keep = "e_.k IS NOT NULL" + (f" AND e_.k NOT IN ({dropped})" if dropped else "")
    return f"list_filter({entries}, lambda e_: {keep})"


def as_map(column: str) -> str:
    """Return SQL making a ``{k, v}`` list column a ``MAP(VARCHAR, VARCHAR)``.

    A repeated key keeps its last value: maps refuse duplicate keys.
    """
    last = (
        f"list_filter({column}, lambda e_, i_: NOT list_contains(list_transform("
        f"list_slice({column}, i_ + 1, len({column})), lambda o_: o_.k), e_.k))"
    )
    keys = f"list_transform({column}, lambda o_: o_.k)"
    return (
        f"map_from_entries(CASE WHEN len(list_distinct({keys})) = len({column}) "
        f"THEN {column} ELSE {last} END)"
    )


def _with_map(rows: str, kvs: str, name: str, drop: Iterable[str] = ()) -> str:
    """SQL adding map column ``name`` of KeyValue list ``kvs`` to ``rows``."""
    inner = f"SELECT *, {attributes(kvs, drop)} AS _kv FROM ({rows})"
    return f"SELECT * EXCLUDE (_kv), {as_map('_kv')} AS {name} FROM ({inner})"


def nanos_to_timestamp(nanos: str) -> str:
    """Return SQL turning Unix nanoseconds into TIMESTAMPTZ (microseconds kept)."""
    return f"make_timestamptz(CAST({nanos} // 1000 AS BIGINT))"


def _nanos(json_field: str) -> str:
    """Unix nanoseconds as BIGINT; zero (unset in OTLP) becomes NULL."""
    return f"nullif(TRY_CAST({json_field} AS BIGINT), 0)"


def _unnest(rows: str, keep: str, items: str, alias: str, index: str) -> str:
    """SQL unnesting JSON list ``items`` of each row, keeping columns ``keep``.

    The list is parsed once per row, not once per item.
    """
    return (
        f"SELECT {keep}, unnest(_items) AS {alias}, "
        f"generate_subscripts(_items, 1) AS {index} "
        f"FROM (SELECT *, CAST({items} AS JSON[]) AS _items FROM {rows})"
    )


def _resources(path: Path, top: str, scopes: str) -> str:
    """SQL of one row per scope: ``_doc``, ``resource`` map, scope, ``y``."""
    r = _unnest(f"({documents(path)})", "_doc", f"doc->'{top}'", "x", "ri")
    resources = _with_map(r, "x->'resource'->'attributes'", "resource")
    s = _unnest(
        f"({resources})",
        "_doc, ri, resource",
        f"x->'{scopes}'",
        "y",
        "si",
    )
    return (
        "SELECT _doc, ri, si, resource, y->'scope'->>'name' AS scope, "
        f"y->'scope'->>'version' AS scope_version, y FROM ({s})"
    )


def metric_points(path: Path, drop: Iterable[str] = ()) -> str:
    """Return SQL of one row per metric data point in an OTLP metrics file.

    Columns: ``_doc``, ``resource`` (map), ``scope``, ``scope_version``,
    ``metric``, ``unit``, ``kind`` (``sum``, ``gauge``, ``histogram``, ...),
    ``temporality`` (``delta``, ``cumulative`` or NULL), ``monotonic``,
    ``start_ns``, ``time_ns``, ``value`` (``asInt`` or ``asDouble``, or a
    histogram's ``sum``, as DECIMAL(38, 12)), ``count`` (histograms),
    ``attributes`` (map, without the keys in ``drop``) and ``_row``.
    """
    body = "coalesce(" + ", ".join(f"m->'{k}'" for k in _KINDS) + ")"
    kind = "CASE " + " ".join(f"WHEN (m->'{k}') IS NOT NULL THEN '{k}'" for k in _KINDS)
    keep = "_doc, ri, si, resource, scope, scope_version"
    m = _unnest(
        f"({_resources(path, 'resourceMetrics', 'scopeMetrics')})",
        keep,
        "y->'metrics'",
        "m",
        "mi",
    )
    # Fields of the metric are read once per metric, before its points.
    metric = f"""(SELECT {keep}, mi, m->>'name' AS metric, m->>'unit' AS unit,
        {kind} END AS kind,
        {_TEMPORALITY.format(t="body->>'aggregationTemporality'")} AS temporality,
        TRY_CAST(body->>'isMonotonic' AS BOOLEAN) AS monotonic,
        body->'dataPoints' AS points
      FROM (SELECT *, {body} AS body FROM ({m})))"""
    keep += ", mi, metric, unit, kind, temporality, monotonic"
    pts = _unnest(metric, keep, "points", "p", "pi")
    value = "coalesce(p->>'asInt', p->>'asDouble', p->>'sum')"
    return f"""
    SELECT _doc, resource, scope, scope_version, metric, unit, kind, temporality,
      monotonic,
      {_nanos("p->>'startTimeUnixNano'")} AS start_ns,
      {_nanos("p->>'timeUnixNano'")} AS time_ns,
      TRY_CAST({value} AS DECIMAL(38, 12)) AS value,
      TRY_CAST(p->>'count' AS BIGINT) AS count,
      attributes,
      row_number() OVER (ORDER BY _doc, ri, si, mi, pi) AS _row
    FROM ({_with_map(pts, "p->'attributes'", "attributes", drop)})"""


def log_records(path: Path, drop: Iterable[str] = ()) -> str:
    """Return SQL of one row per log record in an OTLP logs file.

    Columns: ``_doc``, ``resource`` (map), ``scope``, ``scope_version``,
    ``time_ns``, ``observed_ns``, ``severity``, ``body`` (text of the
    AnyValue), ``event_name`` (the record's ``eventName``), ``attributes``
    (map, without the keys in ``drop``) and ``_row``.
    """
    keep = "_doc, ri, si, resource, scope, scope_version"
    g = _unnest(
        f"({_resources(path, 'resourceLogs', 'scopeLogs')})",
        keep,
        "y->'logRecords'",
        "g",
        "gi",
    )
    return f"""
    SELECT _doc, resource, scope, scope_version,
      {_nanos("g->>'timeUnixNano'")} AS time_ns,
      {_nanos("g->>'observedTimeUnixNano'")} AS observed_ns,
      g->>'severityText' AS severity,
      {any_value("g->'body'")} AS body,
      g->>'eventName' AS event_name,
      attributes,
      row_number() OVER (ORDER BY _doc, ri, si, gi) AS _row
    FROM ({_with_map(g, "g->'attributes'", "attributes", drop)})"""


def materialize(con: duckdb.DuckDBPyConnection, name: str, sql: str, path: Path) -> str:
    """Flatten a file once into temporary table ``name``; return the name.

    The ingest engine reads a plan's relation several times; JSON flattening
    is the costly part, so it is done once. The table lives until the
    connection closes or the next file of the same reader replaces it.

    Raises
    ------
    InputFileError
        The file is not OTLP JSON that DuckDB can flatten.
    """
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    except duckdb.Error as exc:
        raise InputFileError(
            f"{path}: cannot be read as OTLP JSON (resourceMetrics or "
            f"resourceLogs documents): {exc}"
        ) from exc
    return name


def peek(con: duckdb.DuckDBPyConnection, path: Path, docs: int = 20) -> dict:
    """Return what the first documents of an OTLP file hold, for detection.

    The result has ``signal`` (``metrics``, ``logs``, ``traces`` or None),
    ``services`` (``service.name`` values) and ``names`` (metric names, or
    log bodies, ``eventName`` and ``event.name`` values). An unreadable file
    gives ``signal`` None.
    """
    none = {"signal": None, "services": set(), "names": set()}
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return none
    res = "$.{top}[*].resource.attributes[*]"
    sql = f"""
    SELECT
      bool_or((doc->'resourceMetrics') IS NOT NULL),
      bool_or((doc->'resourceLogs') IS NOT NULL),
      bool_or((doc->'resourceSpans') IS NOT NULL),
      flatten(list(list_transform(list_filter(
        coalesce(json_extract(doc, '{res.format(top="resourceMetrics")}'), [])
        || coalesce(json_extract(doc, '{res.format(top="resourceLogs")}'), []),
        lambda kv_: (kv_->>'key') = 'service.name'),
        lambda kv_: kv_->'value'->>'stringValue'))),
      flatten(list(
        coalesce(json_extract_string(doc,
          '$.resourceMetrics[*].scopeMetrics[*].metrics[*].name'), [])
        || coalesce(json_extract_string(doc,
          '$.resourceLogs[*].scopeLogs[*].logRecords[*].body.stringValue'), [])
        || coalesce(json_extract_string(doc,
          '$.resourceLogs[*].scopeLogs[*].logRecords[*].eventName'), [])
        || list_transform(list_filter(coalesce(json_extract(doc,
          '$.resourceLogs[*].scopeLogs[*].logRecords[*].attributes[*]'), []),
          lambda kv_: (kv_->>'key') = 'event.name'),
          lambda kv_: kv_->'value'->>'stringValue')))
    FROM ({documents(path)} LIMIT {int(docs)})"""
    try:
        met, logs, spans, services, names = con.execute(sql).fetchall()[0]
    except duckdb.Error:
        return none
    signal = "metrics" if met else "logs" if logs else "traces" if spans else None
    return {
        "signal": signal,
        "services": {s for s in services or () if s},
        "names": {n for n in names or () if n},
    }
