# One-command set-up, tests and demo. Everything lands in .venv; the sandbox (bubblewrap) comes from Debian.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-packages test lint demo clean

setup: $(STAMP) system-packages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# bubblewrap sandboxes student notebooks; without it the grader refuses to execute them.
system-packages:
	@if command -v bwrap >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO="sudo -n"; \
	else echo "warning: bubblewrap is missing and cannot be installed without root"; exit 0; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq bubblewrap >/dev/null \
	|| echo "warning: could not install bubblewrap (apt-get failed)"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint
	$(PY) -m pytest

demo: setup
	$(PY) -m grader demo --out demo-out

clean:
	rm -rf demo-out .pytest_cache .ruff_cache
