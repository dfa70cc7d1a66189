"""Run a Python script (or `-c` code) and write its own peak resident memory to a file when it exits.

    python -m cases.bench.hwm OUT_FILE manage.py import_data …
    python -m cases.bench.hwm OUT_FILE -c "code"

Why not `wait4`'s `ru_maxrss`: Linux carries the parent's peak across fork and exec into the child's
`ru_maxrss`, so a child started by a large process (the benchmark, a pytest worker) reports at least
its parent's size. `VmHWM` in /proc/self/status belongs to the address space created by exec, so it is
the program's own peak. Written from an `atexit` hook, so a `SystemExit` from a command still reports.
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def own_peak_kb() -> int:
    """This process's peak resident set in kilobytes (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def read_peak_mb(path: Path) -> float | None:
    """The peak a child wrote through this module, in MB; None when it died before writing it."""
    try:
        return int(path.read_text()) / 1024
    except (OSError, ValueError):
        return None


def main() -> None:
    out, script, *args = sys.argv[1:]
    atexit.register(lambda: Path(out).write_text(str(own_peak_kb())))
    if script == "-c":
        sys.argv = ["-c", *args[1:]]
        exec(compile(args[0], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = [script, *args]
        sys.path[0] = str(Path(script).resolve().parent)
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
