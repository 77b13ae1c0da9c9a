# The README's two commands: `make demo` and `make test`. Everything else here is
# what they are made of. All targets are idempotent and cheap when already done.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup host venv docker sandbox-up preexam clean-venv

## Set everything up on a fresh machine, bring the sandbox up, run the pre-exam checklist.
demo: setup sandbox-up
	$(BIN)/examday sandbox stage preexam
	$(BIN)/pytest -m preexam

## examday's own tests (unit and integration, against real services and the sandbox).
## Their sandbox runs the 10 s and 15 s health checks every 2 s (sandbox/docker-compose.yml) and the
## workers' flag cache at 2 s (sandbox/state.py); two xdist lanes (tests/one_sandbox.py).
test: export EXAMDAY_HEALTH_INTERVAL ?= 2s
test: export EXAMDAY_FLAGS_CACHE_TTL ?= 2
test: setup sandbox-up
	$(BIN)/pytest tests -p no:cacheprovider --durations=30 -n 2 --dist loadgroup

setup: host venv docker

host:
	@bash sandbox/host/install-packages.sh

docker:
	@bash sandbox/host/ensure-docker.sh

venv: $(STAMP)
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c 'import examday, pytest, docker, psycopg, redis, httpx' && touch $(STAMP)

sandbox-up:
	$(BIN)/examday sandbox up

clean-venv:
	rm -rf $(VENV)
