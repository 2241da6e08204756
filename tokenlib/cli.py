"""The ``tokenlib`` command: ingest, metrics, demo, report."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import date
from pathlib import Path

import click
import duckdb

from .errors import ParameterError, TokenlibError
from .executive import say_money
from .ingest import ingest_file
from .ledger import PROJECT_ROOT, default_ledger_path, open_ledger
from .params import loaded_assumptions, open_priced, parse_date, value_policy
from .sources import FORMATS
from .summary import summarise

__all__ = ["main"]


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"{option} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _date(value: str | None, name: str) -> date | None:
    return parse_date(value, f"--{name} {value!r}")


def _file_option(flag: str, help: str):
    """An option naming one input file (checked when it is read)."""
    return click.option(
        flag, type=click.Path(dir_okay=False, path_type=Path), help=help
    )


_ledger_option = click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ledger file (default: $TOKENLIB_LEDGER or data/ledger.duckdb).",
)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what is read and written.")
def cli(verbose: bool) -> None:
    """Tokenomics Workbook: from what AI spend cost to what each token bought."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Skip detection.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="LEDGER_COL=FILE_COL",
    help="Map a request-log column onto a ledger column.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Fill a ledger column for the whole file (provider, model, team...).",
)
@_ledger_option
def ingest(paths, fmt, maps, sets, ledger) -> None:
    """Load export files into the ledger; re-ingesting never double counts."""
    mapping, values = _pairs(maps, "--map"), _pairs(sets, "--set")
    con = open_ledger(ledger)
    for path in paths:
        summary = ingest_file(con, path, fmt=fmt, mapping=mapping, set_values=values)
        click.echo(str(summary))
        if summary.quarantined:
            click.echo(
                f"  {summary.quarantined:,} rows quarantined; list them with "
                "tokenlib quarantine"
            )


@cli.command()
@_ledger_option
@_file_option("--prices", "Negotiated-rates CSV overriding list prices.")
@click.option("--start", help="First reporting day, YYYY-MM-DD.")
@click.option("--end", help="Day after the last reporting day (exclusive).")
@click.option(
    "--tz", default="UTC", show_default=True, help="Zone days are bucketed in."
)
@click.option(
    "--scope", type=click.Choice(["ai", "all"]), default="ai", show_default=True
)
@_file_option("--scope-rules", "YAML adding services, SKUs or tags to the AI scope.")
@_file_option(
    "--owners", "YAML owner rules: who owns spend, how shared spend is split."
)
@click.option(
    "--users",
    type=click.Choice(["pseudonymised", "shown"]),
    default="pseudonymised",
    show_default=True,
    help="Show user emails and ids as pseudonyms, or as they are.",
)
@_file_option(
    "--policy", "YAML value policy: route target, batch-eligible and regulated work."
)
@_file_option(
    "--assumptions",
    "YAML fully loaded cost assumptions (default: the documented defaults).",
)
@click.option("--currency", default="USD", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def metrics(
    ledger,
    prices,
    start,
    end,
    tz,
    scope,
    scope_rules,
    owners,
    users,
    policy,
    assumptions,
    currency,
    as_json,
) -> None:
    """Print the stage 1-2 headline metrics."""
    path = ledger or default_ledger_path()
    if not Path(path).exists():
        raise ParameterError(f"ledger {path} does not exist; run tokenlib ingest first")
    first, stop = _date(start, "start"), _date(end, "end")
    if first and stop and stop <= first:
        raise ParameterError(
            f"--end {end} is not after --start {start}; end is exclusive"
        )
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise ParameterError(
            f"--currency {currency!r}: expected a three-letter ISO code such as USD"
        )
    con = open_priced(
        str(path),
        str(prices or ""),
        tz,
        start or "",
        end or "",
        scope,
        str(scope_rules or ""),
        str(owners or ""),
        users,
    )
    rules = value_policy(str(policy or ""))
    loaded = loaded_assumptions(str(assumptions or ""), currency.upper())
    result = summarise(con, currency.upper(), rules, loaded)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for key in (
        "currency",
        "tz",
        "scope",
        "total_cost",
        "billed_cost",
        "days",
        "avg_daily_cost",
        "requests",
        "cost_per_mtok",
        "io_ratio",
        "cached_ratio",
        "unpriced_tokens",
        "direct_allocation_pct",
        "cost_per_verified_outcome",
        "route_win_rate",
        "cache_leverage",
        "batch_leverage",
        "sovereignty_hit_rate",
        "fully_loaded_cost",
        "loaded_multiplier",
    ):
        click.echo(f"{key:>26}: {_said(key, result[key], result['currency'])}")
    for name, count in result["tokens"].items():
        click.echo(f"{name + ' tokens':>26}: {count:,}")
    for note in result["notes"] + result["value_notes"] + result["loaded_notes"]:
        click.echo(f"note: {note}")


def _said(key: str, value, currency: str) -> str:
    """A headline value for people: money to the cent, ratios to 3 digits."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if key in ("total_cost", "billed_cost", "avg_daily_cost", "cost_per_mtok",
                   "cost_per_verified_outcome", "fully_loaded_cost"):  # fmt: skip
            return say_money(value, currency)
        return f"{value:.3g}"
    return str(value)


@cli.command()
@_ledger_option
@click.option("--limit", default=20, show_default=True, help="Rows to show.")
def quarantine(ledger, limit) -> None:
    """Show quarantined rows: file, row, column, value and reason."""
    path = ledger or default_ledger_path()
    if not Path(path).exists():
        raise ParameterError(f"ledger {path} does not exist; run tokenlib ingest first")
    con = open_ledger(path, read_only=True)
    total = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    rows = con.execute(
        "SELECT source_file, source_row, column_name, value, reason FROM quarantine "
        "ORDER BY source_file, source_row LIMIT ?",
        [limit],
    ).fetchall()
    for file, row, column, value, reason in rows:
        click.echo(f"{file}: row {row}, column {column}: {reason} (found {value!r})")
    click.echo(
        f"{total:,} quarantined rows in {path}"
        + (f"; showing {len(rows)}" if total > len(rows) else "")
    )


@cli.command()
@click.option("--seed", default=7, show_default=True)
@click.option("--days", default=90, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "data" / "demo",
    show_default=True,
)
@_ledger_option
def demo(seed, days, out, ledger) -> None:
    """Write the seeded demo organisation and ingest it into its own ledger."""
    from .demo import DEMO_SETS, write_demo

    files = write_demo(out, seed=seed, days=days)
    con = open_ledger(ledger or out / "ledger.duckdb")
    for path in files:
        values = DEMO_SETS.get(path.name)
        click.echo(str(ingest_file(con, path, set_values=values)))


@cli.command()
@_file_option("--params", "YAML file of notebook parameters.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for dated reports (default: reports/).",
)
@_file_option("--owners", "YAML owner rules (overrides the parameters file).")
@_file_option("--policy", "YAML value policy (overrides the parameters file).")
@_file_option(
    "--assumptions",
    "YAML fully loaded cost assumptions (overrides the parameters file).",
)
@_file_option(
    "--scenario",
    "YAML optimisation scenarios (overrides the parameters file).",
)
@_file_option(
    "--gpu-metrics",
    "dcgm-exporter scrape of the self-hosted GPUs (overrides the parameters file).",
)
@_ledger_option
def report(
    params, out, owners, policy, assumptions, scenario, gpu_metrics, ledger
) -> None:
    """Run the notebook series into a dated folder with HTML and metrics.json."""
    from .report import read_params, run_report

    # The command reports on the user's ledger unless told otherwise; only
    # the notebooks, opened by hand, default to the demo.
    values = read_params(
        params,
        base={"ledger": str(default_ledger_path())},
        ledger=str(ledger) if ledger else None,
        owners=str(owners) if owners else None,
        policy=str(policy) if policy else None,
        assumptions=str(assumptions) if assumptions else None,
        scenario=str(scenario) if scenario else None,
        gpu_metrics=str(gpu_metrics) if gpu_metrics else None,
    )
    folder = run_report(values, out, progress=lambda line: click.echo(line, err=True))
    click.echo(f"report written to {folder}")
    click.echo(f"open {folder / 'report.html'}")


def main() -> None:
    """Entry point: user mistakes print a message, not a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TokenlibError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except duckdb.IOException as exc:
        click.echo(f"error: cannot open the ledger ({exc})", err=True)
        sys.exit(2)
    except duckdb.Error as exc:
        # A file DuckDB could not make sense of; -v logs the full trace.
        logging.getLogger(__name__).debug("DuckDB error", exc_info=True)
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
