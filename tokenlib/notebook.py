"""What the notebooks call besides metrics and plots: setup, checks, display.

A notebook of the series calls :func:`setup` once, checks its parameters
with :func:`check_params` so a typo fails in the first cells with a readable
message, opens the priced ledger with :func:`open_priced`, shows its tables
with :func:`table` and closes with :func:`run_metadata`. Parameters arrive
as strings (papermill passes them so); an empty string means "not set".
"""

from __future__ import annotations

import html
import logging
import platform
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb
import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from pandas.api import types

from . import plots
from .errors import ParameterError
from .executive import say_number
from .layers_explore import explore as explore_layers
from .loaded_explore import explore as explore_loaded
from .metrics import total_spend
from .params import (
    check_params,
    gpu_metrics_path,
    loaded_assumptions,
    open_priced,
    owner_rules,
    resolve_path,
    scenarios,
    value_policy,
)

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

__all__ = [
    "check_params",
    "explore_layers",
    "explore_loaded",
    "fmt_money",
    "gpu_metrics_path",
    "headline",
    "in_currency",
    "loaded_assumptions",
    "open_priced",
    "owner_rules",
    "period_label",
    "resolve_path",
    "run_metadata",
    "scenarios",
    "setup",
    "table",
    "value_policy",
]


def _figures_with_alt_text() -> None:
    """Show figures as HTML images carrying alt text, when in IPython.

    The HTML export's default template reads no alt text from output
    metadata, so a figure also gets an HTML form, which the export prefers.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    # The inline backend drops every figure formatter when it loads, which
    # is at the first figure drawn unless it is loaded now.
    plt.switch_backend(mpl.get_backend())
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(Figure, plots.figure_html)


def setup(log_level: int | str = logging.INFO) -> None:
    """Prepare a notebook session: plot style, table display and logging.

    Figures shown in IPython also carry alt text that describes them
    (:func:`tokenlib.plots.alt_text`), so the HTML report has it.

    Parameters
    ----------
    log_level
        Level of the ``tokenlib`` loggers; INFO shows files read and prices
        missing, which a person reading a scheduled run needs.
    """
    plots.use_house_style()
    _figures_with_alt_text()
    pd.set_option("styler.render.max_rows", 60)
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 100)
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.float_format", say_number)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tokenlib").setLevel(log_level)


def period_label(con: duckdb.DuckDBPyConnection) -> str:
    """Say the reporting period of a priced connection, for figure titles.

    The requested bounds where set, else the first and last day with data;
    the last day is inclusive: ``2026-09-01 to 2026-09-30 (UTC)``.
    """
    tz, start, end = con.execute(
        'SELECT tz, start, "end" FROM report_params'
    ).fetchone()
    first, last = con.execute("SELECT min(day), max(day) FROM spend").fetchone()
    first = start or first
    last = end - timedelta(days=1) if end else last
    if first is None or last is None:
        return f"no data ({tz})"
    span = str(first) if first == last else f"{first} to {last}"
    return f"{span} ({tz})"


def fmt_money(x: float | None, currency: str) -> str:
    """Format an amount for display, rounded to cents; the value is unchanged.

    >>> fmt_money(9001.918674, "USD"), fmt_money(-150, "EUR")
    ('9,001.92 USD', '-150.00 EUR')
    >>> fmt_money(0.004, "USD"), fmt_money(None, "USD")
    ('< 0.01 USD', 'n/a')
    """
    if x is None or pd.isna(x):
        return "n/a"
    return f"{_amount(x)} {currency}"


def _amount(x: float) -> str:
    """An amount to cents with separators; under a cent says so."""
    if x != 0 and abs(x) < 0.005:
        return f"{'> -' if x < 0 else '< '}0.01"
    return f"{x:,.2f}"


def _day(x: pd.Timestamp) -> str:
    return f"{x:%Y-%m-%d}" if x == x.normalize() else f"{x:%Y-%m-%d %H:%M}"


def _by_dtype(column: pd.Series) -> Callable | str | None:
    """The display format of a column no role was named for."""
    if types.is_datetime64_any_dtype(column):
        return _day
    if types.is_integer_dtype(column) and not types.is_bool_dtype(column):
        return "{:,}"
    return say_number if types.is_float_dtype(column) else None


def table(
    frame: pd.DataFrame,
    money: Sequence[str] = (),
    pct: Sequence[str] = (),
    share: Sequence[str] = (),
) -> Styler:
    """Show a frame as a report table: no index column, figures formatted.

    Formatting is for display only: the values stay unrounded. Money shows
    to cents with separators, percentages with a percent sign, other
    numbers with separators or four significant digits, days as
    YYYY-MM-DD, missing values as blanks. Text columns are aligned left.

    Parameters
    ----------
    frame
        The frame to show; its index is not shown, so reset a meaningful
        index (a ``groupby`` result) into a column first.
    money
        Columns of amounts, such as ``cost``; the currency is in a column
        of its own.
    pct
        Columns already in percent, such as ``change_pct`` (12.5 is 12.5%).
    share
        Columns of fractions, such as ``share`` (0.125 is 12.5%).

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as HTML in a notebook and in the HTML report.

    Raises
    ------
    ParameterError
        A column named in ``money``, ``pct`` or ``share`` is not in the frame.

    Examples
    --------
    >>> f = pd.DataFrame({"team": ["web", "data", None],
    ...                   "cost": [1234.567, 0.004, None],
    ...                   "share": [0.7504, 0.2496, None]})
    >>> shown = table(f, money=["cost"], share=["share"]).to_html()
    >>> [x in shown for x in ("1,234.57", "&lt; 0.01", "75.0%", "row_heading")]
    [True, True, True, False]
    >>> f["cost"].iloc[0]
    np.float64(1234.567)
    """
    formats = {
        **dict.fromkeys(money, lambda x: html.escape(_amount(x))),
        **dict.fromkeys(pct, "{:,.1f}%"),
        **dict.fromkeys(share, "{:.1%}"),
    }
    unknown = [c for c in formats if c not in frame.columns]
    if unknown:
        raise ParameterError(
            f"table: no column {unknown[0]!r} to format; the columns are "
            + ", ".join(map(str, frame.columns))
        )
    for column in frame.columns:
        formats.setdefault(column, _by_dtype(frame[column]))

    # Text (a column without a format) reads better aligned left.
    left = [{"selector": "", "props": "text-align: left"}]
    text = [c for c, f in formats.items() if f is None]
    return (
        frame.style.hide(axis="index")
        .format({c: f for c, f in formats.items() if f}, na_rep="", escape="html")
        .set_table_styles(dict.fromkeys(text, left), overwrite=False)
    )


def in_currency(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Keep the rows in one currency; attrs (zone, basis) are kept.

    >>> f = pd.DataFrame({"currency": ["USD", "EUR", None], "cost": [1, 2, 3]})
    >>> in_currency(f, "USD")["cost"].tolist()
    [1]
    """
    return frame[frame["currency"] == currency].reset_index(drop=True)


def headline(con: duckdb.DuckDBPyConnection, currency: str) -> pd.DataFrame:
    """The period's headline figures in one currency, formatted for display.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``value`` (text); spend in other currencies is listed on
        its own row and never added in.
    """
    totals = total_spend(con)
    mine = in_currency(totals, currency)
    others = totals[totals["currency"] != currency]
    values = {"total spend": f"no spend in {currency}"}
    if len(mine):
        row, tz = mine.iloc[0], totals.attrs["tz"]
        values = {
            "total spend": fmt_money(row["cost"], currency),
            "  of which money from bills": fmt_money(row["cost_from_bills"], currency),
            "  of which tokens x list or negotiated price": fmt_money(
                row["cost"] - row["cost_from_bills"], currency
            ),
            "average daily cost": fmt_money(row["avg_daily_cost"], currency),
            "days with data": f"{row['days']:,}",
            "first and last day with spend": f"{row['first_day']:%Y-%m-%d} to "
            f"{row['last_day']:%Y-%m-%d} ({tz})",
            "billed in the data (invoice basis)": fmt_money(
                row["billed_cost"], currency
            ),
        }
    values["other currencies"] = (
        ", ".join(fmt_money(r.cost, r.currency) for r in others.itertuples()) or "none"
    )
    return pd.DataFrame({"figure": list(values), "value": list(values.values())})


def run_metadata(
    params: dict, con: duckdb.DuckDBPyConnection | None = None
) -> pd.DataFrame:
    """The run's parameters, data dates and versions, for the closing cell.

    Parameters
    ----------
    params
        The notebook parameters, e.g. from :func:`check_params`.
    con
        Ledger connection; when given, the data's UTC dates and the last
        ingest are added.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``value`` (text).
    """
    from . import __version__

    items = {
        name: str(value) if value != "" else "(not set)"
        for name, value in params.items()
    }
    if "ledger" in params:
        items["ledger file"] = str(resolve_path(params["ledger"]))
    if con is not None:
        first, last, rows = con.execute(
            'SELECT min("start")::DATE, max("start")::DATE, count(*) FROM ledger'
        ).fetchone()
        ingested = con.execute("SELECT max(ingested_at) FROM ingest_log").fetchone()[0]
        items["ledger rows"] = f"{rows:,}"
        items["data from (UTC)"] = str(first)
        items["data to (UTC)"] = str(last)
        items["last ingest (UTC)"] = str(ingested)[:19] if ingested else "(none)"
    items["tokenlib"] = __version__
    items["python"] = platform.python_version()
    items["duckdb"] = duckdb.__version__
    items["pandas"] = pd.__version__
    items["run at (UTC)"] = datetime.now(UTC).isoformat(timespec="seconds")
    return pd.DataFrame({"item": list(items), "value": list(items.values())})
