# One task runner: `make test`, `make lint`, `make bench`.
PYTHON ?= python

.PHONY: install test lint bench demo serve

install:
	bash scripts/install-test-deps.sh

test:
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check src tests benchmarks
	$(PYTHON) -m mypy
	lint-imports

bench:
	$(PYTHON) benchmarks/ingest.py --records 100000 --records 1000000
	$(PYTHON) benchmarks/search.py
	$(PYTHON) benchmarks/web.py
	$(PYTHON) benchmarks/digest.py
	$(PYTHON) benchmarks/period_lists.py

demo:
	$(PYTHON) -m paperfeed demo

serve:
	$(PYTHON) -m paperfeed serve --demo
