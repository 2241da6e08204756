"""Claude Code events (OTLP log records) -> ledger and activity rows.

``claude_code.api_request`` becomes one ledger row per request (grain
``request``); ``tool_result``, ``api_error``, ``user_prompt`` and
``tool_decision`` become activity rows of value 1. The event name is read
from attribute ``event.name`` (with or without the ``claude_code.`` prefix),
the record's ``eventName``, or a body of the form ``claude_code.<name>``.

Notes
-----
The prompt text (attribute ``prompt``) and ``tool_parameters`` are dropped
while the file is flattened, so they reach no table, not even quarantine;
the log body is read only for the event name. A request is keyed on its
``request_id``, else on session and ``event.sequence``, else on time and
attributes. ``cache_creation_tokens`` is taken as 5-minute cache writes (the
event does not say the duration).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import Check, Field, Plan, describe, literal
from .claude_code import (
    EVENTS,
    MODEL_SUFFIX,
    _either,
    _tags,
    _who,
    require_signal,
)
from .otlp import log_records, materialize, nanos_to_timestamp

__all__ = ["plan_claude_code_events"]

#: Activity metric of each event other than api_request.
_EVENT_METRICS = {
    "tool_result": "tool_calls",
    "api_error": "api_errors",
    "user_prompt": "prompts",
    "tool_decision": "tool_decisions",
}
#: Event attributes never read: the user's prompt and tool arguments.
_NEVER_READ = ("prompt", "tool_parameters")
_EVENT_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cost_usd",
    "event.name",
)
#: Event attribute -> ledger token column.
_TOKENS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_tokens": "cache_read_tokens",
    "cache_creation_tokens": "cache_write_5m_tokens",
}
_NAME = (
    "regexp_replace(coalesce(attributes['event.name'], event_name, "
    r"CASE WHEN regexp_matches(body, '^claude_code\.[A-Za-z0-9_.]+$') THEN body END),"
    r" '^claude_code\.', '')"
)


#: Temporary table holding the flattened records of the file being read.
_RECORDS = "_claude_code_event_records"


def _flatten(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Flatten the file's records once, with event name, time and key.

    The body is not kept: it is read only for the event name.
    """
    start = (
        f"coalesce({nanos_to_timestamp('time_ns')}, "
        "TRY_CAST(attributes['event.timestamp'] AS TIMESTAMPTZ), "
        f"{nanos_to_timestamp('observed_ns')})"
    )
    attrs = "to_json(list_sort(map_entries(attributes)))"
    res = "to_json(list_sort(map_entries(resource)))"
    key = (
        "CASE WHEN attributes['request_id'] IS NOT NULL "
        "THEN 'request_id:' || attributes['request_id'] "
        "WHEN attributes['event.sequence'] IS NOT NULL THEN concat_ws('|', event, "
        f"{_either('session.id')}, 'sequence:' || attributes['event.sequence']) "
        f"ELSE concat_ws('|', event, time_ns, md5({attrs}), md5({res})) END"
    )
    sql = f"""SELECT *, {key} AS event_key FROM (
      SELECT * EXCLUDE (body), {_NAME} AS event, {start} AS t_start
      FROM ({log_records(path, drop=_NEVER_READ)}))"""
    materialize(con, _RECORDS, sql, path)


def _relation(where: str) -> str:
    return f"SELECT * FROM {_RECORDS} WHERE {where}"


def _ledger(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[Plan, dict]:
    """``api_request`` events -> one ledger row each."""
    cols = ", ".join(f"attributes[{literal(a)}] AS {a}" for a in _TOKENS)
    requests = _relation("event = 'api_request'")
    relation = f"SELECT *, {cols}, attributes['cost_usd'] AS cost_usd FROM ({requests})"
    extra = {"model_suffix": MODEL_SUFFIX}
    fields = {
        "start": Field("time", column="t_start", required=True),
        # The engine compares periods on re-ingest; an event has no end.
        "end": Field("time", expr="NULL::TIMESTAMPTZ"),
        "grain": Field("text", expr="'request'"),
        "record_type": Field("text", expr="'usage'"),
        "requests": Field("count", expr="1"),
        **{col: Field("tokens", column=a) for a, col in _TOKENS.items()},
        "reported_cost": Field("money", column="cost_usd"),
        "currency": Field(
            "text",
            expr="CASE WHEN nullif(trim(cost_usd), '') IS NOT NULL THEN 'USD' END",
        ),
        **_who(_tags(_DROP, extra)),
    }
    plan = Plan(
        source=EVENTS,
        path=path,
        relation=relation,
        fields=fields,
        key=["event_key"],
        key_is_unique=True,
    )
    return plan, describe(con, relation)


#: Attributes that fill columns or only name the event: not kept in tags.
_DROP = (*_EVENT_COLUMNS, "event.timestamp")


def _activity(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[Plan, dict]:
    """Other events -> activity rows of value 1; unknown events -> quarantine."""
    metric = "CASE event " + " ".join(
        f"WHEN {literal(e)} THEN {literal(m)}" for e, m in _EVENT_METRICS.items()
    )
    others = _relation("event IS DISTINCT FROM 'api_request'")
    relation = f"SELECT *, {metric} END AS activity_metric FROM ({others})"
    fields = {
        "start": Field("time", column="t_start", required=True),
        "end": Field("time", expr="NULL::TIMESTAMPTZ"),
        "metric": Field("text", expr="activity_metric"),
        "value": Field("float", expr="1.0"),
        **_who(_tags(_DROP, {"model_suffix": MODEL_SUFFIX})),
    }
    checks = [
        Check(
            "event.name",
            "event",
            "activity_metric IS NULL",
            "unknown Claude Code event (expected api_request, "
            + ", ".join(_EVENT_METRICS)
            + ")",
        )
    ]
    plan = Plan(
        source=EVENTS,
        path=path,
        relation=relation,
        fields=fields,
        key=["event_key"],
        key_is_unique=True,
        checks=checks,
        table="activity",
    )
    return plan, describe(con, relation)


def plan_claude_code_events(con: duckdb.DuckDBPyConnection, path: Path) -> list:
    """Describe how a Claude Code events file fills the ledger and activity."""
    require_signal(con, path, "logs")
    _flatten(con, path)
    return [_ledger(con, path), _activity(con, path)]
