"""AI cost in business units: per booking, per ticket, basis points."""

from __future__ import annotations

import pytest

import tokenlib
from tokenlib.executive import role_brief, unit_costs, weekly_spend, what_changed


def _charge(con, day, cost, use_case=None, currency="USD"):
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "billed_cost, currency, record_type, use_case) VALUES (uuid(), 'focus', "
        "'bill.csv', CAST(? AS TIMESTAMPTZ), 'bucket', ?, ?, 'charge', ?)",
        [day, cost, currency, use_case],
    )


def _volume(con, day, unit, volume, revenue=None, profit=None, use_case=None,
            currency="USD"):  # fmt: skip
    con.execute(
        "INSERT INTO volumes (record_id, source, source_file, start, unit, use_case, "
        "volume, revenue, gross_profit, currency) VALUES (uuid(), 'volumes', "
        "'v.csv', CAST(? AS TIMESTAMPTZ), ?, ?, ?, ?, ?, ?)",
        [day, unit, use_case, volume, revenue, profit, currency],
    )


@pytest.fixture
def con(tmp_path):
    con = tokenlib.open_ledger(tmp_path / "l.duckdb")
    _charge(con, "2026-06-01", 5.0, "search")
    _charge(con, "2026-06-08", 5.0, "search")
    _charge(con, "2026-06-01", 2.0, "support")
    _volume(con, "2026-06-01", "booking", 100, 10_000, 2_000)
    _volume(con, "2026-06-08", "booking", 50, 5_000, 1_000)
    _volume(con, "2026-06-01", "resolved_ticket", 40, use_case="support")
    tokenlib.price_ledger(con)
    return con


def test_cost_per_unit_and_against_revenue_and_profit(con):
    got = unit_costs(con).set_index("unit")
    # Bookings name no use case: all AI spend, 5 + 5 + 2 = 12 USD over 150.
    booking = got.loc["booking"]
    assert booking["cost"] == 12 and booking["use_case"] == "(all AI)"
    assert booking["cost_per_unit"] == pytest.approx(12 / 150)
    assert booking["bps_of_revenue"] == pytest.approx(12 / 15_000 * 10_000)  # 8 bps
    assert booking["cost_per_gross_profit"] == pytest.approx(12 / 3_000)
    # Tickets are support's: 2 USD over 40 tickets; no revenue given.
    ticket = got.loc["resolved_ticket"]
    assert ticket["cost_per_unit"] == pytest.approx(0.05)
    assert ticket["reason"] == "no revenue given"
    assert ticket[["bps_of_revenue", "cost_per_gross_profit"]].isna().all()


def test_weekly_trend_pairs_each_week_with_its_own_spend(con):
    got = unit_costs(con, unit="booking", by="week")
    # Week of Mon 1 June: 7 USD over 100; week of 8 June: 5 USD over 50.
    assert got["week"].astype(str).tolist() == ["2026-06-01", "2026-06-08"]
    assert got["cost_per_unit"].tolist() == pytest.approx([0.07, 0.10])


def test_revenue_in_another_currency_gives_no_ratio(con):
    _volume(con, "2026-06-02", "booking_eu", 10, 900, 300, currency="EUR")
    got = unit_costs(con, unit="booking_eu").iloc[0]
    assert got["cost_per_unit"] == pytest.approx(1.2)  # 12 USD over 10
    assert got["reason"] == "revenue in another currency"
    assert got[["bps_of_revenue", "cost_per_gross_profit"]].isna().all()


def test_volumes_outside_the_period_are_left_out(con):
    from datetime import date

    tokenlib.price_ledger(con, start=date(2026, 6, 8))
    got = unit_costs(con, unit="booking").iloc[0]
    assert (got["volume"], got["cost"]) == (50, 5.0)


def test_role_brief_speaks_each_roles_units(con):
    summary = tokenlib.summarise(con)
    brief = role_brief(summary, unit_costs(con)).set_index("measure")["value"]
    # 12 USD of AI spend; 12 / 15,000 x 10,000 = 8.0 bps; 12 / 150 bookings.
    assert brief["AI spend in the period"] == "12.00 USD"
    assert brief["share of booking revenue"] == "8.0 bps"
    assert brief["AI cost per booking"] == "0.08 USD"
    assert brief["AI cost per resolved ticket"] == "0.05 USD"
    assert brief["cost per request"] == "n/a"  # no calls, no request counts
    assert brief["cost per verified outcome"] == "n/a"  # no outcomes


def test_weekly_spend_and_what_changed(con):
    weeks = weekly_spend(con)
    assert weeks["cost"].tolist() == [7.0, 5.0]
    # Last 7 days (to 8 June) against the 7 before: search 5 vs 5, support
    # 0 vs 2 (1 June is 7 days before 8 June, so in the earlier window).
    lines = what_changed(con)
    assert lines[0] == "support: down 2.00 USD (-100%) on the week before"


def test_brief_keeps_full_weeks_and_says_the_change(tmp_path):
    # 1 USD a day from Mon 1 June to Sun 14 June, then 2 USD a day in the
    # week after that, then one day (Mon 22 June) of 50 USD: weeks 7, 7, 14
    # and a partial week left out of the brief.
    con = tokenlib.open_ledger(tmp_path / "b.duckdb")
    for day in range(1, 15):
        _charge(con, f"2026-06-{day:02d}", 1.0)
    for day in range(15, 22):
        _charge(con, f"2026-06-{day:02d}", 2.0)
    _charge(con, "2026-06-22", 50.0)
    tokenlib.price_ledger(con)
    panels = tokenlib.brief_trends(con)
    spend = panels[0]
    assert list(spend["value"]) == [7.0, 7.0, 14.0]
    numbers = tokenlib.brief_numbers(panels).set_index("number")
    assert numbers.loc["AI spend", "last_week"] == "14.00 USD per week"
    assert numbers.loc["AI spend", "change"] == "+100% on the week before"
    assert numbers.loc["Spend with a named owner", "last_week"] == "0%"


def test_brief_says_when_it_has_nothing_to_show(con):
    # Two days of spend, no full week: the table says so instead of staying
    # empty, and a move on a base under one dollar gets no percentage.
    numbers = tokenlib.brief_numbers(tokenlib.brief_trends(con))
    assert numbers.values.tolist() == [
        ["(none)", "no full week of priced spend in this period", ""]
    ]
    _charge(con, "2026-06-01", 0.5)  # in the earlier window: base 0.50
    tokenlib.price_ledger(con)
    lines = tokenlib.what_changed(con)
    assert "spend with no use case: down 0.50 USD on the week before" in lines
