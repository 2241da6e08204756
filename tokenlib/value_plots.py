"""Charts of the value stage and of the executive summary.

Each function takes a frame from :mod:`tokenlib.value` or
:mod:`tokenlib.executive` and draws it; none calls ``show`` or ``savefig``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .plot_style import (
    PALETTE,
    axes_or_new,
    date_ticks,
    hbars,
    label,
    money_label,
    one_currency,
    say_empty,
    set_title,
)

__all__ = ["kpi_trends", "outcome_costs", "route_trend"]


def outcome_costs(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw cost per verified outcome by use case, on a log scale.

    Parameters
    ----------
    frame
        From :func:`tokenlib.value.cost_per_verified_outcome` for one
        currency; the total row and rows without a figure are left out.

    Examples
    --------
    >>> frame = pd.DataFrame({"use_case": ["chat", "code", "(total)"],
    ...     "currency": "USD", "cost_per_verified": [0.01, 7.5, 0.2]})
    >>> ax = outcome_costs(frame)
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xscale()
    (['code', 'chat'], 'log')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    rows = frame[(frame["use_case"] != "(total)") & frame["cost_per_verified"].gt(0)]
    rows = rows.sort_values("cost_per_verified", ascending=False)
    currency = one_currency(rows, "cost_per_verified")
    if rows.empty:
        say_empty(ax, "no use case has both spend and verified outcomes")
    else:
        hbars(ax, rows["use_case"].tolist(), rows["cost_per_verified"])
        ax.set_xscale("log")
        for i, x in enumerate(rows["cost_per_verified"]):
            ax.annotate(f" {x:,.3g}", (x, i), va="center", fontsize=9, color="0.3")
    ax.set_xlabel(money_label(currency, "cost per verified outcome"))
    ax.set_ylabel("use case")
    set_title(ax, "Cost per verified outcome", period)
    return ax


def route_trend(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw the weekly route win rate against its target.

    Parameters
    ----------
    frame
        From :func:`tokenlib.value.route_win_rate` with ``by="week"``:
        ``week``, ``win_rate``, ``opportunity``, ``target``.

    Examples
    --------
    >>> weeks = pd.to_datetime(["2026-01-05", "2026-01-12"])
    >>> frame = pd.DataFrame({"week": weeks, "win_rate": [0.6, 0.65],
    ...     "opportunity": [0.1, 0.08], "target": 0.7})
    >>> ax = route_trend(frame)
    >>> ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('share of evaluated requests (%)', ['win rate', 'win rate + opportunity'])
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    rows = frame.dropna(subset=["win_rate"]) if "win_rate" in frame else frame[:0]
    if rows.empty:
        say_empty(ax, "no evaluated routing evidence in this period")
    else:
        weeks = pd.to_datetime(rows["week"])
        win = rows["win_rate"].to_numpy() * 100
        reach = win + rows["opportunity"].fillna(0).to_numpy() * 100
        ax.plot(weeks, win, label="win rate")
        ax.plot(
            weeks,
            reach,
            linestyle=":",
            color=PALETTE[1],
            label="win rate + opportunity",
        )
        target = rows["target"].iloc[0] * 100
        ax.axhline(target, color="0.4", linestyle="--", linewidth=1)
        ax.annotate(f"target {target:.0f}%", (weeks.iloc[0], target), xytext=(0, 4),
                    textcoords="offset points", fontsize=9, color="0.3")  # fmt: skip
        ax.set_ylim(0, 100)
        ax.legend(loc="lower right")
        date_ticks(ax)
    ax.set_xlabel("week")
    ax.set_ylabel("share of evaluated requests (%)")
    set_title(ax, "Route win rate", period)
    return ax


def kpi_trends(panels: list[dict], period: str | None = None) -> Figure:
    """Draw small weekly trend charts, one per headline number.

    Parameters
    ----------
    panels
        One dict per chart: ``title``, ``week`` and ``value`` (sequences of
        equal length), ``unit`` (axis label), optional ``target``.

    Examples
    --------
    >>> weeks = pd.to_datetime(["2026-01-05", "2026-01-12"])
    >>> fig = kpi_trends([{"title": "spend", "week": weeks, "value": [1, 2],
    ...                    "unit": "USD"}])
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['spend']
    >>> plt.close(fig)
    """
    cols = min(len(panels), 3) or 1
    rows = int(np.ceil(len(panels) / cols)) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.0 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        values = pd.Series(panel["value"], dtype=float)
        weeks = pd.to_datetime(pd.Series(panel["week"]))
        if values.dropna().empty:
            say_empty(ax, "no data")
        else:
            ax.plot(weeks, values.to_numpy(), marker="o", markersize=3)
            date_ticks(ax)
            if panel.get("target") is not None:
                ax.axhline(panel["target"], color="0.4", linestyle="--", linewidth=1)
        ax.set_ylabel(label(panel["unit"]))
        ax.set_title(panel["title"], loc="left")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    if period:
        fig.suptitle(f"Weekly trends, {period}", x=0.01, ha="left")
    fig.tight_layout()
    return fig
