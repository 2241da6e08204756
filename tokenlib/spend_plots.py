"""Charts of spend visibility: daily spend, its split by owner, spend by one
dimension.

Each function takes a frame from :mod:`tokenlib.metrics` and an optional
Axes, draws on it and returns it; none calls ``show`` or ``savefig``.
Money goes on one axis in one currency only: a frame holding two
currencies is refused, never added up.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from .plot_style import (
    OTHER_COLOUR,
    PALETTE,
    axes_or_new,
    date_ticks,
    every_day,
    hbars,
    label,
    money_label,
    one_currency,
    plain_ticks,
    say_empty,
    set_title,
    span,
)

__all__ = ["daily_spend", "spend_bar", "stacked_daily"]


def daily_spend(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw cost per reporting day as a line.

    Parameters
    ----------
    frame
        From :func:`tokenlib.metrics.spend_by_day` without ``by``: ``day``,
        ``currency``, ``cost``. Rows without cost (unpriced tokens) are left
        out; ``frame.attrs["tz"]`` names the zone of the days.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title; the first and last day when None.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ParameterError
        The frame holds cost in more than one currency.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"])
    >>> frame = pd.DataFrame({"day": days, "currency": "USD",
    ...                       "cost": [10.0, 12.5, 9.0]})
    >>> frame.attrs["tz"] = "UTC"
    >>> ax = daily_spend(frame)
    >>> ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel()
    ('Daily spend, 2026-01-01 to 2026-01-03 (UTC)', 'day (UTC)', 'cost (USD)')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(frame, "cost")
    tz = frame.attrs.get("tz")
    priced = frame[frame["cost"].notna()]
    cost = every_day(priced.groupby("day")["cost"].sum(), None)

    # A day without data breaks the line; markers show days standing alone.
    if cost.empty:
        say_empty(ax, "no priced spend in this period")
    else:
        gaps = bool(cost.isna().any())
        ax.plot(cost.index, cost.to_numpy(), marker="o" if gaps else None, markersize=3)
        date_ticks(ax)
    plain_ticks(ax.yaxis)
    ax.set_xlabel(f"day ({tz})" if tz else "day")
    ax.set_ylabel(money_label(currency))
    set_title(ax, "Daily spend", period or span(priced["day"], tz))
    return ax


def stacked_daily(
    frame: pd.DataFrame,
    by: str,
    ax: Axes | None = None,
    period: str | None = None,
    keep: list[str] | pd.Series | None = None,
) -> Axes:
    """Draw daily cost stacked by a dimension, largest at the bottom.

    Parameters
    ----------
    frame
        From :func:`tokenlib.metrics.spend_by_day` with ``by``.
    by
        The dimension column to stack by.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title; the first and last day when None.
    keep
        Values of ``by`` drawn apart; the rest are summed as ``Other``.
        Pass the values :func:`tokenlib.metrics.spend_by` kept after its
        ``other_below`` fold so chart and table agree. None keeps all.

    Returns
    -------
    matplotlib.axes.Axes
        One stacked area per value; a legend only with more than one.

    Raises
    ------
    ParameterError
        The frame holds cost in more than one currency.

    Notes
    -----
    Days without data are drawn as zero. Negative days (credits larger
    than the day's spend) do not stack meaningfully; they show as areas
    below zero.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02"])
    >>> frame = pd.DataFrame({"day": days, "team": ["web", "data", "web"],
    ...                       "currency": "USD", "cost": [3.0, 1.0, 4.0]})
    >>> ax = stacked_daily(frame, "team")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['data', 'web']
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(frame, "cost")
    tz = frame.attrs.get("tz")
    priced = frame[frame["cost"].notna()].copy()
    if keep is not None:
        kept = priced[by].isin(list(keep))
        priced[by] = priced[by].where(kept, "Other")

    # One column per value, largest total first, Other last.
    wide = priced.pivot_table(
        index="day", columns=by, values="cost", aggfunc="sum", fill_value=0.0
    )
    order = wide.sum().sort_values(ascending=False).index.tolist()
    if "Other" in order:
        order.remove("Other")
        order.append("Other")
    wide = every_day(wide[order], 0.0)

    colours = [
        OTHER_COLOUR if c == "Other" else PALETTE[i % len(PALETTE)]
        for i, c in enumerate(order)
    ]
    if wide.empty:
        say_empty(ax, "no priced spend in this period")
    else:
        ax.stackplot(
            wide.index, wide.T.to_numpy(), labels=order, colors=colours, linewidth=0
        )
        date_ticks(ax)
    if len(order) > 1:
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            handles[::-1],
            labels[::-1],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            title=label(by),
        )
    plain_ticks(ax.yaxis)
    ax.set_xlabel(f"day ({tz})" if tz else "day")
    ax.set_ylabel(money_label(currency))
    set_title(ax, f"Daily spend by {label(by)}", period or span(priced["day"], tz))
    return ax


def spend_bar(
    frame: pd.DataFrame, by: str, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw cost by one dimension as horizontal bars, largest on top.

    Parameters
    ----------
    frame
        From :func:`tokenlib.metrics.spend_by`: ``by``, ``currency``,
        ``cost``, optionally ``share`` (written at the end of each bar).
        ``Other`` is drawn last and grey.
    by
        The dimension column.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per row.

    Raises
    ------
    ParameterError
        The frame holds cost in more than one currency.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> frame = pd.DataFrame({"team": ["web", "Other", "data"],
    ...                       "currency": "USD", "cost": [5.0, 1.0, 3.0]})
    >>> ax = spend_bar(frame, "team", period="2026-01")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['web', 'data', 'Other'], 'cost (USD)')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(frame, "cost")
    rows = frame[frame["cost"].notna()]
    rows = rows.assign(_other=rows[by] == "Other")
    rows = rows.sort_values(["_other", "cost"], ascending=[True, False])

    labels = rows[by].astype(str).tolist()
    colours = [OTHER_COLOUR if x else PALETTE[0] for x in rows["_other"]]
    hbars(ax, labels, rows["cost"], colours)
    if "share" in rows:
        for i, (cost, share) in enumerate(
            zip(rows["cost"], rows["share"], strict=True)
        ):
            ax.annotate(
                f" {share:.0%}", (max(cost, 0), i), va="center", fontsize=9, color="0.3"
            )
    if rows.empty:
        say_empty(ax, "no priced spend in this period")
    ax.set_xlabel(money_label(currency))
    ax.set_ylabel(label(by))
    set_title(ax, f"Spend by {label(by)}", period)
    return ax
