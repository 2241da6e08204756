"""tokenlib: the library behind the Tokenomics Workbook.

Load exports into the ledger (:func:`ingest_file`), price it and choose the
period, zone, scope and owners (:func:`price_ledger`), then read the
metrics in :mod:`tokenlib.metrics`, :mod:`tokenlib.attribution` and
:mod:`tokenlib.sessions` as tidy frames.
"""

from .attribution import Owners, allocate, chargeback, direct_allocation, read_owners
from .backtest import backtest
from .budget import budget_view
from .errors import TokenlibError
from .executive import (
    brief_numbers,
    brief_trends,
    role_brief,
    unit_costs,
    weekly_spend,
    what_changed,
)
from .forecast import daily_series, project
from .ingest import IngestSummary, ingest_file, ingest_paths
from .ledger import PROJECT_ROOT, open_ledger
from .loaded import LoadedCost, fully_loaded, loaded_cost, measure_loaded
from .loaded_assumptions import Assumptions, read_assumptions
from .metrics import (
    cost_per_mtok,
    drift,
    model_resolution,
    savings,
    spend_by,
    spend_by_day,
    token_ratios,
    token_totals,
    top_movers,
    total_spend,
    unpriced,
)
from .optimise import Comparison, Today, compare, measure_levers, self_hosted
from .outlook import Outlook, outlook
from .policy import Policy, read_policy
from .pricing import Scope, price_ledger, read_scope_rules
from .scenario import Scenario, ScenarioFile, read_scenarios, save_scenarios
from .sessions import costliest_sessions, reconcile_estimates, sessions, sessions_by
from .summary import summarise
from .value import (
    batch_leverage,
    cache_leverage,
    cost_per_use_case,
    cost_per_verified_outcome,
    cost_vs_revenue,
    route_losses,
    route_win_rate,
    sovereignty,
    sovereignty_exceptions,
    value_per_token,
)
from .value_trends import trend_panels, value_trends

__all__ = [
    "Assumptions",
    "Comparison",
    "IngestSummary",
    "LoadedCost",
    "Outlook",
    "Owners",
    "Policy",
    "PROJECT_ROOT",
    "Scenario",
    "ScenarioFile",
    "Scope",
    "Today",
    "TokenlibError",
    "allocate",
    "backtest",
    "batch_leverage",
    "brief_numbers",
    "brief_trends",
    "budget_view",
    "cache_leverage",
    "chargeback",
    "compare",
    "cost_per_mtok",
    "cost_per_use_case",
    "cost_per_verified_outcome",
    "cost_vs_revenue",
    "costliest_sessions",
    "daily_series",
    "direct_allocation",
    "drift",
    "fully_loaded",
    "ingest_file",
    "ingest_paths",
    "loaded_cost",
    "measure_levers",
    "measure_loaded",
    "model_resolution",
    "open_ledger",
    "outlook",
    "price_ledger",
    "project",
    "read_assumptions",
    "read_owners",
    "read_policy",
    "read_scenarios",
    "read_scope_rules",
    "reconcile_estimates",
    "role_brief",
    "route_losses",
    "route_win_rate",
    "save_scenarios",
    "savings",
    "self_hosted",
    "sessions",
    "sessions_by",
    "sovereignty",
    "sovereignty_exceptions",
    "spend_by",
    "spend_by_day",
    "summarise",
    "token_ratios",
    "token_totals",
    "top_movers",
    "total_spend",
    "trend_panels",
    "unit_costs",
    "unpriced",
    "value_per_token",
    "value_trends",
    "weekly_spend",
    "what_changed",
]
__version__ = "0.1.0"
