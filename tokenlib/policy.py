"""The value policy: route target, quality tolerance, batch and residency rules.

One YAML file, the notebooks' ``policy`` parameter::

    route_target: 0.70          # route win rate target, a share
    quality_tolerance: 0.02     # served score this far below the reference
                                # is still no loss
    batch_eligible:             # use cases whose work can wait for batch
      - doc_summarisation
    residency:                  # regulated workloads and where they may run
      - use_case: support_chat
        allowed: ["eu*", "europe-*"]

:func:`read_policy` reads it into a :class:`Policy`; the value metrics in
:mod:`tokenlib.value` take that model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .settings import read_settings
from .sources.base import literal

__all__ = ["Policy", "ResidencyRule", "read_policy"]


class ResidencyRule(BaseModel):
    """Where one regulated use case may run.

    ``allowed`` holds patterns on the ledger's ``region`` (a region or an
    inference geography): ``*`` stands for any run of characters and ``?``
    for one; matching ignores case.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_case: str = Field(min_length=1)
    allowed: tuple[str, ...] = Field(min_length=1)

    @field_validator("allowed")
    @classmethod
    def _no_blank_pattern(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.strip() for p in value):
            raise ValueError("a pattern is empty")
        return value

    def allowed_sql(self, region: str = "region") -> str:
        """SQL condition: ``region`` matches an allowed pattern (NULL is no)."""
        parts = [
            f"lower({region}) LIKE {literal(_like(p.lower()))} ESCAPE '\\'"
            for p in self.allowed
        ]
        return f"coalesce({' OR '.join(parts)}, false)"


def _like(pattern: str) -> str:
    """Turn a ``*``/``?`` pattern into a LIKE pattern; other text is literal.

    >>> _like("eu_*?%")
    'eu\\\\_%_\\\\%'
    """
    out = []
    for ch in pattern:
        if ch in "\\%_":
            out.append("\\" + ch)
        else:
            out.append({"*": "%", "?": "_"}.get(ch, ch))
    return "".join(out)


class Policy(BaseModel):
    """What the value metrics measure against.

    Attributes
    ----------
    route_target
        The route win rate aimed at, a share between 0 and 1.
    quality_tolerance
        How far below the reference score a served score may be and still
        count as no quality loss (scores are 0 to 1).
    batch_eligible
        Use cases whose work can wait for a batch tier.
    residency
        Regulated use cases and the regions each may run in.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    route_target: float = Field(0.70, ge=0, le=1)
    quality_tolerance: float = Field(0.0, ge=0, le=1)
    batch_eligible: tuple[str, ...] = ()
    residency: tuple[ResidencyRule, ...] = ()

    def describe(self) -> pd.DataFrame:
        """Say the policy as a two-column table: ``setting``, ``value``.

        Examples
        --------
        >>> Policy(batch_eligible=("docs",)).describe()["value"].tolist()
        ['70%', '0', 'docs', '(none)']
        """
        regulated = "; ".join(
            f"{r.use_case} in {', '.join(r.allowed)}" for r in self.residency
        )
        return pd.DataFrame(
            {
                "setting": [
                    "route win-rate target",
                    "quality tolerance",
                    "batch-eligible use cases",
                    "regulated use cases, allowed regions",
                ],
                "value": [
                    f"{self.route_target:.0%}",
                    f"{self.quality_tolerance:g}",
                    ", ".join(self.batch_eligible) or "(none)",
                    regulated or "(none)",
                ],
            }
        )

    @field_validator("residency")
    @classmethod
    def _one_rule_per_use_case(
        cls, value: tuple[ResidencyRule, ...]
    ) -> tuple[ResidencyRule, ...]:
        names = [r.use_case for r in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"use case(s) {', '.join(twice)} named more than once")
        return value


def read_policy(path: str | Path | None) -> Policy:
    """Read the value policy from a YAML file; None gives the defaults.

    Defaults: route target 0.70, quality tolerance 0, no batch-eligible use
    case, no residency rule.

    Raises
    ------
    ParameterError
        The file cannot be read, or a key or value is wrong; the message
        names the file and where in it.
    """
    if path is None:
        return Policy()
    return read_settings(path, Policy, "value policy")
