"""The ledger's correction pages (issue 12): edit or delete an event, correct, close or reopen a case.

Each goes through `cases.services` with a required reason and the version read; a refusal (missing
reason, a sequence rule, a stale version, a user who may not write the case) saves nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cases import services
from cases.models import Case, ProceduralEvent
from teams.models import StaffRole
from tests.factories import TeamFactory, UnitFactory, make_case

D = datetime.date
TODAY = D(2025, 12, 31)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(org, today_fixed, client):
    """A clerk of the office signed in, and a case with an intake, a 退补 and an extension."""
    today_fixed(TODAY)
    clerk = User.objects.create(username="clerk", first_name="案管", last_name="刘")
    StaffRole.objects.create(user=clerk, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 3, 1)),
            ("supplementary_investigation", D(2025, 3, 20)),
            ("review_extension", D(2025, 5, 10)),
        ],
    )
    client.force_login(clerk)
    org.clerk, org.case, org.client = clerk, case, client
    return org


def event_of(case, code):
    return case.events.get(event_type__code=code)


def edit_url(event):
    return reverse("cases:event_edit", args=[event.case_id, event.pk])


def delete_url(event):
    return reverse("cases:event_delete", args=[event.case_id, event.pk])


def history_of(client, case) -> str:
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    return page.content.decode().split('id="h-history"')[1]


def event_body(event, **changes):
    body = {"date": event.date.isoformat(), "persons": event.persons, "note": event.note}
    body |= {"version": event.version, "reason": "登记错误"}
    return {**body, **changes}


# -- events --------------------------------------------------------------------------------------------


def test_correcting_an_event_saves_it_and_the_history_shows_before_after_who_and_why(ledger):
    event = event_of(ledger.case, "supplementary_investigation")
    form = ledger.client.get(edit_url(event))
    assert form.status_code == 200 and 'name="version" value="1"' in form.content.decode()
    body = event_body(event, date="2025-03-22", note="据退查函更正", reason="退查函日期登记错误")
    response = ledger.client.post(edit_url(event), body)
    assert response.status_code == 302 and response["Location"].endswith("#history")
    event.refresh_from_db()
    assert (event.date, event.note, event.version) == (D(2025, 3, 22), "据退查函更正", 2)
    entry = event.history.latest("history_id")
    assert entry.history_change_reason == "退查函日期登记错误" and entry.history_user == ledger.clerk
    history = history_of(ledger.client, ledger.case)
    assert "退查函日期登记错误" in history and "案管 刘" in history
    assert "日期：2025-03-20 → 2025-03-22" in history
    assert "备注：— → 据退查函更正" in history


def test_an_event_correction_without_a_reason_is_a_form_error_and_saves_nothing(ledger):
    event = event_of(ledger.case, "supplementary_investigation")
    response = ledger.client.post(edit_url(event), event_body(event, date="2025-03-22", reason="  "))
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["请填写更正理由：变更记录保存该理由"]
    event.refresh_from_db()
    assert (event.date, event.version) == (D(2025, 3, 20), 1)


def test_an_event_correction_breaking_a_rule_is_refused_naming_the_rule(ledger):
    event = event_of(ledger.case, "supplementary_investigation")
    items = ledger.case.items
    response = ledger.client.post(edit_url(event), event_body(event, date="2025-02-01"))  # before its intake
    assert response.status_code == 400
    assert "规则2：该环节须以审查起诉受理为前提" in response.content.decode()
    event.refresh_from_db()
    assert event.date == D(2025, 3, 20) and Case.objects.get(pk=ledger.case.pk).items == items


def test_a_stale_event_form_shows_what_changed_meanwhile_and_saves_nothing(ledger):
    event = event_of(ledger.case, "supplementary_investigation")
    stale = event_body(event, note="我的更正")
    services.update_event(event, version=1, note="他人先改", reason="他人")  # meanwhile
    response = ledger.client.post(edit_url(event), stale)
    assert response.status_code == 409
    text = response.content.decode()
    assert "未保存：该诉讼环节在您打开后已被他人更改" in text and "备注</strong>：— → 他人先改" in text
    assert 'name="version" value="2"' in text and "我的更正" in text  # shown again at the new version, input kept
    assert "您也修改了此项" in text  # both changed the note: the clerk decides
    event.refresh_from_db()
    assert event.note == "他人先改" and event.version == 2


def test_an_outcome_is_corrected_where_the_event_type_has_outcomes(ledger):
    case = make_case(ledger.prosecutors[0], [("arrest_review", D(2025, 4, 1))])
    decision = services.log_event(case, "arrest_decision", D(2025, 4, 7), persons=3, outcomes="批准逮捕")
    form = ledger.client.get(edit_url(decision))
    assert 'name="outcome"' in form.content.decode() and "批准逮捕" in form.content.decode()
    body = event_body(decision, outcome="批准逮捕:2;不批准逮捕:1", reason="一人不批捕")
    assert ledger.client.post(edit_url(decision), body).status_code == 302
    decision.refresh_from_db()
    assert decision.outcomes == {"approved": 2, "not_approved": 1}
    assert "结果：批准逮捕 → 批准逮捕 2；不批准逮捕 1" in history_of(ledger.client, case)
    bad = event_body(decision, outcome="无罪")
    response = ledger.client.post(edit_url(decision), bad)
    assert response.status_code == 400 and "不是该环节的选项" in response.content.decode()
    # An event type without outcomes has no outcome field.
    intake = event_of(case, "arrest_review")
    assert 'name="outcome"' not in ledger.client.get(edit_url(intake)).content.decode()


def test_deleting_an_event_with_a_reason_recounts_the_case_and_shows_in_the_history(ledger):
    event = event_of(ledger.case, "review_extension")
    assert ledger.case.items == 3
    missing = ledger.client.post(delete_url(event), {"version": 1, "reason": ""})
    assert missing.status_code == 400 and "reason" in missing.context["form"].errors
    assert ProceduralEvent.objects.filter(pk=event.pk).exists()
    response = ledger.client.post(delete_url(event), {"version": 1, "reason": "重复登记"})
    assert response.status_code == 302
    assert not ProceduralEvent.objects.filter(pk=event.pk).exists()
    assert Case.objects.get(pk=ledger.case.pk).items == 2
    history = history_of(ledger.client, ledger.case)
    row = history.split("重复登记")[0].rsplit("<tr", 1)[1]
    assert "延长审查起诉期限 2025-05-10" in row and "删除" in row
    assert "日期：2025-05-10 → —" in history.split("重复登记")[1].split("</tr>")[0]


def test_deleting_an_event_others_depend_on_is_refused_naming_the_rule(ledger):
    intake = event_of(ledger.case, "prosecution_review")
    response = ledger.client.post(delete_url(intake), {"version": 1, "reason": "误录"})
    assert response.status_code == 400 and "规则2：该环节须以审查起诉受理为前提" in response.content.decode()
    assert ProceduralEvent.objects.filter(pk=intake.pk).exists()


def test_a_stale_delete_is_refused(ledger):
    event = event_of(ledger.case, "review_extension")
    services.update_event(event, version=1, persons=2, reason="他人")
    response = ledger.client.post(delete_url(event), {"version": 1, "reason": "重复登记"})
    assert response.status_code == 409 and "涉及人数</strong>：1 → 2" in response.content.decode()
    assert ProceduralEvent.objects.filter(pk=event.pk).exists()


# -- the case ------------------------------------------------------------------------------------------


def case_body(case, **changes):
    body = {
        "title": case.title,
        "line": case.line,
        "category": case.category,
        "department": case.department_id,
        "prosecutor": case.prosecutor_id,
        "team": case.team_id or "",
        "persons": case.persons,
        "plea_leniency": "unknown",
        "sentencing_recommendation": case.sentencing_recommendation,
        "judgment_accepted": case.judgment_accepted,
        "version": case.version,
        "reason": "承办人变更",
    }
    return {**body, **changes}


def test_correcting_the_case_writes_through_the_service_and_the_history_shows_it(ledger):
    case = ledger.case
    url = reverse("cases:case_edit", args=[case.pk])
    assert ledger.client.get(url).status_code == 200
    body = case_body(case, title="某某涉嫌诈骗案", prosecutor=ledger.prosecutors[1].pk, team=ledger.team.pk)
    response = ledger.client.post(url, body)
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert (case.title, case.prosecutor, case.team) == ("某某涉嫌诈骗案", ledger.prosecutors[1], ledger.team)
    assert case.history.latest("history_id").history_change_reason == "承办人变更"
    history = history_of(ledger.client, case)
    assert "承办检察官：张检察官 → 李检察官" in history and "办案团队：— → 合规护企" in history


def test_a_case_correction_needs_a_reason_and_a_fresh_version(ledger):
    case = ledger.case
    url = reverse("cases:case_edit", args=[case.pk])
    response = ledger.client.post(url, case_body(case, title="无理由", reason=""))
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    read = case.version
    services.log_event(case, "indictment", D(2025, 6, 1))  # meanwhile: the timeline moved
    response = ledger.client.post(url, case_body(case, title="过时", version=read))
    assert response.status_code == 409
    text = response.content.decode()
    assert "未保存：该案件在您打开后已被他人更改" in text and "诉讼环节</strong>：— → 有登记、更正或删除" in text
    assert Case.objects.get(pk=case.pk).title == case.title


def test_after_a_conflict_the_form_carries_the_others_change_so_a_second_submit_keeps_both(ledger):
    case = ledger.case
    url = reverse("cases:case_edit", args=[case.pk])
    stale = case_body(case, persons=3, reason="人数登记错误")
    services.update_case(case, {"title": "他人改名"}, version=case.version, reason="他人")
    response = ledger.client.post(url, stale)
    assert response.status_code == 409
    form = response.context["form"]
    assert "案件名称</strong>：某某涉嫌盗窃案" in response.content.decode()
    assert form["title"].value() == "他人改名" and str(form["persons"].value()) == "3"  # theirs, and mine
    assert "您也修改了此项" not in response.content.decode()
    again = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    assert ledger.client.post(url, again).status_code == 302
    case.refresh_from_db()
    assert (case.title, case.persons) == ("他人改名", 3)


def test_closing_a_case_explicitly_and_reopening_it(ledger):
    case = ledger.case
    close = reverse("cases:case_close", args=[case.pk])
    page = ledger.client.get(close).content.decode()
    assert "不会使案件自动审结" in page  # a closing event does not close the case
    assert ledger.client.post(close, {"closed_on": "2025-06-30", "version": case.version}).status_code == 400
    response = ledger.client.post(close, {"closed_on": "2025-06-30", "version": case.version, "reason": "已起诉"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_on == D(2025, 6, 30)
    reopen = reverse("cases:case_reopen", args=[case.pk])
    assert ledger.client.post(reopen, {"version": case.version, "reason": ""}).status_code == 400
    assert Case.objects.get(pk=case.pk).closed_on == D(2025, 6, 30)
    response = ledger.client.post(reopen, {"version": case.version, "reason": "审结日期登记错误"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_on is None
    history = history_of(ledger.client, case)
    assert "审结日期：2025-06-30 → —" in history and "审结日期登记错误" in history
    assert "审结日期：— → 2025-06-30" in history and "已起诉" in history


def test_the_close_form_offers_the_date_of_the_last_closing_decision(ledger):
    case = ledger.case
    close = reverse("cases:case_close", args=[case.pk])
    assert ledger.client.get(close).context["form"]["closed_on"].value() is None  # no decision yet
    services.log_event(case, "resubmission", D(2025, 4, 2))
    services.log_event(case, "indictment", D(2025, 6, 12))
    form = ledger.client.get(close).context["form"]
    assert form["closed_on"].value() == D(2025, 6, 12)
    assert "提起公诉" in str(form["closed_on"].help_text)
    case.refresh_from_db()
    assert case.closed_on is None  # offered, not set: the clerk confirms it with a reason


def test_a_closed_date_before_a_review_stage_step_is_refused_naming_rule_6(ledger):
    case = ledger.case
    close = reverse("cases:case_close", args=[case.pk])
    response = ledger.client.post(close, {"closed_on": "2025-04-30", "version": case.version, "reason": "误"})
    assert response.status_code == 400 and "规则6：审结后不得再有审查起诉阶段的环节" in response.content.decode()
    assert Case.objects.get(pk=case.pk).closed_on is None
    future = ledger.client.post(close, {"closed_on": "2026-01-05", "version": case.version, "reason": "误"})
    assert future.status_code == 400 and "审结日期不得晚于今天" in future.content.decode()


def test_a_stale_close_shows_what_changed(ledger):
    case = ledger.case
    version = case.version
    services.update_case(case, {"title": "他人改名"}, reason="他人")
    close = reverse("cases:case_close", args=[case.pk])
    response = ledger.client.post(close, {"closed_on": "2025-06-30", "version": version, "reason": "审结"})
    assert response.status_code == 409 and "他人改名" in response.content.decode()
    assert Case.objects.get(pk=case.pk).closed_on is None


# -- who may correct -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["leadership", "prosecutor", "other_clerk"])
def test_who_may_not_write_the_case_gets_404_and_nothing_changes(ledger, client, who):
    if who == "leadership":
        user = User.objects.create(username="leader")
        StaffRole.objects.create(user=user, unit=ledger.unit, kind=StaffRole.Kind.LEADERSHIP)
    elif who == "prosecutor":
        user = User.objects.create(username="p1")
        ledger.prosecutors[0].user = user
        ledger.prosecutors[0].save()
    else:
        user = User.objects.create(username="clerk-b")
        StaffRole.objects.create(user=user, unit=UnitFactory(), kind=StaffRole.Kind.CASE_MANAGEMENT)
    client.force_login(user)
    case, event = ledger.case, event_of(ledger.case, "review_extension")
    if who != "other_clerk":  # the case is visible to them, not writable
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    posts = [
        (edit_url(event), event_body(event, note="越权")),
        (delete_url(event), {"version": 1, "reason": "越权"}),
        (reverse("cases:case_edit", args=[case.pk]), case_body(case, title="越权")),
        (reverse("cases:case_close", args=[case.pk]), {"closed_on": "2025-06-30", "version": 1, "reason": "x"}),
        (reverse("cases:case_reopen", args=[case.pk]), {"version": 1, "reason": "x"}),
    ]
    for url, body in posts:
        assert client.get(url).status_code == 404, url
        assert client.post(url, body).status_code == 404, url
    case.refresh_from_db()
    event.refresh_from_db()
    assert (case.title, case.closed_on, event.note, event.version) == (ledger.case.title, None, "", 1)


def test_the_case_page_links_the_corrections_for_a_clerk_only(ledger, client):
    page = ledger.client.get(reverse("cases:detail", args=[ledger.case.pk])).content.decode()
    assert reverse("cases:case_edit", args=[ledger.case.pk]) in page
    assert edit_url(event_of(ledger.case, "review_extension")) in page
    leader = User.objects.create(username="leader")
    StaffRole.objects.create(user=leader, unit=ledger.unit, kind=StaffRole.Kind.LEADERSHIP)
    client.force_login(leader)
    page = client.get(reverse("cases:detail", args=[ledger.case.pk])).content.decode()
    assert reverse("cases:case_edit", args=[ledger.case.pk]) not in page and "/delete/" not in page


def test_a_team_of_another_unit_cannot_be_chosen(ledger):
    foreign = TeamFactory(unit=UnitFactory())
    case = ledger.case
    response = ledger.client.post(reverse("cases:case_edit", args=[case.pk]), case_body(case, team=foreign.pk))
    assert response.status_code == 400 and "team" in response.context["form"].errors
    assert Case.objects.get(pk=case.pk).team_id is None


def test_the_correction_pages_read_in_english(ledger):
    event = event_of(ledger.case, "review_extension")
    page = ledger.client.get(edit_url(event), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Correct an event" in page and "Reason for the correction" in page
    case_page = ledger.client.get(reverse("cases:detail", args=[ledger.case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = case_page.content.decode()
    assert "Correct the case" in text and "Changes (before → after)" in text
    assert "does not close a case by itself" in text


def test_a_blank_handling_prosecutor_reads_the_cases_as_when_logged(ledger):
    event = event_of(ledger.case, "review_extension")
    other = ledger.prosecutors[1]
    assert ledger.client.post(edit_url(event), event_body(event, prosecutor=other.pk)).status_code == 302
    event.refresh_from_db()
    assert event.prosecutor == other
    assert ledger.client.post(edit_url(event), event_body(event, prosecutor="")).status_code == 302
    event.refresh_from_db()
    assert event.prosecutor == ledger.case.prosecutor


def test_a_reason_longer_than_the_history_keeps_is_a_form_error(ledger):
    event = event_of(ledger.case, "review_extension")
    response = ledger.client.post(edit_url(event), event_body(event, note="x", reason="理" * 101))
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    event.refresh_from_db()
    assert event.note == "" and event.version == 1
    assert ledger.client.post(edit_url(event), event_body(event, note="x", reason="理" * 100)).status_code == 302


def test_correcting_an_event_deleted_meanwhile_says_so_and_saves_nothing(ledger):
    event = event_of(ledger.case, "review_extension")
    body = event_body(event, note="我的更正")
    services.delete_event(event, reason="他人删除")
    response = ledger.client.post(edit_url(event), body, follow=True)
    assert "该诉讼环节已被他人删除，未保存" in response.content.decode()
    assert not ProceduralEvent.objects.filter(pk=event.pk).exists()
    other = make_case(ledger.prosecutors[0], [("arrest_review", D(2025, 4, 1))])
    foreign = reverse("cases:event_edit", args=[other.pk, event.pk])  # never an event of that case
    assert ledger.client.get(foreign).status_code == 404
