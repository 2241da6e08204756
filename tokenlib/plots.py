"""Figures of the workbook: one house style and one function per chart.

Each function takes a frame from :mod:`tokenlib.metrics` and an optional
Axes, draws on it and returns it; none calls ``show`` or ``savefig``. The
style is set once by :func:`use_house_style`, which the notebook setup
calls; importing this module changes nothing.

Titles name the subject and the period, so an exported chart says which run
it came from. Money goes on one axis in one currency only: a frame holding
two currencies is refused, never added up.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from .errors import ParameterError
from .schema import TOKEN_CLASSES

__all__ = [
    "HOUSE_STYLE",
    "cost_per_mtok_bar",
    "daily_spend",
    "drift_chart",
    "spend_bar",
    "stacked_daily",
    "token_mix",
    "use_house_style",
]

#: Okabe-Ito colours, told apart by readers with colour-vision deficiency.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
OTHER_COLOUR = "#999999"

#: Matplotlib settings of every workbook figure.
HOUSE_STYLE = {
    "figure.figsize": (8.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 2,
    "legend.frameon": False,
    "legend.fontsize": 9,
}
_CLASS_LABELS = {
    "input": "input (uncached)",
    "cache_read": "cache read",
    "cache_write_5m": "cache write 5m",
    "cache_write_1h": "cache write 1h",
    "output": "output",
    "reasoning": "reasoning (within output)",
}


def use_house_style() -> None:
    """Set the workbook's figure style for the rest of the session.

    Examples
    --------
    >>> with mpl.rc_context():
    ...     use_house_style()
    ...     print(mpl.rcParams["lines.linewidth"])
    2.0
    """
    mpl.rcParams.update(HOUSE_STYLE)


def _axes(ax: Axes | None) -> Axes:
    return plt.subplots()[1] if ax is None else ax


def _currency(frame: pd.DataFrame, value: str) -> str | None:
    """The one currency of the rows with a value, or raise if several."""
    if "currency" not in frame:
        return None
    found = sorted(set(frame.loc[frame[value].notna(), "currency"].dropna()))
    if len(found) > 1:
        raise ParameterError(
            f"cannot plot {' and '.join(found)} on one axis; keep one currency "
            "first, e.g. tokenlib.notebook.in_currency(frame, 'USD')"
        )
    return found[0] if found else None


def _money(currency: str | None, what: str = "cost") -> str:
    return f"{what} ({currency})" if currency else what


def _span(days: pd.Series, tz: str | None) -> str:
    """Say a period of days as ``first to last (zone)``."""
    days = pd.to_datetime(days.dropna())
    if days.empty:
        return "no data"
    first, last = days.min().date(), days.max().date()
    text = str(first) if first == last else f"{first} to {last}"
    return f"{text} ({tz})" if tz else text


def _title(ax: Axes, subject: str, period: str | None, note: str | None = None) -> None:
    """Title at the left: subject and period, and a second line if a note."""
    text = f"{subject}, {period}" if period else subject
    ax.set_title(f"{text}\n{note}" if note else text, loc="left")


def _label(name: str) -> str:
    return name.replace("_", " ")


def _plain(axis) -> None:
    """Tick labels with thousands separators and no offset or exponent."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))


def _every_day(data: pd.Series | pd.DataFrame, fill: float | None):
    """Reindex to every day from first to last, filling days without data."""
    if data.empty:
        return data
    days = pd.date_range(data.index.min(), data.index.max(), freq="D")
    return data.reindex(days, fill_value=fill)


def _dates(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    # The title carries the period, so no year offset under the axis.
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)
    ax.xaxis.set_major_formatter(formatter)


def _empty(ax: Axes, why: str) -> None:
    """Say on the Axes why a chart has nothing to show; no ticks."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(
        0.5,
        0.5,
        why,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="0.3",
        bbox={"facecolor": "white", "edgecolor": "0.8"},
    )


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
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"])
    >>> frame = pd.DataFrame({"day": days, "currency": "USD",
    ...                       "cost": [10.0, 12.5, 9.0]})
    >>> frame.attrs["tz"] = "UTC"
    >>> ax = daily_spend(frame)
    >>> ax.get_title("left"), ax.get_xlabel(), ax.get_ylabel()
    ('Daily spend, 2026-01-01 to 2026-01-03 (UTC)', 'day (UTC)', 'cost (USD)')
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    currency = _currency(frame, "cost")
    tz = frame.attrs.get("tz")
    priced = frame[frame["cost"].notna()]
    cost = _every_day(priced.groupby("day")["cost"].sum(), None)

    # A day without data breaks the line; markers show days standing alone.
    if cost.empty:
        _empty(ax, "no priced spend in this period")
    else:
        gaps = bool(cost.isna().any())
        ax.plot(cost.index, cost.to_numpy(), marker="o" if gaps else None, markersize=3)
        _dates(ax)
    _plain(ax.yaxis)
    ax.set_xlabel(f"day ({tz})" if tz else "day")
    ax.set_ylabel(_money(currency))
    _title(ax, "Daily spend", period or _span(priced["day"], tz))
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
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02"])
    >>> frame = pd.DataFrame({"day": days, "team": ["web", "data", "web"],
    ...                       "currency": "USD", "cost": [3.0, 1.0, 4.0]})
    >>> ax = stacked_daily(frame, "team")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['data', 'web']
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    currency = _currency(frame, "cost")
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
    wide = _every_day(wide[order], 0.0)

    colours = [
        OTHER_COLOUR if c == "Other" else PALETTE[i % len(PALETTE)]
        for i, c in enumerate(order)
    ]
    if wide.empty:
        _empty(ax, "no priced spend in this period")
    else:
        ax.stackplot(
            wide.index, wide.T.to_numpy(), labels=order, colors=colours, linewidth=0
        )
        _dates(ax)
    if len(order) > 1:
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            handles[::-1],
            labels[::-1],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            title=_label(by),
        )
    _plain(ax.yaxis)
    ax.set_xlabel(f"day ({tz})" if tz else "day")
    ax.set_ylabel(_money(currency))
    _title(ax, f"Daily spend by {_label(by)}", period or _span(priced["day"], tz))
    return ax


def _barh(ax: Axes, labels: list[str], values: pd.Series, colours=None) -> None:
    """Horizontal bars, the first label on top."""
    positions = range(len(labels))
    ax.barh(list(positions), values.to_numpy(), color=colours or PALETTE[0])
    ax.set_yticks(list(positions), labels)
    if labels:
        ax.set_ylim(max(len(labels), 3) - 0.5, -0.5)  # one bar stays slim
    ax.grid(False, axis="y")
    _plain(ax.xaxis)


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
    >>> frame = pd.DataFrame({"team": ["web", "Other", "data"],
    ...                       "currency": "USD", "cost": [5.0, 1.0, 3.0]})
    >>> ax = spend_bar(frame, "team", period="2026-01")
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['web', 'data', 'Other'], 'cost (USD)')
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    currency = _currency(frame, "cost")
    rows = frame[frame["cost"].notna()]
    rows = rows.assign(_other=rows[by] == "Other")
    rows = rows.sort_values(["_other", "cost"], ascending=[True, False])

    labels = rows[by].astype(str).tolist()
    colours = [OTHER_COLOUR if x else PALETTE[0] for x in rows["_other"]]
    _barh(ax, labels, rows["cost"], colours)
    if "share" in rows:
        for i, (cost, share) in enumerate(
            zip(rows["cost"], rows["share"], strict=True)
        ):
            ax.annotate(
                f" {share:.0%}", (max(cost, 0), i), va="center", fontsize=9, color="0.3"
            )
    if rows.empty:
        _empty(ax, "no priced spend in this period")
    ax.set_xlabel(_money(currency))
    ax.set_ylabel(_label(by))
    _title(ax, f"Spend by {_label(by)}", period)
    return ax


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
    ax = _axes(ax)
    currency = _currency(frame, "cost_per_mtok")
    rows = frame[frame["cost_per_mtok"].notna()]
    rows = rows.sort_values("cost_per_mtok", ascending=False)

    _barh(ax, rows[by].astype(str).tolist(), rows["cost_per_mtok"])
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
        _empty(ax, "no priced tokens in this period")
    ax.set_xlabel(_money(currency, "cost per million tokens"))
    ax.set_ylabel(_label(by))
    _title(ax, f"Cost per million tokens by {_label(by)}", period)
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
    >>> frame = pd.DataFrame({"input": [2e6], "cache_read": [1e6],
    ...     "cache_write_5m": [0], "cache_write_1h": [0], "output": [5e5],
    ...     "reasoning": [1e5]})
    >>> ax = token_mix(frame)
    >>> [float(round(p.get_width(), 1)) for p in ax.patches]
    [2.0, 1.0, 0.0, 0.0, 0.5, 0.1]
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    millions = frame[list(TOKEN_CLASSES)].sum().astype(float) / 1e6
    labels = [_CLASS_LABELS[c] for c in TOKEN_CLASSES]

    _barh(ax, labels, millions)
    ax.patches[-1].set_hatch("//")
    ax.patches[-1].set_facecolor("white")
    ax.patches[-1].set_edgecolor(PALETTE[0])
    ax.set_xlabel("tokens (millions)")
    ax.set_ylabel("token class")
    _title(ax, "Tokens by class", period)
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
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"])
    >>> frame = pd.DataFrame({"utc_day": days, "currency": "USD",
    ...     "computed": [10.0, 11.0, 9.0], "billed": [10.5, 11.0, 9.5]})
    >>> ax = drift_chart(frame)
    >>> [line.get_label() for line in ax.get_lines()]
    ['computed from tokens', 'billed']
    >>> plt.close(ax.figure)
    """
    ax = _axes(ax)
    currency = _currency(frame, "billed")
    days = frame.groupby("utc_day")[["computed", "billed"]].sum(min_count=1)

    labels = {"computed": "computed from tokens", "billed": "billed"}
    drawn = [c for c in labels if days[c].notna().any()]
    for column in drawn:
        ax.plot(days.index, days[column].to_numpy(), label=labels[column])
    if len(drawn) > 1:
        ax.legend()
    if not drawn:
        _empty(ax, "no billed token charges in this period")
    else:
        _dates(ax)
    _plain(ax.yaxis)
    ax.set_xlabel("day (UTC)")

    # With one line there is no legend: the axis says which, the title why.
    what = {"computed": "cost computed from tokens", "billed": "billed cost"}
    why = {
        "computed": "no billed money on these days",
        "billed": "no tokens priced on billed days",
    }
    one = drawn[0] if len(drawn) == 1 else None
    ax.set_ylabel(_money(currency, what[one] if one else "cost"))
    _title(
        ax,
        "Computed vs billed cost",
        period or _span(frame["utc_day"], "UTC"),
        f"nothing to compare: {why[one]}" if one else None,
    )
    return ax
