#!/usr/bin/env bash
# Back up caseqa. PostgreSQL (DATABASE_URL=postgres://...): pg_dump custom format, an exact copy.
# Otherwise (SQLite): the portable export, a .jsonl.gz plus its manifest, loadable into either database.
#   scripts/backup.sh [FILE]      default: backups/caseqa-<UTC time>.dump or .jsonl.gz
# Restore with scripts/restore.sh FILE. See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
url="${DATABASE_URL:-}"
mkdir -p backups
case "$url" in
  postgres://*|postgresql://*)
    file="${1:-backups/caseqa-$stamp.dump}"
    # One snapshot of the whole database; owners and grants are the target server's business.
    pg_dump --format=custom --no-owner --no-privileges --dbname="$url" --file="$file"
    ;;
  *)
    file="${1:-backups/caseqa-$stamp.jsonl.gz}"
    "$PYTHON" manage.py export_portable "$file"
    ;;
esac
echo "backup written: $file"
