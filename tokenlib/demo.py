"""Write a seeded, made-up organisation's AI usage as files the readers ingest.

Separate workloads, so nothing is counted twice: a request log of the
organisation's own apps (OpenAI, Anthropic, Google and a self-hosted model),
the OpenAI Usage API export of one other project, a FOCUS 1.2 export of an
AWS account that runs a Bedrock workload, and the developers' Claude Code
telemetry (events and metrics of the same sessions). The Anthropic cost
report bills the Anthropic tokens of the request log and of Claude Code.
What the work achieved (outcomes, routing evidence, business volumes) and
the value policy come from :mod:`tokenlib.demo_value`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .demo_agents import AGENT_FILES, Agents, agent_frames, metric_points
from .demo_bill import cost_report
from .demo_loaded import write_assumptions
from .demo_optimise import write_optimisation
from .demo_otlp import write_events, write_metrics
from .demo_value import DEMO_POLICY, VALUE_FILES, write_value_files
from .errors import ParameterError
from .schema import TOKEN_COLUMNS

__all__ = [
    "BEDROCK_PRICES",
    "DEFAULT_END",
    "DEMO_FILES",
    "DEMO_OWNERS",
    "DEMO_SETS",
    "DEMO_POLICY",
    "REGIONAL_PREMIUM",
    "Demo",
    "generate_demo",
    "write_demo",
]

#: The files :func:`write_demo` writes, in order.
DEMO_FILES = (
    "requests.parquet",
    "openai_usage.json",
    "focus_bedrock.csv",
    *AGENT_FILES,
    *VALUE_FILES,
)
#: Values set at ingest for files that lack them (``tokenlib ingest --set``):
#: the OpenAI export is the marketing-copy product's (its API calls are a
#: business volume); Claude Code is the coding use case.
DEMO_SETS = {
    "openai_usage.json": {"project": "marketing-copy", "use_case": "marketing_copy"},
    "claude_code_events.jsonl": {"use_case": "coding_assistant"},
    "claude_code_metrics.jsonl": {"use_case": "coding_assistant"},
}
#: Owner rules of the demo organisation, written beside its exports.
DEMO_OWNERS = "owners.yml"


def _owner_rules(developers: pd.DataFrame) -> str:
    """The demo's owner rules: its Claude Code users without a team.id."""
    lines = [
        "# Owner rules of the demo organisation (tokenlib report --owners FILE).",
        "dimension: team",
        "rules:",
        "  # New starters whose Claude Code settings lack team.id work on platform.",
    ]
    for email in developers.loc[developers["team"].isna(), "email"]:
        lines += [f"  - {{field: user, pattern: {email}, owner: platform}}"]
    lines += [
        "  # The prototyping sandbox is everyone's: shared, split over the teams.",
        "  - {field: application, pattern: sandbox, owner: shared}",
        "shared_owners: [shared]",
        "split: proportional",
    ]
    return "\n".join(lines) + "\n"


#: Last day of the demo period unless told otherwise.
DEFAULT_END = date(2026, 11, 30)
#: Bedrock list price of Claude 3.5 Haiku in us-east-1, USD per token.
BEDROCK_PRICES = {"input": 0.80e-6, "output": 4.00e-6}
#: From two thirds into the period the claims team's Bedrock calls go through
#: a regional inference profile, billed 10% above the list price: the drift
#: the unit-economics notebook should catch.
REGIONAL_PREMIUM = 1.10

_REGIONS = {
    "openai": "us",
    "anthropic": "us",
    "google": "europe-west4",
    "internal": "on-prem",
}
#: Use cases pinned to a data-residency region of their provider, and the
#: UTC hours (from, to) in which an after-hours fallback calls the
#: provider's default endpoint instead: the sovereignty exceptions.
_RESIDENCY = {"support_chat": ("eu", (20, 6))}
_USERS_PER_TEAM = {"platform": 7, "web": 6, "mobile": 4, "support": 7, "data": 6}
# The OpenAI project: model -> requests on a weekday, batch traffic on top.
_OPENAI_MODELS = {
    "gpt-4o-mini": 900,
    "gpt-4.1-nano": 300,
    "gpt-4.1-mini": 200,
    "gpt-4o": 120,
    "gpt-4.1": 60,
    "o4-mini": 40,
}


@dataclass(frozen=True)
class _UseCase:
    """How one use case sends requests; token sizes are (median, sigma)."""

    name: str
    per_day: float  # requests on a weekday at the start of the period
    weekend: float  # weekend volume as a share of weekday volume
    per_session: float  # mean requests per session
    hour: tuple[float, float]  # session start, hour UTC: mean, sd
    gap_s: float  # mean seconds between requests of a session
    models: tuple[tuple[str, str, float], ...]  # provider, model, share
    teams: tuple[str, ...]  # owners; empty for unowned spend
    humans: bool  # a person sends the requests (else a service)
    agent: str | None
    application: str
    environment: str
    prompt: tuple[float, float]  # input + cache tokens
    output: tuple[float, float]  # visible output tokens
    reasoning: tuple[float, float] | None = None
    cache: str = "none"  # 'anthropic', 'prefix' (automatic) or 'none'
    tier: str = "standard"


_USE_CASES = (
    _UseCase(
        "coding_assistant",
        1200,
        0.3,
        12,
        (14.5, 2.5),
        45,
        (
            ("anthropic", "claude-sonnet-4-5", 0.8),
            ("anthropic", "claude-haiku-4-5", 0.2),
        ),
        ("platform", "web", "mobile"),
        True,
        "code-assistant",
        "ide-copilot",
        "prod",
        (45_000, 0.5),
        (800, 0.6),
        cache="anthropic",
    ),
    _UseCase(
        "support_chat",
        1000,
        0.65,
        6,
        (15.0, 4.0),
        30,
        (("openai", "gpt-4.1-mini", 1.0),),
        ("support",),
        True,
        "support-copilot",
        "helpdesk",
        "prod",
        (1_800, 0.35),
        (250, 0.3),
        cache="prefix",
    ),
    _UseCase(
        "doc_summarisation",
        400,
        1.0,
        40,
        (2.0, 0.4),
        3,
        (("openai", "gpt-4.1", 1.0),),
        ("legal",),
        False,
        "doc-summariser",
        "contract-digest",
        "prod",
        (12_000, 0.6),
        (700, 0.4),
        tier="batch",
    ),
    _UseCase(
        "analytics_agent",
        300,
        0.25,
        8,
        (15.0, 2.5),
        20,
        (("openai", "o4-mini", 0.7), ("google", "gemini-2.5-flash", 0.3)),
        ("data",),
        True,
        "analytics-agent",
        "insights",
        "prod",
        (6_000, 0.6),
        (500, 0.5),
        reasoning=(2_000, 0.8),
        cache="prefix",
    ),
    _UseCase(
        "prototyping",
        150,
        0.3,
        3,
        (16.0, 3.5),
        60,
        (
            ("openai", "gpt-4.1", 0.4),
            ("google", "gemini-2.5-flash", 0.4),
            ("anthropic", "claude-haiku-4-5", 0.2),
        ),
        (),
        True,
        None,
        "sandbox",
        "dev",
        (3_000, 0.9),
        (400, 0.7),
    ),
    _UseCase(
        "ticket_triage",
        120,
        0.65,
        1.5,
        (15.0, 4.0),
        1,
        (("internal", "acme-llm-7b", 1.0),),
        ("support",),
        False,
        "ticket-triage",
        "helpdesk",
        "prod",
        (900, 0.4),
        (20, 0.3),
    ),
)


def _lognormal(
    rng: np.random.Generator, size: tuple[float, float], n: int
) -> np.ndarray:
    """Draw n token counts around a median, at least 1."""
    median, sigma = size
    return np.maximum(1, np.floor(rng.lognormal(np.log(median), sigma, n)))


def _day_factors(dates: pd.DatetimeIndex, weekend: float) -> np.ndarray:
    """Volume multiplier per day: mild growth, quieter weekends."""
    growth = np.linspace(0.9, 1.15, len(dates))
    return growth * np.where(dates.day_of_week >= 5, weekend, 1.0)


def _sessions(
    uc: _UseCase, dates: pd.DatetimeIndex, users: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per session: day, start, size, model, owner."""
    lam = uc.per_day * _day_factors(dates, uc.weekend) / uc.per_session
    counts = rng.poisson(lam)
    n = int(counts.sum())
    day = np.repeat(dates.as_unit("ms").asi8, counts)  # ms since epoch
    hour = rng.normal(*uc.hour, n) % 24
    s = pd.DataFrame(
        {
            "day": day,
            "start": day + (hour * 3.6e6).astype(np.int64),
            "size": 1 + rng.poisson(uc.per_session - 1, n),
        }
    )
    share = np.array([m[2] for m in uc.models])
    pick = rng.choice(len(uc.models), n, p=share / share.sum())
    s["provider"], s["model"] = np.array([m[:2] for m in uc.models])[pick].T
    s["long_cache"] = rng.random(n) < 0.25  # sessions that cache for 1 hour

    # Owners: a person's team, a service's team, or no team at all.
    if not uc.humans:
        s["user"], s["team"] = None, rng.choice(uc.teams, n)
        return s
    pool = users[users.team.isin(uc.teams)] if uc.teams else users
    who = pool.iloc[rng.integers(0, len(pool), n)]
    s["user"] = who.user.to_numpy()
    s["team"] = who.team.to_numpy() if uc.teams else None
    return s


def _cache_split(
    uc: _UseCase,
    prompt: np.ndarray,
    later: np.ndarray,
    long_cache: np.ndarray,
    rng: np.random.Generator,
) -> dict:
    """Split prompt tokens into uncached input, cache reads and writes."""
    n = len(prompt)
    read, write = np.zeros(n), np.zeros(n)
    if uc.cache == "anthropic":
        read = np.where(later, np.floor(prompt * rng.beta(18, 2, n)), 0)
        write = np.floor((prompt - read) * 0.9)  # new turns, cached for the next
    elif uc.cache == "prefix":
        hit = later & (prompt >= 1024)  # cached in 128-token steps
        read = np.where(hit, np.floor(prompt * rng.uniform(0.4, 0.8, n) / 128) * 128, 0)
    return {
        "input_tokens": prompt - read - write,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": np.where(long_cache, 0, write),
        "cache_write_1h_tokens": np.where(long_cache, write, 0),
    }


def _region(uc: _UseCase, rows: pd.DataFrame) -> pd.Series:
    """Region of each request: the provider's default, or the use case's
    residency region outside its after-hours fallback."""
    default = rows.provider.map(_REGIONS)
    if uc.name not in _RESIDENCY:
        return default
    region, (late, early) = _RESIDENCY[uc.name]
    hour = rows.start.dt.hour
    return default.where((hour >= late) | (hour < early), region)


def _requests(uc: _UseCase, s: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Expand sessions into requests with times and token counts."""
    size = s["size"].to_numpy()
    n = int(size.sum())
    first = np.cumsum(size) - size
    pos = np.arange(n) - np.repeat(first, size)
    rows = s.loc[s.index.repeat(size)].reset_index(drop=True)

    # Requests follow each other within a session, never past the day's end.
    gaps = np.where(pos == 0, 0, rng.exponential(uc.gap_s * 1000, n))
    elapsed = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], size)
    ms = np.minimum(rows.start + elapsed.astype(np.int64), rows.day + 86_399_999)
    rows["start"] = pd.to_datetime(ms, unit="ms", utc=True)

    # Token counts: lognormal sizes, reasoning counted inside output.
    prompt = _lognormal(rng, uc.prompt, n)
    reasoning = _lognormal(rng, uc.reasoning, n) if uc.reasoning else np.zeros(n)
    tokens = _cache_split(uc, prompt, pos > 0, rows.long_cache.to_numpy(), rng)
    tokens["output_tokens"] = _lognormal(rng, uc.output, n) + reasoning
    tokens["reasoning_tokens"] = reasoning
    for name, values in tokens.items():
        rows[name] = values.astype(np.int64)
    rows["region"] = _region(uc, rows)
    rows["service_tier"] = uc.tier
    rows["agent"], rows["use_case"] = uc.agent, uc.name
    rows["application"], rows["environment"] = uc.application, uc.environment
    return rows


def _request_log(dates: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Return the organisation's request log, one row per request, by time."""
    teams = list(_USERS_PER_TEAM)
    users = pd.DataFrame(
        {
            "user": [f"u{i:03d}" for i in range(1, 31)],
            "team": rng.permutation(np.repeat(teams, list(_USERS_PER_TEAM.values()))),
        }
    )
    parts, offset = [], 0
    for uc in _USE_CASES:
        s = _sessions(uc, dates, users, rng)
        s["session"] = "s" + pd.Series(offset + s.index).astype(str).str.zfill(7)
        offset += len(s)
        parts.append(_requests(uc, s, rng))
    log = pd.concat(parts).sort_values("start", kind="stable", ignore_index=True)
    log.insert(0, "request_id", "req_" + pd.Series(log.index).astype(str).str.zfill(8))
    return log[
        [
            "request_id",
            "start",
            "provider",
            "model",
            "service_tier",
            "region",
            *TOKEN_COLUMNS,
            "team",
            "user",
            "agent",
            "session",
            "use_case",
            "application",
            "environment",
        ]
    ]


def _openai_usage(dates: pd.DatetimeIndex, rng: np.random.Generator) -> dict:
    """Return an OpenAI completions usage page for the marketing-copy project."""
    grid = pd.MultiIndex.from_product(
        [dates, list(_OPENAI_MODELS), [False, True]], names=["day", "model", "batch"]
    ).to_frame(index=False)
    rate = grid.model.map(_OPENAI_MODELS) * np.where(grid.batch, 0.25, 1.0)
    n = rng.poisson(rate * np.repeat(_day_factors(dates, 0.4), 2 * len(_OPENAI_MODELS)))
    noise = rng.lognormal(0, 0.05, (2, len(grid)))
    inp = np.round(n * 1_600 * noise[0])  # about 1,600 tokens a request

    # Cached input is part of input, as in the API; other group-bys are null.
    grid = grid.assign(
        object="organization.usage.completions.result",
        project_id=None,
        user_id=None,
        api_key_id=None,
        input_tokens=inp.astype(np.int64),
        input_cached_tokens=np.floor(inp * rng.uniform(0.2, 0.45, len(grid))),
        output_tokens=np.round(n * 420 * noise[1]).astype(np.int64),
        num_model_requests=n,
    )[n > 0].astype({"input_cached_tokens": np.int64})
    buckets = [
        {
            "object": "bucket",
            "start_time": int(day.timestamp()),
            "end_time": int(day.timestamp()) + 86_400,
            "results": results.drop(columns="day").to_dict("records"),
        }
        for day, results in grid.groupby("day")
    ]
    return {"object": "page", "data": buckets, "has_more": False, "next_page": None}


def _focus_tokens(dates: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Bedrock token rows: one per day and direction, billed at list price
    until the switch to a regional profile, then at the regional premium."""
    inp = 28e6 * _day_factors(dates, 0.4) * rng.lognormal(0, 0.08, len(dates))
    out = inp * 0.09 * rng.lognormal(0, 0.1, len(dates))
    way = pd.Series(np.repeat(["input", "output"], len(dates)))
    qty = np.round(np.concatenate([inp, out]))
    price = way.map(BEDROCK_PRICES).to_numpy()
    regional = np.tile(dates >= dates[len(dates) * 2 // 3], 2)
    return pd.DataFrame(
        {
            "day": np.tile(dates, 2),
            "end": np.tile(dates + pd.Timedelta(days=1), 2),
            "BilledCost": qty * price * np.where(regional, REGIONAL_PREMIUM, 1.0),
            "ListCost": qty * price,
            "ListUnitPrice": price * 1000,
            "ConsumedQuantity": qty,
            "ConsumedUnit": "Tokens",
            "PricingQuantity": qty / 1000,
            "PricingUnit": "1K Tokens",
            "ServiceName": "Amazon Bedrock",
            "ServiceCategory": "AI and Machine Learning",
            "SkuId": "BDRK-C35H-" + way.str.upper(),
            "SkuMeter": "USE1-Claude3.5Haiku-" + way + "-tokens",
            "ChargeDescription": "Claude 3.5 Haiku " + way + " tokens",
            "ResourceId": "arn:aws:bedrock:us-east-1::foundation-model/"
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "Tags": json.dumps({"team": "claims", "application": "claims-intake"}),
        }
    )


def _focus_other(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Charges that are not tokens: GPU and storage by month, and one credit."""
    months = pd.Series(dates).groupby(dates.tz_localize(None).to_period("M"))
    day, end = months.min().to_numpy(), months.max().to_numpy() + pd.Timedelta(days=1)
    hours = (end - day) / pd.Timedelta(hours=1)
    gpu = pd.DataFrame(
        {
            "day": day,
            "end": end,
            "ConsumedQuantity": hours,
            "ConsumedUnit": "Hours",
            "BilledCost": hours * 1.006,
            "ServiceCategory": "Compute",
            "ServiceName": "Amazon Elastic Compute Cloud",
            "SkuMeter": "USE1-BoxUsage:g5.xlarge",
            "ResourceId": "i-0a1b2c3d4e5f60789",
            "Tags": json.dumps({"team": "platform", "application": "model-serving"}),
        }
    )
    storage = pd.DataFrame(
        {
            "day": day,
            "end": end,
            "ConsumedQuantity": 2_048 * hours / 720,
            "ConsumedUnit": "GB-Mo",
            "BilledCost": 2_048 * hours / 720 * 0.023,
            "ServiceCategory": "Storage",
            "ServiceName": "Amazon Simple Storage Service",
            "SkuMeter": "USE1-TimedStorage-ByteHrs",
            "ResourceId": "claims-documents",
            "Tags": json.dumps({"team": "claims", "application": "claims-intake"}),
        }
    )
    credit = pd.DataFrame(
        {
            "day": day[-1:],
            "end": day[-1:] + pd.Timedelta(days=1),
            "BilledCost": -150.0,
            "ChargeCategory": "Credit",
            "ServiceName": "Amazon Bedrock",
            "ServiceCategory": "AI and Machine Learning",
            "ChargeDescription": "AWS promotional credit",
        }
    )
    return pd.concat([gpu, storage, credit], ignore_index=True)


def _focus(dates: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Return a FOCUS 1.2 export of the AWS account that runs Bedrock."""
    f = pd.concat([_focus_tokens(dates, rng), _focus_other(dates)], ignore_index=True)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    month = f.day.dt.tz_localize(None).dt.to_period("M")
    f = f.assign(
        BillingAccountId="123456789012",
        SubAccountId="210987654321",
        SubAccountName="claims-processing",
        BillingPeriodStart=month.dt.start_time.dt.strftime(iso),
        BillingPeriodEnd=(month + 1).dt.start_time.dt.strftime(iso),
        ChargePeriodStart=f.day.dt.strftime(iso),
        ChargePeriodEnd=f.end.dt.strftime(iso),
        ChargeCategory=f.ChargeCategory.fillna("Usage"),
        ChargeClass=None,
        EffectiveCost=f.BilledCost,
        ListCost=np.where(
            f.ChargeCategory == "Credit", 0.0, f.ListCost.fillna(f.BilledCost)
        ),
        BillingCurrency="USD",
        ProviderName="AWS",
        RegionId="us-east-1",
    )
    return f[
        [
            "BillingAccountId",
            "SubAccountId",
            "SubAccountName",
            "BillingPeriodStart",
            "BillingPeriodEnd",
            "ChargePeriodStart",
            "ChargePeriodEnd",
            "ChargeCategory",
            "ChargeClass",
            "ChargeDescription",
            "BilledCost",
            "EffectiveCost",
            "ListCost",
            "ListUnitPrice",
            "BillingCurrency",
            "ConsumedQuantity",
            "ConsumedUnit",
            "PricingQuantity",
            "PricingUnit",
            "ProviderName",
            "ServiceCategory",
            "ServiceName",
            "RegionId",
            "ResourceId",
            "SkuId",
            "SkuMeter",
            "Tags",
        ]
    ]


@dataclass(frozen=True)
class Demo:
    """The demo organisation's data, generated but not yet written."""

    seed: int
    dates: pd.DatetimeIndex
    log: pd.DataFrame
    openai: dict
    focus: pd.DataFrame
    agents: Agents


def generate_demo(seed: int = 7, days: int = 90, end: date | None = None) -> Demo:
    """Generate the demo organisation's workloads from a seed.

    Raises
    ------
    ParameterError
        ``days`` is less than 1.
    """
    if days < 1:
        raise ParameterError(f"days={days!r}: expected a whole number of days >= 1")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(
        end=pd.Timestamp(end or DEFAULT_END), periods=days, freq="D", tz="UTC"
    )
    # One generator drawn in a fixed order: each workload after the last.
    log = _request_log(dates, rng)
    openai = _openai_usage(dates, rng)
    focus = _focus(dates, rng)
    return Demo(seed, dates, log, openai, focus, agent_frames(dates, seed, rng))


def write_demo(
    out_dir: Path, seed: int = 7, days: int = 90, end: date | None = None
) -> list[Path]:
    """Write the demo organisation's usage exports into a folder.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing. Existing demo files are
        replaced.
    seed
        Random seed; the same seed, days and end give identical files.
    days
        Number of UTC days covered, ending on ``end``.
    end
        Last day covered; :data:`DEFAULT_END` when None.

    Returns
    -------
    list of Path
        The files written, named as in :data:`DEMO_FILES`.

    Raises
    ------
    ParameterError
        ``days`` is less than 1.

    Notes
    -----
    The Bedrock rows are priced at :data:`BEDROCK_PRICES` and the Anthropic
    cost report carries money; the other files carry tokens only and are
    priced by the pricing engine (Claude Code's ``cost_usd`` is the client's
    estimate). Beside the exports go the owner rules (:data:`DEMO_OWNERS`),
    the value policy (:data:`DEMO_POLICY`), the fully loaded cost
    assumptions (:data:`tokenlib.demo_loaded.DEMO_ASSUMPTIONS`), and the
    optimisation scenarios and GPU metrics (:mod:`tokenlib.demo_optimise`),
    which are not ingested.
    The OpenAI export is grouped by model and batch only, so its
    ``project_id`` is null; ingest it with
    ``set_values={"project": "marketing-copy"}`` to name the project.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     names = [p.name for p in write_demo(Path(tmp), days=2)]
    >>> names[:3]
    ['requests.parquet', 'openai_usage.json', 'focus_bedrock.csv']
    """
    demo = generate_demo(seed, days, end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in DEMO_FILES]

    # Written in DEMO_FILES order.
    demo.log.to_parquet(paths[0], index=False)
    paths[1].write_text(json.dumps(demo.openai, indent=1))
    demo.focus.to_csv(paths[2], index=False, float_format="%.12g")
    agents = demo.agents
    write_events(agents.events, agents.developers, seed, paths[3])
    write_metrics(metric_points(agents), agents.developers, seed, paths[4])
    calls = agents.requests
    bill = cost_report(demo.log, calls, agents.drift)
    paths[5].write_text(json.dumps(bill, indent=1))
    (out_dir / DEMO_OWNERS).write_text(_owner_rules(agents.developers))
    write_value_files(demo, out_dir)
    write_assumptions(out_dir)
    write_optimisation(out_dir)
    return paths
