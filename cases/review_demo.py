"""Demo quality reviews: the monthly sample of the last months, reviewed through the real workflow.

Used by `manage.py seed_demo_reviews` after `seed_demo`, so the demo's review pages, statistics and
assessment have something to show. Deterministic from the seed; running it again adds nothing for
months already sampled (the sampling quota counts reviews already made).
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from cases import review_workflow as wf
from cases.models import Nature, QualityReview, ReviewItem
from cases.sampling import sample_cases
from teams.models import StaffRole

OBJECTIONS = ["证据已在卷，评查认定有误", "文书问题已在送达前更正", "程序性告知已当庭口头完成"]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _months_back(today: datetime.date, months: int) -> list[datetime.date]:
    """The current month (its reviews are still waiting for the prosecutor) and `months` before it."""
    first = today.replace(day=1)
    out = [first]
    for _n in range(months):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def seed_demo_reviews(
    *, seed: int = 1, months: int = 6, percentage: float = 10, today: datetime.date | None = None
) -> dict[str, int]:
    """Sample this month and the `months` before it, take each drawn case through the workflow; counts by status."""
    today = today or timezone.localdate()
    lead = StaffRole.objects.filter(kind=StaffRole.Kind.REVIEW_LEAD).select_related("user").order_by("pk").first()
    if lead is None:
        raise ValueError("no review lead (评查组长) login: run seed_demo first")
    lead = lead.user
    items = list(ReviewItem.objects.in_force_on(today).order_by("code"))
    errors = [i for i in items if i.nature == Nature.ERROR]
    flaws = [i for i in items if i.nature == Nature.FLAW]
    for month in _months_back(today, months):
        for sampled in sample_cases(month, percentage, seed).cases:
            if sampled.reviewer is None or sampled.reviewer.pk == lead.pk:
                continue
            _review_one(sampled, lead, random.Random(f"{seed}|{sampled.case.case_no}"), errors, flaws, today)
    counts = {}
    for status in QualityReview.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def _review_one(sampled, lead, rng: random.Random, errors, flaws, today) -> None:
    case = sampled.case
    reviewed_on = min(today, case.closed_on + datetime.timedelta(days=rng.randint(5, 25)))
    findings = []
    if rng.random() < 0.55:
        for _n in range(rng.choice([1, 1, 2, 3])):
            item = rng.choice(errors) if errors and rng.random() < 0.12 else rng.choice(flaws)
            findings.append((item.code, rng.choice([1, 1, 1, 2]), ""))
    has_error = any(code in {e.code for e in errors} for code, _c, _n in findings)
    review = wf.create_review(
        case,
        sampled.reviewer,
        actor=lead,
        review_type=QualityReview.Type.KEY if sampled.reason == "key" else QualityReview.Type.ROUTINE,
        reviewed_on=reviewed_on,
        findings=findings,
        proposes_merit=not findings and rng.random() < 0.3,
        wrongful=has_error and rng.random() < 0.15,
        method="调阅电子卷宗，核对法律文书与诉讼环节记录",
        now=_at(reviewed_on, 9),
    )
    wf.submit(review, sampled.reviewer, now=_at(reviewed_on, 16))
    owner = case.prosecutor.user
    answer_on = reviewed_on + datetime.timedelta(days=rng.randint(1, 4))
    if owner is not None and answer_on <= today:
        if findings and rng.random() < 0.3:
            wf.object_to(review, owner, rng.choice(OBJECTIONS), now=_at(answer_on, 10))
            resolve_on = answer_on + datetime.timedelta(days=2)
            if resolve_on <= today:
                if rng.random() < 0.6:
                    wf.resolve(review, lead, "upheld", "经复核，评查意见成立", now=_at(resolve_on, 11))
                else:
                    wf.resolve(review, lead, "amended", "采纳异议意见", findings=[], now=_at(resolve_on, 11))
        else:
            wf.accept(review, owner, now=_at(answer_on, 10))
    else:
        wf.apply_lapse(review, now=_at(today, 23))
