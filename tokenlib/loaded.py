"""Fully loaded cost: the token bill and the eight buckets it leaves out.

Two steps. :func:`measure_loaded` reads the period's token bill, volumes
and claimed cloud-bill lines from the ledger; :func:`loaded_cost` turns
them and the assumptions (:mod:`tokenlib.loaded_assumptions`) into the
fully loaded cost: per component, per bucket, as a waterfall from the
token bill, per use case, with the sensitivity of the total to each driver.

Amounts of the formulas in :mod:`tokenlib.loaded_drivers` are per month;
the period's amount is the monthly amount times the period's days over
365.25 / 12. A component a bill rule claims takes the bill's amount for the
period instead of its formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from .executive import say_money
from .loaded_assumptions import Assumptions, DriverValue
from .loaded_drivers import (
    BUCKETS,
    COMPONENTS,
    DAYS_PER_MONTH,
    DRIVERS,
    MEMOS,
    kv_bytes_per_token,
    uses,
)
from .loaded_measure import NO_USE_CASE, Baseline, measure, rule_sql

__all__ = ["DRAWS", "LoadedCost", "fully_loaded", "loaded_cost", "measure_loaded"]


def measure_loaded(
    con: duckdb.DuckDBPyConnection, assumptions: Assumptions
) -> Baseline:
    """Measure the ledger for :func:`loaded_cost` (see :func:`measure`)."""
    rules = [
        rule_sql(
            r.component,
            r.service_name,
            r.service_category,
            r.sku_id,
            r.tags,
            r.use_case,
        )
        for r in assumptions.bill
    ]
    return measure(con, assumptions.currency, rules)


def fully_loaded(
    con: duckdb.DuckDBPyConnection, assumptions: Assumptions
) -> LoadedCost:
    """Measure the ledger and work out the fully loaded cost of its period.

    Parameters
    ----------
    con
        Connection with the ``spend`` view (:func:`tokenlib.price_ledger`).
    assumptions
        From :func:`tokenlib.loaded_assumptions.read_assumptions`.
    """
    return loaded_cost(assumptions, measure_loaded(con, assumptions))


@dataclass(frozen=True, eq=False)
class LoadedCost:
    """The fully loaded cost of one period, in one currency.

    Attributes
    ----------
    components
        ``bucket``, ``component``, ``label``, ``formula``, ``source``
        (assumptions or bill), ``monthly``, ``amount`` (the period's).
    buckets
        ``bucket`` (report name), ``amount``, ``low``, ``high`` (10th and
        90th percentile of :data:`DRAWS` draws of the drivers), ``share``
        of the fully loaded cost, ``monthly_growth``.
    waterfall
        ``step``, ``amount``, ``cumulative``, ``kind`` (start, step, total),
        ``currency``: token bill, the eight buckets, fully loaded.
    by_use_case
        ``use_case``, ``token_bill``, one column per bucket (report name),
        ``fully_loaded``, ``multiplier``; the columns sum to the totals.
    drivers
        ``driver``, ``bucket``, ``label``, ``unit``, ``value``, ``low``,
        ``high``, ``source`` (stated, default or ledger).
    memo
        ``bucket``, ``label``, ``formula``, ``amount``: costs the token bill
        already holds, or a view of a cost; never added.
    facts
        ``fact``, ``value``, ``unit``, ``how``: KV cache size, idle share,
        token price.
    sensitivity
        ``driver``, ``label``, ``unit``, ``base_value``, ``low_value``,
        ``high_value``, ``low_total``, ``high_total``, ``base_total``,
        ``swing``, ``currency``; largest swing first.
    draws
        Cost per day of each bucket (columns, report names) in
        :data:`DRAWS` futures: every driver drawn independently from a
        triangular distribution on its low and high whose mean is its value.
    baseline
        What the ledger measured (:func:`measure_loaded`), to work the cost
        out again under other assumptions.
    """

    currency: str
    start: date
    end: date
    token_bill: float
    fully_loaded: float
    components: pd.DataFrame
    buckets: pd.DataFrame
    waterfall: pd.DataFrame
    by_use_case: pd.DataFrame
    drivers: pd.DataFrame
    memo: pd.DataFrame
    facts: pd.DataFrame
    sensitivity: pd.DataFrame
    draws: pd.DataFrame
    baseline: Baseline
    notes: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def multiplier(self) -> float | None:
        """Fully loaded cost over the token bill; None with no token bill."""
        return self.fully_loaded / self.token_bill if self.token_bill > 0 else None

    def describe(self) -> str:
        """Say the fully loaded cost, the token bill's share and the multiplier."""
        span = f"{self.start} to {self.end - timedelta(days=1)}"
        total = say_money(self.fully_loaded, self.currency)
        if self.multiplier is None:
            return f"Fully loaded cost {total} for {span}, with no token bill."
        return (
            f"Fully loaded cost {total} for {span}: the token bill of "
            f"{say_money(self.token_bill, self.currency)} is "
            f"{1 / self.multiplier:.1%} of it (x{self.multiplier:.2f})."
        )

    def assumption_table(self) -> pd.DataFrame:
        """The drivers of cost as read: ``bucket``, ``driver``, ``value``,
        ``unit``, ``range`` (low to high), ``source`` (stated, default,
        ledger, or replaced by the bill). The KV cache drivers, which size
        memory rather than cost, are in ``facts``."""
        read = set().union(*map(uses, [*COMPONENTS.values(), *MEMOS.values()]))
        d = self.drivers[self.drivers["driver"].isin(read)]
        return pd.DataFrame({
            "bucket": d["bucket"].map(BUCKETS),
            "driver": d["label"],
            "value": d["value"],
            "unit": d["unit"],
            "range": [f"{_num(lo)} to {_num(hi)}" if hi > lo else ""
                      for lo, hi in zip(d["low"], d["high"], strict=True)],
            "source": d["source"],
        }).reset_index(drop=True)  # fmt: skip

    def forecast_buckets(self) -> pd.DataFrame:
        """Per bucket: ``bucket``, ``daily`` (cost per day) and
        ``monthly_growth``, for :func:`tokenlib.forecast.project`."""
        b = self.buckets
        return pd.DataFrame(
            {
                "bucket": b["bucket"],
                "daily": b["amount"] / self.days,
                "monthly_growth": b["monthly_growth"],
            }
        )


def _drivers(a: Assumptions, base: Baseline) -> pd.DataFrame:
    """Each driver's value and range, and where it came from."""
    months = base.days / DAYS_PER_MONTH
    stated = a.stated()
    rows = []
    for key, d in DRIVERS.items():
        v = stated.get(key)
        if isinstance(v, DriverValue):
            value, low, high, source = v.value, v.low, v.high, "stated"
        elif v is not None:
            value, low, high, source = float(v), None, None, "stated"
        elif isinstance(d.default, str):
            value = float(base.by_use_case[d.default].sum()) / months
            low, high, source = value, value, "ledger"
        else:
            value = (
                d.default[a.regulatory_exposure]
                if isinstance(d.default, dict)
                else float(d.default)
            )
            low, high, source = None, None, "default"
        low = value * (1 - a.spread) if low is None else low
        high = value * (1 + a.spread) if high is None else high
        if d.unit == "share":
            high = min(high, 1.0)
        rows.append((key, key.split(".")[0], d.label, d.unit, value, low, high, source))
    return pd.DataFrame(
        rows,
        columns=["driver", "bucket", "label", "unit", "value", "low", "high", "source"],
    )


def _replaced(billed: dict) -> set[str]:
    """Drivers read only by components the cloud bill carries."""
    lines = {**COMPONENTS, **MEMOS}
    kept = set().union(*(uses(c) for k, c in lines.items() if k not in billed))
    return set().union(*(uses(COMPONENTS[k]) for k in billed)) - kept


def _context(base: Baseline) -> dict[str, float]:
    """Monthly ledger amounts the memo formulas read."""
    months = base.days / DAYS_PER_MONTH
    u = base.by_use_case
    tokens = float(u["tokens"].sum())
    return {
        "_token_bill": base.token_bill / months,
        "_price_per_token": base.token_bill / tokens if tokens else 0.0,
        "_failed_spend": float(u["failed_spend"].sum()) / months,
    }


def _monthly(x: dict, billed: dict[str, float]) -> dict[str, float]:
    """Each component's monthly amount; bill-carried ones from the bill."""
    return {
        k: billed[k] if k in billed else c.monthly(x) for k, c in COMPONENTS.items()
    }


def _bucket_totals(monthly: dict[str, float], months: float) -> pd.Series:
    s = pd.Series(monthly) * months
    return (
        s.groupby(lambda k: k.split(".")[0])
        .sum()
        .reindex(list(BUCKETS), fill_value=0.0)
    )


def loaded_cost(assumptions: Assumptions, baseline: Baseline) -> LoadedCost:
    """Work out the fully loaded cost of the baseline's period.

    Parameters
    ----------
    assumptions
        From :func:`tokenlib.loaded_assumptions.read_assumptions`.
    baseline
        From :func:`measure_loaded` on the same assumptions.

    Returns
    -------
    LoadedCost
    """
    a, base = assumptions, baseline
    months = base.days / DAYS_PER_MONTH
    drivers = _drivers(a, base)
    x = dict(zip(drivers["driver"], drivers["value"], strict=True)) | _context(base)

    # Components the cloud bill carries take its amount instead.
    bill = base.bill
    outside = bill[~bill["in_token_bill"].astype(bool)]
    billed = {
        k: float(outside.loc[outside["component"] == k, "amount"].sum()) / months
        for k in bill["component"].unique()
    }
    monthly = _monthly(x, billed)
    drivers["source"] = drivers["source"].mask(
        drivers["driver"].isin(_replaced(billed)), "replaced by the bill"
    )
    components = pd.DataFrame(
        {
            "bucket": [k.split(".")[0] for k in monthly],
            "component": list(monthly),
            "label": [COMPONENTS[k].label for k in monthly],
            "formula": [
                ("cloud bill" if k in billed else COMPONENTS[k].formula)
                for k in monthly
            ],
            "source": ["bill" if k in billed else "assumptions" for k in monthly],
            "monthly": list(monthly.values()),
        }
    )
    components["amount"] = components["monthly"] * months

    # Bucket totals, and their ranges from draws of every driver.
    draws = _draws(drivers, _context(base), billed)
    amount = _bucket_totals(monthly, months)
    total = base.token_bill + float(amount.sum())
    growth = [a.growth.get(b, a.growth.get("default", 0.0)) for b in BUCKETS]
    buckets = pd.DataFrame(
        {
            "bucket": list(BUCKETS.values()),
            "amount": amount.to_numpy(),
            "low": draws.quantile(0.1).to_numpy() * base.days,
            "high": draws.quantile(0.9).to_numpy() * base.days,
            "share": amount.to_numpy() / total if total else 0.0,
            "monthly_growth": growth,
        }
    )

    x["_gpu"] = (
        monthly["inference_infrastructure.gpu"]
        + float(
            bill.loc[
                bill["in_token_bill"].astype(bool)
                & (bill["component"] == "inference_infrastructure.gpu"),
                "amount",
            ].sum()
        )
        / months
    )
    return LoadedCost(
        currency=a.currency,
        start=base.start,
        end=base.end,
        token_bill=base.token_bill,
        fully_loaded=total,
        components=components.assign(bucket=components["bucket"].map(BUCKETS)),
        buckets=buckets,
        waterfall=_waterfall(base.token_bill, buckets, a.currency),
        by_use_case=_allocate(a, base, components),
        drivers=drivers,
        memo=_memo(x, bill, months),
        facts=_facts(x),
        sensitivity=_sensitivity(
            drivers, x, billed, months, total, base.token_bill, a.currency
        ),
        draws=draws,
        baseline=base,
        notes=base.notes,
    )


#: Futures drawn of the drivers, for bucket ranges and the forecast.
DRAWS = 1000


def _mode(low: float, value: float, high: float) -> float:
    """The peak of a triangle on ``low``..``high`` whose mean is ``value``.

    The stated value is read as the expected one, so the draws' mean cost
    is the stated cost; a value too near an end to be a triangle's mean
    puts the peak at that end.

    >>> _mode(6, 12, 20), _mode(5, 12, 30)
    (10, 5)
    """
    return min(max(3 * value - low - high, low), high)


def _draws(drivers: pd.DataFrame, context: dict, billed: dict) -> pd.DataFrame:
    """Cost per day of each bucket in :data:`DRAWS` draws of the drivers."""
    rng = np.random.default_rng(0)
    x = {
        d.driver: rng.triangular(d.low, _mode(d.low, d.value, d.high), d.high, DRAWS)
        if d.high > d.low
        else np.full(DRAWS, d.value)
        for d in drivers.itertuples()
    } | context
    parts = pd.DataFrame(
        {k: np.broadcast_to(v, DRAWS) for k, v in _monthly(x, billed).items()}
    )
    by_bucket = parts.T.groupby(lambda k: k.split(".")[0]).sum().T
    by_bucket = by_bucket.reindex(columns=list(BUCKETS), fill_value=0.0)
    return by_bucket.rename(columns=BUCKETS) / DAYS_PER_MONTH


def _waterfall(token_bill: float, buckets: pd.DataFrame, currency: str) -> pd.DataFrame:
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


def _allocate(a: Assumptions, base: Baseline, components: pd.DataFrame) -> pd.DataFrame:
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
    out = out[(out["fully_loaded"] != 0) | (out["token_bill"] != 0)]
    return (
        out.sort_values("fully_loaded", ascending=False)
        .rename_axis("use_case")
        .reset_index()
    )


def _memo(x: dict, bill: pd.DataFrame, months: float) -> pd.DataFrame:
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


def _num(x: float) -> str:
    """A driver's value for people: separators from 1,000, else 4 digits.

    >>> _num(15000.0), _num(0.0375), _num(10240.0)
    ('15,000', '0.0375', '10,240')
    """
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _facts(x: dict) -> pd.DataFrame:
    p = "inference_infrastructure."
    v = {k[len(p) :]: x[k] for k in x if k.startswith(p)}
    per_token = kv_bytes_per_token(x)
    cache = per_token * v["context_tokens"] * v["concurrent_sequences"]
    kv = (
        f"2 (keys, values) × {_num(v['layers'])} layers × {_num(v['kv_heads'])} "
        f"KV heads × {_num(v['head_dim'])} × {_num(v['bytes_per_value'])} bytes"
    )
    rows = [
        ("KV cache per token", per_token / 1024, "KiB", kv),
        ("KV cache held", cache / 2**30, "GiB",
         f"per token × {_num(v['context_tokens'])} tokens × "
         f"{_num(v['concurrent_sequences'])} sequences"),
        ("idle share of GPU hours", 1 - v["utilisation"], "share",
         "1 − utilisation"),
        ("average token price", x["_price_per_token"] * 1e6, "per M tokens",
         "token bill ÷ tokens"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["fact", "value", "unit", "how"])


def _sensitivity(drivers, x, billed, months, base_total, token_bill, currency):
    """Fully loaded cost with one driver at its low, then high, end."""
    rows = []
    for d in drivers[drivers["low"] != drivers["high"]].itertuples():
        totals = [
            token_bill
            + float(_bucket_totals(_monthly(x | {d.driver: v}, billed), months).sum())
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
