"""tokenlib: the library behind the Tokenomics Workbook.

Load exports into the ledger (:func:`ingest_file`), price it and choose the
period, zone, scope and owners (:func:`price_ledger`), then read the
metrics in :mod:`tokenlib.metrics`, :mod:`tokenlib.attribution` and
:mod:`tokenlib.sessions` as tidy frames.
"""

from .attribution import Owners, allocate, chargeback, direct_allocation, read_owners
from .errors import TokenlibError
from .ingest import IngestSummary, ingest_file, ingest_paths
from .ledger import PROJECT_ROOT, open_ledger
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
from .pricing import Scope, price_ledger, read_scope_rules
from .sessions import costliest_sessions, reconcile_estimates, sessions, sessions_by
from .summary import summarise

__all__ = [
    "PROJECT_ROOT",
    "IngestSummary",
    "Owners",
    "Scope",
    "TokenlibError",
    "allocate",
    "chargeback",
    "cost_per_mtok",
    "costliest_sessions",
    "direct_allocation",
    "drift",
    "ingest_file",
    "ingest_paths",
    "model_resolution",
    "open_ledger",
    "price_ledger",
    "read_owners",
    "read_scope_rules",
    "reconcile_estimates",
    "savings",
    "sessions",
    "sessions_by",
    "spend_by",
    "spend_by_day",
    "summarise",
    "token_ratios",
    "token_totals",
    "top_movers",
    "total_spend",
    "unpriced",
]
__version__ = "0.1.0"
