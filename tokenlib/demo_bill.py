"""The demo's Anthropic cost report: every Anthropic token of the demo, billed.

The bill prices each UTC day's tokens, per model, token type and context
window, at the list price in force that day, times the day's drift (the
bill runs 1-3% above the list price on some days: rounding and retries the
clients did not log). Amounts are exact: integer arithmetic, written as
decimal strings in cents with at most ten decimals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .demo_agents import LONG_CONTEXT, SNAPSHOTS, list_prices, long_context_models

__all__ = ["anthropic_tokens", "cost_report"]

#: Ledger token column -> (cost report token_type, description label).
TOKEN_TYPES = {
    "input_tokens": ("uncached_input_tokens", "Input Tokens"),
    "cache_read_tokens": ("cache_read_input_tokens", "Cache Read"),
    "cache_write_5m_tokens": (
        "cache_creation.ephemeral_5m_input_tokens",
        "Cache Write (5m)",
    ),
    "cache_write_1h_tokens": (
        "cache_creation.ephemeral_1h_input_tokens",
        "Cache Write (1h)",
    ),
    "output_tokens": ("output_tokens", "Output Tokens"),
}
_PRICE_OF = {
    "input_tokens": "input",
    "cache_read_tokens": "cache_read",
    "cache_write_5m_tokens": "cache_write_5m",
    "cache_write_1h_tokens": "cache_write_1h",
    "output_tokens": "output",
}
_NAMES = {
    "claude-sonnet-4-5-20250929": "Claude Sonnet 4.5",
    "claude-haiku-4-5-20251001": "Claude Haiku 4.5",
}
#: Prices are whole millionths of a dollar per MTok; amounts are kept in
#: units of 1e-10 cent, so every price in the catalogue is exact.
_MICRO = 10**6


def anthropic_tokens(log: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Every Anthropic request of the demo with its token classes.

    ``log`` is the request log, ``calls`` the Claude Code ``api_request``
    rows. The result has ``day`` (UTC date), ``model`` (dated snapshot),
    ``context_window`` and one column per token class.
    """
    ours = log[log.provider == "anthropic"]
    a = pd.DataFrame(
        {
            "time": (ours.start - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1ms"),
            "model": ours.model.map(SNAPSHOTS).to_numpy(),
            **{c: ours[c].to_numpy() for c in TOKEN_TYPES},
        }
    )
    b = pd.DataFrame(
        {
            "time": calls.time.to_numpy(),
            "model": calls.model.to_numpy(),
            "input_tokens": calls.input_tokens.to_numpy(),
            "cache_read_tokens": calls.cache_read_tokens.to_numpy(),
            "cache_write_5m_tokens": calls.cache_creation_tokens.to_numpy(),
            "cache_write_1h_tokens": 0,
            "output_tokens": calls.output_tokens.to_numpy(),
        }
    )
    t = pd.concat([a, b], ignore_index=True)
    prompt = t[list(TOKEN_TYPES)[:4]].sum(axis=1)
    long = (prompt > LONG_CONTEXT) & t.model.isin(long_context_models(t.model))
    t["context_window"] = np.where(long, "200k-1M", "0-200k")
    t["day"] = pd.to_datetime(t.time, unit="ms").dt.date
    return t


def _amounts(lines: pd.DataFrame) -> pd.Series:
    """Cents as decimal strings: tokens x micro-price x drift, exactly."""
    n = (
        lines.tokens.astype(object)
        * lines.micro.astype(object)
        * lines.drift.astype(object)
    )
    # tokens x $1e-6/MTok x 1/1000 = 1e-13 cents; rounded to 1e-10 cents.
    units = (n + 500) // 1000
    whole = (units // 10**10).astype(str)
    frac = (units % 10**10).astype(str).str.zfill(10).str.rstrip("0")
    return whole + np.where(frac == "", "", "." + frac)


def cost_report(log: pd.DataFrame, calls: pd.DataFrame, drift: pd.Series) -> dict:
    """Return a cost report page grouped by description, one bucket a day."""
    t = anthropic_tokens(log, calls)
    key = ["day", "model", "context_window"]
    g = t.groupby(key, as_index=False)[list(TOKEN_TYPES)].sum()
    g["time"] = pd.to_datetime(g.day).astype("datetime64[ms]").astype(np.int64)
    g["request_input"] = np.where(g.context_window == "0-200k", 0, LONG_CONTEXT + 1)
    prices = list_prices(g)
    lines = g.melt(id_vars=key, value_vars=list(TOKEN_TYPES), var_name="column")
    lines = lines[lines.value > 0].rename(columns={"value": "tokens"})
    price = prices.reindex(columns=list(_PRICE_OF.values()))
    price.columns = list(_PRICE_OF)
    price = pd.concat([g[key], price], axis=1).melt(id_vars=key, var_name="column")
    lines = lines.merge(
        price.rename(columns={"value": "per_mtok"}), on=[*key, "column"]
    )
    lines["micro"] = np.round(lines.per_mtok * _MICRO).astype(np.int64)
    if not np.allclose(lines.micro, lines.per_mtok * _MICRO, rtol=0, atol=1e-6):
        raise ValueError("a list price finer than $0.000001/MTok")
    days = pd.Series(drift.to_numpy(), index=drift.index.date)
    lines["drift"] = lines.day.map(days).astype(np.int64)
    lines["amount"] = _amounts(lines)
    kind = lines.column.map(TOKEN_TYPES)
    long = np.where(lines.context_window == "200k-1M", " (Long Context)", "")
    lines = lines.assign(
        currency="USD",
        cost_type="tokens",
        token_type=kind.str[0],
        description=lines.model.map(_NAMES) + " Usage - " + kind.str[1] + long,
        service_tier="standard",
        inference_geo=None,
        workspace_id=None,
    ).sort_values([*key, "column"], kind="stable")
    fields = [
        "amount",
        "currency",
        "cost_type",
        "token_type",
        "description",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
        "workspace_id",
    ]
    data = []
    for day in drift.index:
        rows = lines[lines.day == day.date()]
        data.append(
            {
                "starting_at": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ending_at": (day + pd.Timedelta(days=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "results": rows[fields].to_dict("records"),
            }
        )
    return {"data": data, "has_more": False, "next_page": None}
