"""Reminders that reach people: what each user should act on today (每日提醒).

One `Digest` per user gathers their open cases near or past a statutory deadline (a prosecutor's own
cases; a clerk's whole write scope), reviews of their cases that became final since the last digest,
reviews waiting for their acceptance or objection, and — for review leads — objections waiting for a
decision. The same digest is rendered on the notices page and sent as the daily e-mail by
`manage.py send_reminders` (run daily by cron or a systemd timer; see docs/reminders.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from cases import deadlines
from cases.models import Case, QualityReview
from teams.models import NotificationPreference, StaffRole

# A first digest (no earlier one) reports the results of the last week, not every result ever.
FIRST_DIGEST_LOOKBACK = datetime.timedelta(days=7)


@dataclass
class Digest:
    """What one user should look at: deadlines, new review results, reviews and objections waiting."""

    user: object
    deadlines: list[deadlines.Deadline] = field(default_factory=list)
    new_results: list[QualityReview] = field(default_factory=list)
    awaiting_me: list[QualityReview] = field(default_factory=list)
    objections: list[QualityReview] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.deadlines) + len(self.new_results) + len(self.awaiting_me) + len(self.objections)

    @property
    def overdue(self) -> int:
        return sum(1 for d in self.deadlines if d.status == "overdue")


def _role_unit_ids(user, kind: str) -> list[int]:
    return list(StaffRole.objects.filter(user=user, kind=kind).values_list("unit_id", flat=True))


def digest_for(user, today: datetime.date, since: datetime.date | None = None) -> Digest:
    """The digest of `user` on `today`; review results count from `since` (default: a week back)."""
    since = since or today - FIRST_DIGEST_LOOKBACK
    digest = Digest(user)
    own = Case.objects.filter(prosecutor__user=user)
    watched = own
    if _role_unit_ids(user, StaffRole.Kind.CASE_MANAGEMENT):
        watched = Case.objects.visible_to(user)  # a clerk follows every case they keep, not only their own
    digest.deadlines = deadlines.at_risk(watched, today=today)
    reviews = QualityReview.objects.select_related("case")
    digest.new_results = list(
        reviews.filter(case__in=own, status=QualityReview.Status.FINAL, final_on__gte=since).order_by("-final_on")
    )
    digest.awaiting_me = list(reviews.filter(case__in=own, status=QualityReview.Status.SUBMITTED).order_by("pk"))
    lead_units = _role_unit_ids(user, StaffRole.Kind.REVIEW_LEAD)
    if lead_units:
        digest.objections = list(
            reviews.filter(status=QualityReview.Status.OBJECTED, case__unit_id__in=lead_units).order_by("objected_at")
        )
    return digest


def recipients():
    """Active users with an e-mail address who handle cases, keep the ledger or lead reviews, and have
    not opted out."""
    kinds = [StaffRole.Kind.CASE_MANAGEMENT, StaffRole.Kind.REVIEW_LEAD]
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(Q(prosecutor__isnull=False) | Q(staff_roles__kind__in=kinds)).distinct()
    return users.exclude(notification_preference__daily_digest=False).order_by("pk")


def send_digests(today: datetime.date, dry_run: bool = False) -> tuple[int, int]:
    """E-mail each recipient's digest once per day (a second run the same day sends nothing).
    Empty digests are not sent. Returns (sent, skipped)."""
    sent = skipped = 0
    for user in recipients():
        preference, _created = NotificationPreference.objects.get_or_create(user=user)
        if preference.last_digest_on == today:
            skipped += 1
            continue
        digest = digest_for(user, today, since=preference.last_digest_on)
        if digest.count == 0:
            skipped += 1
            continue
        if not dry_run:
            with translation.override(settings.LANGUAGE_CODE):
                context = {"digest": digest, "today": today, "site_url": settings.CASEQA_SITE_URL}
                subject = _("案件提醒：%(day)s 共 %(count)s 项") % {"day": today.isoformat(), "count": digest.count}
                body = render_to_string("cases/email/digest.txt", context)
            send_mail(subject, body, None, [user.email])
            preference.last_digest_on = today
            preference.save(update_fields=["last_digest_on"])
        sent += 1
    return sent, skipped
