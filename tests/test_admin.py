"""The admin writes events and cases through cases.services (DOMAIN §5 rules, roll-up) and shows history."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from cases import rollup
from cases.demo import generate
from cases.models import Case, EventType, ProceduralEvent, RatioFact
from cases.ratio import ratio_for
from tests.factories import make_case

D = datetime.date


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def case(org):
    return make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 1))], team=org.team)


def _event_data(case, code, day, **extra):
    return {"case": case.pk, "code": code, "date": day.isoformat(), "persons": 1, "prosecutor": "", "note": ""} | extra


def _form_data(response) -> dict:
    """The POST data of an admin change form as displayed (main form and inline management forms)."""
    data = {}

    def put(form, prefix=""):
        for name in form.fields:
            value = form[name].value()
            key = f"{prefix}{name}"
            if value is None:
                data[key] = ""
            elif isinstance(value, bool):
                data[key] = "true" if value else "false"
            elif isinstance(value, list):  # a multiple choice (a case's other charges)
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form, f"{formset.prefix}-")
        for form in formset.forms:
            put(form, f"{form.prefix}-")
    return data


def _rollup_is_exact():
    kept = rollup.snapshot()
    rollup.rebuild()
    return rollup.snapshot() == kept


def test_a_rule_breaking_event_shows_the_rule_and_saves_nothing(admin_client, case):
    events, history = ProceduralEvent.objects.count(), ProceduralEvent.history.count()
    url = reverse("admin:cases_proceduralevent_add")
    response = admin_client.post(url, _event_data(case, "resubmission", D(2025, 3, 10)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "规则2" in page and "重新移送" in page
    assert ProceduralEvent.objects.count() == events and ProceduralEvent.history.count() == history
    case.refresh_from_db()
    assert case.items == 1

    # Rule 4: a third 退补 is refused the same way.
    for day in (D(2025, 3, 10), D(2025, 4, 20)):
        assert admin_client.post(url, _event_data(case, "supplementary_investigation", day)).status_code == 302
    response = admin_client.post(url, _event_data(case, "supplementary_investigation", D(2025, 5, 20)))
    assert "规则4" in response.content.decode()
    case.refresh_from_db()
    assert case.items == 3


def test_a_valid_event_is_saved_through_the_services(admin_client, admin_user, case):
    response = admin_client.post(
        reverse("admin:cases_proceduralevent_add"), _event_data(case, "supplementary_investigation", D(2025, 3, 12))
    )
    assert response.status_code == 302
    event = ProceduralEvent.objects.get(case=case, event_type__code="supplementary_investigation")
    assert event.prosecutor == case.prosecutor  # the service's default: the case's prosecutor
    case.refresh_from_db()
    assert case.items == 2 and case.received_on == D(2025, 3, 1)
    assert _rollup_is_exact()
    # The change history names who made it, and is visible in the admin.
    assert event.history.first().history_user == admin_user
    history = admin_client.get(reverse("admin:cases_proceduralevent_history", args=[event.pk]))
    assert history.status_code == 200 and admin_user.username in history.content.decode()


def test_correcting_an_event_keeps_the_rules(admin_client, case):
    admin_client.post(
        reverse("admin:cases_proceduralevent_add"), _event_data(case, "supplementary_investigation", D(2025, 3, 12))
    )
    returned = ProceduralEvent.objects.get(case=case, event_type__code="supplementary_investigation")
    url = reverse("admin:cases_proceduralevent_change", args=[returned.pk])
    data = _form_data(admin_client.get(url))
    data["date"] = "2025-02-20"  # before the case's 审查起诉 受理
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "规则2" in response.content.decode()
    returned.refresh_from_db()
    assert returned.date == D(2025, 3, 12)

    data["date"] = "2025-04-02"
    data["note"] = "更正退补日期"
    assert admin_client.post(url, data).status_code == 302
    returned.refresh_from_db()
    assert returned.date == D(2025, 4, 2) and returned.note == "更正退补日期"
    assert returned.history.count() == 2
    # Turned into a neutral step, the case loses the item (and the roll-up follows).
    data["code"] = "self_supplementary_investigation"
    assert admin_client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.items == 1
    assert _rollup_is_exact()


def test_deleting_an_event_that_another_needs_is_refused(admin_client, case):
    add = reverse("admin:cases_proceduralevent_add")
    admin_client.post(add, _event_data(case, "supplementary_investigation", D(2025, 3, 12)))
    admin_client.post(add, _event_data(case, "resubmission", D(2025, 4, 2)))
    returned = ProceduralEvent.objects.get(case=case, event_type__code="supplementary_investigation")
    response = admin_client.post(
        reverse("admin:cases_proceduralevent_delete", args=[returned.pk]), {"post": "yes"}, follow=True
    )
    assert "规则2" in response.content.decode()
    assert ProceduralEvent.objects.filter(pk=returned.pk).exists()

    # Deleting both through the action goes latest first, so the pair goes together.
    pair = ProceduralEvent.objects.filter(
        case=case, event_type__code__in=["supplementary_investigation", "resubmission"]
    )
    response = admin_client.post(
        reverse("admin:cases_proceduralevent_changelist"),
        {"action": "delete_checked", "_selected_action": [e.pk for e in pair]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.items == 1 and not pair.all().exists()
    assert _rollup_is_exact()


def test_case_edits_go_through_save_case(admin_client, case):
    admin_client.post(
        reverse("admin:cases_proceduralevent_add"), _event_data(case, "supplementary_investigation", D(2025, 3, 12))
    )
    url = reverse("admin:cases_case_change", args=[case.pk])
    page = admin_client.get(url)
    assert "登记诉讼环节" in page.content.decode()  # the events inline is read-only, with a link to add one
    data = _form_data(page)
    data["closed_on"] = "2025-03-05"  # before the 退补: rule 6
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "规则6" in response.content.decode()
    case.refresh_from_db()
    assert case.closed_on is None

    data["closed_on"] = "2025-04-30"
    assert admin_client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.closed_on == D(2025, 4, 30) and case.items == 2
    assert _rollup_is_exact()
    cohort = ratio_for(basis="cohort", date_from=D(2025, 4, 1), date_to=D(2025, 4, 30)).total
    assert (cohort.cases, cohort.items) == (1, 2)
    assert admin_client.get(reverse("admin:cases_case_history", args=[case.pk])).status_code == 200


def test_editing_an_event_weight_recounts_cases_and_the_rollup(admin_client, case, django_capture_on_commit_callbacks):
    add = reverse("admin:cases_proceduralevent_add")
    admin_client.post(add, _event_data(case, "supplementary_investigation", D(2025, 3, 12)))
    event_type = EventType.objects.get(code="supplementary_investigation")
    url = reverse("admin:cases_eventtype_change", args=[event_type.pk])
    page = admin_client.get(url)
    assert "重建案-件比汇总表" in page.content.decode()  # the help text says what saving does
    data = _form_data(page)
    data["weight"] = "3"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.items == 4
    assert ratio_for(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31)).total.items == 4
    assert _rollup_is_exact()

    # The same through the rule set's inline: 退补 becomes neutral.
    rule_set_url = reverse("admin:cases_ruleset_change", args=[event_type.rule_set_id])
    data = _form_data(admin_client.get(rule_set_url))
    prefix = next(k.removesuffix("-id") for k, v in data.items() if k.endswith("-id") and v == str(event_type.pk))
    data[f"{prefix}-kind"] = "neutral"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(rule_set_url, data).status_code == 302
    case.refresh_from_db()
    assert case.items == 1
    assert ratio_for(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31)).total.items == 1


def test_ratio_facts_are_read_only(admin_client, case):
    assert RatioFact.objects.exists()
    assert admin_client.get(reverse("admin:cases_ratiofact_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:cases_ratiofact_add")).status_code == 403
    fact = RatioFact.objects.first()
    response = admin_client.post(reverse("admin:cases_ratiofact_delete", args=[fact.pk]), {"post": "yes"})
    assert response.status_code == 403 and RatioFact.objects.filter(pk=fact.pk).exists()


def test_every_model_is_registered_and_its_pages_open(admin_client):
    generate("tiny", seed=1)
    models = [
        m
        for label in ("teams", "cases")
        for m in apps.get_app_config(label).get_models()
        if not m.__name__.startswith("Historical")
    ]
    missing = [m.__name__ for m in models if m not in admin.site._registry]
    assert missing == []
    for model in models:
        opts = model._meta
        listing = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listing.status_code == 200, opts.label
        first = model.objects.first()
        if first is not None:
            page = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
            assert page.status_code == 200, opts.label
    case = Case.objects.filter(events__isnull=False).first()
    page = admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert case.events.first().event_type.label_zh in page
