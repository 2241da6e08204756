"""LiteLLM proxy spend logs: the ``LiteLLM_SpendLogs`` table, one row a request.

Read from a CSV export or from JSON (an array or JSON Lines) of the table's
rows. ``request_id`` is the record's key; ``startTime``/``endTime`` are ISO
times, read as UTC when they carry no zone. ``spend`` is LiteLLM's own estimate
in US dollars and lands in ``reported_cost``, never in a billed column.
``messages``, ``response`` and ``proxy_server_request`` are never selected, and
of ``metadata`` only the key alias, team alias and the usage counts are read, so
prompt and answer text cannot reach the ledger or the quarantine.

Token counts. LiteLLM writes OpenAI-style ``prompt_tokens`` and
``completion_tokens`` whatever the provider, with the cache detail in
``metadata.usage_object`` (``cache_read_input_tokens``,
``cache_creation_input_tokens``, ``prompt_tokens_details.cached_tokens``).

- OpenAI and other OpenAI-compatible providers: LiteLLM passes the provider's
  ``prompt_tokens`` through, and it includes ``cached_tokens``.
- Anthropic (and Claude on Bedrock and Vertex): LiteLLM's Anthropic
  ``calculate_usage`` (``litellm/llms/anthropic/chat/transformation.py``,
  BerriAI/litellm, 2026) sets ``prompt_tokens = input_tokens +
  cache_creation_input_tokens + cache_read_input_tokens`` and keeps the raw
  ``input_tokens`` as ``prompt_tokens_details.text_tokens``. Versions around
  April 2025 (pull request #9838, "fix double counting cache creation input
  tokens") added only the cache reads, and pull request #23342 (March 2026)
  proposes that ``anthropic_messages`` calls log ``prompt_tokens`` without
  either.

So uncached input = ``prompt_tokens`` - cache reads - cache writes. Where that
is negative the row's ``prompt_tokens`` cannot have included the cache writes
(then reads too), and the reader takes out only what it can have included; the
row's tags say ``prompt_tokens_excluded`` = ``cache_write`` or ``cache``.
``completion_tokens`` includes reasoning
(``completion_tokens_details.reasoning_tokens``).

Notes
-----
A row logged by a LiteLLM version that left cache writes out of
``prompt_tokens`` while reads and writes together stay below it cannot be told
apart from the current convention; its uncached input is then understated by
the cache writes. 1-hour cache writes are read from
``prompt_tokens_details.cache_creation_token_details`` when LiteLLM logged
them; otherwise every cache write is taken as a 5-minute write.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import Check, Field, Plan, literal, quote
from .checks import count_checks, whole
from .files import Table
from .jsonrec import as_json, first_keys, objects_relation

__all__ = [
    "looks_like_litellm_json",
    "looks_like_litellm_table",
    "plan_litellm_json",
    "plan_litellm_table",
]

SOURCE = "litellm_spend"

#: Top-level fields read; message and response bodies are not among them.
_FIELDS = (
    "request_id",
    "call_type",
    "api_key",
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "startTime",
    "endTime",
    "model",
    "model_group",
    "custom_llm_provider",
    "user",
    "team_id",
    "end_user",
    "session_id",
    "agent_id",
    "status",
    "cache_hit",
    "request_tags",
)
#: metadata paths read, as relation column -> JSON paths tried in turn.
_META = {
    "key_alias": ("$.user_api_key_alias",),
    "team_alias": ("$.user_api_key_team_alias",),
}
_USAGE = {
    "usage_prompt_tokens": ("$.prompt_tokens",),
    "usage_completion_tokens": ("$.completion_tokens",),
    "cache_read": (
        "$.cache_read_input_tokens",
        "$.prompt_tokens_details.cached_tokens",
    ),
    "cache_write": (
        "$.cache_creation_input_tokens",
        "$.prompt_tokens_details.cache_creation_tokens",
    ),
    "cache_write_1h": (
        "$.prompt_tokens_details.cache_creation_token_details"
        ".ephemeral_1h_input_tokens",
        "$.cache_creation_token_details.ephemeral_1h_input_tokens",
    ),
    "reasoning": ("$.completion_tokens_details.reasoning_tokens",),
}
#: LiteLLM provider ids -> the price book's provider ids.
_PROVIDERS = {
    "bedrock": "aws",
    "bedrock_converse": "aws",
    "sagemaker": "aws",
    "gemini": "google",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "xai": "x-ai",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "azure_ai": "azure",
    "text-completion-openai": "openai",
    "mistralai": "mistral",
}
#: request_tags keys that fill a ledger dimension.
_TAG_DIMENSIONS = ("use_case", "application", "environment", "project")
_REQUIRED = ("request_id", "startTime")


def looks_like_litellm_json(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """JSON records with a request id, spend and start time."""
    return {"request_id", "spend", "startTime"} <= first_keys(con, path)


def looks_like_litellm_table(columns: dict[str, str]) -> bool:
    """A table with LiteLLM's request id, spend and start time columns."""
    return {"request_id", "spend", "startTime"} <= set(columns)


def _pick(obj: str, paths: tuple[str, ...]) -> str:
    return "coalesce(" + ", ".join(f"{obj}->>{literal(p)}" for p in paths) + ")"


def _relation(base: str, get) -> str:
    """Wrap a base relation so only the read fields are ever selected."""
    top = ", ".join(f"{get(f)} AS {quote(f)}" for f in _FIELDS)
    inner = f"SELECT _row, {top}, {as_json(get('metadata'))} AS _m FROM ({base})"
    meta = ", ".join(f"{_pick('_m', p)} AS {c}" for c, p in _META.items())
    usage_object = as_json("_m->>'$.usage_object'")
    mid = f"SELECT * EXCLUDE (_m), {meta}, {usage_object} AS _u FROM ({inner})"
    usage = ", ".join(f"{_pick('_u', p)} AS {c}" for c, p in _USAGE.items())
    return f"SELECT * EXCLUDE (_u), {usage} FROM ({mid})"


def plan_litellm_json(con: duckdb.DuckDBPyConnection, path: Path) -> list:
    """Describe how a JSON export of LiteLLM spend logs fills the ledger."""
    relation = _relation(objects_relation(path), lambda f: f"j->>{literal('$.' + f)}")
    return [(_plan(path, relation), _columns())]


def plan_litellm_table(table: Table, mapping: dict[str, str]) -> Plan:
    """Describe how a CSV or Parquet export of LiteLLM spend logs fills the ledger."""

    def get(name: str) -> str:
        if name not in table.columns:
            return "NULL::VARCHAR"
        return f"CAST({quote(name)} AS VARCHAR)"

    plan = _plan(table.path, _relation(table.relation, get))
    plan.rejects = table.rejects
    plan.columns = _columns()
    return plan


def _columns() -> dict[str, str]:
    names = [*_FIELDS, *_META, *_USAGE]
    return dict.fromkeys(names, "VARCHAR")


def _tag_lists() -> tuple[str, str]:
    """SQL for the request tags as a list, and the list of those kept as tags."""
    tags = as_json("request_tags")
    items = (
        f"CASE WHEN json_type({tags}) = 'ARRAY' "
        f"THEN from_json({tags}, '[\"VARCHAR\"]') END"
    )
    keys = ", ".join(literal(k) for k in _TAG_DIMENSIONS)
    rest = (
        f"list_filter({items}, lambda x: NOT (contains(x, ':') "
        f"AND split_part(x, ':', 1) IN ({keys})))"
    )
    return items, rest


def _tokens() -> tuple[dict[str, Field], list[Check], str]:
    """Token fields, their checks, and SQL naming what prompt_tokens excluded."""
    prompt = whole("coalesce(prompt_tokens, usage_prompt_tokens)")
    read = f"coalesce({whole('cache_read')}, 0)"
    write = f"coalesce({whole('cache_write')}, 0)"
    hour = f"coalesce({whole('cache_write_1h')}, 0)"
    excluded = (
        f"CASE WHEN {prompt} - {read} - {write} >= 0 THEN NULL "
        f"WHEN {prompt} - {read} >= 0 THEN 'cache_write' ELSE 'cache' END"
    )
    uncached = (
        f"CASE WHEN {prompt} - {read} - {write} >= 0 THEN {prompt} - {read} - {write} "
        f"WHEN {prompt} - {read} >= 0 THEN {prompt} - {read} ELSE {prompt} END"
    )
    fields = {
        "input_tokens": Field("tokens", expr=uncached),
        "cache_read_tokens": Field("tokens", column="cache_read"),
        "cache_write_5m_tokens": Field("tokens", expr=f"{write} - {hour}"),
        "cache_write_1h_tokens": Field("tokens", column="cache_write_1h"),
        "output_tokens": Field(
            "tokens", expr=whole("coalesce(completion_tokens, usage_completion_tokens)")
        ),
        "reasoning_tokens": Field("tokens", column="reasoning"),
    }
    checks = [
        *count_checks("prompt_tokens", "coalesce(prompt_tokens, usage_prompt_tokens)"),
        *count_checks(
            "completion_tokens", "coalesce(completion_tokens, usage_completion_tokens)"
        ),
        *count_checks("cache_creation_input_tokens", "cache_write"),
        Check(
            "cache_creation_token_details.ephemeral_1h_input_tokens",
            "cache_write_1h",
            f"{hour} > {write}",
            "1-hour cache writes exceed all cache writes",
        ),
        Check(
            "reasoning_tokens",
            "reasoning",
            f"coalesce({whole('reasoning')} > "
            f"{whole('coalesce(completion_tokens, usage_completion_tokens)')}, false)",
            "reasoning tokens exceed completion_tokens, which include them",
        ),
    ]
    return fields, checks, excluded


def _provider_model() -> tuple[str, str, str]:
    """SQL for the provider (price-book id), the model, and LiteLLM's provider."""
    given = "nullif(trim(custom_llm_provider), '')"
    prefix = "CASE WHEN model LIKE '%/%' THEN split_part(model, '/', 1) END"
    raw = f"lower(coalesce({given}, {prefix}))"
    cases = " ".join(
        f"WHEN {literal(k)} THEN {literal(v)}" for k, v in _PROVIDERS.items()
    )
    provider = (
        f"CASE WHEN {raw} LIKE 'vertex_ai%' THEN 'google' "
        f"ELSE CASE {raw} {cases} ELSE {raw} END END"
    )
    strip = f"model LIKE '%/%' AND ({given} IS NULL OR lower({prefix}) = {raw})"
    model = (
        f"nullif(trim(CASE WHEN {strip} "
        "THEN substr(model, strpos(model, '/') + 1) ELSE model END), '')"
    )
    return provider, model, raw


def _plan(path: Path, relation: str) -> Plan:
    tokens, checks, excluded = _tokens()
    provider, model, raw_provider = _provider_model()
    items, rest = _tag_lists()
    failed = "status IS NOT NULL AND lower(trim(status)) <> 'success'"
    dims = {
        d: Field(
            "text",
            expr=f"nullif(substr(list_filter({items}, lambda x: starts_with(x, "
            f"{literal(d + ':')}))[1], {len(d) + 2}), '')",
        )
        for d in _TAG_DIMENSIONS
    }
    tags = {
        "request_id": "trim(request_id)",
        "team_alias": "team_alias",
        "end_user": "end_user",
        "api_key_alias": "key_alias",
        "api_key": "api_key",
        "status": "status",
        "failed": f"CASE WHEN {failed} THEN true END",
        "cache_hit": "cache_hit",
        "call_type": "call_type",
        "model_group": "model_group",
        "litellm_provider": f"CASE WHEN {raw_provider} <> ({provider}) "
        f"THEN {raw_provider} END",
        "request_tags": f"CASE WHEN len({rest}) > 0 THEN {rest} END",
        "prompt_tokens_excluded": excluded,
    }
    pairs = ", ".join(f"{literal(k)}, {v}" for k, v in tags.items())
    fields = {
        "start": Field("time", column="startTime", required=True),
        "end": Field("time", column="endTime"),
        "grain": Field("text", expr="'request'"),
        "record_type": Field("text", expr="'usage'"),
        "requests": Field("count", expr="1"),
        "provider": Field("text", expr=provider),
        "model": Field("text", expr=model),
        **tokens,
        "reported_cost": Field("money", column="spend"),
        "currency": Field("text", expr="CASE WHEN spend IS NOT NULL THEN 'USD' END"),
        "user": Field("text", column="user"),
        "team": Field("text", column="team_id"),
        "session": Field("text", column="session_id"),
        "agent": Field("text", column="agent_id"),
        **dims,
        "tags": Field("json", expr=f"json_merge_patch('{{}}', json_object({pairs}))"),
    }
    missing_id = "nullif(trim(request_id), '') IS NULL"
    return Plan(
        source=SOURCE,
        path=path,
        relation=relation,
        fields=fields,
        key=["trim(request_id)"],
        key_is_unique=True,
        checks=[
            Check("request_id", "request_id", missing_id, "missing request id"),
            *checks,
        ],
    )
