"""What the notebooks call besides metrics and plots: setup, checks, display.

A notebook of the series calls :func:`setup` once, checks its parameters
with :func:`check_params` so a typo fails in the first cells with a readable
message, opens the priced ledger with :func:`open_priced` and closes with
:func:`run_metadata`. Parameters arrive as strings (papermill passes them
so); an empty string means "not set".
"""

from __future__ import annotations

import logging
import platform
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from . import plots
from .errors import ParameterError
from .ledger import PROJECT_ROOT, open_ledger
from .metrics import drift, total_spend
from .pricing import Scope, check_zone, price_ledger
from .schema import DIMENSIONS

__all__ = [
    "check_params",
    "data_readiness",
    "fmt_money",
    "headline",
    "in_currency",
    "ledger_contents",
    "open_priced",
    "period_label",
    "resolve_path",
    "run_metadata",
    "setup",
    "supported_stage",
]

SCOPES = ("ai", "all")
_TOKENS = (
    "(input_tokens + cache_read_tokens + cache_write_5m_tokens"
    " + cache_write_1h_tokens + output_tokens)"
)


def _number(x: float) -> str:
    """Display a float: separators for large values, 4 digits for small."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def setup(log_level: int | str = logging.INFO) -> None:
    """Prepare a notebook session: plot style, table display and logging.

    Parameters
    ----------
    log_level
        Level of the ``tokenlib`` loggers; INFO shows files read and prices
        missing, which a person reading a scheduled run needs.
    """
    plots.use_house_style()
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 100)
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.float_format", _number)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tokenlib").setLevel(log_level)


def resolve_path(p: str | Path) -> Path:
    """Resolve a path against the project root, never the current directory.

    >>> resolve_path("data/x.duckdb") == PROJECT_ROOT / "data" / "x.duckdb"
    True
    >>> resolve_path("/tmp/x.duckdb")
    PosixPath('/tmp/x.duckdb')
    """
    path = Path(p).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"{name}={value!r}: expected a date YYYY-MM-DD, or '' for no bound"
        ) from None


def _file(value: str, name: str, hint: str) -> Path:
    path = resolve_path(value)
    if not value or not path.is_file():
        raise ParameterError(f"{name}={value!r}: no file at {path}; {hint}")
    return path


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ParameterError(
            f"currency={value!r}: expected a three-letter ISO code such as USD"
        )
    return value


def _period(start: str, end: str) -> None:
    first, stop = _date(start, "start"), _date(end, "end")
    if first and stop and stop <= first:
        raise ParameterError(
            f"end={end!r} is not after start={start!r}; end is exclusive"
        )


def check_params(
    ledger: str,
    prices: str = "",
    start: str = "",
    end: str = "",
    tz: str = "UTC",
    currency: str = "USD",
    scope: str = "ai",
    group_by: str = "team",
) -> dict[str, str]:
    """Check a notebook's parameters and return them as given.

    Every parameter is checked and every problem is reported together, one
    per line, each naming the parameter and echoing its value.

    Returns
    -------
    dict
        The parameters, by name, for :func:`run_metadata`.

    Raises
    ------
    ParameterError
        A date does not parse or ``end`` is not after ``start``, the zone is
        unknown, the scope, currency or ``group_by`` is not allowed, or the
        ledger or prices file does not exist.

    Examples
    --------
    >>> check_params("/no/such.duckdb", tz="Mars/Olympus")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tokenlib.errors.ParameterError: notebook parameters are invalid:
    - ledger='/no/such.duckdb': no file at /no/such.duckdb; ingest exports ...
    - time zone 'Mars/Olympus' is unknown; use an IANA name such as UTC ...
    """
    checks: list[Callable[[], object]] = [
        lambda: _file(
            ledger,
            "ledger",
            "ingest exports into a ledger first "
            "or point ledger at one (relative to the project root)",
        ),
        lambda: prices and _file(prices, "prices", "use '' for list prices"),
        lambda: _period(start, end),
        lambda: check_zone(tz),
        lambda: _currency(currency),
        lambda: _choice(scope, "scope", SCOPES),
        lambda: _choice(group_by, "group_by", DIMENSIONS),
    ]
    problems = []
    for check in checks:
        try:
            check()
        except ParameterError as exc:
            problems.append(f"- {exc}")
    if problems:
        raise ParameterError("notebook parameters are invalid:\n" + "\n".join(problems))
    return {
        "ledger": ledger,
        "prices": prices,
        "start": start,
        "end": end,
        "tz": tz,
        "currency": currency,
        "scope": scope,
        "group_by": group_by,
    }


def open_priced(
    ledger: str,
    prices: str = "",
    tz: str = "UTC",
    start: str = "",
    end: str = "",
    scope: str = "ai",
) -> duckdb.DuckDBPyConnection:
    """Open a ledger read-only with the ``spend`` view registered.

    Parameters
    ----------
    ledger
        Ledger file, relative to the project root unless absolute.
    prices
        Negotiated-rates CSV; '' for list prices.
    tz
        IANA zone the reporting days are bucketed in.
    start, end
        First day kept and first day no longer kept, YYYY-MM-DD; '' for no
        bound.
    scope
        ``ai`` for AI spend, ``all`` for the whole bill.

    Returns
    -------
    duckdb.DuckDBPyConnection

    Raises
    ------
    ParameterError
        As :func:`check_params`; a missing ledger is never created.
    """
    path = _file(ledger, "ledger", "ingest exports into a ledger first")
    negotiated = _file(prices, "prices", "use '' for list prices") if prices else None
    first, stop = _date(start, "start"), _date(end, "end")
    mode = _choice(scope, "scope", SCOPES)
    con = open_ledger(path, read_only=True)
    try:
        price_ledger(
            con, negotiated=negotiated, scope=Scope(mode), tz=tz, start=first, end=stop
        )
    except BaseException:
        con.close()
        raise
    return con


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
    if x != 0 and abs(x) < 0.005:
        return f"{'> -' if x < 0 else '< '}0.01 {currency}"
    return f"{x:,.2f} {currency}"


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
            "average daily cost": fmt_money(row["avg_daily_cost"], currency),
            "days with spend": f"{row['days']:,}",
            "first and last day": f"{row['first_day']:%Y-%m-%d} to "
            f"{row['last_day']:%Y-%m-%d} ({tz})",
            "billed in the data": fmt_money(row["billed_cost"], currency),
        }
    values["other currencies"] = (
        ", ".join(fmt_money(r.cost, r.currency) for r in others.itertuples()) or "none"
    )
    return pd.DataFrame({"figure": list(values), "value": list(values.values())})


def ledger_contents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the ledger holds by source, whatever the period and scope.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``files``, ``rows``, ``quarantined``, ``first_utc_day``,
        ``last_utc_day``.
    """
    return con.execute("""
        WITH q AS (SELECT source, count(*) AS quarantined FROM quarantine
                   GROUP BY ALL)
        SELECT l.source, count(DISTINCT source_file) AS files, count(*) AS rows,
               coalesce(any_value(q.quarantined), 0) AS quarantined,
               min("start")::DATE AS first_utc_day,
               max("start")::DATE AS last_utc_day
        FROM ledger l LEFT JOIN q USING (source)
        GROUP BY l.source ORDER BY l.source""").df()


def _label(name: str) -> str:
    return name.replace("_", " ")


def _status(share: float | None) -> str:
    if share is None or pd.isna(share) or share <= 0:
        return "no"
    return "yes" if share >= 0.99 else "partly"


def data_readiness(con: duckdb.DuckDBPyConnection, owner: str = "team") -> pd.DataFrame:
    """Which figures of the series the loaded data can give, by stage.

    Parameters
    ----------
    owner
        The dimension that says who owns spend (``team``, ``project``...).

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``figure``, ``ready`` (yes, partly or no), ``evidence``.
        The first row of each stage is the figure the stage stands on.

    Notes
    -----
    Stage 3 (value) needs outcomes, such as tickets resolved per use case;
    the ledger holds none yet, so cost per outcome is always "no".
    """
    # Shares of money are taken on absolute cost so credits do not cancel.
    col = f'"{_choice(owner, "owner", DIMENSIONS)}"'
    s = (
        con.execute(f"""
        SELECT count(*) FILTER (WHERE cost IS NOT NULL) AS costed,
          count(*) FILTER (WHERE basis LIKE 'charge%') AS bill_rows,
          sum(abs(cost)) FILTER (WHERE model IS NOT NULL) / sum(abs(cost)) AS model,
          sum(abs(cost)) FILTER (WHERE {col} IS NOT NULL) / sum(abs(cost)) AS owner,
          sum(abs(cost)) FILTER (WHERE use_case IS NOT NULL) / sum(abs(cost))
            AS use_case,
          sum({_TOKENS}) FILTER (WHERE counted) AS tokens,
          sum({_TOKENS}) FILTER (WHERE counted AND cost IS NOT NULL) AS priced,
          sum(output_tokens) FILTER (WHERE counted) AS output
        FROM spend""")
        .df()
        .iloc[0]
        .fillna(0)
    )
    priced = s["priced"] / s["tokens"] if s["tokens"] else 0.0
    compared = drift(con).dropna(subset=["computed", "billed"])

    # One row per figure: stage, figure, ready, evidence.
    rows = [
        (
            "1 spend visibility",
            "total and daily spend",
            "yes" if s["costed"] else "no",
            f"{s['costed']:,.0f} rows with cost, {s['bill_rows']:,.0f} from bills",
        ),
        (
            "1 spend visibility",
            "spend by provider and model",
            _status(s["model"]),
            f"model named on {s['model']:.0%} of cost",
        ),
        (
            "1 spend visibility",
            f"spend by {_label(owner)}",
            _status(s["owner"]),
            f"{_label(owner)} set on {s['owner']:.0%} of cost",
        ),
        (
            "2 economics",
            "cost per million tokens",
            _status(priced),
            f"{priced:.0%} of {s['tokens'] / 1e6:,.1f} M tokens priced",
        ),
        (
            "2 economics",
            "input/output and cache ratios",
            "yes" if s["output"] else "no",
            f"{s['output'] / 1e6:,.1f} M output tokens",
        ),
        (
            "2 economics",
            "token-to-spend drift",
            "yes" if len(compared) else "no",
            f"{len(compared)} provider-days with both a bill and priced tokens",
        ),
        (
            "3 value",
            "cost per outcome",
            "no",
            "the ledger holds no outcomes (tickets resolved, documents read)",
        ),
        (
            "3 value",
            "cost per use case",
            _status(s["use_case"]),
            f"use case set on {s['use_case']:.0%} of cost",
        ),
    ]
    return pd.DataFrame(rows, columns=["stage", "figure", "ready", "evidence"])


def supported_stage(readiness: pd.DataFrame) -> str:
    """Name the last stage, in order, whose founding figure is not "no".

    >>> table = pd.DataFrame({"stage": ["1 spend", "2 economics", "3 value"],
    ...                       "ready": ["yes", "partly", "no"]})
    >>> supported_stage(table)
    'the data supports stage 2 economics (partly)'
    """
    reached = None
    for stage, rows in readiness.groupby("stage", sort=True):
        if rows["ready"].iloc[0] == "no":
            break
        reached = (stage, rows["ready"].iloc[0])
    if reached is None:
        return "the data supports no stage yet: nothing in it carries cost"
    stage, ready = reached
    return f"the data supports stage {stage}" + (" (partly)" if ready != "yes" else "")


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
