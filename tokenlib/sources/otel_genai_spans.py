"""OpenTelemetry GenAI spans (OTLP JSON) as ledger rows and agent activity.

A span carrying ``gen_ai.usage.*`` attributes is one request: one ledger row
(grain ``request``), keyed by trace id and span id. ``invoke_agent`` and
``execute_tool`` spans without usage go to the ``activity`` table as
``agent_invocations`` and ``tool_calls`` (value 1, duration in tags); any
other span without usage is not token usage and goes to quarantine, so every
span read is accounted for.

Notes
-----
``gen_ai.usage.input_tokens`` includes cached input; ``input_tokens`` keeps
only the uncached part. The convention's cache-creation count carries no time
to live, so it is read as a 5-minute cache write (a 1-hour write is priced too
low). Deprecated ``gen_ai.usage.prompt_tokens`` and ``completion_tokens`` are
read when the current names are absent. The model priced is the response
model, else the request model; the request model is kept in tags when they
differ. An ``invoke_agent`` or ``invoke_workflow`` span whose direct child
spans in the same file carry usage is taken to repeat that usage and is not a
ledger row; usage repeated only on a grandparent is not recognised.
Spans and GenAI metrics of one service describe the same requests; the two
keep distinct source names so that pricing can prefer spans.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import otlp, otlp_peek
from .base import Check, Field, Plan, describe, literal, quote
from .checks import count_checks
from .otel_genai import drop_content, is_claude_code, provider_sql, tags
from .otlp import nanos_to_timestamp

__all__ = ["looks_like_otel_genai_spans", "plan_otel_genai_spans"]

_U = "gen_ai.usage."
INPUT, PROMPT = _U + "input_tokens", _U + "prompt_tokens"
OUTPUT, COMPLETION = _U + "output_tokens", _U + "completion_tokens"
CACHE_READ = _U + "cache_read.input_tokens"
CACHE_CREATION = _U + "cache_creation.input_tokens"
REASONING = _U + "reasoning.output_tokens"
USAGE_KEYS = (INPUT, PROMPT, OUTPUT, COMPLETION, CACHE_READ, CACHE_CREATION, REASONING)
ACTIVITY_OPS = {"invoke_agent": "agent_invocations", "execute_tool": "tool_calls"}
#: Temporary table holding the flattened spans of the file being read.
_SPANS = "_otel_genai_spans"


def _a(key: str) -> str:
    return f"attributes[{literal(key)}]"


def _r(key: str) -> str:
    return f"resource[{literal(key)}]"


def _int(column: str) -> str:
    return f"TRY_CAST(TRY_CAST({quote(column)} AS DOUBLE) AS BIGINT)"


def _relation(path: Path) -> str:
    """Spans with usage columns and where each one goes."""
    usage = ", ".join(f"{_a(k)} AS {quote(k)}" for k in USAGE_KEYS)
    has_usage = (
        f"len(list_filter(map_keys(attributes), lambda k: starts_with(k, '{_U}'))) > 0"
    )
    return f"""
    WITH spans AS ({otlp.spans(path, **drop_content())}),
    typed AS (
      SELECT *, {_a("gen_ai.operation.name")} AS operation, {usage},
        {has_usage} AS has_usage,
        {nanos_to_timestamp("start_ns")} AS span_start,
        {nanos_to_timestamp("end_ns")} AS span_end
      FROM spans),
    below AS (
      SELECT DISTINCT trace_id, parent_span_id AS span_id, true AS usage_below
      FROM typed WHERE has_usage AND parent_span_id IS NOT NULL)
    SELECT typed.*, has_usage AND NOT (
        coalesce(usage_below, false)
        AND operation IN ('invoke_agent', 'invoke_workflow')) AS counts
    FROM typed LEFT JOIN below USING (trace_id, span_id)"""


def _who() -> dict[str, Field]:
    """Who-and-why fields shared by ledger and activity rows."""
    text = {
        "provider": provider_sql(
            f"coalesce({_a('gen_ai.provider.name')}, {_a('gen_ai.system')})"
        ),
        "agent": f"coalesce({_a('gen_ai.agent.name')}, {_a('gen_ai.agent.id')})",
        "session": _a("gen_ai.conversation.id"),
        "application": _r("service.name"),
        "environment": (
            f"coalesce({_r('deployment.environment.name')}, "
            f"{_r('deployment.environment')}, {_a('deployment.environment.name')}, "
            f"{_a('deployment.environment')})"
        ),
        "user": (
            f"coalesce({_a('enduser.id')}, {_a('user.id')}, "
            f"{_r('enduser.id')}, {_r('user.id')})"
        ),
        "team": f"coalesce({_r('team.id')}, {_a('team.id')})",
    }
    fields = {n: Field("text", expr=e) for n, e in text.items()}
    fields["start"] = Field("time", column="span_start", required=True)
    fields["end"] = Field("time", column="span_end")
    return fields


def _id_checks() -> list[Check]:
    return [
        Check("traceId", "trace_id", "trace_id IS NULL", "missing or unreadable id"),
        Check("spanId", "span_id", "span_id IS NULL", "missing or unreadable id"),
    ]


def _token_checks() -> list[Check]:
    """Per-attribute checks, then the subsets against their totals."""
    checks = [c for key in USAGE_KEYS for c in count_checks(key, quote(key))]
    total_in = f"coalesce({_int(INPUT)}, {_int(PROMPT)}, 0)"
    read, made = (
        f"coalesce({_int(CACHE_READ)}, 0)",
        f"coalesce({_int(CACHE_CREATION)}, 0)",
    )
    total_out = f"coalesce({_int(OUTPUT)}, {_int(COMPLETION)}, 0)"
    return checks + [
        Check(
            CACHE_READ,
            quote(CACHE_READ),
            f"{read} > {total_in}",
            "cache read tokens exceed gen_ai.usage.input_tokens, which include them",
        ),
        Check(
            CACHE_CREATION,
            quote(CACHE_CREATION),
            f"{read} + {made} > {total_in}",
            "cache read plus cache creation tokens exceed "
            "gen_ai.usage.input_tokens, which include them",
        ),
        Check(
            REASONING,
            quote(REASONING),
            f"coalesce({_int(REASONING)}, 0) > {total_out}",
            "reasoning tokens exceed gen_ai.usage.output_tokens, which include them",
        ),
    ]


def _ledger_plan(path: Path, relation: str) -> Plan:
    """Spans that carry usage: one ledger row per request."""
    read, made = (
        f"coalesce({_int(CACHE_READ)}, 0)",
        f"coalesce({_int(CACHE_CREATION)}, 0)",
    )
    request, response = _a("gen_ai.request.model"), _a("gen_ai.response.model")
    tier = (
        f"lower(coalesce({_a('openai.response.service_tier')}, "
        f"{_a('gen_ai.openai.response.service_tier')}, "
        f"{_a('openai.request.service_tier')}, "
        f"{_a('gen_ai.openai.request.service_tier')}))"
    )
    fields = _who() | {
        "input_tokens": Field(
            "tokens",
            expr=f"coalesce({_int(INPUT)}, {_int(PROMPT)}, 0) - {read} - {made}",
        ),
        "cache_read_tokens": Field("tokens", expr=read),
        "cache_write_5m_tokens": Field("tokens", expr=made),
        "output_tokens": Field(
            "tokens", expr=f"coalesce({_int(OUTPUT)}, {_int(COMPLETION)}, 0)"
        ),
        "reasoning_tokens": Field("tokens", expr=f"coalesce({_int(REASONING)}, 0)"),
        "model": Field("text", expr=f"coalesce({response}, {request})"),
        "service_tier": Field(
            "text",
            expr=f"CASE WHEN {tier} IN ('batch', 'priority', 'flex') THEN {tier} "
            "ELSE 'standard' END",
        ),
        "region": Field("text", expr=_r("cloud.region")),
        "requests": Field("count", expr="1"),
        "grain": Field("text", expr="'request'"),
        "record_type": Field("text", expr="'usage'"),
        "tags": Field(
            "json",
            expr=tags(
                {
                    "operation": "operation",
                    "request_model": f"CASE WHEN {request} <> {response} "
                    f"THEN {request} END",
                    "response_id": _a("gen_ai.response.id"),
                    "finish_reasons": _a("gen_ai.response.finish_reasons"),
                    "trace_id": "trace_id",
                    "span_id": "span_id",
                }
            ),
        ),
    }
    routing = [
        Check(
            "gen_ai.operation.name",
            "operation",
            "NOT has_usage",
            "span carries no gen_ai.usage attribute and is not an invoke_agent "
            "or execute_tool span: not token usage",
        ),
        Check(
            "gen_ai.operation.name",
            "operation",
            "has_usage AND NOT counts",
            "workflow span whose child spans carry the same usage",
        ),
    ]
    return Plan(
        source="otel_genai_spans",
        path=path,
        relation=f"SELECT * FROM ({relation}) WHERE NOT to_activity",
        fields=fields,
        key=["trace_id", "span_id"],
        key_is_unique=True,
        checks=_id_checks() + routing + _token_checks(),
    )


def _activity_plan(path: Path, relation: str) -> Plan:
    """Agent and tool spans without usage: one activity row each."""
    whens = " ".join(
        f"WHEN {literal(k)} THEN {literal(v)}" for k, v in ACTIVITY_OPS.items()
    )
    fields = _who() | {
        "metric": Field("text", expr=f"CASE operation {whens} END"),
        "value": Field("float", expr="CAST(1 AS DOUBLE)"),
        "model": Field(
            "text",
            expr=f"coalesce({_a('gen_ai.response.model')}, "
            f"{_a('gen_ai.request.model')})",
        ),
        "tags": Field(
            "json",
            expr=tags(
                {
                    "operation": "operation",
                    "tool_name": _a("gen_ai.tool.name"),
                    "duration_s": "(end_ns - start_ns) / 1e9",
                    "status_code": "status_code",
                    "span_name": "span_name",
                    "trace_id": "trace_id",
                    "span_id": "span_id",
                }
            ),
        ),
    }
    return Plan(
        source="otel_genai_spans",
        path=path,
        relation=f"SELECT * FROM ({relation}) WHERE to_activity",
        fields=fields,
        key=["trace_id", "span_id"],
        key_is_unique=True,
        checks=_id_checks(),
        table="activity",
    )


def plan_otel_genai_spans(
    con: duckdb.DuckDBPyConnection, path: Path
) -> list[tuple[Plan, dict[str, str]]]:
    """Describe how a GenAI spans file fills the ledger and the activity table."""
    ops = ", ".join(literal(o) for o in ACTIVITY_OPS)
    activity = f"NOT counts AND coalesce(operation IN ({ops}), false)"
    routed = f"SELECT *, {activity} AS to_activity FROM ({_relation(path)})"
    # Read the file once: the engine passes over the relation several times.
    relation = f"SELECT * FROM {otlp.materialize(con, _SPANS, routed, path)}"
    plans = [_ledger_plan(path, relation), _activity_plan(path, relation)]
    return [(p, describe(con, p.relation)) for p in plans]


def looks_like_otel_genai_spans(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """OTLP JSON spans with gen_ai attributes, not from Claude Code."""
    seen = otlp_peek.peek(con, path, docs=None)
    prefixes = tuple(drop_content()["drop_prefixes"])
    usable = {
        k
        for k in seen["span_keys"]
        if k not in drop_content()["drop"] and not k.startswith(prefixes)
    }
    return bool(usable) and not is_claude_code(seen)
