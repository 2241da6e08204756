"""Optimisation scenarios: one YAML file, one or more named scenarios.

::

    currency: USD                 # of the self-hosted prices below
    scenarios:
      - name: route and cache
        routing: {routed_share: 0.6}        # capped by measured route wins
        model: {cost_ratio: 0.8, change: fp8 weights}
        stack: {cache_hit: 0.5, batch_share: 0.3}
        capacity: {utilisation: 0.7, region_ratio: 0.9}
        silicon: {price_ratio: 1.6, throughput_ratio: 2.4}
    self_hosted:                  # the self-hosted calculator
      hourly_price: 2.50          # one GPU-hour
      prefill_tokens_per_second: 9000
      decode_tokens_per_second: 1500
      gpus: 2
      gpu_memory_gb: 80
      weights_gb: 16
      model: {layers: 32, kv_heads: 8, head_dim: 128, bytes_per_value: 2}
      context_tokens: 8192

A lever a scenario leaves out stays where the ledger measures it today
(:func:`tokenlib.optimise.measure_levers`); ratios are the scenario's over
today's, so 1 changes nothing. :func:`save_scenarios` writes a file that
:func:`read_scenarios` reads back unchanged, for papermill's ``scenario``
parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .selfhost import RESERVE
from .settings import read_settings

__all__ = [
    "Scenario",
    "ScenarioFile",
    "SelfHosted",
    "read_scenarios",
    "save_scenarios",
]

# Numbers are finite, and a number in the file: not true, not "0.5".
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
Ratio = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
Busy = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, strict=True)]
Positive = Ratio
Count = Annotated[int, Field(gt=0, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Routing(_Strict):
    """``routed_share``: traffic on the cheaper tier; ``price_ratio``: its
    price over the premium's (left out: measured on the routed rows)."""

    routed_share: Share | None = None
    price_ratio: Ratio | None = None


class Model(_Strict):
    """``cost_ratio``: the new model and precision's cost over today's."""

    cost_ratio: Ratio | None = None
    change: str | None = None


class Stack(_Strict):
    """Share of input read from cache and share of work run in batch (API
    prices); ``throughput_ratio``: a self-hosted engine's tokens per second
    on the same GPU over today's (its caching, batching, kernels)."""

    cache_hit: Share | None = None
    batch_share: Share | None = None
    throughput_ratio: Ratio | None = None


class Capacity(_Strict):
    """GPU utilisation, and the region's GPU price over today's region's."""

    utilisation: Busy | None = None
    region_ratio: Ratio | None = None


class Silicon(_Strict):
    """The new hardware's hourly price and throughput over today's."""

    price_ratio: Ratio | None = None
    throughput_ratio: Ratio | None = None


class Scenario(_Strict):
    """One named setting of the five layers' levers."""

    name: str
    routing: Routing = Routing()
    model: Model = Model()
    stack: Stack = Stack()
    capacity: Capacity = Capacity()
    silicon: Silicon = Silicon()

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        name = name.strip()
        if not name:
            raise ValueError("a scenario needs a name")
        if name.lower() == "today":
            raise ValueError(
                "'today' is the baseline's name; give the scenario another"
            )
        return name


class KvModel(_Strict):
    """The served model's shape, for its KV cache."""

    layers: Count
    kv_heads: Count
    head_dim: Count
    bytes_per_value: Positive


class SelfHosted(_Strict):
    """One GPU type serving one model, for the self-hosted calculator.

    ``utilisation`` left out is today's (measured or assumed); the API
    prices left out are today's blended list prices from the ledger.
    """

    hourly_price: Positive
    prefill_tokens_per_second: Positive
    decode_tokens_per_second: Positive
    utilisation: Busy | None = None
    gpus: Count = 1
    gpu_memory_gb: Positive
    weights_gb: Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
    model: KvModel
    context_tokens: Count
    api_input_per_mtok: Positive | None = None
    api_output_per_mtok: Positive | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> SelfHosted:
        if self.weights_gb >= self.gpu_memory_gb * (1 - RESERVE):
            raise ValueError(
                f"weights_gb={self.weights_gb:g} leaves no room for the KV cache "
                f"in {1 - RESERVE:.0%} of gpu_memory_gb={self.gpu_memory_gb:g}"
            )
        return self


class ScenarioFile(_Strict):
    """The file: the currency of its prices, scenarios, the calculator."""

    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    scenarios: list[Scenario] = Field(default_factory=list)
    self_hosted: SelfHosted | None = None

    @model_validator(mode="after")
    def _names_differ(self) -> ScenarioFile:
        names = [s.name for s in self.scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"scenario names must differ: {', '.join(twice)}")
        return self


def read_scenarios(path: str | Path) -> ScenarioFile:
    """Read a scenario file.

    Raises
    ------
    ParameterError
        The file cannot be read, holds neither scenarios nor a
        self_hosted section, names an unknown layer or lever, or a value
        is out of range; the message names the file and the place.
    """
    return read_settings(path, ScenarioFile, "optimisation scenarios", _something)


def _something(data: dict) -> str | None:
    """A file with neither scenarios nor the calculator is a mistake."""
    if not data.get("scenarios") and not data.get("self_hosted"):
        return (
            "no scenarios and no self_hosted section; data/templates/"
            "scenario.yml shows both"
        )
    return None


def save_scenarios(scenarios: ScenarioFile, path: str | Path) -> Path:
    """Write ``scenarios`` as YAML that :func:`read_scenarios` reads back.

    Levers left at today's value are not written.
    """
    path = Path(path)
    data = scenarios.model_dump(mode="json", exclude_none=True)
    data["scenarios"] = [
        {k: v for k, v in s.items() if v != {}} for s in data["scenarios"]
    ]
    header = "# Optimisation scenarios (notebook 06's scenario parameter).\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False))
    return path
