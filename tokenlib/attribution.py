"""Who owns the spend: owner rules, direct allocation and shared-cost splits.

An owner is a value of one dimension (``team`` unless the rules say
otherwise). A ledger row's owner is its own value of that dimension when it
has one (explicit), else the owner of the first mapping rule that matches it
(api key, workspace, user or tag patterns), else none. Rows whose owner is
named as shared (``shared`` by default) join the unowned pool.

:func:`tokenlib.price_ledger` adds ``owner``, ``owner_basis`` and ``shared``
to the ``spend`` view, from the :class:`Owners` it is given. On that view:

- :func:`direct_allocation` is the share of spend with a named owner before
  any shared-cost rule, by day;
- :func:`allocate` splits the pool over owners by the chosen rule
  (proportional to owned spend, even, or fixed weights), per currency. Money
  is conserved: owned plus allocated shared plus left unallocated equals the
  total of the view, whatever filter is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import ParameterError
from .schema import DIMENSIONS
from .settings import read_settings
from .sources.base import literal, quote

__all__ = [
    "UNALLOCATED",
    "OwnerRule",
    "Owners",
    "read_owners",
    "owner_columns",
    "direct_allocation",
    "allocate",
    "round_to_cents",
    "chargeback",
]

#: Owner label of money no rule could place.
UNALLOCATED = "(unallocated)"


def tag_sql(key: str) -> str:
    """SQL reading one top-level tag, whose key may hold dots (``team.id``)."""
    path = '$."' + key.replace('"', '\\"') + '"'
    return f"json_extract_string(tags, {literal(path)})"


class OwnerRule(BaseModel):
    """Spend whose ``field`` matches ``pattern`` belongs to ``owner``.

    ``field`` is a ledger dimension or ``tags.<key>``; ``pattern`` matches
    the whole value, with ``*`` for any run of characters and ``?`` for one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    pattern: str
    owner: str = Field(min_length=1)

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if value in DIMENSIONS or (value.startswith("tags.") and len(value) > 5):
            return value
        raise ValueError(
            f"{value!r} is not a ledger dimension or tags.<key>; expected one of "
            + ", ".join(DIMENSIONS)
        )

    def sql(self) -> str:
        """SQL condition: the row's field matches the pattern."""
        if self.field.startswith("tags."):
            value = tag_sql(self.field[5:])
        else:
            value = f"CAST({quote(self.field)} AS VARCHAR)"
        # Only * and ? are wildcards: a [ stands for itself.
        pattern = self.pattern.replace("[", "[[]")
        return f"({value} GLOB {literal(pattern)})"


class Owners(BaseModel):
    """Owner rules and the shared-cost split, as kept in an owners file.

    Attributes
    ----------
    dimension
        The dimension owners are named in.
    rules
        Mapping rules, tried in order for rows without an explicit owner.
    shared_owners
        Owner names that mean shared cost (split, not owned).
    split
        ``proportional`` (to owned spend), ``even`` or ``weights``.
    weights
        Owner -> weight, for ``split: weights``; normalised to sum to 1.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dimension: str = "team"
    rules: tuple[OwnerRule, ...] = ()
    shared_owners: tuple[str, ...] = ("shared",)
    split: Literal["proportional", "even", "weights"] = "proportional"
    weights: dict[str, float] = {}

    @field_validator("dimension")
    @classmethod
    def _known_dimension(cls, value: str) -> str:
        if value not in DIMENSIONS:
            raise ValueError(
                f"{value!r} is not a ledger dimension; expected one of "
                + ", ".join(DIMENSIONS)
            )
        return value

    @field_validator("weights")
    @classmethod
    def _sane_weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in value.values()):
            raise ValueError("weights must not be negative")
        if value and sum(value.values()) <= 0:
            raise ValueError("weights must not all be zero")
        return value

    def basis_sql(self) -> str:
        """SQL expression: how the owner was found."""
        explicit = f"nullif(trim(CAST({quote(self.dimension)} AS VARCHAR)), '')"
        whens = " ".join(
            f"WHEN {r.sql()} THEN {literal(f'rule {i}: {r.field}')}"
            for i, r in enumerate(self.rules, 1)
        )
        return f"CASE WHEN {explicit} IS NOT NULL THEN 'explicit' {whens} END"


def read_owners(path: str | Path | None) -> Owners:
    """Read owner rules from a YAML file; None gives the defaults.

    Raises
    ------
    ParameterError
        The file cannot be read, or a key or value is wrong; the message
        names the file and where in it.
    """
    if path is None:
        return Owners()
    return read_settings(path, Owners, "owner rules", _check_split)


def _check_split(data: dict) -> str | None:
    """Weights and the split rule must agree."""
    if data.get("split") == "weights" and not data.get("weights"):
        return "split is weights but no weights are given"
    if data.get("weights") and data.get("split") != "weights":
        return (
            f"weights are given but split is "
            f"{data.get('split', 'proportional')!r}; set split: weights to use them"
        )
    return None


def owner_columns(owners: Owners, user: str = '"user"') -> str:
    """SQL select list adding ``owner``, ``owner_basis`` and ``shared``.

    ``user`` is the expression that shows a user (a pseudonym in reports);
    it names the owner when owners are users.
    """
    explicit = f"nullif(trim(CAST({quote(owners.dimension)} AS VARCHAR)), '')"
    if owners.dimension == "user":
        explicit = f"CASE WHEN {explicit} IS NOT NULL THEN {user} END"
    ruled = " ".join(f"WHEN {r.sql()} THEN {literal(r.owner)}" for r in owners.rules)
    owner = f"coalesce({explicit}, CASE {ruled} END)" if ruled else explicit
    shared = f"({owner}) IS NULL"
    if owners.shared_owners:
        names = ", ".join(map(literal, owners.shared_owners))
        shared = f"coalesce(({owner}) IN ({names}), true)"
    return f"{owner} AS owner, {owners.basis_sql()} AS owner_basis, {shared} AS shared"


def registered_owners(con: duckdb.DuckDBPyConnection) -> Owners:
    """The owner rules :func:`tokenlib.price_ledger` registered the view with."""
    try:
        found = con.execute("SELECT owners FROM owner_params").fetchone()
    except duckdb.CatalogException:
        return Owners()
    return Owners.model_validate_json(found[0])


def _where(filters: Mapping[str, str] | None) -> str:
    """SQL condition for equality filters on dimensions."""
    parts = ["cost IS NOT NULL"]
    for name, value in (filters or {}).items():
        if name not in DIMENSIONS:
            raise ParameterError(
                f"cannot filter on {name!r}; expected one of {', '.join(DIMENSIONS)}"
            )
        parts.append(f"CAST({quote(name)} AS VARCHAR) = {literal(value)}")
    return " AND ".join(parts)


def direct_allocation(
    con: duckdb.DuckDBPyConnection,
    filters: Mapping[str, str] | None = None,
    by_day: bool = True,
    source: str = "spend",
) -> pd.DataFrame:
    """Share of spend with a named owner before any shared-cost rule.

    ``source`` is the ``spend`` view or a roll-up of it with ``day``,
    ``cost_currency``, ``cost``, ``owner`` and ``shared``.

    The share is taken on absolute amounts, so a credit (a negative row)
    counts as spend that needs an owner and a day with a large credit still
    gives a share between 0 and 100.

    Returns
    -------
    pandas.DataFrame
        [``day``], ``currency``, ``cost``, ``owned_cost``,
        ``direct_allocation_pct`` (NaN where the day has no spend).

    """
    day = "day, " if by_day else ""
    frame = con.execute(
        f"""SELECT {day}cost_currency AS currency, sum(cost) AS cost,
               coalesce(sum(cost) FILTER (WHERE NOT shared), 0) AS owned_cost,
               sum(abs(cost)) AS gross,
               coalesce(sum(abs(cost)) FILTER (WHERE NOT shared), 0) AS owned_gross
        FROM {source} WHERE {_where(filters)} GROUP BY ALL ORDER BY ALL"""
    ).df()
    # On absolute amounts: a credit is spend to own, not an offset.
    gross = frame.pop("gross")
    owned = frame.pop("owned_gross")
    frame["direct_allocation_pct"] = owned / gross.where(gross != 0) * 100
    return frame


def _split(group: pd.DataFrame, pool: float, owners: Owners) -> tuple[dict, float]:
    """Split one currency's pool; return owner -> share and what is left."""
    direct = group.set_index("owner")["direct"]
    if owners.split == "weights":
        weights = pd.Series(owners.weights, dtype=float)
    elif owners.split == "even":
        weights = pd.Series(1.0, index=direct.index)
    else:
        weights = direct.clip(lower=0)
    total = weights.sum()
    if pool == 0 or total <= 0:
        return {}, pool
    shares = weights / total * pool
    # The last owner takes the remainder, so the shares add up exactly.
    shares.iloc[-1] = pool - shares.iloc[:-1].sum()
    return shares.to_dict(), 0.0


def allocate(
    con: duckdb.DuckDBPyConnection,
    owners: Owners | None = None,
    filters: Mapping[str, str] | None = None,
    source: str = "spend",
) -> pd.DataFrame:
    """Showback: each owner's direct spend plus its share of shared spend.

    Parameters
    ----------
    con
        Connection with the ``spend`` view (:func:`tokenlib.price_ledger`).
    owners
        The split rule; when None, the rules the view was registered with.
        Who owns what was settled when the view was registered.
    filters
        Dimension -> value; the split is made within the filtered spend.
    source
        The ``spend`` view, or a roll-up of it (as for
        :func:`direct_allocation`).

    Returns
    -------
    pandas.DataFrame
        ``owner``, ``currency``, ``direct``, ``shared``, ``cost``
        (direct + shared), largest first per currency, with a row
        ``(unallocated)`` for shared spend no owner could take (no owned
        spend to be proportional to, say). Per currency, ``cost`` sums to
        the total of the filtered view.
    """
    owners = owners or registered_owners(con)
    where = _where(filters)
    rows = con.execute(
        f"""SELECT cost_currency AS currency, owner, shared, sum(cost) AS cost
        FROM {source} WHERE {where} GROUP BY ALL"""
    ).df()
    out = []
    for currency, group in rows.groupby("currency", sort=True, dropna=False):
        owned = (
            group[~group["shared"]]
            .groupby("owner", as_index=False)["cost"]
            .sum()
            .rename(columns={"cost": "direct"})
        )
        pool = float(group.loc[group["shared"], "cost"].sum())
        shares, left = _split(owned, pool, owners)
        names = list(dict.fromkeys([*owned["owner"], *shares]))
        direct = owned.set_index("owner")["direct"]
        for name in names:
            out.append(
                (name, currency, float(direct.get(name, 0.0)), shares.get(name, 0.0))
            )
        if left:
            out.append((UNALLOCATED, currency, 0.0, left))
    frame = pd.DataFrame(out, columns=["owner", "currency", "direct", "shared"])
    frame["cost"] = frame["direct"] + frame["shared"]
    return frame.sort_values(
        ["currency", "cost"], ascending=[True, False], ignore_index=True
    )


def round_to_cents(amounts: pd.Series, total: float | None = None) -> pd.Series:
    """Round amounts to cents so that they add up to the rounded total.

    Largest-remainder rounding: each amount is floored to the cent, and the
    cents still missing go to the amounts that lost most. For display only;
    money is kept unrounded everywhere else.

    Examples
    --------
    >>> round_to_cents(pd.Series([1 / 3, 1 / 3, 1 / 3])).tolist()
    [0.34, 0.33, 0.33]
    """
    total = float(amounts.sum()) if total is None else total
    cents = amounts * 100
    floored = np.floor(cents)
    missing = int(round(round(total * 100) - floored.sum()))
    order = (cents - floored).sort_values(ascending=False, kind="stable").index
    floored.loc[order[:missing]] += 1
    return floored / 100


def chargeback(showback: pd.DataFrame) -> pd.DataFrame:
    """Amounts to charge each owner, in cents that add up to the total.

    Parameters
    ----------
    showback
        From :func:`allocate`.

    Returns
    -------
    pandas.DataFrame
        ``owner``, ``currency``, ``charge`` (rounded to the cent by
        :func:`round_to_cents` per currency), then a ``total`` row per
        currency equal to the sum of its owners' charges and to the
        rounded total spend.

    Examples
    --------
    >>> frame = pd.DataFrame({"owner": ["a", "b", "c"], "currency": "USD",
    ...                       "cost": [1 / 3, 1 / 3, 1 / 3]})
    >>> chargeback(frame)["charge"].tolist()
    [0.34, 0.33, 0.33, 1.0]
    """
    parts = []
    for currency, group in showback.groupby("currency", sort=True, dropna=False):
        charge = round_to_cents(group["cost"].reset_index(drop=True))
        rows = pd.DataFrame(
            {"owner": group["owner"].to_numpy(), "currency": currency, "charge": charge}
        )
        total = pd.DataFrame(
            {"owner": ["total"], "currency": [currency], "charge": [charge.sum()]}
        )
        parts += [rows, total]
    if not parts:
        return pd.DataFrame(columns=["owner", "currency", "charge"])
    out = pd.concat(parts, ignore_index=True)
    out["charge"] = out["charge"].round(2)
    return out
