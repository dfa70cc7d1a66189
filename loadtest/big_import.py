"""Peak memory of a large import: a generated cases CSV of about 100 MB through `manage.py import_data`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/caseqa_bigimport .venv/bin/python loadtest/big_import.py [MB]

Creates (drops first) that database, migrates it, imports a small staff file, writes the cases CSV
(the documented columns) and imports it in a child process, which reports its own peak resident
memory (`cases.bench.hwm`: VmHWM, not wait4's ru_maxrss, which includes the parent's). Prints one
JSON line: rows, file size, seconds, peak RSS. Not in the suite.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
PEAK_FILE = Path(tempfile.gettempdir()) / "caseqa-big-import.peak"
MANAGE = [sys.executable, "-m", "cases.bench.hwm", str(PEAK_FILE), str(REPO / "manage.py")]


def run(*args: str) -> tuple[int, float, float]:
    """Run a manage.py command; (exit status, seconds, its own peak RSS in MB)."""
    started = time.monotonic()
    PEAK_FILE.unlink(missing_ok=True)
    # Without DEBUG a process refuses to start with no SECRET_KEY (caseqa/settings.py): give it a throwaway one.
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)}
    child = subprocess.Popen([*MANAGE, *args], cwd=REPO, stdout=subprocess.DEVNULL, env=env)
    status = child.wait()
    return status, time.monotonic() - started, int(PEAK_FILE.read_text()) / 1024


def main() -> None:
    target_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 100
    url = os.environ["DATABASE_URL"]
    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-q", "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"])
    assert run("migrate", "--noinput", "-v0")[0] == 0
    work = Path(tempfile.mkdtemp(prefix="caseqa-big-"))
    staff = work / "staff.csv"
    with staff.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["staff_code", "name", "unit", "department", "role"])
        for n in range(200):
            w.writerow([f"S{n:04d}", f"检察官{n}", f"第{n % 10}区人民检察院", f"第{n % 4 + 1}检察部", "prosecutor"])
    assert run("import_data", "--kind", "staff", str(staff))[0] == 0
    cases = work / "cases.csv"
    rows = 0
    with cases.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_no", "title", "line", "category", "unit", "department", "prosecutor", "persons"])
        while f.tell() < target_mb * 1024 * 1024:
            for _ in range(10_000):
                n = rows % 200
                w.writerow(
                    [
                        f"检刑受[2025]{rows:08d}号",
                        f"某某涉嫌盗窃案{rows}",
                        "刑事",
                        "普通",
                        f"第{n % 10}区人民检察院",
                        f"第{n % 4 + 1}检察部",
                        f"S{n:04d}",
                        1 + rows % 3,
                    ]
                )
                rows += 1
    size = cases.stat().st_size / 1024 / 1024
    status, seconds, peak = run("import_data", "--kind", "cases", "--progress-every", "200000", str(cases))
    print(
        json.dumps(
            {
                "rows": rows,
                "file_mb": round(size, 1),
                "exit": status,
                "seconds": round(seconds, 1),
                "rows_per_second": round(rows / seconds),
                "peak_rss_mb": round(peak),
            }
        )
    )


if __name__ == "__main__":
    main()
