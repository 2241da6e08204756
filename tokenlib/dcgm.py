"""GPU utilisation from an NVIDIA DCGM exporter scrape.

dcgm-exporter serves Prometheus text (port 9400). A file of one scrape, or
of several scrapes one after another, gives each GPU's utilisation: the
graphics engine's active ratio (``DCGM_FI_PROF_GR_ENGINE_ACTIVE``, 0 to 1,
valid under MIG) where the exporter sends it, else the device utilisation
(``DCGM_FI_DEV_GPU_UTIL``, a percentage, not valid under MIG). Parsing is
prometheus-client's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from .errors import InputFileError

__all__ = ["UTILISATION_METRICS", "gpu_utilisation"]

#: Metric name -> the factor that makes its value a share, preferred first.
UTILISATION_METRICS = {
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": 1.0,
    "DCGM_FI_DEV_GPU_UTIL": 0.01,
}


def _samples(path: Path) -> pd.DataFrame:
    """Every utilisation sample: metric, GPU labels and value."""
    try:
        families = list(text_string_to_metric_families(path.read_text()))
    except (OSError, ValueError) as exc:
        raise InputFileError(
            f"{path}: cannot read it as Prometheus text from dcgm-exporter ({exc})"
        ) from exc
    rows = []
    for f in families:
        if f.name not in UTILISATION_METRICS:
            continue
        for s in f.samples:
            gpu = s.labels.get("UUID") or s.labels.get("gpu")
            if not gpu:
                raise InputFileError(
                    f"{path}: a {f.name} sample has neither a UUID nor a gpu "
                    "label, so it cannot be told from other GPUs' samples; save "
                    "the scrape straight from dcgm-exporter, with its labels"
                )
            rows.append(
                (f.name, gpu, s.labels.get("modelName"), s.labels.get("Hostname"),
                 s.value)
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["metric", "gpu", "model", "host", "value"])


def gpu_utilisation(path: str | Path) -> pd.DataFrame:
    """Read each GPU's utilisation from a dcgm-exporter scrape file.

    Parameters
    ----------
    path
        Prometheus text saved from dcgm-exporter (``curl host:9400/metrics``),
        one scrape or several in a row.

    Returns
    -------
    pandas.DataFrame
        One row per GPU, sorted by host then GPU: ``gpu`` (its UUID, else
        its index on the host), ``model``, ``host`` (``Hostname``),
        ``metric`` (the one used), ``samples``, ``utilisation`` (mean
        share, 0 to 1). A GPU is its host and UUID (else host and index),
        so two hosts' ``gpu="0"`` are two GPUs.

    Raises
    ------
    InputFileError
        The file does not parse, holds no utilisation metric, has a sample
        with neither a UUID nor a gpu label, or a value is outside its
        range; the message names the file and what is wrong.
    """
    path = Path(path)
    s = _samples(path)
    if s.empty:
        raise InputFileError(
            f"{path}: no {' or '.join(UTILISATION_METRICS)} samples; is it a "
            "dcgm-exporter scrape?"
        )
    s["share"] = s["value"] * s["metric"].map(UTILISATION_METRICS)
    bad = s[(s["share"] < 0) | (s["share"] > 1)]
    if len(bad):
        row = bad.iloc[0]
        raise InputFileError(
            f"{path}: {row.metric} of GPU {row.gpu} is {row.value:g}, outside "
            "its range (0 to 1 for a ratio, 0 to 100 for a percentage)"
        )

    # A GPU is its host and its UUID (else its index): two hosts each have
    # a gpu="0". A scrape without Hostname labels has one host, kept as NaN.
    keys = ["host", "gpu"]
    rank = {m: i for i, m in enumerate(UTILISATION_METRICS)}
    s["rank"] = s["metric"].map(rank)
    best = s.groupby(keys, dropna=False)["rank"].transform("min")
    s = s[s["rank"] == best]
    out = (
        s.groupby(keys, dropna=False, sort=True)
        .agg(
            model=("model", "first"),
            metric=("metric", "first"),
            samples=("share", "size"),
            utilisation=("share", "mean"),
        )
        .reset_index()
    )
    return out[["gpu", "model", "host", "metric", "samples", "utilisation"]]
