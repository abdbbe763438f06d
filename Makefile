# Crypto reference-data warehouse: the local single-machine stack and its tests.
# `make run` on a fresh machine installs, starts everything and runs the pipeline;
# `make test` runs the whole suite (it starts and stops its own stack).

PY := .venv/bin/python
REFDATA := $(PY) -m refdata

.PHONY: help install up down status logs migrate test test-unit test-integration run bench clean-test-data

help:
	@echo "make run     install what is missing, start the stack, run the pipeline on the recorded captures"
	@echo "make test    run the whole test suite (own stack under var/test, ports +100)"
	@echo "make up | down | status | logs    manage the local stack"
	@echo "make bench   print the benchmark figures (stack; pipeline, silver scale, API: bench/all.py)"

install:
	@bash scripts/install.sh

up: install
	$(REFDATA) up

down:
	@if [ -x $(PY) ]; then $(REFDATA) down; fi

status: install
	$(REFDATA) status

logs: install
	$(REFDATA) logs

migrate: install
	$(REFDATA) migrate

run: install
	$(REFDATA) up
	$(REFDATA) run

# pytest exits 5 when it collects no test; that is not a failure of the suite.
test: install
	@$(PY) -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc

test-unit: install
	$(PY) -m pytest -m "not integration"

test-integration: install
	$(PY) -m pytest -m integration

bench:
	@bash scripts/install.sh --bench
	$(PY) bench/stack.py
	$(PY) bench/all.py

clean-test-data:
	rm -rf var/test
