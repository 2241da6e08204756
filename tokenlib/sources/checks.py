"""Row checks that several readers share: counts, money and currency codes.

Each function returns :class:`~tokenlib.sources.base.Check` rows for a plan;
the ingest engine sends a row where a check holds to quarantine, naming the
field as the export spells it.
"""

from __future__ import annotations

from .base import Check

__all__ = ["count_checks", "currency_check", "money_checks", "whole"]


def whole(text: str) -> str:
    """SQL for a count written as text: a BIGINT, or NULL when absent or bad."""
    t = f"nullif(trim({text}), '')"
    return (
        f"CASE WHEN TRY_CAST({t} AS DOUBLE) = TRY_CAST({t} AS BIGINT) "
        f"THEN TRY_CAST({t} AS BIGINT) END"
    )


def count_checks(
    label: str, text: str, negative: str = "negative token count"
) -> list[Check]:
    """Checks sending a row whose count is not a whole number, or negative.

    ``text`` is the SQL text of the value (cast a typed column to VARCHAR),
    ``label`` the field named in the quarantine row and ``negative`` the
    reason given for a value below zero.
    """
    t = f"nullif(trim({text}), '')"
    return [
        Check(
            label,
            t,
            f"({t} IS NOT NULL AND {whole(text)} IS NULL)",
            "not a whole number",
        ),
        Check(label, t, f"coalesce({whole(text)} < 0, false)", negative),
    ]


def money_checks(label: str, text: str, scale: int = 12) -> list[Check]:
    """Checks sending a row whose amount is missing or not a number.

    ``text`` is the SQL text of the amount; it is read as
    ``DECIMAL(38, scale)``, never as a float.
    """
    t = f"nullif(trim({text}), '')"
    return [
        Check(label, t, f"{t} IS NULL", "missing amount"),
        Check(
            label, t, f"TRY_CAST({t} AS DECIMAL(38, {scale})) IS NULL", "not a number"
        ),
    ]


def currency_check(label: str, value: str, currency: str) -> Check:
    """A check sending a row whose currency is not an ISO 4217 code.

    ``value`` is the SQL of the value as written, ``currency`` the SQL of the
    code as the reader stores it (trimmed, upper case).
    """
    return Check(
        label,
        value,
        f"NOT coalesce(regexp_full_match({currency}, '[A-Z]{{3}}'), false)",
        "not a 3-letter currency code",
    )
