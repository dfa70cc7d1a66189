"""Statistics reads on a PostgreSQL read replica (DESIGN.md "Scale-out"), active when DATABASE_REPLICA_URL is set.

What goes to the replica: every read of the `RatioFact` and `ReviewFact` roll-ups, and, inside
`statistics_reads()` (which `StatisticsReadsMiddleware` opens around GET requests to the statistics
endpoints), the reads of case,
event, review and organisation rows that the engines make. Everything else stays on the primary:
all writes, reads inside a transaction on the primary (a writer must see its own rows, e.g. the roll-up
maintenance in `cases.rollup`), and the rows that decide who may see what (logins, sessions, API tokens,
staff roles), so that a revoked token or role is never honoured because a replica lags.

Read-your-writes: the standby replays the primary's WAL a little later (docs/scaling.md measures how
much), so a user who has just written must not read there. A request with an unsafe method reads
everything on the primary, and a successful one pins its user to the primary for `REPLICA_PIN_SECONDS`
(`pin_primary`; the import worker pins the uploader when a job ends), so the page or API call that follows
an import or an edit shows the new figures even while the standby is behind. The pin lives in the
shared cache, so every web worker honours it.

The replica is a physical streaming replica: it receives the schema by replication, so `migrate` never
runs against it (`allow_migrate` is False there). In tests it is a MIRROR of the default database: Django
then only renames the replica's database to the test database's name and keeps its host and port, which
against a real standby is the replicated test database itself (tests/test_real_standby.py).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
STATISTICS_PATHS = ("/api/v1/stats/",)
# Always read on the replica when one is configured: the roll-up is written only by the maintenance code,
# which runs inside a transaction on the primary and therefore reads there.
REPLICA_MODELS = frozenset({"cases.ratiofact", "cases.reviewfact"})
# Inside statistics_reads(): the engines' raw reads. Access-control rows stay on the primary.
STATISTICS_APPS = frozenset({"cases", "teams"})
PRIMARY_ONLY_MODELS = frozenset({"teams.apitoken", "teams.staffrole"})
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PIN_KEY = "caseqa:primary-pin:{}"

_statistics = contextvars.ContextVar("caseqa_statistics_reads", default=False)
_reader = contextvars.ContextVar("caseqa_reader", default=None)


class _Reader:
    """The request being served: whether it reads on the primary, and for which user that was decided."""

    __slots__ = ("pinned", "request", "user", "writes")

    def __init__(self, request):
        self.request = request
        self.writes = request.method not in SAFE_METHODS
        self.user = None
        self.pinned = False

    def on_primary(self) -> bool:
        if self.writes:
            return True
        # Session users come from AuthenticationMiddleware; DRF puts a token's user on the same request
        # once it has authenticated, so the answer is decided again when the user object changes.
        user = getattr(self.request, "user", None)
        if user is not None and user is not self.user:
            self.user, self.pinned = user, False  # set first: loading the user reads rows itself
            self.pinned = bool(user.is_authenticated and cache.get(PIN_KEY.format(user.pk)))
        return self.pinned


def pin_primary(user_id) -> None:
    """Send this user's reads to the primary for REPLICA_PIN_SECONDS (they have just written)."""
    if user_id is not None and replica_configured():
        cache.set(PIN_KEY.format(user_id), 1, settings.REPLICA_PIN_SECONDS)


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
        # Not _meta.label_lower: the database cache routes a stand-in _meta that has only these two.
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        statistics = _statistics.get() and model._meta.app_label in STATISTICS_APPS
        if label not in REPLICA_MODELS and not (statistics and label not in PRIMARY_ONLY_MODELS):
            return None
        reader = _reader.get()
        if reader is not None and reader.on_primary():
            return None
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Primary and replica hold the same rows.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


class StatisticsReadsMiddleware:
    """Opens `statistics_reads()` around GET and HEAD requests to the statistics endpoints, keeps a
    writing request and a pinned user on the primary, and pins the user after a successful write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reader = _Reader(request)
        token = _reader.set(reader)
        try:
            if request.method in ("GET", "HEAD") and request.path.startswith(STATISTICS_PATHS):
                with statistics_reads():
                    return self.get_response(request)
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if reader.writes and response.status_code < 400 and user is not None and user.is_authenticated:
                pin_primary(user.pk)
            return response
        finally:
            _reader.reset(token)
