"""The analytics layer: typed filters in, polars DataFrames out.

SQL lives in queries/sql/*.sql (one file per question, parameters bound); polars turns
the counts into rates, deltas and test statistics. Nothing here imports streamlit.
"""

from deliverability.queries.filters import Filters
from deliverability.queries.report import DIMENSIONS, report, totals
from deliverability.queries.status import (
    ingest_ledger,
    quarantined_rows,
    status,
    store_overview,
    uncatalogued_codes,
)

__all__ = [
    "DIMENSIONS",
    "Filters",
    "ingest_ledger",
    "quarantined_rows",
    "report",
    "status",
    "store_overview",
    "totals",
    "uncatalogued_codes",
]
