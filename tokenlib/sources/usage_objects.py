"""Provider usage objects recorded per request by an application, JSON Lines.

One JSON object a request (a JSON array of them is read too)::

    {"start": "2026-03-02T10:15:02Z",        # or "timestamp", or a saved
                                             # response's "created_at" or
                                             # "created"; ISO or Unix s
     "end": "2026-03-02T10:15:04Z",          # optional
     "request_id": "req-1",                  # optional; the key when given
     "provider": "anthropic",                # optional; told from the shape
     "model": "claude-sonnet-4-5",
     "service_tier": "batch", "region": "us-east-1",           # optional
     "team": "...", "user": "...", "agent": "...", "session": "...",
     "use_case": "...", "application": "...", "environment": "...",
     "project": "...", "tags": {...},                          # optional
     "usage": {...}}                         # or "usageMetadata" (Gemini)

The files genai-prices records (``{"body": {"model" | "modelVersion", "usage" |
"usageMetadata" | "meta"}, "extracted": [...], "model"}``) are read as well:
the body's fields stand in for the top-level ones. They carry no time; give
one with ``--set start=...`` or every row is quarantined as missing it.

The usage object keeps the provider's own shape, told from its keys:

========== ============================================================
shape      how the ledger's token classes are taken from it
========== ============================================================
gemini     ``usageMetadata``: input = promptTokenCount (which includes
           cachedContentTokenCount) + toolUsePromptTokenCount - cached;
           output = candidatesTokenCount + thoughtsTokenCount (thoughts
           sit outside candidates); reasoning = thoughtsTokenCount
cohere     ``billed_units`` (in ``usage`` or ``meta``): input, output
bedrock    Converse ``inputTokens`` (excludes cache), cacheReadInputTokens,
           cacheWriteInputTokens (1-hour part from ``cacheDetails``)
openai     Chat Completions ``prompt_tokens`` includes
chat       ``prompt_tokens_details.cached_tokens`` and OpenRouter's
           ``cache_write_tokens``; completion_tokens includes reasoning
anthropic  ``input_tokens`` excludes ``cache_read_input_tokens`` and
           ``cache_creation_input_tokens`` (1-hour part from
           ``cache_creation.ephemeral_1h_input_tokens``)
openai     Responses ``input_tokens`` includes
responses  ``input_tokens_details.cached_tokens``; output_tokens includes
           ``output_tokens_details.reasoning_tokens``
========== ============================================================

A usage object with ``input_tokens`` and no cache keys reads the same as
Anthropic or Responses and is taken as Responses. Without a ``provider`` the
shape names one where only one provider uses it (anthropic, aws, google,
cohere, openai for Responses, openrouter for chat usage carrying ``cost``);
other chat usage is left to the model name when priced. OpenRouter's ``cost``
(USD, what OpenRouter charged the caller) goes to ``reported_cost``.

Notes
-----
``num_cached_tokens`` (Mistral) and a top-level ``cached_tokens`` are not
read as cache reads, as genai-prices does not. xAI's chat usage, which counts
reasoning outside ``completion_tokens``, is read as OpenAI's.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..schema import DIMENSIONS
from .base import Check, Field, Plan, literal, quote
from .checks import count_checks, whole
from .jsonrec import first_keys, objects_relation

__all__ = ["looks_like_usage_objects", "plan_usage_objects"]

SOURCE = "usage_objects"

#: Per shape: the object read, then JSON paths of each count in it.
_SHAPES = {
    "gemini": (
        "_g",
        {
            "input": "$.promptTokenCount",
            "input_extra": "$.toolUsePromptTokenCount",
            "cache_read": "$.cachedContentTokenCount",
            "output": "$.candidatesTokenCount",
            "reasoning": "$.thoughtsTokenCount",
        },
    ),
    "cohere": ("_b", {"input": "$.input_tokens", "output": "$.output_tokens"}),
    "bedrock": (
        "_u",
        {
            "input": "$.inputTokens",
            "cache_read": "$.cacheReadInputTokens",
            "cache_write": "$.cacheWriteInputTokens",
            "output": "$.outputTokens",
        },
    ),
    "openai_chat": (
        "_u",
        {
            "input": "$.prompt_tokens",
            "cache_read": "$.prompt_tokens_details.cached_tokens",
            "cache_write": "$.prompt_tokens_details.cache_write_tokens",
            "output": "$.completion_tokens",
            "reasoning": "$.completion_tokens_details.reasoning_tokens",
        },
    ),
    "anthropic": (
        "_u",
        {
            "input": "$.input_tokens",
            "cache_read": "$.cache_read_input_tokens",
            "cache_write": "$.cache_creation_input_tokens",
            "cache_write_1h": "$.cache_creation.ephemeral_1h_input_tokens",
            "output": "$.output_tokens",
            "reasoning": "$.output_tokens_details.thinking_tokens",
        },
    ),
    "openai_responses": (
        "_u",
        {
            "input": "$.input_tokens",
            "cache_read": "$.input_tokens_details.cached_tokens",
            "cache_write": "$.input_tokens_details.cache_write_tokens",
            "output": "$.output_tokens",
            "reasoning": "$.output_tokens_details.reasoning_tokens",
        },
    ),
}
#: Shapes whose input count includes the cache reads and writes.
_INPUT_HAS_CACHE = ("gemini", "openai_chat", "openai_responses")
_COUNTS = ("input", "input_extra", "cache_read", "cache_write", "cache_write_1h")
_COUNTS += ("output", "reasoning")
_SHAPE_SQL = """CASE
  WHEN _g IS NOT NULL THEN 'gemini'
  WHEN _b IS NOT NULL THEN 'cohere'
  WHEN (_u->'$.inputTokens') IS NOT NULL THEN 'bedrock'
  WHEN (_u->'$.prompt_tokens') IS NOT NULL THEN 'openai_chat'
  WHEN (_u->'$.cache_read_input_tokens') IS NOT NULL
    OR (_u->'$.cache_creation_input_tokens') IS NOT NULL THEN 'anthropic'
  WHEN (_u->'$.input_tokens') IS NOT NULL OR (_u->'$.output_tokens') IS NOT NULL
    THEN 'openai_responses'
END"""
_PROVIDER_SQL = """CASE shape
  WHEN 'gemini' THEN 'google' WHEN 'cohere' THEN 'cohere'
  WHEN 'bedrock' THEN 'aws' WHEN 'anthropic' THEN 'anthropic'
  WHEN 'openai_responses' THEN CASE WHEN has_details THEN 'openai' END
  WHEN 'openai_chat' THEN CASE WHEN cost IS NOT NULL THEN 'openrouter' END
END"""
_TOP = ("end", "request_id", "provider", "service_tier")
_TOP += ("region", *[d for d in DIMENSIONS if d not in ("provider", "model")])


def looks_like_usage_objects(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """JSON records holding a provider usage object, directly or in ``body``."""
    keys = first_keys(con, path)
    return bool(keys & {"usage", "usageMetadata"}) or {"body", "extracted"} <= keys


def _get(name: str) -> str:
    return f"j->>{literal('$.' + name)}"


def _relation(path: Path) -> str:
    """Pull the usage object and the record's fields out of each JSON record."""
    top = ", ".join(f"{_get(f)} AS {quote(f)}" for f in dict.fromkeys(_TOP))
    # Locate the usage object, in the record or in a recorded body.
    objects = f"""SELECT _row, {top}, {_start()} AS start,
        coalesce({_get("body.model")}, {_get("body.modelVersion")},
                 {_get("model")}) AS model,
        j->'$.tags' AS user_tags, md5(CAST(j AS VARCHAR)) AS _hash,
        coalesce(j->'$.usage', j->'$.body.usage') AS _u,
        coalesce(j->'$.usageMetadata', j->'$.body.usageMetadata') AS _g,
        coalesce(j->'$.usage.billed_units', j->'$.body.usage.billed_units',
                 j->'$.body.meta.billed_units') AS _b
      FROM ({objects_relation(path)})"""
    # Tell the shape, then read each count from the shape's paths.
    shaped = f"""SELECT *, {_SHAPE_SQL} AS shape,
        _u->>'$.cost' AS cost, _u->>'$.is_byok' AS is_byok,
        ((_u->'$.input_tokens_details') IS NOT NULL
         OR (_u->'$.output_tokens_details') IS NOT NULL) AS has_details,
        list_sum([x.inputTokens FOR x IN coalesce(from_json(_u->'$.cacheDetails',
          '[{{"ttl": "VARCHAR", "inputTokens": "BIGINT"}}]'), []) IF x.ttl = '1h'])
          AS _bedrock_1h
      FROM ({objects})"""
    counts = []
    for count in _COUNTS:
        cases = " ".join(
            f"WHEN {literal(s)} THEN {obj}->>{literal(paths[count])}"
            for s, (obj, paths) in _SHAPES.items()
            if count in paths
        )
        if count == "cache_write_1h":
            cases += " WHEN 'bedrock' THEN CAST(_bedrock_1h AS VARCHAR)"
        counts.append(f"CASE shape {cases} END AS {count}")
    return (
        f"SELECT * EXCLUDE (_u, _g, _b, _bedrock_1h, has_details), "
        f"{_PROVIDER_SQL} AS shape_provider, "
        f"{', '.join(counts)} FROM ({shaped})"
    )


def _tokens() -> tuple[dict[str, Field], list[Check]]:
    """Ledger token fields from the shape's counts, and their checks."""
    n = {c: f"coalesce({whole(c)}, 0)" for c in _COUNTS}
    shapes = ", ".join(literal(s) for s in _INPUT_HAS_CACHE)
    both = f"{n['cache_read']} + {n['cache_write']}"
    cache = f"CASE WHEN shape IN ({shapes}) THEN {both} ELSE 0 END"
    uncached = f"{whole('input')} + {n['input_extra']} - {cache}"
    # Gemini's thoughts sit outside its output count; a reply of thoughts
    # only has no candidatesTokenCount at all.
    thoughts = f"CASE WHEN shape = 'gemini' THEN {n['reasoning']} ELSE 0 END"
    output = f"CASE WHEN shape = 'gemini' THEN {n['output']} ELSE {whole('output')} END"
    fields = {
        "input_tokens": Field("tokens", expr=uncached),
        "cache_read_tokens": Field("tokens", column="cache_read"),
        "cache_write_5m_tokens": Field(
            "tokens", expr=f"{n['cache_write']} - {n['cache_write_1h']}"
        ),
        "cache_write_1h_tokens": Field("tokens", column="cache_write_1h"),
        "output_tokens": Field("tokens", expr=f"{output} + {thoughts}"),
        "reasoning_tokens": Field("tokens", column="reasoning"),
    }
    checks = [
        Check("usage", "NULL", "shape IS NULL", "no usage object of a known shape"),
        *count_checks("input", "input"),
        *count_checks("input_extra", "input_extra"),
        *count_checks("cache_write", "cache_write"),
        *count_checks("output", "output"),
        Check(
            "cache_read",
            "cache_read",
            f"coalesce(({uncached}) < 0, false)",
            "cached tokens exceed the input count, which includes them",
        ),
        Check(
            "cache_write_1h",
            "cache_write_1h",
            f"{n['cache_write_1h']} > {n['cache_write']}",
            "1-hour cache writes exceed all cache writes",
        ),
        Check(
            "reasoning",
            "reasoning",
            f"shape <> 'gemini' AND {n['reasoning']} > {n['output']}",
            "reasoning tokens exceed the output count, which includes them",
        ),
    ]
    return fields, checks


def plan_usage_objects(con: duckdb.DuckDBPyConnection, path: Path) -> list:
    """Describe how recorded usage objects fill the ledger."""
    relation = _relation(path)
    tokens, checks = _tokens()
    tags = (
        "json_merge_patch(CASE WHEN json_type(user_tags) = 'OBJECT' "
        "THEN user_tags ELSE '{}' END, json_object('usage_shape', shape, "
        "'is_byok', is_byok, 'request_id', request_id))"
    )
    fields = {
        "start": Field("time", column="start", required=True),
        "end": Field("time", column="end"),
        "grain": Field("text", expr="'request'"),
        "record_type": Field("text", expr="'usage'"),
        "requests": Field("count", expr="1"),
        "provider": Field(
            "text", expr="coalesce(nullif(trim(provider), ''), shape_provider)"
        ),
        "model": Field("text", column="model"),
        "service_tier": Field("text", column="service_tier"),
        "region": Field("text", column="region"),
        **tokens,
        "reported_cost": Field("money", column="cost"),
        "currency": Field("text", expr="CASE WHEN cost IS NOT NULL THEN 'USD' END"),
        **{
            d: Field("text", column=d)
            for d in DIMENSIONS
            if d not in ("provider", "model", "service_tier", "region")
        },
        "tags": Field("json", expr=tags),
    }
    # Records with an id are keyed by it; otherwise by their content, and
    # identical records are told apart by their order in the file.
    with_ids = con.execute(
        f"SELECT bool_and(nullif(trim(request_id), '') IS NOT NULL) FROM ({relation})"
    ).fetchone()[0]
    key = ["trim(request_id)"] if with_ids else ["_hash"]
    columns = {
        r[0]: r[1]
        for r in con.execute(f"DESCRIBE {relation}").fetchall()
        if r[0] != "_row"
    }
    plan = Plan(
        source=SOURCE,
        path=path,
        relation=relation,
        fields=fields,
        key=key,
        key_is_unique=bool(with_ids),
        checks=checks,
    )
    return [(plan, columns)]


def _start() -> str:
    """SQL of the start time as text; Unix seconds are turned into a time."""
    names = ("start", "timestamp", "created_at", "created")
    t = f"nullif(trim(coalesce({', '.join(_get(n) for n in names)})), '')"
    return (
        f"CASE WHEN TRY_CAST({t} AS DOUBLE) IS NOT NULL "
        f"THEN CAST(to_timestamp(TRY_CAST({t} AS DOUBLE)) AS VARCHAR) ELSE {t} END"
    )
