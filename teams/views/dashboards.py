"""Dashboard pages: team (the team lead's main view), prosecutor, department and unit.

Each view resolves its subject among what the viewer oversees (`<Model>.objects.overseen_by` /
`readable_by`; anything else is a 404, like an unknown code), and hands the
rest to `teams.dashboards.build`; `?export=<table>&format=csv|xlsx` downloads any table shown.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.ratio import RatioFilters, Scope
from teams import assessment_section, dashboards, plans, sections
from teams.access import scope_for, subtree_ids
from teams.models import Department, Prosecutor, Team, Unit
from teams.periods import parse_period
from teams.tables import EXPORT_FORMATS, export_response


def _render(
    request: HttpRequest,
    subject: dashboards.Subject,
    case_q: Q,
    heading: str,
    links=(),
    assessed=None,
    specialisations=(),
) -> HttpResponse:
    today = timezone.localdate()
    period, errors = parse_period(request.GET, today)
    targets = sections.team_targets(subject.team_id) if subject.team_id else {}
    partial = request.GET.get("change") == "partial"
    dash = dashboards.build(subject, period, targets, today=today, partial_change=partial)
    sections.add_sections(dash, request.user, case_q, today)
    if assessed is not None:
        assessment_section.add_assessment(dash, assessed, period.last.year, request.user)
    if subject.kind == "team":
        year = period.last.year
        plans.add_plan_section(dash, subject.team_id, year, today.month if year == today.year else 12)
        dash.sections["half_year"] = 1 if period.last.month <= 6 else 2
    export = request.GET.get("export")
    if export and not errors:
        table = dash.tables.get(export)
        if table is None or request.GET.get("format", "csv") not in EXPORT_FORMATS:
            raise Http404(_("没有这张表"))
        filename = f"{subject.kind}-{subject.code}-{export}-{period.months[0]}_{period.months[-1]}"
        return export_response(table, request.GET.get("format", "csv"), filename)
    context = {
        "dash": dash,
        "heading": heading,
        "period": period,
        "errors": errors,
        "query": urlencode(period.query()),
        "other_basis_query": urlencode(period.query(basis="cohort" if period.basis == "flow" else "flow")),
        "links": links,
        "specialisations": specialisations,
    }
    # An export whose period cannot be read is refused on the page, not exported for the default period.
    return render(request, "teams/dashboard.html", context, status=400 if export else 200)


def team_subject(request: HttpRequest, team_code: str) -> tuple[Team, dashboards.Subject]:
    """The team a page is about and its dashboard subject; 404 unless its lead or a reader of its unit."""
    user = request.user
    team = get_object_or_404(Team.objects.overseen_by(user).select_related("unit"), team_code=team_code)
    subject = dashboards.Subject(
        "team", team.team_code, team.name, RatioFilters(team=team.team_code), scope_for(user), {"team": team.team_code}
    )
    subject.team_id = team.pk
    return team, subject


@login_required
def team_dashboard(request: HttpRequest, team_code: str) -> HttpResponse:
    """The team lead's view of a team (readable by its leads and by readers of its unit)."""
    team, subject = team_subject(request, team_code)
    unit_seen = Unit.objects.overseen_by(request.user).filter(pk=team.unit_id).exists()
    links = [(_("单位看板"), "teams:unit", team.unit.code)] if unit_seen else []
    heading = _("团队看板：%(name)s") % {"name": team.name}
    return _render(request, subject, Q(team_id=team.pk), heading, links, specialisations=_specialisations(team))


def _specialisations(team: Team) -> list[tuple[str, str]]:
    """(label, the team's cases of it in the case list) per charge or chapter the team specialises in."""
    found = []
    for item in team.specialisations.select_related("charge"):
        query = {"team": team.team_code}
        query |= {"charge": item.charge.code} if item.charge_id else {"charge_chapter": item.chapter}
        found.append((str(item), f"{reverse('cases:list')}?{urlencode(query)}"))
    return found


@login_required
def prosecutor_dashboard(request: HttpRequest, staff_code: str) -> HttpResponse:
    """A prosecutor's own figures (readable by them, their team leads and readers of their unit)."""
    user = request.user
    people = Prosecutor.objects.readable_by(user).select_related("unit", "department")
    person = get_object_or_404(people, staff_code=staff_code)
    subject = dashboards.Subject(
        "prosecutor",
        person.staff_code,
        person.name,
        RatioFilters(prosecutor=person.staff_code),
        scope_for(user),
        {"prosecutor": person.staff_code},
    )
    links = []
    if Department.objects.overseen_by(user).filter(pk=person.department_id).exists():
        links.append((_("部门看板"), "teams:department", person.department.code))
    heading = _("检察官看板：%(name)s") % {"name": person.name}
    return _render(request, subject, Q(prosecutor_id=person.pk), heading, links, assessed=person)


@login_required
def department_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """A department's figures and its prosecutors side by side (readers of its unit)."""
    user = request.user
    department = get_object_or_404(Department.objects.overseen_by(user).select_related("unit"), code=code)
    subject = dashboards.Subject(
        "department",
        department.code,
        department.name,
        RatioFilters(department=department.code),
        scope_for(user),
        {"department": department.code},
    )
    links = [(_("单位看板"), "teams:unit", department.unit.code)]
    heading = _("部门看板：%(unit)s %(name)s") % {"unit": department.unit.name, "name": department.name}
    return _render(request, subject, Q(department_id=department.pk), heading, links)


@login_required
def unit_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """A unit with every unit below it; its own cases, sub-units, departments and teams compared."""
    overseen = Unit.objects.overseen_by(request.user)
    unit = get_object_or_404(overseen, code=code)
    tree = subtree_ids([unit.pk])
    # Only the units of the subtree the viewer oversees (all of it, as oversight covers the units below).
    units = {u["pk"]: u for u in overseen.filter(pk__in=tree).values("pk", "code", "name", "parent_id")}
    child_units, child_names = {}, {}
    for u in units.values():
        # Walk up to the direct child of `unit` whose subtree holds u (the tree is shallow).
        node = u
        while node["parent_id"] not in (unit.pk, None) and node["parent_id"] in units:
            node = units[node["parent_id"]]
        child_units[u["code"]] = unit.code if u["pk"] == unit.pk else node["code"]
        child_names[node["code"]] = node["name"]
    visible = set(units)
    subject = dashboards.Subject(
        "unit", unit.code, unit.name, RatioFilters(), Scope(unit_ids=frozenset(visible)), {"within": unit.code}
    )
    subject.child_units, subject.child_names = child_units, child_names
    parent_links = []
    if unit.parent_id and overseen.filter(pk=unit.parent_id).exists():
        parent_links.append((_("上级单位看板"), "teams:unit", Unit.objects.get(pk=unit.parent_id).code))
    heading = _("单位看板：%(name)s") % {"name": unit.name}
    return _render(request, subject, Q(unit_id__in=visible), heading, parent_links)
