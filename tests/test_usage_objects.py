"""Provider usage objects recorded per request: shapes, prices, real records."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import FIXTURES, REAL_DATA

import tokenlib
from tokenlib.sources import detect_format

SHAPES = FIXTURES / "usage_objects_shapes.jsonl"
RECORDED = FIXTURES / "usage_objects_recorded.jsonl"
REAL = REAL_DATA / "genai_prices_recorded_api_usage_part_a.jsonl"
START = {"start": "2026-03-02T12:00:00Z"}
TOKENS = (
    "input_tokens, cache_read_tokens, cache_write_5m_tokens, "
    "cache_write_1h_tokens, output_tokens, reasoning_tokens"
)


def _rows(con, columns: str) -> dict:
    got = con.execute(
        f"SELECT source_row, {columns} FROM ledger ORDER BY source_row"
    ).fetchall()
    return {r[0]: r[1:] for r in got}


def test_each_shape_is_split_into_the_ledger_classes(con):
    s = tokenlib.ingest_file(con, SHAPES)
    assert (s.source, s.rows_read, s.ingested, s.quarantined) == (
        "usage_objects",
        8,
        5,
        3,
    )
    assert _rows(con, TOKENS) == {
        # OpenAI chat: prompt 12,000 includes 10,000 cached -> 2,000
        1: (2000, 10000, 0, 0, 800, 0),
        # Responses: 5,000 - 4,096 cached = 904; output 1,500 has 1,024 reasoning
        2: (904, 4096, 0, 0, 1500, 1024),
        # Anthropic: input excludes cache; writes 2,000 = 1,200 5m + 800 1h
        3: (330, 1500, 1200, 800, 95, 0),
        # Bedrock: inputTokens excludes cache; writes 297 = 197 5m + 100 1h
        4: (3, 2074, 197, 100, 61, 0),
        # Gemini: 1,000 prompt + 50 tool-use prompt - 600 cached = 450;
        # output = 200 candidates + 300 thoughts = 500; reasoning 300
        5: (450, 600, 0, 0, 500, 300),
    }


def test_provider_is_told_from_the_shape_unless_given(con):
    tokenlib.ingest_file(con, SHAPES)
    assert _rows(con, "provider") == {
        1: ("openai",),  # given
        2: ("openai",),  # Responses usage with details
        3: ("anthropic",),
        4: ("aws",),
        5: ("google",),
    }


def test_each_shape_is_priced_as_worked_by_hand(con):
    tokenlib.ingest_file(con, SHAPES)
    tokenlib.price_ledger(con)
    got = dict(con.execute("SELECT source_row, computed_cost FROM priced").fetchall())
    assert got == pytest.approx(
        {
            # gpt-4o-mini 0.15 / 0.075 cached / 0.60 per MTok:
            # 2,000 x 0.15 + 10,000 x 0.075 + 800 x 0.60 = 1,530
            1: 0.00153,
            # gpt-5-mini 0.25 / 0.025 / 2.00: 226 + 102.4 + 3,000 = 3,328.4
            2: 0.0033284,
            # claude-sonnet-4-5 3 / 0.30 / 3.75 (5m) / 6 (1h) / 15:
            # 990 + 450 + 4,500 + 4,800 + 1,425 = 12,165
            3: 0.012165,
            # Bedrock regional Sonnet 4.5 3.30 / 0.33 / 4.125 / 6.60 / 16.50:
            # 9.9 + 684.42 + 812.625 + 660 + 1,006.5 = 3,173.445
            4: 0.003173445,
            # gemini-2.5-flash 0.30 / 0.03 / 2.50: 135 + 18 + 1,250 = 1,403
            5: 0.001403,
        }
    )


def test_bad_records_go_to_quarantine_with_a_reason(con):
    tokenlib.ingest_file(con, SHAPES)
    q = con.execute(
        "SELECT source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_row"
    ).fetchall()
    assert q == [
        (
            6,
            "cache_read",
            "150",
            "cached tokens exceed the input count, which includes them",
        ),
        (7, "usage", None, "no usage object of a known shape"),
        (8, "start", None, "missing required value"),
    ]


def test_times_who_fields_and_tags(con):
    tokenlib.ingest_file(con, SHAPES)
    got = _rows(
        con,
        "strftime(start, '%Y-%m-%d %H:%M'), strftime(\"end\", '%H:%M:%S'), "
        'team, "user", agent, session, use_case, region',
    )
    # Unix 1,772,442,000 s = 2026-03-02 09:00 UTC; 10:00 at +01:00 = 09:00 UTC
    assert got[1] == ("2026-03-02 09:00", None, "search", None, None, None, "faq", None)
    assert got[2][:4] == ("2026-03-02 09:00", None, None, "ana")
    assert got[3] == (
        "2026-03-02 09:00",
        "09:00:05",
        None,
        None,
        "triage-bot",
        "s-9",
        None,
        None,
    )
    assert got[4][-1] == "us-east-1"
    tags = json.loads(_rows(con, "tags")[1][0])
    assert tags == {"tenant": "acme", "usage_shape": "openai_chat", "request_id": "u-1"}


def test_reingest_changes_nothing(con):
    tokenlib.ingest_file(con, SHAPES)
    s = tokenlib.ingest_file(con, SHAPES)
    assert (s.ingested, s.duplicate, s.quarantined) == (0, 5, 3)
    assert con.execute("SELECT count(*) FROM ledger").fetchone()[0] == 5


def test_recorded_layout_needs_a_start(con):
    s = tokenlib.ingest_file(con, RECORDED)
    assert (s.ingested, s.quarantined) == (0, 2)
    s = tokenlib.ingest_file(con, RECORDED, set_values=START)
    assert (s.ingested, s.quarantined) == (2, 0)
    # without ids the records are keyed by content: a re-ingest adds nothing
    s = tokenlib.ingest_file(con, RECORDED, set_values=START)
    assert (s.ingested, s.duplicate) == (0, 2)


def test_recorded_layout_is_priced_as_the_file_says(con):
    tokenlib.ingest_file(con, RECORDED, set_values=START)
    tokenlib.price_ledger(con)
    got = con.execute(
        f"SELECT source_row, provider, model, {TOKENS}, computed_cost FROM priced "
        "ORDER BY source_row"
    ).fetchall()
    assert got == [
        # 200 x 3 + 1,000 x 3.75 + 40 x 15 = 4,950 = 0.00435 + 0.0006
        (
            1,
            "anthropic",
            "claude-sonnet-4-5",
            200,
            0,
            1000,
            0,
            40,
            0,
            pytest.approx(0.00495),
        ),
        # 80 x 0.30 + (20 + 30) x 2.50 = 149 = 0.000024 + 0.000125
        (2, "google", "gemini-2.5-flash", 80, 0, 0, 0, 50, 30, pytest.approx(0.000149)),
    ]


@pytest.mark.parametrize("name", [SHAPES.name, RECORDED.name])
def test_format_is_detected(con, name):
    assert detect_format(con, FIXTURES / name) == "usage_objects"


# --- the real recorded file -------------------------------------------------------

#: The flavour of genai-prices extractor that reads each shape.
_FLAVOUR = {
    "gemini": "default",
    "cohere": "default",
    "bedrock": "default",
    "anthropic": "default",
    "openai_chat": "chat",
    "openai_responses": "responses",
}


def _real_ledger(con) -> list[dict]:
    """Ingest and price the real file; one dict per ledger row with its record."""
    if not REAL.exists():
        pytest.skip(f"real data folder absent: {REAL}")
    s = tokenlib.ingest_file(con, REAL, set_values=START)
    assert (s.rows_read, s.ingested, s.quarantined) == (973, 973, 0)
    tokenlib.price_ledger(con)
    cur = con.execute(
        f"""SELECT p.source_row, json_extract_string(p.tags, '$.usage_shape'),
          coalesce(mm.catalogue_provider, p.provider), {TOKENS}, p.computed_cost
        FROM priced p LEFT JOIN model_map mm
          ON coalesce(p.provider, '') = coalesce(mm.provider, '')
         AND p.model = mm.model ORDER BY p.source_row"""
    )
    names = ["row", "shape", "provider", *TOKENS.split(", "), "cost"]
    records = [json.loads(line) for line in REAL.read_text().splitlines()]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["record"] = records[r["row"] - 1]
    return rows


def _extraction(row: dict):
    """The genai-prices extraction for the row's provider and shape.

    Returns (usage, extractor); the extractor is None when genai-prices read
    the shape for other providers only.
    """
    extracted = row["record"]["extracted"]
    for flavour in (_FLAVOUR[row["shape"]], "default", "embeddings"):
        for e in extracted:
            for x in e["extractors"]:
                if (x["api_flavor"], x["provider_id"]) == (flavour, row["provider"]):
                    return e["usage"], x
    # No extractor of this provider: the fullest reading of the shape.
    for flavour in (_FLAVOUR[row["shape"]], "embeddings"):
        found = [
            e
            for e in extracted
            if any(x["api_flavor"] == flavour for x in e["extractors"])
        ]
        if found:
            return max(found, key=lambda e: len(e["usage"]))["usage"], None
    raise AssertionError(f"row {row['row']}: no extraction")


def test_real_records_tokens_agree_with_genai_prices(con):
    rows = _real_ledger(con)
    wrong = []
    for r in rows:
        usage, _ = _extraction(r)
        writes = r["cache_write_5m_tokens"] + r["cache_write_1h_tokens"]
        mine = {
            "input_tokens": r["input_tokens"] + r["cache_read_tokens"] + writes,
            "cache_read_tokens": r["cache_read_tokens"],
            "cache_write_tokens": writes,
            "output_tokens": r["output_tokens"],
            # genai-prices leaves reasoning out for some extractors
            "output_reasoning_tokens": usage.get(
                "output_reasoning_tokens", r["reasoning_tokens"]
            ),
        }
        if {k: usage.get(k, 0) for k in mine} != mine:
            wrong.append((r["row"], r["shape"], mine, usage))
    assert wrong == []
    assert {r["shape"] for r in rows} == set(_FLAVOUR)


def _modalities(usage: dict) -> bool:
    """Audio, video or image-output tokens, which genai-prices prices apart."""
    return any(
        usage.get(k)
        for k in ("input_audio_tokens", "input_video_tokens", "output_image_tokens")
    )


def test_real_records_cost_agrees_with_genai_prices(con):
    """Compare the ledger's cost with genai-prices' per record.

    Compared: records the ledger prices whose provider genai-prices priced.
    Exact where the usage is text only; where genai-prices prices audio or
    video input apart (the ledger has no such class) the text rate is used
    and the two agree to the cent unless output images were priced.
    """
    rows = _real_ledger(con)
    exact, cent, image, other = [], [], [], []
    for r in rows:
        usage, x = _extraction(r)
        if r["cost"] is None or x is None or "input_price" not in x:
            continue
        ref = Decimal(x["input_price"]) + Decimal(x["output_price"])
        gap = abs(Decimal(str(r["cost"])) - ref)
        if gap < Decimal("1e-9"):
            exact.append(r["row"])
        elif _modalities(usage) and gap < Decimal("0.005"):
            cent.append(r["row"])
        elif usage.get("output_tokens") and "image" in r["record"].get("model", ""):
            image.append(r["row"])
        else:
            other.append((r["row"], r["provider"], float(r["cost"]), float(ref)))
    assert other == []
    compared = len(exact) + len(cent) + len(image)
    assert compared > 700
    assert len(exact) / compared > 0.95
    assert len(image) <= 5


def test_a_saved_response_gives_its_created_time(con, tmp_path):
    path = tmp_path / "responses.jsonl"
    record = {
        "id": "chatcmpl-1",
        "created": 1772442000,  # 2026-03-02 09:00 UTC
        "model": "gpt-4o-mini",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
    }
    path.write_text(json.dumps(record) + "\n")
    tokenlib.ingest_file(con, path)
    got = con.execute(
        "SELECT strftime(start, '%Y-%m-%d %H:%M'), input_tokens, output_tokens "
        "FROM ledger"
    ).fetchall()
    assert got == [("2026-03-02 09:00", 10, 5)]
