"""tokenlib: the library behind the Tokenomics Workbook."""

from .errors import TokenlibError
from .ingest import IngestSummary, ingest_file, ingest_paths
from .ledger import open_ledger

__all__ = ["TokenlibError", "IngestSummary", "ingest_file", "ingest_paths", "open_ledger"]
__version__ = "0.1.0"
