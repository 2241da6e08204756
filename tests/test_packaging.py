"""The conda route and the pip route install the same pinned stack."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"python-duckdb": "duckdb", "prometheus_client": "prometheus-client"}


def _pypi_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(s.split("==") for s in specs)


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                if "==" in spec:
                    name, version = spec.split("==")
                    pins[name] = version
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip "):
            name, version = dep.split("=")
            pins[CONDA_TO_PYPI.get(name, name)] = version
    return pins


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", spec), spec


def test_environment_yml_lists_the_same_packages_and_versions():
    assert _conda_pins() == _pypi_pins()


def test_lock_file_agrees_with_the_direct_pins():
    lock = dict(
        line.split("==")
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line
    )
    lock = {k.lower().replace("_", "-"): v for k, v in lock.items()}
    for name, version in _pypi_pins().items():
        assert lock[name.lower()] == version, name


def test_shipped_templates_are_valid():
    from tokenlib.prices import read_negotiated
    from tokenlib.pricing import read_scope_rules
    from tokenlib.report import read_params

    templates = ROOT / "data" / "templates"
    rates = read_negotiated(templates / "negotiated_rates.csv")
    assert rates["service_tier"].tolist()[-1] == "standard"
    assert read_scope_rules(templates / "ai_scope.yml").services == (
        "Amazon SageMaker",
    )
    assert read_params(templates / "report_params.yml")["tz"] == "Europe/Paris"
