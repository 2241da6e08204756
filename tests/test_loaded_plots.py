"""Tests of tokenlib.loaded_plots: asserted on the returned Axes, never on pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from tokenlib import loaded_plots, plots  # noqa: E402
from tokenlib.errors import ParameterError  # noqa: E402
from tokenlib.loaded_plots import compact  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _steps(currency="USD"):
    """Token bill 40,000; three buckets, one of them zero; total 102,345."""
    return pd.DataFrame(
        {
            "step": ["token bill", "retrieval and data", "governance",
                     "human labour", "fully loaded"],
            "amount": [40_000.0, 12_345.0, 0.0, 50_000.0, 102_345.0],
            "cumulative": [40_000.0, 52_345.0, 52_345.0, 102_345.0, 102_345.0],
            "kind": ["start", "step", "step", "step", "total"],
            "currency": ["USD", "USD", "USD", "USD", currency],
        }
    )  # fmt: skip


def test_compact_says_amounts_in_three_digits():
    assert [compact(x) for x in (0, 950, 1500, -1500, 12_345, 999_700, 2.5e9)] == [
        "0", "950", "1.5k", "-1.5k", "12.3k", "1M", "2.5B"
    ]  # fmt: skip


def test_waterfall_floats_each_step_on_the_total_before_it():
    ax = loaded_plots.waterfall(_steps())
    bars = [(p.get_x(), p.get_width()) for p in ax.patches]
    assert bars == [
        (0.0, 40_000.0),
        (40_000.0, 12_345.0),
        (52_345.0, 0.0),
        (52_345.0, 50_000.0),
        (0.0, 102_345.0),
    ]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "token bill"
    assert ax.get_ylim() == (4.5, -0.5)  # first row on top
    assert _texts(ax) == ["40k", "12.3k", "0", "50k", "102k"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cost (USD)", "cost bucket")


def test_waterfall_title_says_the_multiplier_and_period():
    ax = loaded_plots.waterfall(_steps(), period="Q1 2026")
    # 102,345 / 40,000 = 2.56
    assert ax.get_title("left") == (
        "From token bill to fully loaded cost: ×2.6, Q1 2026"
    )


def test_waterfall_without_a_token_bill_has_no_multiplier():
    steps = _steps()
    steps.loc[0, ["amount", "cumulative"]] = 0.0
    ax = loaded_plots.waterfall(steps)
    assert ax.get_title("left") == "From token bill to fully loaded cost"


def _sensitivity(currency="USD"):
    """Four drivers around a base of 100, given out of swing order."""
    return pd.DataFrame(
        {
            "driver": ["a", "b", "c", "d"],
            "label": ["seats", "review hours", "cache hit rate", "retries"],
            "unit": ["seats", "h", "%", "%"],
            "base_value": [7, 60, 40, 5],
            "low_value": [5, 40, 20, 2],
            "high_value": [9, 80, 60, 10],
            "low_total": [95.0, 80.0, 115.0, 99.0],
            "high_total": [105.0, 130.0, 85.0, 104.0],
            "base_total": 100.0,
            "swing": [10.0, 50.0, 30.0, 5.0],
            "currency": ["USD", "USD", "USD", currency],
        }
    )


def test_tornado_shows_the_top_drivers_biggest_first():
    ax = loaded_plots.tornado(_sensitivity(), top=2)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["review hours", "cache hit rate"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # row 0 on top
    title = ax.get_title("left")
    assert title == "What moves the fully loaded cost\n2 smaller drivers not shown"


def test_tornado_bars_run_from_the_base_to_each_total():
    ax = loaded_plots.tornado(_sensitivity(), top=2)
    bars = [(p.get_x(), p.get_width()) for p in ax.patches]
    # low bars first (review hours 80, cache 115), then high (130, 85)
    assert bars == [(100.0, -20.0), (100.0, 15.0), (100.0, 30.0), (100.0, -15.0)]
    [base] = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [100.0, 100.0]]
    assert base is not None
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["driver at low", "driver at high"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("fully loaded cost (USD)", "driver")


def test_tornado_writes_driver_values_at_the_bar_ends():
    ax = loaded_plots.tornado(_sensitivity(), top=2)
    ends = {t.get_text(): (t.xy, t.get_ha()) for t in ax.texts}
    assert ends["40 h"] == ((80.0, 0), "right")
    assert ends["80 h"] == ((130.0, 0), "left")
    assert ends["20 %"] == ((115.0, 1), "left")
    assert "base 100" in ends


def test_tornado_with_every_driver_shown_has_no_note():
    ax = loaded_plots.tornado(_sensitivity())
    assert ax.get_title("left") == "What moves the fully loaded cost"
    assert len(ax.get_yticklabels()) == 4


def _daily(currency="USD"):
    """Three history and two forecast days of each series."""
    days = pd.date_range("2026-03-01", periods=5)
    kind = ["history"] * 3 + ["forecast"] * 2
    frames = []
    for series, means, cur in (
        ("invoice", [1.0, 2.0, 3.0, 4.0, 5.0], "USD"),
        ("fully loaded", [2.0, 4.0, 6.0, 8.0, 10.0], currency),
        ("tokens", [1e6, 2e6, 3e6, 4e6, 5e6], None),
    ):
        means = np.array(means)
        band = np.where(np.arange(5) < 3, np.nan, means * 0.5)
        frames.append(
            pd.DataFrame(
                {"day": days, "series": series, "kind": kind, "mean": means,
                 "low": means - band, "high": means + band, "currency": cur}
            )
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _styled(ax, style):
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == style]


def test_forecast_fan_draws_history_solid_and_forecast_dashed():
    ax = loaded_plots.forecast_fan(_daily())
    solid, dashed = _styled(ax, "-"), _styled(ax, "--")
    assert [ln.get_label() for ln in solid] == ["invoice only", "fully loaded"]
    # 7-day mean of the history with what days there are: 1, 1.5, 2
    assert list(solid[0].get_ydata()) == [1.0, 1.5, 2.0]
    # The mean runs on into the forecast, which starts from the last
    # history day: (1+2+3)/3, (1+..+4)/4, (1+..+5)/5; twice that.
    assert [list(ln.get_ydata()) for ln in dashed] == [[2.0, 2.5, 3.0], [4.0, 5.0, 6.0]]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["invoice only", "fully loaded"]
    assert ax.get_ylabel() == "cost per day, 7-day mean (USD)"


def test_forecast_fan_leaves_tokens_out():
    ax = loaded_plots.forecast_fan(_daily())
    assert max(max(ln.get_ydata()) for ln in ax.get_lines()[:4]) == 6.0


def test_forecast_fan_bands_span_low_to_high():
    ax = loaded_plots.forecast_fan(_daily())
    assert len(ax.collections) == 2
    corners = {tuple(v) for v in ax.collections[1].get_paths()[0].vertices}
    day4, day5 = mdates.date2num(pd.to_datetime(["2026-03-04", "2026-03-05"]))
    # fully loaded: 8 +- 4 on day 4, 10 +- 5 on day 5, smoothed with the
    # history (2, 4, 6, no band): low (2+4+6+4)/4 and (2+4+6+4+5)/5, high
    # (2+4+6+12)/4 and (2+4+6+12+15)/5; it starts on day 3 at 6.
    day3 = day4 - 1
    expected = {(day3, 4.0), (day4, 4.0), (day4, 6.0), (day5, 4.2), (day5, 7.8)}
    assert expected <= {(x, round(y, 9)) for x, y in corners}


def test_forecast_fan_marks_where_the_forecast_starts():
    ax = loaded_plots.forecast_fan(_daily())
    [start] = _styled(ax, ":")
    assert list(start.get_xdata()) == [pd.Timestamp("2026-03-04")] * 2
    assert "forecast starts" in _texts(ax)


def test_forecast_fan_raw_days_and_the_gap():
    ax = loaded_plots.forecast_fan(_daily(), gap=1_234_567.0, smooth=1, title="T")
    assert list(_styled(ax, "-")[0].get_ydata()) == [1.0, 2.0, 3.0]
    assert ax.get_ylabel() == "cost per day (USD)"
    assert "gap over\nthe horizon:\n1.23M USD" in _texts(ax)
    assert ax.get_title("left") == "T"


def test_forecast_fan_without_gap_writes_none():
    ax = loaded_plots.forecast_fan(_daily())
    assert not any("gap" in t for t in _texts(ax))
    assert ax.get_title("left") == (
        "Daily cost, invoice and fully loaded, 2026-03-01 to 2026-03-05"
    )


def test_token_fan_draws_millions_without_legend():
    ax = loaded_plots.token_fan(_daily())
    assert list(_styled(ax, "--")[0].get_ydata()) == [2.0, 2.5, 3.0]
    assert ax.get_ylabel() == "tokens per day, 7-day mean (millions)"
    assert ax.get_legend() is None


def _burn():
    days = pd.date_range("2026-12-01", periods=4)
    return pd.DataFrame(
        {"day": days, "kind": ["history"] * 2 + ["forecast"] * 2,
         "cumulative": [10e3, 20e3, 30e3, 40e3],
         "low": [np.nan, np.nan, 28e3, 36e3], "high": [np.nan, np.nan, 32e3, 44e3]}
    )  # fmt: skip


def test_budget_burn_draws_the_budget_line_and_spend():
    ax = loaded_plots.budget_burn(_burn(), 50_000, "USD", covers="invoice")
    [budget] = [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [50e3] * 2]
    assert budget is not None
    assert list(_styled(ax, "-")[0].get_ydata()) == [10e3, 20e3]
    assert list(_styled(ax, "--")[0].get_ydata()) == [20e3, 30e3, 40e3]
    assert _texts(ax) == ["budget 50k USD", "forecast starts"]
    assert ax.get_ylabel() == "cumulative cost (USD)"
    assert ax.get_title("left").startswith("Budget burn, invoice cost")


def test_budget_burn_marks_run_out_days_up_to_the_budget():
    ax = loaded_plots.budget_burn(
        _burn(), 50_000, "USD",
        run_out_current=pd.Timestamp("2026-12-24"), run_out_forecast="2027-01-03",
    )  # fmt: skip
    notes = {t.get_text(): t for t in ax.texts}
    # both labels end left of the earlier day, the earlier day's lowest
    first, second = (
        notes["runs out at current rate: 24 Dec"],
        notes["runs out on forecast: 3 Jan"],
    )
    eve = pd.Timestamp("2026-12-24")
    assert first.xy == (eve, pytest.approx(0.04))
    assert second.xy == (eve, pytest.approx(0.11))
    assert first.get_ha() == second.get_ha() == "right"
    marks = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = [[tuple(p) for p in c.get_segments()[0]] for c in marks]
    christmas_eve, january_3 = mdates.date2num(
        pd.to_datetime(["2026-12-24", "2027-01-03"])
    )
    assert segments == [
        [(christmas_eve, 0.0), (christmas_eve, 50e3)],
        [(january_3, 0.0), (january_3, 50e3)],
    ]


def test_budget_burn_skips_missing_run_out_days():
    ax = loaded_plots.budget_burn(_burn(), 50_000, "USD", run_out_forecast=pd.NaT)
    assert not any(t.startswith("runs out") for t in _texts(ax))


@pytest.mark.parametrize("chart", ["waterfall", "tornado", "forecast_fan"])
def test_two_currencies_are_refused(chart):
    frame = {
        "waterfall": _steps("EUR"),
        "tornado": _sensitivity("EUR"),
        "forecast_fan": _daily("EUR"),
    }[chart]
    with pytest.raises(ParameterError, match="EUR and USD"):
        getattr(loaded_plots, chart)(frame)


def test_the_charts_are_reached_through_plots():
    assert set(loaded_plots.__all__) <= set(plots.__all__)
    assert plots.waterfall is loaded_plots.waterfall
