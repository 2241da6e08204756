"""tokenlib: the library behind the Tokenomics Workbook.

Load exports into the ledger (:func:`ingest_file`), price it and choose the
period, zone and scope (:func:`price_ledger`), then read the metrics in
:mod:`tokenlib.metrics` as tidy frames.
"""

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
from .summary import summarise

__all__ = [
    "PROJECT_ROOT",
    "IngestSummary",
    "Scope",
    "TokenlibError",
    "cost_per_mtok",
    "drift",
    "ingest_file",
    "ingest_paths",
    "model_resolution",
    "open_ledger",
    "price_ledger",
    "read_scope_rules",
    "savings",
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
