"""The house style of every figure, and the drawing steps the charts share.

The chart functions live in the ``*_plots`` modules; notebooks reach all
of them through :mod:`tokenlib.plots`. Importing this module changes no
setting: the style is set by :func:`use_house_style`, which the notebook
setup calls.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .errors import ParameterError

__all__ = [
    "HOUSE_STYLE",
    "OTHER_COLOUR",
    "PALETTE",
    "alt_text",
    "axes_or_new",
    "compact",
    "date_ticks",
    "every_day",
    "figure_html",
    "hbars",
    "label",
    "money_label",
    "one_currency",
    "plain_ticks",
    "say_empty",
    "set_title",
    "small_note",
    "span",
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


def axes_or_new(ax: Axes | None) -> Axes:
    """Return ``ax``, or the Axes of a new figure when None."""
    return plt.subplots()[1] if ax is None else ax


def one_currency(frame: pd.DataFrame, value: str) -> str | None:
    """Return the one currency of the rows with a value; raise if several."""
    if "currency" not in frame:
        return None
    found = sorted(set(frame.loc[frame[value].notna(), "currency"].dropna()))
    if len(found) > 1:
        raise ParameterError(
            f"cannot plot {' and '.join(found)} on one axis; keep one currency "
            "first, e.g. tokenlib.notebook.in_currency(frame, 'USD')"
        )
    return found[0] if found else None


def money_label(currency: str | None, what: str = "cost") -> str:
    """Label a money axis with its currency: ``cost (USD)``."""
    return f"{what} ({currency})" if currency else what


def span(days: pd.Series, tz: str | None) -> str:
    """Say a period of days as ``first to last (zone)``."""
    days = pd.to_datetime(days.dropna())
    if days.empty:
        return "no data"
    first, last = days.min().date(), days.max().date()
    text = str(first) if first == last else f"{first} to {last}"
    return f"{text} ({tz})" if tz else text


def set_title(
    ax: Axes, subject: str, period: str | None, note: str | None = None
) -> None:
    """Title at the left: subject and period, and a second line if a note."""
    text = f"{subject}, {period}" if period else subject
    ax.set_title(f"{text}\n{note}" if note else text, loc="left")


def label(name: str) -> str:
    """Say a column name in words: ``use_case`` is ``use case``."""
    return name.replace("_", " ")


def plain_ticks(axis) -> None:
    """Tick labels with thousands separators and no offset or exponent."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.6g}"))


def every_day(data: pd.Series | pd.DataFrame, fill: float | None):
    """Reindex to every day from first to last, filling days without data."""
    if data.empty:
        return data
    days = pd.date_range(data.index.min(), data.index.max(), freq="D")
    return data.reindex(days, fill_value=fill)


def date_ticks(ax: Axes) -> None:
    """Concise date ticks on the x axis, with no year offset under it."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    # The title carries the period, so no year offset under the axis.
    formatter = mdates.ConciseDateFormatter(locator, show_offset=False)
    ax.xaxis.set_major_formatter(formatter)


def say_empty(ax: Axes, why: str) -> None:
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


def small_note(ax: Axes, text: str, xy, shift=(0, 0), where="data", **style) -> None:
    """Write a small grey note at ``xy``, shifted by ``shift`` points."""
    style = {"fontsize": 9, "color": "0.3", "textcoords": "offset points", **style}
    ax.annotate(text, xy, xycoords=where, xytext=shift, **style)


def compact(x: float) -> str:
    """Say an amount in three digits at most: ``12.3k``, ``1.2M``.

    >>> compact(12345.0), compact(1_200_000.0), compact(950.0), compact(999_700)
    ('12.3k', '1.2M', '950', '1M')
    """
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size * 0.9995:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def hbars(ax: Axes, labels: list[str], values: pd.Series, colours=None) -> None:
    """Horizontal bars, the first label on top."""
    positions = range(len(labels))
    ax.barh(list(positions), values.to_numpy(), color=colours or PALETTE[0])
    ax.set_yticks(list(positions), labels)
    if labels:
        ax.set_ylim(max(len(labels), 3) - 0.5, -0.5)  # one bar stays slim
    ax.grid(False, axis="y")
    plain_ticks(ax.xaxis)


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def alt_text(ax: Axes) -> str:
    """Describe a chart in words, for readers who cannot see the image.

    The words are the chart's own: its title, the kind of chart and its
    axis labels, each bar's category and value, the legend, and the note
    an empty chart shows.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> hbars(ax, ["web", "data"], pd.Series([1500.0, 2.5]))
    >>> ax.set(title="Spend by team", xlabel="cost (USD)", ylabel="team")
    ... # doctest: +ELLIPSIS
    [...]
    >>> alt_text(ax)
    'Spend by team. Bar chart of cost (USD) by team: web 1,500, data 2.5.'
    >>> plt.close(fig)
    """
    title = " ".join(ax.get_title("left").split()) or ax.get_title()
    x, y = ax.get_xlabel(), ax.get_ylabel()
    if ax.patches:
        names = [t.get_text() for t in ax.get_yticklabels()]
        values = [_number(p.get_width()) for p in ax.patches]
        bars = ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=False))
        words = [f"Bar chart of {x} by {y}: {bars}."]
    elif ax.collections:
        words = [f"Stacked area chart of {y} by {x}."]
    elif ax.get_lines():
        words = [f"Line chart of {y} by {x}."]
    else:
        words = []

    # Legend entries and the note of an empty chart, where there are any.
    legend = ax.get_legend()
    if legend is not None:
        entries = ", ".join(t.get_text() for t in legend.get_texts())
        words.append(f"Legend: {entries}.")
    notes = [t.get_text() for t in ax.texts if t.get_transform() is ax.transAxes]
    words += [f"{note[:1].upper()}{note[1:]}." for note in notes]
    return " ".join([f"{title}.", *words]) if title else " ".join(words)


def figure_html(fig: Figure) -> str:
    """Render a figure as an HTML ``<img>`` whose alt text describes it.

    The image is a PNG at the figure's own size and resolution, as the
    notebook's inline display draws it; the alt text is :func:`alt_text` of
    each of its Axes.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("Daily spend", loc="left")
    >>> figure_html(fig)[:32], 'alt="Daily spend."' in figure_html(fig)
    ('<img src="data:image/png;base64,', True)
    >>> plt.close(fig)
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = html.escape(" ".join(alt_text(ax) for ax in fig.axes), quote=True)
    return f'<img src="data:image/png;base64,{data}" alt="{alt}">'
