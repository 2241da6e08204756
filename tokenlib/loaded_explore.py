"""Sliders over the assumptions that move the fully loaded cost most.

For JupyterLab: :func:`explore` shows one slider per leading driver of the
sensitivity and, as they move, works the cost out again with
:func:`tokenlib.loaded.loaded_cost` and redraws the waterfall. The report
cells never depend on it; under papermill it shows its starting point.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

from .loaded import LoadedCost, loaded_cost
from .loaded_assumptions import Assumptions, DriverValue
from .loaded_plots import waterfall
from .widget_chart import replace_chart

__all__ = ["explore", "with_drivers"]


def with_drivers(
    assumptions: Assumptions, loaded: LoadedCost, values: dict[str, float]
) -> Assumptions:
    """Return the assumptions with some drivers set to new values.

    Each driver keeps the range it had in ``loaded``, widened to hold the
    new value.

    Parameters
    ----------
    values
        New value by driver key, ``bucket.name``.
    """
    ranges = loaded.drivers.set_index("driver")
    update: dict[str, dict] = {}
    for key, value in values.items():
        bucket, name = key.split(".", 1)
        low, high = ranges.loc[key, ["low", "high"]]
        section = update.setdefault(bucket, dict(getattr(assumptions, bucket)))
        section[name] = DriverValue(
            value=value, low=min(low, value), high=max(high, value)
        )
    return assumptions.model_copy(update=update)


def _slider(row) -> widgets.FloatSlider:
    return widgets.FloatSlider(
        value=row.base_value,
        min=row.low_value,
        max=row.high_value,
        step=(row.high_value - row.low_value) / 100,
        description=f"{row.label} ({row.unit})",
        continuous_update=False,
        readout_format=".3g",
        style={"description_width": "22em"},
        layout=widgets.Layout(width="46em"),
    )


def explore(loaded: LoadedCost, assumptions: Assumptions, top: int = 4) -> widgets.VBox:
    """Show sliders for the ``top`` drivers, the total they give, the waterfall.

    Parameters
    ----------
    loaded
        The fully loaded cost whose sensitivity picks the drivers.
    assumptions
        The assumptions it was worked out from.
    top
        Number of drivers, largest swing first.

    Returns
    -------
    ipywidgets.VBox
        The box shown: sliders, a line saying the total (``children[-2]``)
        and the chart.
    """
    rows = loaded.sensitivity.head(top)
    sliders = [_slider(r) for r in rows.itertuples()]
    said = widgets.HTML()
    chart = widgets.Output()

    def redraw(_=None) -> None:
        keys = rows["driver"]
        values = {k: s.value for k, s in zip(keys, sliders, strict=True)}
        changed = with_drivers(assumptions, loaded, values)
        again = loaded_cost(changed, loaded.baseline)
        said.value = f"<p>{again.describe()}</p>"
        fig, ax = plt.subplots()
        waterfall(again.waterfall, ax=ax)
        replace_chart(chart, fig)

    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([*sliders, said, chart])
    display(box)
    return box
