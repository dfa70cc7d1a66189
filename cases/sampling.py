"""Monthly sampling of closed cases for quality review (DOMAIN.md §7, 常规 and 重点 reviews).

Per prosecutor, `percentage` of the cases they closed in the month are drawn at random (rounded up,
so everyone with a closed case is sampled at least once) from those not yet reviewed and not key
cases of the month; ordinary cases already reviewed count towards that quota, so drawing a month
again after its reviews were opened draws nothing more. On top comes the month's key-case list
(DOMAIN §7, issue 13 D2): every closed case with a key step dated in the month — whatever month it
closed in — unless reviewed on or after that step. Key steps are the events of `KEY_EVENT_CODES`
and the recorded outcomes of `cases.outcomes.KEY_OUTCOMES` (无罪判决, 改判), never event codes alone.
The draw depends only on the seed, the month and the data, never on row order or the database.
Each case gets a reviewer of its unit who is not its prosecutor, round-robin in username order; a
unit without reviewers of its own is served by the nearest unit above it that has some.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from cases.codes import (
    JUDICIAL_SUPERVISION,
    NON_PROSECUTION,
    NON_PROSECUTION_COMPLAINT,
    PROSECUTION_WITHDRAWAL,
    RETRIAL,
    STATE_COMPENSATION,
)
from cases.models import Case, ProceduralEvent, QualityReview
from cases.outcomes import KEY_OUTCOMES
from teams.models import StaffRole, Unit

# Cases that are always reviewed (重点评查): decisions not to prosecute or withdrawals, and cases
# that came back after closure through a complaint, a retrial, trial supervision or compensation.
KEY_EVENT_CODES = (
    NON_PROSECUTION,
    PROSECUTION_WITHDRAWAL,
    NON_PROSECUTION_COMPLAINT,
    RETRIAL,
    JUDICIAL_SUPERVISION,
    STATE_COMPENSATION,
)
RANDOM, KEY = "random", "key"


class SamplingError(ValueError):
    """Bad sampling parameters; `field` names the parameter."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass
class SampledCase:
    """One drawn case, why it was drawn (random / key) and its assigned reviewer (None if nobody fits)."""

    case: Case
    reason: str
    reviewer: object | None


@dataclass
class SampleResult:
    """The month's sample: drawn cases in a stable order, and the per-prosecutor quotas used."""

    month: datetime.date
    percentage: float
    seed: int | str
    cases: list[SampledCase] = field(default_factory=list)
    quotas: dict[str, int] = field(default_factory=dict)

    @property
    def unassigned(self) -> list[SampledCase]:
        return [s for s in self.cases if s.reviewer is None]


def parse_month(month: datetime.date | str) -> datetime.date:
    """The first day of a month given as a date or 'YYYY-MM'."""
    if isinstance(month, datetime.date):
        return month.replace(day=1)
    try:
        year, mon = (int(p) for p in str(month).split("-")[:2])
        return datetime.date(year, mon, 1)
    except (TypeError, ValueError):
        raise SamplingError("month", _("月份格式应为 YYYY-MM：%(v)s") % {"v": month}) from None


def _month_end(first: datetime.date) -> datetime.date:
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def key_steps() -> Q:
    """The events that are key steps (重点评查): by code, or by a key outcome recorded on them."""
    q = Q(event_type__code__in=KEY_EVENT_CODES)
    for code, outcomes in KEY_OUTCOMES.items():
        q |= Q(event_type__code=code, outcomes__has_any_keys=list(outcomes))
    return q


def sample_cases(
    month: datetime.date | str, percentage: float, seed: int | str, unit: Unit | str | None = None
) -> SampleResult:
    """Draw the month's review sample (see module docstring); reproducible from `seed`."""
    first = parse_month(month)
    try:
        percentage = float(percentage)
    except (TypeError, ValueError):
        raise SamplingError("percentage", _("抽查比例须为数字")) from None
    if not 0 <= percentage <= 100:
        raise SamplingError("percentage", _("抽查比例须在 0 到 100 之间"))
    last = _month_end(first)
    closed = Case.objects.filter(closed_on__gte=first, closed_on__lte=last)
    if unit is not None:
        if isinstance(unit, str):
            unit = Unit.objects.filter(code=unit).first() or Unit.objects.filter(name=unit).first()
            if unit is None:
                raise SamplingError("unit", _("未知的单位"))
        closed = closed.filter(unit_id__in=unit.subtree_ids())

    in_month = ProceduralEvent.objects.filter(key_steps(), case=OuterRef("pk"), date__gte=first, date__lte=last)
    closed = closed.annotate(
        # A withdrawn draft reviewed nothing: its case may be drawn again.
        reviewed=Exists(
            QualityReview.objects.filter(case=OuterRef("pk")).exclude(status=QualityReview.Status.WITHDRAWN)
        ),
        key=Exists(in_month),
    )
    totals = dict(closed.values_list("prosecutor_id").annotate(n=Count("pk")).order_by())
    # Ordinary cases already reviewed count towards the quota, so drawing the month again adds nothing.
    done = dict(closed.filter(reviewed=True, key=False).values_list("prosecutor_id").annotate(n=Count("pk")).order_by())
    candidates = closed.filter(reviewed=False).select_related("prosecutor").order_by("case_no")
    by_prosecutor: dict[int, list[Case]] = {}
    for case in candidates:
        by_prosecutor.setdefault(case.prosecutor_id, []).append(case)

    result = SampleResult(first, percentage, seed)
    drawn: list[tuple[Case, str]] = [(c, KEY) for c in _key_cases(first, last, unit)]
    for cases in sorted(by_prosecutor.values(), key=lambda cs: cs[0].prosecutor.staff_code):
        prosecutor = cases[0].prosecutor
        quota = math.ceil(percentage * totals.get(prosecutor.pk, 0) / 100 - 1e-9) - done.get(prosecutor.pk, 0)
        result.quotas[prosecutor.staff_code] = quota = max(quota, 0)
        pool = [c for c in cases if not c.key]
        rng = random.Random(f"{seed}|{first:%Y-%m}|{prosecutor.staff_code}")
        drawn += [(c, RANDOM) for c in rng.sample(pool, min(quota, len(pool)))]
    drawn.sort(key=lambda pair: pair[0].case_no)
    result.cases = _assign_reviewers(drawn)
    return result


def _key_cases(first: datetime.date, last: datetime.date, unit: Unit | None) -> list[Case]:
    """The month's key-case list: closed cases with a key step dated in the month, not reviewed since it."""
    steps = ProceduralEvent.objects.filter(key_steps(), case=OuterRef("pk"), date__gte=first, date__lte=last)
    first_step = steps.order_by().values("case").annotate(on=Min("date")).values("on")
    cases = Case.objects.filter(closed_on__isnull=False).annotate(key_on=Subquery(first_step))
    cases = cases.filter(key_on__isnull=False)
    if unit is not None:
        cases = cases.filter(unit_id__in=unit.subtree_ids())
    reviewed_since = QualityReview.objects.filter(case=OuterRef("pk"), reviewed_on__gte=OuterRef("key_on"))
    return list(cases.exclude(Exists(reviewed_since)).select_related("prosecutor").order_by("case_no"))


def _reviewer_pools(unit_ids: set[int]) -> dict[int, list]:
    """Each unit's reviewers: those posted on it, else on the nearest unit above it (上级院评查)."""
    parent = dict(Unit.objects.values_list("pk", "parent_id"))
    chains = {}
    for unit_id in unit_ids:
        chain, current = [], unit_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parent.get(current)
        chains[unit_id] = chain
    posted: dict[int, list] = {}
    roles = StaffRole.objects.filter(
        kind=StaffRole.Kind.REVIEWER, unit_id__in={u for chain in chains.values() for u in chain}
    ).select_related("user")
    for role in roles:
        posted.setdefault(role.unit_id, []).append(role.user)
    pools = {}
    for unit_id, chain in chains.items():
        pool = next((posted[u] for u in chain if u in posted), [])
        pools[unit_id] = sorted(pool, key=lambda u: u.get_username())
    return pools


def _assign_reviewers(drawn: list[tuple[Case, str]]) -> list[SampledCase]:
    """Round-robin over each unit's reviewers (username order), skipping the case's own prosecutor."""
    pools = _reviewer_pools({case.unit_id for case, _reason in drawn})
    turn = dict.fromkeys(pools, 0)
    out = []
    for case, reason in drawn:
        pool, reviewer = pools.get(case.unit_id, []), None
        for step in range(len(pool)):
            candidate = pool[(turn[case.unit_id] + step) % len(pool)]
            if candidate.pk != case.prosecutor.user_id:
                reviewer = candidate
                turn[case.unit_id] = (turn[case.unit_id] + step + 1) % len(pool)
                break
        out.append(SampledCase(case, reason, reviewer))
    return out


def create_sampled_reviews(result: SampleResult, actor, *, reviewed_on: datetime.date | None = None) -> list:
    """Open a draft review for each assigned case of a sample (重点 for key cases, else 常规); all or none."""
    from django.db import transaction

    from cases.review_workflow import create_review

    reviews = []
    with transaction.atomic():
        for sampled in result.cases:
            if sampled.reviewer is None:
                continue
            review_type = QualityReview.Type.KEY if sampled.reason == KEY else QualityReview.Type.ROUTINE
            reviews.append(
                create_review(
                    sampled.case, sampled.reviewer, actor=actor, review_type=review_type, reviewed_on=reviewed_on
                )
            )
    return reviews
