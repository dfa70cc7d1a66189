"""Who may see and change what: the one place every page, API endpoint and export starts from.

Roles (a login may hold several; what it may see is the union):

- superuser: everything;
- prosecutor (`Prosecutor.user`): their own cases and figures;
- team lead (a current `Membership` with role leader): the team's cases;
- unit leadership (`StaffRole` leadership) and review leads (`StaffRole` review_lead): the unit and
  every unit below it;
- case-management staff (`StaffRole` case_management): read and write the unit and its subtree;
- reviewers: the cases they review (the reviews app supplies them through `reviewed_case_ids`); they
  may open a review of the cases of the units where they hold a reviewer post, and of other
  units' cases only when a review lead of that unit assigns it (交叉评查).

Everything is decided from `scope_for(user)`, a `cases.ratio.Scope`, so statistics, lists and
object look-ups agree: an outsider gets empty statistics and a 404 for any object, never another
unit's data. The scope is computed once per user object (i.e. once per request) and cached on it.

Views never call these functions: they start from the managers' queryset methods
(`Case.objects.visible_to(user)`, `Team.objects.readable_by(user)`, ...), which delegate here.
The table of roles × objects is in docs/access.md.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import Case, ProceduralEvent
from cases.ratio import Scope
from teams.models import Department, Membership, Prosecutor, StaffRole, Team, Unit

_CACHE_ATTR = "_caseqa_access"

# Reading the unit subtree: leadership, review leads (they assign reviews over the unit's closed
# cases) and case management. Writing: case management only.
READ_UNIT_KINDS = (StaffRole.Kind.LEADERSHIP, StaffRole.Kind.REVIEW_LEAD, StaffRole.Kind.CASE_MANAGEMENT)
WRITE_UNIT_KINDS = (StaffRole.Kind.CASE_MANAGEMENT,)
# Posts that may open a review of the unit's closed cases themselves (routine, key, thematic).
REVIEW_UNIT_KINDS = (StaffRole.Kind.REVIEWER, StaffRole.Kind.REVIEW_LEAD)

# Hook for the reviews app: a module `cases.review_access` with
# `reviewed_case_ids(user) -> Iterable[int]` adds the cases a reviewer reviews to what they may read.
REVIEW_ACCESS_MODULE = "cases.review_access"


@dataclass
class Access:
    """Everything a user may see or change, resolved to ids (computed once per request)."""

    everything: bool = False
    read_unit_ids: frozenset[int] = frozenset()
    write_unit_ids: frozenset[int] = frozenset()
    led_team_ids: frozenset[int] = frozenset()
    member_team_ids: frozenset[int] = frozenset()
    prosecutor_id: int | None = None
    reviewed_case_ids: frozenset[int] = frozenset()
    review_unit_ids: frozenset[int] = frozenset()
    lead_unit_ids: frozenset[int] = frozenset()  # leadership (院领导) posts and the units below them
    roles: set[str] = field(default_factory=set)

    @property
    def scope(self) -> Scope:
        """The statistics scope: units, led teams and the user's own prosecutor id."""
        if self.everything:
            return Scope(everything=True)
        return Scope(
            unit_ids=self.read_unit_ids,
            team_ids=self.led_team_ids,
            prosecutor_ids=frozenset({self.prosecutor_id}) if self.prosecutor_id else frozenset(),
        )

    @property
    def is_outsider(self) -> bool:
        return not (
            self.everything
            or self.read_unit_ids
            or self.led_team_ids
            or self.prosecutor_id
            or self.reviewed_case_ids
            or self.member_team_ids
        )


def subtree_ids(unit_ids) -> frozenset[int]:
    """The given units and every unit below them (walked level by level: one query per level)."""
    found = set(unit_ids)
    frontier = set(unit_ids)
    while frontier:
        frontier = set(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return frozenset(found)


def _reviewed_case_ids(user) -> frozenset[int]:
    try:
        module = importlib.import_module(REVIEW_ACCESS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != REVIEW_ACCESS_MODULE:
            raise
        return frozenset()
    return frozenset(module.reviewed_case_ids(user))


def access_for(user) -> Access:
    """Resolve the user's roles into an `Access` (cached on the user object for the request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user is None or not user.is_authenticated or not user.is_active:
        access = Access()
    elif user.is_superuser:
        access = Access(everything=True, roles={"superuser"})
    else:
        access = _resolve(user)
    with contextlib.suppress(AttributeError):  # None or an object refusing new attributes: no cache
        setattr(user, _CACHE_ATTR, access)
    return access


def _resolve(user) -> Access:
    roles: set[str] = set()
    read_roots: set[int] = set()
    write_roots: set[int] = set()
    review_roots: set[int] = set()
    lead_roots: set[int] = set()
    for unit_id, kind in StaffRole.objects.filter(user=user).values_list("unit_id", "kind"):
        roles.add(kind)
        if kind in READ_UNIT_KINDS:
            read_roots.add(unit_id)
        if kind in WRITE_UNIT_KINDS:
            write_roots.add(unit_id)
        if kind in REVIEW_UNIT_KINDS:
            review_roots.add(unit_id)
        if kind == StaffRole.Kind.LEADERSHIP:
            lead_roots.add(unit_id)
    read_units = subtree_ids(read_roots) if read_roots else frozenset()
    # Write roots are among the read roots; reuse the walk when they are the same units.
    write_units = read_units if write_roots == read_roots else subtree_ids(write_roots)
    review_units = subtree_ids(review_roots) if review_roots else frozenset()
    lead_units = (read_units if lead_roots == read_roots else subtree_ids(lead_roots)) if lead_roots else frozenset()
    prosecutor_id = Prosecutor.objects.filter(user=user).values_list("pk", flat=True).first()
    led, member = set(), set()
    if prosecutor_id:
        roles.add("prosecutor")
        today = timezone.localdate()
        current = Membership.objects.filter(
            Q(date_from__isnull=True) | Q(date_from__lte=today),
            Q(date_to__isnull=True) | Q(date_to__gte=today),
            prosecutor_id=prosecutor_id,
        )
        for team_id, role in current.values_list("team_id", "role"):
            member.add(team_id)
            if role == Membership.Role.LEADER:
                led.add(team_id)
        if led:
            roles.add("team_lead")
    reviewed = _reviewed_case_ids(user)
    if reviewed:
        roles.add("reviewer")
    return Access(
        read_unit_ids=read_units,
        write_unit_ids=write_units,
        led_team_ids=frozenset(led),
        member_team_ids=frozenset(member),
        prosecutor_id=prosecutor_id,
        reviewed_case_ids=reviewed,
        review_unit_ids=review_units,
        lead_unit_ids=lead_units,
        roles=roles,
    )


def scope_for(user) -> Scope:
    """The `Scope` the ratio, indicators and review statistics are computed within for `user`."""
    return access_for(user).scope


def _case_q(access: Access) -> Q | None:
    q = access.scope.case_q()
    if access.reviewed_case_ids:
        extra = Q(pk__in=access.reviewed_case_ids)
        q = extra if q is None else q | extra
    return q


def visible_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """The cases `user` may read (`queryset` narrows a prepared Case queryset)."""
    queryset = Case.objects.all() if queryset is None else queryset
    q = _case_q(access_for(user))
    return queryset.none() if q is None else queryset.filter(q)


def visible_events(user, queryset: QuerySet | None = None) -> QuerySet:
    """Procedural events of the cases `user` may read."""
    queryset = ProceduralEvent.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    q = _case_q(access)
    if q is None:
        return queryset.none()
    return queryset.filter(case__in=Case.objects.filter(q).values("pk"))


def visible_units(user, queryset: QuerySet | None = None) -> QuerySet:
    """Units `user` may see: their read subtree, their own unit and the units of their teams."""
    queryset = Unit.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    q = Q(pk__in=access.read_unit_ids)
    if access.prosecutor_id:
        q |= Q(prosecutors__pk=access.prosecutor_id)
    if access.member_team_ids:
        q |= Q(teams__pk__in=access.member_team_ids)
    if access.is_outsider:
        return queryset.none()
    return queryset.filter(pk__in=Unit.objects.filter(q).values("pk"))


def visible_departments(user, queryset: QuerySet | None = None) -> QuerySet:
    """Departments of the units `user` reads, plus their own department."""
    queryset = Department.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    if access.is_outsider:
        return queryset.none()
    q = Q(unit_id__in=access.read_unit_ids)
    if access.prosecutor_id:
        q |= Q(prosecutors__pk=access.prosecutor_id)
    return queryset.filter(pk__in=Department.objects.filter(q).values("pk"))


def visible_teams(user, queryset: QuerySet | None = None) -> QuerySet:
    """Teams of the units `user` reads, and the teams they belong to (their own roster)."""
    queryset = Team.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    if access.is_outsider:
        return queryset.none()
    return queryset.filter(Q(unit_id__in=access.read_unit_ids) | Q(pk__in=access.member_team_ids | access.led_team_ids))


def visible_prosecutors(
    user, queryset: QuerySet | None = None, *, period: tuple[datetime.date, datetime.date] | None = None
) -> QuerySet:
    """Prosecutors of the units `user` reads, the user themself and the members of the teams they lead.

    A team lead sees a member only while the membership overlaps `period` (default: today), so a
    former member is visible for the years they were in the team and no longer after.
    """
    queryset = Prosecutor.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    if access.is_outsider:
        return queryset.none()
    q = Q(unit_id__in=access.read_unit_ids)
    if access.prosecutor_id:
        q |= Q(pk=access.prosecutor_id)
    if access.led_team_ids:
        first, last = period or (timezone.localdate(),) * 2
        members = Membership.objects.filter(team_id__in=access.led_team_ids).exclude(date_from__gt=last)
        q |= Q(pk__in=members.exclude(date_to__lt=first).values("prosecutor_id"))
    return queryset.filter(q)


def overseen_units(user, queryset: QuerySet | None = None) -> QuerySet:
    """Units whose every case and figure `user` reads (leadership, review lead, case management)."""
    queryset = Unit.objects.all() if queryset is None else queryset
    access = access_for(user)
    return queryset if access.everything else queryset.filter(pk__in=access.read_unit_ids)


def overseen_teams(user, queryset: QuerySet | None = None) -> QuerySet:
    """Teams whose members' figures `user` sees: the teams they lead and those of the units they read."""
    queryset = Team.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    return queryset.filter(Q(unit_id__in=access.read_unit_ids) | Q(pk__in=access.led_team_ids))


def led_units(user, queryset: QuerySet | None = None) -> QuerySet:
    """Units where `user` is leadership (院领导), with the units below them: they rate its teams' year."""
    queryset = Unit.objects.all() if queryset is None else queryset
    access = access_for(user)
    return queryset if access.everything else queryset.filter(pk__in=access.lead_unit_ids)


def teams_led_by(user, queryset: QuerySet | None = None) -> QuerySet:
    """Teams `user` leads today (带头人); a superuser stands in for any lead."""
    queryset = Team.objects.all() if queryset is None else queryset
    access = access_for(user)
    return queryset if access.everything else queryset.filter(pk__in=access.led_team_ids)


def plannable_teams(user, queryset: QuerySet | None = None) -> QuerySet:
    """Teams whose annual plan and achievements `user` may edit: the teams they lead and the teams of
    the units where they are leadership."""
    queryset = Team.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    return queryset.filter(Q(unit_id__in=access.lead_unit_ids) | Q(pk__in=access.led_team_ids))


def rateable_teams(user, queryset: QuerySet | None = None) -> QuerySet:
    """Teams whose year-end 评议 `user` may record: of the units where they are leadership, never a team
    they lead themself (nobody rates their own team)."""
    queryset = Team.objects.all() if queryset is None else queryset
    access = access_for(user)
    if not access.everything:
        queryset = queryset.filter(unit_id__in=access.lead_unit_ids)
    return queryset.exclude(pk__in=access.led_team_ids) if access.led_team_ids else queryset


def reviewable_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """Cases `user` may open a review of themself: the cases they see and the cases of the units where
    they hold a reviewer or review-lead post (a review lead also assigns them to others). Open cases are
    in the pool so a reviewer of the unit is told "not closed yet"; the workflow refuses them."""
    queryset = Case.objects.all() if queryset is None else queryset
    access = access_for(user)
    if access.everything:
        return queryset
    q = _case_q(access)
    if access.review_unit_ids:
        pool = Q(unit_id__in=access.review_unit_ids)
        q = pool if q is None else q | pool
    return queryset.none() if q is None else queryset.filter(q)


def can_write(user) -> bool:
    """May `user` record cases and events at all (superuser or case-management staff)?"""
    access = access_for(user)
    return access.everything or bool(access.write_unit_ids)


def writable_unit_ids(user) -> frozenset[int] | None:
    """Units whose cases `user` may write; None means every unit (superuser)."""
    access = access_for(user)
    return None if access.everything else access.write_unit_ids


def can_write_unit(user, unit_id: int | None) -> bool:
    """May `user` create or change cases attributed to this unit?"""
    allowed = writable_unit_ids(user)
    return allowed is None or (unit_id is not None and unit_id in allowed)


def can_write_case(user, case: Case) -> bool:
    """May `user` change this case and its events (case management of the case's unit subtree)?"""
    return can_write_unit(user, case.unit_id)


def _in_writable_units(user, queryset: QuerySet, column: str) -> QuerySet:
    allowed = writable_unit_ids(user)
    if allowed is None:
        return queryset
    return queryset.filter(**{f"{column}__in": allowed}) if allowed else queryset.none()


def writable_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """The cases `user` may change."""
    return _in_writable_units(user, Case.objects.all() if queryset is None else queryset, "unit_id")


def writable_units(user, queryset: QuerySet | None = None) -> QuerySet:
    """Units whose cases `user` may record."""
    return _in_writable_units(user, Unit.objects.all() if queryset is None else queryset, "pk")


def writable_departments(user, queryset: QuerySet | None = None) -> QuerySet:
    """Departments a case `user` records may belong to."""
    return _in_writable_units(user, Department.objects.all() if queryset is None else queryset, "unit_id")


def writable_prosecutors(user, queryset: QuerySet | None = None) -> QuerySet:
    """Prosecutors a case `user` records may be assigned to."""
    return _in_writable_units(user, Prosecutor.objects.all() if queryset is None else queryset, "unit_id")


def writable_teams(user, queryset: QuerySet | None = None) -> QuerySet:
    """Teams a case `user` records may be attributed to."""
    return _in_writable_units(user, Team.objects.all() if queryset is None else queryset, "unit_id")
