# Shortcuts; each target runs what the README documents.
PYTHON ?= .venv/bin/python

.PHONY: bench bench-quick

bench:  ## every scale benchmark (about 2 minutes on 2 cores); figures in BENCHMARKS.md
	$(PYTHON) bench/all.py

bench-quick:
	$(PYTHON) bench/all.py --quick
