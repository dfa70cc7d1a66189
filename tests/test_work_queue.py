"""The clerk's work queue: who handles each case at risk, horizon / status / team / prosecutor filters,
sorting, and statuses in words (pages and exports)."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from teams.models import StaffRole
from tests.factories import make_case, make_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(client):
    org = make_office()
    today = timezone.localdate()
    p1, p2, p3 = org.prosecutors
    org.overdue = make_case(p1, [("arrest_review", today - datetime.timedelta(days=10))], team=org.team)
    org.near = make_case(p2, [("arrest_review", today - datetime.timedelta(days=4))])
    org.later = make_case(p3, [("arrest_review", today)], team=org.team)  # due in 7 days
    clerk = User.objects.create(username="clerk")
    StaffRole.objects.create(user=clerk, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    client.force_login(clerk)
    org.client = client
    return org


def rows(response):
    return [[c.shown for c in row] for row in response.context["table"].rows]


def case_nos(response):
    return [row[0] for row in rows(response)]


def test_queue_names_prosecutor_department_unit_and_team(queue):
    response = queue.client.get(reverse("teams:work"))
    titles = [str(c.title) for c in response.context["table"].columns]
    for title in ("承办检察官", "部门", "单位", "办案团队", "剩余天数", "状态"):
        assert title in titles
    by_case = {row[0]: dict(zip(titles, row, strict=True)) for row in rows(response)}
    overdue = by_case[queue.overdue.case_no]
    assert overdue["承办检察官"] == "张检察官" and overdue["部门"] == "第一检察部"
    assert overdue["单位"] == "示范区人民检察院" and overdue["办案团队"] == "合规护企"
    assert overdue["状态"] == "已超期" and by_case[queue.near.case_no]["状态"] == "临近期限"
    assert by_case[queue.near.case_no]["办案团队"] == "—"


def test_horizon_widens_the_queue_and_defaults_to_five_days(queue):
    assert set(case_nos(queue.client.get(reverse("teams:work")))) == {queue.overdue.case_no, queue.near.case_no}
    wide = case_nos(queue.client.get(reverse("teams:work"), {"horizon": "10"}))
    assert set(wide) == {queue.overdue.case_no, queue.near.case_no, queue.later.case_no}


def test_status_team_and_prosecutor_filters(queue):
    url = reverse("teams:work")
    assert case_nos(queue.client.get(url, {"status": "overdue", "horizon": "10"})) == [queue.overdue.case_no]
    assert set(case_nos(queue.client.get(url, {"team": "T-HQ", "horizon": "10"}))) == {
        queue.overdue.case_no,
        queue.later.case_no,
    }
    assert case_nos(queue.client.get(url, {"prosecutor": "P-002", "horizon": "10"})) == [queue.near.case_no]


def test_sorting_by_days_left_both_ways_and_by_prosecutor(queue):
    url = reverse("teams:work")
    soonest = case_nos(queue.client.get(url, {"horizon": "10"}))
    assert soonest == [queue.overdue.case_no, queue.near.case_no, queue.later.case_no]
    latest = case_nos(queue.client.get(url, {"horizon": "10", "sort": "-days_left"}))
    assert latest == list(reversed(soonest))
    by_name = rows(queue.client.get(url, {"horizon": "10", "sort": "prosecutor"}))
    names = [row[6] for row in by_name]
    assert names == sorted(names)


@pytest.mark.parametrize("bad", [{"horizon": "-1"}, {"horizon": "abc"}, {"status": "lost"}, {"sort": "title;"}])
def test_an_invalid_filter_is_a_form_error_and_lists_nothing(queue, bad):
    response = queue.client.get(reverse("teams:work"), bad)
    assert response.status_code == 400
    assert response.context["form"].errors and response.context["table"].rows == []
    export = queue.client.get(reverse("teams:work"), {**bad, "export": "at_risk", "format": "csv"})
    assert export.status_code == 400


def test_export_writes_statuses_in_words_and_follows_the_filters(queue):
    response = queue.client.get(reverse("teams:work"), {"horizon": "10", "export": "at_risk", "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    statuses = {line[5] for line in lines[1:]}
    assert statuses == {"已超期", "临近期限"} and len(lines) == 4
    assert "overdue" not in response.content.decode("utf-8-sig")
    queue.client.cookies["django_language"] = "en"
    english = queue.client.get(reverse("teams:work"), {"export": "at_risk", "format": "csv"})
    text = english.content.decode("utf-8-sig")
    assert "Overdue" in text and "已超期" not in text
