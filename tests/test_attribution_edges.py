"""Attribution edge cases found in review, each worked by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

import tokenlib
from tokenlib.attribution import Owners, allocate
from tokenlib.ingest import ingest_file
from tokenlib.sessions import sessions

FOCUS_HEAD = (
    "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,"
    "BillingCurrency,ServiceName,ServiceCategory,ProviderName,SubAccountName\n"
)


def _focus_row(cost: str, currency: str, project: str) -> str:
    return (
        f"2026-06-01T00:00:00Z,2026-06-02T00:00:00Z,Usage,{cost},{cost},{currency},"
        f"Vertex AI,AI and Machine Learning,Google,{project}\n"
    )


def _charge(con, cost: float, team=None, project=None, tags=None) -> None:
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, source_row, start, "
        "grain, billed_cost, currency, record_type, service_category, team, "
        "project, tags) VALUES (uuid(), 'focus', 'bill.csv', 1, "
        "TIMESTAMPTZ '2026-06-01 00:00:00+00', 'bucket', ?, 'USD', 'charge', "
        "'AI and Machine Learning', ?, ?, CAST(? AS JSON))",
        [cost, team, project, tags],
    )


@pytest.fixture
def con(tmp_path):
    return tokenlib.open_ledger(tmp_path / "ledger.duckdb")


def test_no_shared_owner_names_keeps_owned_spend_owned(con):
    # shared_owners: [] means no owner name is shared. web owns 3 USD; the
    # 1 USD without owner is the pool, split in proportion: web 3 + 1 = 4.
    _charge(con, 3, team="web")
    _charge(con, 1)
    owners = Owners(shared_owners=())
    tokenlib.price_ledger(con, owners=owners)
    shared = dict(con.execute("SELECT owner, shared FROM spend").fetchall())
    assert shared == {"web": False, None: True}
    got = allocate(con, owners)
    assert got[["owner", "direct", "shared", "cost"]].values.tolist() == [
        ["web", 3.0, 1.0, 4.0]
    ]


def test_rule_pattern_brackets_match_themselves(con):
    # The docs promise only * and ? as wildcards: "ws[prod]" is the literal
    # name, so the 2 USD of project ws[prod] belong to prod and the 1 USD of
    # project "wsp" (which GLOB's [prod] class would match) to nobody.
    _charge(con, 2, project="ws[prod]")
    _charge(con, 1, project="wsp")
    owners = Owners(
        rules=({"field": "project", "pattern": "ws[prod]", "owner": "prod"},)
    )
    tokenlib.price_ledger(con, owners=owners)
    got = con.execute("SELECT project, owner FROM spend ORDER BY project").fetchall()
    assert got == [("ws[prod]", "prod"), ("wsp", None)]


def test_rule_on_a_tag_key_with_dots(con):
    # OTel resource attributes keep dotted keys in tags (Claude Code rows
    # carry "organization.id"); a rule on tags.organization.id must see it.
    _charge(con, 2, tags='{"organization.id": "org-1", "cost_center": "cc-1"}')
    owners = Owners(
        rules=({"field": "tags.organization.id", "pattern": "org-*", "owner": "org"},)
    )
    tokenlib.price_ledger(con, owners=owners)
    got = con.execute("SELECT owner, owner_basis FROM spend").fetchall()
    assert got == [("org", "rule 1: tags.organization.id")]


def test_bill_money_without_a_currency_is_quarantined_not_lost(con, tmp_path):
    # A FOCUS row of 2.00 with an empty BillingCurrency cannot be put in any
    # currency: it goes to quarantine, and the view and the split hold the
    # 1.00 USD row; 2.00 + 1.00 = 3.00 is accounted for.
    bill = tmp_path / "bill.csv"
    bill.write_text(
        FOCUS_HEAD + _focus_row("2.00", "", "p1") + _focus_row("1.00", "USD", "p1")
    )
    summary = ingest_file(con, bill)
    assert (summary.ingested, summary.quarantined) == (1, 1)
    row, column, reason = con.execute(
        "SELECT source_row, column_name, reason FROM quarantine"
    ).fetchone()
    assert (row, column) == (1, "BillingCurrency")
    assert "without a three-letter currency" in reason
    tokenlib.price_ledger(con)
    total = con.execute("SELECT sum(cost) FROM spend").fetchone()[0]
    assert total == pytest.approx(1.0)
    assert allocate(con)["cost"].sum() == pytest.approx(1.0)


def test_metrics_json_by_owner_follows_the_split_in_the_owners_file(tmp_path):
    # Owned: p-web -> web 3.00, p-ads -> ads 1.00; p-none 2.00 is the pool.
    # split: even gives 1.00 each: web 4.00, ads 2.00 (proportional would
    # give web 4.50, ads 1.50).
    bill = tmp_path / "bill.csv"
    bill.write_text(
        FOCUS_HEAD
        + _focus_row("3.00", "USD", "p-web")
        + _focus_row("1.00", "USD", "p-ads")
        + _focus_row("2.00", "USD", "p-none")
    )
    path = tmp_path / "l.duckdb"
    cli = [sys.executable, "-m", "tokenlib.cli"]
    out = subprocess.run([*cli, "ingest", str(bill), "--ledger", str(path)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    rules = tmp_path / "owners.yml"
    rules.write_text(
        "rules:\n"
        "  - {field: project, pattern: p-web, owner: web}\n"
        "  - {field: project, pattern: p-ads, owner: ads}\n"
        "split: even\n"
    )
    out = subprocess.run(
        [*cli, "metrics", "--ledger", str(path), "--owners", str(rules), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    got = {o["owner"]: o["cost"] for o in json.loads(out.stdout)["by_owner"]}
    assert got == pytest.approx({"web": 4.0, "ads": 2.0})


LITELLM = (
    "request_id,call_type,spend,prompt_tokens,completion_tokens,startTime,"
    "endTime,model,custom_llm_provider,user,end_user,team_id,session_id,status\n"
    "req-1,acompletion,0.01,1000,100,2026-06-01T10:00:00Z,2026-06-01T10:00:01Z,"
    "claude-sonnet-4-5,anthropic,ana@corp.example,cara@customer.example,"
    "team-a,sess-1,success\n"
)


def test_litellm_end_user_is_pseudonymised_in_the_spend_view(con, tmp_path):
    # LiteLLM's end_user is a user id (here an email); pseudonymised reports
    # must not show it anywhere in the spend view, tags included.
    log = tmp_path / "spend.csv"
    log.write_text(LITELLM)
    ingest_file(con, log)
    assert con.execute("SELECT count(*) FROM ledger").fetchone()[0] == 1
    tokenlib.price_ledger(con, pseudonymise=True)
    text = str(
        con.execute(
            "SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), '|') FROM spend"
        ).fetchall()
    )
    assert "ana@corp.example" not in text  # the user column: pseudonymised
    assert "cara@customer.example" not in text  # end_user in tags: leaks


def _usage(con, session, start, tokens, model="claude-sonnet-4-5") -> None:
    con.execute(
        "INSERT INTO ledger (record_id, source, source_file, start, grain, "
        "provider, model, input_tokens, requests, record_type, session) VALUES "
        "(uuid(), 'claude_code_events', 'e.json', CAST(? AS TIMESTAMPTZ), "
        "'request', 'anthropic', ?, ?, 1, 'usage', ?)",
        [start, model, tokens, session],
    )


def _done(con, session, start, metric, value) -> None:
    con.execute(
        "INSERT INTO activity (record_id, source, source_file, start, metric, "
        "value, session) VALUES (uuid(), 'claude_code_metrics', 'm.json', "
        "CAST(? AS TIMESTAMPTZ), ?, ?, ?)",
        [start, metric, value, session],
    )


def test_session_outcomes_count_only_the_period(con):
    # Session s1 runs over midnight: a request and 2 commits on 06-01, a
    # request and 1 commit on 06-02. Reporting 06-02 only: the cost is the
    # 06-02 request's (1000 x 3 USD/M = 0.003) and so must the outcomes be:
    # 1 commit, not 3.
    _usage(con, "s1", "2026-06-01 23:50:00+00", 1000)
    _usage(con, "s1", "2026-06-02 00:10:00+00", 1000)
    _done(con, "s1", "2026-06-01 23:55:00+00", "commits", 2)
    _done(con, "s1", "2026-06-02 00:15:00+00", "commits", 1)
    tokenlib.price_ledger(con, start=date(2026, 6, 2))
    row = sessions(con).set_index("session").loc["s1"]
    assert row["cost"] == pytest.approx(0.003)
    assert row["commits"] == 1


def test_session_cost_says_when_tokens_are_unpriced(con):
    # s1: 1000 sonnet input tokens (0.003 USD) and 500 tokens of a model
    # with no price. The session's cost is only part of its spend; the view
    # must say so: unpriced_tokens = 500.
    _usage(con, "s1", "2026-06-01 10:00:00+00", 1000)
    _usage(con, "s1", "2026-06-01 10:05:00+00", 500, model="acme-unknown-9")
    tokenlib.price_ledger(con)
    frame = sessions(con).set_index("session")
    assert frame.loc["s1", "cost"] == pytest.approx(0.003)
    assert "unpriced_tokens" in frame.columns
    assert frame.loc["s1", "unpriced_tokens"] == 500
