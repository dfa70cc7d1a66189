"""Statistics reads on a PostgreSQL read replica (DESIGN.md "Scale-out"), active when DATABASE_REPLICA_URL is set.

What goes to the replica: every read of the `RatioFact` and `ReviewFact` roll-ups, and, inside
`statistics_reads()` (which `StatisticsReadsMiddleware` opens around GET requests to the statistics
endpoints), the reads of case,
event, review and organisation rows that the engines make. Everything else stays on the primary:
all writes, reads inside a transaction on the primary (a writer must see its own rows, e.g. the roll-up
maintenance in `cases.rollup`), and the rows that decide who may see what (logins, sessions, API tokens,
staff roles), so that a revoked token or role is never honoured because a replica lags.

The replica is a physical streaming replica: it receives the schema by replication, so `migrate` never
runs against it (`allow_migrate` is False there). In tests it mirrors the default database.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
STATISTICS_PATHS = ("/api/v1/stats/",)
# Always read on the replica when one is configured: the roll-up is written only by the maintenance code,
# which runs inside a transaction on the primary and therefore reads there.
REPLICA_MODELS = frozenset({"cases.ratiofact", "cases.reviewfact"})
# Inside statistics_reads(): the engines' raw reads. Access-control rows stay on the primary.
STATISTICS_APPS = frozenset({"cases", "teams"})
PRIMARY_ONLY_MODELS = frozenset({"teams.apitoken", "teams.staffrole"})

_statistics = contextvars.ContextVar("caseqa_statistics_reads", default=False)


@contextlib.contextmanager
def statistics_reads() -> Iterator[None]:
    """Within this block, statistics reads may be served by the replica (no-op without one)."""
    token = _statistics.set(True)
    try:
        yield
    finally:
        _statistics.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class StatisticsReplicaRouter:
    """Sends statistics reads to `replica`, everything else to the primary."""

    def db_for_read(self, model, **hints):
        if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        label = model._meta.label_lower
        if label in REPLICA_MODELS:
            return REPLICA
        if _statistics.get() and model._meta.app_label in STATISTICS_APPS and label not in PRIMARY_ONLY_MODELS:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Primary and replica hold the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


class StatisticsReadsMiddleware:
    """Opens `statistics_reads()` around GET and HEAD requests to the statistics endpoints."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path.startswith(STATISTICS_PATHS):
            with statistics_reads():
                return self.get_response(request)
        return self.get_response(request)
