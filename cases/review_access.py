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


def lead_units(user) -> QuerySet:
    """Units whose monthly sample `user` may draw and assign (交叉评查 too): those where they hold a
    review-lead post and the units below them; every unit for a superuser; none for anyone else."""
    from teams.models import StaffRole, Unit

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    posted = StaffRole.objects.filter(user=user, kind=StaffRole.Kind.REVIEW_LEAD).values_list("unit_id", flat=True)
    return Unit.objects.filter(pk__in=access.subtree_ids(set(posted)))
