"""deploy/: the smoke run of the real files through nginx, and the environment template's completeness."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def _pg_admin_url() -> str:
    """The PostgreSQL server the suite uses (its `postgres` database), else the local one."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"
    return os.environ.get("SMOKE_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _nginx_available() -> bool:
    # smoke.sh installs Debian's nginx itself when run as root (as `make test` and CI are).
    return bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists() or os.geteuid() == 0)


def _settings_read_from_environment() -> set[str]:
    names = set()
    for source in (REPO / "caseqa" / "settings.py", REPO / "deploy" / "gunicorn.conf.py"):
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r'(?:envbool|envint|os\.getenv|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"', text))
        names |= set(re.findall(r'os\.environ\["([A-Z][A-Z0-9_]+)"\]', text))
    return names | {"DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"}  # read by dj-database-url and prometheus_client


def test_the_environment_template_documents_every_setting():
    template = (REPO / "deploy" / "caseqa.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", template, flags=re.M))
    missing = _settings_read_from_environment() - listed
    assert not missing, f"add to deploy/caseqa.env.example with a comment: {sorted(missing)}"
    # Each one has a comment line right above it (or above its group of related lines).
    lines = template.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#?[A-Z][A-Z0-9_]+=", line):
            above = [x for x in lines[max(0, i - 6) : i] if x.startswith("# ")]
            assert above, f"no comment explains {line}"


def test_the_smoke_run_through_nginx_passes_every_check(tmp_path):
    """deploy/smoke.sh on this machine: nginx (TLS), gunicorn and the worker on PostgreSQL, checked over
    HTTPS. It starts and stops its own processes and database; its output names each check."""
    assert _nginx_available(), "nginx is missing: `make install` (scripts/install-system-deps.sh) installs it"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TESTING", "DJANGO_SETTINGS_MODULE")}
    env |= {"PYTHON": sys.executable, "SMOKE_PG_ADMIN_URL": _pg_admin_url(), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [str(REPO / "deploy" / "smoke.sh")], env=env, capture_output=True, text=True, timeout=600, cwd=REPO
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    passed = [line for line in output.splitlines() if line.startswith("smoke: PASS ")]
    checks = ("/healthz", "/readyz", "HTTPS", "CSRF", "static files", "imported by the worker", "lockout", "/metrics")
    for check in checks:
        assert any(check in line for line in passed), f"{check!r} not among the passed checks:\n{output[-4000:]}"
    assert "smoke: FAIL" not in output
