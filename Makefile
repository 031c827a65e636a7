# One-command set-up, tests and demo. Everything lands in .venv; the sandbox (bubblewrap) comes from Debian.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK_VENV := .venv-lock
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.6.2

.PHONY: setup lock system-packages test-packages test lint demo clean

setup: $(STAMP) system-packages

# The versions CI passed with are in requirements.lock; the project itself goes in without resolving again.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
	$(PY) -m pip install --quiet --requirement requirements.lock
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

# Resolve pyproject.toml's ranges again and write the newest versions that satisfy them to requirements.lock,
# with pip's resolver (it takes torch from this machine's disk, as setup does), in a virtualenv of its own.
lock:
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION)
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --upgrade --extra=dev \
		--strip-extras --no-emit-find-links --no-emit-index-url --no-emit-trusted-host \
		--output-file=requirements.lock pyproject.toml

# Debian packages, installed when missing (as root, or through sudo): bubblewrap sandboxes student
# notebooks (without it the grader refuses to execute them); chromium renders the HTML reports in the tests;
# slurm-wlm and munge run the one-node Slurm cluster of tests/cluster (which skip without them).
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO="sudo -n"; \
	else echo "warning: $$PKG is missing and cannot be installed without root"; exit 0; fi; \
	($$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$PKG >/dev/null) \
	|| echo "warning: could not install $$PKG (apt-get failed)"

system-packages:
	@command -v bwrap >/dev/null || { PKG=bubblewrap; $(APT_INSTALL); }

test-packages:
	@command -v chromium >/dev/null && test -x /usr/bin/chromedriver || { PKG="chromium chromium-driver"; $(APT_INSTALL); }
	@test -x /usr/sbin/slurmctld -a -x /usr/sbin/slurmd -a -x /usr/sbin/munged || { PKG="slurm-wlm munge"; $(APT_INSTALL); }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup test-packages lint
	$(PY) -m pytest

demo: setup
	$(PY) -m grader demo --out demo-out

clean:
	rm -rf demo-out .pytest_cache .ruff_cache
