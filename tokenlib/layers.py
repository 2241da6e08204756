"""The optimisation layer cake: five layers whose savings compound.

Top to bottom: routing (send work to the right-sized model), model and
quantisation, inference stack (caching, batching), capacity (utilisation,
region price) and silicon (chip generation). Each layer's lever changes the
cost per token by a factor; factors multiply, so wins compound and a layer
left out caps the rest.

Each layer multiplies API token spend and self-hosted GPU spend by a
factor each, the scenario's over the baseline's:

- routing, API: 1 - r + r (1 - s1 (1 - p)) / (1 - s0 (1 - p)), with r the
  share of API spend in use cases with route evaluations (the only
  traffic with evidence of which model holds quality), s the share of
  evaluated traffic on the cheaper tier and p its price over the
  premium's, both per request. Self-hosted: 1 (no evidence to route on).
- model, both: m, the new model and precision's cost over the old.
- stack, API: input cost (1 - h (1 - k)), with h the cache hit rate and
  k the cache-read price ratio, weighted by input's share of cost, times
  (1 - b d), with b the batch share and d the batch discount; the API's
  own prices for cache reads and batch. Self-hosted: e0 / e1, the
  engine's throughput (its caching, batching, kernels) over today's: a
  GPU-hour costs the same, and serves e1 / e0 times the tokens.
- capacity, self-hosted: u0 / u1 for utilisation, times g the region
  price ratio. API: 1 (its price already holds its provider's fleet).
- silicon, self-hosted: P / t, the hardware's price ratio over its
  throughput ratio. API: 1.

This module is the arithmetic only; which values a scenario takes, and
from where, is the caller's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .errors import ParameterError

__all__ = ["LAYERS", "Levers", "layer_cake"]

#: The layers, top to bottom, as reports name them.
LAYERS = ("routing", "model", "stack", "capacity", "silicon")


@dataclass(frozen=True)
class Levers:
    """One state of every lever (the baseline's or a scenario's).

    Attributes
    ----------
    routed_share
        Share of evaluated traffic on the cheaper tier, 0 to 1.
    routable_share
        Share of API token spend that routing reaches (the use cases with
        route evaluations); the baseline's is used for both states.
    routed_price_ratio
        The cheaper tier's price over the premium's.
    model_ratio
        Cost of the chosen model and precision over the baseline's (1 for
        the baseline).
    cache_hit, cache_read_ratio, input_cost_share
        Share of input read from cache, the read price over the input
        price, and input's share of token cost with every input token at
        the input price (before the cache's discount).
    batch_share, batch_discount
        Share of work in batch, and the batch tier's discount (0.5: half).
    utilisation, region_ratio
        GPU utilisation (self-hosted) and the region's price over the
        baseline region's (1 for the baseline).
    silicon_price_ratio, silicon_throughput_ratio
        The hardware's hourly price and throughput over the baseline's.
    engine_throughput_ratio
        The self-hosted engine's tokens per second on the same hardware
        over the baseline's (1 for the baseline).
    """

    routed_share: float = 0.0
    routable_share: float = 1.0
    routed_price_ratio: float = 1.0
    model_ratio: float = 1.0
    cache_hit: float = 0.0
    cache_read_ratio: float = 0.1
    input_cost_share: float = 0.5
    batch_share: float = 0.0
    batch_discount: float = 0.5
    utilisation: float = 1.0
    region_ratio: float = 1.0
    silicon_price_ratio: float = 1.0
    silicon_throughput_ratio: float = 1.0
    engine_throughput_ratio: float = 1.0

    def __post_init__(self) -> None:
        shares = (
            "routed_share",
            "routable_share",
            "cache_hit",
            "input_cost_share",
            "batch_share",
            "batch_discount",
        )
        for name in shares:
            if not 0 <= getattr(self, name) <= 1:
                raise ParameterError(f"{name}={getattr(self, name)}: expected 0 to 1")
        if not 0 < self.utilisation <= 1:
            raise ParameterError(f"utilisation={self.utilisation}: expected (0, 1]")
        ratios = (
            "routed_price_ratio",
            "model_ratio",
            "cache_read_ratio",
            "region_ratio",
            "silicon_price_ratio",
            "silicon_throughput_ratio",
            "engine_throughput_ratio",
        )
        for name in ratios:
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name}={getattr(self, name)}: expected above 0")

    def routing(self) -> float:
        return 1 - self.routed_share * (1 - self.routed_price_ratio)

    def stack(self) -> float:
        cached = 1 - self.cache_hit * (1 - self.cache_read_ratio)
        input_part = self.input_cost_share * cached + (1 - self.input_cost_share)
        return input_part * (1 - self.batch_share * self.batch_discount)


#: Per layer, its (API, self-hosted) cost factors.
Factors = dict[str, tuple[float, float]]


def _factors(base: Levers, new: Levers) -> Factors:
    """Each layer's (API, self-hosted) cost factors, scenario over baseline."""
    r = base.routable_share
    return {
        "routing": (1 - r + r * new.routing() / base.routing(), 1.0),
        "model": (new.model_ratio / base.model_ratio,) * 2,
        "stack": (
            new.stack() / base.stack(),
            base.engine_throughput_ratio / new.engine_throughput_ratio,
        ),
        "capacity": (
            1.0,
            base.utilisation / new.utilisation * new.region_ratio / base.region_ratio,
        ),
        "silicon": (
            1.0,
            (new.silicon_price_ratio / new.silicon_throughput_ratio)
            / (base.silicon_price_ratio / base.silicon_throughput_ratio),
        ),
    }


def _product(f: Factors, on: set[str]) -> tuple[float, float]:
    """The (API, self-hosted) factors of the layers in ``on`` together."""
    return math.prod(f[k][0] for k in on), math.prod(f[k][1] for k in on)


def _cost(api: float, hosted: float, f: Factors, on: set[str]) -> float:
    """Cost with the layers in ``on`` applied; the others left as they are."""
    api_f, hosted_f = _product(f, on)
    return api * api_f + hosted * hosted_f


def layer_cake(
    api_cost: float, hosted_cost: float, base: Levers, scenario: Levers
) -> pd.DataFrame:
    """Each layer's factor, the saving it adds, and the saving lost without it.

    Parameters
    ----------
    api_cost, hosted_cost
        Baseline token spend on APIs and on self-hosted GPUs, one currency.
    base, scenario
        The levers today and in the scenario.

    Returns
    -------
    pandas.DataFrame
        One row per layer, top to bottom: ``layer``, ``api_factor`` and
        ``hosted_factor`` (the multipliers of API and self-hosted spend),
        ``saving`` (what the layer adds, applied after the layers above
        it), ``lost_without`` (the saving lost if only this layer is left
        out), then a ``total`` row with the products of the factors and
        the scenario's saving. Savings add up to the total.

    Examples
    --------
    >>> cake = layer_cake(100.0, 0.0, Levers(), Levers(model_ratio=0.5))
    >>> cake.set_index("layer").loc["total", ["api_factor", "saving"]].tolist()
    [0.5, 50.0]
    """
    if api_cost < 0 or hosted_cost < 0:
        raise ParameterError("api_cost, hosted_cost: expected 0 or more each")
    f = _factors(base, scenario)
    all_on = set(LAYERS)
    before = api_cost + hosted_cost
    after = _cost(api_cost, hosted_cost, f, all_on)
    rows, on = [], set()
    for layer in LAYERS:
        prior = _cost(api_cost, hosted_cost, f, on)
        on = on | {layer}
        saving = prior - _cost(api_cost, hosted_cost, f, on)
        lost = _cost(api_cost, hosted_cost, f, all_on - {layer}) - after
        rows.append((layer, *f[layer], saving, lost))
    rows.append(("total", *_product(f, all_on), before - after, float("nan")))
    columns = ["layer", "api_factor", "hosted_factor", "saving", "lost_without"]
    return pd.DataFrame(rows, columns=columns)
