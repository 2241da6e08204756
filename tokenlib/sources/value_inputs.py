"""Value-stage inputs: outcomes, routing evidence and business volumes.

Three small CSV or Parquet layouts a user writes by hand or exports from a
ticketing, evaluation or finance system. Each names its time by ``date``
(a UTC day: ``start`` is its midnight and ``end`` the next midnight) or by
``start`` (a time, with an optional ``end``). Columns a layout does not
know are kept in ``tags``. The layouts are described in the README
("Value inputs") and in ``data/templates/``.
"""

from __future__ import annotations

from .base import Check, Plan
from .checks import whole
from .files import Table
from .value_base import LAYOUTS, REQUIRED, base_plan, currency_checks, number, text

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


def looks_like_outcomes(columns: dict[str, str]) -> bool:
    """A table with ``use_case``, ``attempted`` and ``verified`` columns."""
    return set(REQUIRED["outcomes"]) <= set(columns)


def looks_like_routes(columns: dict[str, str]) -> bool:
    """A table with ``served_model`` and ``reference_model`` columns."""
    return set(REQUIRED["routes"]) <= set(columns)


def looks_like_volumes(columns: dict[str, str]) -> bool:
    """A table with ``unit`` and ``volume`` columns."""
    return set(REQUIRED["volumes"]) <= set(columns)


def is_value_input(columns: dict[str, str]) -> bool:
    """Tell whether a table has one of the value-input layouts."""
    return any(
        f(columns) for f in (looks_like_outcomes, looks_like_routes, looks_like_volumes)
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
    plan, cols = base_plan(table, "outcomes", mapping)
    tried, done = whole(text(cols["attempted"])), whole(text(cols["verified"]))
    plan.checks.append(
        Check(
            cols["verified"],
            text(cols["verified"]),
            f"coalesce({done} > {tried}, false)",
            "verified exceeds attempted",
        )
    )
    if "failed" in cols:
        failed = whole(text(cols["failed"]))
        plan.checks.append(
            Check(
                cols["failed"],
                text(cols["failed"]),
                f"coalesce({failed} > {tried} - {done}, false)",
                "failed exceeds attempted minus verified",
            )
        )
    plan.checks += currency_checks(cols, ("value",))
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
    plan, cols = base_plan(table, "routes", mapping)
    for name in ("served_score", "reference_score", "candidate_score"):
        if name in cols:
            score = number(cols[name], table.decimal_comma)
            plan.checks.append(
                Check(
                    cols[name],
                    text(cols[name]),
                    f"coalesce({score} NOT BETWEEN 0 AND 1, false)",
                    "score outside 0..1",
                )
            )
    if "candidate_score" in cols:
        model = text(cols["candidate_model"]) if "candidate_model" in cols else "NULL"
        plan.checks.append(
            Check(
                cols["candidate_score"],
                text(cols["candidate_score"]),
                f"({text(cols['candidate_score'])} IS NOT NULL AND {model} IS NULL)",
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
    plan, cols = base_plan(table, "volumes", mapping)
    volume = number(cols["volume"], table.decimal_comma)
    plan.checks.append(
        Check(
            cols["volume"],
            text(cols["volume"]),
            f"coalesce({volume} < 0, false)",
            "negative volume",
        )
    )
    plan.checks += currency_checks(cols, ("revenue", "gross_profit"))
    return plan
