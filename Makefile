# Two commands set everything up on a fresh machine:
#   make report   venv + pinned dependencies + demo data + the HTML report
#   make test     venv + pinned dependencies + every test, notebooks included
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := data/demo/ledger.duckdb

.PHONY: report test demo bench lint clean

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-c requirements.lock -e '.[dev]'
	touch $(STAMP)

$(DEMO): $(STAMP)
	$(VENV)/bin/tokenlib demo

demo: $(DEMO)

report: $(DEMO)
	$(VENV)/bin/tokenlib report --ledger $(DEMO) \
		--owners data/demo/owners.yml --policy data/demo/value_policy.yml \
		--assumptions data/demo/loaded_costs.yml \
		--scenario data/demo/scenarios.yml --gpu-metrics data/demo/dcgm.prom

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check tokenlib tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/ledger_bench.py --rows 1000000

clean:
	rm -rf $(VENV) data/demo reports
