"""The fully loaded cost assumptions: one YAML file per organisation.

::

    currency: USD
    regulatory_exposure: medium   # low | medium | high: governance defaults
    human_labour:
      hourly_rate: 65             # a number: the range is ±25%
      review_minutes: {value: 3, low: 2, high: 6}
    growth: {default: 0.02, human_labour: 0.0}   # per month, compounding
    allocate: {governance: requests}             # basis per bucket
    bill:                         # cloud bill rows that carry a component
      - component: inference_infrastructure.gpu
        service_category: Compute
        tags: {application: model-serving}
    budget: {amount: 60000, start: 2026-10-01, end: 2027-01-01}

Every driver not stated takes its default from
:data:`tokenlib.loaded_drivers.DRIVERS`, and is shown as a default.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .loaded_drivers import BUCKETS, COMPONENTS, DRIVERS
from .settings import read_settings

__all__ = [
    "Assumptions",
    "BillRule",
    "Budget",
    "DriverValue",
    "ends",
    "mean_fits",
    "read_assumptions",
]

BASES = ("spend", "requests", "tokens", "attempted", "verified", "failed")
Basis = Literal["spend", "requests", "tokens", "attempted", "verified", "failed"]


class DriverValue(BaseModel):
    """A driver stated with its own range: ``{value, low, high}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(ge=0, allow_inf_nan=False)
    low: float | None = Field(None, ge=0, allow_inf_nan=False)
    high: float | None = Field(None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> DriverValue:
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        if not low <= self.value <= high:
            raise ValueError(
                f"expected low <= value <= high, found {low} / {self.value} / {high}"
            )
        return self


#: A driver as written: a number at least 0, or its value with a range.
Stated = Annotated[float, Field(ge=0, allow_inf_nan=False)] | DriverValue


class BillRule(BaseModel):
    """Bill rows that carry one component, matched by glob (case ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    component: str
    service_name: str | None = None
    service_category: str | None = None
    sku_id: str | None = None
    tags: dict[str, str] = {}
    use_case: str | None = None

    @model_validator(mode="after")
    def _known(self) -> BillRule:
        if self.component not in COMPONENTS:
            raise ValueError(
                f"component {self.component!r} is unknown; expected one of "
                + ", ".join(COMPONENTS)
            )
        if not (self.service_name or self.service_category or self.sku_id or self.tags):
            raise ValueError(
                "a rule needs service_name, service_category, sku_id or tags"
            )
        return self


class Budget(BaseModel):
    """An amount for a period, against the fully loaded cost or the invoice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: float = Field(gt=0, allow_inf_nan=False)
    start: date
    end: date
    covers: Literal["fully loaded", "invoice"] = "fully loaded"

    @model_validator(mode="after")
    def _ordered(self) -> Budget:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self


class Assumptions(BaseModel):
    """Drivers of the eight unmetered buckets, and how to use them.

    Attributes
    ----------
    currency
        Currency of every amount stated here; ledger money in any other is
        left out with a note, never converted.
    regulatory_exposure
        Sets the governance defaults.
    spread
        Range of a driver stated as a plain number (or defaulted): ±25%.
    horizon_days
        How far the forecast looks ahead.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    regulatory_exposure: Literal["low", "medium", "high"] = "medium"
    spread: float = Field(0.25, ge=0, lt=1)
    horizon_days: int = Field(90, ge=7, le=730)
    retrieval: dict[str, Stated] = {}
    orchestration: dict[str, Stated] = {}
    inference_infrastructure: dict[str, Stated] = {}
    eval_monitoring: dict[str, Stated] = {}
    governance: dict[str, Stated] = {}
    human_labour: dict[str, Stated] = {}
    failure_waste: dict[str, Stated] = {}
    integration: dict[str, Stated] = {}
    growth: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = {}
    allocate: dict[str, Basis] = {}
    bill: tuple[BillRule, ...] = ()
    budget: Budget | None = None

    @field_validator(*BUCKETS, "growth", "allocate", "bill", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object, info: ValidationInfo) -> object:
        """A section whose lines are all commented out reads as empty."""
        if value is None:
            return () if info.field_name == "bill" else {}
        return value

    def stated(self) -> dict[str, Stated]:
        """Every stated driver, keyed ``bucket.name``."""
        return {f"{b}.{k}": v for b in BUCKETS for k, v in getattr(self, b).items()}


def ends(
    value: float,
    low: float | None,
    high: float | None,
    spread: float,
    share: bool = False,
) -> tuple[float, float]:
    """A driver's range: the ends given, else the value ± ``spread``.

    A share's spread is kept within 0 to 1 and even on both sides, so the
    value stays the middle of its range.

    >>> ends(10, None, None, 0.25), ends(0.9, None, None, 0.25, share=True)
    ((7.5, 12.5), (0.8, 1.0))
    """
    half = value * spread
    if share:
        half = min(half, 1 - value)
    lo = value - half if low is None else low
    hi = value + half if high is None else high
    return round(lo, 12), round(hi, 12)


def mean_fits(low: float, value: float, high: float) -> bool:
    """Whether ``value`` can be the mean of draws on ``low``..``high``.

    Draws follow a PERT distribution whose mean is the value; its peak
    stays within the range when the value is in the middle two thirds.

    >>> mean_fits(5, 12, 30), mean_fits(2.9, 3, 6)
    (True, False)
    """
    if high <= low:
        return True
    tol = 1e-9 * (high - low)
    return (5 * low + high) / 6 - tol <= value <= (low + 5 * high) / 6 + tol


def _numbers(given: object) -> tuple[float, float | None, float | None] | None:
    """Value, low and high of a driver as written; None if not numbers."""
    if isinstance(given, dict):
        given = (given.get("value"), given.get("low"), given.get("high"))
    else:
        given = (given, None, None)
    ok = all(v is None or isinstance(v, int | float) for v in given)
    return given if ok and isinstance(given[0], int | float) else None


def _check_value(key: str, given: object, spread: float) -> str | None:
    """A share within 0 to 1, a value that can be its range's mean."""
    numbers = _numbers(given)
    if numbers is None:
        return None  # the model says what is wrong with the type
    value, low, high = numbers
    given_numbers = [v for v in numbers if v is not None]
    if not all(math.isfinite(v) and v >= 0 for v in given_numbers):
        return f"{key}: expected a number at least 0, found {given}"
    share = DRIVERS[key].unit == "share"
    if share and not all(0 <= v <= 1 for v in numbers if v is not None):
        return f"{key}: a share is between 0 and 1, found {given}"
    lo, hi = ends(value, low, high, spread, share)
    if lo <= value <= hi and not mean_fits(lo, value, hi):
        return (
            f"{key}: the value {value:g} is read as the mean of its range "
            f"{lo:g} to {hi:g}, so it must lie in the middle two thirds "
            f"({(5 * lo + hi) / 6:.4g} to {(lo + 5 * hi) / 6:.4g}); widen "
            "the range or move the value"
        )
    return None


def _check(data: dict) -> str | None:
    """Name unknown drivers, buckets and growth keys, with what is allowed."""
    spread = data.get("spread", 0.25)
    spread = spread if isinstance(spread, int | float) else 0.25
    for bucket in BUCKETS:
        section = data.get(bucket) or {}
        if not isinstance(section, dict):
            return f"{bucket}: expected a mapping of driver: value"
        known = [k.split(".", 1)[1] for k in DRIVERS if k.startswith(bucket + ".")]
        unknown = sorted(set(section) - set(known))
        if unknown:
            return (
                f"{bucket}.{unknown[0]}: unknown driver; expected one of "
                + ", ".join(known)
            )
        for name, given in section.items():
            problem = _check_value(f"{bucket}.{name}", given, spread)
            if problem:
                return problem
    growth = data.get("growth") or {}
    low = [k for k, v in growth.items() if isinstance(v, int | float) and v <= -1]
    if low:
        return (
            f"growth.{low[0]}: a monthly rate above -1 (-100%), found {growth[low[0]]}"
        )
    for key in ("growth", "allocate"):
        allowed = [*BUCKETS, "default"] if key == "growth" else list(BUCKETS)
        bad = sorted(set(data.get(key) or {}) - set(allowed))
        if bad:
            return f"{key}.{bad[0]}: unknown bucket; expected one of " + ", ".join(
                allowed
            )
    return None


def read_assumptions(path: str | Path | None) -> Assumptions:
    """Read the fully loaded cost assumptions; None gives every default.

    Raises
    ------
    ParameterError
        The file cannot be read, names an unknown driver, bucket or
        component, or a value is out of range; the message names the file
        and the place in it.
    """
    if path is None:
        return Assumptions()
    return read_settings(path, Assumptions, "fully loaded cost assumptions", _check)
