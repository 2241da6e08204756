"""Read a small YAML settings file into a validated pydantic model.

Owner rules and the value policy are such files. Errors name the file and
the place in it, counting list items from 1 (``rules 2, field``), so a user
finds the line to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ParameterError

__all__ = ["read_settings"]

M = TypeVar("M", bound=BaseModel)


def _place(loc: tuple) -> str:
    """Say where in the file an error is.

    >>> _place(("rules", 1, "field")), _place(("split",)), _place(())
    ('rules 2, field', 'split', '(top)')
    """
    if len(loc) >= 2 and isinstance(loc[1], int):
        return ", ".join([f"{loc[0]} {loc[1] + 1}", *map(str, loc[2:])])
    return ".".join(str(p) for p in loc) or "(top)"


def read_settings(
    path: str | Path,
    model: type[M],
    what: str,
    check: Callable[[dict], str | None] | None = None,
) -> M:
    """Read ``path`` as YAML and validate it as ``model``.

    Parameters
    ----------
    what
        What the file holds, for messages ("owner rules").
    check
        Extra check of the raw mapping: returns a message, or None when fine.

    Raises
    ------
    ParameterError
        The file cannot be read, is not a mapping, fails ``check`` or the
        model's validation; the message names the file and the place.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError, ValueError) as exc:
        # PyYAML raises ValueError for a date that does not exist (2026-13-01).
        raise ParameterError(f"{path}: cannot read the {what} ({exc})") from exc
    if not isinstance(data, dict):
        raise ParameterError(
            f"{path}: expected a mapping of settings at the top, found "
            f"{type(data).__name__}"
        )
    problem = check(data) if check else None
    if problem:
        raise ParameterError(f"{path}: {problem}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(f"{_place(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ParameterError(f"{path}: {where}") from None
