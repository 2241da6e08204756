"""The price catalogue: list prices from genai-prices, negotiated rates on top.

List prices come from the data genai-prices ships (it is never asked to fetch
newer data). They are laid out as a price book, one row per catalogue model,
service tier, validity period and long-context tier, in US dollars per
million tokens by token class, so that pricing the ledger is a join.

Where the catalogue has no price for a cache class, genai-prices charges those
tokens at the next more general price (a 1-hour cache write at the cache-write
price, a cache write or read at the input price); the book does the same.
Off-peak (time-of-day) discounts are not applied: such rows take the price in
force at noon UTC, the standard rate for the providers that have them.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
from genai_prices import types as gp
from genai_prices.data_snapshot import get_snapshot

from .errors import PriceError
from .schema import PRICED_TOKEN_CLASSES, SERVICE_TIERS

__all__ = [
    "PRICE_BAND",
    "list_price_book",
    "resolve_models",
    "read_negotiated",
]

log = logging.getLogger(__name__)

#: Sane per-million-token price band in any currency; outside it is refused.
PRICE_BAND = (Decimal("0.000001"), Decimal("1000"))

_TIER_CONTEXT = {
    "batch": {"processing": "batch"},
    "priority": {"service_tier": "priority"},
    "flex": {"service_tier": "flex"},
}
_FAR_PAST = date(2000, 1, 1)


def _owner(model: gp.ModelInfo) -> str:
    for provider in get_snapshot().providers:
        if any(m is model for m in provider.models):
            return provider.id
    raise LookupError(model.id)  # every catalogue model has an owner


def _class_prices(mp: gp.ModelPrice) -> dict[str, object] | None:
    """Prices by token class, with genai-prices' fallbacks for cache classes."""
    if mp.input_mtok is None and mp.output_mtok is None:
        return None
    cw = mp.cache_write_mtok if mp.cache_write_mtok is not None else mp.input_mtok
    return {
        "input": mp.input_mtok,
        "cache_read": mp.cache_read_mtok
        if mp.cache_read_mtok is not None
        else mp.input_mtok,
        "cache_write_5m": cw,
        "cache_write_1h": mp.cache_write_1h_mtok
        if mp.cache_write_1h_mtok is not None
        else cw,
        "output": mp.output_mtok,
    }


def _at(price: object, start: int) -> float | None:
    """The per-million price in force for requests whose input exceeds ``start``."""
    if price is None:
        return None
    if isinstance(price, gp.TieredPrices):
        chosen = price.base
        for tier in price.tiers:
            if tier.start <= start:
                chosen = tier.price
        return float(chosen)
    return float(price)


def _breakpoints(model: gp.ModelInfo) -> list[date]:
    starts = set()
    if not isinstance(model.prices, gp.ModelPrice):
        starts |= {
            c.constraint.start_date
            for c in model.prices
            if isinstance(c.constraint, gp.StartDateConstraint)
        }
    for v in model.price_variants or ():
        if isinstance(v.constraint, gp.StartDateConstraint):
            starts.add(v.constraint.start_date)
    return sorted(starts)


def _has_variant(model: gp.ModelInfo, context: dict, when: datetime) -> bool:
    return any(
        v.when == context and (v.constraint is None or v.constraint.active(when))
        for v in model.price_variants or ()
    )


def _model_rows(provider: str, model: gp.ModelInfo) -> list[dict]:
    """Price-book rows of one catalogue model."""
    rows = []
    edges = [None, *_breakpoints(model)]
    for tier in SERVICE_TIERS:
        context = _TIER_CONTEXT.get(tier)
        for i, valid_from in enumerate(edges):
            valid_to = edges[i + 1] if i + 1 < len(edges) else None
            when = datetime.combine(valid_from or _FAR_PAST, time(12), UTC)
            exact = context is None or _has_variant(model, context, when)
            prices = _class_prices(model.get_prices(when, context if exact else None))
            if prices is None:
                continue
            starts = sorted(
                {0}
                | {
                    t.start
                    for p in prices.values()
                    if isinstance(p, gp.TieredPrices)
                    for t in p.tiers
                }
            )
            for j, lo in enumerate(starts):
                rows.append(
                    {
                        "catalogue_provider": provider,
                        "catalogue_model": model.id,
                        "service_tier": tier,
                        "tier_fallback": not exact,
                        "valid_from": valid_from,
                        "valid_to": valid_to,
                        "context_above": lo if j else -1,
                        "context_upto": starts[j + 1] if j + 1 < len(starts) else None,
                        "has_context_tiers": len(starts) > 1,
                        **{c: _at(prices[c], lo) for c in PRICED_TOKEN_CLASSES},
                    }
                )
    return rows


@cache
def _book() -> pd.DataFrame:
    rows = [
        row
        for provider in get_snapshot().providers
        for model in provider.models
        for row in _model_rows(provider.id, model)
    ]
    book = pd.DataFrame(rows)
    too_high = (book[list(PRICED_TOKEN_CLASSES)] > float(PRICE_BAND[1])).any(axis=1)
    for _, row in book[too_high].iterrows():
        log.warning("list price above $1,000/MTok dropped: %s", row["catalogue_model"])
    book = book[~too_high].reset_index(drop=True)
    book["currency"] = "USD"
    return book


def list_price_book() -> pd.DataFrame:
    """Return the list-price book from genai-prices' shipped data.

    Returns
    -------
    pandas.DataFrame
        Columns ``catalogue_provider``, ``catalogue_model``, ``service_tier``,
        ``tier_fallback`` (True where the catalogue has no price for that
        tier and the standard price stands in), ``valid_from`` (inclusive,
        None for the earliest), ``valid_to`` (exclusive, None for open),
        ``context_above`` and ``context_upto`` (the long-context tier applies
        to requests whose input is above the one and at most the other;
        -1 and None for the base tier), ``has_context_tiers``, one column per
        priced token class in USD per million tokens, and ``currency``.
    """
    return _book().copy()


def resolve_models(pairs: pd.DataFrame) -> pd.DataFrame:
    """Resolve reported (provider, model) names to catalogue entries.

    Parameters
    ----------
    pairs
        Frame with columns ``provider`` and ``model`` as reported.

    Returns
    -------
    pandas.DataFrame
        The pairs with ``catalogue_provider``, ``catalogue_model`` (None when
        unknown) and ``resolution``: ``exact``, ``alias`` (a dated snapshot
        or other name the catalogue matches), or ``unknown``.

    Examples
    --------
    >>> pairs = pd.DataFrame({"provider": ["openai", "anthropic", "acme"],
    ...     "model": ["gpt-4o", "claude-3-5-haiku-20241022", "acme-7b"]})
    >>> resolve_models(pairs)["resolution"].tolist()
    ['exact', 'alias', 'unknown']
    """
    snapshot = get_snapshot()
    out = []
    for provider, model in pairs[["provider", "model"]].itertuples(index=False):
        found = None
        if isinstance(model, str) and model:
            for pid in ([provider] if isinstance(provider, str) else []) + [None]:
                try:
                    found = snapshot.find_provider_model(model, None, pid, None)[1]
                    break
                except LookupError:
                    continue
        out.append(
            {
                "provider": provider,
                "model": model,
                "catalogue_provider": _owner(found) if found else None,
                "catalogue_model": found.id if found else None,
                "resolution": "unknown"
                if not found
                else ("exact" if found.id == model.lower() else "alias"),
            }
        )
    return pd.DataFrame(
        out,
        columns=[
            "provider",
            "model",
            "catalogue_provider",
            "catalogue_model",
            "resolution",
        ],
    )


_NEGOTIATED_COLUMNS = (
    "provider",
    "model",
    "token_class",
    "price_per_mtok",
    "currency",
    "valid_from",
    "valid_to",
)


def _fail(path: Path, row: int, column: str, value: object, why: str) -> PriceError:
    return PriceError(f"{path}: row {row}, column {column}: {why} (found {value!r})")


def read_negotiated(path: str | Path) -> pd.DataFrame:
    """Read a negotiated-rates CSV and check every value.

    The file has columns ``provider, model, token_class, price_per_mtok,
    currency, valid_from, valid_to`` and optionally ``service_tier``;
    ``valid_from`` is inclusive, ``valid_to`` exclusive and empty for open.

    Returns
    -------
    pandas.DataFrame
        The same columns, typed, with ``service_tier`` (None = every tier).

    Raises
    ------
    PriceError
        A missing column, unknown token class or tier, unparseable date or
        number, a price outside :data:`PRICE_BAND`, or overlapping periods.
        The message names file, row (1 = first data row) and column.
    """
    path = Path(path)
    if not path.exists():
        raise PriceError(f"{path}: no such price file")
    try:
        frame = duckdb.sql(
            f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)"
        ).df()
    except duckdb.Error as exc:
        raise PriceError(f"{path}: cannot be read as CSV ({exc})") from exc
    missing = [c for c in _NEGOTIATED_COLUMNS if c not in frame.columns]
    if missing:
        raise PriceError(f"{path}: missing column(s) {', '.join(missing)}")
    if "service_tier" not in frame.columns:
        frame["service_tier"] = None
    return _check_negotiated(path, frame)


def _check_negotiated(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, r in enumerate(frame.to_dict("records"), start=1):
        r = {k: None if pd.isna(v) or v == "" else v for k, v in r.items()}
        for col in ("provider", "model", "currency", "valid_from"):
            if not r[col]:
                raise _fail(path, i, col, r[col], "a value is required")
        if not re.fullmatch(r"[A-Z]{3}", r["currency"].strip().upper()):
            raise _fail(
                path,
                i,
                "currency",
                r["currency"],
                "expected a three-letter ISO 4217 code such as USD or EUR",
            )
        if r["token_class"] not in PRICED_TOKEN_CLASSES:
            raise _fail(
                path,
                i,
                "token_class",
                r["token_class"],
                "expected one of " + ", ".join(PRICED_TOKEN_CLASSES),
            )
        if r["service_tier"] not in (None, *SERVICE_TIERS):
            raise _fail(
                path,
                i,
                "service_tier",
                r["service_tier"],
                "expected empty or one of " + ", ".join(SERVICE_TIERS),
            )
        try:
            price = Decimal(str(r["price_per_mtok"]).strip())
        except ArithmeticError:
            raise _fail(
                path, i, "price_per_mtok", r["price_per_mtok"], "not a number"
            ) from None
        if not PRICE_BAND[0] <= price <= PRICE_BAND[1]:
            raise _fail(
                path,
                i,
                "price_per_mtok",
                r["price_per_mtok"],
                "outside the sane band of $0.000001 to $1,000 per million tokens",
            )
        dates = {}
        for col in ("valid_from", "valid_to"):
            try:
                dates[col] = date.fromisoformat(r[col]) if r[col] else None
            except ValueError:
                raise _fail(
                    path, i, col, r[col], "expected a date YYYY-MM-DD"
                ) from None
        if dates["valid_to"] and dates["valid_to"] <= dates["valid_from"]:
            raise _fail(path, i, "valid_to", r["valid_to"], "must be after valid_from")
        rows.append(
            {
                **r,
                **dates,
                "price_per_mtok": float(price),
                "currency": r["currency"].strip().upper(),
                "row": i,
            }
        )
    out = pd.DataFrame(rows, columns=[*_NEGOTIATED_COLUMNS, "service_tier", "row"])
    check_overlaps(path, out)
    return out


def check_overlaps(path: Path, rates: pd.DataFrame, model: str = "model") -> None:
    """Refuse two rates for one model, class and tier in overlapping periods.

    ``model`` names the column that identifies the model: the name as
    written, or the catalogue key once names are resolved (so a dated
    snapshot and its alias count as one model).
    """
    keys = ["provider", model, "token_class", "service_tier"]
    for _, group in rates.fillna({"service_tier": "*"}).groupby(keys):
        group = group.sort_values("valid_from")
        ends = group["valid_to"].tolist()
        for prev_end, (_, nxt) in zip(
            ends[:-1], group.iloc[1:].iterrows(), strict=True
        ):
            if prev_end is None or prev_end > nxt["valid_from"]:
                raise _fail(
                    path,
                    nxt["row"],
                    "valid_from",
                    str(nxt["valid_from"]),
                    "overlaps an earlier period for the same model and class",
                )
