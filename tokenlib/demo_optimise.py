"""The demo organisation's optimisation scenarios and GPU metrics.

Written beside the demo exports and read by the optimisation notebook
(``scenario`` and ``gpu_metrics`` parameters). The self-hosted GPU is the
demo bill's one g5.xlarge (an NVIDIA A10G, 24 GB, 1.006 USD an hour)
serving a 7-billion-parameter model; its throughput figures are the demo's
own, to be replaced by a load test of the user's engine.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_GPU_METRICS", "DEMO_SCENARIOS", "write_optimisation"]

DEMO_SCENARIOS = "scenarios.yml"
DEMO_GPU_METRICS = "dcgm.prom"

_SCENARIOS = """\
# Optimisation scenarios of the demo organisation (notebook 06's `scenario`
# parameter). A lever left out stays where the ledger measures it today.
currency: USD
scenarios:
  - name: route within quality
    routing: {routed_share: 0.72}     # today routes more than holds quality
  - name: cache more
    stack: {cache_hit: 0.75}
  - name: smaller model
    model: {cost_ratio: 0.7, change: distilled triage model}
    stack: {cache_hit: 0.75}
  - name: every layer
    model: {cost_ratio: 0.7, change: distilled triage model in fp8}
    stack: {cache_hit: 0.75, throughput_ratio: 1.4}   # prefix caching on the GPU
    capacity: {utilisation: 0.6, region_ratio: 0.9}
    silicon: {price_ratio: 1.85, throughput_ratio: 3.0}   # L40S for A10G
self_hosted:                  # one A10G serving a 7B model
  hourly_price: 1.006
  prefill_tokens_per_second: 5000
  decode_tokens_per_second: 600
  gpus: 1
  gpu_memory_gb: 24
  weights_gb: 15
  model: {layers: 32, kv_heads: 8, head_dim: 128, bytes_per_value: 2}
  context_tokens: 8192
"""

#: The A10G's graphics engine active ratio, one scrape an hour for a day:
#: busy in office hours, near idle at night (mean 0.285).
_HOURLY = (0.05, 0.04, 0.04, 0.03, 0.04, 0.06, 0.12, 0.25, 0.42, 0.51, 0.55,
           0.52, 0.47, 0.53, 0.56, 0.54, 0.49, 0.41, 0.30, 0.21, 0.16, 0.12,
           0.09, 0.33)  # fmt: skip
_LABELS = (
    'gpu="0",UUID="GPU-5d2f1c9e-0a7b-4e21-9c3d-7f1e2b4a6c80",device="nvidia0",'
    'modelName="NVIDIA A10G",Hostname="ip-10-0-12-34"'
)


def _scrapes() -> str:
    metric = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
    head = (
        f"# HELP {metric} Ratio of time the graphics engine is active.\n"
        f"# TYPE {metric} gauge\n"
    )
    return "".join(f"{head}{metric}{{{_LABELS}}} {v}\n" for v in _HOURLY)


def write_optimisation(out_dir: Path) -> list[Path]:
    """Write the demo scenarios and DCGM scrapes into ``out_dir``."""
    scenarios = Path(out_dir) / DEMO_SCENARIOS
    scenarios.write_text(_SCENARIOS)
    metrics = Path(out_dir) / DEMO_GPU_METRICS
    metrics.write_text(_scrapes())
    return [scenarios, metrics]
