"""Flatten OTLP JSON files (OpenTelemetry metrics, logs and traces) with DuckDB.

An OTLP JSON file is one ``MetricsData``, ``LogsData`` or ``TracesData``
document, a JSON array of them, or JSON Lines of them as the OpenTelemetry
file exporter writes. The functions here return SQL relations of one row per
metric data point, log record or span, carrying the resource attributes, the
scope, and the row's own attributes as ``MAP(VARCHAR, VARCHAR)`` so that
readers can query them as ``attributes['session.id']``. Each row has a
1-based ``_row`` in file order.

Notes
-----
The OTLP JSON quirks are accepted: 64-bit integers (``asInt``, ``intValue``,
``*UnixNano``) as strings or numbers, ``aggregationTemporality`` as an integer
or as its enum name (long or short), trace and span ids as hex or base64.
Attribute values are kept as text: strings, numbers and booleans by value,
bytes as base64, an array as the JSON array of its items' text, a key-value
list as its JSON text. A key repeated in one attribute list keeps its last
value. A time of zero (unset in OTLP) is NULL. Keys to drop are left out
while attributes are read, so their values reach no table. Counters are
turned into increments by :func:`tokenlib.sources.otlp_deltas.with_deltas`;
what a file holds is seen without flattening it by
:func:`tokenlib.sources.otlp_peek.peek`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from ..errors import InputFileError
from .base import literal

__all__ = [
    "as_map",
    "attributes",
    "documents",
    "log_records",
    "materialize",
    "metric_points",
    "nanos_to_timestamp",
    "spans",
]

#: Temporality enum values (integer or name) -> 'delta' / 'cumulative'.
_TEMPORALITY = {
    "1": "delta",
    "AGGREGATION_TEMPORALITY_DELTA": "delta",
    "DELTA": "delta",
    "2": "cumulative",
    "AGGREGATION_TEMPORALITY_CUMULATIVE": "cumulative",
    "CUMULATIVE": "cumulative",
}
#: Metric data kinds, in the order OTLP lists them.
_KINDS = ("sum", "gauge", "histogram", "exponentialHistogram", "summary")
#: Top-level key of each signal's documents.
TOPS = {"metrics": "resourceMetrics", "logs": "resourceLogs", "traces": "resourceSpans"}


def documents(path: Path) -> str:
    """Return SQL reading a file's JSON documents as ``doc`` with ``_doc`` order."""
    src = (
        f"read_json_objects({literal(str(path))}, format = 'auto', "
        "maximum_object_size = 1073741824)"
    )
    return f"SELECT json AS doc, row_number() OVER () AS _doc FROM {src}"


def _scalar(v: str) -> str:
    return (
        f"coalesce({v}->>'stringValue', {v}->>'intValue', {v}->>'doubleValue', "
        f"{v}->>'boolValue', {v}->>'bytesValue')"
    )


def any_value(v: str) -> str:
    """Return SQL giving an OTLP AnyValue (JSON) as text."""
    items = f"json_extract({v}, '$.arrayValue.values[*]')"
    array = (
        f"CAST(to_json(list_transform({items}, lambda a_: {_scalar('a_')})) AS VARCHAR)"
    )
    return (
        f"CASE WHEN ({v}->'arrayValue') IS NOT NULL THEN {array} "
        f"WHEN ({v}->'kvlistValue') IS NOT NULL "
        f"THEN CAST({v}->'kvlistValue' AS VARCHAR) ELSE {_scalar(v)} END"
    )


def attributes(
    kvs: str, drop: Iterable[str] = (), drop_prefixes: Iterable[str] = ()
) -> str:
    """Return SQL turning a KeyValue list (JSON) into a list of ``{k, v}``.

    Keys in ``drop`` and keys starting with one of ``drop_prefixes`` are left
    out, so their values are never read. Turn the list, once it is a column,
    into a map with :func:`as_map`.
    """
    entries = (
        "list_transform(coalesce(CAST(" + kvs + " AS JSON[]), []), "
        "lambda kv_: struct_pack(k := kv_->>'key', v := "
        + any_value("kv_->'value'")
        + "))"
    )
    dropped = ", ".join(literal(k) for k in drop)
    keep = "e_.k IS NOT NULL" + (f" AND e_.k NOT IN ({dropped})" if dropped else "")
    keep += "".join(f" AND NOT starts_with(e_.k, {literal(p)})" for p in drop_prefixes)
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


def _with_map(rows: str, kvs: str, name: str, drop: tuple) -> str:
    """SQL adding map column ``name`` of KeyValue list ``kvs`` to ``rows``."""
    inner = f"SELECT *, {attributes(kvs, *drop)} AS _kv FROM ({rows})"
    return f"SELECT * EXCLUDE (_kv), {as_map('_kv')} AS {name} FROM ({inner})"


def nanos_to_timestamp(nanos: str) -> str:
    """Return SQL turning Unix nanoseconds into TIMESTAMPTZ (microseconds kept)."""
    return f"make_timestamptz(CAST({nanos} // 1000 AS BIGINT))"


def _nanos(json_field: str) -> str:
    """Unix nanoseconds as BIGINT; zero (unset in OTLP) becomes NULL."""
    return f"nullif(TRY_CAST(TRY_CAST({json_field} AS DECIMAL(20, 0)) AS BIGINT), 0)"


def _id(text: str, size: int) -> str:
    """A trace or span id (hex, or base64 of ``size`` bytes) as lower-case hex."""
    raw = f"try(from_base64({text}))"
    return (
        f"CASE WHEN regexp_full_match({text}, '[0-9a-fA-F]{{{2 * size}}}') "
        f"THEN lower({text}) WHEN octet_length({raw}) = {size} "
        f"THEN lower(hex({raw})) END"
    )


def _unnest(rows: str, keep: str, items: str, alias: str, index: str) -> str:
    """SQL unnesting JSON list ``items`` of each row, keeping columns ``keep``.

    The list is parsed once per row, not once per item.
    """
    return (
        f"SELECT {keep}, unnest(_items) AS {alias}, "
        f"generate_subscripts(_items, 1) AS {index} "
        f"FROM (SELECT *, CAST({items} AS JSON[]) AS _items FROM {rows})"
    )


def _items(path: Path, signal: str, scopes: str, items: str, drop: tuple) -> str:
    """SQL of one row per item ``i`` (index ``ii``) below resource and scope."""
    r = _unnest(f"({documents(path)})", "_doc", f"doc->'{TOPS[signal]}'", "x", "ri")
    resources = _with_map(r, "x->'resource'->'attributes'", "resource", drop)
    s = _unnest(f"({resources})", "_doc, ri, resource", f"x->'{scopes}'", "y", "si")
    scoped = (
        "SELECT _doc, ri, si, resource, y->'scope'->>'name' AS scope, "
        f"y->'scope'->>'version' AS scope_version, y FROM ({s})"
    )
    keep = "_doc, ri, si, resource, scope, scope_version"
    return _unnest(f"({scoped})", keep, f"y->'{items}'", "i", "ii")


def _drops(drop: Iterable[str], drop_prefixes: Iterable[str]) -> tuple:
    return (tuple(drop), tuple(drop_prefixes))


def metric_points(
    path: Path, drop: Iterable[str] = (), drop_prefixes: Iterable[str] = ()
) -> str:
    """Return SQL of one row per metric data point in an OTLP metrics file.

    Columns: ``_doc``, ``resource`` (map), ``scope``, ``scope_version``,
    ``metric``, ``unit``, ``kind`` (``sum``, ``gauge``, ``histogram``, ...),
    ``temporality_raw`` (as written), ``temporality`` (``delta``,
    ``cumulative`` or NULL), ``monotonic``, ``start_ns``, ``time_ns``,
    ``value_text`` and ``value`` (``asInt`` or ``asDouble``, or a histogram's
    ``sum``; ``value`` as DECIMAL(38, 12)), ``count`` (histograms),
    ``attributes`` (map, without the dropped keys) and ``_row``.
    """
    body = "coalesce(" + ", ".join(f"i->'{k}'" for k in _KINDS) + ")"
    kind = "CASE " + " ".join(f"WHEN (i->'{k}') IS NOT NULL THEN '{k}'" for k in _KINDS)
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _TEMPORALITY.items())
    keep = "_doc, ri, si, resource, scope, scope_version"
    drops = _drops(drop, drop_prefixes)
    m = _items(path, "metrics", "scopeMetrics", "metrics", drops)
    # Fields of the metric are read once per metric, before its points.
    metric = f"""(SELECT {keep}, ii AS mi, i->>'name' AS metric, i->>'unit' AS unit,
        {kind} END AS kind, body->>'aggregationTemporality' AS temporality_raw,
        CASE upper(body->>'aggregationTemporality') {whens} END AS temporality,
        TRY_CAST(body->>'isMonotonic' AS BOOLEAN) AS monotonic,
        body->'dataPoints' AS points
      FROM (SELECT *, {body} AS body FROM ({m})))"""
    keep += ", mi, metric, unit, kind, temporality_raw, temporality, monotonic"
    pts = _unnest(metric, keep, "points", "p", "pi")
    return f"""
    SELECT * EXCLUDE (ri, si, mi, pi, p),
      TRY_CAST(value_text AS DECIMAL(38, 12)) AS value,
      row_number() OVER (ORDER BY _doc, ri, si, mi, pi) AS _row
    FROM (SELECT *, {_nanos("p->>'startTimeUnixNano'")} AS start_ns,
      {_nanos("p->>'timeUnixNano'")} AS time_ns,
      coalesce(p->>'asInt', p->>'asDouble', p->>'sum') AS value_text,
      TRY_CAST(p->>'count' AS BIGINT) AS count
      FROM ({_with_map(pts, "p->'attributes'", "attributes", drops)}))"""


def log_records(
    path: Path, drop: Iterable[str] = (), drop_prefixes: Iterable[str] = ()
) -> str:
    """Return SQL of one row per log record in an OTLP logs file.

    Columns: ``_doc``, ``resource`` (map), ``scope``, ``scope_version``,
    ``time_ns``, ``observed_ns``, ``severity``, ``body`` (text of the
    AnyValue), ``event_name`` (the record's ``eventName``), ``attributes``
    (map, without the dropped keys) and ``_row``.
    """
    drops = _drops(drop, drop_prefixes)
    g = _items(path, "logs", "scopeLogs", "logRecords", drops)
    return f"""
    SELECT _doc, resource, scope, scope_version,
      {_nanos("i->>'timeUnixNano'")} AS time_ns,
      {_nanos("i->>'observedTimeUnixNano'")} AS observed_ns,
      i->>'severityText' AS severity, {any_value("i->'body'")} AS body,
      i->>'eventName' AS event_name, attributes,
      row_number() OVER (ORDER BY _doc, ri, si, ii) AS _row
    FROM ({_with_map(g, "i->'attributes'", "attributes", drops)})"""


def spans(
    path: Path, drop: Iterable[str] = (), drop_prefixes: Iterable[str] = ()
) -> str:
    """Return SQL of one row per span in an OTLP traces file.

    Columns: ``_doc``, ``resource`` (map), ``scope``, ``scope_version``,
    ``span_name``, ``trace_id``, ``span_id``, ``parent_span_id`` (hex, NULL
    when unreadable), ``start_ns``, ``end_ns``, ``status_code`` (as written),
    ``attributes`` (map, without the dropped keys) and ``_row``. Span events
    and links are not read.
    """
    drops = _drops(drop, drop_prefixes)
    s = _items(path, "traces", "scopeSpans", "spans", drops)
    return f"""
    SELECT _doc, resource, scope, scope_version, i->>'name' AS span_name,
      {_id("i->>'traceId'", 16)} AS trace_id, {_id("i->>'spanId'", 8)} AS span_id,
      {_id("i->>'parentSpanId'", 8)} AS parent_span_id,
      {_nanos("i->>'startTimeUnixNano'")} AS start_ns,
      {_nanos("i->>'endTimeUnixNano'")} AS end_ns,
      i->'status'->>'code' AS status_code, attributes,
      row_number() OVER (ORDER BY _doc, ri, si, ii) AS _row
    FROM ({_with_map(s, "i->'attributes'", "attributes", drops)})"""


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
            f"{path}: cannot be read as OTLP JSON (documents with "
            f"{', '.join(TOPS.values())}): {exc}"
        ) from exc
    return name
