"""Turn OTLP sum points into increments: delta as is, cumulative differenced.

Works on the relation of :func:`tokenlib.sources.otlp.metric_points`, in SQL
with window functions.
"""

from __future__ import annotations

__all__ = ["with_deltas"]


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
