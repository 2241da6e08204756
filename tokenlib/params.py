"""Parameters of the series: check them, resolve paths, open the priced ledger.

The notebooks, the report runner and the command line take the same
parameters (ledger, prices, period, zone, currency, scope, group-by); this
module checks them once, with messages that name the parameter and echo its
value. Relative paths resolve against the project root, never the current
directory, because papermill and schedulers start anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from .attribution import Owners, read_owners
from .errors import ParameterError
from .ledger import PROJECT_ROOT, open_ledger
from .loaded_assumptions import Assumptions, read_assumptions
from .policy import Policy, read_policy
from .pricing import check_zone, price_ledger, read_scope_rules
from .scenario import ScenarioFile, read_scenarios
from .schema import DIMENSIONS

__all__ = [
    "SCOPES",
    "check_params",
    "gpu_metrics_path",
    "loaded_assumptions",
    "open_priced",
    "owner_rules",
    "value_policy",
    "parse_date",
    "resolve_path",
    "scenarios",
]

SCOPES = ("ai", "all")
USERS = ("pseudonymised", "shown")


def resolve_path(p: str | Path) -> Path:
    """Resolve a path against the project root, never the current directory.

    >>> resolve_path("data/x.duckdb") == PROJECT_ROOT / "data" / "x.duckdb"
    True
    >>> resolve_path("/tmp/x.duckdb")
    PosixPath('/tmp/x.duckdb')
    """
    path = Path(p).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def parse_date(value: str | None, label: str) -> date | None:
    """Parse an ISO date; empty means no bound. ``label`` opens the error.

    >>> parse_date("2026-06-01", "start")
    datetime.date(2026, 6, 1)
    >>> parse_date("", "start") is None
    True
    """
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"{label}: expected a date YYYY-MM-DD, or '' for no bound"
        ) from None


def _date(value: str, name: str) -> date | None:
    return parse_date(value, f"{name}={value!r}")


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
    scope_rules: str = "",
    owners: str = "",
    users: str = "pseudonymised",
    policy: str = "",
    business_unit: str = "booking",
    assumptions: str = "",
    scenario: str = "",
    gpu_metrics: str = "",
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
        unknown, the scope, currency or ``group_by`` is not allowed, the
        ledger or prices file does not exist, or a settings file (scope
        rules, owners, policy, assumptions) does not read.

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
        lambda: (
            scope_rules
            and read_scope_rules(
                _file(scope_rules, "scope_rules", "use '' for the default AI scope")
            )
        ),
        lambda: (
            owners and read_owners(_file(owners, "owners", "use '' for owners by team"))
        ),
        lambda: _choice(users, "users", USERS),
        lambda: value_policy(policy),
        lambda: _unit(business_unit),
        lambda: loaded_assumptions(assumptions, currency),
        lambda: scenarios(scenario, currency),
        lambda: (
            gpu_metrics
            and _file(gpu_metrics, "gpu_metrics", "use '' for the assumed utilisation")
        ),
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
        "scope_rules": scope_rules,
        "owners": owners,
        "users": users,
        "policy": policy,
        "business_unit": business_unit,
        "assumptions": assumptions,
        "scenario": scenario,
        "gpu_metrics": gpu_metrics,
    }


def open_priced(
    ledger: str,
    prices: str = "",
    tz: str = "UTC",
    start: str = "",
    end: str = "",
    scope: str = "ai",
    scope_rules: str = "",
    owners: str = "",
    users: str = "pseudonymised",
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
    scope_rules
        YAML adding services, SKUs or tags to the AI scope; '' for none.
    owners
        Owner rules YAML (who owns spend, how shared spend splits); '' for
        the defaults: owners are teams, shared spend split in proportion.
    users
        ``pseudonymised`` (user emails and ids shown as stable pseudonyms)
        or ``shown`` (for internal use).

    Returns
    -------
    duckdb.DuckDBPyConnection
        With the ``priced`` and ``spend`` views registered.

    Raises
    ------
    ParameterError
        As :func:`check_params`; a missing ledger is never created.
    """
    path = _file(ledger, "ledger", "ingest exports into a ledger first")
    negotiated = _file(prices, "prices", "use '' for list prices") if prices else None
    first, stop = _date(start, "start"), _date(end, "end")
    mode = _choice(scope, "scope", SCOPES)
    rules = (
        _file(scope_rules, "scope_rules", "use '' for the default AI scope")
        if scope_rules
        else None
    )
    owner_rules = read_owners(
        _file(owners, "owners", "use '' for owners by team") if owners else None
    )
    con = open_ledger(path, read_only=True)
    try:
        price_ledger(
            con,
            negotiated=negotiated,
            scope=read_scope_rules(rules, mode),
            tz=tz,
            start=first,
            end=stop,
            owners=owner_rules,
            pseudonymise=_choice(users, "users", USERS) == "pseudonymised",
        )
    except BaseException:
        con.close()
        raise
    return con


def owner_rules(owners: str = "") -> Owners:
    """Read the owner rules a notebook's ``owners`` parameter names.

    '' gives the defaults: owners are teams, shared spend split in
    proportion to owned spend.
    """
    if not owners:
        return read_owners(None)
    return read_owners(_file(owners, "owners", "use '' for owners by team"))


def value_policy(policy: str = "") -> Policy:
    """Read the value policy a notebook's ``policy`` parameter names.

    '' gives the defaults: a 70% route target, no tolerance, no batch-eligible
    use case and no regulated workload.
    """
    if not policy:
        return read_policy(None)
    return read_policy(_file(policy, "policy", "use '' for the default policy"))


def loaded_assumptions(assumptions: str = "", currency: str = "USD") -> Assumptions:
    """Read the fully loaded cost assumptions the ``assumptions`` parameter
    names, for a report in ``currency``.

    '' gives the documented defaults for every driver, in ``currency``, each
    marked as a default wherever it is shown.

    Raises
    ------
    ParameterError
        The file is missing or does not read, or its amounts are in another
        currency than the report's.
    """
    if not assumptions:
        return read_assumptions(None).model_copy(update={"currency": currency})
    path = _file(assumptions, "assumptions", "use '' for the documented defaults")
    read = read_assumptions(path)
    _same_currency("assumptions", assumptions, read.currency, currency, "amounts")
    return read


def scenarios(scenario: str = "", currency: str = "USD") -> ScenarioFile:
    """Read the optimisation scenarios the ``scenario`` parameter names.

    '' gives none: today's layers only, and no self-hosted calculator.

    Raises
    ------
    ParameterError
        The file is missing or does not read, or its prices are in another
        currency than the report's.
    """
    if not scenario:
        return ScenarioFile().model_copy(update={"currency": currency})
    path = _file(scenario, "scenario", "use '' for no scenario")
    read = read_scenarios(path)
    _same_currency("scenario", scenario, read.currency, currency, "prices")
    return read


def _same_currency(name: str, value: str, its: str, report: str, what: str) -> None:
    """Refuse a parameter file whose money is in another currency: never
    add two currencies together."""
    if its != report:
        raise ParameterError(
            f"{name}={value!r}: its {what} are in {its}, the report in {report}; "
            f"report in {its} or state the file's {what} in the report's currency"
        )


def gpu_metrics_path(gpu_metrics: str = "") -> Path | None:
    """The DCGM scrape the ``gpu_metrics`` parameter names; None for ''."""
    if not gpu_metrics:
        return None
    return _file(gpu_metrics, "gpu_metrics", "use '' for the assumed utilisation")


def _unit(name: str) -> str:
    """A business unit is a plain name: ``booking``, ``resolved_ticket``."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_ -]*", name or ""):
        raise ParameterError(
            f"business_unit={name!r}: expected a unit name as in the volumes "
            "file, such as booking or resolved_ticket"
        )
    return name
