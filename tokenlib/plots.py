"""Figures of the workbook: one house style and one function per chart.

Notebooks import this module only; the charts live in modules by the
notebook they serve, and the style and shared drawing steps in another:

- :mod:`tokenlib.spend_plots`: :func:`daily_spend`, :func:`stacked_daily`,
  :func:`spend_bar`;
- :mod:`tokenlib.economics_plots`: :func:`cost_per_mtok_bar`,
  :func:`token_mix`, :func:`drift_chart`;
- :mod:`tokenlib.attribution_plots`: :func:`allocation_trend`,
  :func:`showback_bar`, :func:`session_costs`;
- :mod:`tokenlib.value_plots`: :func:`outcome_costs`, :func:`route_trend`,
  :func:`kpi_trends`;
- :mod:`tokenlib.loaded_plots`: :func:`waterfall`, :func:`tornado`;
- :mod:`tokenlib.layer_plots`: :func:`layer_cake`, :func:`scenario_comparison`;
- :mod:`tokenlib.forecast_plots`: :func:`forecast_fan`, :func:`token_fan`,
  :func:`budget_burn`, :func:`budget_chart`;
- :mod:`tokenlib.plot_style`: :func:`use_house_style`, :func:`alt_text`,
  :func:`figure_html`.

Each chart function takes a frame from :mod:`tokenlib.metrics` and an
optional Axes, draws on it and returns it; none calls ``show`` or
``savefig``. The style is set once by :func:`use_house_style`, which the
notebook setup calls; importing this module changes nothing.

Titles name the subject and the period, so an exported chart says which run
it came from. Money goes on one axis in one currency only: a frame holding
two currencies is refused, never added up.
"""

from .attribution_plots import allocation_trend, session_costs, showback_bar
from .economics_plots import cost_per_mtok_bar, drift_chart, token_mix
from .forecast_plots import budget_burn, budget_chart, forecast_fan, token_fan
from .layer_plots import layer_cake, scenario_comparison
from .loaded_plots import tornado, waterfall
from .plot_style import HOUSE_STYLE, alt_text, figure_html, use_house_style
from .spend_plots import daily_spend, spend_bar, stacked_daily
from .value_plots import kpi_trends, outcome_costs, route_trend

__all__ = [
    "HOUSE_STYLE",
    "allocation_trend",
    "alt_text",
    "budget_burn",
    "budget_chart",
    "cost_per_mtok_bar",
    "daily_spend",
    "drift_chart",
    "figure_html",
    "forecast_fan",
    "kpi_trends",
    "layer_cake",
    "outcome_costs",
    "route_trend",
    "scenario_comparison",
    "session_costs",
    "showback_bar",
    "spend_bar",
    "stacked_daily",
    "token_fan",
    "token_mix",
    "tornado",
    "use_house_style",
    "waterfall",
]
