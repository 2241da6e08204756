"""The frames of a fully loaded cost, each from monthly amounts.

Bucket totals, draws of the drivers (bucket ranges and the forecast), the
waterfall, the allocation to use cases, memo lines, facts and the
sensitivity of the total to each driver. :func:`tokenlib.loaded.loaded_cost`
puts them together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .executive import say_number
from .loaded_assumptions import Assumptions
from .loaded_drivers import (
    BUCKETS,
    COMPONENTS,
    DAYS_PER_MONTH,
    MEMOS,
    kv_bytes_per_token,
)
from .loaded_measure import NO_USE_CASE, Baseline

__all__ = [
    "DRAWS",
    "allocate_to_use_cases",
    "bucket_totals",
    "draw_buckets",
    "facts",
    "memo_lines",
    "pert",
    "pert_peak",
    "monthly_amounts",
    "sensitivity",
    "waterfall_steps",
]


def monthly_amounts(x: dict, billed: dict[str, float]) -> dict[str, float]:
    """Each component's monthly amount; bill-carried ones from the bill."""
    return {
        k: billed[k] if k in billed else c.monthly(x) for k, c in COMPONENTS.items()
    }


def bucket_totals(monthly: dict[str, float], months: float) -> pd.Series:
    """Sum monthly component amounts into the period's amount per bucket key."""
    s = pd.Series(monthly) * months
    return (
        s.groupby(lambda k: k.split(".")[0])
        .sum()
        .reindex(list(BUCKETS), fill_value=0.0)
    )


#: Futures drawn of the drivers, for bucket ranges and the forecast.
DRAWS = 1000


def pert_peak(low: float, value: float, high: float) -> float:
    """The peak of a PERT distribution on ``low``..``high`` whose mean is
    ``value``: (6 × value − low − high) ÷ 4.

    A PERT mean is (low + 4 × peak + high) ÷ 6, so the peak lies within the
    range when the value is in its middle two thirds (see
    :func:`tokenlib.loaded_assumptions.mean_fits`).

    >>> pert_peak(6, 12, 20), pert_peak(5, 12, 30)
    (11.5, 9.25)
    """
    return (6 * value - low - high) / 4


def pert(low: float, value: float, high: float, n: int, rng) -> np.ndarray:
    """Draw ``n`` values on ``low``..``high`` with mean ``value`` (PERT).

    >>> d = pert(5, 12, 30, 200_000, np.random.default_rng(0))
    >>> round(float(d.mean()), 1), float(d.min()) >= 5, float(d.max()) <= 30
    (12.0, True, True)
    """
    if high <= low:
        return np.full(n, float(value))
    peak = min(max(pert_peak(low, value, high), low), high)
    a = 1 + 4 * (peak - low) / (high - low)
    b = 1 + 4 * (high - peak) / (high - low)
    return low + (high - low) * rng.beta(a, b, n)


def draw_buckets(drivers: pd.DataFrame, context: dict, billed: dict) -> pd.DataFrame:
    """Cost per day of each bucket in :data:`DRAWS` draws of the drivers."""
    rng = np.random.default_rng(0)
    x = {
        d.driver: pert(d.low, d.value, d.high, DRAWS, rng) for d in drivers.itertuples()
    } | context
    parts = pd.DataFrame(
        {k: np.broadcast_to(v, DRAWS) for k, v in monthly_amounts(x, billed).items()}
    )
    by_bucket = parts.T.groupby(lambda k: k.split(".")[0]).sum().T
    by_bucket = by_bucket.reindex(columns=list(BUCKETS), fill_value=0.0)
    return by_bucket.rename(columns=BUCKETS) / DAYS_PER_MONTH


def waterfall_steps(
    token_bill: float, buckets: pd.DataFrame, currency: str
) -> pd.DataFrame:
    """Steps from the token bill through each bucket to the fully loaded cost."""
    steps = ["token bill", *buckets["bucket"], "fully loaded"]
    amounts = [token_bill, *buckets["amount"]]
    cumulative = pd.Series(amounts).cumsum().tolist()
    return pd.DataFrame(
        {
            "step": steps,
            "amount": [*amounts, cumulative[-1]],
            "cumulative": [*cumulative, cumulative[-1]],
            "kind": ["start", *["step"] * len(buckets), "total"],
            "currency": currency,
        }
    )


def allocate_to_use_cases(
    a: Assumptions, base: Baseline, components: pd.DataFrame
) -> pd.DataFrame:
    """Share each component out to use cases by its basis; bill lines that
    name a use case go to it."""
    u = base.by_use_case.set_index("use_case")
    months = base.days / DAYS_PER_MONTH
    bill = base.bill[~base.bill["in_token_bill"].astype(bool)]
    lines = []
    for c in components.itertuples():
        basis = a.allocate.get(c.bucket, COMPONENTS[c.component].allocate)
        if c.source == "bill":
            mine = bill[bill["component"] == c.component]
            for b in mine.itertuples():
                named = None if pd.isna(b.use_case) else b.use_case
                lines.append((c.bucket, b.amount, named, basis))
        else:
            lines.append((c.bucket, c.monthly * months, None, basis))
    named = [line[2] for line in lines if line[2] is not None]
    index = u.index.union([NO_USE_CASE, *named])
    out = pd.DataFrame(0.0, index=index, columns=list(BUCKETS))
    for bucket, amount, use_case, basis in lines:
        if use_case is not None:
            out.loc[use_case, bucket] += amount
            continue
        weights = u[basis] if u[basis].sum() > 0 else u["spend"]
        if weights.sum() > 0:
            out.loc[weights.index, bucket] += amount * weights / weights.sum()
        else:
            out.loc[NO_USE_CASE, bucket] += amount
    out = out.rename(columns=BUCKETS)
    out.insert(0, "token_bill", u["spend"].reindex(out.index).fillna(0.0))
    out["fully_loaded"] = out.sum(axis=1)
    out["multiplier"] = out["fully_loaded"] / out["token_bill"].where(
        out["token_bill"] > 0
    )
    # Where rows are unpriced the token bill is a floor: say how many.
    out["unpriced_rows"] = u["unpriced_rows"].reindex(out.index).fillna(0).astype(int)
    out = out[(out["fully_loaded"] != 0) | (out["token_bill"] != 0)]
    return (
        out.sort_values("fully_loaded", ascending=False)
        .rename_axis("use_case")
        .reset_index()
    )


def memo_lines(x: dict, bill: pd.DataFrame, months: float) -> pd.DataFrame:
    """Costs the token bill already holds, or views of a cost, for the period."""
    rows = [
        (BUCKETS[k.split(".")[0]], m.label, m.formula, m.monthly(x) * months)
        for k, m in MEMOS.items()
    ]
    inside = bill[bill["in_token_bill"].astype(bool)]
    for k, amount in inside.groupby("component")["amount"].sum().items():
        rows.append(
            (
                BUCKETS[k.split(".")[0]],
                f"{COMPONENTS[k].label} (in the token bill)",
                "cloud bill rows in the AI scope",
                amount,
            )
        )
    return pd.DataFrame(rows, columns=["bucket", "label", "formula", "amount"])


def facts(x: dict) -> pd.DataFrame:
    """KV cache size, idle share and token price, each with how it is worked."""
    p = "inference_infrastructure."
    v = {k[len(p) :]: x[k] for k in x if k.startswith(p)}
    per_token = kv_bytes_per_token(x)
    cache = per_token * v["context_tokens"] * v["concurrent_sequences"]
    n = {k: say_number(v[k]) for k in ("layers", "kv_heads", "head_dim")}
    kv = (
        f"2 (keys, values) × {n['layers']} layers × {n['kv_heads']} KV heads "
        f"× {n['head_dim']} × {say_number(v['bytes_per_value'])} bytes"
    )
    rows = [
        ("KV cache per token", per_token / 1024, "KiB", kv),
        ("KV cache held", cache / 2**30, "GiB",
         f"per token × {say_number(v['context_tokens'])} tokens × "
         f"{say_number(v['concurrent_sequences'])} sequences"),
        ("idle share of GPU hours", 1 - v["utilisation"], "share",
         "1 − utilisation"),
        ("average token price", x["_price_per_token"] * 1e6, "per M tokens",
         "token bill ÷ the tokens it prices"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["fact", "value", "unit", "how"])


def sensitivity(
    drivers: pd.DataFrame,
    x: dict,
    billed: dict[str, float],
    months: float,
    base_total: float,
    token_bill: float,
    currency: str,
) -> pd.DataFrame:
    """Fully loaded cost with one driver at its low, then high, end."""
    rows = []
    for d in drivers[drivers["low"] != drivers["high"]].itertuples():
        totals = [
            token_bill
            + float(
                bucket_totals(monthly_amounts(x | {d.driver: v}, billed), months).sum()
            )
            for v in (d.low, d.high)
        ]
        rows.append(
            (
                d.driver,
                f"{BUCKETS[d.bucket]}: {d.label}",
                d.unit,
                d.value,
                d.low,
                d.high,
                *totals,
            )
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "driver",
            "label",
            "unit",
            "base_value",
            "low_value",
            "high_value",
            "low_total",
            "high_total",
        ],
    )
    out["base_total"] = base_total
    out["swing"] = (out["high_total"] - out["low_total"]).abs()
    out["currency"] = currency
    out = out[out["swing"] > 1e-9 * max(abs(base_total), 1)]
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(
        drop=True
    )
