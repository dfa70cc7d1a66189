"""Child processes for tests that need a second process on the test's committed data."""

from __future__ import annotations

import sqlite3

from django.db import connection


def child_database_url(tmp_path) -> str:
    """A DATABASE_URL a child process can reach holding this test's committed data."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    # The in-memory test database is copied to a file the child opens (SQLite's online backup).
    path = tmp_path / "child.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{path}"
