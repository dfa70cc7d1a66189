"""Daily reminders (issue 15): each user's digest, the e-mail sent once a day, opt-out, the notices page."""

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases import review_workflow as wf
from cases.reminders import digest_for, send_digests
from teams.models import NotificationPreference, StaffRole
from tests.factories import make_case
from tests.reviews_kit import at, closed_case, final_review, make_review_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    ro = make_review_office()
    today = timezone.localdate()
    p1, p2 = ro.prosecutors[0], ro.prosecutors[1]
    for prosecutor in (p1, p2):
        prosecutor.user.email = f"{prosecutor.staff_code}@example.org"
        prosecutor.user.save()
    ro.overdue = make_case(p1, [("arrest_review", today - datetime.timedelta(days=10))])
    ro.others = make_case(p2, [("arrest_review", today - datetime.timedelta(days=4))])
    ro.quiet = make_case(p2, [("arrest_review", today - datetime.timedelta(days=60))], closed_on=None)
    ro.clerk = ro.outsider
    ro.clerk.email = "clerk@example.org"
    ro.clerk.save()
    StaffRole.objects.create(user=ro.clerk, unit=ro.office.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    ro.today = today
    return ro


def numbers(digest):
    return {d.case_no for d in digest.deadlines}


def test_a_prosecutor_hears_of_their_own_cases_and_a_clerk_of_the_units(office):
    p1_user = office.prosecutors[0].user
    assert office.overdue.case_no in numbers(digest_for(p1_user, office.today))
    assert office.others.case_no not in numbers(digest_for(p1_user, office.today))
    clerk = numbers(digest_for(office.clerk, office.today))
    assert {office.overdue.case_no, office.others.case_no} <= clerk


def test_review_results_and_reviews_waiting_for_the_prosecutor(office):
    p1 = office.prosecutors[0]
    closed = closed_case(p1, office.today - datetime.timedelta(days=20))
    final_review(closed, office.reviewer, [("DO-F01", 1)], on=office.today - datetime.timedelta(days=2))
    waiting = closed_case(p1, office.today - datetime.timedelta(days=21))
    review = wf.create_review(waiting, office.reviewer2, findings=[], reviewed_on=office.today, now=at(office.today))
    wf.submit(review, office.reviewer2, now=at(office.today, 11))
    digest = digest_for(p1.user, office.today)
    assert [r.case_id for r in digest.new_results] == [closed.pk]
    assert [r.case_id for r in digest.awaiting_me] == [waiting.pk]
    later = digest_for(p1.user, office.today, since=office.today)
    assert later.new_results == []  # already told in an earlier digest


def test_digests_are_mailed_once_a_day_to_who_has_something_and_has_not_opted_out(office):
    p2_user = office.prosecutors[1].user
    NotificationPreference.objects.create(user=p2_user, daily_digest=False)
    sent, _skipped = send_digests(office.today)
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == ["P-001@example.org", "clerk@example.org"] and sent == 2
    p1_mail = next(m for m in mail.outbox if m.to == ["P-001@example.org"])
    assert office.overdue.case_no in p1_mail.body and office.others.case_no not in p1_mail.body
    assert "/notices/" in p1_mail.body and p1_mail.subject.endswith(" 共 1 项")  # one deadline
    assert send_digests(office.today) == (0, 2)  # the same day again: nothing new is sent
    assert len(mail.outbox) == 2


def test_the_command_sends_and_refuses_a_bad_date(office, capsys):
    call_command("send_reminders", "--dry-run")
    assert "would send 3" in capsys.readouterr().out and mail.outbox == []
    call_command("send_reminders")
    assert len(mail.outbox) == 3
    with pytest.raises(CommandError, match="--date"):
        call_command("send_reminders", "--date", "2026-02-30")


def test_notices_page_count_and_opt_out(office, client):
    user = office.prosecutors[0].user
    assert client.get(reverse("cases:notice_count")).status_code == 302  # login required
    client.force_login(user)
    assert client.get(reverse("cases:notice_count")).json() == {"count": 1}
    page = client.get(reverse("cases:notices"))
    assert office.overdue.case_no in page.content.decode()
    assert client.post(reverse("cases:notices"), {}).status_code == 302  # unticked box: opt out
    assert NotificationPreference.objects.get(user=user).daily_digest is False
    send_digests(office.today)
    assert all(m.to != ["P-001@example.org"] for m in mail.outbox)
