"""The demo organisation's value inputs: outcomes, routing evidence, volumes.

Drawn from the demo's workloads with a generator of their own, so the usage
files stay as they are: outcomes per use case and day follow the request
log's sessions and requests (and the Claude Code pilot's pull requests),
routing evidence samples the request log's support and analytics requests,
and business volumes follow the support desk and the OpenAI API product.
The value policy regulates support chat to EU regions and lets document
summarisation wait for batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .demo import Demo

__all__ = ["DEMO_POLICY", "VALUE_FILES", "value_frames", "write_value_files"]

#: The files the value inputs add to the demo, in order.
VALUE_FILES = ("outcomes.csv", "routes.csv", "volumes.csv")
#: The value policy, written beside the exports (not ingested).
DEMO_POLICY = "value_policy.yml"

_POLICY = """\
# Value policy of the demo organisation (the notebooks' `policy` parameter).
route_target: 0.70          # route win rate target, a share
quality_tolerance: 0.02     # served score this far below the reference is no loss
batch_eligible:             # use cases whose work can wait for batch
  - doc_summarisation
residency:                  # regulated workloads and where they may run
  # Support conversations hold customer data: EU only. The helpdesk's
  # after-hours fallback still calls the US endpoint: the exceptions.
  - use_case: support_chat
    allowed: ["eu*", "europe-*"]
"""

# Use case -> outcome label, what one attempt is (for coding, pull requests
# opened in its sessions), verified share at the
# period's start and end, share of the unverified that failed outright,
# and value per verified outcome in USD.
_OUTCOMES = {
    "support_chat": (
        "ticket resolved without escalation",
        "session",
        0.76,
        0.84,
        0.3,
        8.0,
    ),
    "coding_assistant": ("pull request merged", "session", 0.80, 0.84, 0.5, 150.0),
    "doc_summarisation": ("summary accepted", "request", 0.92, 0.94, 0.4, 12.0),
    "analytics_agent": ("answer accepted", "session", 0.66, 0.74, 0.5, 25.0),
    "ticket_triage": ("ticket routed correctly", "request", 0.90, 0.92, 1.0, 0.8),
}
#: IDE copilot pull requests opened per coding session.
_PRS_PER_SESSION = 0.12
# Routing evidence: use case -> share of requests evaluated, and per served
# model the reference model and, for reference-served requests, the
# cheaper candidate that was scored on them offline.
_ROUTE_SAMPLE = {"support_chat": 0.06, "analytics_agent": 0.10}
_REFERENCE = {
    "gpt-4.1-mini": ("gpt-4.1", None),
    "gemini-2.5-flash": ("gemini-2.5-pro", None),
    "o4-mini": ("o4-mini", "gpt-4.1-mini"),
}
#: Share of routed requests that hold quality, and of candidates that would.
_HOLDS, _CANDIDATE_HOLDS = 0.82, 0.55
#: Share of sampled requests no evaluation ran on.
_UNEVALUATED = 0.08
# Business volumes: bookings per weekday, mean booking value and margin;
# product API calls per model request of the OpenAI project and price.
_BOOKINGS, _BOOKING_USD, _MARGIN = 2_000, 180.0, 0.22
_CALLS_PER_REQUEST, _CALL_USD = 0.8, 0.05


def _day(times: pd.Series) -> pd.Series:
    return times.dt.strftime("%Y-%m-%d")


def _attempts(demo: Demo) -> pd.DataFrame:
    """Attempts per use case and day: sessions or requests of the log."""
    log = demo.log.assign(date=_day(demo.log.start))
    by = log.groupby(["use_case", "date"])
    per = {"session": by.session.nunique(), "request": by.size()}
    rows = [
        per[spec[1]].loc[use_case].rename("n").reset_index().assign(use_case=use_case)
        for use_case, spec in _OUTCOMES.items()
    ]
    return pd.concat(rows, ignore_index=True)


def _claude_code_prs(demo: Demo) -> pd.Series:
    """Pull requests the Claude Code pilot's sessions opened, per day."""
    s = demo.agents.sessions
    day = _day(pd.to_datetime(s.day, unit="ms", utc=True))
    return s.pull_requests.astype(int).groupby(day).sum()


def _outcomes(demo: Demo, rng: np.random.Generator) -> pd.DataFrame:
    """Outcomes per use case and day; prototyping has none."""
    o = _attempts(demo)
    coding = o.use_case == "coding_assistant"
    ide = rng.binomial(np.where(coding, o.n, 0), _PRS_PER_SESSION)
    pilot = o.date.map(_claude_code_prs(demo)).fillna(0).astype(int)
    o["claude_code_prs"] = np.where(coding, pilot, None)
    o["attempted"] = np.where(coding, ide + pilot, o.n)
    spec = o.use_case.map(_OUTCOMES)
    days = len(demo.dates)
    t = (pd.to_datetime(o.date) - pd.Timestamp(demo.dates[0].date())).dt.days
    t = t / max(days - 1, 1)
    rate = spec.str[2] + (spec.str[3] - spec.str[2]) * t
    o["verified"] = rng.binomial(o.attempted, rate)
    o["failed"] = rng.binomial(o.attempted - o.verified, spec.str[4])
    o["outcome"] = spec.str[0]
    o["value"] = (o.verified * spec.str[5]).round(2)
    o["currency"] = "USD"
    o = o[o.attempted > 0].sort_values(["date", "use_case"], ignore_index=True)
    return o[
        [
            "date",
            "use_case",
            "outcome",
            "attempted",
            "verified",
            "failed",
            "value",
            "currency",
            "claude_code_prs",
        ]
    ]


def _scores(rng: np.random.Generator, n: int, holds: float) -> tuple:
    """Reference scores and scores of another model that holds quality at
    the share ``holds`` (within 0.015 below) or falls 0.05 to 0.25 short."""
    ref = np.round(rng.beta(18, 3, n), 3)
    held = rng.random(n) < holds
    near = ref + rng.uniform(-0.015, 0.03, n)
    short = ref - rng.uniform(0.05, 0.25, n)
    return ref, np.round(np.clip(np.where(held, near, short), 0, 1), 3)


def _routes(demo: Demo, rng: np.random.Generator) -> pd.DataFrame:
    """Evaluated requests of support chat and the analytics agent."""
    log = demo.log
    share = log.use_case.map(_ROUTE_SAMPLE).fillna(0).to_numpy()
    r = log[rng.random(len(log)) < share].reset_index(drop=True)
    n = len(r)
    r["reference_model"] = r.model.map(lambda m: _REFERENCE[m][0])
    r["candidate_model"] = r.model.map(lambda m: _REFERENCE[m][1])
    routed = r.model != r.reference_model
    ref, served = _scores(rng, n, _HOLDS)
    _, candidate = _scores(rng, n, _CANDIDATE_HOLDS)
    evaluated = rng.random(n) >= _UNEVALUATED
    r["served_score"] = np.where(evaluated, np.where(routed, served, ref), np.nan)
    r["reference_score"] = np.where(evaluated, ref, np.nan)
    has_candidate = evaluated & r.candidate_model.notna()
    r["candidate_score"] = np.where(has_candidate, candidate, np.nan)
    r["start"] = r.start.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    r = r.rename(columns={"model": "served_model"})
    return r[
        [
            "start",
            "use_case",
            "request_id",
            "provider",
            "served_model",
            "reference_model",
            "candidate_model",
            "served_score",
            "reference_score",
            "candidate_score",
            "input_tokens",
            "cache_read_tokens",
            "output_tokens",
        ]
    ]


def _openai_requests(demo: Demo) -> pd.Series:
    """Model requests of the OpenAI API project, per day."""
    return pd.Series(
        {
            pd.Timestamp(b["start_time"], unit="s").strftime("%Y-%m-%d"): sum(
                r["num_model_requests"] for r in b["results"]
            )
            for b in demo.openai["data"]
        }
    )


def _volumes(
    demo: Demo, outcomes: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Business volumes per day: resolved tickets, bookings, API calls."""
    from .demo import _day_factors

    dates = demo.dates.strftime("%Y-%m-%d")
    n = len(dates)
    support = outcomes[outcomes.use_case == "support_chat"].set_index("date")
    # Every ticket is resolved in the end; a share never touches the bot.
    tickets = support.attempted.reindex(dates, fill_value=0)
    resolved = np.round(tickets * rng.uniform(1.25, 1.4, n))
    bookings = rng.poisson(_BOOKINGS * _day_factors(demo.dates, 0.7))
    revenue = np.round(bookings * _BOOKING_USD * rng.lognormal(0, 0.05, n), 2)
    requests = _openai_requests(demo).reindex(dates, fill_value=0)
    calls = np.round(requests * _CALLS_PER_REQUEST)
    frames = [
        pd.DataFrame(
            {"unit": "resolved_ticket", "use_case": "support_chat"}, dates
        ).assign(volume=resolved.to_numpy()),
        pd.DataFrame({"unit": "booking", "use_case": None}, dates).assign(
            volume=bookings,
            revenue=revenue,
            gross_profit=np.round(revenue * _MARGIN * rng.lognormal(0, 0.03, n), 2),
            currency="USD",
        ),
        pd.DataFrame({"unit": "call", "use_case": "marketing_copy"}, dates).assign(
            volume=calls.to_numpy(),
            revenue=np.round(calls.to_numpy() * _CALL_USD, 2),
            currency="USD",
            product="marketing-copy-api",
        ),
    ]
    v = pd.concat(frames).rename_axis("date").reset_index()
    v = v.sort_values(["date", "unit"], kind="stable", ignore_index=True)
    return v[
        [
            "date",
            "unit",
            "use_case",
            "volume",
            "revenue",
            "gross_profit",
            "currency",
            "product",
        ]
    ]


def value_frames(demo: Demo) -> dict[str, pd.DataFrame]:
    """Generate the value inputs of a generated demo, by file name.

    The generator is seeded from the demo's seed apart from the one that drew
    the usage, so the usage files are the same with or without these.
    """
    rng = np.random.default_rng([demo.seed, 4])
    outcomes = _outcomes(demo, rng)
    routes = _routes(demo, rng)
    volumes = _volumes(demo, outcomes, rng)
    return dict(zip(VALUE_FILES, (outcomes, routes, volumes), strict=True))


def write_value_files(demo: Demo, out_dir: Path) -> list[Path]:
    """Write the value inputs and the value policy; return the input files."""
    paths = []
    for name, frame in value_frames(demo).items():
        path = Path(out_dir) / name
        frame.to_csv(path, index=False, float_format="%.12g")
        paths.append(path)
    (Path(out_dir) / DEMO_POLICY).write_text(_POLICY)
    return paths
