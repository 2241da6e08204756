"""Today's levers measured from the ledger, and scenarios set against them.

:func:`measure_levers` reads where each of the five layers stands today:
routing from the route evaluations, cache and batch from the token mix,
API and self-hosted spend from the fully loaded cost, GPU utilisation from
a DCGM scrape when there is one. :func:`compare` applies scenarios
(:mod:`tokenlib.scenario`) to it through :func:`tokenlib.layers.layer_cake`
and sets each against the value the tokens bought. :func:`self_hosted`
is the calculator: one GPU type serving one model, against today's API
prices.

Every lever says where its value came from: ``measured`` in the ledger or
a metrics export, ``assumed`` (a stated or documented default, named).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from .dcgm import fleet_utilisation
from .errors import ParameterError
from .layers import LAYERS, Levers, layer_cake
from .loaded import LoadedCost
from .period import DAYS_PER_MONTH, HOURS_PER_MONTH
from .policy import Policy
from .pricing import standard_cost_sql
from .scenario import Scenario, SelfHosted
from .schema import INPUT_SQL
from .selfhost import (
    RESERVE,
    GpuServing,
    break_even,
    kv_bytes_per_token,
    max_concurrency,
)
from .sources.base import literal
from .value_outcomes import reported_value
from .value_routes import route_price_ratio

__all__ = ["Comparison", "Today", "compare", "measure_levers", "self_hosted"]

#: The batch APIs of OpenAI and Anthropic charge half the standard price;
#: used when the ledger holds no priced batch work to measure it from.
BATCH_DISCOUNT = 0.5
#: Cache reads at a tenth of the input price (Anthropic's list); used when
#: the ledger holds no priced input to measure the ratio from.
CACHE_READ_RATIO = 0.1
TODAY = "today"

#: Each lever as tables name it.
LABELS = {
    "routed_share": "share of evaluated traffic on the cheaper tier",
    "routable_share": "share of token cost routing reaches",
    "routed_price_ratio": "cheaper tier's price / premium's",
    "cache_hit": "share of input read from cache",
    "cache_read_ratio": "cache-read price / input price",
    "input_cost_share": "input's share of token cost",
    "batch_share": "share of tokens in batch",
    "batch_discount": "batch discount",
    "utilisation": "GPU utilisation",
    "model_ratio": "model and precision cost ratio",
    "region_ratio": "region price ratio",
    "silicon_price_ratio": "hardware price ratio",
    "silicon_throughput_ratio": "hardware throughput ratio",
    "engine_throughput_ratio": "engine throughput ratio (self-hosted)",
}

_GPU = "inference_infrastructure.gpu"
_UTILISATION = "inference_infrastructure.utilisation"


@dataclass(frozen=True)
class Today:
    """Where the five layers stand in the period, and what it cost.

    Attributes
    ----------
    levers
        Today's levers (:class:`tokenlib.layers.Levers`).
    sources
        ``lever``, ``value``, ``source`` (measured or assumed), ``how``.
    api_cost, hosted_cost
        The token bill less any GPU rows in it, and the self-hosted GPU
        cost: the fully loaded GPU line and those GPU rows.
    fully_loaded
        The fully loaded cost; the layers act on the two costs above only.
    tokens, costed_tokens, value
        Counted tokens (the volume to serve); the per-million-token
        figures' denominator: tokens with a cost in the currency (as in
        :func:`tokenlib.metrics.cost_per_mtok`) and, where there is
        self-hosted GPU cost, the tokens without a price, taken to be the
        self-hosted models'; and the outcome value reported in the
        currency (None when no outcome carries one).
    routed_cap, batch_cap
        The most traffic routing may move (share measured to hold quality)
        and the most work batch may take (batch-eligible use cases' share).
    input_share, api_input_per_mtok, api_output_per_mtok
        Today's token mix and blended list prices, for the calculator.
    days
        Days in the period, to put costs per month.
    notes
        What could not be measured, and what was assumed instead.
    """

    currency: str
    levers: Levers
    sources: pd.DataFrame
    api_cost: float
    hosted_cost: float
    fully_loaded: float
    tokens: float
    costed_tokens: float
    value: float | None
    routed_cap: float
    batch_cap: float
    input_share: float
    api_input_per_mtok: float | None
    api_output_per_mtok: float | None
    days: int
    notes: tuple[str, ...] = ()


def _mix(
    con: duckdb.DuckDBPyConnection, currency: str, eligible: tuple, routable: tuple
) -> dict:
    """The token mix over counted rows; cache and batch shares, price
    ratios and the routable use cases' share of cost over rows priced in
    ``currency``; the batch discount against the standard tier."""
    join, standard = standard_cost_sql("s")
    inputs = " + ".join(
        f"s.{c}_tokens * s.{c}_price"
        for c in ("input", "cache_read", "cache_write_5m", "cache_write_1h")
    )
    all_in = INPUT_SQL.replace("(", "(s.").replace(" + ", " + s.")
    tokens = f"({all_in} + s.output_tokens)"
    priced = (
        f"s.computed_cost IS NOT NULL AND s.computed_currency = {literal(currency)}"
    )
    names = ", ".join(map(literal, eligible)) or "NULL"
    routes = ", ".join(map(literal, routable)) or "NULL"
    routable_priced = f"{priced} AND trim(s.use_case) IN ({routes})"
    # The API's levers (cache, batch) over the tokens priced in the
    # currency; the token mix and volume over every counted token.
    row = con.execute(
        f"""SELECT sum({tokens}), sum({all_in}),
          sum({tokens}) FILTER (WHERE {priced}),
          sum({all_in}) FILTER (WHERE {priced}),
          sum(s.cache_read_tokens) FILTER (WHERE {priced}),
          sum({tokens}) FILTER (WHERE {priced} AND s.service_tier = 'batch'),
          sum({tokens}) FILTER (WHERE {priced} AND trim(s.use_case) IN ({names})),
          sum({inputs}) FILTER (WHERE {priced}) / 1e6,
          sum(s.output_tokens * s.output_price) FILTER (WHERE {priced}) / 1e6,
          sum(s.output_tokens) FILTER (WHERE {priced}),
          sum({all_in} * s.cache_read_price) FILTER (WHERE {priced})
            / nullif(sum({all_in} * s.input_price) FILTER (WHERE {priced}), 0),
          sum({all_in} * s.input_price) FILTER (WHERE {priced}) / 1e6,
          1 - sum(s.computed_cost) FILTER (WHERE {priced} AND s.price_tier = 'batch')
            / nullif(sum({standard}) FILTER (WHERE {priced}
              AND s.price_tier = 'batch'), 0),
          sum(s.computed_cost) FILTER (WHERE {routable_priced})
            / nullif(sum(s.computed_cost) FILTER (WHERE {priced}), 0),
          sum({tokens}) FILTER (WHERE s.cost IS NOT NULL
            AND s.cost_currency = {literal(currency)}),
          sum({tokens}) FILTER (WHERE s.cost IS NULL)
        FROM spend AS s {join} WHERE s.counted"""
    ).fetchone()
    keys = (
        "tokens",
        "input",
        "priced_tokens",
        "priced_input",
        "cache_read",
        "batch",
        "eligible",
        "input_cost",
        "output_cost",
        "priced_output",
        "cache_read_ratio",
        "uncached_input_cost",
        "batch_discount",
        "routable",
        "costed_tokens",
        "unpriced_tokens",
    )
    return {
        k: (float(v) if v is not None else None) for k, v in zip(keys, row, strict=True)
    }


def _utilisation(loaded: LoadedCost, gpu_metrics: str | Path | None):
    if gpu_metrics:
        u, n = fleet_utilisation(gpu_metrics)
        how = f"mean of {n} GPU{'s' * (n > 1)} in {Path(gpu_metrics).name} (DCGM)"
        return u, "measured", how
    d = loaded.drivers.set_index("driver").loc[_UTILISATION]
    return float(d["value"]), "assumed", f"fully loaded assumptions ({d['source']})"


def measure_levers(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    loaded: LoadedCost,
    gpu_metrics: str | Path | None = None,
) -> Today:
    """Measure today's levers in the priced ledger's period.

    Parameters
    ----------
    con
        A ledger with ``spend`` registered for the period.
    policy
        The value policy: quality tolerance of routes, batch-eligible use
        cases.
    loaded
        The period's fully loaded cost, in the report's currency.
    gpu_metrics
        A dcgm-exporter scrape file; None uses the utilisation of the fully
        loaded assumptions.

    Notes
    -----
    - routing: share routed and price ratio from :func:`route_price_ratio`;
      the cap is the share measured to hold quality; routable share = token
      cost of the use cases with evaluated routes / all token cost.
    - cache, input share and batch, over tokens with a list price in the
      currency (the API's): hit rate = cache reads / all input; read price
      ratio = input-weighted cache-read price over input price; input cost
      share = input at the input price over that plus output; batch share
      = batch tokens / tokens; discount = 1 - batch cost over the same
      tokens at the standard tier; cap = tokens of batch-eligible use cases
      / tokens.
    - A lever the data cannot give takes a stated fallback, marked assumed.
    """
    currency = loaded.currency
    notes: list[str] = []
    routes = route_price_ratio(con, policy)
    m = _mix(con, currency, policy.batch_eligible, routes["use_cases"])
    rows = []

    def say(lever: str, value: float, source: str, how: str) -> float:
        rows.append((lever, value, source, how))
        return value

    def lever(name: str, value, how: str, fallback: float, why: str) -> float:
        """The measured value, or the fallback marked assumed with why."""
        if value is None:
            return say(name, fallback, "assumed", why)
        return say(name, float(value), "measured", how)

    def share(part, whole):
        return (part or 0.0) / whole if whole else None

    evaluated = routes["evaluated"]
    names = ", ".join(routes["use_cases"])
    s0 = lever("routed_share", routes["routed_share"] if evaluated else None,
               f"routed / evaluated route rows ({evaluated:,})",
               0.0, "no evaluated route rows")  # fmt: skip
    p = lever("routed_price_ratio", routes["price_ratio"],
              f"cheaper model's cost / reference's, {routes['priced_on']} rows",
              1.0, "no priced route pair")  # fmt: skip
    if routes["price_ratio"] is None:
        notes.append("routing: no priced route pair, so routing can save nothing")
    r = lever("routable_share", m["routable"] if evaluated else None,
              f"token cost of the evaluated use cases ({names}) / all",
              0.0, "no evaluated use case priced")  # fmt: skip
    cap = routes["safe_share"] if evaluated else s0
    if not evaluated:
        notes.append("routing: no evaluated route rows, so routing is held at today")
    elif s0 > cap:
        notes.append(
            f"routing: today {s0:.1%} of evaluated traffic is routed, above the "
            f"{cap:.1%} measured to hold quality"
        )

    # The API's levers, over the tokens with a list price in the currency.
    tokens = m["tokens"] or 0.0
    priced_tokens = m["priced_tokens"] or 0.0
    h = lever("cache_hit", share(m["cache_read"], m["priced_input"]),
              f"cache reads / input priced in {currency}",
              0.0, f"no input priced in {currency}")  # fmt: skip
    k = lever("cache_read_ratio", m["cache_read_ratio"],
              "cache-read price / input price, weighted by input tokens",
              CACHE_READ_RATIO, f"no input priced in {currency}: Anthropic's "
              "list ratio")  # fmt: skip
    uncached = m["uncached_input_cost"] or 0.0
    i = lever("input_cost_share", share(uncached, uncached + (m["output_cost"] or 0.0)),
              "input at the input price / that + output, at list price",
              0.5, f"no usage priced in {currency}")  # fmt: skip
    b = lever("batch_share", share(m["batch"], priced_tokens),
              f"batch tokens / tokens priced in {currency}",
              0.0, f"no tokens priced in {currency}")  # fmt: skip
    d = lever("batch_discount", m["batch_discount"],
              "1 - batch cost / the same tokens at the standard tier",
              BATCH_DISCOUNT, "no priced batch work: the providers' batch price "
              "is half")  # fmt: skip
    if policy.batch_eligible:
        batch_cap = max(share(m["eligible"], priced_tokens) or 0.0, b)
    else:
        batch_cap = b
        notes.append("batch: the policy names no batch-eligible use case")

    u, source, how = _utilisation(loaded, gpu_metrics)
    u = say("utilisation", u, source, how)
    # Self-hosted GPUs: the fully loaded GPU line, and GPU bill rows the AI
    # scope already puts in the token bill (then not API spend).
    parts = loaded.components.set_index("component")["amount"]
    bill = loaded.baseline.bill
    inside = bill[
        (bill["component"] == _GPU)
        & bill["in_token_bill"].astype(bool)
        & (bill["currency"] == currency)
    ]
    in_bill = float(inside["amount"].sum())
    hosted = float(parts.get(_GPU, 0.0)) + in_bill
    costed = m["costed_tokens"] or 0.0
    if not hosted:
        notes.append(
            "capacity and silicon: no self-hosted GPU cost, so they act on nothing"
        )
    elif m["unpriced_tokens"]:
        costed += m["unpriced_tokens"]
        notes.append(
            f"per million tokens: the {m['unpriced_tokens'] / 1e6:,.1f} million "
            "tokens without a price are counted as the self-hosted models'"
        )
    levers = Levers(
        routed_share=s0,
        routable_share=r,
        routed_price_ratio=p,
        cache_hit=h,
        cache_read_ratio=k,
        input_cost_share=i,
        batch_share=b,
        batch_discount=d,
        utilisation=u,
    )
    value = reported_value(con, currency)
    if value is None:
        notes.append(f"value: no outcome value in {currency}")
    assumed = [lever for lever, _, source, _ in rows if source == "assumed"]
    if assumed:
        notes.append(
            f"assumed, not measured: {', '.join(assumed)} (the table gives the "
            "values used); what the layers they feed save rests on them"
        )
    return Today(
        currency=currency,
        levers=levers,
        sources=_labelled(
            pd.DataFrame(rows, columns=["lever", "value", "source", "how"])
        ),
        api_cost=loaded.token_bill - in_bill,
        hosted_cost=hosted,
        fully_loaded=loaded.fully_loaded,
        tokens=tokens,
        costed_tokens=costed,
        value=value,
        routed_cap=cap,
        batch_cap=batch_cap,
        input_share=m["input"] / tokens if tokens else 0.0,
        api_input_per_mtok=_per_mtok(m["input_cost"], m["priced_input"]),
        api_output_per_mtok=_per_mtok(m["output_cost"], m["priced_output"]),
        days=(loaded.end - loaded.start).days,
        notes=tuple(notes),
    )


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(1, "label", frame["lever"].map(LABELS))
    return frame


def _per_mtok(cost: float | None, tokens: float | None) -> float | None:
    return cost / tokens * 1e6 if cost and tokens else None


def apply(today: Today, scenario: Scenario) -> tuple[Levers, list[str]]:
    """The scenario's levers: today's, with what the scenario sets.

    A routed share above the cap, or a batch share above the eligible
    work, is held at the cap and said in the notes.
    """
    base, notes = today.levers, []
    r, st = scenario.routing, scenario.stack
    routed = base.routed_share if r.routed_share is None else r.routed_share
    if r.routed_share is not None and routed > today.routed_cap:
        source = today.sources.set_index("lever").at["routed_share", "source"]
        why = (
            f"the {today.routed_cap:.1%} measured to hold quality"
            if source == "measured"
            else f"today's {today.routed_cap:.1%}: no route evaluations"
        )
        notes.append(f"{scenario.name}: routed share {routed:.0%} held at {why}")
        routed = today.routed_cap
    elif routed < base.routed_share:
        notes.append(
            f"{scenario.name}: routed share {routed:.0%} below today's "
            f"{base.routed_share:.1%} costs more (the quality it buys back "
            "is not valued)"
        )
    batch = base.batch_share if st.batch_share is None else st.batch_share
    if st.batch_share is not None and batch > today.batch_cap:
        notes.append(
            f"{scenario.name}: batch share {batch:.0%} held at the "
            f"{today.batch_cap:.1%} of work that is batch-eligible"
        )
        batch = today.batch_cap

    def pick(value, today_value):
        return today_value if value is None else value

    levers = replace(
        base,
        routed_share=routed,
        routed_price_ratio=pick(r.price_ratio, base.routed_price_ratio),
        model_ratio=pick(scenario.model.cost_ratio, 1.0),
        cache_hit=pick(st.cache_hit, base.cache_hit),
        batch_share=batch,
        utilisation=pick(scenario.capacity.utilisation, base.utilisation),
        region_ratio=pick(scenario.capacity.region_ratio, 1.0),
        silicon_price_ratio=pick(scenario.silicon.price_ratio, 1.0),
        silicon_throughput_ratio=pick(scenario.silicon.throughput_ratio, 1.0),
        engine_throughput_ratio=pick(st.throughput_ratio, 1.0),
    )
    return levers, notes


@dataclass(frozen=True)
class Comparison:
    """Scenarios set against today.

    Attributes
    ----------
    table
        One row per scenario, today first: ``scenario``, ``currency``,
        ``before`` and ``cost`` (token spend: API and self-hosted),
        ``saving``, ``saving_share``, the saving of each layer (columns
        named as :data:`tokenlib.layers.LAYERS`), ``cost_per_mtok``,
        ``fully_loaded`` and ``fully_loaded_per_mtok``, ``value_per_mtok``,
        ``net_value_per_mtok``
        (value less fully loaded cost, per million tokens).
    cakes
        Per scenario, its :func:`tokenlib.layers.layer_cake` with
        ``currency`` and ``before`` columns.
    levers
        ``lever``, ``label``, ``today``, ``source``, then each scenario's
        value.
    notes
        Levers the scenarios asked beyond their caps, and where they were
        held, or routed below today.
    today_notes
        What today's measurement could not show (:attr:`Today.notes`).
    api_cost, hosted_cost
        Today's token spend: the token bill and the self-hosted GPUs.
    """

    currency: str
    table: pd.DataFrame
    cakes: dict[str, pd.DataFrame]
    levers: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    today_notes: tuple[str, ...] = field(default=())
    api_cost: float = 0.0
    hosted_cost: float = 0.0

    def describe(self) -> str:
        """The headline, a line each: value per million tokens net of cost
        today, and the scenario that saves most."""
        t = self.table.set_index("scenario")
        now, c = t.loc[TODAY], self.currency
        if now["cost"] <= 0:
            return (
                f"No token spend in {c} in the period: the layers have nothing "
                "to act on."
            )
        if pd.isna(now["fully_loaded_per_mtok"]):
            lines = [
                f"No tokens with a cost in {c}: the bill has no usage beside "
                "it, so nothing is said per million tokens."
            ]
        elif pd.isna(now["value_per_mtok"]):
            lines = [
                f"No outcome value in {c}: each million tokens costs "
                f"{now['fully_loaded_per_mtok']:,.2f} {c} fully loaded."
            ]
        else:
            lines = [
                f"Each million tokens bought {now['value_per_mtok']:,.2f} {c} of "
                f"reported value: {now['net_value_per_mtok']:,.2f} {c} net of "
                "the fully loaded cost."
            ]
        lines.append(
            f"Token spend today: {now['cost']:,.2f} {c}, the token bill "
            f"{self.api_cost:,.2f} and self-hosted GPUs {self.hosted_cost:,.2f}."
        )
        if len(t) == 1:
            unset = "No scenario is set: the scenario parameter names a file "
            return "\n".join([*lines, unset + "like data/templates/scenario.yml."])
        best = t.drop(index=TODAY)["saving"].idxmax()
        row = t.loc[best]
        said = "costs least" if row["saving"] > 0 else "costs least, but none saves"
        lines.append(
            f"Of the scenarios, '{best}' {said}: token spend "
            f"{now['cost']:,.2f} → {row['cost']:,.2f} {c} "
            f"({-row['saving_share']:+.1%})."
        )
        if not pd.isna(row["net_value_per_mtok"]):
            lines.append(
                f"Net value per million tokens: {now['net_value_per_mtok']:,.2f} "
                f"→ {row['net_value_per_mtok']:,.2f} {c} (value held at "
                f"{now['value_per_mtok']:,.2f}: the layers change cost, not "
                "what the tokens buy)."
            )
        return "\n".join(lines)

    def summary(self) -> dict:
        """The comparison for ``metrics.json``: today's levers with their
        source, each scenario's cost, saving and net value per million
        tokens (null where unknown), and the caps applied."""
        levers = {
            row.lever: {"value": float(row.today), "source": row.source}
            for row in self.levers.itertuples()
        }
        shown = ["scenario", "cost", "saving", "saving_share",
                 "fully_loaded_per_mtok", "net_value_per_mtok"]  # fmt: skip
        rows = self.table[shown].astype(object)
        rows = rows.where(rows.notna(), None).to_dict("records")
        return {
            "levers": levers,
            "scenarios": rows,
            "optimisation_notes": [*self.today_notes, *self.notes],
        }


def compare(today: Today, scenarios: list[Scenario]) -> Comparison:
    """Set each scenario against today, layer by layer.

    The layers act on token spend (API and self-hosted); the rest of the
    fully loaded cost is held. Value is held too: routing is capped at the
    share measured to hold quality, so no outcomes are lost (routing below
    today buys back quality the held value does not count, and is said).
    ``net_value_per_mtok`` = (value - fully loaded cost) / costed tokens x
    1e6 (:attr:`Today.costed_tokens`). A negative token bill (credits) is
    taken as none, and said.
    """
    rows, cakes, notes = [], {}, []
    api = today.api_cost
    if api < 0:
        notes.append(
            f"the token bill is {api:,.2f} {today.currency} (credits exceed "
            "charges): the layers act on self-hosted spend only"
        )
        api = 0.0
    before = api + today.hosted_cost
    per_mtok = 1e6 / today.costed_tokens if today.costed_tokens else float("nan")
    value = float("nan") if today.value is None else today.value
    states = {TODAY: today.levers}
    for scenario in scenarios:
        states[scenario.name], said = apply(today, scenario)
        notes += said
    for name, levers in states.items():
        cake = layer_cake(api, today.hosted_cost, today.levers, levers)
        cake["currency"], cake["before"] = today.currency, before
        cakes[name] = cake
        saving = cake.set_index("layer")["saving"]
        loaded = today.fully_loaded - saving["total"]
        rows.append(
            {
                "scenario": name,
                "currency": today.currency,
                "before": before,
                "cost": before - saving["total"],
                "saving": saving["total"],
                "saving_share": saving["total"] / before if before else 0.0,
                **{layer: saving[layer] for layer in LAYERS},
                "cost_per_mtok": (before - saving["total"]) * per_mtok,
                "fully_loaded": loaded,
                "fully_loaded_per_mtok": loaded * per_mtok,
                "value_per_mtok": value * per_mtok,
                "net_value_per_mtok": (value - loaded) * per_mtok,
            }
        )
    cakes.pop(TODAY)
    # Today's measured levers, then the ratios a scenario sets against 1.
    ratios = ["model_ratio", "engine_throughput_ratio", "region_ratio",
              "silicon_price_ratio", "silicon_throughput_ratio"]  # fmt: skip
    levers = pd.concat(
        [
            today.sources[["lever", "source"]],
            pd.DataFrame({"lever": ratios, "source": "ratio to today"}),
        ],
        ignore_index=True,
    )
    for name, lv in states.items():
        levers[name] = [getattr(lv, lever) for lever in levers["lever"]]
    levers = _labelled(levers)
    names = [n for n in states if n != TODAY]
    levers = levers[["lever", "label", TODAY, "source", *names]]
    return Comparison(
        currency=today.currency,
        table=pd.DataFrame(rows),
        cakes=cakes,
        levers=levers,
        notes=tuple(notes),
        today_notes=today.notes,
        api_cost=today.api_cost,
        hosted_cost=today.hosted_cost,
    )


def self_hosted(today: Today, config: SelfHosted | None) -> pd.DataFrame:
    """One GPU type serving one model, against today's API prices.

    The token mix and, unless the file states them, the API prices and the
    utilisation are today's. Each row: ``quantity``, ``value``, ``unit``,
    ``how``; ``attrs["verdict"]`` sets the GPUs today's volume needs against
    the API, and the stated fleet's break-even. No configuration gives
    today's side only (monthly volume, API price at today's mix, the two
    multiplied), and the verdict says so.

    Raises
    ------
    ParameterError
        No API price is stated and none can be measured.
    """
    c = today.currency
    mix = today.input_share
    monthly = today.tokens / today.days * DAYS_PER_MONTH if today.days else 0.0
    if config is None:
        # Today's side alone: the volume and price a fleet would have to beat.
        frame = _frame(_api_side(today, monthly, None, None))
        frame.attrs["verdict"] = (
            "No self_hosted section in the scenario file, so today's side "
            "only:\nsee data/templates/scenario.yml for the GPU and model the "
            "calculator asks for."
        )
        return frame
    api_in = config.api_input_per_mtok or today.api_input_per_mtok
    api_out = config.api_output_per_mtok or today.api_output_per_mtok
    if api_in is None or api_out is None:
        raise ParameterError(
            f"self_hosted: no API price stated and no usage priced in {c}; "
            "state api_input_per_mtok and api_output_per_mtok"
        )
    u = config.utilisation or today.levers.utilisation
    gpu = GpuServing(
        config.hourly_price,
        config.prefill_tokens_per_second,
        config.decode_tokens_per_second,
        u,
    )
    per_mtok = gpu.cost(1e6 * mix, 1e6 * (1 - mix))
    m = config.model
    kv = kv_bytes_per_token(m.layers, m.kv_heads, m.head_dim, m.bytes_per_value)
    fits = max_concurrency(
        config.gpu_memory_gb, config.weights_gb, kv, config.context_tokens
    )
    even = break_even(gpu, config.gpus, api_in, api_out, mix)
    one_gpu = gpu.monthly_capacity(mix)
    gpu_month = config.hourly_price * HOURS_PER_MONTH
    volume, price, at_api = _api_side(today, monthly, api_in, api_out)
    needed = math.ceil(monthly / one_gpu) if monthly else 0
    rows = [
        ("cost per million tokens, busy", per_mtok["busy"], f"{c} per Mtok",
         f"{mix:.0%} input at {gpu.prefill_tps:,.0f} tokens/s, the rest at "
         f"{gpu.decode_tps:,.0f}; {gpu.hourly_price:,.2f} {c} an hour"),
        ("cost per million tokens, idle", per_mtok["idle"], f"{c} per Mtok",
         f"busy cost × (1 − {u * 100:.3g}%) / {u * 100:.3g}%: hours paid and not used"),
        ("cost per million tokens, self-hosted", per_mtok["total"],
         f"{c} per Mtok", "busy + idle"),
        price,
        ("KV cache per token", kv, "bytes",
         f"2 × {m.layers} layers × {m.kv_heads} heads × {m.head_dim} × "
         f"{m.bytes_per_value:g} bytes"),
        ("KV cache per request", kv * config.context_tokens / 1e9, "GB",
         f"{config.context_tokens:,} tokens of context"),
        ("requests one GPU holds at once", fits, "requests",
         f"({config.gpu_memory_gb:g} GB × {1 - RESERVE:.0%} − {config.weights_gb:g} GB "
         "weights) / KV cache per request"),
        ("tokens one GPU serves a month", one_gpu / 1e6, "million tokens",
         f"{HOURS_PER_MONTH:g} hours × {u * 100:.3g}% busy"),
        volume,
        ("GPUs to serve today's volume", needed, "GPUs",
         "today's volume / tokens one GPU serves, rounded up"),
        ("those GPUs a month", needed * gpu_month, c, "always on, busy or idle"),
        at_api,
        (f"break-even of the stated {config.gpus} GPU(s)", even.tokens / 1e6,
         "million tokens a month",
         f"{even.fleet_monthly:,.2f} {c} a month / API price per token"),
        (f"capacity of the stated {config.gpus} GPU(s)", even.capacity / 1e6,
         "million tokens a month", f"{config.gpus} × tokens one GPU serves"),
    ]  # fmt: skip
    frame = _frame(rows)
    frame.attrs["verdict"] = _verdict(needed, needed * gpu_month, at_api[1], even, u, c)
    return frame


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["quantity", "value", "unit", "how"])


def _api_side(
    today: Today, monthly: float, api_in: float | None, api_out: float | None
) -> list[tuple]:
    """Today's monthly volume, the API's price at today's mix, and the two.

    Prices not given are today's; without them, only the volume.
    """
    c = today.currency
    api_in = api_in if api_in is not None else today.api_input_per_mtok
    api_out = api_out if api_out is not None else today.api_output_per_mtok
    rows = [
        (
            "today's volume a month",
            monthly / 1e6,
            "million tokens",
            f"{today.tokens / 1e6:,.0f} million tokens over the period's "
            f"{today.days} day{'s' * (today.days != 1)}",
        )
    ]
    if api_in is None or api_out is None:
        return rows
    mix = today.input_share
    blended = mix * api_in + (1 - mix) * api_out
    return rows + [
        ("API list price per million tokens", blended, f"{c} per Mtok",
         f"{api_in:,.2f} input and {api_out:,.2f} output, today's mix"),
        ("today's volume at API prices a month", monthly * blended / 1e6, c,
         "today's volume × API price"),
    ]  # fmt: skip


def _verdict(needed: int, hosted: float, api: float, even, u: float, c: str) -> str:
    """Say which costs less for today's volume, and where the fleet breaks even."""
    if not needed:
        first = "No volume today to serve."
    else:
        cheaper = "Self-hosting costs less" if hosted < api else "The API costs less"
        first = (
            f"Today's volume needs {needed} GPU{'s' * (needed > 1)} at "
            f"{hosted:,.2f} {c} a month against {api:,.2f} {c} at API prices.\n"
            f"{cheaper}, for the traffic such a model can serve as well."
        )
    fleet = f"The stated fleet of {even.gpus} GPU{'s' * (even.gpus > 1)}"
    tokens, capacity = even.tokens / 1e6, even.capacity / 1e6
    if even.within_capacity:
        second = (
            f"{fleet} breaks even at {tokens:,.0f} million tokens a month and "
            f"serves up to {capacity:,.0f} million."
        )
    elif even.tokens <= even.capacity / u:
        second = (
            f"{fleet} breaks even at {tokens:,.0f} million tokens a month, more "
            f"than the {capacity:,.0f} million it serves {u * 100:.3g}% busy: "
            f"it pays off only kept busier (up to {capacity / u:,.0f} million "
            "at 100%)."
        )
    else:
        second = (
            f"{fleet} cannot serve its own break-even volume ({tokens:,.0f} "
            f"million tokens a month) even fully busy ({capacity / u:,.0f} "
            "million): the API costs less at every volume it can serve."
        )
    return first + "\n" + second
