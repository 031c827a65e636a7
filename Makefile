# One-command set-up, tests and demo. Everything lands in .venv; the sandbox (bubblewrap) comes from Debian.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-packages test-packages test lint demo clean

setup: $(STAMP) system-packages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian packages, installed when missing (as root, or through sudo): bubblewrap sandboxes student
# notebooks (without it the grader refuses to execute them); chromium renders the HTML reports in the tests.
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO="sudo -n"; \
	else echo "warning: $$PKG is missing and cannot be installed without root"; exit 0; fi; \
	($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$PKG >/dev/null) \
	|| echo "warning: could not install $$PKG (apt-get failed)"

system-packages:
	@command -v bwrap >/dev/null || { PKG=bubblewrap; $(APT_INSTALL); }

test-packages:
	@command -v chromium >/dev/null || { PKG=chromium; $(APT_INSTALL); }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup test-packages lint
	$(PY) -m pytest

demo: setup
	$(PY) -m grader demo --out demo-out

clean:
	rm -rf demo-out .pytest_cache .ruff_cache
