# caseqa: the two commands of the README, and a few helpers.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export TESTING ?= 1

.PHONY: demo test install install-python lint check test-sqlite test-postgres test-standby bench rebuild-rollups

$(BIN)/python:
	$(PY) -m venv $(VENV)

PORT ?= 8000

# Python packages only: what the demo needs (no root, no browser).
install-python: $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt

# Everything the suite needs: the Python packages and the Debian ones of the browser tests.
install: install-python
	scripts/install-system-deps.sh

# Serve the demo on SQLite at http://127.0.0.1:$(PORT) (PORT=8001 make demo) with a printed login.
demo: install-python
	TESTING= DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	CASEQA_SITE_URL=http://127.0.0.1:$(PORT) TESTING= DEBUG=1 $(BIN)/python manage.py seed_demo --if-empty
	TESTING= DEBUG=1 $(BIN)/python manage.py seed_demo_reviews
	@echo "caseqa demo: http://127.0.0.1:$(PORT)/ (with the background import worker)"
	@# The import worker runs beside the server and stops with it (Ctrl-C, or runserver ending).
	TESTING= DEBUG=1 $(BIN)/python manage.py import_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	TESTING= DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check:
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite:
	env -u DATABASE_URL $(BIN)/pytest -n 2 -q

# PostgreSQL from DATABASE_URL (.ci/run sets it), else the local server if one answers.
PG_LOCAL := postgres://postgres@127.0.0.1:5432/caseqa
test-postgres:
	@url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ] && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then url=$(PG_LOCAL); fi; \
	if [ -z "$$url" ]; then echo "No PostgreSQL answers: set DATABASE_URL=postgres://... (the suite runs on both databases)"; exit 1; fi; \
	DATABASE_URL="$$url" $(BIN)/pytest -n 2 -q

# Against a real streaming standby on this machine (root: scripts/standby.sh creates it if absent).
STANDBY_DB := caseqa_standby
test-standby:
	scripts/standby.sh
	@# The standby and its replication slot go away afterwards, whatever the result (a slot left
	@# behind without its standby would keep WAL on the primary).
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(STANDBY_DB) \
	DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/$(STANDBY_DB) \
	$(BIN)/pytest -q tests/test_real_standby.py tests/test_db_router.py; \
	status=$$?; scripts/standby.sh --drop; exit $$status

# Install everything, then lint, check and run the whole suite on SQLite and on PostgreSQL, and the
# real-standby tests against a streaming standby made for them on this machine (scripts/standby.sh).
test: install lint check test-sqlite test-postgres test-standby

bench: install-python
	$(BIN)/python manage.py bench --scale small

# Recompute the 案-件比 roll-up from the raw rows (after a restore or when a release notes it).
rebuild-rollups: install-python
	$(BIN)/python manage.py rebuild_rollups
