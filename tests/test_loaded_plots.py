"""Tests of tokenlib.loaded_plots: asserted on the returned Axes, never on pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tokenlib import loaded_plots, plots  # noqa: E402
from tokenlib.errors import ParameterError  # noqa: E402


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


@pytest.mark.parametrize("chart", ["waterfall", "tornado"])
def test_two_currencies_are_refused(chart):
    frame = {
        "waterfall": _steps("EUR"),
        "tornado": _sensitivity("EUR"),
    }[chart]
    with pytest.raises(ParameterError, match="EUR and USD"):
        getattr(loaded_plots, chart)(frame)


def test_the_charts_are_reached_through_plots():
    assert set(loaded_plots.__all__) <= set(plots.__all__)
    assert plots.waterfall is loaded_plots.waterfall
