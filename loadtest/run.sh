#!/usr/bin/env bash
# Bounded load test on loopback: gunicorn + PostgreSQL with the demo data, locust headless.
#   loadtest/run.sh                    # 40 users for 3 minutes against a fresh database caseqa_load
#   USERS=20 DURATION=1m loadtest/run.sh
# Prints locust's summary (requests, failures, p50/p95 per endpoint), writes loadtest/results/*.csv,
# then checks that every statistic equals a recount (loadtest/verify.py). Exit status non-zero on any
# failed request or difference. Not part of the suite (minutes long); figures in docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
USERS="${USERS:-40}"
DURATION="${DURATION:-3m}"
WORKERS="${WORKERS:-4}"
PORT="${PORT:-18765}"
SCALE="${SCALE:-small}"
DB="${LOAD_DB:-caseqa_load}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
export DATABASE_URL="$PGURL/$DB" DEBUG=0 TESTING= ALLOWED_HOSTS=127.0.0.1 SECRET_KEY="load-test-$(date +%s)-$RANDOM$RANDOM"
# Logins through the form: a lockout would only mean the script is wrong, keep it on.
.venv/bin/pip install -q -r loadtest/requirements.txt
if [ "${REUSE_DB:-0}" != 1 ]; then
  psql "$PGURL/postgres" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  $PY manage.py migrate --noinput -v0
  $PY manage.py seed_demo --scale "$SCALE" >/dev/null
fi
$PY manage.py collectstatic --noinput -v0
mkdir -p loadtest/results
if ss -ltn "sport = :$PORT" | grep -q LISTEN; then echo "port $PORT is taken: set PORT=" >&2; exit 2; fi
.venv/bin/gunicorn caseqa.wsgi -b "127.0.0.1:$PORT" -w "$WORKERS" --access-logfile /dev/null \
  --error-logfile loadtest/results/gunicorn.log &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break; sleep 0.5; done
kill -0 "$GUNICORN"  # the server answering is ours
status=0
.venv/bin/locust -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$PORT" -u "$USERS" -r 10 \
  -t "$DURATION" --stop-timeout 10 --csv loadtest/results/load --only-summary || status=$?
kill "$GUNICORN"; wait "$GUNICORN" 2>/dev/null || true
$PY manage.py shell < loadtest/verify.py || status=$?
exit $status
