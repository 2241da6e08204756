"""Sliders over the five layers' levers, and a button to save the scenario.

For JupyterLab: :func:`explore` starts from a scenario (or today), works
the layer cake out again as a lever moves, and writes the scenario to a
file that the notebook's ``scenario`` parameter reads, so papermill can run
it. Under papermill it shows its starting point.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from .layer_plots import layer_cake
from .optimise import Today, apply, compare
from .params import resolve_path
from .scenario import Scenario, ScenarioFile, save_scenarios
from .widget_chart import replace_chart

__all__ = ["explore", "scenario_of"]

#: Slider per lever: (section, field, label, low, high).
_SLIDERS = (
    ("routing", "routed_share", "share routed to the cheaper tier", 0.0, None),
    ("model", "cost_ratio", "model and precision cost ratio", 0.2, 1.5),
    ("stack", "cache_hit", "cache hit rate", 0.0, 1.0),
    ("stack", "batch_share", "batch share", 0.0, None),
    ("stack", "throughput_ratio", "engine throughput ratio (self-hosted)", 0.5, 4.0),
    ("capacity", "utilisation", "GPU utilisation", 0.05, 1.0),
    ("capacity", "region_ratio", "region price ratio", 0.5, 1.5),
    ("silicon", "price_ratio", "hardware price ratio", 0.5, 3.0),
    ("silicon", "throughput_ratio", "hardware throughput ratio", 0.5, 5.0),
)


def scenario_of(name: str, values: dict[tuple[str, str], float]) -> Scenario:
    """A scenario from lever values keyed by (section, field)."""
    sections: dict[str, dict] = {}
    for (section, key), value in values.items():
        sections.setdefault(section, {})[key] = value
    return Scenario.model_validate({"name": name, **sections})


def _start(today: Today, scenario: Scenario | None) -> dict:
    levers, _ = apply(today, scenario) if scenario else (today.levers, [])
    return {
        ("routing", "routed_share"): levers.routed_share,
        ("model", "cost_ratio"): levers.model_ratio,
        ("stack", "cache_hit"): levers.cache_hit,
        ("stack", "batch_share"): levers.batch_share,
        ("stack", "throughput_ratio"): levers.engine_throughput_ratio,
        ("capacity", "utilisation"): levers.utilisation,
        ("capacity", "region_ratio"): levers.region_ratio,
        ("silicon", "price_ratio"): levers.silicon_price_ratio,
        ("silicon", "throughput_ratio"): levers.silicon_throughput_ratio,
    }


def explore(
    today: Today, file: ScenarioFile, save_to: str | Path = "scenario.yml"
) -> widgets.VBox:
    """Show a slider per lever, the headline and the layer cake they give.

    The routed share and the batch share stop at their caps (the share
    measured to hold quality, the batch-eligible work). *Save* writes the
    file's scenarios with this one added (or replaced, by name) to the
    path in the box, relative to the project root as the ``scenario``
    parameter is; levers left where they are today are not written, so
    they follow the ledger in later runs.

    Returns
    -------
    ipywidgets.VBox
        Sliders, the name and path boxes with the save button, a line of
        text (``children[-2]``) and the chart.
    """
    first = file.scenarios[0] if file.scenarios else None
    start = _start(today, first)
    caps = {
        ("routing", "routed_share"): max(today.routed_cap, today.levers.routed_share),
        ("stack", "batch_share"): max(today.batch_cap, today.levers.batch_share),
    }
    sliders = {}
    for section, key, label, low, high in _SLIDERS:
        top = caps.get((section, key), high)
        sliders[(section, key)] = widgets.FloatSlider(
            value=min(max(start[(section, key)], low), top),
            min=low,
            max=top,
            step=(top - low) / 100 or 0.01,
            description=label,
            continuous_update=False,
            readout_format=".3g",
            style={"description_width": "18em"},
            layout=widgets.Layout(width="42em"),
        )
    name = widgets.Text(
        value=first.name if first else "my scenario", description="name"
    )
    path = widgets.Text(value=str(save_to), description="save to")
    button = widgets.Button(description="Save scenario")
    said = widgets.HTML()
    chart = widgets.Output()

    # Today's value where its slider can show it; a slider within half a
    # step of it has not been moved, and its lever follows the ledger.
    today_values = {
        k: min(max(v, sliders[k].min), sliders[k].max)
        for k, v in _start(today, None).items()
    }

    def current() -> Scenario:
        moved = {
            k: s.value
            for k, s in sliders.items()
            if abs(s.value - today_values[k]) > s.step / 2
        }
        return scenario_of(name.value.strip() or "my scenario", moved)

    def redraw(_=None) -> None:
        try:
            scenario = current()
        except ValueError as exc:
            said.value = f"<p>{html.escape(str(exc), quote=False)}</p>"
            return
        compared = compare(today, [scenario])
        said.value = f"<p>{html.escape(compared.describe(), quote=False)}</p>"
        fig, ax = plt.subplots()
        layer_cake(compared.cakes[scenario.name], ax=ax, scenario=scenario.name)
        replace_chart(chart, fig)

    def save(_=None) -> None:
        try:
            scenario = current()
            kept = [s for s in file.scenarios if s.name != scenario.name]
            out = file.model_copy(update={"scenarios": [*kept, scenario]})
            written = save_scenarios(out, resolve_path(path.value))
        except (ValueError, OSError) as exc:
            said.value += f"<p>Not saved: {html.escape(str(exc), quote=False)}</p>"
            return
        said.value += (
            f"<p>Saved to {html.escape(str(written), quote=False)}: run with "
            f"scenario='{html.escape(path.value, quote=False)}'.</p>"
        )

    for s in sliders.values():
        s.observe(redraw, names="value")
    name.observe(redraw, names="value")
    button.on_click(save)
    redraw()
    box = widgets.VBox(
        [*sliders.values(), widgets.HBox([name, path, button]), said, chart]
    )
    display(box)
    return box
