"""Run the notebook series with papermill into a dated report folder.

A run writes into a hidden working folder; only when every notebook has run
does it become ``<out>/<YYYY-MM-DD_HHMMSS>/`` and the ``latest`` pointer
move, so a failed run never replaces the last good report. The folder holds
the executed notebooks, one HTML report with code hidden, and
``metrics.json``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import papermill as pm
import yaml
from nbconvert import HTMLExporter

from .errors import ParameterError, ReportError
from .ledger import PROJECT_ROOT
from .loaded import fully_loaded
from .optimise import compare, measure_levers
from .params import (
    check_params,
    gpu_metrics_path,
    loaded_assumptions,
    open_priced,
    resolve_path,
    scenarios,
    value_policy,
)
from .summary import summarise

__all__ = ["DEFAULT_PARAMS", "notebooks", "read_params", "run_report"]

log = logging.getLogger(__name__)

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
#: Parameters every notebook of the series takes, with their defaults.
DEFAULT_PARAMS: dict[str, str] = {
    "ledger": "data/demo/ledger.duckdb",
    "prices": "",
    "start": "",
    "end": "",
    "tz": "UTC",
    "currency": "USD",
    "scope": "ai",
    "group_by": "team",
    "scope_rules": "",
    "owners": "",
    "users": "pseudonymised",
    "policy": "",
    "business_unit": "booking",
    "assumptions": "",
    "scenario": "",
    "gpu_metrics": "",
}


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The series in order: ``NN_topic.ipynb`` files sorted by number."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def read_params(
    path: str | Path | None,
    base: Mapping[str, str] | None = None,
    **overrides: str | None,
) -> dict[str, str]:
    """Merge defaults, ``base``, a YAML parameter file and explicit overrides.

    Later sources win: :data:`DEFAULT_PARAMS`, then ``base``, then the file,
    then the keyword overrides that are not None.
    """
    params = {**DEFAULT_PARAMS, **(base or {})}
    if path:
        path = Path(path)
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError(f"{path}: cannot read parameters ({exc})") from exc
        unknown = set(loaded) - set(DEFAULT_PARAMS)
        if unknown:
            raise ParameterError(
                f"{path}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(DEFAULT_PARAMS)}"
            )
        params.update({k: "" if v is None else str(v) for k, v in loaded.items()})
    params.update({k: str(v) for k, v in overrides.items() if v is not None})
    return params


def _metrics(params: Mapping[str, str]) -> dict:
    con = open_priced(
        params["ledger"],
        params["prices"],
        params["tz"],
        params["start"],
        params["end"],
        params["scope"],
        params["scope_rules"],
        params["owners"],
        params["users"],
    )
    currency = params["currency"]
    policy = value_policy(params["policy"])
    assumptions = loaded_assumptions(params["assumptions"], currency)
    try:
        metrics = summarise(con, currency, policy, assumptions)
        gpus = gpu_metrics_path(params["gpu_metrics"])
        today = measure_levers(con, policy, fully_loaded(con, assumptions), gpus)
        planned = scenarios(params["scenario"], currency).scenarios
        return metrics | compare(today, planned).summary()
    finally:
        con.close()


def _without_run_metadata(cells: list) -> list:
    """Drop a notebook's closing run-metadata section: the page shows it once."""
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.source.startswith("## Run metadata"):
            return cells[:i]
    return cells


#: The output type of a live widget: a static page can only show its name.
WIDGET = "application/vnd.jupyter.widget-view+json"


def _without_widgets(cell):
    """Drop a cell's widget outputs: the page has no kernel to drive them."""
    if cell.cell_type == "code":
        cell.outputs = [o for o in cell.outputs if WIDGET not in o.get("data", {})]
    return cell


def _html(executed: list[Path], params: Mapping[str, str]) -> str:
    """One HTML page of every notebook's text and outputs, code hidden."""
    merged = nbformat.v4.new_notebook()
    for i, path in enumerate(executed, start=1):
        cells = [
            c
            for c in nbformat.read(path, as_version=4).cells
            if not {"parameters", "injected-parameters"}
            & set(c.metadata.get("tags", []))
        ]
        if i < len(executed):
            cells = _without_run_metadata(cells)
        merged.cells.extend(_without_widgets(c) for c in cells)
    merged.metadata["title"] = "Tokenomics Workbook report"
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(merged)
    return body


def run_report(
    params: Mapping[str, str],
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: int = 600,
    series: list[Path] | None = None,
) -> Path:
    """Execute the series and write a dated report folder.

    Parameters
    ----------
    params
        Notebook parameters (see :data:`DEFAULT_PARAMS`).
    out
        Folder holding the dated report folders; default ``reports/``.
    progress
        Called with a line of text as each step starts.
    timeout
        Seconds any one cell may run.
    series
        Notebooks to run; default the ``NN_*.ipynb`` files in ``notebooks/``.

    Returns
    -------
    pathlib.Path
        The new report folder.

    Raises
    ------
    ReportError
        A notebook failed; the message names notebook, cell and error.
    """
    say = progress or log.info
    out = resolve_path(out) if out else PROJECT_ROOT / "reports"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d_%H%M%S")
    series = series if series is not None else notebooks()
    if not series:
        raise ReportError(f"no notebooks found in {NOTEBOOK_DIR}")

    # Parameters and metrics first: a bad parameter fails before any
    # notebook runs and before anything is written.
    check_params(**{name: params[name] for name in DEFAULT_PARAMS})
    say("computing metrics.json")
    summary = json.dumps(_metrics(params), indent=2)
    work = out / f".running-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    (work / "metrics.json").write_text(summary)

    executed = []
    for i, nb in enumerate(series, start=1):
        say(f"[{i}/{len(series)}] running {nb.name}")
        target = work / nb.name
        try:
            pm.execute_notebook(
                str(nb),
                str(target),
                parameters=dict(params),
                kernel_name="python3",
                cwd=str(PROJECT_ROOT),
                execution_timeout=timeout,
                progress_bar=False,
            )
        except pm.PapermillExecutionError as exc:
            failed = out / f"failed-{stamp}"
            shutil.move(str(work), str(failed))
            # Papermill counts its injected parameters cell; the author does not.
            cell = exc.cell_index + (0 if exc.cell_index < 2 else -1) + 1
            first = (exc.source or "").strip().splitlines()[:1]
            raise ReportError(
                f"{nb.name} failed in cell {cell} ({first[0] if first else ''!r}): "
                f"{exc.ename}: {exc.evalue}. The executed notebook is in {failed}; "
                "the last good report is unchanged."
            ) from None
        executed.append(target)

    say("writing report.html")
    (work / "report.html").write_text(_html(executed, params))
    # The executive summary also stands alone: a one-page brief to send on.
    for path in executed:
        if path.name.startswith("09_"):
            (work / "executive_summary.html").write_text(_html([path], params))
    final = out / stamp
    work.rename(final)
    (out / "LATEST").write_text(final.name + "\n")
    return final
