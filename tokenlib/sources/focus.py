"""FinOps FOCUS 1.0 to 1.2 cost and usage exports (CSV or Parquet).

Every row is kept: money rows, credits and corrections (negative amounts,
typed by ``ChargeCategory`` and ``ChargeClass``) and, where ``ConsumedUnit``
is a token unit (``Tokens``, ``1K Tokens``, ``1000000 Tokens``), the tokens.
FOCUS has no token-class column; the class is read from the SKU meter or
charge description (input, output, cache read, cache write), and a token
meter that names none is counted as input.
"""

from __future__ import annotations

from ..errors import MissingColumnError
from .base import Check, Field, Plan, quote
from .files import Table

__all__ = ["looks_like_focus", "plan_focus"]

# Current name first, then the names earlier FOCUS versions used.
_ALIASES = {
    "ProviderName": ("ProviderName", "ServiceProviderName"),
    "ChargeCategory": ("ChargeCategory", "ChargeType"),
    "ConsumedQuantity": ("ConsumedQuantity", "UsageQuantity"),
    "ConsumedUnit": ("ConsumedUnit", "UsageUnit"),
    "EffectiveCost": ("EffectiveCost", "AmortizedCost"),
    "RegionId": ("RegionId", "Region"),
}
_REQUIRED = (
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BilledCost",
    "BillingCurrency",
    "ServiceCategory",
    "ServiceName",
    "ChargeCategory",
    "ProviderName",
)
# Columns that identify a charge row, money excluded so restated rows replace.
_KEY = (
    "BillingAccountId",
    "SubAccountId",
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ProviderName",
    "ServiceName",
    "ResourceId",
    "SkuId",
    "SkuPriceId",
    "SkuMeter",
    "RegionId",
    "AvailabilityZone",
    "PricingCategory",
    "CommitmentDiscountId",
    "ChargeDescription",
    "ConsumedUnit",
    "x_UsageType",
    "x_Operation",
    "x_SkuMeterName",
    "Tags",
)
_METER_COLUMNS = ("SkuMeter", "x_SkuMeterName", "x_UsageType", "ChargeDescription")
_TAG_DIMENSIONS = {
    "team": ("team", "Team", "business_unit", "BusinessUnit"),
    "application": ("application", "Application", "app"),
    "environment": ("environment", "Environment", "env"),
    "use_case": ("use_case", "UseCase"),
    "user": ("user", "User"),
    "agent": ("agent", "Agent"),
    "model": ("model", "Model"),
}


def looks_like_focus(columns: dict[str, str]) -> bool:
    """A FOCUS export has BilledCost and ChargePeriodStart."""
    return {"BilledCost", "ChargePeriodStart"} <= set(columns)


def _resolve(columns: dict[str, str]) -> dict[str, str]:
    """Map each FOCUS column name we use to the name present in the file."""
    found = {}
    for name in (
        set(_REQUIRED)
        | set(_KEY)
        | set(_METER_COLUMNS)
        | {
            "EffectiveCost",
            "ListCost",
            "ConsumedQuantity",
            "RegionId",
            "Tags",
            "SubAccountName",
        }
    ):
        for alias in _ALIASES.get(name, (name,)):
            if alias in columns:
                found[name] = alias
                break
    return found


def _text(col: str) -> str:
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def _token_sql(cols: dict[str, str], decimal_comma: bool) -> tuple[str, str]:
    """SQL for (token quantity, token class) of a row; NULL when not tokens."""
    unit = f"lower(trim(CAST({quote(cols['ConsumedUnit'])} AS VARCHAR)))"
    text = _text(quote(cols["ConsumedQuantity"]))
    if decimal_comma:  # the same reading as the engine gives consumed_quantity
        text = (
            f"CASE WHEN {text} LIKE '%,%' AND {text} NOT LIKE '%.%' "
            f"THEN replace({text}, ',', '.') ELSE {text} END"
        )
    qty = f"TRY_CAST({text} AS DOUBLE)"
    block = f"coalesce(TRY_CAST(regexp_extract({unit}, '^([0-9]+)', 1) AS DOUBLE), 1)"
    scale = (
        f"CASE WHEN regexp_full_match({unit}, '([0-9]+ ?)?k tokens?') "
        f"THEN 1000 * {block} "
        f"WHEN regexp_full_match({unit}, '([0-9]+ ?)?m tokens?') "
        f"THEN 1000000 * {block} "
        f"WHEN regexp_full_match({unit}, '([0-9]+ )?tokens?') THEN {block} END"
    )
    tokens = f"CAST(round({qty} * ({scale})) AS BIGINT)"
    meters = [_text(quote(cols[m])) for m in _METER_COLUMNS if m in cols]
    meter = f"lower(concat_ws(' ', {', '.join(meters)}))" if meters else "''"
    # Direction words are tried from the most to the least specific, so
    # "chat completions input tokens" is input.
    cls = (
        f"CASE WHEN regexp_matches({meter}, 'cache[- _]?read|cached|cchd') "
        "THEN 'cache_read' "
        f"WHEN regexp_matches({meter}, 'cache[- _]?(write|creation)') THEN "
        f"(CASE WHEN regexp_matches({meter}, '1h|1 ?hour') THEN 'cache_write_1h' "
        "ELSE 'cache_write_5m' END) "
        f"WHEN regexp_matches({meter}, 'output|outp|generated') THEN 'output' "
        f"WHEN regexp_matches({meter}, 'input|inpt|prompt') THEN 'input' "
        f"WHEN regexp_matches({meter}, 'completion') THEN 'output' "
        "ELSE 'input' END"
    )
    return tokens, cls


def plan_focus(table: Table) -> Plan:
    """Describe how a FOCUS export fills the ledger.

    Raises
    ------
    MissingColumnError
        A column FOCUS requires (and the ledger needs) is absent.
    """
    cols = _resolve(table.columns)
    missing = [c for c in _REQUIRED if c not in cols]
    if missing:
        raise MissingColumnError(
            table.path,
            missing,
            list(table.columns),
            hint="A FOCUS export must carry these columns (FOCUS 1.0 to 1.2); "
            "if this is not a FOCUS file, name its format with --format.",
        )
    q = {name: quote(alias) for name, alias in cols.items()}

    fields = {
        "start": Field("time", column=cols["ChargePeriodStart"], required=True),
        "end": Field("time", column=cols["ChargePeriodEnd"]),
        "billed_cost": Field("money", column=cols["BilledCost"], required=True),
        "currency": Field("text", expr=f"upper({_text(q['BillingCurrency'])})"),
        "provider": Field("text", expr=f"lower({_text(q['ProviderName'])})"),
        "service_category": Field("text", column=cols["ServiceCategory"]),
        "service_name": Field("text", column=cols["ServiceName"]),
        "charge_category": Field("text", column=cols["ChargeCategory"]),
        "grain": Field("text", expr="'bucket'"),
    }
    for ledger, focus in (
        ("effective_cost", "EffectiveCost"),
        ("list_cost", "ListCost"),
        ("consumed_quantity", "ConsumedQuantity"),
    ):
        if focus in cols:
            fields[ledger] = Field(
                "money" if "cost" in ledger else "float", column=cols[focus]
            )
    for ledger, focus in (
        ("charge_class", "ChargeClass"),
        ("sku_id", "SkuId"),
        ("consumed_unit", "ConsumedUnit"),
        ("region", "RegionId"),
        ("project", "SubAccountName"),
    ):
        if focus in cols:
            fields[ledger] = Field("text", column=cols[focus])
    fields["currency"] = Field("text", expr=f"upper({_text(q['BillingCurrency'])})")

    # Tokens, where the consumed unit is a token unit.
    record_type = "'charge'"
    if "ConsumedUnit" in cols and "ConsumedQuantity" in cols:
        tokens, cls = _token_sql(cols, table.decimal_comma)
        for name in (
            "input",
            "cache_read",
            "cache_write_5m",
            "cache_write_1h",
            "output",
        ):
            fields[f"{name}_tokens"] = Field(
                "tokens", expr=f"CASE WHEN {cls} = '{name}' THEN {tokens} END"
            )
        record_type = (
            f"CASE WHEN {tokens} IS NULL THEN 'charge' ELSE 'token_charge' END"
        )
    fields["record_type"] = Field("text", expr=record_type)

    # Tags: kept whole, and the common owner keys lifted into dimensions.
    if "Tags" in cols:
        fields["tags"] = Field("json", column=cols["Tags"])
        tags = f"TRY_CAST({_text(q['Tags'])} AS JSON)"
        for dim, keys in _TAG_DIMENSIONS.items():
            picks = ", ".join(f"json_extract_string({tags}, '$.\"{k}\"')" for k in keys)
            fields[dim] = Field("text", expr=f"coalesce({picks})")

    # Bedrock names the model only in the resource id (foundation-model/ID).
    if "ResourceId" in cols:
        from_resource = (
            f"nullif(regexp_extract({_text(q['ResourceId'])}, "
            "'foundation-model/([^/]+)$', 1), '')"
        )
        tagged = fields["model"].expr if "model" in fields else "NULL"
        fields["model"] = Field("text", expr=f"coalesce({tagged}, {from_resource})")

    # Money needs its currency: amounts without one could be added to any.
    currency = _text(q["BillingCurrency"])
    checks = [
        Check(
            cols["BillingCurrency"],
            currency,
            f"({currency} IS NULL OR NOT regexp_full_match({currency}, "
            "'[A-Za-z]{3}')) AND coalesce(TRY_CAST(replace("
            f"{_text(q['BilledCost'])}, ',', '.') AS DOUBLE), 0) <> 0",
            "money without a three-letter currency code",
        )
    ]

    key = [quote(cols[k]) for k in _KEY if k in cols]
    return Plan(
        source="focus",
        path=table.path,
        relation=table.relation,
        fields=fields,
        key=key,
        checks=checks,
        decimal_comma=table.decimal_comma,
        rejects=table.rejects,
    )
