"""Self-hosted inference economics: what a token costs on your own GPUs.

A GPU is paid by the hour whether it works or waits. Busy time follows the
work: input tokens at the prefill rate, output tokens at the decode rate.
Paid time is busy time over utilisation, so the idle share is a cost of its
own. The KV cache sets how many requests one GPU's memory holds at once,
and the break-even volume says where self-hosting beats an API price.

All rates are per GPU; money is in the currency of the hourly price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ParameterError
from .period import HOURS_PER_MONTH

__all__ = [
    "RESERVE",
    "BreakEven",
    "GpuServing",
    "break_even",
    "kv_bytes_per_token",
    "max_concurrency",
]


def kv_bytes_per_token(
    layers: int, kv_heads: int, head_dim: int, bytes_per_value: float
) -> float:
    """Bytes of KV cache one token holds: a key and a value per layer and head.

    Parameters
    ----------
    layers, kv_heads, head_dim
        The model's transformer layers, key-value heads (after grouped-query
        attention) and values per head.
    bytes_per_value
        Precision of the cache: 2 for fp16 or bf16, 1 for fp8.

    >>> kv_bytes_per_token(32, 8, 128, 2)  # a Llama-3-8B-like model, bf16
    131072
    """
    return 2 * layers * kv_heads * head_dim * bytes_per_value


#: Share of GPU memory an engine keeps for activations and itself.
RESERVE = 0.1


def max_concurrency(
    gpu_memory_gb: float,
    weights_gb: float,
    kv_per_token: float,
    context_tokens: int,
    reserve: float = RESERVE,
) -> int:
    """Requests of ``context_tokens`` whose KV cache fits beside the weights.

    Parameters
    ----------
    gpu_memory_gb
        Memory of the GPU (or the GPUs serving one replica), in GB (1e9
        bytes).
    weights_gb
        Memory the model weights take at their precision, in GB.
    kv_per_token
        Bytes per token (:func:`kv_bytes_per_token`).
    context_tokens
        Tokens each request holds at its longest (prompt and output).
    reserve
        Share of memory kept for activations and the engine.

    Raises
    ------
    ParameterError
        The weights and the reserve leave no memory for the cache.

    >>> max_concurrency(80, 16, 131072, 8192)  # 56 GB over 1.07 GB each
    52
    """
    free = gpu_memory_gb * (1 - reserve) - weights_gb
    if free <= 0:
        raise ParameterError(
            f"weights_gb={weights_gb:g}: the weights and the {reserve:.0%} "
            f"reserve fill the {gpu_memory_gb:g} GB; no memory is left for "
            "the KV cache"
        )
    return math.floor(free * 1e9 / (kv_per_token * context_tokens))


@dataclass(frozen=True)
class GpuServing:
    """One GPU serving a model: its price, its throughput, how busy it is.

    Attributes
    ----------
    hourly_price
        Price of one GPU-hour, paid busy or idle.
    prefill_tps, decode_tps
        Tokens per second one GPU processes: input (prefill) and output
        (decode), measured at the batch size it serves at.
    utilisation
        Share of paid hours the GPU is busy, above 0 and at most 1.
    """

    hourly_price: float
    prefill_tps: float
    decode_tps: float
    utilisation: float

    def __post_init__(self) -> None:
        if not 0 < self.utilisation <= 1:
            raise ParameterError(
                f"utilisation={self.utilisation}: expected a share above 0, at most 1"
            )
        if min(self.hourly_price, self.prefill_tps, self.decode_tps) <= 0:
            raise ParameterError(
                "hourly_price, prefill_tps and decode_tps: expected each above 0"
            )

    def busy_hours(self, input_tokens: float, output_tokens: float) -> float:
        """GPU-hours of work: input at the prefill rate, output at decode.

        >>> GpuServing(2.0, 10_000, 1_000, 0.5).busy_hours(36e6, 3.6e6)
        2.0
        """
        return (
            input_tokens / self.prefill_tps + output_tokens / self.decode_tps
        ) / 3600

    def cost(self, input_tokens: float, output_tokens: float) -> dict[str, float]:
        """Cost of the work, split into busy and idle GPU-hours.

        Returns
        -------
        dict
            ``busy``, ``idle`` and ``total`` cost, and ``paid_hours``.

        >>> GpuServing(2.0, 10_000, 1_000, 0.5).cost(36e6, 3.6e6)
        {'busy': 4.0, 'idle': 4.0, 'total': 8.0, 'paid_hours': 4.0}
        """
        busy = self.busy_hours(input_tokens, output_tokens)
        paid = busy / self.utilisation
        return {
            "busy": busy * self.hourly_price,
            "idle": (paid - busy) * self.hourly_price,
            "total": paid * self.hourly_price,
            "paid_hours": paid,
        }

    def cost_per_mtok(self, input_share: float) -> float:
        """Cost per million tokens for a mix with ``input_share`` of input.

        Per million tokens at 90% input: 90 s of prefill and 100 s of
        decode, 190 s busy, 380 s paid at 50% utilisation, at 2 an hour:

        >>> round(GpuServing(2.0, 10_000, 1_000, 0.5).cost_per_mtok(0.9), 4)
        0.2111
        """
        if not 0 <= input_share <= 1:
            raise ParameterError(f"input_share={input_share}: expected 0 to 1")
        return self.cost(1e6 * input_share, 1e6 * (1 - input_share))["total"]

    def monthly_capacity(self, input_share: float) -> float:
        """Tokens one GPU serves in a month at its utilisation, for the mix.

        730.5 hours at 50% busy, 190 s per million tokens: 6,921 million.

        >>> round(GpuServing(2.0, 10_000, 1_000, 0.5).monthly_capacity(0.9) / 1e6)
        6921
        """
        per_token = self.busy_hours(input_share, 1 - input_share)
        return HOURS_PER_MONTH * self.utilisation / per_token


@dataclass(frozen=True)
class BreakEven:
    """Where a fleet of always-on GPUs costs what the API would.

    ``tokens`` is the monthly volume at which the two cost the same; above
    it self-hosting is cheaper, as long as the fleet can serve it
    (``within_capacity``).
    """

    gpus: int
    fleet_monthly: float
    api_per_mtok: float
    tokens: float
    capacity: float

    @property
    def within_capacity(self) -> bool:
        return self.tokens <= self.capacity


def break_even(
    serving: GpuServing,
    gpus: int,
    api_input_per_mtok: float,
    api_output_per_mtok: float,
    input_share: float,
) -> BreakEven:
    """Monthly token volume at which ``gpus`` always-on GPUs match an API.

    Parameters
    ----------
    serving
        The GPU, its price and throughput; its utilisation sets capacity.
    gpus
        GPUs paid every hour of the month.
    api_input_per_mtok, api_output_per_mtok
        The API's prices per million input and output tokens, in the
        currency of the GPU price.
    input_share
        Share of the tokens that are input.

    Examples
    --------
    >>> b = break_even(GpuServing(2.0, 10_000, 1_000, 0.5), 1, 3.0, 15.0, 0.9)
    >>> round(b.fleet_monthly, 2), round(b.api_per_mtok, 2), round(b.tokens / 1e6)
    (1461.0, 4.2, 348)
    """
    if gpus < 1:
        raise ParameterError(f"gpus={gpus}: expected 1 or more")
    blended = input_share * api_input_per_mtok + (1 - input_share) * api_output_per_mtok
    if blended <= 0:
        raise ParameterError("the API prices are zero: self-hosting never wins")
    fleet = gpus * serving.hourly_price * HOURS_PER_MONTH
    return BreakEven(
        gpus=gpus,
        fleet_monthly=fleet,
        api_per_mtok=blended,
        tokens=fleet / blended * 1e6,
        capacity=gpus * serving.monthly_capacity(input_share),
    )
