"""Builders shared by the review, sampling and assessment tests: logins with their posts, closed cases, reviews."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from cases import review_workflow as wf
from cases.models import Case, QualityReview
from teams.models import StaffRole
from tests.factories import Office, make_case, make_office

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """An aware moment on `day` in the office's time zone."""
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@dataclass
class ReviewOffice:
    """The test office with logins: each prosecutor's own, two reviewers and a review lead."""

    office: Office
    reviewer: object
    reviewer2: object
    lead: object
    outsider: object

    @property
    def prosecutors(self):
        return self.office.prosecutors


def make_review_office() -> ReviewOffice:
    office = make_office()
    User = get_user_model()
    for p in office.prosecutors:
        p.user = User.objects.create_user(username=f"u-{p.staff_code}")
        p.save()
    reviewer = User.objects.create_user(username="reviewer-a")
    reviewer2 = User.objects.create_user(username="reviewer-b")
    lead = User.objects.create_user(username="lead")
    outsider = User.objects.create_user(username="outsider")
    for user in (reviewer, reviewer2):
        StaffRole.objects.create(user=user, unit=office.unit, kind=StaffRole.Kind.REVIEWER)
    StaffRole.objects.create(user=lead, unit=office.unit, kind=StaffRole.Kind.REVIEW_LEAD)
    return ReviewOffice(office, reviewer, reviewer2, lead, outsider)


def closed_case(prosecutor, closed_on: datetime.date, extra_events=(), **fields) -> Case:
    """A case received for 审查起诉 a month before it closed, with optional further events."""
    received = closed_on - datetime.timedelta(days=30)
    return make_case(prosecutor, [("prosecution_review", received), *extra_events], closed_on=closed_on, **fields)


def final_review(
    case: Case, reviewer, findings=(), *, on: datetime.date, merit=False, wrongful=False, review_type="routine"
) -> QualityReview:
    """A review created, submitted and accepted by the case's prosecutor on `on` (so it counts)."""
    review = wf.create_review(
        case,
        reviewer,
        findings=findings,
        reviewed_on=on,
        proposes_merit=merit,
        wrongful=wrongful,
        review_type=review_type,
        now=at(on),
    )
    wf.submit(review, reviewer, now=at(on, 11))
    return wf.accept(review, case.prosecutor.user, now=at(on, 15))
