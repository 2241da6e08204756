"""Owners, direct allocation and shared-cost splits, worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tokenlib
from tokenlib.attribution import (
    UNALLOCATED,
    Owners,
    allocate,
    direct_allocation,
    read_owners,
    round_to_cents,
)
from tokenlib.errors import ParameterError


def _charges(con, rows: list[dict]) -> None:
    """Insert AI charge rows: day, cost, currency and any dimensions/tags."""
    for i, row in enumerate(rows):
        row = {"currency": "USD", "day": "2026-06-01", **row}
        con.execute(
            "INSERT INTO ledger (record_id, source, source_file, source_row, start, "
            "grain, billed_cost, currency, record_type, service_category, team, "
            "\"user\", project, tags) VALUES (uuid(), 'focus', 'bill.csv', ?, "
            "CAST(? AS TIMESTAMPTZ), 'bucket', ?, ?, 'charge', "
            "'AI and Machine Learning', ?, ?, ?, CAST(? AS JSON))",
            [
                i + 1,
                row["day"],
                row["cost"],
                row["currency"],
                row.get("team"),
                row.get("user"),
                row.get("project"),
                row.get("tags"),
            ],
        )


@pytest.fixture
def con(tmp_path):
    return tokenlib.open_ledger(tmp_path / "ledger.duckdb")


def _owned(con, owners: Owners | None = None):
    tokenlib.price_ledger(con, owners=owners)
    return con


RULES = Owners(
    rules=(
        {"field": "project", "pattern": "wrkspc_search*", "owner": "search"},
        {"field": "tags.api_key_id", "pattern": "key_ads_??", "owner": "ads"},
        {"field": "user", "pattern": "*@support.example.com", "owner": "support"},
        {"field": "project", "pattern": "*", "owner": "catch-all"},
    )
)


def test_explicit_owner_first_then_the_first_matching_rule(con):
    _charges(
        con,
        [
            {"cost": 1, "team": "web", "project": "wrkspc_search_1"},  # explicit
            {"cost": 2, "project": "wrkspc_search_2"},  # rule 1
            {"cost": 3, "tags": '{"api_key_id": "key_ads_07"}'},  # rule 2
            {"cost": 4, "tags": '{"api_key_id": "key_ads_100"}'},  # ?? is 2 chars
            {"cost": 5, "user": "ana@support.example.com"},  # rule 3
            {"cost": 6, "team": "shared"},  # explicit, but shared
        ],
    )
    _owned(con, RULES)
    got = con.execute(
        "SELECT source_row, owner, owner_basis, shared FROM spend ORDER BY 1"
    ).fetchall()
    assert got == [
        (1, "web", "explicit", False),
        (2, "search", "rule 1: project", False),
        (3, "ads", "rule 2: tags.api_key_id", False),
        (4, None, None, True),
        (5, "support", "rule 3: user", False),
        (6, "shared", "explicit", True),
    ]


def test_direct_allocation_pct_by_day(con):
    # Day 1: 3 of 4 USD owned = 75%. Day 2: 0 of 2 = 0%.
    _charges(
        con,
        [
            {"cost": 3, "team": "web"},
            {"cost": 1},
            {"cost": 2, "day": "2026-06-02", "team": "shared"},
        ],
    )
    frame = direct_allocation(_owned(con))
    assert frame["direct_allocation_pct"].tolist() == [75.0, 0.0]
    whole = direct_allocation(con, by_day=False)
    assert whole["direct_allocation_pct"].iloc[0] == pytest.approx(50.0)  # 3 of 6


def test_proportional_split_follows_owned_spend(con):
    # Owned: web 3, ads 1; shared pool 2 -> web 1.5, ads 0.5.
    _charges(
        con,
        [
            {"cost": 3, "team": "web"},
            {"cost": 1, "team": "ads"},
            {"cost": 1.25},
            {"cost": 0.75, "team": "shared"},
        ],
    )
    frame = allocate(_owned(con)).set_index("owner")
    assert frame.loc["web", ["direct", "shared", "cost"]].tolist() == [3, 1.5, 4.5]
    assert frame.loc["ads", ["direct", "shared", "cost"]].tolist() == [1, 0.5, 1.5]
    assert UNALLOCATED not in frame.index


def test_even_and_weighted_splits(con):
    # Pool 3 over web and ads: even 1.5 each; weights 2:1 give 2 and 1,
    # and a weighted owner with no spend of its own (ml) still takes its part.
    _charges(con, [{"cost": 5, "team": "web"}, {"cost": 1, "team": "ads"}, {"cost": 3}])
    even = allocate(_owned(con), Owners(split="even")).set_index("owner")["shared"]
    assert even.to_dict() == {"web": 1.5, "ads": 1.5}
    owners = Owners(split="weights", weights={"web": 2, "ads": 1, "ml": 3})
    got = allocate(con, owners).set_index("owner")
    assert got["shared"].to_dict() == pytest.approx({"web": 1, "ads": 0.5, "ml": 1.5})
    assert got.loc["ml", "direct"] == 0


def test_pool_with_no_owner_is_left_unallocated(con):
    _charges(con, [{"cost": 2}, {"cost": 1, "team": "shared"}])
    frame = allocate(_owned(con))
    assert frame[["owner", "cost"]].values.tolist() == [[UNALLOCATED, 3.0]]


def test_currencies_are_split_apart(con):
    # USD: web 1 owned, pool 1 -> web 2. EUR: pool 4, no owner in EUR.
    _charges(
        con,
        [
            {"cost": 1, "team": "web"},
            {"cost": 1},
            {"cost": 4, "currency": "EUR"},
        ],
    )
    frame = allocate(_owned(con))
    assert frame[["owner", "currency", "cost"]].values.tolist() == [
        [UNALLOCATED, "EUR", 4.0],
        ["web", "USD", 2.0],
    ]


def test_filters_split_within_the_filtered_spend(con):
    # Only project p1: web 2 owned, pool 1 -> web 3; p2's spend is not there.
    _charges(
        con,
        [
            {"cost": 2, "team": "web", "project": "p1"},
            {"cost": 1, "project": "p1"},
            {"cost": 7, "team": "ads", "project": "p2"},
        ],
    )
    frame = allocate(_owned(con), filters={"project": "p1"})
    assert frame[["owner", "cost"]].values.tolist() == [["web", 3.0]]


@pytest.mark.parametrize("seed", range(40))
def test_allocation_conserves_money_on_random_ledgers(con, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    teams = [None, "shared", "web", "ads", "ml", "ops"]
    rows = [
        {
            "cost": round(float(rng.uniform(-5, 100)), int(rng.integers(0, 7))),
            "currency": str(rng.choice(["USD", "EUR"])),
            "team": teams[int(rng.integers(0, len(teams)))],
            "project": str(rng.choice(["p1", "p2"])),
            "day": f"2026-06-0{int(rng.integers(1, 4))}",
        }
        for _ in range(n)
    ]
    _charges(con, rows)
    split = str(rng.choice(["proportional", "even", "weights"]))
    owners = Owners(split=split, weights={"web": 1, "ml": 2.5})
    _owned(con, owners)
    frame = pd.DataFrame(rows)
    for filters in (None, {"project": "p1"}):
        got = allocate(con, owners, filters)
        want = frame if not filters else frame[frame["project"] == "p1"]
        for currency, total in want.groupby("currency")["cost"].sum().items():
            mine = got[got["currency"] == currency]
            # Owned + allocated shared + unallocated = the total, exactly.
            assert mine["cost"].sum() == pytest.approx(total, abs=1e-9)
            assert (mine["direct"] + mine["shared"]).sum() == pytest.approx(total)
            # Rounded for display, the parts still add up to the cent.
            cents = round_to_cents(mine["cost"].reset_index(drop=True), total)
            assert round(cents.sum(), 2) == round(total, 2)
        assert set(got["currency"]) == set(want["currency"])


def test_round_to_cents_gives_missing_cents_to_largest_remainders():
    # 10.005 + 10.005 + 9.99 = 30.00: floors 10.00 + 10.00 + 9.99 = 29.99,
    # one cent to the first of the two that lost half a cent.
    got = round_to_cents(pd.Series([10.005, 10.005, 9.99]), 30.0)
    assert got.tolist() == [10.01, 10.0, 9.99]


def test_owner_file_errors_name_the_file_and_place(tmp_path):
    path = tmp_path / "owners.yml"
    path.write_text("rules:\n  - field: workspace\n    pattern: x\n    owner: a\n")
    with pytest.raises(
        ParameterError, match=r"owners.yml: rules 1, field: .*workspace"
    ):
        read_owners(path)
    path.write_text("split: weights\n")
    with pytest.raises(ParameterError, match="no weights are given"):
        read_owners(path)
    path.write_text("split: by_headcount\n")
    with pytest.raises(ParameterError, match="split: Input should be"):
        read_owners(path)
    path.write_text("weights: {web: 1}\n")
    with pytest.raises(ParameterError, match="set split: weights to use them"):
        read_owners(path)
    path.write_text("dimension: use_case\nrules: []\n")
    assert read_owners(path).dimension == "use_case"


def test_shipped_owner_template_reads(tmp_path):
    owners = read_owners(tokenlib.ledger.PROJECT_ROOT / "data/templates/owners.yml")
    assert owners.rules and owners.split == "proportional"


def test_summary_gives_direct_allocation_and_owners_summing_to_total(con):
    # web owns 0.75 of 1.50 USD: 50% direct; the unowned 0.75 goes to web.
    _charges(
        con,
        [{"cost": 0.75, "team": "web"}, {"cost": 0.75}, {"cost": 9, "currency": "EUR"}],
    )
    tokenlib.price_ledger(con)
    got = tokenlib.summarise(con)
    assert got["direct_allocation_pct"] == pytest.approx(50.0)
    assert got["by_owner"] == [
        {"owner": "web", "direct": 0.75, "shared": 0.75, "cost": 1.5}
    ]
    assert sum(o["cost"] for o in got["by_owner"]) == got["total_cost"]


def test_users_are_pseudonymised_but_rules_see_the_real_user(con):
    _charges(
        con,
        [
            {"cost": 1, "user": "ana@support.example.com"},
            {"cost": 2, "user": "ana@support.example.com"},
            {"cost": 4, "user": "bo@example.com", "team": "web"},
        ],
    )
    tokenlib.price_ledger(con, owners=RULES, pseudonymise=True)
    rows = con.execute('SELECT "user", owner FROM spend ORDER BY source_row').fetchall()
    users = [u for u, _ in rows]
    assert users[0] == users[1] != users[2]
    assert all(u.startswith("user-") and len(u) == 13 for u in users)
    assert [o for _, o in rows] == ["support", "support", "web"]
    # Owners that are users are shown by the same pseudonyms.
    tokenlib.price_ledger(con, owners=Owners(dimension="user"), pseudonymise=True)
    owners = allocate(con)["owner"].tolist()
    assert sorted(owners) == sorted(set(users))
    text = con.execute("SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), '|') FROM spend")
    assert "example.com" not in str(text.fetchall())
    # The same ledger gives the same pseudonyms in a new connection.
    path = con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal")
    again = tokenlib.open_ledger(path.fetchone()[0])
    tokenlib.price_ledger(again, pseudonymise=True)
    assert again.execute('SELECT "user" FROM spend ORDER BY source_row').fetchall() == [
        (u,) for u in users
    ]


def test_direct_allocation_takes_credits_at_their_size(con):
    # Owned 10 and an unowned credit of -30: |10| / (|10| + |-30|) = 25%,
    # where a share of the net (-20) would be meaningless.
    _charges(con, [{"cost": 10, "team": "web"}, {"cost": -30}])
    frame = direct_allocation(_owned(con))
    assert frame["direct_allocation_pct"].tolist() == [25.0]
    assert frame[["cost", "owned_cost"]].values.tolist() == [[-20.0, 10.0]]
