"""Fully loaded cost: bucket maths worked by hand, bill rules, allocation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import tokenlib
from tokenlib.errors import ParameterError
from tokenlib.loaded import loaded_cost, measure_loaded
from tokenlib.loaded_assumptions import Assumptions, read_assumptions
from tokenlib.loaded_measure import NO_USE_CASE, Baseline

BILL_COLUMNS = ["component", "use_case", "currency", "amount", "in_token_bill", "rows"]


def baseline(days: int = 30, bill: list | None = None) -> Baseline:
    """Two use cases: chat (spend 60, 100 attempted, 80 verified, 20 failed)
    and docs (spend 40, 300 requests, no outcomes)."""
    by_uc = pd.DataFrame(
        {
            "use_case": ["chat", "docs"],
            "spend": [60.0, 40.0],
            "requests": [100.0, 300.0],
            "tokens": [1e6, 3e6],
            "priced_tokens": [1e6, 3e6],
            "unpriced_rows": [0, 0],
            "attempted": [100.0, 0.0],
            "verified": [80.0, 0.0],
            "failed": [20.0, 0.0],
            "failed_spend": [12.0, 0.0],
        }
    )
    start = date(2026, 3, 1)
    return Baseline(
        "USD",
        start,
        start + pd.Timedelta(days=days),
        by_uc,
        pd.DataFrame(bill or [], columns=BILL_COLUMNS),
    )


def amount(loaded, component: str) -> float:
    c = loaded.components.set_index("component")
    return float(c.at[component, "amount"])


def test_measured_drivers_scale_with_the_period_not_the_month():
    # 20 failed outcomes × 12 minutes ÷ 60 × 50 per hour = 200, whatever
    # the period's length: per-month volumes times months cancel.
    a = Assumptions(human_labour={"escalation_minutes": 12, "hourly_rate": 50})
    for days in (30, 90):
        assert amount(loaded_cost(a, baseline(days)), "human_labour.escalation") == (
            pytest.approx(200.0)
        )


def test_stated_monthly_amounts_are_prorated_to_the_period():
    # governance at high exposure: 12 reviews × 6 h × 120 = 8,640 a month;
    # over 30 days that is 8,640 × 30 ÷ 30.4375.
    a = Assumptions(regulatory_exposure="high")
    loaded = loaded_cost(a, baseline(30))
    assert amount(loaded, "governance.reviews") == pytest.approx(8640 * 30 / 30.4375)
    # 2 audits a year at 40,000 = 80,000 ÷ 12 a month.
    assert amount(loaded, "governance.audits") == pytest.approx(
        80_000 / 12 * 30 / 30.4375
    )


def test_defaults_are_marked_and_stated_values_carry_their_range():
    a = Assumptions(
        spread=0.2,
        human_labour={"hourly_rate": 50, "review_minutes": {"value": 3, "low": 1}},
    )
    d = loaded_cost(a, baseline()).drivers.set_index("driver")
    assert tuple(d.loc["human_labour.hourly_rate", ["low", "high", "source"]]) == (
        pytest.approx(40.0),
        pytest.approx(60.0),
        "stated",
    )
    # An end left out takes the spread: 3 × 1.2.
    assert tuple(d.loc["human_labour.review_minutes", ["low", "high"]]) == (
        1,
        pytest.approx(3.6),
    )
    assert d.at["orchestration.platform", "source"] == "default"
    # Measured volumes are facts, not guesses: no range.
    row = d.loc["human_labour.failed"]
    assert row["source"] == "ledger"
    assert row["low"] == row["high"] == pytest.approx(20 / (30 / 30.4375))


def test_a_share_never_goes_above_one():
    a = Assumptions(inference_infrastructure={"utilisation": 0.9})
    d = loaded_cost(a, baseline()).drivers.set_index("driver")
    assert d.at["inference_infrastructure.utilisation", "high"] == 1.0


def test_waterfall_runs_from_token_bill_to_fully_loaded():
    loaded = loaded_cost(Assumptions(), baseline())
    w = loaded.waterfall
    assert w["step"].iloc[0] == "token bill" and w["step"].iloc[-1] == "fully loaded"
    assert len(w) == 10
    assert w["amount"].iloc[0] == pytest.approx(100.0)
    steps = w[w["kind"] == "step"]["amount"].sum()
    assert w["cumulative"].iloc[-1] == pytest.approx(100.0 + steps)
    assert loaded.fully_loaded == pytest.approx(
        100.0 + loaded.components["amount"].sum()
    )
    assert loaded.multiplier == pytest.approx(loaded.fully_loaded / 100.0)


def test_a_bill_line_replaces_the_estimate_and_idle_is_a_memo():
    gpu = ["inference_infrastructure.gpu", None, "USD", 500.0, False, 1]
    a = Assumptions(inference_infrastructure={"gpu_hours": 1000, "utilisation": 0.3})
    loaded = loaded_cost(a, baseline(bill=[gpu]))
    c = loaded.components.set_index("component")
    assert c.at["inference_infrastructure.gpu", "amount"] == pytest.approx(500.0)
    assert c.at["inference_infrastructure.gpu", "source"] == "bill"
    memo = loaded.memo.set_index("label")["amount"]
    idle = memo[memo.index.str.startswith("idle GPU")].iloc[0]
    assert idle == pytest.approx(500.0 * 0.7)
    source = loaded.drivers.set_index("driver")["source"]
    assert source["inference_infrastructure.gpu_hours"] == "replaced by the bill"
    assert source["inference_infrastructure.utilisation"] == "stated"  # idle memo
    # GPU hours no longer move the total: they left the sensitivity.
    assert "inference_infrastructure.gpu_hours" not in set(loaded.sensitivity["driver"])


def test_a_bill_line_already_in_the_token_bill_is_not_added_again():
    gpu = ["inference_infrastructure.gpu", None, "USD", 500.0, True, 1]
    loaded = loaded_cost(Assumptions(), baseline(bill=[gpu]))
    assert amount(loaded, "inference_infrastructure.gpu") == 0.0
    memo = loaded.memo.set_index("label")["amount"]
    assert memo["self-hosted GPUs (in the token bill)"] == pytest.approx(500.0)


def test_allocation_conserves_money_and_follows_each_basis():
    storage = ["retrieval.storage", "docs", "USD", 70.0, False, 1]
    a = Assumptions(allocate={"governance": "requests"})
    loaded = loaded_cost(a, baseline(bill=[storage]))
    u = loaded.by_use_case.set_index("use_case")
    assert u["fully_loaded"].sum() == pytest.approx(loaded.fully_loaded)
    assert u["token_bill"].sum() == pytest.approx(100.0)
    # Review and escalations follow verified and failed outcomes, all
    # chat's; prompt engineering follows spend, 40% docs'.
    prompts = amount(loaded, "human_labour.prompt_engineering")
    assert u.at["docs", "human labour"] == pytest.approx(prompts * 0.4)
    # Governance by requests: docs has 300 of 400.
    gov = loaded.buckets.set_index("bucket").at["governance", "amount"]
    assert u.at["docs", "governance"] == pytest.approx(gov * 0.75)
    # The storage bill line names docs; the storage estimate is replaced.
    other_retrieval = loaded.components.query(
        "bucket == 'retrieval and data' and component != 'retrieval.storage'"
    )
    by_basis = {"spend": 0.4, "requests": 0.75}
    expected = 70.0 + sum(
        r.amount * by_basis[tokenlib.loaded_drivers.COMPONENTS[r.component].allocate]
        for r in other_retrieval.itertuples()
    )
    assert u.at["docs", "retrieval and data"] == pytest.approx(expected)
    assert NO_USE_CASE not in u.index


def test_sensitivity_swing_is_worked_by_hand():
    a = Assumptions(
        human_labour={
            "escalation_minutes": {"value": 12, "low": 6, "high": 30},
            "hourly_rate": 50,
        }
    )
    s = loaded_cost(a, baseline()).sensitivity.set_index("driver")
    # 20 failed × (30 − 6) minutes ÷ 60 × 50 = 400.
    assert s.at["human_labour.escalation_minutes", "swing"] == pytest.approx(400.0)
    assert s["swing"].is_monotonic_decreasing


def test_failed_runs_are_a_memo_inside_the_token_bill():
    loaded = loaded_cost(Assumptions(), baseline())
    memo = loaded.memo.set_index("label")["amount"]
    assert memo["failed runs (in the token bill)"] == pytest.approx(12.0)
    assert memo["retries (in the token bill)"] == pytest.approx(100.0 * 0.03)


def test_kv_cache_fact():
    a = Assumptions(
        inference_infrastructure={
            "layers": 80,
            "kv_heads": 8,
            "head_dim": 128,
            "bytes_per_value": 2,
            "context_tokens": 4096,
            "concurrent_sequences": 4,
        }
    )
    f = loaded_cost(a, baseline()).facts.set_index("fact")["value"]
    # 2 × 80 × 8 × 128 × 2 bytes = 327,680 bytes = 320 KiB per token.
    assert f["KV cache per token"] == pytest.approx(320.0)
    assert f["KV cache held"] == pytest.approx(327_680 * 4096 * 4 / 2**30)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "loaded.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "human_labour:\n  review_minute: 3\n",
            "human_labour.review_minute: unknown driver; expected one of",
        ),
        (
            "human_labour:\n  review_minutes: {value: 3, low: 4}\n",
            "human_labour.review_minutes",
        ),
        (
            "bill:\n  - component: gpu\n    service_name: EC2\n",
            "bill 1: Value error, component 'gpu' is unknown",
        ),
        ("bill:\n  - component: retrieval.storage\n", "a rule needs service_name"),
        ("growth: {humans: 0.1}\n", "growth.humans: unknown bucket"),
        ("currency: usd\n", "currency"),
        (
            "inference_infrastructure:\n  utilisation: 1.5\n",
            "inference_infrastructure.utilisation: a share is between 0 and 1",
        ),
        (
            "human_labour:\n  review_minutes: {value: 3, low: 2.9, high: 6}\n",
            "middle two thirds (3.417 to 5.483)",
        ),
        ("growth: {default: -1}\n", "growth.default: a monthly rate above -1"),
        ("human_labour:\n  hourly_rate: -5\n", "human_labour.hourly_rate"),
        ("governance:\n  reviews: .nan\n", "governance.reviews"),
        ("governance:\n  reviews: .inf\n", "governance.reviews"),
        (
            "budget: {amount: 1, start: 2026-10-01, end: 2026-13-01}\n",
            "cannot read the fully loaded cost assumptions",
        ),
        (
            "budget: {amount: 10, start: 2026-02-01, end: 2026-01-01}\n",
            "is not after start",
        ),
    ],
)
def test_bad_assumptions_name_the_file_and_the_place(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ParameterError) as err:
        read_assumptions(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_the_demo_assumptions_read(tmp_path):
    from tokenlib.demo_loaded import write_assumptions

    a = read_assumptions(write_assumptions(tmp_path))
    assert a.currency == "USD" and len(a.bill) == 2 and a.budget is not None


# --- measuring the ledger ---------------------------------------------------


def _ledger(path: Path):
    con = tokenlib.open_ledger(path)
    usage = (
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "provider, model, input_tokens, output_tokens, requests, record_type, "
        "use_case) VALUES (uuid(), 'log', 't.csv', ?, 'request', 'openai', "
        "'gpt-4o-mini', 1000000, 1000000, 1, 'usage', ?)"
    )
    # 1M input and 1M output tokens of gpt-4o-mini: 0.75 USD.
    con.execute(usage, ["2026-03-01 10:00:00+00", "chat"])
    con.execute(usage, ["2026-03-10 10:00:00+00", None])
    # A model with no price: its tokens are counted, never priced at zero.
    con.execute(usage.replace("'gpt-4o-mini'", "'mystery-7b'"),
                ["2026-03-02 10:00:00+00", "chat"])  # fmt: skip
    charge = (
        'INSERT INTO ledger (record_id, source, source_file, start, "end", '
        "grain, billed_cost, currency, record_type, service_category, "
        "service_name, tags) VALUES (uuid(), 'focus', 'f.csv', ?, ?, 'bucket', "
        "?, ?, 'charge', ?, ?, ?)"
    )
    # A month of GPU (31 days, 310 USD) and of storage billed in EUR.
    con.execute(
        charge,
        [
            "2026-03-01",
            "2026-04-01",
            310,
            "USD",
            "Compute",
            "Amazon EC2",
            '{"application": "serving"}',
        ],
    )
    con.execute(
        charge, ["2026-03-01", "2026-04-01", 100, "EUR", "Storage", "Amazon S3", "{}"]
    )
    con.execute(
        'INSERT INTO outcomes (record_id, source, source_file, start, "end", '
        "use_case, attempted, verified, failed) VALUES (uuid(), 'o', 'o.csv', "
        "'2026-03-05', '2026-03-06', 'chat', 10, 8, 2)"
    )
    return con


def test_measure_prorates_bill_lines_and_keeps_currencies_apart(tmp_path):
    con = _ledger(tmp_path / "l.duckdb")
    tokenlib.price_ledger(con, start=date(2026, 3, 1), end=date(2026, 3, 11))
    a = Assumptions(
        bill=(
            {
                "component": "inference_infrastructure.gpu",
                "service_category": "compute",
                "tags": {"application": "serv*"},
            },
            {"component": "retrieval.storage", "service_name": "*S3"},
        )
    )
    base = measure_loaded(con, a)
    assert (base.start, base.end, base.days) == (
        date(2026, 3, 1),
        date(2026, 3, 11),
        10,
    )
    assert base.token_bill == pytest.approx(1.50)
    u = base.by_use_case.set_index("use_case")
    assert u.at["chat", "failed_spend"] == pytest.approx(0.75 * 2 / 10)
    assert (u.at["chat", "tokens"], u.at["chat", "priced_tokens"]) == (4e6, 2e6)
    assert u.at["chat", "unpriced_rows"] == 1
    assert any("1 ledger rows are unpriced" in n and "chat" in n for n in base.notes)
    assert u.at[NO_USE_CASE, "requests"] == 1
    # 10 of the GPU row's 31 days fall in the period: 310 × 10 ÷ 31 = 100.
    assert base.bill["amount"].tolist() == [pytest.approx(100.0)]
    assert any("EUR" in n and "retrieval.storage" in n for n in base.notes)
    con.close()


def test_measure_with_no_spend_says_so(tmp_path):
    con = _ledger(tmp_path / "l.duckdb")
    tokenlib.price_ledger(con, start=date(2027, 1, 1), end=date(2027, 2, 1))
    with pytest.raises(ParameterError, match="no spend in the period"):
        measure_loaded(con, Assumptions())
    con.close()


def test_sliders_work_the_cost_out_again():
    from tokenlib.executive import say_money
    from tokenlib.loaded_explore import explore, with_drivers

    a = Assumptions(human_labour={"escalation_minutes": 12, "hourly_rate": 50})
    loaded = loaded_cost(a, baseline())
    box = explore(loaded, a, top=3)
    sliders, said = box.children[:3], box.children[3]
    top = loaded.sensitivity.iloc[0]
    assert [s.description.split(" (")[0] for s in sliders] == list(
        loaded.sensitivity["label"].head(3)
    )
    assert say_money(loaded.fully_loaded, "USD") in said.value
    # The first slider to its high end gives the sensitivity's high total.
    sliders[0].value = top["high_value"]
    assert say_money(top["high_total"], "USD") in said.value
    # The chart is replaced, not added to: one PNG, set from the kernel.
    chart = box.children[-1]
    assert [sorted(o["data"]) for o in chart.outputs] == [["image/png", "text/plain"]]
    # Changing a driver keeps its range.
    moved = with_drivers(a, loaded, {top["driver"]: top["base_value"]})
    again = loaded_cost(moved, loaded.baseline).drivers.set_index("driver")
    assert again.loc[top["driver"], "low"] == pytest.approx(top["low_value"])


def test_the_template_lists_every_driver_and_reads_as_defaults(tmp_path):
    from tokenlib.ledger import PROJECT_ROOT
    from tokenlib.loaded_drivers import DRIVERS

    template = PROJECT_ROOT / "data" / "templates" / "loaded_costs.yml"
    text = template.read_text()
    assert read_assumptions(template).stated() == {}
    for key in DRIVERS:
        assert f"  # {key.split('.', 1)[1]}: " in text, key
    # Uncommenting a line states that driver.
    mine = text.replace("  # hourly_rate: 60", "  hourly_rate: 75")
    stated = read_assumptions(write(tmp_path, mine)).stated()
    assert stated == {"human_labour.hourly_rate": 75.0}


def test_draws_average_the_stated_cost_of_each_bucket():
    # Lopsided ranges too: the stated value is each driver's mean, and the
    # buckets are sums of products of independent drivers.
    a = Assumptions(
        human_labour={"escalation_minutes": {"value": 12, "low": 6, "high": 30},
                      "prompt_hours": {"value": 30, "low": 15, "high": 60}},
        failure_waste={"shadow_ai_seats": {"value": 12, "low": 5, "high": 30}},
    )  # fmt: skip
    loaded = loaded_cost(a, baseline(30))
    per_day = loaded.buckets.set_index("bucket")["amount"] / 30
    drawn = loaded.draws.mean()
    assert drawn.to_numpy() == pytest.approx(per_day[drawn.index].to_numpy(), rel=0.03)
    assert (loaded.buckets["low"] <= loaded.buckets["amount"]).all()
    assert (loaded.buckets["amount"] <= loaded.buckets["high"]).all()


def test_every_component_with_the_defaults_worked_by_hand():
    # baseline(30): 400 requests, 100 attempted, 80 verified, 20 failed in
    # 30 days; per month that is times 30.4375 / 30.
    m = 30.4375 / 30
    expected = {
        "retrieval.embedding": 500 * 0.10 * 0.02,
        "retrieval.vector_store": 20 * 0.33,
        "retrieval.queries": 400 * m * 1 * 0.016 / 1000,
        "retrieval.storage": 100 * 0.023,
        "orchestration.compute": 100 * m * 1.5 * 6 * 0.0005,
        "orchestration.platform": 200,
        "inference_infrastructure.gpu": 0 * 1.01,
        "inference_infrastructure.provisioned": 0,
        "eval_monitoring.evals": 20 * 2 * 3.0,
        "eval_monitoring.tracing": 10 * (0.50 + 3 * 0.03),
        "eval_monitoring.tooling": 100,
        "governance.reviews": 4 * 4 * 120,
        "governance.audits": 1 * 20_000 / 12,
        "governance.tooling": 500,
        "human_labour.prompt_engineering": 20 * 60,
        "human_labour.review": 80 * m * 0.05 * 2 / 60 * 60,
        "human_labour.escalation": 20 * m * 1.0 * 10 / 60 * 60,
        "failure_waste.shadow_ai": 0 * 25,
        "integration.migrations": 4 / 12 * (40 * 90 + 500),
    }
    loaded = loaded_cost(Assumptions(), baseline(30))
    c = loaded.components.set_index("component")
    assert c["monthly"].to_dict() == pytest.approx(expected)
    assert c["amount"].to_numpy() == pytest.approx(c["monthly"].to_numpy() / m)
    # The token bill of 100 plus every component for 30 days.
    total = 100 + sum(expected.values()) * 30 / 30.4375
    assert loaded.fully_loaded == pytest.approx(total)
    assert loaded.waterfall["cumulative"].iloc[-1] == pytest.approx(total)
    # With provisioned throughput: 2 units at 3.5 an hour, 730.5 hours.
    a = Assumptions(inference_infrastructure={
        "provisioned_units": 2, "provisioned_hourly_rate": 3.5})  # fmt: skip
    c = loaded_cost(a, baseline(30)).components.set_index("component")
    assert c.at["inference_infrastructure.provisioned", "monthly"] == pytest.approx(
        2 * 3.5 * 730.5
    )


def test_bill_proration_follows_the_report_zone(tmp_path):
    # Paris days 1 to 10 March are 28 Feb 23:00 to 10 Mar 23:00 UTC: the
    # GPU row (1 March 00:00 UTC, 744 hours) has 239 of its hours inside.
    con = _ledger(tmp_path / "l.duckdb")
    tokenlib.price_ledger(
        con, tz="Europe/Paris", start=date(2026, 3, 1), end=date(2026, 3, 11)
    )
    rule = {"component": "inference_infrastructure.gpu", "service_name": "*EC2"}
    base = measure_loaded(con, Assumptions(bill=(rule,)))
    assert base.bill["amount"].tolist() == [pytest.approx(310 * 239 / 744)]
    con.close()


def test_claimed_bill_rows_without_cost_are_said(tmp_path):
    con = _ledger(tmp_path / "l.duckdb")
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "currency, record_type, service_category, service_name) VALUES (uuid(), "
        "'focus', 'f.csv', '2026-03-02', 'bucket', 'USD', 'charge', 'Compute', "
        "'Amazon EC2')"
    )
    tokenlib.price_ledger(con, start=date(2026, 3, 1), end=date(2026, 3, 11))
    rule = {"component": "inference_infrastructure.gpu", "service_name": "*EC2"}
    base = measure_loaded(con, Assumptions(bill=(rule,)))
    assert base.bill["amount"].sum() == pytest.approx(100.0)
    assert "1 bill rows claimed for inference_infrastructure.gpu carry no cost" in (
        base.notes
    )
    con.close()


@pytest.mark.parametrize(("first", "in_bill"), [(1, 310.0), (5, 0.0)])
def test_scope_all_leaves_ai_scope_bill_rows_to_the_token_bill(
    tmp_path, first, in_bill
):
    # With the whole bill in scope the GPU row (1 March, 310 USD) is token
    # bill, whole, in the period it starts in; never a bucket, never the
    # estimate from GPU hours.
    con = _ledger(tmp_path / "l.duckdb")
    scope = tokenlib.Scope("all")
    tokenlib.price_ledger(
        con, scope=scope, start=date(2026, 3, first), end=date(2026, 3, 15)
    )
    rule = {"component": "inference_infrastructure.gpu", "service_name": "*EC2"}
    a = Assumptions(bill=(rule,), inference_infrastructure={"gpu_hours": 100})
    loaded = loaded_cost(a, measure_loaded(con, a))
    assert amount(loaded, "inference_infrastructure.gpu") == 0.0
    memo = loaded.memo.set_index("label")["amount"]
    assert memo["self-hosted GPUs (in the token bill)"] == pytest.approx(in_bill)
    con.close()


def test_describe_says_when_there_is_no_multiplier_and_why():
    storage = ["retrieval.storage", "dcos", "USD", 70.0, False, 1]
    a = Assumptions(bill=({"component": "retrieval.storage", "sku_id": "S3*",
                           "use_case": "dcos"},))  # fmt: skip
    base = baseline(bill=[storage])
    loaded = loaded_cost(a, base)
    assert "names use case 'dcos', which the ledger does not hold" in (
        loaded.describe()
    )
    free = base.by_use_case.assign(spend=0.0)
    none = loaded_cost(Assumptions(), Baseline("USD", base.start, base.end, free,
                                               base.bill))  # fmt: skip
    assert "with no token bill in USD: no multiplier" in none.describe()
    credit = base.by_use_case.assign(spend=[-5.0, 0.0])
    less = loaded_cost(Assumptions(), Baseline("USD", base.start, base.end, credit,
                                               base.bill))  # fmt: skip
    assert "the token bill is -5.00 USD (credits exceed charges)" in less.describe()
