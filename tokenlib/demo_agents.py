"""The demo organisation's coding agent: Claude Code telemetry and its bill.

A dozen developers pilot Claude Code over the period's last four weeks.
Its OpenTelemetry events (one ``api_request`` per API call, with tool
results, retried errors and redacted prompts) and its delta metrics describe
the same sessions. The Anthropic cost report bills every Anthropic token of
the demo: these sessions and the Anthropic rows of the request log.

Notes
-----
Sonnet requests above 200k input tokens are priced at the long-context
tier. The event file is large (about 40 MB for the four weeks): every log
record repeats the standard attributes, as the real exporter does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .prices import list_price_book, resolve_models

__all__ = [
    "AGENT_FILES",
    "PILOT_DAYS",
    "SNAPSHOTS",
    "Agents",
    "agent_frames",
    "list_prices",
    "long_context_models",
    "metric_points",
]

#: The files the agent workload adds to the demo, in order.
AGENT_FILES = (
    "claude_code_events.jsonl",
    "claude_code_metrics.jsonl",
    "anthropic_cost_report.json",
)
#: Model names as the Anthropic API reports them (dated snapshots).
SNAPSHOTS = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
}
#: Developers per team; None is the unowned share (no team.id).
_DEVELOPERS = {"platform": 4, "web": 3, "mobile": 3, None: 2}
_TERMINALS = np.array(["vscode", "iTerm.app", "cursor", "tmux"])
_VERSIONS = np.array(["2.0.14", "2.0.22", "2.0.31"])
_TOOLS = np.array(["Bash", "Edit", "Read", "Grep"])
#: Context size (input + cache tokens) at which Claude Code compacts.
_COMPACT_AT = 160_000
#: Days, up to the period's end, that the Claude Code pilot runs.
PILOT_DAYS = 28
#: Context that runaway sessions (1M-context model, huge repos) grow to.
_RUNAWAY_CONTEXT = 600_000
#: Input above which the long-context price tier applies (API's "200k-1M").
LONG_CONTEXT = 200_000
#: Event token attribute -> the ``type`` of ``claude_code.token.usage``.
_TOKEN_TYPES = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_tokens": "cacheRead",
    "cache_creation_tokens": "cacheCreation",
}
_CLASSES = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output")


@dataclass(frozen=True)
class Agents:
    """The generated agent workload, before it is written as files.

    ``requests`` has one row per ``api_request`` event (tokens, list-price
    ``cost_usd``); ``events`` every log record; ``drift`` the bill's
    multiplier per UTC day in thousandths (1000 = the list price).
    """

    developers: pd.DataFrame
    sessions: pd.DataFrame
    requests: pd.DataFrame
    events: pd.DataFrame
    drift: pd.Series


def _developers(seed: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per developer: email, team, cost centre, terminal, version."""
    teams = np.repeat(list(_DEVELOPERS), list(_DEVELOPERS.values()))
    n = len(teams)
    devs = pd.DataFrame({"team": rng.permutation(teams)})
    devs["user"] = [f"dev{i:02d}" for i in range(1, n + 1)]
    devs["email"] = devs.user + "@example.com"
    devs["cost_center"] = "cc-" + devs.team + "-01"  # None stays None
    devs["department"] = "engineering"
    devs["terminal"] = _TERMINALS[rng.integers(0, len(_TERMINALS), n)]
    devs["version"] = _VERSIONS[rng.integers(0, len(_VERSIONS), n)]
    devs["user_id"] = [f"{seed}:{u}" for u in devs.user]  # hashed when written
    return devs


def _sessions(
    dates: pd.DatetimeIndex, devs: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per session: developer, start, request count, runaway flag."""
    from .demo import _day_factors

    # Claude Code is a pilot: it runs only over the period's last weeks.
    pilot = np.arange(len(dates)) >= len(dates) - PILOT_DAYS
    rate = np.outer(_day_factors(dates, 0.1) * pilot, np.full(len(devs), 2.0))
    counts = rng.poisson(rate).ravel()  # day-major, then developer
    n = int(counts.sum())
    day = np.repeat(np.repeat(dates.as_unit("ms").asi8, len(devs)), counts)
    dev = np.repeat(np.tile(np.arange(len(devs)), len(dates)), counts)
    hour = np.clip(rng.normal(14.0, 2.5, n), 6, 20)
    runaway = rng.random(n) < 0.02
    size = np.clip(np.round(rng.lognormal(np.log(30), 0.6, n)), 20, 150)
    s = pd.DataFrame(
        {
            "day": day,
            "start": day + (hour * 3.6e6).astype(np.int64),
            "size": np.where(runaway, size * 3, size).astype(np.int64),
            "runaway": runaway,
        }
    )
    s["commits"] = rng.poisson(np.where(runaway, 0.3, 0.8))
    s["pull_requests"] = (s.commits > 0) & (rng.random(n) < 0.2)
    s = pd.concat([s, devs.iloc[dev].reset_index(drop=True)], axis=1)
    s = s.sort_values(["start", "user"], kind="stable", ignore_index=True)
    s["session_no"] = np.arange(n)
    return s


def _context(s: pd.DataFrame, pos: np.ndarray, rng: np.random.Generator) -> dict:
    """Token classes of the main model's calls: the context grows, is read
    back from cache at every call, and is compacted when it gets too big."""
    n = len(pos)
    runaway = s.runaway.to_numpy()
    first = np.flatnonzero(pos == 0)
    sizes = np.diff(np.append(first, n))
    base = np.repeat(np.floor(rng.lognormal(np.log(22_000), 0.25, len(first))), sizes)
    new = np.floor(rng.lognormal(np.log(np.where(runaway, 9_000, 2_200)), 0.8, n))
    grown = np.cumsum(new) - np.repeat(np.cumsum(new)[first] - new[first], sizes)
    room = np.where(runaway, _RUNAWAY_CONTEXT, _COMPACT_AT) - base
    before = np.where(pos == 0, 0, base + np.mod(grown - new, room))
    return {
        "input_tokens": np.floor(rng.lognormal(np.log(12), 1.0, n)),
        "cache_read_tokens": before,
        "cache_creation_tokens": np.where(pos == 0, base, new),
        "output_tokens": np.floor(rng.lognormal(np.log(350), 0.9, n)) + 1,
    }


def _requests(s: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Expand sessions into API calls with times, models and tokens."""
    size = s["size"].to_numpy()
    n = int(size.sum())
    first = np.cumsum(size) - size
    pos = np.arange(n) - np.repeat(first, size)
    r = s.loc[s.index.repeat(size)].reset_index(drop=True)
    r["pos"] = pos

    # Main-model calls carry the session's context; background calls are small.
    tokens = _context(r, pos, rng)
    haiku = (pos > 0) & (rng.random(n) < 0.12)
    r["model"] = np.where(haiku, SNAPSHOTS["claude-haiku-4-5"], "")
    r["model"] = r.model.where(haiku, SNAPSHOTS["claude-sonnet-4-5"])
    small = {
        "input_tokens": np.floor(rng.lognormal(np.log(450), 0.6, n)),
        "cache_read_tokens": np.zeros(n),
        "cache_creation_tokens": np.zeros(n),
        "output_tokens": np.floor(rng.lognormal(np.log(30), 0.5, n)) + 1,
    }
    for name in tokens:
        r[name] = np.where(haiku, small[name], tokens[name]).astype(np.int64)
    r["duration_ms"] = np.floor(
        np.where(haiku, 600, 4_000) * rng.lognormal(0, 0.5, n) + r.output_tokens * 12
    ).astype(np.int64)

    # Failed attempts before a call succeeds; runaway sessions hit limits.
    r["retries"] = rng.binomial(3, np.where(r.runaway, 0.08, 0.012))
    step = np.cumsum(
        rng.exponential(35_000, n) + 2_000 * r.retries.to_numpy() + r.duration_ms
    ).to_numpy()
    elapsed = (step - np.repeat(step[first], size)).astype(np.int64)
    r["time"] = np.minimum(r.start + elapsed, r.day + 86_399_000)
    r["request_id"] = "req_" + pd.Series(np.arange(n)).astype(str).str.zfill(9)
    return r


def list_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """Return each row's standard list price per token class, USD per MTok.

    ``frame`` has columns ``model`` (Anthropic names), ``time`` (ms since
    the epoch, UTC) and ``request_input`` (input plus cache tokens). The
    result has one column per class, index aligned with ``frame``.
    """
    book = list_price_book()
    book = book[
        (book.catalogue_provider == "anthropic") & (book.service_tier == "standard")
    ]
    models = frame.model.drop_duplicates()
    names = resolve_models(pd.DataFrame({"provider": "anthropic", "model": models}))
    rows = frame[["model", "time", "request_input"]].reset_index(names="row")
    rows = rows.merge(names[["model", "catalogue_model"]], on="model")
    rows = rows.merge(book, on="catalogue_model")
    day = pd.to_datetime(rows.time, unit="ms").dt.date
    keep = (
        (rows.valid_from.isna() | (rows.valid_from <= day))
        & (rows.valid_to.isna() | (day < rows.valid_to))
        & (rows.request_input > rows.context_above)
        & (rows.context_upto.isna() | (rows.request_input <= rows.context_upto))
    )
    prices = rows[keep].set_index("row")[list(_CLASSES)]
    if len(prices) != len(frame) or not prices.index.is_unique:
        raise LookupError("no single list price for every demo request")
    return prices.sort_index().set_axis(frame.index)


def long_context_models(models: pd.Series) -> set[str]:
    """The Anthropic model names whose list price has a long-context tier."""
    book = list_price_book()
    tiered = set(book[book.has_context_tiers].catalogue_model)
    names = resolve_models(
        pd.DataFrame({"provider": "anthropic", "model": models.drop_duplicates()})
    )
    return set(names[names.catalogue_model.isin(tiered)].model)


def _cost_usd(r: pd.DataFrame) -> pd.Series:
    """Claude Code's own estimate: tokens at list price (5-minute cache)."""
    inp = r.input_tokens + r.cache_read_tokens + r.cache_creation_tokens
    p = list_prices(r.assign(request_input=inp))
    return (
        r.input_tokens * p.input
        + r.cache_read_tokens * p.cache_read
        + r.cache_creation_tokens * p.cache_write_5m
        + r.output_tokens * p.output
    ) / 1e6


def _events(r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Every log record: prompts, errors, API calls and tool results."""
    n = len(r)
    keep = ["session_no", "user", "day", "time", "model"]
    calls = r[[*keep, "request_id", "duration_ms", "cost_usd"]].assign(
        event="api_request",
        **{c: r[c] for c in ("input_tokens", "output_tokens")},
        cache_read_tokens=r.cache_read_tokens,
        cache_creation_tokens=r.cache_creation_tokens,
    )
    # A user prompt opens the session and then about one call in six.
    asked = (r.pos == 0) | (rng.random(n) < 1 / 6)
    prompts = r.loc[asked, keep].assign(
        event="user_prompt",
        time=lambda f: f.time - 1_500,
        prompt_length=np.floor(rng.lognormal(np.log(180), 1.0, n))[asked],
        model=None,
    )
    # Each failed attempt is an error before the call that finally worked.
    tries = r.loc[r.index.repeat(r.retries), keep]
    attempt = tries.groupby(level=0).cumcount().to_numpy() + 1
    errors = tries.assign(
        event="api_error",
        time=tries.time - 2_000 * (r.retries[tries.index] - attempt + 1) - 500,
        attempt=attempt,
        status_code=np.where(rng.random(len(tries)) < 0.7, 529, 429),
        duration_ms=np.floor(rng.lognormal(np.log(900), 0.4, len(tries))),
    )
    errors["error"] = np.where(
        errors.status_code == 529, "Overloaded", "Rate limit exceeded"
    )
    # Most main-model calls end in a tool call whose result is logged.
    used = (rng.random(n) < 0.5) & (r.model == SNAPSHOTS["claude-sonnet-4-5"])
    tools = r.loc[used, keep].assign(
        event="tool_result",
        model=None,
        tool_name=_TOOLS[rng.choice(4, n, p=[0.35, 0.3, 0.25, 0.1])][used],
        success=np.where(rng.random(n) < 0.94, "true", "false")[used],
        duration_ms=np.floor(rng.lognormal(np.log(400), 1.1, n))[used],
    )
    tools["error"] = np.where(
        tools.success == "true",
        None,
        np.where(tools.tool_name == "Edit", "String to replace not found", "Exit 1"),
    )
    tools["time"] = tools.time + r.duration_ms[used] + 200
    tools["lines_added"] = np.where(
        (tools.tool_name == "Edit") & (tools.success == "true"),
        np.floor(rng.lognormal(np.log(14), 0.9, len(tools))),
        0,
    )
    tools["lines_removed"] = np.floor(
        tools.lines_added * rng.uniform(0, 0.6, len(tools))
    )
    ev = pd.concat([prompts, errors, calls, tools], ignore_index=True)
    ev["time"] = np.maximum(ev.time.astype(np.int64), ev.day)
    ev = ev.sort_values(["session_no", "time"], kind="stable", ignore_index=True)
    ev["sequence"] = ev.groupby("session_no").cumcount() + 1
    return ev


def metric_points(a: Agents) -> pd.DataFrame:
    """Delta metric points per session and hourly export, from the events.

    Token and cost points add up, per session, to the ``api_request`` events.
    """
    ev = a.events.assign(hour=a.events.time // 3_600_000 * 3_600_000)
    key = ["session_no", "user", "hour"]
    calls = ev[ev.event == "api_request"]
    tokens = calls.melt(
        id_vars=[*key, "model"], value_vars=list(_TOKEN_TYPES), var_name="column"
    )
    tokens["type"] = tokens.column.map(_TOKEN_TYPES)
    tokens = tokens.groupby([*key, "model", "type"], as_index=False).value.sum()
    cost = calls.groupby([*key, "model"], as_index=False).cost_usd.sum()
    lines = ev.melt(
        id_vars=key, value_vars=["lines_added", "lines_removed"], var_name="column"
    )
    lines["type"] = lines.column.str.removeprefix("lines_")
    lines = lines.groupby([*key, "type"], as_index=False).value.sum()
    busy = ev[ev.event.isin(["api_request", "tool_result"])]
    active = busy.groupby(key, as_index=False).duration_ms.sum()
    # Sessions count at their first hour; commits and pull requests at the last.
    s = a.sessions
    last = ev.groupby("session_no").hour.max()
    first = s.assign(hour=s.start // 3_600_000 * 3_600_000, value=1)
    done = s.assign(hour=s.session_no.map(last))
    parts = [
        first[[*key, "value"]].assign(metric="session.count"),
        lines.assign(metric="lines_of_code.count"),
        done[[*key]].assign(value=s.commits, metric="commit.count"),
        done[[*key]].assign(
            value=s.pull_requests.astype(int), metric="pull_request.count"
        ),
        active.assign(value=active.duration_ms / 1000, metric="active_time.total"),
        tokens.assign(metric="token.usage"),
        cost.assign(value=cost.cost_usd, metric="cost.usage"),
    ]
    points = pd.concat(parts, ignore_index=True)
    points["metric"] = "claude_code." + points.metric
    points = points[points.value > 0]
    return points[[*key, "metric", "model", "type", "value"]].reset_index(drop=True)


def _drift(dates: pd.DatetimeIndex, rng: np.random.Generator) -> pd.Series:
    """The bill's multiplier per day, in thousandths: 1-3% above on some days."""
    above = rng.random(len(dates)) < 0.4
    extra = rng.integers(10, 31, len(dates))
    return pd.Series(1000 + np.where(above, extra, 0), index=dates, name="drift")


def agent_frames(
    dates: pd.DatetimeIndex, seed: int, rng: np.random.Generator
) -> Agents:
    """Generate the Claude Code workload and the bill's daily drift."""
    devs = _developers(seed, rng)
    sessions = _sessions(dates, devs, rng)
    requests = _requests(sessions, rng)
    requests["cost_usd"] = _cost_usd(requests)
    events = _events(requests, rng)
    return Agents(devs, sessions, requests, events, _drift(dates, rng))
