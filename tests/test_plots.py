"""Tests of tokenlib.plots: asserted on the returned Axes, never on pixels."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tokenlib import plots  # noqa: E402
from tokenlib.errors import ParameterError  # noqa: E402
from tokenlib.plot_style import compact  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _days(*days):
    return pd.to_datetime(list(days))


def _daily(currency=("USD", "USD", "USD")):
    """Three priced rows over two days, and one unpriced row (no currency)."""
    frame = pd.DataFrame(
        {
            "day": _days("2026-03-01", "2026-03-01", "2026-03-02", "2026-03-02"),
            "currency": [*currency, None],
            "cost": [2.0, 3.0, 4.0, np.nan],
        }
    )
    frame.attrs["tz"] = "Europe/Paris"
    return frame


def _title(ax):
    return ax.get_title("left")


def test_import_leaves_the_style_alone():
    code = (
        "import matplotlib as mpl; before = mpl.rcParams['lines.linewidth']; "
        "import tokenlib.plots; "
        "assert mpl.rcParams['lines.linewidth'] == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_use_house_style_sets_the_style():
    with mpl.rc_context({"lines.linewidth": 1.0}):
        plots.use_house_style()
        assert mpl.rcParams["lines.linewidth"] == 2
        assert mpl.rcParams["axes.spines.top"] is False


def test_daily_spend_labels_and_sums_each_day():
    ax = plots.daily_spend(_daily())
    assert ax.get_xlabel() == "day (Europe/Paris)"
    assert ax.get_ylabel() == "cost (USD)"
    assert _title(ax) == "Daily spend, 2026-03-01 to 2026-03-02 (Europe/Paris)"
    [line] = ax.get_lines()
    assert list(line.get_ydata()) == [5.0, 4.0]


def test_daily_spend_uses_the_given_period_and_axes():
    _, ax = plt.subplots()
    assert plots.daily_spend(_daily(), ax=ax, period="March (UTC)") is ax
    assert _title(ax) == "Daily spend, March (UTC)"


def test_daily_spend_without_priced_rows_says_so():
    frame = _daily()
    frame["cost"] = np.nan
    ax = plots.daily_spend(frame)
    assert ax.get_lines() == []
    assert "no priced spend" in ax.texts[0].get_text()


def test_stacked_daily_legend_only_with_two_series():
    frame = _daily()
    frame["team"] = ["web", "web", "web", "web"]
    ax = plots.stacked_daily(frame, "team")
    assert ax.get_legend() is None
    assert len(ax.collections) == 1
    assert ax.get_ylabel() == "cost (USD)"


def test_stacked_daily_folds_values_not_kept_into_other():
    frame = _daily()
    frame["team"] = ["web", "data", "mobile", None]
    ax = plots.stacked_daily(frame, "team", keep=["web"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Other", "web"]  # top of the stack first
    assert len(ax.collections) == 2
    assert _title(ax).startswith("Daily spend by team, 2026-03-01")


def test_spend_bar_puts_largest_on_top_and_other_last():
    frame = pd.DataFrame(
        {
            "model": ["Other", "small", "big"],
            "currency": "USD",
            "cost": [9.0, 1.0, 10.0],
            "share": [0.45, 0.05, 0.5],
        }
    )
    ax = plots.spend_bar(frame, "model", period="2026-03 (UTC)")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["big", "small", "Other"]
    assert len(ax.patches) == 3
    assert [t.get_text().strip() for t in ax.texts] == ["50%", "5%", "45%"]
    assert ax.get_xlabel() == "cost (USD)"
    assert ax.get_ylabel() == "model"
    assert _title(ax) == "Spend by model, 2026-03 (UTC)"


def test_spend_bar_names_the_dimension_in_words():
    frame = pd.DataFrame({"use_case": ["a"], "currency": "EUR", "cost": [1.0]})
    ax = plots.spend_bar(frame, "use_case")
    assert ax.get_ylabel() == "use case"
    assert ax.get_xlabel() == "cost (EUR)"


def test_cost_per_mtok_bar_draws_the_blended_line():
    frame = pd.DataFrame(
        {
            "model": ["a", "b"],
            "currency": "USD",
            "cost": [1.0, 3.0],
            "tokens": [1e6, 1e6],
            "cost_per_mtok": [1.0, 3.0],
        }
    )
    ax = plots.cost_per_mtok_bar(frame, "model")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]
    [line] = ax.get_lines()
    assert line.get_xdata()[0] == pytest.approx(2.0)  # (1 + 3) / 2 MTok
    assert ax.get_xlabel() == "cost per million tokens (USD)"


def test_cost_per_mtok_bar_without_blended_has_no_legend():
    frame = pd.DataFrame(
        {
            "model": ["a"],
            "currency": "USD",
            "cost": [1.0],
            "tokens": [1e6],
            "cost_per_mtok": [1.0],
        }
    )
    ax = plots.cost_per_mtok_bar(frame, "model", blended=False)
    assert ax.get_lines() == []
    assert ax.get_legend() is None


def test_token_mix_shows_millions_by_class():
    frame = pd.DataFrame(
        {
            "team": ["a", "b"],
            "input": [1e6, 2e6],
            "cache_read": [0, 5e5],
            "cache_write_5m": [0, 0],
            "cache_write_1h": [0, 0],
            "output": [2.5e5, 2.5e5],
            "reasoning": [0, 1e5],
            "requests": [3, 4],
        }
    )
    ax = plots.token_mix(frame, period="2026-03 (UTC)")
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([3.0, 0.5, 0.0, 0.0, 0.5, 0.1])
    assert ax.get_xlabel() == "tokens (millions)"
    assert ax.get_ylabel() == "token class"
    assert _title(ax) == "Tokens by class, 2026-03 (UTC)"


def _drift(computed):
    return pd.DataFrame(
        {
            "utc_day": _days("2026-03-01", "2026-03-01", "2026-03-02"),
            "provider": "aws",
            "model": ["m1", "m2", "m1"],
            "currency": "USD",
            "computed": computed,
            "billed": [1.0, 2.0, 4.0],
        }
    )


def test_drift_chart_draws_computed_and_billed_per_day():
    ax = plots.drift_chart(_drift([1.5, 2.0, 3.0]))
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert lines == {"computed from tokens": [3.5, 3.0], "billed": [3.0, 4.0]}
    assert ax.get_legend() is not None
    assert ax.get_xlabel() == "day (UTC)"
    assert _title(ax) == "Computed vs billed cost, 2026-03-01 to 2026-03-02 (UTC)"
    # Billed is dashed, so a computed line it matches still shows beneath.
    assert [line.get_linestyle() for line in ax.get_lines()] == ["-", "--"]


def test_drift_chart_says_when_nothing_can_be_compared():
    ax = plots.drift_chart(_drift([np.nan, np.nan, np.nan]))
    assert len(ax.get_lines()) == 1
    assert ax.get_legend() is None
    assert ax.get_ylabel() == "billed cost (USD)"
    assert "nothing to compare" in _title(ax)


def test_drift_chart_on_an_empty_frame():
    empty = pd.DataFrame(
        columns=[
            "utc_day",
            "provider",
            "model",
            "currency",
            "computed",
            "billed",
            "drift",
            "drift_pct",
        ]
    )
    ax = plots.drift_chart(empty, period="2026-03 (UTC)")
    assert ax.get_lines() == []
    assert "no billed token charges" in ax.texts[0].get_text()


def _two_currencies(kind):
    if kind == "daily":
        return plots.daily_spend, (_daily(("USD", "EUR", "USD")),)
    if kind == "stacked":
        frame = _daily(("USD", "EUR", "USD")).assign(team="web")
        return plots.stacked_daily, (frame, "team")
    if kind == "bar":
        frame = pd.DataFrame(
            {"team": ["a", "b"], "currency": ["USD", "EUR"], "cost": [1.0, 2.0]}
        )
        return plots.spend_bar, (frame, "team")
    if kind == "mtok":
        frame = pd.DataFrame(
            {
                "model": ["a", "b"],
                "currency": ["USD", "EUR"],
                "cost_per_mtok": [1.0, 2.0],
            }
        )
        return plots.cost_per_mtok_bar, (frame, "model")
    frame = _drift([1.0, 2.0, 3.0])
    frame.loc[2, "currency"] = "EUR"
    return plots.drift_chart, (frame,)


@pytest.mark.parametrize("kind", ["daily", "stacked", "bar", "mtok", "drift"])
def test_two_currencies_on_one_axis_are_refused(kind):
    plot, args = _two_currencies(kind)
    with pytest.raises(ParameterError, match="cannot plot EUR and USD on one axis"):
        plot(*args)


def test_the_charts_are_reached_through_plots():
    from tokenlib import economics_plots, forecast_plots, plot_style, spend_plots

    assert plots.daily_spend is spend_plots.daily_spend
    assert plots.drift_chart is economics_plots.drift_chart
    assert plots.use_house_style is plot_style.use_house_style
    assert set(spend_plots.__all__) | set(economics_plots.__all__) <= set(plots.__all__)
    assert set(forecast_plots.__all__) <= set(plots.__all__)


def test_alt_text_of_a_bar_chart_names_each_bar_and_value():
    frame = pd.DataFrame(
        {"team": ["web", "data"], "currency": "USD", "cost": [1234.5, 0.25]}
    )
    ax = plots.spend_bar(frame, "team", period="2026-03 (UTC)")
    assert plots.alt_text(ax) == (
        "Spend by team, 2026-03 (UTC). "
        "Bar chart of cost (USD) by team: web 1,234, data 0.25."
    )


def test_alt_text_of_line_and_stacked_charts():
    ax = plots.drift_chart(_drift([1.5, 2.0, 3.0]), period="March")
    assert plots.alt_text(ax) == (
        "Computed vs billed cost, March. Line chart of cost (USD) by day (UTC). "
        "Legend: computed from tokens, billed."
    )
    frame = _daily()
    frame["team"] = ["web", "data", "web", None]
    ax = plots.stacked_daily(frame, "team", period="March")
    assert plots.alt_text(ax).startswith(
        "Daily spend by team, March. Stacked area chart of cost (USD) by day"
    )


def test_alt_text_of_an_empty_chart_says_why():
    frame = _daily()
    frame["cost"] = np.nan
    ax = plots.daily_spend(frame, period="March")
    assert plots.alt_text(ax).endswith("March. No priced spend in this period.")


def test_figure_html_carries_the_alt_text_escaped():
    _, ax = plt.subplots()
    ax.set_title('Spend by "team" & model', loc="left")
    shown = plots.figure_html(ax.figure)
    assert 'alt="Spend by &quot;team&quot; &amp; model."' in shown


def test_compact_says_amounts_in_three_digits():
    assert [compact(x) for x in (0, 950, 1500, -1500, 12_345, 999_700, 2.5e9)] == [
        "0", "950", "1.5k", "-1.5k", "12.3k", "1M", "2.5B"
    ]  # fmt: skip
