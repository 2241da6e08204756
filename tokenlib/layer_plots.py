"""Charts of the optimisation layer cake (issue 6).

:func:`layer_cake` walks one scenario's cost down from today through the
five layers of :mod:`tokenlib.layers`; :func:`scenario_comparison` sets
several scenarios side by side, each bar split into what it still costs
and what each layer saves.

Each function takes a frame and an optional Axes, draws on it and returns
it; none calls ``show`` or ``savefig``. Money goes on one axis in one
currency only.
"""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: F401 (the doctests close figures)
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .errors import ParameterError
from .layers import LAYERS
from .plot_style import (
    OTHER_COLOUR,
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

__all__ = ["layer_cake", "scenario_comparison"]

#: Each layer as a reader names it.
LAYER_LABELS = {
    "routing": "routing and governance",
    "model": "model and quantisation",
    "stack": "inference stack",
    "capacity": "capacity",
    "silicon": "silicon",
}

#: One colour per layer, the same in every chart; the warning colour is
#: kept for a layer that makes cost go up.
LAYER_COLOURS = dict(zip(LAYERS, PALETTE[1:5] + (PALETTE[6],), strict=True))
WARNING_COLOUR = PALETTE[5]

MINUS = "\N{MINUS SIGN}"


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ParameterError(
            f"{what}: missing column {', '.join(missing)}; expected "
            f"{', '.join(columns)}"
        )


def _percent(part: float, whole: float) -> str:
    """Say ``part`` as a share of ``whole``: ``12%``, ``0.4%``; '' if no whole."""
    if not whole:
        return ""
    share = abs(part) / whole * 100
    return f"{share:.0f}%" if share >= 1 or share == 0 else f"{share:.1g}%"


def _sign(saving: float) -> str:
    """The sign of a change of cost: a saving takes cost down."""
    return MINUS if saving > 0 else "+" if saving < 0 else ""


def _bracketed(saving: float, before: float) -> str:
    """A saving as a signed share of cost in brackets: `` (−12%)``; '' for
    no saving or no cost."""
    share = _percent(saving, before)
    return f" ({_sign(saving)}{share})" if share and saving else ""


def _change(saving: float, before: float) -> str:
    """Say a saving as a signed change of cost: ``−1.2k (−12%)``."""
    return f"{_sign(saving)}{compact(abs(saving))}{_bracketed(saving, before)}"


def _name(layer: str) -> str:
    return LAYER_LABELS.get(layer, str(layer).replace("_", " "))


def layer_cake(
    cake: pd.DataFrame,
    ax: Axes | None = None,
    scenario: str | None = None,
    period: str | None = None,
) -> Axes:
    """Draw one scenario's walk from today's cost down through the layers.

    Parameters
    ----------
    cake
        :func:`tokenlib.layers.layer_cake` with two more columns:
        ``before`` (today's cost, the same on every row) and ``currency``.
        Columns ``layer``, ``saving`` and ``lost_without`` are drawn;
        the ``total`` row, if there, is not drawn (the layers' savings add
        up to it).
    ax
        Axes to draw on; a new figure when None.
    scenario
        Name of the scenario, said in the title; "Scenario" when None.
    period
        Period named in the title.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per row, top to bottom: today from zero, each
        layer floating from the cost before it down by its saving (up, in
        the warning colour, if the layer makes cost go up; no bar and "no
        change" if it saves nothing), the scenario from zero. A thin line
        under each layer reaches left from the same cost by the saving lost
        if that layer alone were left out.

    Raises
    ------
    ParameterError
        The frame holds more than one currency, or lacks a column.

    Examples
    --------
    >>> cake = pd.DataFrame({"layer": ["routing", "model", "total"],
    ...     "saving": [400.0, 300.0, 700.0],
    ...     "lost_without": [200.0, 300.0, np.nan], "before": 1000.0,
    ...     "currency": "USD"})
    >>> ax = layer_cake(cake)
    >>> [(float(p.get_x()), float(p.get_width())) for p in ax.patches]
    [(0.0, 1000.0), (600.0, 400.0), (300.0, 300.0), (0.0, 300.0)]
    >>> ax.get_title("left")
    'Scenario: USD cost from 1k to 300 (−70%)'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    name = scenario or "Scenario"
    if not cake.empty:
        _require(cake, ("layer", "saving", "lost_without", "before"), "layer_cake")
    currency = one_currency(cake, "saving") if "saving" in cake else None
    layers = cake[cake["layer"] != "total"] if "layer" in cake else cake
    if layers.empty:
        say_empty(ax, "no layers to walk through")
        set_title(ax, f"{name}: cost by layer", period)
        return ax

    # Today and the scenario stand on zero; each layer floats on the cost
    # before it, from there down by its saving (up if the saving is < 0).
    before = float(layers["before"].iloc[0])
    savings = layers["saving"].to_numpy(dtype=float)
    running = before - np.r_[0.0, np.cumsum(savings)]  # cost before each layer
    after = running[-1]
    lefts = np.r_[0.0, running[:-1] - savings, 0.0]
    widths = np.r_[before, savings, after]
    colours = [
        PALETTE[0],
        *(
            WARNING_COLOUR if s < 0 else LAYER_COLOURS.get(layer, OTHER_COLOUR)
            for layer, s in zip(layers["layer"], savings, strict=True)
        ),
        PALETTE[0],
    ]
    rows = list(range(len(widths)))
    ax.barh(rows, widths, left=lefts, color=colours, height=0.55)
    names = ["today", *(_name(layer) for layer in layers["layer"]), "scenario"]
    ax.set_yticks(rows, names)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(False, axis="y")

    # Thin lines carry the running cost from each row to the next.
    for row, end in enumerate(running):
        ax.plot([end, end], [row + 0.275, row + 0.725], color="0.6", linewidth=0.8)

    # Today and the scenario say their cost at the end of the bar; a layer
    # says its change on the side of the bar where the cost is not.
    small_note(ax, compact(before), (before, 0), (3, 0), va="center")
    small_note(ax, compact(after), (after, rows[-1]), (3, 0), va="center")
    layer_rows = zip(rows[1:-1], running[:-1], savings, strict=True)
    for row, cost, saving in layer_rows:
        if saving == 0:
            small_note(ax, "no change", (cost, row), (4, 0), va="center")
        elif saving > 0:
            text = _change(saving, before)
            small_note(ax, text, (cost - saving, row), (-4, 0), va="center", ha="right")
        else:
            text = _change(saving, before)
            small_note(ax, text, (cost - saving, row), (4, 0), va="center")

    # The saving lost without each layer: from the same cost, leftwards.
    lost = layers["lost_without"].to_numpy(dtype=float)
    for row, cost, amount in zip(rows[1:-1], running[:-1], lost, strict=True):
        if np.isnan(amount) or amount == 0:
            continue
        ax.plot(
            [cost - amount, cost],
            [row + 0.38, row + 0.38],
            color="0.15",
            linewidth=1,
            marker="o",
            markevery=[0],
            markersize=4,
            markerfacecolor="white",
            gid="lost_without",
        )
    handles = [
        Line2D([], [], color="0.15", linewidth=1, marker="o", markersize=4,
               markerfacecolor="white", label="lost if only this layer is left out"),
    ]  # fmt: skip
    if (savings < 0).any():
        handles.append(Patch(color=WARNING_COLOUR, label="layer adds cost"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              ncol=len(handles))  # fmt: skip

    ax.set_xlim(0, max(before, running.max(), 1e-9) * 1.1)
    plain_ticks(ax.xaxis)
    ax.set(xlabel=money_label(currency), ylabel="layer")

    # The title says the cost today and in the scenario, and the change.
    money = f"{currency} cost" if currency else "cost"
    change = _bracketed(before - after, before)
    walk = f"from {compact(before)} to {compact(after)}{change}"
    set_title(ax, f"{name}: {money} {walk}", period)
    return ax


def scenario_comparison(
    table: pd.DataFrame, ax: Axes | None = None, period: str | None = None
) -> Axes:
    """Draw each scenario's cost and what each layer saves, against today.

    Parameters
    ----------
    table
        One row per scenario, today first: ``scenario``, ``currency``,
        ``before`` (today's cost, the same on every row), ``cost`` (the
        scenario's), one saving column per layer (``routing``, ``model``,
        ``stack``, ``capacity``, ``silicon``; they add up to ``before -
        cost``) and, optionally, ``net_value_per_mtok``.
    ax
        Axes to draw on; a new figure when None.
    period
        Period named in the title.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per scenario, top to bottom in table order: the
        cost from zero, then each layer's saving stacked to its right in
        the layer's colour, so the bar reaches today's cost. A layer that
        adds cost is said in words beside the bar, not drawn; the savings
        of the others then reach past today by as much. Today alone, or
        no row, is said on an empty chart.

    Raises
    ------
    ParameterError
        The table holds more than one currency, or lacks a column.

    Examples
    --------
    >>> table = pd.DataFrame({"scenario": ["today", "route"],
    ...     "currency": "USD", "before": 1000.0, "cost": [1000.0, 600.0],
    ...     "routing": [0.0, 400.0], "model": 0.0, "stack": 0.0,
    ...     "capacity": 0.0, "silicon": 0.0})
    >>> ax = scenario_comparison(table)
    >>> [(float(p.get_x()), float(p.get_width())) for p in ax.patches[:4]]
    [(0.0, 1000.0), (0.0, 600.0), (1000.0, 0.0), (600.0, 400.0)]
    >>> ax.get_title("left")
    'Scenarios against today, USD'
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    if not table.empty:
        needed = ("scenario", "before", "cost", *LAYERS)
        _require(table, needed, "scenario_comparison")
    currency = one_currency(table, "cost") if "cost" in table else None
    subject = "Scenarios against today" + (f", {currency}" if currency else "")
    if len(table) < 2:
        say_empty(ax, "no scenario to compare with today")
        set_title(ax, subject, period)
        return ax

    # The cost from zero, in one colour, one bar per scenario.
    rows = list(range(len(table)))
    before = float(table["before"].iloc[0])
    costs = table["cost"].to_numpy(dtype=float)
    ax.barh(rows, costs, color=PALETTE[0], height=0.6, label="scenario cost")

    # Each layer's saving stacked to the right of the cost, layer by layer,
    # so a layer sits in the same place in every bar; a layer adding cost
    # is not drawn backwards but said beside the bar.
    ends = costs.copy()
    for layer in LAYERS:
        saving = table[layer].fillna(0.0).to_numpy(dtype=float)
        shown = np.where(saving > 0, saving, 0.0)
        ax.barh(
            rows,
            shown,
            left=ends,
            height=0.6,
            color=LAYER_COLOURS[layer],
            edgecolor="white",
            hatch="///",
            linewidth=0,
            # The legend names only the layers that save somewhere.
            label=_name(layer) if shown.any() else "_" + layer,
        )
        ends = ends + shown

    # Inside the cost bar: the cost and its saving; beside the bar: what a
    # layer adds and the net value, if known.
    value = table.get("net_value_per_mtok", pd.Series(np.nan, index=table.index))
    for row, (_, line) in zip(rows, table.iterrows(), strict=True):
        cost = float(line["cost"])
        saved = _bracketed(before - cost, before)
        small_note(ax, f"{compact(cost)}{saved}", (0, row), (4, 0), va="center",
                   color="white", fontweight="bold")  # fmt: skip
        beside = [
            f"{_name(layer)} adds {compact(-float(line[layer]))}"
            for layer in LAYERS
            if float(line[layer] if pd.notna(line[layer]) else 0.0) < 0
        ]
        net = value.loc[line.name]
        if pd.notna(net):
            beside.append(f"net value {compact(float(net))} per Mtok")
        if beside:
            end = max(ends[row], before)
            small_note(ax, "; ".join(beside), (end, row), (4, 0), va="center")

    # Today's cost as a line down every bar.
    ax.axvline(before, color="0.2", linewidth=0.8, linestyle="--", label="today")
    ax.set_yticks(rows, table["scenario"].astype(str).tolist())
    ax.set_ylim(max(len(rows), 3) - 0.5, -0.5)
    ax.grid(False, axis="y")
    ax.set_xlim(0, max(ends.max(), before, 1e-9) * 1.05)
    plain_ticks(ax.xaxis)
    ax.set(xlabel=money_label(currency), ylabel="scenario")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)
    set_title(ax, subject, period)
    return ax
