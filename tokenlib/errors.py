"""Errors raised by tokenlib.

Every error a user can cause derives from :class:`TokenlibError`; the command
line prints its message without a traceback. Specific errors also inherit the
matching builtin so callers can catch them the usual way.
"""

from __future__ import annotations

__all__ = [
    "TokenlibError",
    "InputFileError",
    "MissingColumnError",
    "UnknownFormatError",
    "PriceError",
    "ParameterError",
    "ReportError",
]


class TokenlibError(Exception):
    """Base class for every error a user of tokenlib can cause."""


class InputFileError(TokenlibError, ValueError):
    """An input file cannot be read at all (missing, empty, not the format)."""


class MissingColumnError(InputFileError, KeyError):
    """An input file lacks a column its format requires."""

    def __init__(
        self,
        path: object,
        missing: list[str],
        found: list[str],
        hint: str = "Map a column with --map ledger_column=file_column "
        "or fix the export.",
    ):
        self.path, self.missing, self.found = path, missing, found
        super().__init__(
            f"{path}: missing required column(s) {', '.join(missing)}; "
            f"found {', '.join(found) or 'no columns'}. " + hint
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class UnknownFormatError(InputFileError):
    """The format of an input file cannot be told from its content."""


class PriceError(TokenlibError, ValueError):
    """A price file or price value is invalid."""


class ParameterError(TokenlibError, ValueError):
    """A parameter (date, time zone, scope, mapping) is invalid."""


class ReportError(TokenlibError, RuntimeError):
    """A notebook of the report failed; the message names notebook and cell."""
