"""Self-hosted inference economics, every figure worked by hand."""

from __future__ import annotations

import pytest

from tokenlib.errors import ParameterError
from tokenlib.selfhost import (
    GpuServing,
    break_even,
    kv_bytes_per_token,
    max_concurrency,
)

# An H100-like GPU at 2.50 an hour: 12,000 input and 1,500 output tokens a
# second, busy 40% of the hours it is paid for.
GPU = GpuServing(
    hourly_price=2.5, prefill_tps=12_000, decode_tps=1_500, utilisation=0.4
)


def test_kv_cache_of_a_70b_model_with_grouped_query_attention():
    # 80 layers x 8 KV heads x 128 values x 2 (key, value) x 2 bytes.
    assert kv_bytes_per_token(80, 8, 128, 2) == 327_680
    # fp8 halves it.
    assert kv_bytes_per_token(80, 8, 128, 1) == 163_840


def test_concurrency_is_the_free_memory_over_each_request_cache():
    # 2 x 80 GB, 10% reserve: 144 GB; 70B weights in fp8: 70 GB; 74 GB left.
    # A request of 4,096 tokens holds 327,680 x 4,096 = 1.342 GB: 55 fit.
    assert max_concurrency(160, 70, 327_680, 4096) == 55
    with pytest.raises(ParameterError, match="no memory is left for the KV cache"):
        max_concurrency(80, 75, 327_680, 4096)


def test_busy_idle_and_total_cost_of_a_workload():
    # 120M input at 12,000/s = 10,000 s; 9M output at 1,500/s = 6,000 s.
    # 16,000 s = 4.444 h busy; paid 4.444 / 0.4 = 11.111 h at 2.50.
    got = GPU.cost(120e6, 9e6)
    busy_h = 16_000 / 3600
    assert got["busy"] == pytest.approx(busy_h * 2.5)
    assert got["total"] == pytest.approx(busy_h / 0.4 * 2.5)
    assert got["idle"] == pytest.approx(got["total"] - got["busy"])
    assert got["idle"] == pytest.approx(busy_h * 1.5 * 2.5)  # 60% idle of paid


def test_cost_per_million_tokens_for_a_mix():
    # 80% input: 800,000 / 12,000 = 66.67 s, 200,000 / 1,500 = 133.33 s,
    # 200 s busy, 500 s paid: 500 / 3600 x 2.50 = 0.3472.
    assert GPU.cost_per_mtok(0.8) == pytest.approx(500 / 3600 * 2.5)
    with pytest.raises(ParameterError, match="input_share=1.5"):
        GPU.cost_per_mtok(1.5)


def test_break_even_against_an_api():
    # 4 GPUs always on: 4 x 2.50 x 730.5 = 7,305 a month. API at 3 in and
    # 15 out, 80% input: 0.8 x 3 + 0.2 x 15 = 5.40 per million tokens.
    # 7,305 / 5.40 = 1,352.8 M tokens a month. Capacity: 730.5 h x 40% x
    # 3600 s over 200 s per million, times 4 GPUs = 21,038.4 M.
    b = break_even(GPU, 4, 3.0, 15.0, 0.8)
    assert b.fleet_monthly == pytest.approx(7305.0)
    assert b.api_per_mtok == pytest.approx(5.40)
    assert b.tokens == pytest.approx(7305 / 5.40 * 1e6)
    assert b.capacity == pytest.approx(730.5 * 0.4 * 3600 / 200 * 1e6 * 4)
    assert b.within_capacity
    # A cheap API the fleet cannot undercut within what it can serve.
    cheap = break_even(GPU, 4, 0.05, 0.20, 0.8)
    assert not cheap.within_capacity


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"utilisation": 0.0}, "utilisation=0.0"),
        ({"utilisation": 1.2}, "utilisation=1.2"),
        ({"decode_tps": 0}, "expected each above 0"),
    ],
)
def test_bad_serving_is_refused(kwargs, message):
    given = {"hourly_price": 2.5, "prefill_tps": 1, "decode_tps": 1, "utilisation": 0.5}
    with pytest.raises(ParameterError, match=message):
        GpuServing(**(given | kwargs))
