"""Tests for the shared OTLP JSON flattener's spans and detection peek.

Documents are written in each test; expected values are worked out by hand.
"""

from __future__ import annotations

import json

import duckdb

from tokenlib.sources import otlp
from tokenlib.sources.otlp_peek import peek

T = 1772445600 * 10**9  # 2026-03-02T10:00:00Z in nanoseconds


def test_spans_read_ids_times_and_every_attribute_kind(tmp_path):
    attrs = [
        {"key": "s", "value": {"stringValue": "first"}},
        {"key": "n", "value": {"intValue": 7}},
        {"key": "d", "value": {"doubleValue": 0.5}},
        {"key": "b", "value": {"boolValue": True}},
        {"key": "raw", "value": {"bytesValue": "AQI="}},
        {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "x"}]}}},
        {"key": "s", "value": {"stringValue": "last"}},
        {"key": "secret.value", "value": {"stringValue": "SECRET"}},
        {"key": "gen_ai.prompt.0.content", "value": {"stringValue": "SECRET"}},
    ]
    hex_span = {
        "traceId": "AB" * 16,
        "spanId": "cd" * 8,
        "startTimeUnixNano": str(T),
        "endTimeUnixNano": T + 10**9,
        "attributes": attrs,
    }
    # base64 of bytes 0x00..0x0f and 0x00..0x07; start 0 is unset.
    b64_span = {
        "traceId": "AAECAwQFBgcICQoLDA0ODw==",
        "spanId": "AAECAwQFBgc=",
        "parentSpanId": "cd" * 8,
        "startTimeUnixNano": "0",
        "status": {"code": 2},
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [hex_span, b64_span]}]}]}
    path = tmp_path / "spans.json"
    path.write_text(json.dumps([doc]))  # a JSON array of one document
    sql = otlp.spans(path, drop=["secret.value"], drop_prefixes=["gen_ai.prompt."])
    got = (
        duckdb.connect()
        .execute(
            "SELECT trace_id, span_id, parent_span_id, start_ns, end_ns, status_code, "
            f"attributes, _row FROM ({sql}) ORDER BY _row"
        )
        .fetchall()
    )
    attributes = {
        "n": "7",
        "d": "0.5",
        "b": "true",
        "raw": "AQI=",
        "arr": '["x"]',
        "s": "last",
    }
    assert got == [
        ("ab" * 16, "cd" * 8, None, T, T + 10**9, None, attributes, 1),
        (
            "000102030405060708090a0b0c0d0e0f",
            "0001020304050607",
            "cd" * 8,
            None,
            None,
            "2",
            {},
            2,
        ),
    ]


def test_peek_sees_signal_services_scopes_and_names(tmp_path):
    res = {"attributes": [{"key": "service.name", "value": {"stringValue": "app"}}]}
    span = {"name": "chat", "attributes": [{"key": "gen_ai.x", "value": {}}]}
    lines = [
        {"resourceSpans": [{"resource": res, "scopeSpans": [{"spans": [span]}]}]},
        {"resourceMetrics": [{"scopeMetrics": [{"scope": {"name": "sc"}}]}]},
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    seen = peek(duckdb.connect(), path)
    # Metrics outrank traces when a file holds both.
    assert seen == {
        "signal": "metrics",
        "services": {"app"},
        "scopes": {"sc"},
        "names": {"chat"},
        "span_keys": {"gen_ai.x"},
    }
    assert peek(duckdb.connect(), tmp_path / "none.csv")["signal"] is None
