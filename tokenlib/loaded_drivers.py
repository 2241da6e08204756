"""The eight unmetered cost buckets: their drivers, defaults and formulas.

The token bill is metered; the other eight buckets are not, so each is
modelled from drivers a user can state and defend. This module is the
catalogue: every driver with its unit and documented default, and every
component of a bucket with the formula that turns drivers into a monthly
amount. :mod:`tokenlib.loaded` reads the user's assumptions against it.

Defaults are assumptions, marked as such wherever they are shown; they are
round numbers in the currency of the assumptions file, meant to be
replaced. A driver the ledger can measure (requests, outcomes) defaults to
the measured value. Governance defaults follow the regulatory exposure.

Memo lines are costs the token bill already carries (retries, failed runs,
orchestration overhead tokens) or views of a cost (idle GPU capacity): they
are shown beside the buckets and never added to the total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .period import DAYS_PER_MONTH, HOURS_PER_MONTH
from .selfhost import kv_bytes_per_token as per_token

__all__ = [
    "BUCKETS",
    "COMPONENTS",
    "DRIVERS",
    "MEASURED",
    "MEMOS",
    "Component",
    "DAYS_PER_MONTH",
    "Driver",
    "HOURS_PER_MONTH",
    "kv_bytes_per_token",
    "uses",
]

#: Bucket key -> the name reports use, in the order the waterfall shows.
BUCKETS = {
    "retrieval": "retrieval and data",
    "orchestration": "orchestration",
    "inference_infrastructure": "inference infrastructure",
    "eval_monitoring": "eval and monitoring",
    "governance": "governance",
    "human_labour": "human labour",
    "failure_waste": "failure and waste",
    "integration": "integration and model churn",
}


#: Volumes the ledger measures, per month, that drivers may default to.
MEASURED = {
    "requests": "requests in the ledger",
    "attempted": "outcomes attempted",
    "verified": "outcomes verified",
    "failed": "outcomes failed",
}


@dataclass(frozen=True)
class Driver:
    """One input of the bucket formulas.

    ``default`` is a number, a mapping from regulatory exposure to a number
    (governance), or the name of a measured volume in :data:`MEASURED`.
    """

    label: str
    unit: str
    default: float | str | dict[str, float]


_EXPOSURE = ("low", "medium", "high")


def _by_exposure(low: float, medium: float, high: float) -> dict[str, float]:
    return dict(zip(_EXPOSURE, (low, medium, high), strict=True))


#: Every driver, keyed ``bucket.name``.
DRIVERS: dict[str, Driver] = {
    # retrieval and data
    "retrieval.corpus_mtokens": Driver("corpus size", "M tokens", 500),
    "retrieval.reembed_share": Driver(
        "share of the corpus embedded again each month", "share", 0.10
    ),
    "retrieval.embedding_price": Driver("embedding price", "per M tokens", 0.02),
    "retrieval.vector_store_gb": Driver("vector store size", "GB", 20),
    "retrieval.vector_store_price": Driver("vector store price", "per GB-month", 0.33),
    "retrieval.queries_per_request": Driver(
        "retrieval queries per request", "queries", 1.0
    ),
    "retrieval.query_price": Driver("query price", "per 1,000 queries", 0.016),
    "retrieval.storage_gb": Driver("source documents stored", "GB", 100),
    "retrieval.storage_price": Driver("storage price", "per GB-month", 0.023),
    "retrieval.requests": Driver("requests", "per month", "requests"),
    # orchestration
    "orchestration.tasks": Driver("agent tasks", "per month", "attempted"),
    "orchestration.agents_per_task": Driver("agents per task", "agents", 1.5),
    "orchestration.steps_per_agent": Driver("steps per agent", "steps", 6),
    "orchestration.compute_per_step": Driver(
        "orchestration compute per step", "per step", 0.0005
    ),
    "orchestration.overhead_tokens_per_step": Driver(
        "orchestration tokens per step", "tokens", 800
    ),
    "orchestration.platform": Driver("orchestration platform", "per month", 200),
    # inference infrastructure
    "inference_infrastructure.gpu_hours": Driver(
        "self-hosted GPU hours", "hours per month", 0
    ),
    "inference_infrastructure.gpu_hourly_rate": Driver(
        "GPU hourly rate", "per hour", 1.01
    ),
    "inference_infrastructure.utilisation": Driver("GPU utilisation", "share", 0.35),
    "inference_infrastructure.provisioned_units": Driver(
        "provisioned throughput units", "units", 0
    ),
    "inference_infrastructure.provisioned_hourly_rate": Driver(
        "provisioned throughput rate", "per unit-hour", 0
    ),
    "inference_infrastructure.layers": Driver("model layers", "layers", 32),
    "inference_infrastructure.kv_heads": Driver("KV heads", "heads", 8),
    "inference_infrastructure.head_dim": Driver("head size", "values", 128),
    "inference_infrastructure.bytes_per_value": Driver(
        "KV precision", "bytes per value", 2
    ),
    "inference_infrastructure.context_tokens": Driver(
        "context held per sequence", "tokens", 8192
    ),
    "inference_infrastructure.concurrent_sequences": Driver(
        "concurrent sequences", "sequences", 16
    ),
    # eval and monitoring
    "eval_monitoring.eval_runs": Driver("eval runs", "per month", 20),
    "eval_monitoring.eval_mtokens_per_run": Driver(
        "eval tokens per run", "M tokens", 2
    ),
    "eval_monitoring.eval_price": Driver("eval token price", "per M tokens", 3.0),
    "eval_monitoring.tracing_gb": Driver("tracing volume", "GB per month", 10),
    "eval_monitoring.tracing_ingest_price": Driver(
        "tracing ingest price", "per GB", 0.50
    ),
    "eval_monitoring.retention_months": Driver("trace retention", "months", 3),
    "eval_monitoring.tracing_storage_price": Driver(
        "trace storage price", "per GB-month", 0.03
    ),
    "eval_monitoring.tooling": Driver("eval and monitoring tooling", "per month", 100),
    # governance, by regulatory exposure
    "governance.reviews": Driver(
        "governance reviews", "per month", _by_exposure(1, 4, 12)
    ),
    "governance.hours_per_review": Driver(
        "hours per review", "hours", _by_exposure(2, 4, 6)
    ),
    "governance.hourly_rate": Driver(
        "reviewer rate", "per hour", _by_exposure(120, 120, 120)
    ),
    "governance.audits_per_year": Driver(
        "external audits", "per year", _by_exposure(0, 1, 2)
    ),
    "governance.cost_per_audit": Driver(
        "cost per audit", "per audit", _by_exposure(15_000, 20_000, 40_000)
    ),
    "governance.tooling": Driver(
        "governance tooling", "per month", _by_exposure(0, 500, 2_500)
    ),
    # human labour
    "human_labour.prompt_hours": Driver("prompt engineering", "hours per month", 20),
    "human_labour.verified": Driver("outcomes verified", "per month", "verified"),
    "human_labour.reviewed_share": Driver(
        "share of outcomes a person reviews", "share", 0.05
    ),
    "human_labour.review_minutes": Driver("review time", "minutes", 2),
    "human_labour.failed": Driver("outcomes failed", "per month", "failed"),
    "human_labour.escalated_share": Driver(
        "share of failed outcomes a person takes over", "share", 1.0
    ),
    "human_labour.escalation_minutes": Driver("time per escalation", "minutes", 10),
    "human_labour.hourly_rate": Driver("staff rate", "per hour", 60),
    # failure and waste
    "failure_waste.shadow_ai_seats": Driver(
        "shadow AI seats expensed outside the bill", "seats", 0
    ),
    "failure_waste.seat_price": Driver("seat price", "per seat-month", 25),
    "failure_waste.retry_share": Driver(
        "share of the token bill spent on retries", "share", 0.03
    ),
    # integration and model churn
    "integration.migrations_per_year": Driver("model migrations", "per year", 4),
    "integration.hours_per_migration": Driver("engineering per migration", "hours", 40),
    "integration.hourly_rate": Driver("engineering rate", "per hour", 90),
    "integration.reeval_cost": Driver(
        "re-evaluation per migration", "per migration", 500
    ),
}


@dataclass(frozen=True)
class Component:
    """One line of a bucket: a formula over drivers giving a monthly amount.

    ``allocate`` is the basis the line is shared out to use cases by:
    ``spend``, ``requests``, ``tokens``, ``attempted``, ``verified`` or
    ``failed``.
    """

    label: str
    formula: str
    monthly: Callable[[dict], float]
    allocate: str = "spend"


def kv_bytes_per_token(x: dict) -> float:
    """Bytes of KV cache one token holds, from the inference drivers
    (:func:`tokenlib.selfhost.kv_bytes_per_token`).

    >>> kv_bytes_per_token({"inference_infrastructure.layers": 32,
    ...     "inference_infrastructure.kv_heads": 8,
    ...     "inference_infrastructure.head_dim": 128,
    ...     "inference_infrastructure.bytes_per_value": 2})
    131072
    """
    p = "inference_infrastructure."
    return per_token(
        x[p + "layers"], x[p + "kv_heads"], x[p + "head_dim"], x[p + "bytes_per_value"]
    )


def _r(x: dict, name: str) -> float:
    return x["retrieval." + name]


def _h(x: dict, name: str) -> float:
    return x["human_labour." + name]


#: Every component, keyed ``bucket.name``; amounts are per month.
COMPONENTS: dict[str, Component] = {
    "retrieval.embedding": Component(
        "embedding and re-embedding",
        "corpus × re-embedded share × embedding price",
        lambda x: (
            _r(x, "corpus_mtokens") * _r(x, "reembed_share") * _r(x, "embedding_price")
        ),
    ),
    "retrieval.vector_store": Component(
        "vector store",
        "vector store GB × price per GB-month",
        lambda x: _r(x, "vector_store_gb") * _r(x, "vector_store_price"),
    ),
    "retrieval.queries": Component(
        "retrieval queries",
        "requests × queries per request × price per 1,000 ÷ 1,000",
        lambda x: (
            _r(x, "requests")
            * _r(x, "queries_per_request")
            * _r(x, "query_price")
            / 1000
        ),
        allocate="requests",
    ),
    "retrieval.storage": Component(
        "document storage",
        "GB stored × price per GB-month",
        lambda x: _r(x, "storage_gb") * _r(x, "storage_price"),
    ),
    "orchestration.compute": Component(
        "orchestration compute",
        "tasks × agents per task × steps per agent × compute per step",
        lambda x: (
            x["orchestration.tasks"]
            * x["orchestration.agents_per_task"]
            * x["orchestration.steps_per_agent"]
            * x["orchestration.compute_per_step"]
        ),
        allocate="attempted",
    ),
    "orchestration.platform": Component(
        "orchestration platform",
        "platform cost per month",
        lambda x: x["orchestration.platform"],
    ),
    "inference_infrastructure.gpu": Component(
        "self-hosted GPUs",
        "GPU hours × hourly rate (busy and idle hours alike)",
        lambda x: (
            x["inference_infrastructure.gpu_hours"]
            * x["inference_infrastructure.gpu_hourly_rate"]
        ),
    ),
    "inference_infrastructure.provisioned": Component(
        "provisioned throughput",
        "units × rate per unit-hour × 730.5 hours",
        lambda x: (
            x["inference_infrastructure.provisioned_units"]
            * x["inference_infrastructure.provisioned_hourly_rate"]
            * HOURS_PER_MONTH
        ),
    ),
    "eval_monitoring.evals": Component(
        "eval runs",
        "runs × M tokens per run × eval price",
        lambda x: (
            x["eval_monitoring.eval_runs"]
            * x["eval_monitoring.eval_mtokens_per_run"]
            * x["eval_monitoring.eval_price"]
        ),
    ),
    "eval_monitoring.tracing": Component(
        "tracing",
        "GB per month × (ingest price + retention months × storage price)",
        lambda x: (
            x["eval_monitoring.tracing_gb"]
            * (
                x["eval_monitoring.tracing_ingest_price"]
                + x["eval_monitoring.retention_months"]
                * x["eval_monitoring.tracing_storage_price"]
            )
        ),
        allocate="requests",
    ),
    "eval_monitoring.tooling": Component(
        "eval and monitoring tooling",
        "tooling per month",
        lambda x: x["eval_monitoring.tooling"],
    ),
    "governance.reviews": Component(
        "governance reviews",
        "reviews × hours per review × reviewer rate",
        lambda x: (
            x["governance.reviews"]
            * x["governance.hours_per_review"]
            * x["governance.hourly_rate"]
        ),
    ),
    "governance.audits": Component(
        "audits",
        "audits per year × cost per audit ÷ 12",
        lambda x: x["governance.audits_per_year"] * x["governance.cost_per_audit"] / 12,
    ),
    "governance.tooling": Component(
        "governance tooling",
        "tooling per month",
        lambda x: x["governance.tooling"],
    ),
    "human_labour.prompt_engineering": Component(
        "prompt engineering",
        "hours × staff rate",
        lambda x: _h(x, "prompt_hours") * _h(x, "hourly_rate"),
    ),
    "human_labour.review": Component(
        "review of outputs",
        "verified outcomes × reviewed share × minutes ÷ 60 × staff rate",
        lambda x: (
            _h(x, "verified")
            * _h(x, "reviewed_share")
            * _h(x, "review_minutes")
            / 60
            * _h(x, "hourly_rate")
        ),
        allocate="verified",
    ),
    "human_labour.escalation": Component(
        "escalations",
        "failed outcomes × escalated share × minutes ÷ 60 × staff rate",
        lambda x: (
            _h(x, "failed")
            * _h(x, "escalated_share")
            * _h(x, "escalation_minutes")
            / 60
            * _h(x, "hourly_rate")
        ),
        allocate="failed",
    ),
    "failure_waste.shadow_ai": Component(
        "shadow AI",
        "seats × seat price",
        lambda x: x["failure_waste.shadow_ai_seats"] * x["failure_waste.seat_price"],
    ),
    "integration.migrations": Component(
        "model migrations",
        "migrations per year ÷ 12 × (hours × rate + re-evaluation)",
        lambda x: (
            x["integration.migrations_per_year"]
            / 12
            * (
                x["integration.hours_per_migration"] * x["integration.hourly_rate"]
                + x["integration.reeval_cost"]
            )
        ),
    ),
}

#: Memo lines: inside the token bill or a view of a cost, never added.
#: Each takes the drivers and the month's token bill, tokens and bill lines.
MEMOS: dict[str, Component] = {
    "orchestration.overhead_tokens": Component(
        "orchestration tokens (in the token bill)",
        "tasks × agents × steps × tokens per step × average token price",
        lambda x: (
            x["orchestration.tasks"]
            * x["orchestration.agents_per_task"]
            * x["orchestration.steps_per_agent"]
            * x["orchestration.overhead_tokens_per_step"]
            * x["_price_per_token"]
        ),
    ),
    "inference_infrastructure.idle_gpu": Component(
        "idle GPU capacity (part of self-hosted GPUs)",
        "self-hosted GPUs × (1 − utilisation)",
        lambda x: x["_gpu"] * (1 - x["inference_infrastructure.utilisation"]),
    ),
    "failure_waste.retries": Component(
        "retries (in the token bill)",
        "token bill × retry share",
        lambda x: x["_token_bill"] * x["failure_waste.retry_share"],
    ),
    "failure_waste.failed_runs": Component(
        "failed runs (in the token bill)",
        "per use case: failed ÷ attempted outcomes × its token bill",
        lambda x: x["_failed_spend"],
    ),
}


class _Reads(dict):
    """A mapping that gives 1.0 for any key and remembers what was read."""

    def __missing__(self, key: str) -> float:
        self[key] = 1.0
        return 1.0


def uses(line: Component) -> frozenset[str]:
    """The drivers a component's or memo's formula reads.

    >>> sorted(uses(COMPONENTS["failure_waste.shadow_ai"]))
    ['failure_waste.seat_price', 'failure_waste.shadow_ai_seats']
    """
    reads = _Reads()
    line.monthly(reads)
    return frozenset(k for k in reads if not k.startswith("_"))
