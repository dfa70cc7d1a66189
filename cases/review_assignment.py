"""Drawing a month's sample on the sampling page and assigning its cases to reviewers (issue 15).

The draw is `cases.sampling.sample_cases` (the function `manage.py sample_reviews` runs), stored once
per month and unit (`ReviewSample`) so re-opening the month shows the same cases whatever has been
reviewed since. An assignment is what the workflow already calls one: a draft review opened by the
review lead for the reviewer (`review_workflow.create_review` with `actor=lead`); a reviewer of
another unit gets a 交叉评查, one of the case's unit (or above) a 重点 or 常规 review by the draw's reason.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases import review_workflow as wf
from cases.models import QualityReview, ReviewSample, ReviewSampleCase
from cases.review_access import lead_units
from cases.sampling import KEY, sample_cases
from teams.models import StaffRole, Unit


def stored_sample(user, month: datetime.date, unit: Unit) -> ReviewSample | None:
    """The stored draw of `month` for `unit`, if `user` leads that unit and it was drawn."""
    if not lead_units(user).filter(pk=unit.pk).exists():
        return None
    return ReviewSample.objects.filter(month=month, unit=unit).first()


def draw_sample(lead, unit: Unit, month: datetime.date, percentage, seed: str) -> ReviewSample:
    """Draw and store the month's sample of `unit` (a unit `lead` leads); an earlier draw stands.

    Raises `SamplingError` for bad parameters and `ReviewNotAllowed` for a unit the lead does not lead.
    """
    if not lead_units(lead).filter(pk=unit.pk).exists():
        raise wf.ReviewNotAllowed(_("只有该单位的评查组长可以抽取评查案件"))
    existing = ReviewSample.objects.filter(month=month, unit=unit).first()
    if existing is not None:
        return existing
    result = sample_cases(month, percentage, seed, unit)
    try:
        with transaction.atomic():
            sample = ReviewSample.objects.create(
                month=result.month, unit=unit, percentage=Decimal(str(result.percentage)), seed=str(seed), drawn_by=lead
            )
            ReviewSampleCase.objects.bulk_create(
                ReviewSampleCase(sample=sample, case=s.case, reason=s.reason, proposed_reviewer=s.reviewer, position=n)
                for n, s in enumerate(result.cases)
            )
    except IntegrityError:  # drawn by someone else meanwhile: theirs stands
        return ReviewSample.objects.get(month=result.month, unit=unit)
    return sample


def _chain(unit_id: int, parent: dict[int, int | None]) -> list[int]:
    ids, current = [], unit_id
    while current is not None and current not in ids:
        ids.append(current)
        current = parent.get(current)
    return ids


def reviewer_choices_for(entries) -> dict[int, list[tuple[object, str]]]:
    """Whom a lead may assign each entry's case to (by entry id), with the review type it gets: the
    reviewers of the case's unit or a unit above it (重点 / 常规 by the draw's reason), then those of
    other units (交叉评查); never the case's own prosecutor. Usernames in order within each group.
    A few queries for the whole sample, whatever its size."""
    entries = list(entries)
    parent = dict(Unit.objects.values_list("pk", "parent_id"))
    posts: dict[int, set[int]] = {}
    for user_id, unit_id in StaffRole.objects.filter(kind=StaffRole.Kind.REVIEWER).values_list("user_id", "unit_id"):
        posts.setdefault(user_id, set()).add(unit_id)
    users = list(get_user_model().objects.filter(pk__in=posts, is_active=True).order_by("username"))
    out = {}
    for entry in entries:
        case = entry.case
        chain = set(_chain(case.unit_id, parent))
        own_type = QualityReview.Type.KEY if entry.reason == KEY else QualityReview.Type.ROUTINE
        allowed = [u for u in users if u.pk != case.prosecutor.user_id]
        own = [(u, own_type) for u in allowed if posts[u.pk] & chain]
        out[entry.pk] = own + [(u, QualityReview.Type.CROSS) for u in allowed if not posts[u.pk] & chain]
    return out


def reviewer_choices(entry: ReviewSampleCase) -> list[tuple[object, str]]:
    """`reviewer_choices_for` of one entry."""
    return reviewer_choices_for([entry])[entry.pk]


def assign(entry: ReviewSampleCase, reviewer_id: int, lead) -> QualityReview:
    """Open the draft review of the entry's case for the chosen reviewer (the lead as its creator).

    Refuses (`ReviewWorkflowError`) a case already assigned (unless that review was withdrawn), a
    reviewer not among `reviewer_choices`, and whatever the workflow refuses; changes nothing then.
    """
    with transaction.atomic():
        entry = (
            ReviewSampleCase.objects.select_for_update().select_related("case__prosecutor", "sample").get(pk=entry.pk)
        )
        if not lead_units(lead).filter(pk=entry.sample.unit_id).exists():
            raise wf.ReviewNotAllowed(_("只有该单位的评查组长可以分配评查任务"))
        current = entry.review_id and QualityReview.objects.filter(pk=entry.review_id).first()
        if current and current.status != QualityReview.Status.WITHDRAWN:
            raise wf.ReviewWorkflowError(_("该案件已分配评查员"), field="reviewer", code="assigned")
        review_type = dict((u.pk, t) for u, t in reviewer_choices(entry)).get(reviewer_id)
        if review_type is None:
            raise wf.ReviewNotAllowed(_("所选人员不能评查该案件"))
        reviewer = get_user_model().objects.get(pk=reviewer_id)
        review = wf.create_review(entry.case, reviewer, actor=lead, review_type=review_type)
        entry.review = review
        entry.save(update_fields=["review"])
    return review
