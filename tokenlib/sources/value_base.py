"""What the three value-input layouts share: columns, time, tags, key.

See :mod:`tokenlib.sources.value_inputs` for the layouts.
"""

from __future__ import annotations

from ..errors import MissingColumnError, ParameterError
from ..schema import TABLE_COLUMNS
from .base import Check, Field, Plan, literal, quote
from .checks import currency_check
from .files import Table

__all__ = ["LAYOUTS", "REQUIRED", "base_plan", "currency_checks", "number", "text"]

#: Layout -> file column -> field kind; required columns are in REQUIRED.
LAYOUTS: dict[str, dict[str, str]] = {
    "outcomes": {
        "use_case": "text",
        "outcome": "text",
        "session": "text",
        "request_id": "text",
        "attempted": "count",
        "verified": "count",
        "failed": "count",
        "value": "money",
        "currency": "text",
    },
    "routes": {
        "use_case": "text",
        "request_id": "text",
        "provider": "text",
        "served_model": "text",
        "reference_model": "text",
        "candidate_model": "text",
        "served_score": "float",
        "reference_score": "float",
        "candidate_score": "float",
        "input_tokens": "tokens",
        "cache_read_tokens": "tokens",
        "output_tokens": "tokens",
    },
    "volumes": {
        "unit": "text",
        "use_case": "text",
        "volume": "float",
        "revenue": "money",
        "gross_profit": "money",
        "currency": "text",
    },
}
REQUIRED = {
    "outcomes": ("use_case", "attempted", "verified"),
    "routes": ("served_model", "reference_model"),
    "volumes": ("unit", "volume"),
}
# Fields that identify a record when the row has no request id.
_IDENTITY = {
    "outcomes": ("use_case", "outcome", "session"),
    "routes": tuple(LAYOUTS["routes"]),
    "volumes": ("unit", "use_case"),
}
_TIME_COLUMNS = ("date", "start", "end")


def text(column: str) -> str:
    """SQL of a column's value as trimmed text, NULL when empty."""
    return f"nullif(trim(CAST({quote(column)} AS VARCHAR)), '')"


def number(column: str, decimal_comma: bool) -> str:
    """SQL of a column read as a DOUBLE, NULL when absent or not a number."""
    t = text(column)
    if decimal_comma:
        t = f"replace({t}, ',', '.')"
    return f"TRY_CAST({t} AS DOUBLE)"


def _resolve(table: Table, layout: str, mapping: dict[str, str]) -> dict[str, str]:
    """Layout column -> file column, after an optional mapping."""
    known = (*_TIME_COLUMNS, *LAYOUTS[layout])
    for target, column in mapping.items():
        if target not in known:
            raise ParameterError(
                f"--map {target}={column}: {target!r} is not a column of the "
                f"{layout} layout; expected one of {', '.join(known)}"
            )
        if column not in table.columns:
            raise MissingColumnError(table.path, [column], list(table.columns))
    cols = {c: c for c in known if c in table.columns}
    cols.update(mapping)
    missing = [c for c in REQUIRED[layout] if c not in cols]
    if "date" not in cols and "start" not in cols:
        missing.insert(0, "date or start")
    if missing:
        raise MissingColumnError(table.path, missing, list(table.columns))
    return cols


def _time(cols: dict[str, str]) -> tuple[dict[str, Field], list[Check]]:
    """Fields and checks for ``start`` and ``end`` from a date or a time."""
    if "start" in cols:
        fields = {"start": Field("time", column=cols["start"], required=True)}
        if "end" in cols:
            fields["end"] = Field("time", column=cols["end"])
        else:
            fields["end"] = Field(
                "time", expr=f"TRY_CAST({text(cols['start'])} AS TIMESTAMPTZ)"
            )
        return fields, []
    raw = text(cols["date"])
    day = (
        f"CASE WHEN regexp_full_match({raw}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
        f"THEN TRY_CAST({raw} AS DATE) END"
    )
    start = f"CAST({day} AS TIMESTAMPTZ)"
    fields = {
        "start": Field("time", expr=start),
        "end": Field("time", expr=f"{start} + INTERVAL 1 DAY"),
    }
    checks = [
        Check(cols["date"], raw, f"{raw} IS NULL", "missing required value"),
        Check(
            cols["date"],
            raw,
            f"({raw} IS NOT NULL AND ({day} IS NULL "
            f"OR year({day}) NOT BETWEEN 2000 AND 2100))",
            "unparseable date (expected YYYY-MM-DD)",
        ),
    ]
    return fields, checks


def _tags(table: Table, cols: dict[str, str]) -> Field | None:
    """A JSON object of the non-empty values of the columns the layout does
    not know (as text), or None when the file has no such column."""
    used = set(cols.values())
    extra = [c for c in table.columns if c not in used]
    if not extra:
        return None
    pairs = ", ".join(f"{literal(c)}, {text(c)}" for c in extra)
    # Merging into {} drops the keys whose value is empty.
    merged = f"json_merge_patch('{{}}', json_object({pairs}))"
    return Field("json", expr=f"nullif(CAST({merged} AS VARCHAR), '{{}}')::JSON")


def currency_checks(cols: dict[str, str], money: tuple[str, ...]) -> list[Check]:
    """A row with an amount, or a currency, needs a three-letter code."""
    amounts = [c for c in money if c in cols]
    if not amounts and "currency" not in cols:
        return []
    code = f"upper({text(cols['currency'])})" if "currency" in cols else "NULL"
    raw = text(cols["currency"]) if "currency" in cols else "NULL"
    given = " OR ".join(f"{text(cols[c])} IS NOT NULL" for c in amounts)
    given = " OR ".join(filter(None, [given, f"{raw} IS NOT NULL"]))
    check = currency_check(cols.get("currency", "currency"), raw, code)
    return [Check(check.column, raw, f"(({given}) AND {check.bad})", check.reason)]


def _key(layout: str, cols: dict[str, str], start: str) -> list[str]:
    """The record key: the request id when given, else the identity fields."""
    ident = [start] + [text(cols[c]) for c in _IDENTITY[layout] if c in cols]
    parts = ", ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in ident)
    natural = f"concat_ws('|', {parts})"
    if "request_id" not in cols:
        return [natural]
    rid = text(cols["request_id"])
    if layout == "routes":
        # A sample without its id is told apart by its place in the file.
        natural = f"{natural} || '|row ' || CAST(_row AS VARCHAR)"
    return [f"CASE WHEN {rid} IS NOT NULL THEN 'request|' || {rid} ELSE {natural} END"]


def base_plan(
    table: Table, layout: str, mapping: dict[str, str]
) -> tuple[Plan, dict[str, str]]:
    """Return the plan shared by the three layouts, before the layout's own
    checks, and the layout column -> file column it reads."""
    cols = _resolve(table, layout, mapping)
    fields, checks = _time(cols)
    for name, kind in LAYOUTS[layout].items():
        if name in cols:
            required = name in REQUIRED[layout]
            fields[name] = Field(kind, column=cols[name], required=required)
    if "currency" in cols:
        fields["currency"] = Field("text", expr=f"upper({text(cols['currency'])})")
    tags = _tags(table, cols)
    if tags is not None:
        fields["tags"] = tags
    start = fields["start"].expr or f"TRY_CAST({text(cols['start'])} AS TIMESTAMPTZ)"
    assert set(fields) <= set(TABLE_COLUMNS[layout])
    plan = Plan(
        source=layout,
        path=table.path,
        relation=table.relation,
        fields=fields,
        key=_key(layout, cols, start),
        # Routing samples without request ids: identical rows are told apart
        # by order. A day's count (outcomes, volumes) is one record.
        key_is_unique=layout != "routes" or "request_id" in cols,
        checks=checks,
        decimal_comma=table.decimal_comma,
        rejects=table.rejects,
        table=layout,
    )
    return plan, cols
