"""Value-stage inputs: outcomes, routing evidence and business volumes.

Three small CSV or Parquet layouts a user writes by hand or exports from a
ticketing, evaluation or finance system. Each names its time by ``date``
(a UTC day: ``start`` is its midnight and ``end`` the next midnight) or by
``start`` (a time, with an optional ``end``). Columns a layout does not
know are kept in ``tags``. The layouts are described in the README
("Value inputs") and in ``data/templates/``.
"""

from __future__ import annotations

from ..errors import MissingColumnError, ParameterError
from ..schema import TABLE_COLUMNS
from .base import Check, Field, Plan, literal, quote
from .checks import currency_check, whole
from .files import Table

__all__ = [
    "LAYOUTS",
    "is_value_input",
    "looks_like_outcomes",
    "looks_like_routes",
    "looks_like_volumes",
    "plan_outcomes",
    "plan_routes",
    "plan_volumes",
]

#: Layout -> file column -> field kind; required columns are in _REQUIRED.
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
_REQUIRED = {
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


def looks_like_outcomes(columns: dict[str, str]) -> bool:
    """A table with ``use_case``, ``attempted`` and ``verified`` columns."""
    return set(_REQUIRED["outcomes"]) <= set(columns)


def looks_like_routes(columns: dict[str, str]) -> bool:
    """A table with ``served_model`` and ``reference_model`` columns."""
    return set(_REQUIRED["routes"]) <= set(columns)


def looks_like_volumes(columns: dict[str, str]) -> bool:
    """A table with ``unit`` and ``volume`` columns."""
    return set(_REQUIRED["volumes"]) <= set(columns)


def is_value_input(columns: dict[str, str]) -> bool:
    """Tell whether a table has one of the value-input layouts."""
    return any(
        f(columns) for f in (looks_like_outcomes, looks_like_routes, looks_like_volumes)
    )


def _text(column: str) -> str:
    return f"nullif(trim(CAST({quote(column)} AS VARCHAR)), '')"


def _number(column: str, decimal_comma: bool) -> str:
    """SQL of a column read as a DOUBLE, NULL when absent or not a number."""
    t = _text(column)
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
    missing = [c for c in _REQUIRED[layout] if c not in cols]
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
                "time", expr=f"TRY_CAST({_text(cols['start'])} AS TIMESTAMPTZ)"
            )
        return fields, []
    raw = _text(cols["date"])
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
    pairs = ", ".join(f"{literal(c)}, {_text(c)}" for c in extra)
    # Merging into {} drops the keys whose value is empty.
    merged = f"json_merge_patch('{{}}', json_object({pairs}))"
    return Field("json", expr=f"nullif(CAST({merged} AS VARCHAR), '{{}}')::JSON")


def _currency(cols: dict[str, str], money: tuple[str, ...]) -> list[Check]:
    """A row with an amount, or a currency, needs a three-letter code."""
    amounts = [c for c in money if c in cols]
    if not amounts and "currency" not in cols:
        return []
    code = f"upper({_text(cols['currency'])})" if "currency" in cols else "NULL"
    raw = _text(cols["currency"]) if "currency" in cols else "NULL"
    given = " OR ".join(f"{_text(cols[c])} IS NOT NULL" for c in amounts)
    given = " OR ".join(filter(None, [given, f"{raw} IS NOT NULL"]))
    check = currency_check(cols.get("currency", "currency"), raw, code)
    return [Check(check.column, raw, f"(({given}) AND {check.bad})", check.reason)]


def _key(layout: str, cols: dict[str, str], start: str) -> list[str]:
    """The record key: the request id when given, else the identity fields."""
    ident = [start] + [_text(cols[c]) for c in _IDENTITY[layout] if c in cols]
    parts = ", ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in ident)
    natural = f"concat_ws('|', {parts})"
    if "request_id" not in cols:
        return [natural]
    rid = _text(cols["request_id"])
    return [f"CASE WHEN {rid} IS NOT NULL THEN 'request|' || {rid} ELSE {natural} END"]


def _plan(table: Table, layout: str, mapping: dict[str, str]) -> Plan:
    """The plan shared by the three layouts, before the layout's own checks."""
    cols = _resolve(table, layout, mapping)
    fields, checks = _time(cols)
    for name, kind in LAYOUTS[layout].items():
        if name in cols:
            required = name in _REQUIRED[layout]
            fields[name] = Field(kind, column=cols[name], required=required)
    if "currency" in cols:
        fields["currency"] = Field("text", expr=f"upper({_text(cols['currency'])})")
    tags = _tags(table, cols)
    if tags is not None:
        fields["tags"] = tags
    start = fields["start"].expr or f"TRY_CAST({_text(cols['start'])} AS TIMESTAMPTZ)"
    assert set(fields) <= set(TABLE_COLUMNS[layout])
    return Plan(
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


def plan_outcomes(table: Table, mapping: dict[str, str]) -> Plan:
    """Describe how an outcomes table fills the ``outcomes`` table.

    Raises
    ------
    MissingColumnError
        No ``date`` or ``start``, or no ``use_case``, ``attempted`` or
        ``verified`` column.

    Notes
    -----
    A row is quarantined, naming the column, when ``verified`` exceeds
    ``attempted``, ``failed`` exceeds ``attempted - verified``, or a
    ``value`` has no three-letter currency; negative or fractional counts
    go too. Rows with the same day, use case, outcome and session (and no
    request id) are one record: the file's last copy stands.
    """
    plan = _plan(table, "outcomes", mapping)
    cols = _resolve(table, "outcomes", mapping)
    tried, done = whole(_text(cols["attempted"])), whole(_text(cols["verified"]))
    plan.checks.append(
        Check(
            cols["verified"],
            _text(cols["verified"]),
            f"coalesce({done} > {tried}, false)",
            "verified exceeds attempted",
        )
    )
    if "failed" in cols:
        failed = whole(_text(cols["failed"]))
        plan.checks.append(
            Check(
                cols["failed"],
                _text(cols["failed"]),
                f"coalesce({failed} > {tried} - {done}, false)",
                "failed exceeds attempted minus verified",
            )
        )
    plan.checks += _currency(cols, ("value",))
    return plan


def plan_routes(table: Table, mapping: dict[str, str]) -> Plan:
    """Describe how routing evidence fills the ``routes`` table.

    Raises
    ------
    MissingColumnError
        No ``date`` or ``start``, or no ``served_model`` or
        ``reference_model`` column.

    Notes
    -----
    Scores are shares from 0 to 1, empty where no evaluation ran; a score
    outside that range, or a candidate score without a candidate model,
    sends the row to quarantine. Rows without a request id are keyed by
    all their values; in a file without a ``request_id`` column, identical
    rows are told apart by their order.
    """
    plan = _plan(table, "routes", mapping)
    cols = _resolve(table, "routes", mapping)
    for name in ("served_score", "reference_score", "candidate_score"):
        if name in cols:
            score = _number(cols[name], table.decimal_comma)
            plan.checks.append(
                Check(
                    cols[name],
                    _text(cols[name]),
                    f"coalesce({score} NOT BETWEEN 0 AND 1, false)",
                    "score outside 0..1",
                )
            )
    if "candidate_score" in cols:
        model = _text(cols["candidate_model"]) if "candidate_model" in cols else "NULL"
        plan.checks.append(
            Check(
                cols["candidate_score"],
                _text(cols["candidate_score"]),
                f"({_text(cols['candidate_score'])} IS NOT NULL AND {model} IS NULL)",
                "candidate score without a candidate_model",
            )
        )
    return plan


def plan_volumes(table: Table, mapping: dict[str, str]) -> Plan:
    """Describe how business volumes fill the ``volumes`` table.

    Raises
    ------
    MissingColumnError
        No ``date`` or ``start``, or no ``unit`` or ``volume`` column.

    Notes
    -----
    A negative volume, or revenue or gross profit without a three-letter
    currency, sends the row to quarantine; gross profit may be negative.
    Rows with the same day, unit and use case are one record: the file's
    last copy stands.
    """
    plan = _plan(table, "volumes", mapping)
    cols = _resolve(table, "volumes", mapping)
    volume = _number(cols["volume"], table.decimal_comma)
    plan.checks.append(
        Check(
            cols["volume"],
            _text(cols["volume"]),
            f"coalesce({volume} < 0, false)",
            "negative volume",
        )
    )
    plan.checks += _currency(cols, ("revenue", "gross_profit"))
    return plan
