#!/usr/bin/env bash
# deploy/smoke.sh: the deployment of deploy/ on this machine, without systemd, checked over HTTPS.
#
# Installs Debian's nginx if missing (as root), makes a self-signed certificate, creates a scratch
# PostgreSQL database, starts gunicorn (deploy/gunicorn.conf.py), the background worker (manage.py
# import_worker) and nginx (deploy/nginx/caseqa.conf with local ports) in production mode, then checks
# through nginx: HTTP→HTTPS, HSTS, login, secure cookies, CSRF with CSRF_TRUSTED_ORIGINS, static files,
# an upload imported by the worker, the lockout keyed on the forwarded client address, /healthz,
# /readyz, /metrics (address or token) and the JSON logs. Stops everything it started (also on
# failure or interruption) and drops the database.
#
#   deploy/smoke.sh                          PostgreSQL from SMOKE_PG_ADMIN_URL (default: local server)
#   PYTHON=/path/to/venv/bin/python deploy/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
PG_ADMIN_URL="${SMOKE_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DEADLINE_SECONDS="${SMOKE_DEADLINE_SECONDS:-180}"

say() { printf 'smoke: %s\n' "$*"; }
fail() { say "FAIL $*"; exit 1; }
passed=0
pass() { passed=$((passed + 1)); say "PASS $*"; }

# --- nginx ---------------------------------------------------------------------------------------
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
if [ -z "$NGINX" ]; then
  [ "$(id -u)" -eq 0 ] || fail "nginx is missing: sudo apt-get install -y nginx"
  say "installing Debian's nginx"
  # Keep the package from starting its own server on port 80 (no systemd here).
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
  NGINX=/usr/sbin/nginx
fi

# --- everything this run starts is stopped on exit -----------------------------------------------
WORK="$(mktemp -d /tmp/caseqa-smoke.XXXXXX)"
chmod 755 "$WORK"
say "work directory $WORK"
DB="caseqa_smoke_$$"
PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  psql "$PG_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ]; then
    for log in gunicorn worker nginx-error; do
      [ -f "$WORK/$log.log" ] && { say "--- last lines of $log.log"; tail -n 30 "$WORK/$log.log"; }
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
APP_PORT="$(free_port)"; HTTPS_PORT="$(free_port)"; HTTP_PORT="$(free_port)"
ORIGIN="https://localhost:$HTTPS_PORT"

# Wait for a condition (a command that succeeds), up to DEADLINE_SECONDS.
wait_for() {
  local what="$1"; shift
  local end=$((SECONDS + DEADLINE_SECONDS))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "timed out waiting for $what"
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a started process ($pid) died while waiting for $what"; done
    sleep 0.2
  done
}

# --- certificate, database, application ----------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/caseqa.key" -out "$WORK/caseqa.crt" >/dev/null 2>&1

psql "$PG_ADMIN_URL" -q -c "CREATE DATABASE $DB" >/dev/null
unset TESTING DEBUG DATABASE_REPLICA_URL CACHE_URL
export DATABASE_URL="${PG_ADMIN_URL%/*}/$DB"
export PRODUCTION=1 BEHIND_PROXY=1 LOG_FORMAT=json
export SECRET_KEY="smoke-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export ALLOWED_HOSTS=localhost,127.0.0.1
export CSRF_TRUSTED_ORIGINS="$ORIGIN"
export STATIC_ROOT="$WORK/static" PROMETHEUS_MULTIPROC_DIR="$WORK/metrics"
export METRICS_TOKEN="metrics-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(20))')"
export WORKER_HEARTBEAT_MAX_AGE=30
export GUNICORN_BIND="127.0.0.1:$APP_PORT" GUNICORN_WORKERS=2
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

"$PYTHON" manage.py migrate --noinput -v0
"$PYTHON" manage.py collectstatic --noinput -v0
PASSWORD="smoke-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(12))')"
"$PYTHON" manage.py shell -v0 -c "
from django.contrib.auth import get_user_model
User = get_user_model()
User.objects.create_superuser('smoke_admin', password='$PASSWORD')
User.objects.create_user('smoke_clerk', password='$PASSWORD')
"

"$PYTHON" -m gunicorn -c deploy/gunicorn.conf.py >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!); say "started gunicorn (pid $!) on 127.0.0.1:$APP_PORT"
"$PYTHON" manage.py import_worker --heartbeat 1 >"$WORK/worker.log" 2>&1 &
PIDS+=($!); say "started the worker (pid $!)"

# --- nginx with the deploy/ site on local ports ---------------------------------------------------
mkdir -p "$WORK/nginx-tmp"
sed -e "s|server 127.0.0.1:8000;|server 127.0.0.1:$APP_PORT;|" \
    -e "s|listen 80;|listen $HTTP_PORT;|" -e "/listen \[::\]:80;/d" \
    -e "s|listen 443 ssl http2;|listen $HTTPS_PORT ssl http2;|" -e "/listen \[::\]:443/d" \
    -e "s|server_name caseqa.example.org;|server_name localhost;|" \
    -e "s|/etc/ssl/caseqa/|$WORK/|" -e "s|/var/log/nginx/caseqa.|$WORK/nginx-|" \
    deploy/nginx/caseqa.conf >"$WORK/site.conf"
grep -q "listen $HTTPS_PORT ssl" "$WORK/site.conf" || fail "deploy/nginx/caseqa.conf no longer has the expected listen lines"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
user root;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 128; }
http {
    include /etc/nginx/mime.types;
    client_body_temp_path $WORK/nginx-tmp/body;
    proxy_temp_path $WORK/nginx-tmp/proxy;
    fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
    scgi_temp_path $WORK/nginx-tmp/scgi;
    include $WORK/site.conf;
}
EOF
"$NGINX" -t -q -c "$WORK/nginx.conf" -g "daemon off;"
"$NGINX" -c "$WORK/nginx.conf" -g "daemon off;" &
PIDS+=($!); say "started nginx (pid $!): https://localhost:$HTTPS_PORT, http://localhost:$HTTP_PORT"

CURL=(curl -sS --cacert "$WORK/caseqa.crt" --max-time 60)
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }
# answers STATUS URL: the URL answers with that status now (asked again on every call).
answers() { [ "$(code "$2" 2>/dev/null)" = "$1" ]; }
wait_for "gunicorn behind nginx (/healthz)" answers 200 "$ORIGIN/healthz"
pass "/healthz answers 200 through nginx"
wait_for "/readyz (database, migrations, worker heartbeat)" answers 200 "$ORIGIN/readyz"
pass "/readyz answers 200: database, migrations and the worker's heartbeat"

# --- HTTPS, cookies, CSRF --------------------------------------------------------------------------
redirect="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$HTTP_PORT/accounts/login/")"
[[ "$redirect" == "301 https://localhost/accounts/login/" ]] || fail "HTTP does not redirect to HTTPS: $redirect"
pass "HTTP redirects to HTTPS ($redirect)"

# csrf_token JAR: the csrftoken cookie of a cookie jar.
csrf_token() { awk '$6 == "csrftoken" {print $7}' "$1"; }
# login JAR USER PASSWORD [curl options...]: GET the form, POST it with the token; prints the status.
login() {
  local jar="$1" user="$2" password="$3"; shift 3
  "${CURL[@]}" "$@" -c "$jar" -b "$jar" -o /dev/null "$ORIGIN/accounts/login/"
  "${CURL[@]}" "$@" -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/accounts/login/" \
    --data-urlencode "csrfmiddlewaretoken=$(csrf_token "$jar")" --data-urlencode "username=$user" \
    --data-urlencode "password=$password" "$ORIGIN/accounts/login/"
}

headers="$("${CURL[@]}" -D - -o /dev/null -c "$WORK/admin.jar" "$ORIGIN/accounts/login/")"
grep -qi '^strict-transport-security: max-age=' <<<"$headers" || fail "no HSTS header over HTTPS"
grep -i '^set-cookie: csrftoken=' <<<"$headers" | grep -qi '; secure' || fail "the CSRF cookie is not Secure"
pass "HTTPS answers carry HSTS; the CSRF cookie is Secure"

forged="$("${CURL[@]}" -o /dev/null -w '%{http_code}' -b "$WORK/admin.jar" -H "Origin: https://intruder.example.org" \
  --data-urlencode "csrfmiddlewaretoken=$(csrf_token "$WORK/admin.jar")" --data-urlencode "username=smoke_admin" \
  --data-urlencode "password=$PASSWORD" "$ORIGIN/accounts/login/")"
[ "$forged" = 403 ] || fail "a login posted from another origin was not refused (got $forged)"
pass "CSRF: a form posted from an untrusted origin is refused (403)"

headers="$("${CURL[@]}" -D - -o /dev/null -b "$WORK/admin.jar" -c "$WORK/admin.jar" -H "Origin: $ORIGIN" \
  -H "Referer: $ORIGIN/accounts/login/" --data-urlencode "csrfmiddlewaretoken=$(csrf_token "$WORK/admin.jar")" \
  --data-urlencode "username=smoke_admin" --data-urlencode "password=$PASSWORD" "$ORIGIN/accounts/login/")"
grep -q '^HTTP/[0-9.]* 302' <<<"$headers" || fail "login through nginx failed: $(head -1 <<<"$headers")"
session_cookie="$(grep -i '^set-cookie: sessionid=' <<<"$headers" || true)"
grep -qi '; secure' <<<"$session_cookie" && grep -qi '; httponly' <<<"$session_cookie" \
  || fail "the session cookie is not Secure and HttpOnly: $session_cookie"
pass "login from the trusted origin (CSRF_TRUSTED_ORIGINS=$ORIGIN) works; the session cookie is Secure and HttpOnly"

[ "$(code -b "$WORK/admin.jar" "$ORIGIN/api/v1/units/")" = 200 ] || fail "the logged-in session does not reach the API"
pass "the session works through nginx (GET /api/v1/units/ 200)"

static_type="$("${CURL[@]}" -o /dev/null -w '%{http_code} %{content_type}' "$ORIGIN/static/caseqa/site.css")"
[[ "$static_type" == "200 text/css"* ]] || fail "static file not served: $static_type"
pass "static files are served (WhiteNoise through nginx): /static/caseqa/site.css $static_type"

# --- an upload imported by the worker --------------------------------------------------------------
cat >"$WORK/staff.csv" <<'EOF'
staff_code,name,unit,department,role
SMOKE01,检察官甲,烟测区人民检察院,第一检察部,prosecutor
SMOKE02,检察官乙,烟测区人民检察院,第一检察部,prosecutor
EOF
answer="$("${CURL[@]}" -b "$WORK/admin.jar" -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/" \
  -H "X-CSRFToken: $(csrf_token "$WORK/admin.jar")" -F "kind=staff" -F "file=@$WORK/staff.csv;type=text/csv" \
  -w '\n%{http_code}' "$ORIGIN/api/v1/imports/")"
[ "$(tail -n1 <<<"$answer")" = 202 ] || fail "the upload was not queued (expected 202): $answer"
status_url="$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])["status_url"])' "$(sed '$d' <<<"$answer")")"
status_path="/${status_url#*://*/}"
job_done() {
  "${CURL[@]}" -b "$WORK/admin.jar" "$ORIGIN$status_path" >"$WORK/job.json" || return 1
  "$PYTHON" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["status"] not in ("done", "failed"))' "$WORK/job.json"
}
wait_for "the worker to import the upload" job_done
"$PYTHON" - "$WORK/job.json" <<'EOF' || fail "the worker's import did not succeed: $(cat "$WORK/job.json")"
import json, sys
job = json.load(open(sys.argv[1]))
assert job["status"] == "done" and job["report"]["ok"], job
assert job["report"]["counts"]["staff"]["created"] == 2, job["report"]["counts"]
EOF
staff="$("${CURL[@]}" -b "$WORK/admin.jar" "$ORIGIN/api/v1/prosecutors/SMOKE02/" -o /dev/null -w '%{http_code}')"
[ "$staff" = 200 ] || fail "the imported staff member is not there (GET /api/v1/prosecutors/SMOKE02/ $staff)"
pass "an upload (202, $status_path) was imported by the worker: 2 staff created and readable"

# --- the lockout behind the proxy: keyed on the forwarded client address ---------------------------
# Three desks: 127.0.0.2 guesses the clerk's password, 127.0.0.4 guesses too while forging
# X-Forwarded-For: 127.0.0.3, and 127.0.0.3 is the clerk.
for attempt in 1 2 3 4 5; do
  last="$(login "$WORK/a.jar" smoke_clerk "wrong-$attempt" --interface 127.0.0.2)"
  login "$WORK/f.jar" smoke_clerk "wrong-$attempt" --interface 127.0.0.4 -H "X-Forwarded-For: 127.0.0.3" >/dev/null
done
[ "$last" = 429 ] || fail "five failures did not lock the guessing client out (got $last)"
[ "$(login "$WORK/a.jar" smoke_clerk "$PASSWORD" --interface 127.0.0.2)" = 429 ] \
  || fail "the locked-out client logged in with the right password"
[ "$(login "$WORK/b.jar" smoke_clerk "$PASSWORD" --interface 127.0.0.3)" = 302 ] \
  || fail "another client behind the same proxy was locked out too"
pass "lockout keyed on the forwarded address: 127.0.0.2 locked out (429), 127.0.0.3 logs in (302) despite a forged header naming it"

# --- metrics: from an allowed address or with the token -------------------------------------------
"${CURL[@]}" --interface 127.0.0.1 "$ORIGIN/metrics" >"$WORK/metrics.txt"
for metric in django_http_requests_total_by_method_total django_db_execute_total caseqa_import_duration_seconds_count \
  caseqa_import_rows_total caseqa_task_queue_depth; do
  grep -q "^$metric" "$WORK/metrics.txt" || fail "/metrics lacks $metric"
done
grep -q '^caseqa_import_rows_total{kind="staff"} 2' "$WORK/metrics.txt" || fail "/metrics does not count the worker's 2 rows"
[ "$(code --interface 127.0.0.2 "$ORIGIN/metrics")" = 403 ] || fail "/metrics readable from an address not configured"
[ "$(code --interface 127.0.0.2 -H "Authorization: Bearer $METRICS_TOKEN" "$ORIGIN/metrics")" = 200 ] \
  || fail "/metrics refuses the token"
pass "/metrics: requests, database, import durations and rows (2 staff from the worker), queue depth; 403 elsewhere, 200 with the token"

# --- logs --------------------------------------------------------------------------------------------
"$PYTHON" - "$WORK/gunicorn.log" "$WORK/worker.log" <<'EOF' || fail "the logs are not as documented"
import json, sys
def lines(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out
web, worker = lines(sys.argv[1]), lines(sys.argv[2])
requests = [e for e in web if e.get("event") == "request"]
assert any(e["user"] == "smoke_admin" and e["path"] == "/api/v1/imports/" and e["status"] == 202 for e in requests), requests[-5:]
assert all({"method", "path", "status", "duration_ms", "user", "outcome"} <= e.keys() for e in requests)
imports = [e for e in worker if e.get("event") == "import"]
assert any(e["user"] == "smoke_admin" and e["outcome"] == "written" and e["counts"]["staff"] == 2 for e in imports), imports
text = open(sys.argv[1], encoding="utf-8").read() + open(sys.argv[2], encoding="utf-8").read()
for personal in ("检察官甲", "检察官乙", "127.0.0.2", "127.0.0.3"):
    assert personal not in text, personal
print(f"smoke: {len(requests)} request lines, {len(imports)} import line(s), JSON, no names or addresses")
EOF
pass "logs: one JSON line per request and per import with user, duration and outcome; no names or client addresses"

say "all $passed checks passed (nginx $("$NGINX" -v 2>&1 | sed 's|.*/||'), PostgreSQL database $DB)"
