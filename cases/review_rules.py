"""Score and grade rules of a quality review (DOMAIN.md §7), as small pure functions.

Everything here works on plain values so that the form, the API, the workflow and the tests
share one implementation of each rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from cases.models import Grade, GradeScale, Nature

FULL_SCORE = Decimal("100")
PASS_MARK = Decimal("60")


@dataclass(frozen=True)
class Deduction:
    """What a finding weighs in the rules: its nature, points per occurrence and count."""

    nature: str
    points: Decimal
    count: int = 1


def review_score(deductions: Iterable[Deduction]) -> Decimal:
    """Score = max(0, 100 − Σ points × count) (DOMAIN §7), exact to the cent."""
    total = sum((Decimal(d.points) * d.count for d in deductions), Decimal("0"))
    return max(Decimal("0"), FULL_SCORE - total).quantize(Decimal("0.01"))


def review_grade(deductions: Iterable[Deduction], proposes_merit: bool = False) -> str:
    """The grade code by DOMAIN §7.

    Any error finding or a score below 60 → 不合格; else any flaw finding → 瑕疵 (基本合格 on the
    2026 scale); else 合格, raised to 优质 only when the reviewer proposes merit and nothing was found.
    """
    deductions = list(deductions)
    if any(d.nature == Nature.ERROR for d in deductions) or review_score(deductions) < PASS_MARK:
        return Grade.UNQUALIFIED
    if deductions:
        return Grade.FLAWED
    return Grade.EXCELLENT if proposes_merit else Grade.QUALIFIED


class NoGradeScale(LookupError):
    """No grade scale is configured at all (the seed migration provides two)."""


def grade_scale_for(day: datetime.date) -> GradeScale:
    """The grade scale in force on `day` (the review's date).

    Outside every configured range the nearest earlier scale applies, or the earliest one for
    dates before any scale, so that a gap in the office's data never blocks a review.
    """
    scale = GradeScale.objects.in_force_on(day).order_by("-effective_from").first()
    if scale is None:
        scale = (
            GradeScale.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
            or GradeScale.objects.order_by("effective_from").first()
        )
    if scale is None:
        raise NoGradeScale("no grade scale (评定等级标准) is configured")
    return scale
