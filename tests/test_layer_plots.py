"""Tests of tokenlib.layer_plots: asserted on the returned Axes, never on pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tokenlib import layer_plots, layers, plots  # noqa: E402
from tokenlib.errors import ParameterError  # noqa: E402
from tokenlib.layers import Levers  # noqa: E402
from tokenlib.plot_style import PALETTE  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _bars(ax):
    """Each bar's left and width, one after the other."""
    return [v for p in ax.patches for v in (p.get_x(), p.get_width())]


def _lost_lines(ax):
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == "lost_without"]
    return [(list(ln.get_xdata()), ln.get_ydata()[0]) for ln in lines]


def _routed_and_halved(currency="USD"):
    """API spend 1,000; half the traffic to a tier at 0.2 the price, model halved.

    routing: 1 - 0.5 x (1 - 0.2) = 0.6, so 1,000 -> 600, saving 400;
    model: 0.5, so 600 -> 300, saving 300; stack, capacity, silicon: 1.
    Without routing the cost would be 1,000 x 0.5 = 500: 200 lost;
    without the model change 600: 300 lost.
    """
    cake = layers.layer_cake(
        1000.0,
        0.0,
        Levers(),
        Levers(routed_share=0.5, routed_price_ratio=0.2, model_ratio=0.5),
    )
    cake["before"] = 1000.0
    cake["currency"] = ["USD"] * 5 + [currency]
    return cake


def _pricier_silicon():
    """Self-hosted spend 1,000; model halved, silicon 1.2x the price, same speed.

    model: 1,000 -> 500, saving 500; silicon: 500 -> 600, saving -100.
    Without the model change: 1,000 x 1.2 = 1,200, so 600 lost (more than
    its saving, as silicon raises what the rest is applied to); without
    silicon: 500, so -100 lost.
    """
    cake = layers.layer_cake(
        0.0, 1000.0, Levers(), Levers(model_ratio=0.5, silicon_price_ratio=1.2)
    )
    cake["before"] = 1000.0
    cake["currency"] = "USD"
    return cake


def test_layer_cake_walks_down_from_today_to_the_scenario():
    ax = layer_plots.layer_cake(_routed_and_halved())
    assert _bars(ax) == pytest.approx(
        [
            *(0.0, 1000.0),  # today
            *(600.0, 400.0),  # routing: 1,000 -> 600
            *(300.0, 300.0),  # model: 600 -> 300
            *(300.0, 0.0),  # stack, capacity, silicon: no bar
            *(300.0, 0.0),
            *(300.0, 0.0),
            *(0.0, 300.0),  # scenario
        ]
    )
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "today",
        "routing and governance",
        "model and quantisation",
        "inference stack",
        "capacity",
        "silicon",
        "scenario",
    ]
    assert ax.get_ylim() == (6.5, -0.5)  # today on top
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cost (USD)", "layer")


def test_layer_cake_labels_each_saving_with_its_share_of_today():
    ax = layer_plots.layer_cake(_routed_and_halved())
    notes = {t.get_text(): (t.xy, t.get_ha()) for t in ax.texts}
    # 400 of 1,000 is 40%, written left of the bar it labels
    assert notes["−400 (−40%)"] == ((600.0, 1), "right")
    assert notes["−300 (−30%)"] == ((300.0, 2), "right")
    assert notes["1k"][0] == (1000.0, 0)
    assert notes["300"][0] == (300.0, 6)
    assert _texts(ax).count("no change") == 3
    no_change = [t.xy for t in ax.texts if t.get_text() == "no change"]
    assert no_change == [(300.0, 3), (300.0, 4), (300.0, 5)]


def test_layer_cake_shows_the_saving_lost_without_each_layer():
    ax = layer_plots.layer_cake(_routed_and_halved())
    # From the cost before the layer, leftwards by what is lost without it:
    # routing 1,000 - 200 = 800; model 600 - 300 = 300. No line where 0.
    assert _lost_lines(ax) == [
        (pytest.approx([800.0, 1000.0]), 1.38),
        (pytest.approx([300.0, 600.0]), 2.38),
    ]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["lost if only this layer is left out"]


def test_layer_cake_title_says_from_to_and_the_change():
    ax = layer_plots.layer_cake(_routed_and_halved())
    assert ax.get_title("left") == "Scenario: USD cost from 1k to 300 (−70%)"
    ax = layer_plots.layer_cake(
        _routed_and_halved(), scenario="Route and halve", period="Q1 2026"
    )
    assert ax.get_title("left") == (
        "Route and halve: USD cost from 1k to 300 (−70%), Q1 2026"
    )


def test_a_layer_that_adds_cost_goes_right_in_the_warning_colour():
    ax = layer_plots.layer_cake(_pricier_silicon())
    silicon = ax.patches[5]
    # From 500 up to 600: drawn as left 600, width -100 (a negative saving).
    assert (silicon.get_x(), silicon.get_width()) == pytest.approx((600.0, -100.0))
    assert silicon.get_facecolor() == mcolors.to_rgba(PALETTE[5])
    model = ax.patches[2]
    assert model.get_facecolor() != mcolors.to_rgba(PALETTE[5])
    notes = {t.get_text(): (t.xy, t.get_ha()) for t in ax.texts}
    assert notes["+100 (+10%)"] == ((600.0, 5), "left")
    assert ax.patches[-1].get_width() == pytest.approx(600.0)
    assert ax.get_title("left") == "Scenario: USD cost from 1k to 600 (−40%)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["lost if only this layer is left out", "layer adds cost"]


def test_the_lost_saving_can_exceed_the_layer_saving():
    ax = layer_plots.layer_cake(_pricier_silicon())
    # model: 1,000 - 600 = 400 to 1,000, longer than its 500 bar;
    # silicon: -100 lost, so from 500 right to 600.
    assert _lost_lines(ax) == [
        (pytest.approx([400.0, 1000.0]), 2.38),
        (pytest.approx([600.0, 500.0]), 5.38),
    ]


def test_layer_cake_refuses_two_currencies():
    with pytest.raises(ParameterError, match="EUR and USD"):
        layer_plots.layer_cake(_routed_and_halved("EUR"))


def test_layer_cake_needs_todays_cost():
    with pytest.raises(ParameterError, match="before"):
        layer_plots.layer_cake(_routed_and_halved().drop(columns="before"))


@pytest.mark.parametrize("rows", [slice(0, 0), slice(5, 6)])
def test_layer_cake_without_layers_says_so(rows):
    ax = layer_plots.layer_cake(_routed_and_halved().iloc[rows], period="Q1 2026")
    assert _texts(ax) == ["no layers to walk through"]
    assert not ax.patches
    assert ax.get_title("left") == "Scenario: cost by layer, Q1 2026"


def _scenarios(currency="USD", net_value=True):
    """Today 1,000; one scenario saving 700 by two layers, one with silicon
    adding 100 to a model saving of 500 (cost 600)."""
    table = pd.DataFrame(
        {
            "scenario": ["today", "route and halve", "pricier silicon"],
            "currency": ["USD", "USD", currency],
            "before": 1000.0,
            "cost": [1000.0, 300.0, 600.0],
            "routing": [0.0, 400.0, 0.0],
            "model": [0.0, 300.0, 500.0],
            "stack": 0.0,
            "capacity": 0.0,
            "silicon": [0.0, 0.0, -100.0],
            "net_value_per_mtok": [np.nan, 2.5, np.nan],
        }
    )
    return table if net_value else table.drop(columns="net_value_per_mtok")


def _by_row(ax):
    """Each bar's (left, width) segments, by row, in drawing order."""
    rows = {}
    for p in ax.patches:
        row = round(p.get_y() + p.get_height() / 2)
        rows.setdefault(row, []).append((p.get_x(), p.get_width()))
    return rows


def test_scenario_comparison_stacks_the_savings_right_of_the_cost():
    ax = layer_plots.scenario_comparison(_scenarios())
    rows = _by_row(ax)
    # cost, then routing, model, stack, capacity, silicon
    at_1000, at_1100 = [(1000.0, 0.0)] * 3, [(1100.0, 0.0)] * 3  # no saving
    assert rows[0] == [(0.0, 1000.0), (1000.0, 0.0), (1000.0, 0.0), *at_1000]
    assert rows[1] == [(0.0, 300.0), (300.0, 400.0), (700.0, 300.0), *at_1000]
    # silicon's -100 is not drawn: model's 500 reaches 100 past today.
    assert rows[2] == [(0.0, 600.0), (600.0, 0.0), (600.0, 500.0), *at_1100]
    ends = {row: max(x + w for x, w in bars) for row, bars in rows.items()}
    assert ends == {0: 1000.0, 1: 1000.0, 2: 1100.0}
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["today", "route and halve", "pricier silicon"]
    assert ax.get_ylim() == (2.5, -0.5)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cost (USD)", "scenario")


def test_scenario_comparison_keeps_each_layer_in_one_colour():
    ax = layer_plots.scenario_comparison(_scenarios())
    colours = [p.get_facecolor() for p in ax.patches]
    groups = [colours[i : i + 3] for i in range(0, len(colours), 3)]
    assert all(len(set(group)) == 1 for group in groups)
    assert len({group[0] for group in groups}) == 6
    assert groups[0][0] == mcolors.to_rgba(PALETTE[0])
    # Only routing and model save anywhere; silicon only adds cost.
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert legend == {
        "today",
        "scenario cost",
        "routing and governance",
        "model and quantisation",
    }


def test_scenario_comparison_writes_cost_net_value_and_added_cost():
    ax = layer_plots.scenario_comparison(_scenarios(), period="Q1 2026")
    notes = {t.get_text(): t.xy for t in ax.texts}
    # 300 of 1,000 is a 70% saving, 600 a 40% one; today says its cost only.
    assert notes["1k"] == (0, 0)
    assert notes["300 (−70%)"] == (0, 1)
    assert notes["600 (−40%)"] == (0, 2)
    assert notes["net value 2.5 per Mtok"] == (1000.0, 1)
    assert notes["silicon adds 100"] == (1100.0, 2)
    assert ax.get_title("left") == "Scenarios against today, USD, Q1 2026"
    [today] = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [1000, 1000]]
    assert today.get_label() == "today"


def test_scenario_comparison_without_net_value_writes_none():
    ax = layer_plots.scenario_comparison(_scenarios(net_value=False))
    assert not [t for t in _texts(ax) if "net value" in t]


def test_scenario_comparison_refuses_two_currencies():
    with pytest.raises(ParameterError, match="EUR and USD"):
        layer_plots.scenario_comparison(_scenarios("EUR"))


def test_scenario_comparison_without_scenarios_says_so():
    ax = layer_plots.scenario_comparison(_scenarios().iloc[0:0])
    assert _texts(ax) == ["no scenario to compare with today"]
    assert ax.get_title("left") == "Scenarios against today"
    alone = layer_plots.scenario_comparison(_scenarios().iloc[:1])
    assert _texts(alone) == ["no scenario to compare with today"]
    assert not alone.patches
    assert alone.get_title("left") == "Scenarios against today, USD"


def test_the_charts_are_reached_through_plots():
    assert set(layer_plots.__all__) <= set(plots.__all__)
    assert plots.layer_cake is layer_plots.layer_cake
    assert plots.scenario_comparison is layer_plots.scenario_comparison


def test_scenario_comparison_needs_every_layer():
    with pytest.raises(ParameterError, match="silicon"):
        layer_plots.scenario_comparison(_scenarios().drop(columns="silicon"))
