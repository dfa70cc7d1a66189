"""Filters of the organisation lists (one FilterSet per model, shared by the HTML lists and the API).

Choice filters take codes (units and departments also their exact names) and only offer what the
requesting user may see (`<Model>.objects.readable_by`), so a code of another unit is refused exactly like an
unknown one: 400 naming the field, never a hint that it exists.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from teams.models import Department, Membership, Prosecutor, Team, Unit


class CodeChoiceField(forms.ModelChoiceField):
    """A model choice given by its code (or, where `name_field` is set, by its exact name)."""

    def __init__(self, *args, code_field: str = "code", name_field: str | None = None, **kwargs):
        self.code_field, self.name_field = code_field, name_field
        kwargs.setdefault("to_field_name", code_field)
        kwargs.setdefault("error_messages", {"invalid_choice": _("未知的编码：%(value)s")})
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        lookup = Q(**{self.code_field: value})
        if self.name_field:
            lookup |= Q(**{self.name_field: value})
        found = list(self.queryset.filter(lookup)[:2])
        if len(found) != 1:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return found[0]


class CodeFilter(django_filters.ModelChoiceFilter):
    """Filter by the code of a related object the user may see (`queryset` is a callable of the request)."""

    field_class = CodeChoiceField

    def __init__(self, *args, code_field: str = "code", name_field: str | None = None, **kwargs):
        kwargs["code_field"], kwargs["name_field"] = code_field, name_field
        super().__init__(*args, **kwargs)


def _user(request):
    return getattr(request, "user", None)


def units_of(request):
    """Units offered to filters: what the requesting user may see (everything without a request)."""
    return Unit.objects.all() if request is None else Unit.objects.readable_by(_user(request))


def departments_of(request):
    return Department.objects.all() if request is None else Department.objects.readable_by(_user(request))


def teams_of(request):
    return Team.objects.all() if request is None else Team.objects.readable_by(_user(request))


def prosecutors_of(request):
    return Prosecutor.objects.all() if request is None else Prosecutor.objects.readable_by(_user(request))


def unit_filter(field_name: str = "unit", **kwargs) -> CodeFilter:
    return CodeFilter(
        field_name=field_name,
        queryset=units_of,
        code_field="code",
        name_field="name",
        label=_("单位（编码或名称）"),
        **kwargs,
    )


def department_filter(field_name: str = "department", **kwargs) -> CodeFilter:
    return CodeFilter(
        field_name=field_name,
        queryset=departments_of,
        code_field="code",
        name_field="name",
        label=_("部门（编码或名称）"),
        **kwargs,
    )


def team_filter(field_name: str = "team", **kwargs) -> CodeFilter:
    return CodeFilter(field_name=field_name, queryset=teams_of, code_field="team_code", label=_("团队编码"), **kwargs)


def prosecutor_filter(field_name: str = "prosecutor", **kwargs) -> CodeFilter:
    return CodeFilter(
        field_name=field_name, queryset=prosecutors_of, code_field="staff_code", label=_("检察人员工号"), **kwargs
    )


class UnitFilterSet(django_filters.FilterSet):
    """Units by code, name and parent."""

    code = django_filters.CharFilter(lookup_expr="exact", label=_("单位编码"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("名称包含"))
    parent = unit_filter("parent")

    class Meta:
        model = Unit
        fields = ["code", "name", "parent"]


class DepartmentFilterSet(django_filters.FilterSet):
    """Departments by unit, code and name."""

    unit = unit_filter()
    code = django_filters.CharFilter(lookup_expr="exact", label=_("部门编码"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("名称包含"))

    class Meta:
        model = Department
        fields = ["unit", "code", "name"]


class ProsecutorFilterSet(django_filters.FilterSet):
    """Prosecutors by unit, department, role, team and a name / staff-code search."""

    unit = unit_filter()
    department = department_filter()
    role = django_filters.ChoiceFilter(choices=Prosecutor.Role.choices, label=_("身份"))
    team = team_filter("teams", distinct=True)
    q = django_filters.CharFilter(method="search", label=_("姓名或工号包含"))

    class Meta:
        model = Prosecutor
        fields = ["unit", "department", "role", "team", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(staff_code__icontains=value))


class TeamFilterSet(django_filters.FilterSet):
    """Teams by unit, a member (staff code) and a name / code search."""

    unit = unit_filter()
    member = prosecutor_filter("members", distinct=True)
    q = django_filters.CharFilter(method="search", label=_("名称或编码包含"))

    class Meta:
        model = Team
        fields = ["unit", "member", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(team_code__icontains=value))


class MembershipFilterSet(django_filters.FilterSet):
    """Memberships by team, prosecutor and role."""

    team = team_filter()
    prosecutor = prosecutor_filter()
    role = django_filters.ChoiceFilter(choices=Membership.Role.choices, label=_("团队角色"))

    class Meta:
        model = Membership
        fields = ["team", "prosecutor", "role"]
