"""GPU utilisation from dcgm-exporter scrapes written in the test."""

from __future__ import annotations

import pytest

from tokenlib.dcgm import fleet_utilisation, gpu_utilisation
from tokenlib.errors import InputFileError

LABELS = 'UUID="GPU-{u}",gpu="{g}",modelName="NVIDIA H100 80GB HBM3",Hostname="node-1"'


def scrape(metric: str, values: dict[str, float]) -> str:
    lines = [f"# HELP {metric} x", f"# TYPE {metric} gauge"]
    for i, (u, v) in enumerate(values.items()):
        lines.append(f"{metric}{{{LABELS.format(u=u, g=i)}}} {v}")
    return "\n".join(lines) + "\n"


def line(metric: str, value: float, **labels: str) -> str:
    """One sample with exactly these labels."""
    body = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{metric}{{{body}}} {value}\n"


def test_device_utilisation_is_a_percentage_averaged_over_scrapes(tmp_path):
    # Two scrapes: GPU a at 35% then 45%, GPU b at 65% then 75%.
    path = tmp_path / "dcgm.prom"
    path.write_text(
        scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 35, "b": 65})
        + scrape("DCGM_FI_DEV_FB_USED", {"a": 40_000})
        + scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 45, "b": 75})
    )
    got = gpu_utilisation(path).set_index("gpu")
    assert got["utilisation"].to_dict() == pytest.approx({"GPU-a": 0.40, "GPU-b": 0.70})
    assert got["samples"].tolist() == [2, 2]
    assert set(got["model"]) == {"NVIDIA H100 80GB HBM3"}


def test_engine_active_ratio_is_preferred_where_sent(tmp_path):
    # GPU a has both (MIG makes the device figure wrong): the ratio wins.
    path = tmp_path / "dcgm.prom"
    path.write_text(
        scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 90, "b": 20})
        + scrape("DCGM_FI_PROF_GR_ENGINE_ACTIVE", {"a": 0.25})
    )
    got = gpu_utilisation(path).set_index("gpu")
    assert got.loc["GPU-a", ["metric", "utilisation"]].tolist() == [
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        0.25,
    ]
    assert got.at["GPU-b", "utilisation"] == pytest.approx(0.20)


def test_same_index_on_two_hosts_is_two_gpus(tmp_path):
    # No UUID label: node-1's gpu 0 at 30%, node-2's gpu 0 at 70%. Merged,
    # they would be one GPU at 50%; apart they are 0.30 and 0.70.
    util = "DCGM_FI_DEV_GPU_UTIL"
    path = tmp_path / "dcgm.prom"
    path.write_text(
        line(util, 30, gpu="0", Hostname="node-1")
        + line(util, 70, gpu="0", Hostname="node-2")
    )
    got = gpu_utilisation(path)
    assert got[["host", "gpu"]].values.tolist() == [["node-1", "0"], ["node-2", "0"]]
    assert got["utilisation"].tolist() == pytest.approx([0.30, 0.70])
    assert got["samples"].tolist() == [1, 1]


def test_a_scrape_without_hostname_keeps_its_gpus(tmp_path):
    # No Hostname label at all: gpu 0 at 20% and gpu 1 at 60%, one host.
    util = "DCGM_FI_DEV_GPU_UTIL"
    path = tmp_path / "dcgm.prom"
    path.write_text(line(util, 20, gpu="0") + line(util, 60, gpu="1"))
    got = gpu_utilisation(path)
    assert got["gpu"].tolist() == ["0", "1"]
    assert got["utilisation"].tolist() == pytest.approx([0.20, 0.60])
    assert got["host"].isna().all()


def test_mig_instances_are_weighted_by_compute_slices(tmp_path):
    # One H100 (7 slices) as a 3g.40gb at 0.9 and three 1g.10gb at 0.1.
    # Weighted: (3 * 0.9 + 1 * 0.1 * 3) / (3 + 1 * 3) = 3.0 / 6 = 0.50
    # (an unweighted mean would be (0.9 + 0.1 * 3) / 4 = 0.30).
    # The second GPU is not MIG: 0.20, weight 1.
    active = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
    mig = {"gpu": "0", "UUID": "GPU-m", "Hostname": "node-1"}
    instances = [("1", "3g.40gb", 0.9), ("2", "1g.10gb", 0.1)]
    instances += [("3", "1g.10gb", 0.1), ("4", "1g.10gb", 0.1)]
    path = tmp_path / "dcgm.prom"
    path.write_text(
        "".join(
            line(active, v, **mig, GPU_I_PROFILE=p, GPU_I_ID=i) for i, p, v in instances
        )
        + line(active, 0.2, gpu="1", UUID="GPU-n", Hostname="node-1")
    )
    got = gpu_utilisation(path).set_index("gpu")
    assert got["utilisation"].to_dict() == pytest.approx({"GPU-m": 0.50, "GPU-n": 0.20})
    assert got["samples"].to_dict() == {"GPU-m": 4, "GPU-n": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (scrape("DCGM_FI_DEV_FB_USED", {"a": 1}), "no DCGM_FI_PROF_GR_ENGINE_ACTIVE"),
        (scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 140}), "of GPU GPU-a is 140"),
        ("DCGM_FI_DEV_GPU_UTIL{gpu=0 35\n", "cannot read it as Prometheus text"),
        (
            line("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 0.5, Hostname="node-1"),
            "a DCGM_FI_PROF_GR_ENGINE_ACTIVE sample has neither a UUID nor a gpu label",
        ),
        (
            line("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 0.5, gpu="0", GPU_I_PROFILE="big"),
            "of GPU 0 has GPU_I_PROFILE 'big', which does not start with its compute",
        ),
    ],
)
def test_bad_scrapes_name_the_file(tmp_path, text, message):
    path = tmp_path / "dcgm.prom"
    path.write_text(text)
    with pytest.raises(InputFileError, match=message) as err:
        gpu_utilisation(path)
    assert str(path) in str(err.value)


def test_fleet_utilisation_is_the_mean_over_gpus(tmp_path):
    # GPU a at 10% then 30% over two scrapes (its mean 0.20); GPU b at 80%
    # in the first scrape only (0.80). Fleet: (0.20 + 0.80) / 2 = 0.50 over
    # 2 GPUs, each GPU once, not the pooled samples' (0.1 + 0.3 + 0.8) / 3.
    path = tmp_path / "dcgm.prom"
    path.write_text(
        scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 10, "b": 80})
        + scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 30})
    )
    assert fleet_utilisation(path) == (pytest.approx(0.50), 2)


def test_an_idle_fleet_is_an_error_naming_the_file(tmp_path):
    # Two GPUs at 0% in both of two scrapes: utilisation 0 spreads no cost.
    path = tmp_path / "dcgm.prom"
    path.write_text(
        scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 0, "b": 0})
        + scrape("DCGM_FI_DEV_GPU_UTIL", {"a": 0, "b": 0})
    )
    with pytest.raises(InputFileError, match="every GPU idle in every sample") as err:
        fleet_utilisation(path)
    assert str(path) in str(err.value)
    assert "state utilisation in the fully loaded cost assumptions" in str(err.value)
