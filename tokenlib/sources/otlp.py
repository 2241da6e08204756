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
Traces (``resourceSpans``) are not flattened here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from .base import literal

__all__ = [
    "documents",
    "metric_points",
    "log_records",
    "nanos_to_timestamp",
    "peek",
    "with_deltas",
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
    """Return SQL turning a KeyValue list (JSON) into ``MAP(VARCHAR, VARCHAR)``.

    Keys in ``drop`` are left out, so their values are never read.
    """
    entries = (
        "list_transform(coalesce(CAST(" + kvs + " AS JSON[]), []), "
        "lambda kv: struct_pack(k := kv->>'key', v := "
        + any_value("kv->'value'")
        + "))"
    )
    dropped = ", ".join(literal(k) for k in drop)
    keep = "e.k IS NOT NULL" + (f" AND e.k NOT IN ({dropped})" if dropped else "")
    kept = f"list_filter({entries}, lambda e: {keep})"
    # A repeated key keeps its last value: maps refuse duplicate keys.
    last = (
        f"list_filter({kept}, lambda e, i: NOT list_contains("
        f"list_transform(list_slice({kept}, i + 1, len({kept})), lambda x: x.k), e.k))"
    )
    return f"map_from_entries({last})"


def nanos_to_timestamp(nanos: str) -> str:
    """Return SQL turning Unix nanoseconds into TIMESTAMPTZ (microseconds kept)."""
    return f"make_timestamptz(CAST({nanos} // 1000 AS BIGINT))"


def _nanos(json_field: str) -> str:
    """Unix nanoseconds as BIGINT; zero (unset in OTLP) becomes NULL."""
    return f"nullif(TRY_CAST({json_field} AS BIGINT), 0)"


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
    temporality = _TEMPORALITY.format(t=f"{body}->>'aggregationTemporality'")
    value = "coalesce(p->>'asInt', p->>'asDouble', p->>'sum')"
    return f"""
    WITH d AS ({documents(path)}),
    r AS (SELECT _doc, unnest(CAST(doc->'resourceMetrics' AS JSON[])) AS x,
                 generate_subscripts(CAST(doc->'resourceMetrics' AS JSON[]), 1) AS ri
          FROM d),
    s AS (SELECT _doc, ri, x->'resource'->'attributes' AS ra,
                 unnest(CAST(x->'scopeMetrics' AS JSON[])) AS y,
                 generate_subscripts(CAST(x->'scopeMetrics' AS JSON[]), 1) AS si
          FROM r),
    m AS (SELECT _doc, ri, si, ra, y->'scope' AS sc,
                 unnest(CAST(y->'metrics' AS JSON[])) AS m,
                 generate_subscripts(CAST(y->'metrics' AS JSON[]), 1) AS mi
          FROM s),
    p AS (SELECT _doc, ri, si, mi, ra, sc, m,
                 unnest(CAST({body}->'dataPoints' AS JSON[])) AS p,
                 generate_subscripts(CAST({body}->'dataPoints' AS JSON[]), 1) AS pi
          FROM m)
    SELECT _doc,
      {attributes("ra")} AS resource,
      sc->>'name' AS scope, sc->>'version' AS scope_version,
      m->>'name' AS metric, m->>'unit' AS unit, {kind} END AS kind,
      {temporality} AS temporality,
      TRY_CAST({body}->>'isMonotonic' AS BOOLEAN) AS monotonic,
      {_nanos("p->>'startTimeUnixNano'")} AS start_ns,
      {_nanos("p->>'timeUnixNano'")} AS time_ns,
      TRY_CAST({value} AS DECIMAL(38, 12)) AS value,
      TRY_CAST(p->>'count' AS BIGINT) AS count,
      {attributes("p->'attributes'", drop)} AS attributes,
      row_number() OVER (ORDER BY _doc, ri, si, mi, pi) AS _row
    FROM p"""


def log_records(path: Path, drop: Iterable[str] = ()) -> str:
    """Return SQL of one row per log record in an OTLP logs file.

    Columns: ``_doc``, ``resource`` (map), ``scope``, ``scope_version``,
    ``time_ns``, ``observed_ns``, ``severity``, ``body`` (text of the
    AnyValue), ``event_name`` (the record's ``eventName``), ``attributes``
    (map, without the keys in ``drop``) and ``_row``.
    """
    return f"""
    WITH d AS ({documents(path)}),
    r AS (SELECT _doc, unnest(CAST(doc->'resourceLogs' AS JSON[])) AS x,
                 generate_subscripts(CAST(doc->'resourceLogs' AS JSON[]), 1) AS ri
          FROM d),
    s AS (SELECT _doc, ri, x->'resource'->'attributes' AS ra,
                 unnest(CAST(x->'scopeLogs' AS JSON[])) AS y,
                 generate_subscripts(CAST(x->'scopeLogs' AS JSON[]), 1) AS si
          FROM r),
    g AS (SELECT _doc, ri, si, ra, y->'scope' AS sc,
                 unnest(CAST(y->'logRecords' AS JSON[])) AS g,
                 generate_subscripts(CAST(y->'logRecords' AS JSON[]), 1) AS gi
          FROM s)
    SELECT _doc,
      {attributes("ra")} AS resource,
      sc->>'name' AS scope, sc->>'version' AS scope_version,
      {_nanos("g->>'timeUnixNano'")} AS time_ns,
      {_nanos("g->>'observedTimeUnixNano'")} AS observed_ns,
      g->>'severityText' AS severity,
      {any_value("g->'body'")} AS body,
      g->>'eventName' AS event_name,
      {attributes("g->'attributes'", drop)} AS attributes,
      row_number() OVER (ORDER BY _doc, ri, si, gi) AS _row
    FROM g"""


def _sorted_json(m: str) -> str:
    return f"to_json(list_sort(map_entries({m})))"


def with_deltas(points: str, stored: str | None = None) -> str:
    """Return SQL adding each sum point's own increment to :func:`metric_points`.

    Added columns: ``series`` (md5 of metric name, resource and point
    attributes), ``amount`` (what the point adds), ``from_ns`` (when that
    increment began) and ``dropped`` (a cumulative value below an earlier
    one of the same start time: bad data, ``amount`` NULL).

    Parameters
    ----------
    points
        SQL of metric points (:func:`metric_points`).
    stored
        Optional SQL of points already held, with columns ``series``,
        ``start_ns``, ``time_ns`` and ``value`` (the cumulative value). A
        cumulative series continued from them is differenced against the
        highest held value of the same start time before the file's first
        point of that series.

    Notes
    -----
    Delta points add their value as it is. Cumulative points are differenced
    per series and start time, in time order: a new ``startTimeUnixNano``
    is a restart that counts from zero; a copy of the same point (same series
    and time) gets the same increment. A point after a bad drop is
    differenced against the highest earlier value, not against the drop.
    Gauges and unspecified temporality get ``amount`` NULL.
    """
    same = "a.series = b.series AND a.start_ns IS NOT DISTINCT FROM b.start_ns"
    held = (
        f"""SELECT f.series, f.start_ns, max(h.value) AS p_value,
               max(h.time_ns) AS p_time
        FROM firsts f JOIN ({stored}) h
          ON h.series = f.series AND h.start_ns IS NOT DISTINCT FROM f.start_ns
         AND h.time_ns < f.first_ns
        GROUP BY ALL"""
        if stored
        else "SELECT NULL::VARCHAR AS series, NULL::BIGINT AS start_ns, "
        "NULL::DECIMAL(38, 12) AS p_value, NULL::BIGINT AS p_time WHERE false"
    )
    return f"""
    WITH pts AS (
      SELECT *, md5(concat_ws('|', metric, {_sorted_json("resource")},
                              {_sorted_json("attributes")})) AS series
      FROM ({points})),
    seg AS (SELECT series, start_ns, time_ns, max(value) AS value FROM pts
            WHERE temporality = 'cumulative' GROUP BY ALL),
    firsts AS (SELECT series, start_ns, min(time_ns) AS first_ns
               FROM seg GROUP BY ALL),
    held AS ({held}),
    win AS (
      SELECT *, max(value) OVER w AS run_max, max(time_ns) OVER w AS prev_time
      FROM seg WINDOW w AS (PARTITION BY series, start_ns ORDER BY time_ns
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
    diffs AS (
      SELECT a.series, a.start_ns, a.time_ns,
             greatest(a.run_max, b.p_value) AS base,
             coalesce(a.prev_time, b.p_time, a.start_ns) AS from_ns
      FROM win a LEFT JOIN held b ON {same})
    SELECT a.*,
      CASE WHEN a.temporality = 'delta' THEN a.value
           WHEN a.temporality <> 'cumulative' THEN NULL
           WHEN b.base IS NULL THEN a.value
           WHEN a.value >= b.base THEN a.value - b.base END AS amount,
      CASE WHEN a.temporality = 'cumulative' THEN b.from_ns
           ELSE a.start_ns END AS from_ns,
      coalesce(a.temporality = 'cumulative' AND a.value < b.base, false) AS dropped
    FROM pts a LEFT JOIN diffs b ON {same} AND a.time_ns IS NOT DISTINCT FROM b.time_ns
    """


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
        lambda kv: (kv->>'key') = 'service.name'),
        lambda kv: kv->'value'->>'stringValue'))),
      flatten(list(
        coalesce(json_extract_string(doc,
          '$.resourceMetrics[*].scopeMetrics[*].metrics[*].name'), [])
        || coalesce(json_extract_string(doc,
          '$.resourceLogs[*].scopeLogs[*].logRecords[*].body.stringValue'), [])
        || coalesce(json_extract_string(doc,
          '$.resourceLogs[*].scopeLogs[*].logRecords[*].eventName'), [])
        || list_transform(list_filter(coalesce(json_extract(doc,
          '$.resourceLogs[*].scopeLogs[*].logRecords[*].attributes[*]'), []),
          lambda kv: (kv->>'key') = 'event.name'),
          lambda kv: kv->'value'->>'stringValue')))
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
