"""Charts of the fully loaded cost: the token bill and the eight unmetered
buckets beside it (issue 5).

:func:`waterfall` walks from the token bill to the fully loaded cost and
:func:`tornado` shows which drivers move it most. The charts over time
(forecast fans, budget burn) live in :mod:`tokenlib.forecast_plots`.

Each function takes a frame of the fully loaded stage and an optional Axes,
draws on it and returns it; none calls ``show`` or ``savefig``. Money goes
on one axis in one currency only.
"""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401 (the doctests close figures)
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .plot_style import (
    PALETTE,
    axes_or_new,
    compact,
    money_label,
    one_currency,
    plain_ticks,
    say_empty,
    set_title,
    small_note,
)

__all__ = ["tornado", "waterfall"]


def waterfall(
    steps: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw the walk from the token bill to the fully loaded cost.

    Parameters
    ----------
    steps
        ``step``, ``amount``, ``cumulative`` (running total after the
        step), ``kind`` ("start", "step" or "total") and ``currency``;
        the token bill first, the fully loaded total last.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per row, top to bottom: start and total from
        zero, each step floating from the running total before it.

    Raises
    ------
    ParameterError
        The frame holds more than one currency.

    Examples
    --------
    >>> steps = pd.DataFrame({"step": ["token bill", "governance",
    ...     "fully loaded"], "amount": [100.0, 50.0, 150.0],
    ...     "cumulative": [100.0, 150.0, 150.0],
    ...     "kind": ["start", "step", "total"], "currency": "USD"})
    >>> ax = waterfall(steps)
    >>> [(float(p.get_x()), float(p.get_width())) for p in ax.patches]
    [(0.0, 100.0), (100.0, 50.0), (0.0, 150.0)]
    >>> ax.get_title("left")
    'From token bill to fully loaded cost: ×1.5'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(steps, "amount")
    if steps.empty:
        say_empty(ax, "no cost to walk through")
        set_title(ax, "From token bill to fully loaded cost", period)
        return ax

    # Whole bars start at zero; a step floats on the total before it.
    ends = steps["cumulative"].to_numpy(dtype=float)
    whole = steps["kind"].isin(["start", "total"]).to_numpy()
    lefts = np.where(whole, 0.0, np.r_[0.0, ends[:-1]])
    widths = np.where(whole, ends, steps["amount"].to_numpy(dtype=float))
    rows = list(range(len(steps)))
    colours = np.where(whole, PALETTE[0], PALETTE[1]).tolist()
    ax.barh(rows, widths, left=lefts, color=colours, height=0.6)
    ax.set_yticks(rows, steps["step"].tolist())
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(False, axis="y")

    # Each bar says its amount at its end; thin lines carry the total down.
    for row, left, width in zip(rows, lefts, widths, strict=True):
        small_note(ax, compact(width), (left + width, row), (3, 0), va="center")
    for row, end in zip(rows[:-1], ends[:-1], strict=True):
        ax.plot([end, end], [row + 0.3, row + 0.7], color="0.6", linewidth=0.8)
    ax.set_xlim(0, max(ends.max(), 1e-9) * 1.12)
    plain_ticks(ax.xaxis)
    ax.set(xlabel=money_label(currency), ylabel="cost bucket")

    # The title says how many times the token bill the whole cost is.
    start, total = ends[0], ends[-1]
    times = f": ×{total / start:.1f}" if start > 0 else ""
    set_title(ax, f"From token bill to fully loaded cost{times}", period)
    return ax


def tornado(sensitivity: pd.DataFrame, ax: Axes | None = None, top: int = 10) -> Axes:
    """Draw how far each driver moves the fully loaded cost, biggest on top.

    Parameters
    ----------
    sensitivity
        One row per driver: ``label``, ``unit``, ``low_value``,
        ``high_value``, ``low_total``, ``high_total``, ``base_total``,
        ``swing`` and ``currency``.
    ax
        Axes to draw on; a new figure when None.
    top
        Most drivers drawn; the title says how many more were left out.

    Returns
    -------
    matplotlib.axes.Axes
        Per driver two bars from the base total: to the total with the
        driver at its low value, and at its high value.

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["seats", "review hours"],
    ...     "unit": ["", "h"], "low_value": [5, 40], "high_value": [9, 80],
    ...     "low_total": [95.0, 80.0], "high_total": [105.0, 130.0],
    ...     "base_total": 100.0, "swing": [10.0, 50.0], "currency": "USD"})
    >>> ax = tornado(frame, top=1)
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_title("left")
    (['review hours'], 'What moves the fully loaded cost\\n1 smaller driver not shown')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    currency = one_currency(sensitivity, "swing")
    rows = sensitivity.sort_values("swing", ascending=False, kind="stable")
    shown, hidden = rows.head(top), len(rows) - min(top, len(rows))
    if shown.empty:
        say_empty(ax, "no drivers to compare")
    else:
        base = float(shown["base_total"].iloc[0])
        at = list(range(len(shown)))
        for end, value, colour, name in (
            ("low_total", "low_value", PALETTE[0], "driver at low"),
            ("high_total", "high_value", PALETTE[1], "driver at high"),
        ):
            deltas = shown[end].to_numpy(dtype=float) - base
            ax.barh(at, deltas, left=base, color=colour, height=0.6, label=name)
            values = zip(at, deltas, shown[value], shown["unit"], strict=True)
            for row, delta, v, unit in values:
                text = f"{v:,.4g} {unit}".strip() if pd.notna(v) else ""
                side, dx = ("left", 3) if delta >= 0 else ("right", -3)
                small_note(ax, text, (base + delta, row), (dx, 0), va="center", ha=side)
        ax.axvline(base, color="0.2", linewidth=1)
        small_note(ax, f"base {compact(base)}", (base, -0.5), (3, 3), va="bottom")
        ax.set_yticks(at, shown["label"].tolist())
        ax.set_ylim(max(len(at), 3) - 0.5, -0.5)
        ax.grid(False, axis="y")
        ax.margins(x=0.15)
        plain_ticks(ax.xaxis)
        ax.legend(loc="lower right")
    ax.set(xlabel=money_label(currency, "fully loaded cost"), ylabel="driver")
    s = "s" if hidden > 1 else ""
    note = f"{hidden} smaller driver{s} not shown" if hidden else None
    set_title(ax, "What moves the fully loaded cost", None, note)
    return ax
