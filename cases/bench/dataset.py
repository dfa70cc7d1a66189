"""The benchmark data set: the demo generator's office at a scale, final quality reviews, a client login.

Everything is deterministic for a scale and seed: the generator is seeded, `today` is pinned, and the
reviews are drawn from a seeded generator over the closed cases in id order.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.db.models import Count

from cases import review_facts, services
from cases.demo import generate, resolve
from cases.models import Case, Finding, ProceduralEvent, QualityReview, RatioFact, ReviewFact, ReviewItem
from cases.review_rules import Deduction, grade_scale_for, review_grade, review_score
from teams.api.tokens import issue_token
from teams.models import Prosecutor, Team, Unit

# The data set's "today": fixed so that every run of a scale is the same data (unless the clock is earlier).
BENCH_TODAY = datetime.date(2026, 10, 31)
BENCH_USER = "bench"
# One quality review for every five cases (DESIGN.md: 200,000 reviews for 1,000,000 cases).
REVIEWS_PER_CASE = 0.2
# Share of reviews with findings, and the chance of each further finding.
FINDING_SHARE = 0.35


@dataclass
class Window:
    """The benchmark's year: the twelve whole months before the data set's "today" month."""

    date_from: datetime.date
    date_to: datetime.date


@dataclass
class DataSet:
    """What the benchmark runs against: sizes, the team and window it asks about, and the client's keys."""

    scale: str
    today: datetime.date
    window: Window
    team_id: int
    team_code: str
    small_team_code: str
    token: str
    session_key: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def bench_today() -> datetime.date:
    return min(BENCH_TODAY, services.today())


def year_window(today: datetime.date) -> Window:
    """The twelve whole calendar months that end before `today`'s month."""
    last = today.replace(day=1) - datetime.timedelta(days=1)
    first = datetime.date(last.year - 1, last.month, 1) + datetime.timedelta(days=32)
    return Window(first.replace(day=1), last)


def prepare(scale: str | int, seed: int = 2026, *, reuse: bool = False, log=print) -> DataSet:
    """Generate (or, with `reuse`, take as it is) the data set, add reviews and the benchmark login."""
    today = bench_today()
    seconds: dict[str, float] = {}
    if Case.objects.exists():
        if not reuse:
            raise RuntimeError(
                "the database already holds cases: benchmark into an empty database, "
                "or pass --reuse to measure it as is"
            )
        log("reusing the data set already in the database")
    else:
        params = resolve(scale)
        log(f"generating {params.cases:,} cases ({params.units} units, {params.prosecutors} prosecutors)…")
        start = time.perf_counter()
        summary = generate(params, seed=seed, today=today, progress=_progress(log))
        seconds["generate"] = round(time.perf_counter() - start, 2)
        log(str(summary))
    if not QualityReview.objects.exists():
        start = time.perf_counter()
        made = make_reviews(seed, today)
        seconds["reviews"] = round(time.perf_counter() - start, 2)
        log(f"{made:,} final quality reviews")
    if QualityReview.objects.exists() and not ReviewFact.objects.exists():
        # Bulk-created reviews (above, or a data set made before the count table) bypass the workflow's hook.
        start = time.perf_counter()
        review_facts.rebuild()
        seconds["review_rollup"] = round(time.perf_counter() - start, 2)
    if seconds and connection.vendor == "postgresql":
        # After a bulk load the planner has no statistics until autovacuum comes by; production has them.
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seconds["analyze"] = round(time.perf_counter() - start, 2)
    teams = list(Team.objects.annotate(n=Count("cases")).filter(n__gt=0).order_by("-n", "team_code"))
    if not teams:
        raise RuntimeError("the data set has no team with cases")
    token, session_key = client_keys()
    return DataSet(
        scale=str(scale),
        today=today,
        window=year_window(today),
        team_id=teams[0].pk,
        team_code=teams[0].team_code,
        small_team_code=teams[-1].team_code,
        token=token,
        session_key=session_key,
        counts=counts(),
        seconds=seconds,
    )


def _progress(log):
    marks = set()

    def report(done: int, total: int) -> None:
        tenth = 10 * done // max(total, 1)
        if tenth not in marks:
            marks.add(tenth)
            log(f"  {done:,} / {total:,} cases")

    return report


def counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "prosecutors": Prosecutor.objects.count(),
        "teams": Team.objects.count(),
        "cases": Case.objects.count(),
        "events": ProceduralEvent.objects.count(),
        "reviews": QualityReview.objects.count(),
        **{
            f"rollup_{row['level']}": row["n"]
            for row in RatioFact.objects.values("level").annotate(n=Count("pk")).order_by("level")
        },
    }


def client_keys() -> tuple[str, str]:
    """(API token, session key) of the benchmark's superuser, created once."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=BENCH_USER, defaults={"is_superuser": True, "is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save()
    _token, key = issue_token(user, "benchmark")
    # A session made directly, so that no password hash (Argon2) is computed per run.
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return key, session.session_key


def make_reviews(seed: int, today: datetime.date, batch: int = 5_000) -> int:
    """Final reviews of a seeded sample of closed cases, with findings, score and grade by the product's rules."""
    rng = random.Random(seed + 1)
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    items = list(ReviewItem.objects.order_by("code"))
    if not items:
        return 0
    closed = Case.objects.filter(closed_on__isnull=False).order_by("pk").values_list("pk", "closed_on")
    made = 0
    pending: list[tuple[QualityReview, list[Finding]]] = []
    scales: dict = {}
    with transaction.atomic():
        for case_id, closed_on in closed.iterator(chunk_size=batch):
            if rng.random() >= REVIEWS_PER_CASE / 0.8:  # about 80 % of generated cases are closed
                continue
            reviewed_on = min(today, closed_on + datetime.timedelta(days=rng.randint(10, 60)))
            final_on = min(today, reviewed_on + datetime.timedelta(days=rng.randint(1, 7)))
            findings = []
            if rng.random() < FINDING_SHARE:
                for item in rng.sample(items, k=rng.choice((1, 1, 1, 2, 3))):
                    count = rng.choice((1, 1, 2))
                    finding = Finding(item=item, count=count, points=item.points, nature=item.nature)
                    finding.dimension = item.dimension
                    findings.append(finding)
            deductions = [Deduction(f.nature, Decimal(f.points), f.count) for f in findings]
            merit = not findings and rng.random() < 0.15
            grade = review_grade(deductions, merit)
            review = QualityReview(
                case_id=case_id,
                reviewer=reviewer,
                reviewed_on=reviewed_on,
                status=QualityReview.Status.FINAL,
                proposes_merit=merit,
                grade_scale=scales.get(reviewed_on) or scales.setdefault(reviewed_on, grade_scale_for(reviewed_on)),
                score=review_score(deductions),
                computed_grade=grade,
                final_grade=grade,
                finality=QualityReview.Finality.ACCEPTED,
                final_on=final_on,
            )
            pending.append((review, findings))
            if len(pending) >= batch:
                made += _flush(pending)
        made += _flush(pending)
    return made


def _flush(pending: list) -> int:
    reviews = QualityReview.objects.bulk_create([r for r, _f in pending], batch_size=2_000)
    findings = []
    for review, found in zip(reviews, (f for _r, f in pending), strict=True):
        for finding in found:
            finding.review = review
            findings.append(finding)
    Finding.objects.bulk_create(findings, batch_size=5_000)
    count = len(pending)
    pending.clear()
    return count
