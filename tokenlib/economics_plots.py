"""Charts of unit economics: cost per million tokens, the token mix, and
cost computed from tokens against the bill.

Each function takes a frame from :mod:`tokenlib.metrics` and an optional
Axes, draws on it and returns it; none calls ``show`` or ``savefig``.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from .plot_style import (
    PALETTE,
    axes_or_new,
    date_ticks,
    hbars,
    label,
    money_label,
    one_currency,
    plain_ticks,
    say_empty,
    set_title,
    span,
)
from .schema import TOKEN_CLASSES

__all__ = ["cost_per_mtok_bar", "drift_chart", "token_mix"]

_CLASS_LABELS = {
    "input": "input (uncached)",
    "cache_read": "cache read",
    "cache_write_5m": "cache write 5m",
    "cache_write_1h": "cache write 1h",
    "output": "output",
    "reasoning": "reasoning (within output)",
}


def cost_per_mtok_bar(
    frame: pd.DataFrame,
    by: str,
    ax: Axes | None = None,
    period: str | None = None,
    blended: bool = True,
) -> Axes:
    """Draw cost per million tokens by one dimension, dearest on top.

    Parameters
    ----------
    frame
        From :func:`tokenlib.metrics.cost_per_mtok` with ``by``.
    by
        The dimension column.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title.
    blended
        Draw the blended figure over all rows (their cost over their
        tokens) as a dashed line; needs ``cost`` and ``tokens`` columns.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per row; a legend only when the blended line is drawn.

    Raises
    ------
    ParameterError
        The frame holds cost in more than one currency.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> frame = pd.DataFrame({"model": ["a", "b", "c"], "currency": "USD",
    ...     "cost": [1.0, 6.0, 1.2], "tokens": [2e6, 2e6, 1e6]})
    >>> frame["cost_per_mtok"] = frame["cost"] / frame["tokens"] * 1e6
    >>> ax = cost_per_mtok_bar(frame, "model")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['b', 'c', 'a'], 'cost per million tokens (USD)')
    >>> ax.get_legend().get_texts()[0].get_text()
    'blended: 1.64'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(frame, "cost_per_mtok")
    rows = frame[frame["cost_per_mtok"].notna()]
    rows = rows.sort_values("cost_per_mtok", ascending=False)

    hbars(ax, rows[by].astype(str).tolist(), rows["cost_per_mtok"])
    if blended and {"cost", "tokens"} <= set(rows) and rows["tokens"].sum():
        mean = rows["cost"].sum() / rows["tokens"].sum() * 1e6
        ax.axvline(
            mean,
            color=PALETTE[5],
            linestyle="--",
            linewidth=1.5,
            label=f"blended: {mean:,.3g}",
        )
        ax.legend(loc="lower right")
    if rows.empty:
        say_empty(ax, "no priced tokens in this period")
    ax.set_xlabel(money_label(currency, "cost per million tokens"))
    ax.set_ylabel(label(by))
    set_title(ax, f"Cost per million tokens by {label(by)}", period)
    return ax


def token_mix(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw tokens by class, in millions, as horizontal bars.

    Parameters
    ----------
    frame
        From :func:`tokenlib.metrics.token_totals`: one column per token
        class; rows (one per group when split) are summed.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per token class; reasoning, a part of output, is hatched.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> frame = pd.DataFrame({"input": [2e6], "cache_read": [1e6],
    ...     "cache_write_5m": [0], "cache_write_1h": [0], "output": [5e5],
    ...     "reasoning": [1e5]})
    >>> ax = token_mix(frame)
    >>> [float(round(p.get_width(), 1)) for p in ax.patches]
    [2.0, 1.0, 0.0, 0.0, 0.5, 0.1]
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    millions = frame[list(TOKEN_CLASSES)].sum().astype(float) / 1e6
    labels = [_CLASS_LABELS[c] for c in TOKEN_CLASSES]

    hbars(ax, labels, millions)
    ax.patches[-1].set_hatch("//")
    ax.patches[-1].set_facecolor("white")
    ax.patches[-1].set_edgecolor(PALETTE[0])
    ax.set_xlabel("tokens (millions)")
    ax.set_ylabel("token class")
    set_title(ax, "Tokens by class", period)
    return ax


def drift_chart(
    frame: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw cost computed from tokens against billed cost, per UTC day.

    Parameters
    ----------
    frame
        From :func:`tokenlib.metrics.drift`: ``utc_day``, ``currency``,
        ``computed``, ``billed``; providers and models are summed per day.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title; the first and last UTC day when None.

    Returns
    -------
    matplotlib.axes.Axes
        A line for each of computed and billed cost that has values; the
        title says when there is nothing to compare.

    Raises
    ------
    ParameterError
        The frame holds cost in more than one currency.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"])
    >>> frame = pd.DataFrame({"utc_day": days, "currency": "USD",
    ...     "computed": [10.0, 11.0, 9.0], "billed": [10.5, 11.0, 9.5]})
    >>> ax = drift_chart(frame)
    >>> [line.get_label() for line in ax.get_lines()]
    ['computed from tokens', 'billed']
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(frame, "billed")
    days = frame.groupby("utc_day")[["computed", "billed"]].sum(min_count=1)

    labels = {"computed": "computed from tokens", "billed": "billed"}
    drawn = [c for c in labels if days[c].notna().any()]
    # Billed is dashed over computed, so both show where they agree.
    dashes = {"computed": "-", "billed": "--"}
    for column in drawn:
        values = days[column].to_numpy()
        ax.plot(days.index, values, dashes[column], label=labels[column])
    if len(drawn) > 1:
        ax.legend()
    if not drawn:
        say_empty(ax, "no billed token charges in this period")
    else:
        date_ticks(ax)
    plain_ticks(ax.yaxis)
    ax.set_xlabel("day (UTC)")

    # With one line there is no legend: the axis says which, the title why.
    what = {"computed": "cost computed from tokens", "billed": "billed cost"}
    why = {
        "computed": "no billed money on these days",
        "billed": "no tokens priced on billed days",
    }
    one = drawn[0] if len(drawn) == 1 else None
    ax.set_ylabel(money_label(currency, what[one] if one else "cost"))
    set_title(
        ax,
        "Computed vs billed cost",
        period or span(frame["utc_day"], "UTC"),
        f"nothing to compare: {why[one]}" if one else None,
    )
    return ax
