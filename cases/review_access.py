"""What the reviews add to `teams.access`: reviewers read the cases they review; drafts stay private.

`teams.access` imports `reviewed_case_ids` through its hook; `visible_reviews` is where every review
list, page and endpoint starts.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cases.models import QualityReview
from teams import access


def reviewed_case_ids(user) -> list[int]:
    """Ids of the cases `user` reviews or reviewed (any status but withdrawn: withdrawing ends the grant)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    mine = QualityReview.objects.filter(reviewer=user).exclude(status=QualityReview.Status.WITHDRAWN)
    return list(mine.values_list("case_id", flat=True).distinct())


def visible_reviews(user, queryset: QuerySet | None = None) -> QuerySet:
    """Reviews of the cases `user` may read; a draft (or a withdrawn one) only to its reviewer and to
    unit-wide readers (a review lead among them: they assign, and may withdraw, drafts)."""
    queryset = QualityReview.objects.all() if queryset is None else queryset
    grant = access.access_for(user)
    if grant.everything:
        return queryset
    cases = access.visible_cases(user).values("pk")
    draft_ok = Q(reviewer_id=user.pk)
    if grant.read_unit_ids:
        draft_ok |= Q(case__unit_id__in=grant.read_unit_ids)
    private = Q(status__in=[QualityReview.Status.DRAFT, QualityReview.Status.WITHDRAWN])
    return queryset.filter(case__in=cases).filter(~private | draft_ok)
