"""Issue 15: a dashboard's outcome-read numerators (不捕率, 无罪判决) link to their cases and persons."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("basis", ["flow", "cohort"])
def test_dashboard_outcome_numerators_link_to_lists_of_those_persons(client, basis, org):
    """On a team dashboard, 不捕率's and 无罪判决's numerators link to lists whose persons equal them."""
    import datetime

    from django.contrib.auth.models import User
    from django.urls import reverse
    from django.utils import timezone

    from cases import services
    from teams.periods import month_label
    from tests.factories import make_case
    from tests.test_drilldowns import listed, query

    today = timezone.localdate()
    p1 = org.prosecutors[0]
    p1.user = User.objects.create(username="lead")
    p1.save()

    def day(n):
        return today - datetime.timedelta(days=n)

    case = make_case(p1, [("arrest_review", day(6))], team=org.team, persons=3, closed_on=today)
    services.log_event(case, "arrest_decision", day(5), persons=3, outcomes="批准逮捕:1;不批准逮捕:2")
    services.log_event(case, "prosecution_review", day(4), persons=3)
    services.log_event(case, "indictment", day(3), persons=1)
    services.log_event(case, "judgment", day(1), persons=1, outcomes="无罪:1")
    client.force_login(p1.user)
    period = {"basis": basis, "from": month_label(day(6)), "to": month_label(today)}
    dash = client.get(reverse("teams:team", args=["T-HQ"]), period).context["dash"]
    rows = {row[0].value: row for row in dash.tables["indicators"].rows}
    for label, outcome, persons in (("不捕率", "not_approved", 2), ("无罪判决人数", "acquitted", 1)):
        numerator = rows[label][2]
        assert numerator.value == persons, label
        assert query(numerator.href)["outcome"] == outcome
        assert query(numerator.href)["basis"] == dash.period.basis
        n, _items, nos = listed(client, numerator.href)
        assert (n, nos) == (1, [case.case_no])
        assert client.get(numerator.href).context["persons"] == persons
    denominator = rows["不捕率"][3]
    assert denominator.value == 3 and query(denominator.href)["outcome"] == "approved,not_approved"
    assert listed(client, denominator.href)[0] == 1
    assert client.get(denominator.href).context["persons"] == 3
