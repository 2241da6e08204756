"""Write the notebook series from the cell text below.

The notebooks are generated so that their shared cells (parameters, setup,
run metadata) stay identical and so a change of wording is reviewed as a
change of this file. Run from anywhere:

    .venv/bin/python notebooks/build_notebooks.py          # write
    .venv/bin/python notebooks/build_notebooks.py --check  # compare only

The written notebooks carry no outputs and stable cell ids, so writing twice
gives the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

PARAMETERS = """\
ledger: str = "data/demo/ledger.duckdb"  # ledger file, from the project root
prices: str = ""  # negotiated-rates CSV; empty for list prices
start: str = ""  # first day kept, YYYY-MM-DD; empty: first day of data
end: str = ""  # first day left out, YYYY-MM-DD; empty: no bound
tz: str = "UTC"  # IANA time zone the reporting days are counted in
currency: str = "USD"  # currency of money figures; others listed apart
scope: str = "ai"  # ai: AI spend only; all: the whole bill
group_by: str = "team"  # dimension to split spend by: team, project...
scope_rules: str = ""  # YAML adding services, SKUs, tags to the AI scope
owners: str = ""  # YAML owner rules; empty: owners are teams
users: str = "pseudonymised"  # or "shown", for internal use only
policy: str = ""  # YAML value policy: route target, batch, residency
business_unit: str = "booking"  # volume unit for revenue: booking, ...
assumptions: str = ""  # YAML fully loaded cost drivers; empty: defaults
scenario: str = ""  # YAML optimisation scenarios; empty: today only
gpu_metrics: str = ""  # dcgm-exporter scrape; empty: assumed utilisation"""

SETUP = """\
import tokenlib as tl
from tokenlib import notebook as nb, plots, readiness

nb.setup()
params = nb.check_params(
    ledger, prices, start, end, tz, currency, scope, group_by, scope_rules,
    owners, users, policy, business_unit, assumptions, scenario, gpu_metrics,
)"""

OPEN = """\
con = nb.open_priced(
    ledger, prices, tz, start, end, scope, scope_rules, owners, users
)
period = nb.period_label(con)
print(period)"""

OPEN_TEXT = (
    "## Open the ledger\n\n"
    "The ledger is opened read-only and priced for the period, zone and "
    "scope set in the parameters.\n\n"
    "The period below is the one every figure title names."
)

METADATA_TEXT = (
    "## Run metadata\n\n"
    "Parameters, the dates the ledger covers and library versions, so the "
    "run can be repeated."
)


def md(text: str) -> tuple[str, str, tuple[str, ...]]:
    return ("markdown", text.strip(), ())


def code(text: str, *tags: str) -> tuple[str, str, tuple[str, ...]]:
    return ("code", text.strip(), tags)


def head(title: str, purpose: str) -> list:
    """Title, parameters and setup: the first three cells of every notebook."""
    return [
        md(f"# {title}\n\n{purpose}"),
        code(PARAMETERS, "parameters"),
        code(SETUP),
    ]


#: Open the priced ledger; every notebook does, after its introduction.
OPENING = [md(OPEN_TEXT), code(OPEN)]


def tail(notes: str) -> list:
    """Notes and limitations, then run metadata: the last cells."""
    return [
        md("## Notes and limitations\n\n" + notes.strip()),
        md(METADATA_TEXT),
        code("nb.table(nb.run_metadata(params, con))", "nbval-ignore-output"),
    ]


OVERVIEW = (
    head(
        "Tokenomics Workbook: overview",
        "What data is loaded, and how far along the three stages can it take "
        "the report? For anyone opening the series, before the other notebooks.",
    )
    + [
        md("""
## How to use the series

Each notebook answers one question and runs top to bottom in a fresh kernel.

All take the same parameters, in the second cell; change them there, or pass
them with papermill, for example
`papermill notebooks/01_spend_visibility.ipynb out.ipynb -p start 2026-09-01`.

Relative paths resolve from the project root, wherever the notebook runs.

Read them in order: this overview, then `01_spend_visibility`,
`02_unit_economics`, `03_attribution`, `04_value`, `05_fully_loaded`
(the cost beyond the invoice, its forecast and budget) and
`06_optimisation` (the layer cake: what each change would save);
`09_executive_summary` is the one page for leadership.
"""),
        md("""
## Three stages of maturity

| stage | question | notebook |
|---|---|---|
| 1 spend visibility | What did AI cost, where did it go, who owns it? | 01, 03 |
| 2 economics | What does a unit of work cost; is it spent well? | 02 |
| 3 value | What did the spend buy, and what does it really cost? | 04, 05, 09 |
| 3 value | Which changes raise the value each token buys? | 06 |

Each stage stands on the one before: unit costs mean little while spend is
unknown, and value needs unit costs.
"""),
    ]
    + OPENING
    + [
        md("""
## What the ledger holds

Rows by source over the whole ledger, whatever the period and scope.

Quarantined rows failed a check on ingest and are in no figure.
"""),
        code("nb.table(readiness.ledger_contents(con))"),
        md("""
## Headline for the period

Total spend in the chosen currency, over the period and scope of the
parameters.
"""),
        code("nb.table(nb.headline(con, currency))"),
        md("""
## Which figures the data supports

Each row is a figure of the series: "yes" when the data gives it in full,
"partly" when some cost or tokens lack what it needs (the evidence says how
much), "no" when it cannot be computed.

The first row of each stage is the figure the stage stands on.
"""),
        code("ready = readiness.data_readiness(con, owner=group_by)\nnb.table(ready)"),
        md("""
## The stage the data supports

The last stage, in order, whose founding figure is not "no".
"""),
        code("print(readiness.supported_stage(ready))"),
    ]
    + tail("""
- "Yes" means at least 99% of cost (or tokens) has what the figure needs;
  "partly" means some but less.
- Shares of cost are taken on absolute amounts, so credits do not cancel
  charges.
- Cost is the bill's money (EffectiveCost, amortised) where a bill covers a
  provider-day, split over the priced usage of that day; elsewhere it is
  tokens times list or negotiated prices.
- Stage 3 needs outcomes (tickets resolved, documents processed) per use
  case: load them with `tokenlib ingest outcomes.csv` (see the README).
""")
)


SPEND = (
    head(
        "Spend visibility",
        "What did AI cost over the period, where did it go and what changed? "
        "For FinOps practitioners and budget owners.",
    )
    + OPENING
    + [
        md("""
## Total spend and average daily cost

The average divides by days with spend, so days without data do not lower it.

Spend in another currency is listed on its own row, never converted or added.
"""),
        code("nb.table(nb.headline(con, currency))"),
        md("""
## Daily trend

Cost per day in the reporting zone.

Look for steps, where a workload or model starts or stops, and for the weekly
rhythm of traffic people send.

A day below zero is a credit (a refund or promotion) booked on that day.
"""),
        code("""
daily = nb.in_currency(tl.spend_by_day(con), currency)
plots.daily_spend(daily, period=period);
"""),
        md("""
## Spend by provider

Each bar is a provider's cost, with its share of spend written at its end.

Values under 2% of spend are folded into Other, here and in the charts below.
"""),
        code("""
OTHER_BELOW = 0.02  # fold values under 2% of spend into Other
by_provider = tl.spend_by(con, "provider", OTHER_BELOW)
by_provider = nb.in_currency(by_provider, currency)
plots.spend_bar(by_provider, "provider", period=period);
"""),
        md("""
## Spend by model

"(none)" is spend whose rows name no model, such as bill lines for a service.
"""),
        code("""
by_model = tl.spend_by(con, "model", OTHER_BELOW)
by_model = nb.in_currency(by_model, currency)
plots.spend_bar(by_model, "model", period=period);
"""),
        md("""
## Spend by owner

Spend split by the dimension named in `group_by`.

"(none)" is spend nobody is tagged on: a gap to close before costs can be
allocated.
"""),
        code("""
by_owner = tl.spend_by(con, group_by, OTHER_BELOW)
by_owner = nb.in_currency(by_owner, currency)
plots.spend_bar(by_owner, group_by, period=period);
"""),
        md("""
## Daily spend by owner

The same split day by day, with the same values folded into Other, to see
whose spend drives the trend.
"""),
        code("""
owner_daily = nb.in_currency(tl.spend_by_day(con, group_by), currency)
kept = by_owner[group_by][by_owner[group_by] != "Other"]
plots.stacked_daily(owner_daily, group_by, period=period, keep=kept);
"""),
        md("""
## Top movers

Spend of the last 7 days of data against the 7 days before, by `group_by`,
largest change first.

`change_pct` is empty where the earlier week had no spend.
"""),
        code("""
movers = nb.in_currency(tl.top_movers(con, group_by), currency)
money = ["previous", "recent", "change"]
nb.table(movers.head(10), money=money, pct=["change_pct"])
"""),
    ]
    + tail("""
- Cost is the bill's money (EffectiveCost, amortised) where a bill covers a
  provider-day, split over the priced usage of that day; elsewhere it is
  tokens times list or negotiated prices, an estimate until the bill comes.
- Tokens of models without a price are in no money figure here; the share
  left out is in `02_unit_economics`.
- Values under 2% of spend are folded into Other; spend with no owner,
  "(none)", never is.
- Days are counted in the `tz` zone. Daily bills and usage buckets start at
  midnight UTC, so in a zone west of UTC each one lands on the day before,
  and east of UTC on its own day; request logs fall on their local day.
- Top movers compare the last 14 days of data, whatever the period length.
""")
)


ECONOMICS = (
    head(
        "Unit economics",
        "What does a million tokens cost, how are tokens spent, and what did "
        "caching and batching save? For engineering leads and FinOps analysts.",
    )
    + OPENING
    + [
        md("""
## Blended cost per million tokens

Cost over tokens of every class, on priced usage only, so unpriced tokens do
not dilute it.

Credits and bill lines without tokens are left out, so this cost can differ
from the total spend in the visibility notebook.
"""),
        code("""
blended = nb.in_currency(tl.cost_per_mtok(con), currency)
nb.table(blended, money=["cost", "cost_per_mtok"])
"""),
        md("""
## Cost per million tokens by model

Models above the dashed blended line pull the average up; the gap is in
price, but also in how much of the traffic reads from cache.
"""),
        code("""
per_model = nb.in_currency(tl.cost_per_mtok(con, "model"), currency)
plots.cost_per_mtok_bar(per_model, "model", period=period);
"""),
        md("""
## Tokens by class

Uncached input, cache reads and writes, and output; reasoning is a part of
output, shown apart and hatched.
"""),
        code("plots.token_mix(tl.token_totals(con), period=period);"),
        md("""
## Input/output and cached-token ratios

`io_ratio` is all input (uncached, cache reads and writes) over output;
`cached_ratio` is cache reads over all input.

A high cached ratio on a model with cheap cache reads lowers its cost per
million tokens.
"""),
        code("""
ratios = tl.token_ratios(con, "model")
nb.table(ratios, share=["cached_ratio"])
"""),
        md("""
## Cache and batch savings

Money saved against list price: cache reads priced at the input price less
what they cost, net of the premium cache writes pay; batch traffic priced at
the standard tier less what it cost.
"""),
        code("""
saved = nb.in_currency(tl.savings(con), currency)
money = ["cache_saving", "cache_write_premium", "batch_saving"]
nb.table(saved, money=money)
"""),
        md("""
## Token-to-spend drift

Where a bill carries money for tokens, the cost computed from those tokens
at list or negotiated prices should match it, on UTC days.

Drift is computed minus billed: below zero, the bill is above the price list
(a premium, a missed discount, a mispriced meter); above zero, below it.

The chart says so when there is nothing to compare: no bill for tokens in the
period, or billed tokens whose model has no price.
"""),
        code("""
drift = nb.in_currency(tl.drift(con), currency)
plots.drift_chart(drift, period=period);
"""),
        md("""
The same by provider, over days that have both figures; an empty table means
nothing could be compared.
"""),
        code("""
both = drift.dropna(subset=["computed", "billed"])
money = ["computed", "billed", "drift"]
compared = both.groupby("provider", as_index=False)[money].sum()
nb.table(compared, money=money)
"""),
        md("""
## Unpriced tokens

Tokens whose model has no price, with their share of all tokens.

Their cost is missing from every money figure, not counted as zero.
"""),
        code('nb.table(tl.unpriced(con), share=["share"])'),
        md("""
## Model-name resolution

How each reported model name matched the price catalogue: `exact`, `alias`
(a dated snapshot or other name) or `unknown`, which stays unpriced.
"""),
        code("nb.table(tl.model_resolution(con))"),
    ]
    + tail("""
- Cost per million tokens blends all token classes; it moves with the mix of
  cache reads and output as much as with prices.
- Savings are against list price, on priced usage only; negotiated rates
  (the `prices` parameter) change both cost and savings.
- Drift compares UTC days, since bills are kept in UTC; bill rows that name
  no model cannot be priced from their tokens, so they show no computed cost.
- Bucketed usage (daily exports) cannot tell long-context requests apart and
  is priced at the base tier.
""")
)


ATTRIBUTION = (
    head(
        "Who spends: attribution",
        "Which team, agent, user and session does AI spend come from, how "
        "much of it has a named owner, and what does each owner pay once "
        "shared spend is split? For FinOps practitioners running showback or "
        "chargeback, and for leads of agentic tools.",
    )
    + OPENING
    + [
        md("""
## How owners were found

A row's own owner field (`team` unless the owner rules name another
dimension) comes first; rows without one take the owner of the first rule
that matches them (api key, workspace, user or tag patterns).

"(none)" is spend no field or rule places: shared, like spend of an owner
named as shared.
"""),
        code("""
rules = nb.owner_rules(owners)
found = nb.in_currency(tl.spend_by(con, "owner_basis"), currency)
nb.table(found, money=["cost"], share=["share"])
"""),
        md("""
## Direct allocation

The share of spend with a named owner, before any shared cost is split: the
number to raise, day by day.

Credits count at their size, so a day with a large untagged credit dips.
"""),
        code("""
direct = nb.in_currency(tl.direct_allocation(con), currency)
plots.allocation_trend(direct, period=period);
"""),
        code("""
overall = tl.direct_allocation(con, by_day=False)
nb.table(nb.in_currency(overall, currency), money=["cost", "owned_cost"])
"""),
        md("""
## Showback

Each owner's direct spend plus its share of the shared spend, split by the
rule of the owner rules (in proportion to owned spend unless they say even
or fixed weights).

Unallocated is shared spend no owner could take.
"""),
        code("""
showback = nb.in_currency(tl.allocate(con, rules), currency)
plots.showback_bar(showback, period=period);
"""),
        md("""
## Chargeback

What to charge each owner, rounded to the cent so the charges add up to the
total exactly.
"""),
        code('nb.table(tl.chargeback(showback), money=["charge"])'),
        md("""
## Agents and users

Spend of agentic tools by session: who ran them, how many sessions, and what
they produced (commits and pull requests, from the tools' telemetry).

Users are shown as pseudonyms unless the `users` parameter says otherwise.
"""),
        code("""
sessions = tl.sessions(con, currency)
money = ["cost", "cost_per_session", "cost_per_pull_request"]
nb.table(tl.sessions_by(sessions, "agent"), money=money)
"""),
        code('nb.table(tl.sessions_by(sessions, "user").head(10), money=money)'),
        md("""
## Cost per session

Most sessions cost little; a few cost far more, and they are where to look.
"""),
        code("plots.session_costs(sessions, period=period);"),
        md("""
## The costliest sessions

Each with what made it costly: cache misses (a cached ratio well below the
typical session's), long context, retries, or many requests.
"""),
        code("""
top = tl.costliest_sessions(sessions, n=10)
shown = ["session", "user", "agent", "cost", "vs_median", "requests",
         "cached_ratio", "long_context", "api_errors", "commits", "why"]
nb.table(top[shown], money=["cost"], share=["cached_ratio"])
"""),
        md("""
## Telemetry estimates against the bill

Claude Code and gateways such as LiteLLM estimate cost on the client.

`estimated` is their figure, `priced` the same tokens at list or negotiated
price, `cost` what this report counts (the bill's share where a bill covers
the day and model); `gap` is estimated minus cost.
"""),
        code("""
estimates = tl.reconcile_estimates(con, currency)
money = ["estimated", "priced", "cost", "gap"]
nb.table(estimates, money=money, pct=["gap_pct"])
"""),
    ]
    + tail("""
- Owners come from the owner field first, then from the first matching rule;
  the rules file is the `owners` parameter.
- Allocation conserves money: direct, allocated shared and unallocated spend
  add up to the total of the period, in each currency.
- Sessions count only spend that names a session; aggregated usage exports
  (provider usage reports) carry none.
- Where Claude Code sends both metrics and events, the token metrics of a
  session with events are left out, so no request counts twice.
- Telemetry cost estimates are never money of record; the bill is, where one
  covers the day and model.
""")
)


VALUE = (
    head(
        "Value per token",
        "What does each outcome cost to produce, what did routing, caching and "
        "batching buy, and does regulated work run where it may? For product "
        "owners, FinOps leads and anyone asked whether the AI spend is justified.",
    )
    + OPENING
    + [
        md("""
## The value policy

The five consumption metrics follow: cost per verified outcome,
direct-allocation %, route win rate, cache and batch leverage, sovereignty
hit rate.

What they are held against: the route win-rate target, the quality
tolerance, the use cases whose work can wait for batch, and the regions each
regulated workload may run in (the `policy` parameter).
"""),
        code("rules = nb.value_policy(policy)\nnb.table(rules.describe())"),
        md("""
## Cost per use case

Each use case's own spend plus its share of spend that names no use case,
split in proportion to its own spend.
"""),
        code("""
per_use_case = nb.in_currency(tl.cost_per_use_case(con), currency)
nb.table(per_use_case, money=["direct", "allocated", "cost"])
"""),
        md("""
## Cost per verified outcome

A use case's cost over the outcomes that passed its check (a ticket resolved
without escalation, a pull request merged); the cost here is token cost, not
yet fully loaded.

`unverified_share` is the share of cost spent on attempts that were not
verified: cost x (attempted - verified) / attempted.
"""),
        code("""
outcomes = nb.in_currency(tl.cost_per_verified_outcome(con), currency)
plots.outcome_costs(outcomes, period=period);
"""),
        code("""
money = ["cost", "unverified_cost"]
shown = ["use_case", "cost", "attempted", "verified", "cost_per_verified",
         "unverified_cost", "unverified_share", "reason"]
nb.table(outcomes[shown], money=money, share=["unverified_share"])
"""),
        md("""
## Inference cost against AI revenue

`ratio` is AI cost over the revenue or value the use case reports;
`gross_margin` is (revenue - cost) / revenue.

Value per token says what each million tokens brought in.
"""),
        code("""
revenue = nb.in_currency(tl.cost_vs_revenue(con), currency)
nb.table(revenue, money=["cost", "revenue"], share=["ratio", "gross_margin"])
"""),
        code("""
per_token = nb.in_currency(tl.value_per_token(con), currency)
shown = ["use_case", "value", "tokens", "value_per_mtok", "reason"]
nb.table(per_token[shown], money=["value", "value_per_mtok"])
"""),
        md("""
## Direct-allocation %

The share of spend with a named owner before shared costs are split; the
attribution notebook has its trend.
"""),
        code("""
direct = tl.direct_allocation(con, by_day=False)
nb.table(nb.in_currency(direct, currency), money=["cost", "owned_cost"])
"""),
        md("""
## Route win rate

Over requests where both the served and the reference model were scored: a
win is a request served by the cheaper model scoring no more than the
tolerance below the reference.

`opportunity` is the share served by the reference whose cheaper candidate
scored as well: wins still to take. Money saved is the tokens at the
reference price less at the price paid.

The first and last weeks of the chart may be partial.
"""),
        code("""
routes = tl.route_win_rate(con, rules, by="week")
plots.route_trend(routes, period=period);
"""),
        code("""
overall = tl.route_win_rate(con, rules)
money = ["money_saved", "opportunity_saving"]
share = ["win_rate", "loss_rate", "opportunity", "target"]
nb.table(overall, money=money, share=share)
"""),
        md("The largest quality losses, for review:"),
        code("nb.table(tl.route_losses(con, rules).head(10))"),
        md("""
## Cache and batch leverage

Cache: the share of input read from cache, and the money it saved against
list price net of what cache writes cost extra.

Batch: the share of batch-eligible work (per the policy) run in batch, and
what batch saved.
"""),
        code("""
cache = nb.in_currency(tl.cache_leverage(con), currency)
money = ["gross_saving", "write_premium", "net_saving"]
nb.table(cache, money=money, share=["cached_ratio"])
"""),
        code("""
batch = tl.batch_leverage(con, rules)
share = ["batch_request_share", "batch_token_share"]
nb.table(batch, money=["batch_saving"], share=share)
"""),
        md("""
## Sovereignty hit rate

The share of regulated requests, and of their spend, that ran in a region
the policy allows; a request with no region counts as a miss.

The exceptions follow.
"""),
        code('nb.table(tl.sovereignty(con, rules), share=["hit_rate"])'),
        code('nb.table(tl.sovereignty_exceptions(con, rules), money=["cost"])'),
        md("""
## The five metrics week by week

Each metric by the definition above, per week; an empty chart means the data
cannot give it (no outcomes, no routing evidence, nothing batch-eligible or
regulated in the policy). The first and last weeks may be partial.
"""),
        code("""
weekly = tl.value_trends(con, rules, currency)
plots.kpi_trends(tl.trend_panels(weekly, currency, rules), period);
"""),
        md("""
## In the listener's units

The number each role asks for, in its own units: basis points of revenue
and cost per unit of gross profit for finance, cost per call for
engineering, owned spend for FinOps, cost per booking and per outcome for
leadership. The business volumes behind them are the user's.
"""),
        code("""
summary = tl.summarise(con, currency, rules)
units = tl.unit_costs(con, currency)
nb.table(tl.role_brief(summary, units, currency, business_unit))
"""),
        code("""
shown = ["unit", "use_case", "volume", "cost", "cost_per_unit",
         "bps_of_revenue", "cost_per_gross_profit", "reason"]
nb.table(units[shown], money=["cost"])
"""),
        md("""
## Maturity board

Which figures of the three stages the loaded data supports, and what data
would take each to "yes".
"""),
        code("nb.table(readiness.maturity_board(con, rules))"),
    ]
    + tail("""
- Cost here is token cost (bills where they cover the day, else tokens x
  price); the fully loaded cost (infrastructure, people, waste) comes later.
- Outcomes, routing evidence and values are what the user reports; the
  figures are as good as those checks.
- Route money is at list prices on the row's date, standard tier.
- Outcome days are UTC days when given as dates.
- Amounts in two currencies are never added; each currency has its rows.
""")
)


LOADED = (
    head(
        "Fully loaded cost",
        "What does AI cost once the eight buckets the invoice leaves out are "
        "added, which assumptions move that most, and where is it heading? "
        "For FinOps leads and finance partners who forecast and budget AI.",
    )
    + OPENING
    + [
        md("""
## The assumptions

The token bill is one of nine cost buckets; the other eight are not metered,
so each is worked out from drivers in the assumptions file (the
`assumptions` parameter).

`source` says where each driver came from: stated in the file, measured in
the ledger, or replaced by the bill where a bill rule claims the component
(GPU instances, storage). A driver stated as a plain number has a range of
plus or minus the file's `spread`.
"""),
        code("""
assumed = nb.loaded_assumptions(assumptions, currency)
loaded = tl.fully_loaded(con, assumed)
drivers = loaded.assumption_table()
nb.table(drivers[drivers["source"] != "default"])
"""),
        md("""
The rest are documented defaults: round numbers, to be replaced by what the
organisation knows (`data/templates/loaded_costs.yml` lists them all).
"""),
        code('nb.table(drivers[drivers["source"] == "default"])'),
        md("""
## From token bill to fully loaded cost

Each bar adds one bucket to the token bill; the title gives the
loaded-to-invoice multiplier.
"""),
        code("""
print(loaded.describe())
plots.waterfall(loaded.waterfall, period=period);
"""),
        md("""
`low` and `high` are the 10th and 90th percentile of the bucket when every
driver is drawn from its range; `monthly_growth` carries it forward in the
forecast.
"""),
        code("""
money = ["amount", "low", "high"]
share = ["share", "monthly_growth"]
nb.table(loaded.buckets, money=money, share=share)
"""),
        md("""
## Where each bucket comes from

Every component with its formula, per month and for the period; a bill
rule's component shows the bill's amount.
"""),
        code("""
shown = ["bucket", "label", "formula", "source", "monthly", "amount"]
nb.table(loaded.components[shown], money=["monthly", "amount"])
"""),
        md("""
Some costs are already inside the token bill (retries, failed runs,
orchestration tokens) or are a view of another cost (idle GPU hours): shown
here, never added again.
"""),
        code('nb.table(loaded.memo, money=["amount"])'),
        md("""
Facts behind inference infrastructure: the KV cache sizes GPU memory, not
cost (a model that holds more context per sequence needs more or larger
GPUs, which the GPU hours then carry); the idle share is the part of GPU
hours paid for and not used.
"""),
        code("nb.table(loaded.facts)"),
        md("""
## Fully loaded cost per use case

Each component is shared out by its basis: spend by default, requests for
retrieval queries and tracing, outcomes for reviews and escalations; a bill
rule may name the use case. The rows add up to the totals above.
"""),
        code("""
money = [c for c in loaded.by_use_case.columns
         if c not in ("use_case", "multiplier")]
nb.table(loaded.by_use_case, money=money)
"""),
        md("""
## Which assumptions matter

Each driver moved to its low and then its high end, the others held: the
widest bars are where a better number pays off most.
"""),
        code("plots.tornado(loaded.sensitivity);"),
        md("""
## The forecast

Tokens and the invoice are forecast from the daily history (damped-trend
exponential smoothing with a weekly season, from statsmodels); each bucket
grows at its stated monthly rate, and its uncertainty comes from its
drivers' ranges.

First, how far to trust it: the invoice forecast scored on the last weeks
of history it did not see, against repeating the last week. Where it does
no better, read the charts below as the level carried forward, not a
prediction.
"""),
        code("""
ahead = tl.outlook(con, loaded, assumed)
print(ahead.describe())
"""),
        md("""
The invoice-only forecast beside the fully loaded one; the band holds 80% of
the drawn futures, and the bracket gives the gap over the horizon.
"""),
        code("plots.forecast_fan(ahead.daily, gap=ahead.gap);"),
        md("""
Each bucket over the horizon, with the 80% band of its total; the token
bill's band comes from the forecast, the buckets' from their drivers.
"""),
        code("""
money = ["forecast_total", "low", "high"]
nb.table(ahead.by_bucket, money=money)
"""),
        md("Token volume, the driver of the invoice, on the same horizon:"),
        code("plots.token_fan(ahead.daily);"),
        md("""
## The budget

Spend since the budget's start against the budget in the assumptions, and
the day it runs out at the current rate (the mean of the last 28 days) and
on the forecast.
"""),
        code("plots.budget_chart(ahead.budget);"),
        md("""
## Explore

Opened in JupyterLab, this section shows a slider for each of the drivers
that matter most; move one and the total and the waterfall follow.

The report has no live kernel and shows no sliders: the sections above are
their starting point.
"""),
        code("nb.explore_loaded(loaded, assumed);"),
    ]
    + tail("""
- Defaults are round numbers meant to be replaced; a bucket from defaults
  says what a typical organisation might spend, not what this one does.
- A driver's range is read as a PERT distribution whose mean is the stated
  value; drivers are drawn independently, so costs that move together (a
  staff rate shared by several buckets) may be wider than shown.
- Buckets grow at their stated monthly rate from the period's average; those
  driven by volume (reviews, escalations, retrieval queries) do not follow
  the token forecast, and a level reached late in the period (a step up in
  use) is averaged down.
- Fully loaded spend to date, in the budget view, is the token bill plus each
  bucket's modelled cost per day, not a bill.
- The forecast carries the history forward: its band holds day-to-day noise,
  not the uncertainty of the model itself, and a step change it has not seen
  (a new use case, a price cut) is outside it. The backtest holds out fewer
  days than the horizon, so errors further ahead are larger. Credits are
  left out of the forecast as one-offs.
- The ledger has no request status, so retries are a stated share of the
  token bill and failed runs come from the outcomes users report.
- Money in other currencies is left out, never converted.
""")
)


OPTIMISATION = (
    head(
        "Optimisation: the layer cake",
        "Where can token spend fall, layer by layer, and what is each win "
        "worth once the others are in? For FinOps practitioners and platform "
        "engineers choosing what to change first.",
    )
    + OPENING
    + [
        md("""
## Where the five layers stand today

Top to bottom: routing (send each request to the right-sized model), model
and quantisation, inference stack (caching, batching), capacity
(utilisation, region) and silicon (chip generation). Each lever below is
measured in the ledger, or assumed where it cannot be, and says which.
"""),
        code("""
rules = nb.value_policy(policy)
loaded = tl.fully_loaded(con, nb.loaded_assumptions(assumptions, currency))
today = tl.measure_levers(con, rules, loaded, nb.gpu_metrics_path(gpu_metrics))
nb.table(today.sources)
"""),
        md("What the ledger could not show, and what that means for the layers:"),
        code('print("\\n".join(today.notes) or "Every lever was measured.")'),
        md("""
## Scenarios against today

Each scenario of the `scenario` file sets some levers; the rest stay as
today. The layers act on token spend (the token bill and self-hosted GPUs);
the rest of the fully loaded cost is held, and so is the value the tokens
buy, since routing may not move more traffic than the evaluations show
holds quality. Value per token, net of the fully loaded cost, is the
number to move.
"""),
        code("""
planned = nb.scenarios(scenario, currency)
compared = tl.compare(today, planned.scenarios)
print(compared.describe())
"""),
        code("""
shown = ["scenario", "cost", "saving", "saving_share", "cost_per_mtok",
         "fully_loaded_per_mtok", "value_per_mtok", "net_value_per_mtok"]
money = [c for c in shown[1:] if c != "saving_share"]
nb.table(compared.table[shown], money=money, share=["saving_share"])
"""),
        md("""
Each bar is a scenario's token spend, and the coloured part what each layer
saves; a layer that adds cost is named beside its bar.
"""),
        code("plots.scenario_comparison(compared.table, period=period);"),
        md("""
## The layer cake of each scenario

Savings multiply: each layer cuts what the layers above it left, so the
savings add up to the total. The marker shows what would be lost if that
layer alone were left out: shorter than the bar where the layers below
would cut part of that cost anyway, longer where a layer below adds cost.
"""),
        code("""
for name, cake in compared.cakes.items():
    plots.layer_cake(cake, scenario=name, period=period)
"""),
        md("""
The levers each scenario sets, beside today's; ratios are against today
(1 is no change). Where a scenario asked for more than the evidence allows,
it is held at the cap and said here, as is routing set below today:
"""),
        code("""
nb.table(compared.levers)
"""),
        code('print("\\n".join(compared.notes) or "No lever was capped.")'),
        md("""
## Self-hosted inference

The calculator in the scenario file's `self_hosted` section: what a token
costs on one GPU type at its throughput and utilisation (idle hours are a
cost of their own), how many requests its memory holds at once, and the
monthly volume at which an always-on fleet beats today's API prices.
"""),
        code("""
calculator = tl.self_hosted(today, planned.self_hosted)
print(calculator.attrs["verdict"])
nb.table(calculator)
"""),
        md("""
## Explore

Opened in JupyterLab, this section shows a slider for each lever; the
headline and the layer cake follow them, and *Save scenario* writes the
file's scenarios with this one added, to pass back as the `scenario`
parameter (papermill, `tokenlib report --scenario`). The report has no
live kernel and shows no sliders.
"""),
        code("nb.explore_layers(today, planned);"),
    ]
    + tail("""
- Routing acts on the API spend of the use cases with route evaluations,
  the only traffic with evidence of which model holds quality. The model
  acts on all token spend. The stack acts on API spend through the API's
  cache and batch prices, and on self-hosted spend through the engine's
  throughput. Capacity and silicon act on self-hosted GPU spend only, since
  an API's price already holds its provider's hardware.
- The routing cap is the share of evaluated traffic whose cheaper model met
  the reference's quality (wins and would-wins); with no evaluations,
  routing is held at today. A scenario that routes less than today buys
  back lost quality, which the held value does not count.
- The model lever is a stated cost ratio: the workbook does not judge
  whether the smaller model or lower precision holds quality; evaluate it
  with the route evaluations before counting the saving.
- Ratios measured at list price (cache read, batch discount, input share)
  may differ under negotiated rates.
- Throughput in the calculator is the user's to measure: it depends on the
  engine, batch size and sequence lengths. Break-even assumes the fleet is
  paid every hour; its capacity at the utilisation used caps what it can
  serve, and the verdict says when running it busier would pay.
- Per-million-token figures divide by the tokens that have a cost in the
  report's currency, as the other notebooks do. Where there is self-hosted
  GPU cost, tokens without a price are taken to be the self-hosted models'
  and counted too (the notes above say how many); tokens costed in other
  currencies are left out of both sides.
- Monthly volume is the period's tokens per day times 30.44 days; data that
  covers part of a day, such as a short trace, counts as the whole day.
- Money in other currencies is left out, never converted.
""")
)


EXECUTIVE = (
    head(
        "Executive summary",
        "What AI cost, what it bought and what changed, in the business's "
        "own units. For leadership: one page.",
    )
    + OPENING
    + [
        md("""
## Five numbers

Each in its own units, for the last full week of data, with its change on
the week before; the charts below show the weeks leading up to it.
"""),
        code("""
rules = nb.value_policy(policy)
trends = tl.brief_trends(con, currency, rules, business_unit)
nb.table(tl.brief_numbers(trends, currency))
"""),
        md("""
## The trend

Week by week, full weeks only (Monday to Sunday).
"""),
        code("plots.kpi_trends(trends, period);"),
        md("""
## What changed

The largest moves of the last week of data against the week before.
"""),
        code('print("\\n".join(tl.what_changed(con, currency)))'),
    ]
    + tail("""
- AI spend is the bill's money where a bill covers the day, else tokens at
  list or negotiated price; telemetry estimates are never used as cost.
- Per-unit costs divide all AI spend, or the spend of the use case the
  volumes name, by the business volumes the user provides.
- The unit economics, attribution and value notebooks hold the detail and
  the definitions behind each number.
""")
)

SERIES = {
    "00_overview": OVERVIEW,
    "01_spend_visibility": SPEND,
    "02_unit_economics": ECONOMICS,
    "03_attribution": ATTRIBUTION,
    "04_value": VALUE,
    "05_fully_loaded": LOADED,
    "06_optimisation": OPTIMISATION,
    "09_executive_summary": EXECUTIVE,
}


def build_notebook(stem: str, cells: list) -> nbformat.NotebookNode:
    """Make one notebook with stable cell ids and kernel python3."""
    nb = new_notebook()
    for i, (kind, text, tags) in enumerate(cells):
        make = new_markdown_cell if kind == "markdown" else new_code_cell
        cell = make(text, id=f"{stem[:2]}-{i:02d}")
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build() -> dict[str, str]:
    """Return the text of every notebook, by file name."""
    return {
        f"{stem}.ipynb": nbformat.writes(build_notebook(stem, cells)) + "\n"
        for stem, cells in SERIES.items()
    }


def main(argv: list[str]) -> int:
    stale = []
    for name, text in build().items():
        path = HERE / name
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("out of date, run build_notebooks.py:", ", ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
