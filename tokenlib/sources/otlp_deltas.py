"""Turn OTLP sum and histogram points into increments, for every OTLP reader.

Works on the relation of :func:`tokenlib.sources.otlp.metric_points`, in SQL
with window functions. Delta points add their value as it is. Cumulative
points are differenced per series and start time, in time order; a series
continued from an earlier file is differenced against the points of it
already held in the ledger or activity table (:func:`held_points`).

Notes
-----
The Claude Code and GenAI readers once differenced in two ways; the one kept
is the one whose total equals the counter's last reading:

- A point whose value is below an earlier one of the same start time is bad
  data (``dropped``, ``amount`` NULL), and the next point is differenced
  against the highest earlier value, not against the drop: 100, 250, 200,
  300 adds 100 + 150 + 50 = 300, not 350.
- Copies of one point (same series, start and time) are counted once: each
  copy gets the increment of the highest copy, and ``first_copy`` marks one
  of them (the highest, then the first in the file) for readers that sum
  points before the engine removes repeated keys.

Points held from earlier files count only when they are earlier than the
file's first point of the series, so files of one cumulative series must be
ingested in time order: an earlier file ingested after a later one is
counted again.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from .base import literal

__all__ = ["held_points", "points_json", "with_deltas"]


def _sorted_json(m: str) -> str:
    return f"to_json(list_sort(map_entries({m})))"


def _held(stored: str | None) -> str:
    """SQL of the highest held value before each series' first point."""
    if not stored:
        return (
            "SELECT NULL::VARCHAR AS series, NULL::BIGINT AS start_ns, "
            "NULL::DECIMAL(38, 12) AS p_value, NULL::BIGINT AS p_time WHERE false"
        )
    return f"""SELECT f.series, f.start_ns, max(h.value) AS p_value,
           max(h.time_ns) AS p_time
    FROM firsts f JOIN ({stored}) h
      ON h.series = f.series AND h.start_ns IS NOT DISTINCT FROM f.start_ns
     AND h.time_ns < f.first_ns
    GROUP BY ALL"""


def with_deltas(points: str, stored: str | None = None, by: Iterable[str] = ()) -> str:
    """Return SQL adding each point's own increment to :func:`metric_points`.

    Added columns: ``series`` (md5 of metric name, resource and point
    attributes, and the columns ``by``), ``amount`` (what the point adds),
    ``from_ns`` (when that increment began), ``base`` (the cumulative value
    it was differenced against), ``dropped`` (a cumulative value below an
    earlier one of the same start time: bad data, ``amount`` NULL) and
    ``first_copy``.

    Parameters
    ----------
    points
        SQL of metric points (:func:`metric_points`).
    stored
        Optional SQL of points already held, with columns ``series``,
        ``start_ns``, ``time_ns`` and ``value`` (:func:`held_points`).
    by
        Further columns that tell series apart (e.g. ``scope``).

    Notes
    -----
    A new ``startTimeUnixNano`` is a restart that counts from zero. Gauges
    and unspecified temporality get ``amount`` NULL.
    """
    parts = ", ".join(
        ["metric", _sorted_json("resource"), _sorted_json("attributes"), *by]
    )
    same = "a.series = b.series AND a.start_ns IS NOT DISTINCT FROM b.start_ns"
    copy = "a.series, a.start_ns, a.time_ns, a.temporality"
    return f"""
    WITH pts AS (
      SELECT *, md5(concat_ws('|', {parts})) AS series FROM ({points})),
    seg AS (SELECT series, start_ns, time_ns, max(value) AS value FROM pts
            WHERE temporality = 'cumulative' GROUP BY ALL),
    firsts AS (SELECT series, start_ns, min(time_ns) AS first_ns
               FROM seg GROUP BY ALL),
    held AS ({_held(stored)}),
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
      CASE WHEN a.temporality = 'cumulative' THEN b.base END AS base,
      coalesce(a.temporality = 'cumulative' AND a.value < b.base, false) AS dropped,
      row_number() OVER (PARTITION BY {copy} ORDER BY a.value DESC, a._row) = 1
        AS first_copy
    FROM pts a LEFT JOIN diffs b ON {same} AND a.time_ns IS NOT DISTINCT FROM b.time_ns
    """


def points_json(where: str = "temporality = 'cumulative'") -> str:
    """Return SQL aggregating the points ``where`` holds as JSON for tags.

    Use it in a grouped query over :func:`with_deltas`; :func:`held_points`
    reads the list back from tag ``otel_points``.
    """
    point = "struct_pack(series, start_ns, time_ns, value)"
    return f"to_json(list({point}) FILTER (WHERE {where}))"


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(con.execute(sql, [table]).fetchall()[0][0])


def held_points(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    """Return SQL of the cumulative points ``source`` already holds, or None.

    A row names its point in tags ``otel_series``, ``otel_start_ns``,
    ``otel_time_ns`` and ``otel_cumulative`` (one point a row), or lists its
    points in tag ``otel_points`` (:func:`points_json`, several a row).
    """
    tables = [t for t in ("ledger", "activity") if _table_exists(con, t)]
    if not tables:
        return None
    one = """SELECT tags->>'otel_series' AS series,
        TRY_CAST(tags->>'otel_start_ns' AS BIGINT) AS start_ns,
        TRY_CAST(tags->>'otel_time_ns' AS BIGINT) AS time_ns,
        TRY_CAST(tags->>'otel_cumulative' AS DECIMAL(38, 12)) AS value
      FROM {t} WHERE source = {s} AND (tags->>'otel_series') IS NOT NULL"""
    many = """SELECT p->>'series', TRY_CAST(p->>'start_ns' AS BIGINT),
        TRY_CAST(p->>'time_ns' AS BIGINT),
        TRY_CAST(p->>'value' AS DECIMAL(38, 12))
      FROM (SELECT unnest(CAST(tags->'otel_points' AS JSON[])) AS p
            FROM {t} WHERE source = {s} AND (tags->'otel_points') IS NOT NULL)"""
    return " UNION ALL ".join(
        q.format(t=t, s=literal(source)) for t in tables for q in (one, many)
    )
