"""The outcome of an import: every bad row, every warning and the counts per kind."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

# Beyond this many errors the report keeps counting but stops storing (a wholly wrong 2.5M-row file).
MAX_STORED_ISSUES = 100_000

KINDS = ("staff", "teams", "cases", "events")
COUNTED = ("units", "departments", "staff", "teams", "memberships", "cases", "events")


@dataclass(slots=True)
class ImportIssue:
    """One problem (or warning) in one cell: sheet kind, spreadsheet row (header = row 1), column, value, reason."""

    kind: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = _("第%(row)d行") % {"row": self.row}
        cell = f"{self.column}={self.value!r}" if self.column else ""
        return f"[{self.kind}] {where} {cell}：{self.reason}".replace("  ", " ")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportReport:
    """Errors (any → nothing written), warnings (never fail), counts per kind, and whether it was a dry run."""

    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: bool = False
    written: bool = False
    errors_not_listed: int = 0
    warnings_not_listed: int = 0
    # What the reader left out on purpose (title rows, unknown columns, totals, notes): `column` empty.
    skipped: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was refused (warnings do not count)."""
        return not self.errors and not self.errors_not_listed

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_not_listed

    def error(self, kind: str, row: int, column: str, value: object, reason: str) -> None:
        """Record a refused cell."""
        if len(self.errors) < MAX_STORED_ISSUES:
            self.errors.append(ImportIssue(kind, int(row), column, _shown(value), str(reason)))
        else:
            self.errors_not_listed += 1

    def warn(self, kind: str, row: int, column: str, value: object, reason: str) -> None:
        """Record a warning (the import still goes ahead)."""
        if len(self.warnings) < MAX_STORED_ISSUES:
            self.warnings.append(ImportIssue(kind, int(row), column, _shown(value), str(reason)))
        else:
            self.warnings_not_listed += 1

    def skip(self, kind: str, row: int, value: object, reason: str) -> None:
        """Record a row or column the reader left out on purpose (never fails the import)."""
        if len(self.skipped) < MAX_STORED_ISSUES:
            self.skipped.append(ImportIssue(kind, int(row), "", _shown(value), str(reason)))

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        """Add `n` to the created / updated / unchanged count of `kind`."""
        if n:
            per_kind = self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
            per_kind[outcome] = per_kind.get(outcome, 0) + int(n)

    def sort(self) -> None:
        """Errors and warnings in sheet order, then row order."""
        order = {kind: i for i, kind in enumerate(KINDS)}
        key = lambda issue: (order.get(issue.kind, -1), issue.row, issue.column)  # noqa: E731
        self.errors.sort(key=key)
        self.warnings.sort(key=key)
        self.skipped.sort(key=key)

    def summary_lines(self) -> list[str]:
        """One line per kind: created / updated / unchanged — none when a row was refused (nothing is written)."""
        lines = []
        if not self.ok:
            return lines
        for kind in COUNTED:
            if kind in self.counts:
                c = self.counts[kind]
                lines.append(
                    _("%(kind)s：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d")
                    % {"kind": kind, "created": c["created"], "updated": c["updated"], "unchanged": c["unchanged"]}
                )
        return lines

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        """The report back from `as_dict` (a background job stores it as JSON)."""

        def issues(key):
            return [ImportIssue(**issue) for issue in data.get(key, [])]

        return cls(
            errors=issues("errors"),
            warnings=issues("warnings"),
            skipped=issues("skipped"),
            counts=data.get("counts", {}),
            dry_run=data.get("dry_run", False),
            written=data.get("written", False),
            errors_not_listed=data.get("errors_not_listed", 0),
            warnings_not_listed=data.get("warnings_not_listed", 0),
        )

    def as_dict(self) -> dict:
        """A JSON-ready form for the REST API and the upload page."""
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.written,
            "errors": [issue.as_dict() for issue in self.errors],
            "warnings": [issue.as_dict() for issue in self.warnings],
            "errors_not_listed": self.errors_not_listed,
            "warnings_not_listed": self.warnings_not_listed,
            "skipped": [issue.as_dict() for issue in self.skipped],
            # Counts of a refused file would read as "新增 1" beside "nothing written": none then.
            "counts": self.counts if self.ok else {},
        }


def _shown(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"
