"""Demo reviews go through the real workflow, are deterministic and are not added twice."""

import pytest

from cases.models import QualityReview, ReviewTransition
from cases.review_demo import seed_demo_reviews
from cases.review_stats import review_stats_for
from tests.reviews_kit import D, closed_case, make_review_office


@pytest.fixture
def ro(db):
    ro = make_review_office()
    for n, p in enumerate(ro.prosecutors * 2):
        closed_case(p, D(2025, 6 + n % 3, 3 + n), case_no=f"DEMO-{n}")
    return ro


def test_demo_reviews_follow_the_workflow_once(ro):
    counts = seed_demo_reviews(seed=3, months=2, percentage=50, today=D(2025, 8, 20))
    # June, July and August: each month one prosecutor closed two cases, ceil(50% of 2) = 1 review a month
    assert sum(counts.values()) == QualityReview.objects.count() == 3
    assert set(counts) <= {"final", "submitted", "objected"}
    for review in QualityReview.objects.all():
        assert review.reviewer != review.case.prosecutor.user
        assert ReviewTransition.objects.filter(review=review, action="create").exists()
    finals = QualityReview.objects.filter(status="final").count()
    assert review_stats_for(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31)).total.reviews == finals
    assert seed_demo_reviews(seed=3, months=2, percentage=50, today=D(2025, 8, 20)) == counts
