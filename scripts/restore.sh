#!/usr/bin/env bash
# Restore a caseqa backup written by scripts/backup.sh, all or nothing.
#   scripts/restore.sh FILE [--replace]
# A .dump (pg_dump) needs DATABASE_URL=postgres://... and replaces that database's tables in one
# transaction. A .jsonl.gz (portable) loads into the database of DATABASE_URL or the SQLite default,
# which must be migrated and empty unless --replace is given; the roll-up is rebuilt and every count checked.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
file="${1:?usage: scripts/restore.sh FILE [--replace]}"
shift
url="${DATABASE_URL:-}"
case "$file" in
  *.dump)
    case "$url" in
      postgres://*|postgresql://*) ;;
      *) echo "a pg_dump backup restores into PostgreSQL only: set DATABASE_URL=postgres://..." >&2; exit 2 ;;
    esac
    pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
      --dbname="$url" "$file"
    ;;
  *)
    "$PYTHON" manage.py migrate --noinput -v0
    "$PYTHON" manage.py import_portable "$file" "$@"
    ;;
esac
echo "restored: $file"
