"""Charts over time of the outlook: the forecast fans and the budget burn
(issue 5).

:func:`forecast_fan` and :func:`token_fan` draw history solid and the
forecast dashed in its band; :func:`budget_burn` and :func:`budget_chart`
draw cumulative spend against a budget and the days it runs out.

Each function takes a frame of :mod:`tokenlib.forecast` or
:mod:`tokenlib.budget` and an optional Axes, draws on it and returns it;
none calls ``show`` or ``savefig``. Money goes on one axis in one currency
only.
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
    date_ticks,
    money_label,
    one_currency,
    plain_ticks,
    say_empty,
    set_title,
    small_note,
    span,
)

__all__ = ["budget_burn", "budget_chart", "forecast_fan", "token_fan"]


def _fan(ax: Axes, rows: pd.DataFrame, colour: str, name: str, smooth: int) -> None:
    """One series: history solid, forecast dashed in a band, both smoothed.

    The rolling mean runs across the start of the forecast, so the dashed
    line and the band carry on from the last day of history (where the band
    has no width); the band's ends are smoothed alike.
    """
    rows = rows.sort_values("day")
    mean = rows["mean"].rolling(smooth, min_periods=1).mean()
    ahead = (rows["kind"] == "forecast").to_numpy()
    days = pd.to_datetime(rows["day"])
    ax.plot(days[~ahead], mean[~ahead].to_numpy(), color=colour, label=name)
    if not ahead.any():
        return
    joined = np.flatnonzero(ahead)
    joined = np.r_[max(joined[0] - 1, 0), joined]  # from the last history day
    ax.plot(days.iloc[joined], mean.iloc[joined].to_numpy(), color=colour,
            linestyle="--")  # fmt: skip
    ends = rows[["low", "high"]].apply(lambda c: c.fillna(rows["mean"]))
    band = ends.rolling(smooth, min_periods=1).mean().iloc[joined]
    ax.fill_between(days.iloc[joined], band["low"], band["high"], color=colour,
                    alpha=0.2)  # fmt: skip


def _forecast_starts(ax: Axes, daily: pd.DataFrame) -> None:
    """A dotted line on the first forecast day, saying so."""
    ahead = pd.to_datetime(daily.loc[daily["kind"] == "forecast", "day"])
    if not ahead.empty:
        ax.axvline(ahead.min(), color="0.4", linestyle=":", linewidth=1)
        where = ("data", "axes fraction")
        small_note(ax, "forecast starts", (ahead.min(), 1), (3, 0), where, va="top")


def _say_gap(ax: Axes, money: pd.DataFrame, amount: str, smooth: int) -> None:
    """A bracket between the two forecast lines at the horizon's end (as
    drawn, smoothed), and the gap."""
    rows = money.sort_values("day")
    drawn = rows.groupby("series")["mean"].transform(
        lambda m: m.rolling(smooth, min_periods=1).mean()
    )
    ends = rows.assign(mean=drawn)[rows["kind"] == "forecast"].groupby("series").last()
    if len(ends) < 2:
        return
    day = pd.Timestamp(ends["day"].max())
    low, high = ends.loc["invoice", "mean"], ends.loc["fully loaded", "mean"]
    bracket = {"arrowstyle": "|-|,widthA=0.3,widthB=0.3", "color": "0.3"}
    ax.annotate("", (day, low), xytext=(day, high), arrowprops=bracket)
    text = f"gap over\nthe horizon:\n{amount}"
    small_note(ax, text, (day, (low + high) / 2), (8, 0), va="center")


def forecast_fan(
    daily: pd.DataFrame,
    ax: Axes | None = None,
    gap: float | None = None,
    title: str | None = None,
    smooth: int = 7,
) -> Axes:
    """Draw daily invoice and fully loaded cost, history and forecast.

    Parameters
    ----------
    daily
        ``day``, ``series`` ("tokens", "invoice" or "fully loaded"),
        ``kind`` ("history" or "forecast"), ``mean``, ``low``, ``high``,
        ``currency``; the "tokens" rows are left out.
    ax
        Axes to draw on; a new figure when None.
    gap
        Fully loaded minus invoice summed over the horizon, written at
        the horizon's end; nothing written when None.
    title
        Title; "Daily cost, invoice and fully loaded" and the days when None.
    smooth
        Days in the rolling mean of history and forecast; 1 draws the
        raw days.

    Examples
    --------
    >>> days = pd.to_datetime(["2026-01-01", "2026-01-02"])
    >>> daily = pd.DataFrame({"day": list(days) * 2, "kind": ["history",
    ...     "forecast"] * 2, "series": ["invoice"] * 2 + ["fully loaded"] * 2,
    ...     "mean": [1.0, 1.0, 2.0, 2.0], "low": 0.5, "high": 3.0,
    ...     "currency": "USD"})
    >>> ax = forecast_fan(daily, gap=1.0)
    >>> [t.get_text() for t in ax.get_legend().get_texts()], ax.get_ylabel()
    (['invoice only', 'fully loaded'], 'cost per day, 7-day mean (USD)')
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    money = daily[daily["series"].isin(["invoice", "fully loaded"])]
    currency = one_currency(money, "mean")
    if money.empty:
        say_empty(ax, "no cost to forecast")
    for series, colour, name in (
        ("invoice", PALETTE[0], "invoice only"),
        ("fully loaded", PALETTE[1], "fully loaded"),
    ):
        rows = money[money["series"] == series]
        if not rows.empty:
            _fan(ax, rows, colour, name, smooth)
    if not money.empty:
        _forecast_starts(ax, money)
        date_ticks(ax)
        plain_ticks(ax.yaxis)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.93))

    if gap is not None:
        _say_gap(ax, money, f"{compact(gap)} {currency or ''}".strip(), smooth)
    what = "cost per day" if smooth <= 1 else f"cost per day, {smooth}-day mean"
    ax.set(xlabel="day", ylabel=money_label(currency, what), ylim=(0, None))
    days = span(money["day"], None)
    set_title(ax, title or f"Daily cost, invoice and fully loaded, {days}", None)
    return ax


def token_fan(daily: pd.DataFrame, ax: Axes | None = None, smooth: int = 7) -> Axes:
    """Draw tokens per day in millions, history and forecast.

    Parameters
    ----------
    daily
        As for :func:`forecast_fan`; only the "tokens" rows are drawn.

    Examples
    --------
    >>> daily = pd.DataFrame({"day": pd.to_datetime(["2026-01-01",
    ...     "2026-01-02"]), "series": "tokens", "kind": ["history", "forecast"],
    ...     "mean": [2e6, 3e6], "low": 1e6, "high": 4e6})
    >>> ax = token_fan(daily)
    >>> ax.get_ylabel(), ax.get_lines()[1].get_ydata().tolist()
    ('tokens per day, 7-day mean (millions)', [2.0, 2.5])
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    rows = daily[daily["series"] == "tokens"].copy()
    if rows.empty:
        say_empty(ax, "no tokens to forecast")
    else:
        rows[["mean", "low", "high"]] = rows[["mean", "low", "high"]] / 1e6
        _fan(ax, rows, PALETTE[2], "tokens", smooth)
        _forecast_starts(ax, rows)
        date_ticks(ax)
        ax.set_ylim(bottom=0)
    what = "tokens per day" if smooth <= 1 else f"tokens per day, {smooth}-day mean"
    ax.set(xlabel="day", ylabel=f"{what} (millions)")
    set_title(ax, f"Tokens per day, {span(rows['day'], None)}", None)
    return ax


def _run_outs(ax: Axes, amount: float, current, forecast) -> None:
    """Lines up to the budget on the days it runs out, labelled low down.

    Spend rises to the budget on those days, so the ground below it and to
    the left of the earlier day is empty: the labels stack there, the
    earlier day lowest.
    """
    marks = [
        (pd.Timestamp(when), how, style)
        for how, when, style in (
            ("at current rate", current, "-."),
            ("on forecast", forecast, ":"),
        )
        if when is not None and pd.notna(pd.Timestamp(when))
    ]
    marks.sort(key=lambda m: m[0])
    for i, (when, how, style) in enumerate(marks):
        ax.vlines(when, 0, amount, color="0.3", linestyle=style, linewidth=1)
        text = f"runs out {how}: {when.day} {when:%b}"
        where = (marks[0][0], 0.04 + 0.07 * i)
        small_note(ax, text, where, (-3, 0), ("data", "axes fraction"), ha="right")


def budget_burn(
    frame: pd.DataFrame,
    amount: float,
    currency: str,
    ax: Axes | None = None,
    run_out_current=None,
    run_out_forecast=None,
    covers: str = "fully loaded",
) -> Axes:
    """Draw cumulative spend against a budget, and when it runs out.

    Parameters
    ----------
    frame
        ``day``, ``kind`` ("history" or "forecast"), ``cumulative``,
        ``low``, ``high`` (band of the forecast), in ``currency``.
    amount, currency
        The budget.
    run_out_current, run_out_forecast
        Days the budget runs out at the current rate and on the forecast;
        a marked line each when given.
    covers
        What the budget covers, named in the title.

    Examples
    --------
    >>> frame = pd.DataFrame({"day": pd.to_datetime(["2026-12-01",
    ...     "2026-12-02", "2026-12-03"]), "kind": ["history", "history",
    ...     "forecast"], "cumulative": [10.0, 20.0, 30.0], "low": 28.0,
    ...     "high": 32.0})
    >>> ax = budget_burn(frame, 50_000, "USD", run_out_current="2026-12-24")
    >>> [t.get_text() for t in ax.texts]
    ['budget 50k USD', 'runs out at current rate: 24 Dec', 'forecast starts']
    >>> plt.close(ax.figure)
    """
    ax = axes_or_new(ax)
    rows = frame.rename(columns={"cumulative": "mean"})
    _fan(ax, rows, PALETTE[0], "spent", smooth=1)

    # The budget across the chart, and the days it runs out.
    ax.axhline(amount, color=PALETTE[5], linewidth=1.5)
    text = f"budget {compact(amount)} {currency}"
    small_note(ax, text, (0, amount), (3, 3), ("axes fraction", "data"))
    _run_outs(ax, amount, run_out_current, run_out_forecast)
    _forecast_starts(ax, rows)
    date_ticks(ax)
    plain_ticks(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.set(xlabel="day", ylabel=money_label(currency, "cumulative cost"))
    set_title(ax, f"Budget burn, {covers} cost", span(rows["day"], None))
    return ax


def budget_chart(view, ax: Axes | None = None) -> Axes:
    """Draw a budget view (:func:`budget_burn`), or say there is none.

    ``view`` is a :class:`tokenlib.budget.BudgetView` or None (no budget
    in the assumptions, or no forecast to set against it).

    >>> ax = budget_chart(None)
    >>> ax.texts[0].get_text()
    'no budget view: see the notes above'
    >>> plt.close(ax.figure)
    """
    if view is None:
        ax = axes_or_new(ax)
        say_empty(ax, "no budget view: see the notes above")
        return ax
    return budget_burn(
        view.frame,
        view.amount,
        view.currency,
        ax=ax,
        run_out_current=view.run_out_current,
        run_out_forecast=view.run_out_forecast,
        covers=view.covers,
    )
