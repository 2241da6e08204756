"""GPU utilisation from an NVIDIA DCGM exporter scrape.

dcgm-exporter serves Prometheus text (port 9400). A file of one scrape, or
of several scrapes one after another, gives each GPU's utilisation: the
graphics engine's active ratio (``DCGM_FI_PROF_GR_ENGINE_ACTIVE``, 0 to 1,
valid under MIG) where the exporter sends it, else the device utilisation
(``DCGM_FI_DEV_GPU_UTIL``, a percentage, not valid under MIG). Parsing is
prometheus-client's.

A GPU is its ``Hostname`` and ``UUID`` labels, else its ``Hostname`` and
``gpu`` (index) labels. Under MIG, dcgm-exporter sends one sample per GPU
instance, each with the whole GPU's ``gpu`` and ``UUID`` labels and the
instance's ``GPU_I_ID`` and ``GPU_I_PROFILE`` (like ``3g.40gb``: 3 compute
slices, 40 GB). A MIG GPU's utilisation is its instances' values weighted
by their compute slices, the N of ``Ng.``, which assumes:

- each instance's value is a share of that instance's own engine, so a
  3-slice instance's busy time counts three times a 1-slice one's;
- slices the scrape does not show (not made into instances, or not
  exported) are not counted, neither busy nor idle: a 3g at 0.9 and three
  1g at 0.1 give (3 * 0.9 + 3 * 0.1) / 6 = 0.5 on a 7-slice GPU;
- samples from several scrapes are pooled, so an instance counts once per
  scrape it appears in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from .errors import InputFileError

__all__ = ["UTILISATION_METRICS", "fleet_utilisation", "gpu_utilisation"]

#: Metric name -> the factor that makes its value a share, preferred first.
UTILISATION_METRICS = {
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": 1.0,
    "DCGM_FI_DEV_GPU_UTIL": 0.01,
}
#: A MIG profile's compute slices: the 3 of "3g.40gb".
_SLICES = re.compile(r"(\d+)g\.")


def _samples(path: Path) -> pd.DataFrame:
    """Every utilisation sample: metric, GPU labels, value and MIG slices."""
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
            profile = s.labels.get("GPU_I_PROFILE")
            slices = _SLICES.match(profile) if profile else None
            if profile and not slices:
                raise InputFileError(
                    f"{path}: {f.name} of GPU {gpu} has GPU_I_PROFILE "
                    f"{profile!r}, which does not start with its compute slices "
                    "(like 3g.40gb); save the scrape straight from dcgm-exporter"
                )
            weight = int(slices[1]) if slices else 1
            rows.append(
                (f.name, gpu, s.labels.get("modelName"), s.labels.get("Hostname"),
                 s.value, weight)
            )  # fmt: skip
    columns = ["metric", "gpu", "model", "host", "value", "weight"]
    return pd.DataFrame(rows, columns=columns)


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
        share, 0 to 1; under MIG weighted by each instance's compute
        slices, see the module notes). A GPU is its host and UUID (else host and index),
        so two hosts' ``gpu="0"`` are two GPUs.

    Raises
    ------
    InputFileError
        The file does not parse, holds no utilisation metric, has a sample
        with neither a UUID nor a gpu label or a MIG profile without its
        slices, or a value is outside its range; the message names the
        file and what is wrong.
    """
    path = Path(path)
    s = _samples(path)
    if s.empty:
        raise InputFileError(
            f"{path}: no {' or '.join(UTILISATION_METRICS)} samples; is it a "
            "dcgm-exporter scrape?"
        )
    s["share"] = s["value"] * s["metric"].map(UTILISATION_METRICS)
    s["weighted"] = s["share"] * s["weight"]
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
            weighted=("weighted", "sum"),
            weight=("weight", "sum"),
        )
        .reset_index()
    )
    out["utilisation"] = out["weighted"] / out["weight"]
    return out[["gpu", "model", "host", "metric", "samples", "utilisation"]]


def fleet_utilisation(path: str | Path) -> tuple[float, int]:
    """Read the fleet's utilisation from a dcgm-exporter scrape file.

    Parameters
    ----------
    path
        Prometheus text saved from dcgm-exporter, as for `gpu_utilisation`.

    Returns
    -------
    tuple of float and int
        The mean over GPUs of each GPU's utilisation (0 to 1, every GPU
        counting once), and the number of GPUs.

    Raises
    ------
    InputFileError
        As for `gpu_utilisation`, or the fleet's utilisation is 0, which
        cannot spread GPU cost over work; the message names the file.
    """
    gpus = gpu_utilisation(path)
    mean, n = float(gpus["utilisation"].mean()), len(gpus)
    if mean == 0:
        raise InputFileError(
            f"{path}: every GPU idle in every sample ({n} GPU{'s' * (n > 1)}), "
            "so utilisation is 0 and cannot spread GPU cost; scrape while the "
            "GPUs serve load, or leave gpu_metrics out and state utilisation "
            "in the fully loaded cost assumptions"
        )
    return mean, n
