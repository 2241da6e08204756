"""Price the ledger and settle which money is the money of record.

:func:`price_ledger` registers two temporary views on a ledger connection:

``priced``
    Every ledger row with its catalogue resolution, the per-class prices in
    force on the row's UTC date for its service tier and long-context tier,
    and ``computed_cost`` (tokens x price) in ``computed_currency``. A row
    whose model has no price has ``computed_cost`` NULL, never zero.
``spend``
    ``priced`` restricted to a period and scope, with the reporting-zone
    ``day`` and the cost basis: ``cost`` in ``cost_currency``, ``basis``
    saying where it came from, and ``counted`` telling whether the row's
    tokens count (token charges on a provider-day that also has usage rows
    are the money for that usage, not more tokens).

Money of record: where a provider's token charges (FOCUS rows metered in
tokens, cost exports) exist for a UTC day, they are the money for that day
and priced usage splits them in proportion to computed cost; elsewhere the
cost is the priced usage. Charges are taken at EffectiveCost (amortised),
falling back to BilledCost; ``billed_cost`` stays available for invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd
import yaml

from .attribution import Owners, owner_columns, tag_sql
from .errors import ParameterError, PriceError
from .ledger import ledger_relation
from .prices import check_overlaps, list_price_book, read_negotiated, resolve_models
from .schema import PRICED_TOKEN_CLASSES, SERVICE_TIERS
from .sources.base import literal

__all__ = ["AI_CATEGORY", "Scope", "price_ledger", "read_scope_rules"]

AI_CATEGORY = "AI and Machine Learning"
_C = PRICED_TOKEN_CLASSES


@dataclass(frozen=True)
class Scope:
    """Which rows count as AI spend.

    Rows from usage sources (no ServiceCategory) are always AI. Bill rows are
    AI when their ServiceCategory is "AI and Machine Learning", or their
    service, SKU or a tag matches a rule the user adds (GPU instances and
    vector stores that serve AI, say). ``all`` keeps the whole bill.
    """

    mode: str = "ai"
    services: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def sql(self) -> str:
        """Return the SQL condition selecting in-scope ledger rows."""
        if self.mode == "all":
            return "true"
        if self.mode != "ai":
            raise ParameterError(f"--scope {self.mode}: expected ai or all")
        parts = [
            "service_category IS NULL",
            f"service_category = {literal(AI_CATEGORY)}",
        ]
        if self.services:
            parts.append(f"service_name IN ({', '.join(map(literal, self.services))})")
        if self.skus:
            parts.append(f"sku_id IN ({', '.join(map(literal, self.skus))})")
        for key, pattern in self.tags.items():
            glob = literal(pattern.replace("[", "[[]"))
            parts.append(f"{tag_sql(key)} GLOB {glob}")
        return "(" + " OR ".join(parts) + ")"


def read_scope_rules(path: str | Path | None, mode: str = "ai") -> Scope:
    """Read AI-scope rules from YAML (``services``, ``skus``, ``tags``)."""
    if path is None:
        return Scope(mode)
    path = Path(path)
    try:
        rules = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError(f"{path}: cannot read scope rules ({exc})") from exc
    unknown = set(rules) - {"services", "skus", "tags"}
    if unknown:
        raise ParameterError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; "
            "expected services, skus, tags"
        )
    return Scope(
        mode,
        tuple(rules.get("services") or ()),
        tuple(rules.get("skus") or ()),
        dict(rules.get("tags") or {}),
    )


def check_zone(tz: str) -> str:
    """Return ``tz`` if it is an IANA time zone name, else raise."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            f"time zone {tz!r} is unknown; use an IANA name such as UTC or Europe/Paris"
        ) from None
    return tz


def _register_prices(
    con: duckdb.DuckDBPyConnection, negotiated: str | Path | None
) -> None:
    """Create temp tables model_map, price_book and negotiated_rates."""
    pairs = con.execute(
        "SELECT DISTINCT provider, model FROM ledger WHERE model IS NOT NULL"
    ).df()
    rates = read_negotiated(negotiated) if negotiated else None
    pairs_in_ledger = set(pairs.itertuples(index=False, name=None))
    if rates is not None:
        pairs = pd.concat([pairs, rates[["provider", "model"]]]).drop_duplicates()
    mm = resolve_models(pairs)
    mm["model_key"] = mm["catalogue_provider"] + "/" + mm["catalogue_model"]
    raw = "raw:" + mm["provider"].fillna("") + "/" + mm["model"].fillna("")
    mm["model_key"] = mm["model_key"].fillna(raw)
    con.register("_mm", mm)
    con.execute("CREATE OR REPLACE TEMP TABLE model_map AS SELECT * FROM _mm")

    book = list_price_book()
    book["model_key"] = book["catalogue_provider"] + "/" + book["catalogue_model"]
    used = book[book["model_key"].isin(set(mm["model_key"]))]
    con.register("_book", used)
    con.execute("CREATE OR REPLACE TEMP TABLE price_book AS SELECT * FROM _book")

    if rates is None:
        rates = pd.DataFrame(
            columns=[
                "model_key",
                "token_class",
                "service_tier",
                "valid_from",
                "valid_to",
                "price_per_mtok",
                "currency",
            ]
        )
    else:
        rates = rates.merge(
            mm[["provider", "model", "model_key", "resolution"]],
            on=["provider", "model"],
        )
        _check_rate_models(Path(negotiated), rates, pairs_in_ledger)
        check_overlaps(Path(negotiated), rates, model="model_key")
        rates = _expand_tiers(rates)
    con.register("_rates", rates)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE negotiated_rates AS "
        "SELECT model_key, token_class, "
        "service_tier, CAST(valid_from AS DATE) AS valid_from, "
        "CAST(valid_to AS DATE) AS valid_to, CAST(price_per_mtok AS DOUBLE) AS price, "
        "currency FROM _rates"
    )
    for name in ("_mm", "_book", "_rates"):
        con.unregister(name)


def _check_rate_models(path: Path, rates: pd.DataFrame, in_ledger: set) -> None:
    """Refuse a rate whose model neither the catalogue nor the ledger knows."""
    for r in rates.itertuples(index=False):
        if r.resolution == "unknown" and (r.provider, r.model) not in in_ledger:
            raise PriceError(
                f"{path}: row {r.row}, column model: {r.model!r} of {r.provider!r} "
                "matches no model in the price catalogue or the ledger; "
                "check the spelling"
            )


def _expand_tiers(rates: pd.DataFrame) -> pd.DataFrame:
    """Rates with no tier apply to every tier without a tier-specific rate."""
    specific = rates[rates["service_tier"].notna()]
    taken = set(
        zip(
            specific["model_key"],
            specific["token_class"],
            specific["service_tier"],
            strict=True,
        )
    )
    rows = [specific]
    for tier in SERVICE_TIERS:
        anyt = rates[rates["service_tier"].isna()].assign(service_tier=tier)
        keep = [
            (k, c, tier) not in taken
            for k, c in zip(anyt["model_key"], anyt["token_class"], strict=True)
        ]
        rows.append(anyt[keep])
    return pd.concat(rows, ignore_index=True)


# A price row in force for ledger row {r}: same model and tier, the row's
# UTC date inside the validity, and (for the book) the request's input
# inside the long-context tier.
_IN_FORCE = (
    "{a}.model_key = {r}.model_key AND {a}.service_tier = {tier} "
    "AND ({a}.valid_from IS NULL OR {a}.valid_from <= {r}.price_date) "
    "AND ({a}.valid_to IS NULL OR {r}.price_date < {a}.valid_to)"
)
_CONTEXT = (
    " AND {r}.request_input > {a}.context_above "
    "AND ({a}.context_upto IS NULL OR {r}.request_input <= {a}.context_upto)"
)


def standard_cost_sql(row: str) -> tuple[str, str]:
    """Return (join, expression) pricing ledger row ``row`` at the standard tier.

    Used to value batch and other tiers against the standard list price.
    """
    join = "LEFT JOIN price_book sp ON " + (_IN_FORCE + _CONTEXT).format(
        a="sp", r=row, tier="'standard'"
    )
    cost = " + ".join(f"{row}.{c}_tokens * sp.{c}" for c in _C)
    return join, f"({cost}) / 1e6"


#: Aggregated telemetry that the same producer's per-request records make
#: redundant: (aggregate source, per-request source, the keys on which a
#: per-request row covers an aggregate row, the keys used instead when the
#: first key is empty). Claude Code's metrics and events describe the same
#: API calls; so do GenAI metrics and spans of one service.
SUPERSEDED = (
    ("claude_code_metrics", "claude_code_events", ("session",), ("user", "day")),
    ("otel_genai_metrics", "otel_genai_spans", ("application", "day"), None),
)


def _covered(agg: str, fine: str, keys: tuple[str, ...], ledger: str) -> str:
    """SQL: row ``l`` has the same ``keys`` as some row of source ``fine``."""
    expr = {
        "day": "CAST({t}.start AS DATE)",
        "user": "coalesce({t}.\"user\", '')",
        "session": "{t}.session",
        "application": "coalesce({t}.application, '')",
    }
    mine = ", ".join(expr[k].format(t="l") for k in keys)
    theirs = ", ".join(expr[k].format(t="f") for k in keys)
    return (
        f"({mine}) IN (SELECT ({theirs}) FROM {ledger} f "
        f"WHERE f.source = {literal(fine)})"
    )


def counted_ledger_sql(sources: set[str], ledger: str = "ledger") -> str:
    """SQL of the ledger rows that count: superseded telemetry left out.

    Aggregated telemetry (Claude Code metrics, GenAI metrics) gives way to
    the same producer's per-request records: a Claude Code metric row of a
    session with API-request events, or (without a session) of a user-day
    with events; a GenAI metric row of a service-day with spans. Only the
    pairs of sources both present are checked, so a ledger without
    telemetry is read as it is. The matches are hash joins on equal keys.
    """
    drops = []
    for agg, fine, keys, fallback in SUPERSEDED:
        if agg not in sources or fine not in sources:
            continue
        covered = _covered(agg, fine, keys, ledger)
        if fallback:
            first = keys[0]
            covered = (
                f"CASE WHEN l.{first} IS NOT NULL THEN {covered} "
                f"ELSE {_covered(agg, fine, fallback, ledger)} END"
            )
        drops.append(f"NOT (l.source = {literal(agg)} AND coalesce({covered}, false))")
    if not drops:
        return ledger
    return f"(SELECT * FROM {ledger} l WHERE {' AND '.join(drops)})"


def _priced_sql(with_negotiated: bool, ledger: str = "ledger") -> str:
    """SQL of the priced view: ledger rows with prices and computed cost."""
    tokens = {c: f"r.{c}_tokens" for c in _C}
    in_force = _IN_FORCE.replace("{r}", "r")
    joins = [
        "LEFT JOIN price_book lp ON "
        + (_IN_FORCE + _CONTEXT).format(a="lp", r="r", tier="r.price_tier"),
    ]
    price, cur = {}, {}
    for c in _C:
        if with_negotiated:
            joins.append(
                f"LEFT JOIN negotiated_rates n_{c} ON n_{c}.token_class = '{c}' AND "
                + in_force.format(a=f"n_{c}", tier="r.price_tier")
            )
            price[c] = f"coalesce(n_{c}.price, lp.{c})"
            cur[c] = (
                f"CASE WHEN n_{c}.price IS NOT NULL THEN n_{c}.currency "
                f"WHEN lp.{c} IS NOT NULL THEN 'USD' END"
            )
        else:
            price[c] = f"lp.{c}"
            cur[c] = f"CASE WHEN lp.{c} IS NOT NULL THEN 'USD' END"
    first_cur = f"coalesce({', '.join(cur[c] for c in _C)})"
    mixed = " OR ".join(
        f"({tokens[c]} <> 0 AND {cur[c]} IS DISTINCT FROM {first_cur})" for c in _C
    )
    missing = " OR ".join(f"({tokens[c]} <> 0 AND {price[c]} IS NULL)" for c in _C)
    amount = " + ".join(f"{tokens[c]} * coalesce({price[c]}, 0)" for c in _C)
    negotiated_used = (
        " OR ".join(f"n_{c}.price IS NOT NULL" for c in _C)
        if with_negotiated
        else "false"
    )
    return f"""
    WITH r AS (
      SELECT l.*, coalesce(mm.model_key,
               'raw:' || coalesce(l.provider, '') || '/' || coalesce(l.model, ''))
               AS model_key,
             mm.catalogue_model,
             coalesce(mm.resolution, CASE WHEN l.model IS NULL THEN 'no model'
                                          ELSE 'unknown' END) AS resolution,
             CASE WHEN l.service_tier IN ('batch', 'priority', 'flex')
                  THEN l.service_tier ELSE 'standard' END AS price_tier,
             CAST(l.start AS DATE) AS price_date,
             CASE WHEN l.grain = 'request' THEN l.input_tokens + l.cache_read_tokens
                  + l.cache_write_5m_tokens + l.cache_write_1h_tokens ELSE 0 END
               AS request_input
      FROM {ledger} l LEFT JOIN model_map mm
        ON coalesce(l.provider, '') = coalesce(mm.provider, '')
       AND l.model = mm.model
    )
    SELECT r.*,
      {", ".join(f"{price[c]} AS {c}_price" for c in _C)},
      CASE WHEN r.record_type = 'charge' OR ({missing}) OR ({mixed}) THEN NULL
           ELSE ({amount}) / 1e6 END AS computed_cost,
      CASE WHEN r.record_type = 'charge' OR ({missing}) OR ({mixed}) THEN NULL
           ELSE coalesce({first_cur}, 'USD') END AS computed_currency,
      CASE WHEN {negotiated_used} THEN 'negotiated'
           WHEN lp.input IS NOT NULL THEN 'list' END AS price_origin,
      nullif(concat_ws(',',
        CASE WHEN lp.tier_fallback
             THEN r.price_tier || ' price missing: standard used' END,
        CASE WHEN r.grain = 'bucket' AND lp.has_context_tiers
             THEN 'bucketed: long-context tier unknown, base price used' END,
        CASE WHEN {mixed} THEN 'prices in more than one currency' END), '')
        AS price_flag
    FROM r {" ".join(joins)}
    """


def _spend_sql(
    scope: Scope, tz: str, start: date | None, end: date | None, bills: bool
) -> str:
    """SQL of the spend view: cost basis, reporting day, period and scope.

    ``bills`` says whether the ledger holds token charges; without them no
    usage is covered by a bill, and the matching steps are left out.
    """
    # Scope applies before bills are matched to usage: a bill outside the
    # scope covers nothing. The period applies last, on reporting days.
    period = ["true"]
    if start:
        period.append(f"day >= DATE {literal(start.isoformat())}")
    if end:
        period.append(f"day < DATE {literal(end.isoformat())}")
    money = "coalesce(k.effective_cost, k.billed_cost)"
    # The connection works in UTC, so a UTC day needs no zone conversion.
    day = (
        "CAST(start AS DATE)"
        if tz == "UTC"
        else f"CAST(timezone({literal(tz)}, start) AS DATE)"
    )
    same = (
        "{a}.provider IS NOT DISTINCT FROM {b}.provider "
        "AND {a}.utc_day = {b}.utc_day AND {a}.ck = {b}.ck"
    )
    if not bills:
        return f"""
    SELECT *, {day} AS day, CAST(start AS DATE) AS utc_day,
      CAST(NULL AS VARCHAR) AS ck,
      CAST(NULL AS DECIMAL(38, 12)) AS charge_total,
      CAST(NULL AS VARCHAR) AS charge_currency,
      CASE WHEN record_type = 'charge'
           THEN coalesce(effective_cost, billed_cost)
           ELSE computed_cost END AS cost,
      CASE WHEN record_type = 'charge' THEN currency
           ELSE computed_currency END AS cost_currency,
      CASE WHEN record_type = 'charge' THEN 'charge'
           WHEN computed_cost IS NOT NULL THEN 'priced ' || price_origin
           ELSE 'unpriced' END AS basis,
      true AS counted
    FROM priced WHERE {scope.sql()} AND {" AND ".join(period)}
    """
    return f"""
    WITH p AS NOT MATERIALIZED (
      SELECT *, {day} AS day,
             CAST(start AS DATE) AS utc_day,
             CASE WHEN record_type = 'token_charge'
                  THEN CASE WHEN model IS NULL THEN '*' ELSE model_key END
                  WHEN record_type = 'usage' THEN model_key END AS ck
      FROM priced WHERE {scope.sql()}
    ),
    -- Bills for tokens, by provider, UTC day and model where they name one.
    g AS (
      SELECT provider, utc_day, ck,
             sum(coalesce(effective_cost, billed_cost)) AS charge_total,
             any_value(currency) AS charge_currency,
             count(DISTINCT currency) AS currencies
      FROM p WHERE record_type = 'token_charge' GROUP BY ALL
    ),
    -- Usage falls under its model's bill, else under its provider-day bill.
    k AS NOT MATERIALIZED (
      SELECT p.* REPLACE (
        CASE WHEN p.record_type = 'usage' THEN coalesce(gm.ck, gp.ck)
             ELSE p.ck END AS ck)
      FROM p
      LEFT JOIN g gm ON {same.format(a="gm", b="p")}
      LEFT JOIN g gp ON gp.provider IS NOT DISTINCT FROM p.provider
        AND gp.utc_day = p.utc_day AND gp.ck = '*'
    ),
    uc AS (
      SELECT provider, utc_day, ck, sum(computed_cost) AS priced_usage,
             count(*) AS usage_rows
      FROM k WHERE record_type = 'usage' AND ck IS NOT NULL GROUP BY ALL
    ),
    j AS (
      SELECT k.*, g.charge_total, g.charge_currency,
        coalesce(uc.usage_rows, 0) > 0 AS has_usage,
        coalesce(uc.usage_rows, 0) > 0 AND coalesce(uc.priced_usage, 0) > 0
          AND g.currencies = 1 AS split,
        uc.priced_usage AS cover_priced_usage
      FROM k
      LEFT JOIN g ON {same.format(a="g", b="k")}
      LEFT JOIN uc ON {same.format(a="uc", b="k")}
    ),
    b AS (
      SELECT k.* EXCLUDE (split, has_usage, cover_priced_usage),
        CASE
          WHEN k.record_type = 'charge' THEN {money}
          WHEN k.record_type = 'token_charge' AND k.split THEN 0
          WHEN k.record_type = 'token_charge' THEN {money}
          WHEN k.charge_total IS NOT NULL AND k.split
            THEN k.charge_total * k.computed_cost / k.cover_priced_usage
          WHEN k.charge_total IS NOT NULL THEN 0
          ELSE k.computed_cost
        END AS cost,
        CASE
          WHEN k.record_type IN ('charge', 'token_charge') THEN k.currency
          WHEN k.charge_total IS NOT NULL THEN k.charge_currency
          ELSE k.computed_currency
        END AS cost_currency,
        CASE
          WHEN k.record_type = 'charge' THEN 'charge'
          WHEN k.split THEN 'charge split over usage'
          WHEN k.record_type = 'token_charge' THEN 'charge'
          WHEN k.charge_total IS NOT NULL THEN 'covered by a charge, not split'
          WHEN k.computed_cost IS NOT NULL THEN 'priced ' || k.price_origin
          ELSE 'unpriced'
        END AS basis,
        NOT (k.record_type = 'token_charge' AND k.has_usage) AS counted
      FROM j AS k
    )
    SELECT * FROM b WHERE {" AND ".join(period)}
    """


def price_ledger(
    con: duckdb.DuckDBPyConnection,
    negotiated: str | Path | None = None,
    scope: Scope | None = None,
    tz: str = "UTC",
    start: date | None = None,
    end: date | None = None,
    owners: Owners | None = None,
    pseudonymise: bool = False,
) -> None:
    """Register the ``priced``, ``spend`` and ``in_scope`` views on a ledger
    connection.

    Parameters
    ----------
    con
        Connection from :func:`tokenlib.ledger.open_ledger`.
    negotiated
        Negotiated-rates CSV overriding list prices, or None.
    scope
        Which bill rows are AI spend; default: the AI scope.
    tz
        IANA zone the reporting ``day`` is bucketed in.
    start, end
        Reporting days kept: ``start`` inclusive, ``end`` exclusive.
    owners
        Who owns spend (``owner``, ``owner_basis``, ``shared`` columns);
        owners by team when None.
    pseudonymise
        Show users in ``spend`` as stable pseudonyms (``user-`` and eight
        hex digits, the same for one user in every report on this ledger).
        Owner rules still match the real values.
    """
    check_zone(tz)
    _register_prices(con, negotiated)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE report_params AS SELECT ? AS tz, ? AS scope, "
        'CAST(? AS DATE) AS start, CAST(? AS DATE) AS "end"',
        [tz, (scope or Scope()).mode, start, end],
    )
    sources = {
        r[0] for r in con.execute("SELECT DISTINCT source FROM ledger").fetchall()
    }
    counted = counted_ledger_sql(sources, ledger_relation(con))
    con.execute(
        "CREATE OR REPLACE TEMP VIEW priced AS "
        + _priced_sql(negotiated is not None, counted)
    )
    bills = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM ledger "
        "WHERE record_type = 'token_charge' LIMIT 1)"
    ).fetchone()[0]
    owners = owners or Owners()
    user, tags = '"user"', "tags"
    if pseudonymise:
        user, tags = _pseudonym_sql(con, '"user"'), _pseudonym_tags_sql(con)
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW spend AS
        SELECT * REPLACE ({user} AS "user", {tags} AS tags),
               {owner_columns(owners, user)}
        FROM ({_spend_sql(scope or Scope(), tz, start, end, bool(bills))})"""
    )
    # The split rule travels with the view, for allocate() and summarise().
    con.execute(
        "CREATE OR REPLACE TEMP TABLE owner_params AS SELECT ? AS owners",
        [owners.model_dump_json()],
    )
    # Rows the scope counts as AI spend in any period: the token bill
    # carries them in the period they start in, never as another cost.
    con.execute(
        "CREATE OR REPLACE TEMP VIEW in_scope AS SELECT record_id FROM priced "
        f"WHERE {(scope or Scope()).sql()}"
    )


#: Tags that name a person (LiteLLM's end user): pseudonymised with users.
PERSON_TAGS = ("end_user",)


def _pseudonym_tags_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of ``tags`` with the person tags replaced by pseudonyms."""
    out = "tags"
    for key in PERSON_TAGS:
        value = tag_sql(key)
        out = (
            f"CASE WHEN {value} IS NULL THEN {out} ELSE json_merge_patch({out}, "
            f"json_object({literal(key)}, {_pseudonym_sql(con, value)})) END"
        )
    return out


def _pseudonym_sql(con: duckdb.DuckDBPyConnection, value: str) -> str:
    """SQL showing ``value`` as a pseudonym salted with the ledger's secret."""
    try:
        salt = con.execute("SELECT pseudonym_salt FROM ledger_meta").fetchone()[0]
    except duckdb.CatalogException:
        # A ledger from before the secret, opened read-only: its own content
        # (record ids are hashes of it) stands in, not guessable without it.
        salt = con.execute(
            "SELECT coalesce(CAST(min(record_id) AS VARCHAR), '') || "
            "coalesce(CAST(max(record_id) AS VARCHAR), '') FROM ledger"
        ).fetchone()[0]
    return (
        f"CASE WHEN {value} IS NOT NULL THEN "
        f"'user-' || left(md5({literal(salt)} || {value}), 8) END"
    )
