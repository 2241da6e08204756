"""Charts of attribution: direct allocation over time, showback, sessions.

Each function takes a frame from :mod:`tokenlib.attribution` or
:mod:`tokenlib.sessions` and an optional Axes, draws on it and returns it.
Money goes on one axis in one currency only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .attribution import UNALLOCATED
from .plot_style import (
    OTHER_COLOUR,
    PALETTE,
    axes_or_new,
    date_ticks,
    every_day,
    label,
    money_label,
    one_currency,
    plain_ticks,
    say_empty,
    set_title,
    span,
)

__all__ = ["allocation_trend", "showback_bar", "session_costs"]


def allocation_trend(
    frame: pd.DataFrame,
    ax: Axes | None = None,
    period: str | None = None,
    target: float | None = 90.0,
) -> Axes:
    """Draw the direct-allocation % per day, with a dashed target line.

    Parameters
    ----------
    frame
        From :func:`tokenlib.attribution.direct_allocation` for one
        currency: ``day``, ``direct_allocation_pct``.
    target
        Percentage drawn as a dashed line; None for none.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-02"])
    >>> frame = pd.DataFrame({"day": days, "direct_allocation_pct": [60.0, 75.0]})
    >>> ax = allocation_trend(frame, period="2026-01")
    >>> ax.get_ylabel(), [float(y) for y in ax.get_ylim()]
    ('spend with a named owner (%)', [0.0, 100.0])
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    pct = every_day(frame.set_index("day")["direct_allocation_pct"], None)
    if pct.dropna().empty:
        say_empty(ax, "no spend in this period")
    else:
        ax.plot(pct.index, pct.to_numpy())
        date_ticks(ax)
        if target is not None:
            ax.axhline(target, color="0.4", linestyle="--", linewidth=1)
            ax.annotate(
                f"target {target:.0f}%",
                (pct.index[0], target),
                xytext=(0, 4),
                textcoords="offset points",
                fontsize=9,
                color="0.3",
            )
    ax.set_ylim(0, 100)
    ax.set_xlabel("day")
    ax.set_ylabel("spend with a named owner (%)")
    set_title(ax, "Direct allocation", period or span(frame["day"], None))
    return ax


def showback_bar(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw each owner's cost as direct spend plus its share of shared spend.

    Parameters
    ----------
    frame
        From :func:`tokenlib.attribution.allocate` for one currency:
        ``owner``, ``currency``, ``direct``, ``shared``, ``cost``. The
        unallocated row is drawn last, grey.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> frame = pd.DataFrame({"owner": ["web", "ads"], "currency": "USD",
    ...                       "direct": [3.0, 1.0], "shared": [1.5, 0.5]})
    >>> frame["cost"] = frame.direct + frame.shared
    >>> ax = showback_bar(frame)
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['web', 'ads'], 'cost (USD)')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(frame, "cost")
    rows = frame.assign(_left=frame["owner"] == UNALLOCATED)
    rows = rows.sort_values(["_left", "cost"], ascending=[True, False])
    where = np.arange(len(rows))
    direct = np.where(rows["_left"], 0.0, rows["direct"])
    ax.barh(where, direct, color=PALETTE[0], label="direct")
    ax.barh(
        where,
        np.where(rows["_left"], 0.0, rows["shared"]),
        left=direct,
        color=PALETTE[4],
        label="shared, allocated",
    )
    if rows["_left"].any():
        ax.barh(where, np.where(rows["_left"], rows["cost"], 0.0), color=OTHER_COLOUR)
    ax.set_yticks(where, rows["owner"].astype(str).tolist())
    if len(rows):
        ax.set_ylim(max(len(rows), 3) - 0.5, -0.5)
        ax.legend(loc="lower right")
    else:
        say_empty(ax, "no spend in this period")
    ax.grid(False, axis="y")
    plain_ticks(ax.xaxis)
    ax.set_xlabel(money_label(currency))
    ax.set_ylabel("owner")
    set_title(ax, "Showback by owner", period)
    return ax


def session_costs(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw how session costs spread, on a log scale, median and p99 marked.

    Parameters
    ----------
    frame
        From :func:`tokenlib.sessions.sessions`: ``cost`` per session;
        ``frame.attrs["currency"]`` names the currency.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> frame = pd.DataFrame({"cost": [0.5, 1.0, 1.2, 2.0, 40.0]})
    >>> frame.attrs["currency"] = "USD"
    >>> ax = session_costs(frame)
    >>> ax.get_xscale(), ax.get_xlabel()
    ('log', 'cost per session (USD)')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    cost = frame["cost"].dropna()
    cost = cost[cost > 0]
    if cost.empty:
        say_empty(ax, "no priced sessions in this period")
    else:
        bins = np.geomspace(cost.min(), cost.max() * 1.0001, 30)
        ax.hist(cost, bins=bins, color=PALETTE[0])
        ax.set_xscale("log")
        for q, name in ((0.5, "median"), (0.99, "p99")):
            x = cost.quantile(q)
            ax.axvline(x, color="0.3", linestyle="--", linewidth=1)
            ax.annotate(
                f" {name}", (x, 1), xycoords=("data", "axes fraction"),
                va="top", fontsize=9, color="0.3",
            )  # fmt: skip
    ax.set_xlabel(money_label(frame.attrs.get("currency"), "cost per session"))
    ax.set_ylabel(label("sessions"))
    set_title(ax, "Cost per session", period)
    return ax
