"""The demo / benchmark generator: deterministic, sized as asked, lawful (DOMAIN §5) and consistent (§4)."""

import datetime
import io
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Min, Q, Sum

from cases import rollup, services
from cases.demo import PRESETS, DemoDataError, generate, resolve
from cases.demo.generator import _month_bounds
from cases.models import Case, EventType, ProceduralEvent, RatioFact
from cases.ratio import RatioFilters, ratio_for
from cases.sequence_rules import EventRecord, check_sequence
from teams.models import AnnualPlan, Department, Membership, Prosecutor, StaffRole, Team, Unit
from tests.factories import make_case

D = datetime.date
TODAY = D(2026, 6, 17)


def _wipe():
    """Remove everything the generator wrote, in plain SQL (a model delete would write history rows one by one)."""
    tables = [RatioFact, ProceduralEvent, Case, Membership, Team, Prosecutor, Department]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        while Unit.objects.exists():
            leaves = list(Unit.objects.filter(children__isnull=True).values_list("pk", flat=True))
            cursor.execute(f"DELETE FROM {Unit._meta.db_table} WHERE id IN ({', '.join(map(str, leaves))})")


def _dataset():
    """The generated office and cases without ids or timestamps, comparable across runs."""
    units = sorted(Unit.objects.values_list("code", "name", "parent__code"))
    people = sorted(Prosecutor.objects.values_list("staff_code", "name", "unit__code", "department__code", "role"))
    members = sorted(
        Membership.objects.values_list("team__team_code", "prosecutor__staff_code", "role", "date_from", "date_to")
    )
    cases = sorted(
        Case.objects.values_list(
            "case_no",
            "title",
            "line",
            "category",
            "unit__code",
            "department__code",
            "prosecutor__staff_code",
            "team__team_code",
            "persons",
            "received_on",
            "closed_on",
            "plea_leniency",
            "sentencing_recommendation",
            "judgment_accepted",
            "items",
        )
    )
    events = sorted(ProceduralEvent.objects.values_list("case__case_no", "event_type__code", "date", "persons", "note"))
    return units, people, members, cases, events


@pytest.fixture
def tiny(db):
    return generate("tiny", seed=7, today=TODAY)


def test_same_seed_gives_identical_data_and_another_seed_does_not(tiny):
    first = _dataset()
    _wipe()
    generate("tiny", seed=7, today=TODAY)
    assert _dataset() == first
    _wipe()
    generate("tiny", seed=8, today=TODAY)
    assert _dataset()[3] != first[3]


def test_scale_parameters_are_respected(tiny):
    params = PRESETS["tiny"]
    assert (tiny.units, tiny.prosecutors, tiny.teams, tiny.cases) == (
        params.units,
        params.prosecutors,
        params.teams,
        params.cases,
    )
    assert Unit.objects.count() == params.units and Team.objects.count() == params.teams
    assert Case.objects.count() == params.cases
    assert ProceduralEvent.objects.count() == tiny.events
    assert tiny.as_dict()["cases"] == params.cases and tiny.as_dict()["params"]["units"] == params.units
    _wipe()
    custom = generate({"preset": "tiny", "cases": 123, "teams": 5}, seed=1, today=TODAY)
    assert Case.objects.count() == custom.cases == 123 and Team.objects.count() == 5
    # Every case was received within the 24 calendar months up to today.
    span = Case.objects.aggregate(first=Min("received_on"))
    assert span["first"] >= D(2024, 7, 1)
    assert not Case.objects.filter(received_on__gt=TODAY).exists()


def test_presets_and_bad_parameters():
    assert resolve("full").cases == 1_000_000 and resolve("full").prosecutors == 5_000
    assert resolve("full").teams == 500 and resolve("full").units == 100
    assert resolve("medium").cases == 100_000
    assert resolve(50_000).cases == 50_000
    with pytest.raises(DemoDataError, match="未知的规模"):
        resolve("huge")
    with pytest.raises(DemoDataError, match="prosecutors"):
        resolve({"preset": "tiny", "prosecutors": 4})


def test_benchmark_presets_thin_neutral_steps_to_about_two_and_a_half_events_a_case(db):
    summary = generate({"preset": "tiny", "cases": 600, "neutral_rate": 0.35}, seed=4, today=TODAY)
    assert 2.2 < summary.events / summary.cases < 2.9
    assert summary.events == ProceduralEvent.objects.count()
    # Thinning drops only neutral steps: the items stay those of the full history.
    assert 1.2 < summary.items / summary.cases < 1.6


def test_refuses_to_generate_into_a_database_with_cases(tiny):
    with pytest.raises(DemoDataError, match="空库"):
        generate("tiny", seed=7, today=TODAY)
    assert Case.objects.count() == PRESETS["tiny"].cases


def _broken_cases(today):
    """Every case's events checked as if entered anew (DOMAIN §5 rules 1–9): {case id: violations}."""
    kinds = dict(EventType.objects.values_list("pk", "kind"))
    by_case = defaultdict(list)
    for case_id, type_id, code, day, pk in ProceduralEvent.objects.order_by("date", "pk").values_list(
        "case_id", "event_type_id", "event_type__code", "date", "pk"
    ):
        by_case[case_id].append(EventRecord(code, day, pk, True, kinds[type_id]))
    closed = dict(Case.objects.values_list("pk", "closed_on"))
    lines = dict(Case.objects.values_list("pk", "line"))
    criminal = {pk for pk, line in lines.items() if line == Case.Line.CRIMINAL}
    assert set(by_case) == criminal  # every criminal case has its base step; other lines take none (rule 9)
    return {
        case_id: violations
        for case_id, records in by_case.items()
        if (violations := check_sequence([], records, closed[case_id], today, line=lines[case_id]))
    }


def test_every_generated_case_keeps_the_sequence_rules(tiny):
    assert _broken_cases(TODAY) == {}


def test_writes_after_generation_get_fresh_ids(tiny, org):
    """The generator numbers rows itself; the database's id sequences must continue after them."""
    top_case, top_event = Case.objects.order_by("-pk")[0].pk, ProceduralEvent.objects.order_by("-pk")[0].pk
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2026, 5, 1)), ("review_extension", D(2026, 5, 20))])
    assert case.pk > top_case and case.events.order_by("pk").last().pk > top_event
    assert case.items == 2


def test_derived_fields_equal_a_recount(tiny):
    """DOMAIN §4: received date = earliest base event; items = 1 + Σ weight of extras."""
    recount = Case.objects.annotate(
        first_base=Min("events__date", filter=Q(events__event_type__kind="base")),
        extra=Sum("events__event_type__weight", filter=Q(events__event_type__kind="extra")),
    ).values_list("pk", "received_on", "items", "first_base", "extra")
    for _pk, received_on, items, first_base, extra in recount:
        assert received_on == first_base
        assert items == (1 + (extra or 0) if first_base else 0)
    before = sorted(Case.objects.values_list("pk", "received_on", "items"))
    services.derive_case_fields(Case.objects.values_list("pk", flat=True))
    assert sorted(Case.objects.values_list("pk", "received_on", "items")) == before
    assert sum(items for _pk, _r, items in before) == tiny.items


def test_rollup_equals_a_rebuild_and_the_raw_totals(tiny):
    generated = rollup.snapshot()
    rollup.rebuild()
    assert rollup.snapshot() == generated
    # Whole months come from the roll-up: the engine's totals over the window equal the raw rows.
    report = ratio_for(date_from=D(2024, 7, 1), date_to=TODAY)
    extras = ProceduralEvent.objects.filter(event_type__kind="extra").aggregate(w=Sum("event_type__weight"))["w"]
    # Only criminal cases take the seeded catalogue's steps (rule 9): the others count nothing.
    counted = Case.objects.filter(line=Case.Line.CRIMINAL).count()
    assert 0.8 * tiny.cases < counted < tiny.cases
    assert report.total.cases == Case.objects.filter(received_on__isnull=False).count() == counted
    assert report.total.items == counted + extras == tiny.items
    cohort = ratio_for(basis="cohort", date_from=D(2024, 7, 1), date_to=TODAY).total
    closed = Case.objects.filter(closed_on__isnull=False, received_on__isnull=False)
    closed = closed.aggregate(n=Count("pk"), items=Sum("items"))
    assert (cohort.cases, cohort.items) == (closed["n"], closed["items"])


def test_a_plausible_office(tiny):
    lines = dict(Case.objects.values_list("line").annotate(n=Count("pk")))
    assert lines["criminal"] > 0.8 * tiny.cases
    returned = Case.objects.filter(events__event_type__code="supplementary_investigation").distinct().count()
    reviewed = Case.objects.filter(events__event_type__code="prosecution_review").count()
    assert 0.08 < returned / reviewed < 0.35
    assert 0 < tiny.open_cases < tiny.cases / 2
    assert Case.objects.filter(closed_on__isnull=False).count() > tiny.cases / 2
    # Some people are in two teams (专人不专职) and every team has one leader.
    in_two = Prosecutor.objects.annotate(n=Count("memberships__team", distinct=True)).filter(n__gte=2)
    assert in_two.exists()
    assert all(team.memberships.filter(role="leader").count() == 1 for team in Team.objects.all())
    # Numbers follow the 统一受案号 pattern, unique by construction of the model.
    assert Case.objects.filter(case_no__regex=r"检刑受〔\d{4}〕").count() == lines["criminal"]


def test_small_demo_tells_the_story_and_has_cases_at_risk(db):
    """The team lead's story: 合规护企's ratio rises last month through extra 退补; open cases near deadlines."""
    summary = generate("small", seed=2026, today=TODAY)
    assert summary.cases == 3000 and summary.prosecutors == 60 and summary.teams == 10
    assert _broken_cases(TODAY) == {}
    team = Team.objects.get(name="合规护企")
    month_from, month_to = _month_bounds(TODAY)
    last = ratio_for(date_from=month_from, date_to=month_to, filters=RatioFilters(team=team.team_code)).total
    year = ratio_for(
        date_from=month_from - datetime.timedelta(days=365),
        date_to=month_from - datetime.timedelta(days=1),
        filters=RatioFilters(team=team.team_code),
    ).total
    assert last.ratio > year.ratio + 0.2
    assert last.extras.get("supplementary_investigation", 0) >= 3
    # Open cases whose current review period started over a month ago (past deadline) and within the last month.
    starts = (
        Case.objects.filter(closed_on__isnull=True)
        .annotate(start=Min("events__date", filter=Q(events__event_type__code="prosecution_review")))
        .exclude(events__event_type__code__in=["resubmission", "review_extension", "supplementary_investigation"])
        .filter(start__isnull=False)
        .values_list("start", flat=True)
    )
    assert any(TODAY - start > datetime.timedelta(days=31) for start in starts)
    assert any(datetime.timedelta(days=25) <= TODAY - start <= datetime.timedelta(days=31) for start in starts)


def test_seed_demo_prints_the_logins_and_if_empty_is_idempotent(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("seed_demo", "--scale", "tiny", "--seed", "3", "--if-empty", stdout=out)
    text = out.getvalue()
    for username in ("admin", "clerk", "leader", "reviewer", "review_lead", "team_lead", "prosecutor"):
        assert username in text
    assert "caseqa-demo" in text
    User = get_user_model()
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="clerk").check_password("caseqa-demo")
    kinds = set(StaffRole.objects.values_list("user__username", "kind"))
    assert {("clerk", "case_management"), ("leader", "leadership"), ("reviewer", "reviewer")} <= kinds
    assert ("review_lead", "review_lead") in kinds
    lead = Prosecutor.objects.get(user__username="team_lead")
    assert lead.memberships.filter(team__name="合规护企", role="leader").exists()
    plain = Prosecutor.objects.get(user__username="prosecutor")
    assert plain.role == "prosecutor" and not plain.memberships.filter(role="leader").exists()
    assert plain.cases.exists()
    # Every team has last year's and this year's plan with goals, and last year's achievements (issue 13).
    last_year = services.today().year - 1
    assert AnnualPlan.objects.count() == 2 * Team.objects.count()
    assert all(p.goals.count() == 4 and p.achievements.exists() for p in AnnualPlan.objects.filter(year=last_year))

    counts = (Case.objects.count(), ProceduralEvent.objects.count(), User.objects.count())
    again = io.StringIO()
    call_command("seed_demo", "--scale", "tiny", "--if-empty", stdout=again)
    assert (Case.objects.count(), ProceduralEvent.objects.count(), User.objects.count()) == counts
    assert "未生成" in again.getvalue() and "team_lead" in again.getvalue()
    assert lead.name in again.getvalue()
