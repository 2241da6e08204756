"""Today's levers from a ledger, scenarios against them, the calculator:
worked by hand.

List prices as in test_value (USD per million tokens): gpt-4o input 2.50,
cache read 1.25, output 10; at the batch tier input 1.25, cache read 1.25
(not discounted), output 5.00; gpt-4o-mini input 0.15, cache read 0.075,
output 0.60.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from test_value import BIG, MINI, _outcome, _route, _usage

import tokenlib
from tokenlib import optimise
from tokenlib.errors import ParameterError
from tokenlib.loaded_assumptions import read_assumptions
from tokenlib.period import HOURS_PER_MONTH
from tokenlib.policy import Policy
from tokenlib.scenario import Scenario, SelfHosted, read_scenarios, save_scenarios

POLICY = Policy(quality_tolerance=0.02, batch_eligible=("support", "docs"))
# Spend covers 3 to 8 November: six days of a 30.4375-day month, and the
# GPU line is 100 GPU-hours a month at 2.00.
HOSTED = 200 * 6 / 30.4375
# support 2.50 + 1.25 + 1.00; docs at batch 2.50 + 1.00; chat 0.15
API = 4.75 + 3.50 + 0.15
# Cache read price over input price, weighted by each row's input tokens.
K = (2 * 1.25 + 2 * 1.25 + 1 * 0.075) / (2 * 2.50 + 2 * 1.25 + 1 * 0.15)
# Input's share of token cost, every input token at the input price.
INPUT_SHARE = 7.65 / (7.65 + 2.00)


_ROUTES = [
    ("2026-11-03 01:00", MINI, (0.90, 0.90)),
    ("2026-11-03 02:00", MINI, (0.89, 0.90)),
    ("2026-11-03 03:00", MINI, (0.80, 0.90)),
    ("2026-11-04 01:00", BIG, (0.90, 0.90, 0.90), MINI),
    ("2026-11-04 02:00", BIG, (0.90, 0.90, 0.89), MINI),
    ("2026-11-04 03:00", BIG, (0.90, 0.90, 0.50), MINI),
]


def _gpu(**changes) -> SelfHosted:
    """One GPU at 2.00 an hour, 10,000 prefill and 1,000 decode tokens/s,
    80 GB serving 16 GB of weights (32 layers, 8 KV heads of 128, 2 bytes)
    at 8,192 tokens of context; ``changes`` replace any of these."""
    return SelfHosted.model_validate({
        "hourly_price": 2.0, "prefill_tokens_per_second": 10_000,
        "decode_tokens_per_second": 1_000, "gpu_memory_gb": 80,
        "weights_gb": 16, "context_tokens": 8192,
        "model": {"layers": 32, "kv_heads": 8, "head_dim": 128, "bytes_per_value": 2},
        **changes,
    })  # fmt: skip


@pytest.fixture
def world(con, tmp_path):
    return _world(con, tmp_path)


def _world(con, tmp_path, unpriced: int = 0, routes: bool = True, gpu: bool = True):
    """A week of usage, route evaluations (unless not ``routes``), outcomes
    and a GPU line; and ``unpriced`` input tokens of a model with no price."""
    day = "2026-11-03"
    if unpriced:
        _usage(con, day, "house-model-7", "chat", input=unpriced)
    _usage(con, day, BIG, "support", input=1_000_000, cache_read=1_000_000,
           output=100_000)  # fmt: skip
    _usage(con, day, BIG, "docs", tier="batch", input=2_000_000, output=200_000)
    _usage(con, "2026-11-08", MINI, "chat", input=1_000_000)
    # Evaluated: two wins and a loss routed to mini; two would-wins and a
    # would-lose left on gpt-4o.
    for args in _ROUTES if routes else ():
        _route(con, *args)
    _outcome(con, "2026-11-04", "support", 10, 9, 430.0, "USD")
    tokenlib.price_ledger(con, start=date(2026, 11, 2), end=date(2026, 11, 9))
    path = tmp_path / "loaded.yml"
    hours = 100 if gpu else 0
    path.write_text(
        f"inference_infrastructure:\n  gpu_hours: {hours}\n  gpu_hourly_rate: 2.0\n"
        "  utilisation: 0.4\n"
    )
    loaded = tokenlib.fully_loaded(con, read_assumptions(path))
    return optimise.measure_levers(con, POLICY, loaded), loaded


def test_today_is_measured_from_the_ledger(world):
    today, loaded = world
    lv = today.levers
    # 3 routed of 6 evaluated; 2 wins + 2 would-wins hold quality.
    assert lv.routed_share == pytest.approx(0.5)
    assert today.routed_cap == pytest.approx(4 / 6)
    # Route evaluations are of support only: 4.75 of the 8.40 priced.
    assert lv.routable_share == pytest.approx(4.75 / 8.40)
    # Each route: 1M input + 100k output; mini 0.15 + 0.06, gpt-4o 2.50 + 1.00.
    assert lv.routed_price_ratio == pytest.approx(0.21 / 3.50)
    # All input 1M + 1M read + 2M + 1M = 5M; 1M of it read from cache.
    assert lv.cache_hit == pytest.approx(1 / 5)
    # Every input token at its input price: 2M x 2.50 + 2M x 1.25 (batch) +
    # 1M x 0.15 = 7.65, beside 2.00 of output.
    assert lv.input_cost_share == pytest.approx(INPUT_SHARE)
    # Tokens 2.1M + 2.2M + 1M; batch 2.2M; eligible (support, docs) 4.3M.
    assert today.tokens == pytest.approx(5.3e6)
    assert lv.batch_share == pytest.approx(2.2 / 5.3)
    assert today.batch_cap == pytest.approx(4.3 / 5.3)
    # Batch paid 3.50 for what the standard tier prices at 5.00 + 2.00.
    assert lv.batch_discount == pytest.approx(0.5)
    assert lv.utilisation == pytest.approx(0.4)
    assert today.api_cost == pytest.approx(API)
    assert today.hosted_cost == pytest.approx(HOSTED)
    assert today.value == pytest.approx(430.0)
    sources = today.sources.set_index("lever")["source"]
    assert sources["utilisation"] == "assumed"
    assert sources["routed_share"] == "measured"
    # The mix: 5M input of 5.3M; blended input 6.40 / 5M, output 2.00 / 0.3M.
    assert today.input_share == pytest.approx(5 / 5.3)
    assert today.api_input_per_mtok == pytest.approx(6.40 / 5)
    assert today.api_output_per_mtok == pytest.approx(2.00 / 0.3)
    assert loaded.token_bill == pytest.approx(API)


def test_tokens_without_a_price_count_as_self_hosted(con, tmp_path):
    # 0.7M input tokens of a model with no price, beside the GPU line: they
    # are taken to be what the GPUs served, and counted per million tokens.
    today, loaded = _world(con, tmp_path, unpriced=700_000)
    assert today.tokens == pytest.approx(6.0e6)
    assert today.costed_tokens == pytest.approx(6.0e6)
    assert any("the 0.7 million tokens without a price" in n for n in today.notes)
    row = optimise.compare(today, []).table.iloc[0]
    assert row["cost_per_mtok"] == pytest.approx((API + HOSTED) / 6.0)
    assert row["net_value_per_mtok"] == pytest.approx((430 - loaded.fully_loaded) / 6.0)
    # The API's levers stay over the API's tokens: 1M of 5M input read from
    # cache, 2.2M of 5.3M tokens in batch, as without the extra tokens.
    assert today.levers.cache_hit == pytest.approx(1 / 5)
    assert today.levers.batch_share == pytest.approx(2.2 / 5.3)
    # The mix the calculator serves is every token's: 5.7M input of 6.0M.
    assert today.input_share == pytest.approx(5.7 / 6.0)


def test_gpu_rows_inside_the_token_bill_are_self_hosted_spend(con, tmp_path, world):
    # A bill rule claims 3.00 of GPU rows the AI scope already counts in the
    # token bill: they leave the API's spend for the self-hosted side.
    _, loaded = world
    gpu = pd.DataFrame(
        [["inference_infrastructure.gpu", None, "USD", 3.0, True, 1, 0]],
        columns=["component", "use_case", "currency", "amount", "in_token_bill",
                 "rows", "no_cost"],
    )  # fmt: skip
    moved = replace(loaded, baseline=replace(loaded.baseline, bill=gpu))
    today = optimise.measure_levers(con, POLICY, moved)
    assert today.api_cost == pytest.approx(API - 3.0)
    assert today.hosted_cost == pytest.approx(HOSTED + 3.0)
    # Silicon at half the cost per token halves the self-hosted side only.
    half = Scenario.model_validate({"name": "half", "silicon": {"price_ratio": 0.5}})
    row = optimise.compare(today, [half]).table.iloc[1]
    assert row["saving"] == pytest.approx((HOSTED + 3.0) / 2)


def test_without_gpus_tokens_without_a_price_are_left_out(con, tmp_path):
    today, loaded = _world(con, tmp_path, unpriced=700_000, gpu=False)
    assert today.hosted_cost == 0
    assert today.costed_tokens == pytest.approx(5.3e6)
    row = optimise.compare(today, []).table.iloc[0]
    assert row["cost_per_mtok"] == pytest.approx(API / 5.3)


def test_without_route_evaluations_routing_is_held_and_said(con, tmp_path):
    today, _ = _world(con, tmp_path, routes=False)
    sources = today.sources.set_index("lever")["source"]
    assumed = ["routed_share", "routed_price_ratio", "routable_share"]
    assert sources[assumed].tolist() == ["assumed"] * 3
    # Utilisation is the loaded cost file's, stated, not measured.
    assert any(
        n.startswith("assumed, not measured: routed_share, routed_price_ratio, "
                     "routable_share, utilisation (")
        for n in today.notes
    )  # fmt: skip
    routed = Scenario.model_validate({"name": "r", "routing": {"routed_share": 0.5}})
    compared = optimise.compare(today, [routed])
    assert compared.notes == ("r: routed share 50% held at today's 0.0%: no route "
                              "evaluations",)  # fmt: skip
    assert compared.table.iloc[1]["saving"] == 0


def test_the_headline_says_when_no_scenario_saves(world):
    today, _ = world
    pricier = Scenario.model_validate({"name": "pricier", "model": {"cost_ratio": 1.2}})
    said = optimise.compare(today, [pricier]).describe().splitlines()
    before = API + HOSTED
    assert said[2] == (
        f"Of the scenarios, 'pricier' costs least, but none saves: token spend "
        f"{before:,.2f} → {before * 1.2:,.2f} USD (+20.0%)."
    )
    uncounted = replace(today, costed_tokens=0.0)
    assert optimise.compare(uncounted, [pricier]).describe().splitlines()[0] == (
        "No tokens with a cost in USD: the bill has no usage beside it, so "
        "nothing is said per million tokens."
    )
    credits = optimise.compare(replace(today, api_cost=-5.0), [pricier])
    assert credits.table["cost"].tolist() == pytest.approx([HOSTED, HOSTED * 1.2])
    assert credits.notes[0].startswith("the token bill is -5.00 USD (credits")
    nothing = replace(today, api_cost=0.0, hosted_cost=0.0)
    assert optimise.compare(nothing, [pricier]).describe() == (
        "No token spend in USD in the period: the layers have nothing to act on."
    )


def test_cache_read_ratio_weighs_each_models_prices_by_input(world):
    today, _ = world
    # gpt-4o standard 1.25 / 2.50 on 2M input; gpt-4o batch 1.25 / 1.25 on
    # 2M; mini 0.075 / 0.15 on 1M.
    assert today.levers.cache_read_ratio == pytest.approx(K)


def test_a_scenario_compounds_and_is_capped(world):
    today, loaded = world
    scenario = Scenario.model_validate({
        "name": "all in",
        "routing": {"routed_share": 0.9},
        "model": {"cost_ratio": 0.5},
        "stack": {"cache_hit": 0.6, "batch_share": 1.0},
        "capacity": {"utilisation": 0.8, "region_ratio": 0.9},
        "silicon": {"price_ratio": 2.0, "throughput_ratio": 4.0},
    })  # fmt: skip
    compared = optimise.compare(today, [scenario])
    p = 0.21 / 3.50
    # Routing held at 4/6, the share measured to hold quality, on support's
    # 4.75 of the API's 8.40 (the only use case with route evaluations).
    r = 4.75 / API
    routing = 1 - r + r * (1 - 4 / 6 * (1 - p)) / (1 - 0.5 * (1 - p))
    # Stack: input share i, cache read ratio K; batch held at 4.3/5.3.
    i = INPUT_SHARE
    before_stack = (i * (1 - 0.2 * (1 - K)) + 1 - i) * (1 - 2.2 / 5.3 * 0.5)
    after_stack = (i * (1 - 0.6 * (1 - K)) + 1 - i) * (1 - 4.3 / 5.3 * 0.5)
    # The API's cache and batch prices act on API spend only; the GPUs see
    # the model, capacity and silicon.
    hosted = HOSTED * 0.5 * (0.4 / 0.8 * 0.9) * (2.0 / 4.0)
    cost = API * routing * 0.5 * after_stack / before_stack + hosted
    row = compared.table.set_index("scenario").loc["all in"]
    assert row["cost"] == pytest.approx(cost)
    assert row["saving"] == pytest.approx(API + HOSTED - cost)
    assert row["fully_loaded"] == pytest.approx(
        loaded.fully_loaded - (API + HOSTED - cost)
    )
    per_mtok = 1e6 / 5.3e6
    assert row["net_value_per_mtok"] == pytest.approx(
        (430 - loaded.fully_loaded + API + HOSTED - cost) * per_mtok
    )
    base = compared.table.set_index("scenario").loc["today"]
    assert base["cost"] == pytest.approx(API + HOSTED) and base["saving"] == 0
    assert base["net_value_per_mtok"] == pytest.approx(
        (430 - loaded.fully_loaded) * per_mtok
    )
    assert any("held at the 66.7%" in n for n in compared.notes)
    assert any("batch share 100% held at the 81.1%" in n for n in compared.notes)
    levers = compared.levers.set_index("lever")
    assert levers.at["routed_share", "all in"] == pytest.approx(4 / 6)
    assert levers.at["silicon_throughput_ratio", "all in"] == 4.0
    cake = compared.cakes["all in"]
    assert cake["saving"].iloc[:5].sum() == pytest.approx(row["saving"])
    said = compared.describe().splitlines()
    assert said[0] == (
        f"Each million tokens bought {430 / 5.3:,.2f} USD of reported value: "
        f"{(430 - loaded.fully_loaded) / 5.3:,.2f} USD net of the fully loaded cost."
    )
    assert said[1] == (
        f"Token spend today: {API + HOSTED:,.2f} USD, the token bill {API:,.2f} "
        f"and self-hosted GPUs {HOSTED:,.2f}."
    )
    assert said[2].startswith(
        f"Of the scenarios, 'all in' costs least: token spend {API + HOSTED:,.2f} → "
        f"{cost:,.2f} USD"
    )
    assert said[3].endswith(
        f"(value held at {430 / 5.3:,.2f}: the layers change cost, not what the "
        "tokens buy)."
    )


def test_levers_left_out_stay_where_they_are_today(world):
    today, _ = world
    compared = optimise.compare(today, [Scenario(name="nothing")])
    assert compared.table["saving"].tolist() == pytest.approx([0.0, 0.0])
    assert compared.notes == ()
    alone = optimise.compare(today, [])
    assert alone.table["scenario"].tolist() == ["today"]
    assert alone.describe().splitlines()[2].startswith("No scenario is set")
    # Routing less than today is allowed, and said: it costs more.
    less = Scenario.model_validate({"name": "less", "routing": {"routed_share": 0.3}})
    compared = optimise.compare(today, [less])
    assert compared.notes == (
        "less: routed share 30% below today's 50.0% costs more (the quality it "
        "buys back is not valued)",
    )
    assert compared.table.iloc[1]["saving"] < 0


def test_without_self_hosted_gpus_capacity_and_silicon_act_on_nothing(con):
    _usage(con, "2026-11-03", BIG, "support", input=1_000_000)
    tokenlib.price_ledger(con)
    today = optimise.measure_levers(con, Policy(), tokenlib.fully_loaded(
        con, read_assumptions(None)))  # fmt: skip
    scenario = Scenario.model_validate(
        {"name": "new chips", "silicon": {"price_ratio": 0.5}}
    )
    row = optimise.compare(today, [scenario]).table.iloc[1]
    assert row["silicon"] == 0.0 and row["saving"] == 0.0
    assert any("capacity and silicon" in n for n in today.notes)
    assert any("no evaluated route rows" in n for n in today.notes)
    assert any("no outcome value" in n for n in today.notes)
    # No route evaluations: the cap is today's share, here none.
    assert today.routed_cap == 0.0


def test_self_hosted_calculator_by_hand(world):
    today, _ = world
    config = _gpu(utilisation=0.5, api_input_per_mtok=3.0, api_output_per_mtok=15.0)
    calc = optimise.self_hosted(today, config).set_index("quantity")["value"]
    x = 5 / 5.3  # today's input share
    busy_hours = (1e6 * x / 10_000 + 1e6 * (1 - x) / 1_000) / 3600
    assert calc["cost per million tokens, busy"] == pytest.approx(busy_hours * 2.0)
    assert calc["cost per million tokens, self-hosted"] == pytest.approx(
        busy_hours * 4.0
    )
    blended = 3.0 * x + 15.0 * (1 - x)
    assert calc["API list price per million tokens"] == pytest.approx(blended)
    assert calc["KV cache per token"] == 131_072
    # (80 x 0.9 - 16) GB over 8,192 x 131,072 bytes: 52 requests.
    assert calc["requests one GPU holds at once"] == 52
    fleet = 2.0 * HOURS_PER_MONTH
    assert calc["break-even of the stated 1 GPU(s)"] == pytest.approx(fleet / blended)
    monthly = 5.3e6 / 6 * 30.4375
    assert calc["today's volume a month"] == pytest.approx(monthly / 1e6)
    # One GPU serves 730.5 h x 0.5 x 3600 s / busy seconds per token.
    one = HOURS_PER_MONTH * 0.5 / (busy_hours / 1e6)
    assert calc["tokens one GPU serves a month"] == pytest.approx(one / 1e6)
    assert calc["GPUs to serve today's volume"] == 1  # 26.9M of ~1,000M
    assert calc["those GPUs a month"] == pytest.approx(fleet)
    api = monthly * blended / 1e6
    assert calc["today's volume at API prices a month"] == pytest.approx(api)
    verdict = optimise.self_hosted(today, config).attrs["verdict"]
    assert verdict.splitlines()[:2] == [
        f"Today's volume needs 1 GPU at {fleet:,.2f} USD a month against "
        f"{api:,.2f} USD at API prices.",
        "The API costs less, for the traffic such a model can serve as well.",
    ]


def test_self_hosted_takes_todays_prices_and_utilisation(world):
    today, _ = world
    config = _gpu()
    calc = optimise.self_hosted(today, config).set_index("quantity")["value"]
    x = 5 / 5.3
    assert calc["API list price per million tokens"] == pytest.approx(
        x * 6.40 / 5 + (1 - x) * 2.00 / 0.3
    )
    # Utilisation 0.4 (today's): idle is 1.5 times busy.
    assert calc["cost per million tokens, idle"] == pytest.approx(
        1.5 * calc["cost per million tokens, busy"]
    )
    # With no section, today's side alone: 5.3M tokens over 6 days.
    none = optimise.self_hosted(today, None)
    assert "no self_hosted section" in none.attrs["verdict"].lower()
    side = none.set_index("quantity")["value"]
    price = x * 6.40 / 5 + (1 - x) * 2.00 / 0.3
    assert list(side.index) == [
        "today's volume a month",
        "API list price per million tokens",
        "today's volume at API prices a month",
    ]
    assert side.iloc[0] == pytest.approx(5.3 / 6 * 30.4375)
    assert side.iloc[1] == pytest.approx(price)
    assert side.iloc[2] == pytest.approx(5.3 / 6 * 30.4375 * price)


def test_scenarios_save_and_read_back(tmp_path):
    path = tmp_path / "scenario.yml"
    path.write_text(
        "currency: EUR\nscenarios:\n"
        "  - name: cache more\n    stack: {cache_hit: 0.7}\n"
        "  - name: fp8\n    model: {cost_ratio: 0.6, change: fp8 weights}\n"
    )
    read = read_scenarios(path)
    assert [s.name for s in read.scenarios] == ["cache more", "fp8"]
    assert read.scenarios[1].model.cost_ratio == 0.6
    again = read_scenarios(save_scenarios(read, tmp_path / "again.yml"))
    assert again == read
    assert "routing" not in (tmp_path / "again.yml").read_text()


SELF_HOSTED = """self_hosted:
  hourly_price: 2.0
  prefill_tokens_per_second: 10000
  decode_tokens_per_second: 1000
  gpu_memory_gb: 80
  weights_gb: 16
  context_tokens: 8192
  model: {layers: 32, kv_heads: 8, head_dim: 128, bytes_per_value: 2}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scenarios:\n  - name: a\n    stack: {cache_hit: 1.5}\n",
         "scenarios 1, stack, cache_hit"),
        ("scenarios:\n  - name: a\n    layers: {}\n", "scenarios 1, layers"),
        ("scenarios:\n  - name: a\n  - name: a\n", "names must differ: a"),
        ("scenarios:\n  - name: a\n    silicon: {throughput_ratio: 0}\n",
         "throughput_ratio"),
        ("scenarios:\n  - name: Today\n", "'today' is the baseline's name"),
        ("# nothing yet\n", "no scenarios and no self_hosted section"),
        ("currency: USD\nscenarios: []\n", "no scenarios and no self_hosted"),
        ("scenarios:\n  - name: ' '\n", "a scenario needs a name"),
        ("scenarios:\n  - name: a\n    stack: {cache_hit: true}\n",
         "cache_hit"),
        ("scenarios:\n  - name: a\n    capacity: {utilisation: .nan}\n",
         "utilisation"),
        (SELF_HOSTED.replace("gpu_memory_gb: 80", "gpu_memory_gb: .inf"),
         "self_hosted.gpu_memory_gb: Input should be a finite number"),
        (SELF_HOSTED.replace("weights_gb: 16", "weights_gb: 75"),
         "weights_gb=75 leaves no room for the KV cache in 90% of "
         "gpu_memory_gb=80"),
    ],
)  # fmt: skip
def test_bad_scenarios_name_the_place(tmp_path, text, message):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ParameterError, match=re.escape(message)) as err:
        read_scenarios(path)
    assert str(path) in str(err.value)


def test_the_good_self_hosted_section_reads(tmp_path):
    # The bad cases above are this section with one value changed.
    path = tmp_path / "good.yml"
    path.write_text(SELF_HOSTED)
    assert read_scenarios(path).self_hosted.weights_gb == 16


def test_a_fleet_too_slow_for_its_own_break_even_says_so(world):
    today, _ = world
    config = _gpu(hourly_price=10.0, prefill_tokens_per_second=10,
                  decode_tokens_per_second=1, utilisation=0.1, gpus=2,
                  api_input_per_mtok=3.0, api_output_per_mtok=15.0)  # fmt: skip
    frame = optimise.self_hosted(today, config)
    calc = frame.set_index("quantity")["value"]
    # Per token: 0.943 / 10 + 0.057 / 1 = 0.151 s busy; one GPU serves
    # 730.5 h x 0.1 x 3600 / 0.151 s = 1.74M tokens a month, and today's
    # 26.9M need 16 of them.
    x = 5 / 5.3
    one = HOURS_PER_MONTH * 0.1 * 3600 / (x / 10 + (1 - x) / 1)
    assert calc["GPUs to serve today's volume"] == -(-(5.3e6 / 6 * 30.4375) // one)
    assert calc["GPUs to serve today's volume"] == 16
    assert "The API costs less" in frame.attrs["verdict"]
    # Break-even: 14,610 a month / (0.943 x 3 + 0.057 x 15 = 3.679 per
    # million) = 3,971M tokens; two GPUs fully busy serve 2 x 730.5 h x
    # 3,600 s / 0.151 s per thousand tokens = 35M.
    assert frame.attrs["verdict"].splitlines()[-1] == (
        "The stated fleet of 2 GPUs cannot serve its own break-even volume "
        "(3,971 million tokens a month) even fully busy (35 million): the API "
        "costs less at every volume it can serve."
    )


def test_a_fleet_too_idle_for_its_break_even_is_told_to_run_busier(world):
    today, _ = world
    config = _gpu(utilisation=0.02, api_input_per_mtok=3.0, api_output_per_mtok=15.0)
    # 1,461 a month / 3.679 per million = 397M to break even; one GPU
    # serves 730.5 h x 3,600 s / 150.94 us a token = 17,422M fully busy,
    # 348M at 2%.
    verdict = optimise.self_hosted(today, config).attrs["verdict"]
    assert verdict.splitlines()[-1] == (
        "The stated fleet of 1 GPU breaks even at 397 million tokens a month, "
        "more than the 348 million it serves 2% busy: it pays off only kept "
        "busier (up to 17,422 million at 100%)."
    )


def test_sliders_redraw_and_save_a_scenario_papermill_can_read(world, tmp_path):
    from tokenlib.layers_explore import explore
    from tokenlib.scenario import ScenarioFile

    today, _ = world
    start = ScenarioFile(scenarios=[Scenario.model_validate(
        {"name": "cache more", "stack": {"cache_hit": 0.6}})])  # fmt: skip
    out = tmp_path / "mine.yml"
    box = explore(today, start, save_to=out)
    sliders = {s.description: s for s in box.children[:9]}
    said = box.children[-2]
    # Starts at the file's first scenario: cache hit 0.6, the rest today's.
    assert sliders["cache hit rate"].value == pytest.approx(0.6)
    assert sliders["share routed to the cheaper tier"].max == pytest.approx(4 / 6)
    sliders["model and precision cost ratio"].value = 0.5
    expected = optimise.compare(today, [Scenario.model_validate({
        "name": "cache more", "model": {"cost_ratio": 0.5},
        "stack": {"cache_hit": 0.6}})])  # fmt: skip
    assert expected.describe().splitlines()[2] in said.value
    # The chart is replaced, not added to: one PNG, set from the kernel.
    chart = box.children[-1]
    assert [sorted(o["data"]) for o in chart.outputs] == [["image/png", "text/plain"]]
    name, path, button = box.children[9].children
    name.value = "half model"
    button.click()
    saved = read_scenarios(out)
    assert [s.name for s in saved.scenarios] == ["cache more", "half model"]
    assert saved.scenarios[1].model.cost_ratio == pytest.approx(0.5)
    assert saved.scenarios[1].stack.cache_hit == pytest.approx(0.6)
    assert f"Saved to {out}" in said.value
    # Levers left at today's are not written: they follow the ledger.
    assert saved.scenarios[1].routing.routed_share is None
    assert saved.scenarios[1].capacity.utilisation is None


def test_sliders_save_relative_to_the_project_root(world, tmp_path, monkeypatch):
    import os

    from tokenlib.layers_explore import explore
    from tokenlib.ledger import PROJECT_ROOT
    from tokenlib.scenario import ScenarioFile

    today, _ = world
    monkeypatch.chdir(tmp_path / "..")  # a kernel's folder is not the root
    box = explore(today, ScenarioFile())
    said = box.children[-2]
    name, path, button = box.children[9].children
    name.value = "today"
    assert "'today' is the baseline's name" in said.value
    button.click()
    assert "Not saved" in said.value
    name.value = "mine"
    path.value = os.path.relpath(tmp_path / "rel.yml", PROJECT_ROOT)
    button.click()
    assert [s.name for s in read_scenarios(tmp_path / "rel.yml").scenarios] == ["mine"]
    assert f"scenario='{path.value}'" in said.value


def test_a_slider_clamped_at_its_end_has_not_moved(world, tmp_path):
    from tokenlib.layers_explore import explore
    from tokenlib.scenario import ScenarioFile

    today, _ = world
    # Utilisation 2% sits below the slider's 5% floor: shown at 5%, unmoved.
    idle = replace(today, levers=replace(today.levers, utilisation=0.02))
    box = explore(idle, ScenarioFile(), save_to=tmp_path / "s.yml")
    sliders = {s.description: s for s in box.children[:9]}
    assert sliders["GPU utilisation"].value == pytest.approx(0.05)
    sliders["model and precision cost ratio"].value = 0.5
    box.children[9].children[2].click()
    saved = read_scenarios(tmp_path / "s.yml").scenarios[0]
    assert saved.model.cost_ratio == pytest.approx(0.5)
    assert saved.capacity.utilisation is None
