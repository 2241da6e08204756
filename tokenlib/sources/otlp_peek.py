"""Tell what an OTLP JSON file holds from its first documents, for detection.

Reads names along JSON paths of the documents, without flattening the file
(:mod:`tokenlib.sources.otlp`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .otlp import TOPS, documents

__all__ = ["peek"]


def _strings(doc_path: str, key: str | None = None) -> str:
    """SQL list of the strings at a JSON path (of ``key`` entries' values)."""
    if key is None:
        return f"coalesce(json_extract_string(doc, '{doc_path}'), [])"
    return (
        f"list_transform(list_filter(coalesce(json_extract(doc, '{doc_path}'), []), "
        f"lambda kv_: (kv_->>'key') = '{key}'), "
        "lambda kv_: kv_->'value'->>'stringValue')"
    )


def peek(con: duckdb.DuckDBPyConnection, path: Path, docs: int | None = 20) -> dict:
    """Return what the first documents of an OTLP file hold, for detection.

    The result has ``signal`` (``metrics``, ``logs``, ``traces`` or None),
    ``services`` (``service.name`` values), ``scopes`` (scope names),
    ``names`` (metric names, log bodies, ``eventName`` and ``event.name``
    values, span names) and ``span_keys`` (span attribute keys starting with
    ``gen_ai.``). ``docs`` None reads every document. An unreadable file
    gives ``signal`` None.
    """
    none = {"signal": None, "services": set(), "scopes": set(), "names": set()}
    none["span_keys"] = set()
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return none
    scopes = {"metrics": "scopeMetrics", "logs": "scopeLogs", "traces": "scopeSpans"}
    paths = {s: f"$.{TOPS[s]}[*].{scopes[s]}[*]" for s in TOPS}
    logs = paths["logs"] + ".logRecords[*]"
    spans_ = paths["traces"] + ".spans[*]"
    lists = {
        "services": " || ".join(
            _strings(f"$.{t}[*].resource.attributes[*]", "service.name")
            for t in TOPS.values()
        ),
        "scopes": " || ".join(_strings(p + ".scope.name") for p in paths.values()),
        "names": " || ".join(
            [
                _strings(paths["metrics"] + ".metrics[*].name"),
                _strings(logs + ".body.stringValue"),
                _strings(logs + ".eventName"),
                _strings(logs + ".attributes[*]", "event.name"),
                _strings(spans_ + ".name"),
            ]
        ),
        "span_keys": f"list_filter({_strings(spans_ + '.attributes[*].key')}, "
        "lambda k_: starts_with(k_, 'gen_ai.'))",
    }
    found = ", ".join(f"bool_or((doc->'{t}') IS NOT NULL)" for t in TOPS.values())
    sets = ", ".join(f"list_distinct(flatten(list({v})))" for v in lists.values())
    limit = "" if docs is None else f" LIMIT {int(docs)}"
    sql = f"SELECT {found}, {sets} FROM ({documents(path)}{limit})"
    try:
        row = con.execute(sql).fetchall()[0]
    except duckdb.Error:
        return none
    signal = next((s for s, seen in zip(TOPS, row[:3], strict=True) if seen), None)
    out = {"signal": signal}
    for name, values in zip(lists, row[3:], strict=True):
        out[name] = {v for v in values or () if v}
    return out
