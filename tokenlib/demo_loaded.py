"""The demo organisation's fully loaded cost assumptions.

Written beside the demo exports as :data:`DEMO_ASSUMPTIONS` and read by the
report (``--assumptions``). The GPU instance and the document storage are
on the demo's FOCUS bill, so bill rules carry them; every other bucket is
stated here or left to its documented default.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_ASSUMPTIONS", "write_assumptions"]

DEMO_ASSUMPTIONS = "loaded_costs.yml"

_ASSUMPTIONS = """\
# Fully loaded cost assumptions of the demo organisation (the notebooks'
# `assumptions` parameter). Amounts are per month in `currency`. A driver
# given as a number has a range of ±`spread`; give {value, low, high} to
# state your own. Drivers left out take the documented defaults.
currency: USD
regulatory_exposure: medium   # low | medium | high: sets governance defaults
spread: 0.25
horizon_days: 90              # how far the forecast looks ahead

retrieval:
  corpus_mtokens: 1200        # the claims and policy corpus, M tokens
  reembed_share: 0.15         # re-embedded each month after edits
  vector_store_gb: 40
  vector_store_price: 0.33    # per GB-month
orchestration:
  agents_per_task: 1.8
  steps_per_agent: 7
  compute_per_step: 0.0004    # workflow runner CPU per step
  platform: 350               # orchestration service subscription
inference_infrastructure:
  utilisation: {value: 0.30, low: 0.15, high: 0.50}   # of the g5 instance
eval_monitoring:
  eval_runs: 30               # regression suites per month
  eval_mtokens_per_run: 1.5
  tracing_gb: 25
  tooling: 250
human_labour:
  prompt_hours: {value: 30, low: 15, high: 60}
  reviewed_share: 0.04        # outcomes a person spot-checks
  review_minutes: {value: 3, low: 1.5, high: 6}
  escalated_share: {value: 0.7, low: 0.5, high: 0.9}   # failed outcomes
  escalation_minutes: {value: 12, low: 6, high: 20}
  hourly_rate: 55
failure_waste:
  shadow_ai_seats: {value: 12, low: 5, high: 30}   # expensed chat seats
  seat_price: 25
integration:
  migrations_per_year: {value: 6, low: 3, high: 10}
  hours_per_migration: 30

growth:                       # per month, compounding, for the forecast
  default: 0.02
  governance: 0.0
  human_labour: 0.01

bill:                         # cloud bill rows that carry a component
  - component: inference_infrastructure.gpu   # serves acme-llm-7b
    service_category: Compute
    tags: {application: model-serving}
    use_case: ticket_triage
  - component: retrieval.storage
    service_name: Amazon Simple Storage Service
    tags: {application: claims-intake}
    use_case: doc_summarisation

budget:                       # the quarter's AI budget, fully loaded
  amount: 68000
  start: 2026-10-01
  end: 2027-01-01
  covers: fully loaded
"""


def write_assumptions(out_dir: Path) -> Path:
    """Write the demo assumptions into ``out_dir`` and return the path."""
    path = Path(out_dir) / DEMO_ASSUMPTIONS
    path.write_text(_ASSUMPTIONS)
    return path
