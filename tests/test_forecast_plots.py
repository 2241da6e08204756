"""Tests of tokenlib.forecast_plots: asserted on the returned Axes, never on pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from tokenlib import forecast_plots  # noqa: E402
from tokenlib.errors import ParameterError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


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
    ax = forecast_plots.forecast_fan(_daily())
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
    ax = forecast_plots.forecast_fan(_daily())
    assert max(max(ln.get_ydata()) for ln in ax.get_lines()[:4]) == 6.0


def test_forecast_fan_bands_span_low_to_high():
    ax = forecast_plots.forecast_fan(_daily())
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
    ax = forecast_plots.forecast_fan(_daily())
    [start] = _styled(ax, ":")
    assert list(start.get_xdata()) == [pd.Timestamp("2026-03-04")] * 2
    assert "forecast starts" in _texts(ax)


def test_forecast_fan_raw_days_and_the_gap():
    ax = forecast_plots.forecast_fan(_daily(), gap=1_234_567.0, smooth=1, title="T")
    assert list(_styled(ax, "-")[0].get_ydata()) == [1.0, 2.0, 3.0]
    assert ax.get_ylabel() == "cost per day (USD)"
    assert "gap over\nthe horizon:\n1.23M USD" in _texts(ax)
    assert ax.get_title("left") == "T"


def test_forecast_fan_without_gap_writes_none():
    ax = forecast_plots.forecast_fan(_daily())
    assert not any("gap" in t for t in _texts(ax))
    assert ax.get_title("left") == (
        "Daily cost, invoice and fully loaded, 2026-03-01 to 2026-03-05"
    )


def test_token_fan_draws_millions_without_legend():
    ax = forecast_plots.token_fan(_daily())
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
    ax = forecast_plots.budget_burn(_burn(), 50_000, "USD", covers="invoice")
    [budget] = [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [50e3] * 2]
    assert budget is not None
    assert list(_styled(ax, "-")[0].get_ydata()) == [10e3, 20e3]
    assert list(_styled(ax, "--")[0].get_ydata()) == [20e3, 30e3, 40e3]
    assert _texts(ax) == ["budget 50k USD", "forecast starts"]
    assert ax.get_ylabel() == "cumulative cost (USD)"
    assert ax.get_title("left").startswith("Budget burn, invoice cost")


def test_budget_burn_marks_run_out_days_up_to_the_budget():
    ax = forecast_plots.budget_burn(
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
    ax = forecast_plots.budget_burn(_burn(), 50_000, "USD", run_out_forecast=pd.NaT)
    assert not any(t.startswith("runs out") for t in _texts(ax))


def test_two_currencies_are_refused():
    with pytest.raises(ParameterError, match="EUR and USD"):
        forecast_plots.forecast_fan(_daily("EUR"))
