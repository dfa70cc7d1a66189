"""Serving the product for the benchmark: gunicorn on a free loopback port, or Django's client in-process.

Both clients answer `get(path, session=False)` with (status, body bytes). Traffic goes to 127.0.0.1
only, and every request loop in the benchmark is bounded by a count.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 120.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The default database as a URL, so that the server and the import see the benchmark's data."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


def child_environment(**extra: str) -> dict[str, str]:
    """The environment of a server or import child: this database, production-like settings."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url(), "DEBUG": "0", "TESTING": env.get("TESTING", "")})
    # DEBUG=0 children refuse to start without a key unless TESTING: hand them the parent's.
    env.setdefault("SECRET_KEY", settings.SECRET_KEY)
    if "DATABASE_REPLICA_URL" not in extra:
        env.pop("DATABASE_REPLICA_URL", None)  # the benchmark measures one database unless told otherwise
    env.update(extra)
    return env


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes (from /proc; 0 for any that is gone)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def database_backends() -> list[int]:
    """PostgreSQL backend processes connected to this database other than ours (the server's connections)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [row[0] for row in cursor.fetchall()]


class HttpClient:
    """GETs against a running server with the benchmark user's token (API) or session cookie (pages).

    `cpu()` is the CPU time the server's workers and their database backends have used so far: on a
    shared box, CPU per request says what the request costs when wall-clock time also holds waiting.
    """

    def __init__(self, base: str, token: str, session_key: str, master_pid: int | None = None):
        self.base, self.token, self.session_key, self.master_pid = base, token, session_key, master_pid

    def cpu(self) -> dict[str, float] | None:
        if self.master_pid is None:
            return None
        return {"server": cpu_seconds(children(self.master_pid)), "database": cpu_seconds(database_backends())}

    def get(self, path: str, session: bool = False) -> tuple[int, bytes]:
        headers = {"Accept": "application/json"}
        if session:
            headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session_key}", "Accept-Language": "zh-hans"}
        else:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class InProcessClient:
    """The same GETs through Django's test client (CI and SQLite runs, where no server can see the data)."""

    def __init__(self, token: str, session_key: str):
        from django.test import Client

        self.client = Client()
        self.token = token
        self.client.cookies[settings.SESSION_COOKIE_NAME] = session_key

    def cpu(self) -> None:
        return None

    def get(self, path: str, session: bool = False) -> tuple[int, bytes]:
        if session:
            response = self.client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        else:
            response = self.client.get(path, HTTP_AUTHORIZATION=f"Token {self.token}", HTTP_ACCEPT="application/json")
        return response.status_code, response.content


@contextlib.contextmanager
def gunicorn(workers: int = 2, log_path: Path | None = None) -> Iterator[tuple[str, int]]:
    """Run gunicorn on a free loopback port for the duration of the block; yields (base URL, master pid)."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = open(log_path or os.devnull, "ab")  # noqa: SIM115 (closed below, after the child)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "caseqa.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(int(REQUEST_TIMEOUT)),
        "--chdir",
        str(settings.BASE_DIR),
    ]
    # Persistent database connections, as a production server keeps them.
    env = child_environment(CONN_MAX_AGE="600")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=settings.BASE_DIR)
    try:
        _wait_until_up(base, process)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {base} within {START_TIMEOUT:.0f} s")
