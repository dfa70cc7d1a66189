"""One log line and the metrics for each import, whichever path ran it (command, page, API, task)."""

from __future__ import annotations

import contextlib
import logging
import time

log = logging.getLogger("caseqa.imports")


def _user_name(user) -> str:
    return getattr(user, "get_username", lambda: "")() or "-"


@contextlib.contextmanager
def observed_import(kind: str | None, user, dry_run: bool):
    """Times the import in the block; call the yielded function with its report before leaving."""
    from ops.metrics import IMPORT_ROWS, IMPORT_SECONDS

    started = time.perf_counter()
    outcome = {"report": None}
    try:
        yield lambda report: outcome.__setitem__("report", report)
    except Exception:
        seconds = time.perf_counter() - started
        IMPORT_SECONDS.labels(kind or "workbook", "failed").observe(seconds)
        log.error(
            "import kind=%s user=%s outcome=failed duration_ms=%d",
            kind or "workbook",
            _user_name(user),
            seconds * 1000,
            extra={
                "event": "import",
                "user": _user_name(user),
                "outcome": "failed",
                "duration_ms": round(seconds * 1000),
            },
        )
        raise
    seconds = time.perf_counter() - started
    report = outcome["report"]
    if report is None:
        return
    if dry_run or report.dry_run:
        result = "checked" if report.ok else "refused"
    else:
        result = "written" if report.ok and report.written else ("refused" if not report.ok else "unchanged")
    rows = {k: sum(v.values()) for k, v in report.counts.items()} if result == "written" else {}
    for counted, n in rows.items():
        IMPORT_ROWS.labels(counted).inc(n)
    IMPORT_SECONDS.labels(kind or "workbook", result).observe(seconds)
    log.info(
        "import kind=%s user=%s outcome=%s rows=%d errors=%d duration_ms=%d",
        kind or "workbook",
        _user_name(user),
        result,
        sum(rows.values()),
        report.error_count,
        seconds * 1000,
        extra={
            "event": "import",
            "user": _user_name(user),
            "outcome": result,
            "kind": kind or "workbook",
            # Rows per kind of record (a staff file may also create its units and departments).
            "rows": sum(rows.values()),
            "counts": rows,
            "errors": report.error_count,
            "duration_ms": round(seconds * 1000),
        },
    )
