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
import pandas as pd

from .executive import say_money, say_number
from .loaded_assumptions import Assumptions, DriverValue, ends
from .loaded_drivers import (
    BUCKETS,
    COMPONENTS,
    DAYS_PER_MONTH,
    DRIVERS,
    MEMOS,
    uses,
)
from .loaded_frames import (
    DRAWS,
    allocate_to_use_cases,
    bucket_totals,
    draw_buckets,
    facts,
    memo_lines,
    monthly_amounts,
    sensitivity,
    waterfall_steps,
)
from .loaded_measure import Baseline, measure, rule_sql

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
        ``fully_loaded``, ``multiplier``, ``unpriced_rows`` (the token
        bill of a use case with unpriced rows is a floor); the money
        columns sum to the totals.
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
        PERT distribution on its low and high whose mean is its value.
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
        """Say the fully loaded cost, the token bill's share, the multiplier,
        then the notes (what was left out), one a line."""
        span = f"{self.start} to {self.end - timedelta(days=1)}"
        total = say_money(self.fully_loaded, self.currency)
        if self.token_bill == 0:
            said = (
                f"Fully loaded cost {total} for {span}, with no token bill in "
                f"{self.currency}: no multiplier."
            )
        elif self.multiplier is None:
            said = (
                f"Fully loaded cost {total} for {span}; the token bill is "
                f"{say_money(self.token_bill, self.currency)} (credits exceed "
                "charges): no multiplier."
            )
        else:
            said = (
                f"Fully loaded cost {total} for {span}: the token bill of "
                f"{say_money(self.token_bill, self.currency)} is "
                f"{1 / self.multiplier:.1%} of it (x{self.multiplier:.2f})."
            )
        return "\n".join([said, *self.notes])

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
            "range": [f"{say_number(lo)} to {say_number(hi)}" if hi > lo else ""
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
        low, high = ends(value, low, high, a.spread, d.unit == "share")
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


def _unknown_use_cases(a: Assumptions, base: Baseline) -> tuple[str, ...]:
    """Bill rules that name a use case the ledger does not hold."""
    held = set(base.by_use_case["use_case"])
    return tuple(
        f"bill rule for {r.component} names use case {r.use_case!r}, which "
        "the ledger does not hold in the period: check the spelling"
        for r in a.bill
        if r.use_case is not None and r.use_case not in held
    )


def _context(base: Baseline) -> dict[str, float]:
    """Monthly ledger amounts the memo formulas read."""
    months = base.days / DAYS_PER_MONTH
    u = base.by_use_case
    tokens = float(u["priced_tokens"].sum())
    return {
        "_token_bill": base.token_bill / months,
        "_price_per_token": base.token_bill / tokens if tokens else 0.0,
        "_failed_spend": float(u["failed_spend"].sum()) / months,
    }


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
    monthly = monthly_amounts(x, billed)
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
    draws = draw_buckets(drivers, _context(base), billed)
    amount = bucket_totals(monthly, months)
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
        waterfall=waterfall_steps(base.token_bill, buckets, a.currency),
        by_use_case=allocate_to_use_cases(a, base, components),
        drivers=drivers,
        memo=memo_lines(x, bill, months),
        facts=facts(x),
        sensitivity=sensitivity(
            drivers, x, billed, months, total, base.token_bill, a.currency
        ),
        draws=draws,
        baseline=base,
        notes=base.notes + _unknown_use_cases(a, base),
    )
