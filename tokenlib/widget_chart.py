"""A chart inside an ipywidgets Output, drawn without capturing output.

The sliders' charts are put in their Output as a PNG (``append_display_data``)
rather than drawn inside ``with output:``. Under papermill, nbclient mirrors
captured output back to the kernel on the shell channel while it waits for
the cell's reply there, and now and then it never sees that reply: the cell
hangs until its timeout (nbclient issue 312, open). Setting the Output's
contents from the kernel leaves nbclient nothing to mirror.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import Image
from matplotlib.figure import Figure

__all__ = ["replace_chart"]


def replace_chart(output: widgets.Output, fig: Figure) -> None:
    """Show ``fig`` as the only content of ``output``, then close it.

    >>> fig, ax = plt.subplots()
    >>> out = widgets.Output()
    >>> replace_chart(out, fig)
    >>> [sorted(o["data"]) for o in out.outputs]
    [['image/png', 'text/plain']]
    >>> plt.fignum_exists(fig.number)
    False
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    output.outputs = ()
    output.append_display_data(Image(data=buffer.getvalue()))
