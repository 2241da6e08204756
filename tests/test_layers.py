"""The layer cake: factors and savings worked by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tokenlib.errors import ParameterError
from tokenlib.layers import Levers, layer_cake

# Half the API spend is in use cases with route evaluations.
BASE = Levers(routed_share=0.2, routable_share=0.5, routed_price_ratio=0.2,
              cache_hit=0.3, input_cost_share=0.6, batch_share=0.1,
              utilisation=0.4)  # fmt: skip
SCENARIO = Levers(routed_share=0.6, routed_price_ratio=0.2, model_ratio=0.8,
                  cache_hit=0.6, input_cost_share=0.6, batch_share=0.3,
                  utilisation=0.6, silicon_price_ratio=1.5,
                  silicon_throughput_ratio=3.0)  # fmt: skip


# Routing on the routable half: (1 - 0.6 x 0.8) / (1 - 0.2 x 0.8) = 0.52 / 0.84.
ROUTING = 0.5 + 0.5 * 0.52 / 0.84


# stack at API prices: (0.6 x 0.46 + 0.4) x 0.85 over (0.6 x 0.73 + 0.4) x 0.95
STACK = 0.5746 / 0.7961


def test_each_layer_factor_by_hand():
    cake = layer_cake(1000.0, 500.0, BASE, SCENARIO).set_index("layer")
    factors = cake[["api_factor", "hosted_factor"]].apply(tuple, axis=1)
    # (API, self-hosted): routing and the API's cache and batch prices act
    # on API spend; capacity and silicon on GPUs; the model on both.
    assert factors["routing"] == pytest.approx((ROUTING, 1.0))
    assert factors["model"] == pytest.approx((0.8, 0.8))
    assert factors["stack"] == pytest.approx((STACK, 1.0))
    assert factors["capacity"] == pytest.approx((1.0, 0.4 / 0.6))
    assert factors["silicon"] == pytest.approx((1.0, 0.5))


def test_a_faster_engine_is_the_stack_on_self_hosted_spend():
    # Twice the tokens per GPU-hour halves the GPU bill; the API's is kept.
    faster = replace(BASE, engine_throughput_ratio=2.0)
    cake = layer_cake(1000.0, 500.0, BASE, faster).set_index("layer")
    assert cake.at["stack", "hosted_factor"] == pytest.approx(0.5)
    assert cake.at["stack", "saving"] == pytest.approx(250.0)
    assert cake.at["total", "saving"] == pytest.approx(250.0)


def test_savings_compound_and_add_up():
    cake = layer_cake(1000.0, 500.0, BASE, SCENARIO).set_index("layer")
    api, hosted = ROUTING * 0.8 * STACK, 0.8 * (0.4 / 0.6) * 0.5
    after = 1000 * api + 500 * hosted
    assert cake.at["total", "saving"] == pytest.approx(1500 - after)
    assert cake.at["total", "api_factor"] == pytest.approx(api)
    assert cake.at["total", "hosted_factor"] == pytest.approx(hosted)
    # Routing first, on the API's 1,000 only: 500 routable x (1 - 0.52 / 0.84).
    assert cake.at["routing", "saving"] == pytest.approx(500 * (1 - 0.52 / 0.84))
    savings = cake.drop(index="total")["saving"]
    assert savings.sum() == pytest.approx(cake.at["total", "saving"])
    # Silicon acts on the self-hosted part only: left out, the scenario
    # keeps paying for half of it.
    hosted_without = 500 * 0.8 * (0.4 / 0.6)
    assert cake.at["silicon", "lost_without"] == pytest.approx(hosted_without * 0.5)


def test_a_missing_layer_caps_the_others():
    # The same model saving is worth less after routing has moved traffic.
    only_model = layer_cake(1000.0, 0.0, BASE, replace(BASE, model_ratio=0.5))
    both = layer_cake(1000.0, 0.0, BASE, replace(SCENARIO, model_ratio=0.5))
    model_alone = only_model.set_index("layer").at["model", "saving"]
    model_after = both.set_index("layer").at["model", "saving"]
    assert model_alone == pytest.approx(500.0)
    assert model_after == pytest.approx(1000 * ROUTING * 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cache_hit": 1.5}, "cache_hit=1.5"),
        ({"utilisation": 0}, "utilisation=0"),
        ({"routable_share": 1.2}, "routable_share=1.2"),
        ({"batch_discount": 1.5}, "batch_discount=1.5"),
        ({"model_ratio": 0}, "model_ratio=0"),
        ({"region_ratio": float("nan")}, "region_ratio=nan"),
        ({"engine_throughput_ratio": -1.0}, "engine_throughput_ratio=-1.0"),
    ],
)
def test_bad_levers_are_refused(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        Levers(**kwargs)
