"""Filters of the case and event lists (one FilterSet per model, shared by the HTML lists and the API).

Codes of units, departments, teams and prosecutors are offered only within what the requesting
user may see (`readable_by`); start the queryset from `Case.objects.visible_to(user)` as well.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Chapter, EventType, ProceduralEvent
from teams.filters import department_filter, prosecutor_filter, team_filter, unit_filter


class CaseFilterSet(django_filters.FilterSet):
    """Cases by attribution (codes), line, category, dates, open/closed and a number / title search."""

    q = django_filters.CharFilter(method="search", label=_("案号或案件名称包含"))
    unit = unit_filter()
    department = department_filter()
    team = team_filter()
    prosecutor = prosecutor_filter()
    no_team = django_filters.BooleanFilter(field_name="team", lookup_expr="isnull", label=_("未归入团队"))
    line = django_filters.ChoiceFilter(choices=Case.Line.choices, label=_("业务条线"))
    category = django_filters.ChoiceFilter(choices=Case.Category.choices, label=_("案件严重程度"))
    # By the MAIN charge, as every statistic cuts (a figure's drill-down lists the cases behind it).
    charge = django_filters.CharFilter(method="with_main_charge", label=_("主罪名（编码或名称）"))
    charge_chapter = django_filters.ChoiceFilter(
        field_name="main_charge__chapter", choices=Chapter.choices, label=_("主罪名所在章")
    )
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", label=_("受理日期起"))
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", label=_("受理日期止"))
    closed_from = django_filters.DateFilter(field_name="closed_on", lookup_expr="gte", label=_("审结日期起"))
    closed_to = django_filters.DateFilter(field_name="closed_on", lookup_expr="lte", label=_("审结日期止"))
    is_open = django_filters.BooleanFilter(field_name="closed_on", lookup_expr="isnull", label=_("未审结"))
    has_event = django_filters.CharFilter(method="with_event", label=_("含诉讼环节（编码）"))

    class Meta:
        model = Case
        fields = [
            "q",
            "unit",
            "department",
            "team",
            "prosecutor",
            "no_team",
            "line",
            "category",
            "charge",
            "charge_chapter",
            "received_from",
            "received_to",
            "closed_from",
            "closed_to",
            "is_open",
            "has_event",
        ]

    def search(self, queryset, name, value):
        return queryset.filter(Q(case_no__icontains=value) | Q(title__icontains=value))

    def with_main_charge(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(main_charge__code=value) | Q(main_charge__name=value) | Q(main_charge__name=value + "罪")
        )

    def with_event(self, queryset, name, value):
        # A subquery, not a join: a case with two rounds of 退补 must appear once.
        return queryset.filter(pk__in=ProceduralEvent.objects.filter(event_type__code=value).values("case_id"))


class ProceduralEventFilterSet(django_filters.FilterSet):
    """Events by case number, event code, kind, date range and the case's attribution."""

    case = django_filters.CharFilter(field_name="case__case_no", label=_("统一受案号"))
    event = django_filters.CharFilter(field_name="event_type__code", label=_("诉讼环节编码"))
    kind = django_filters.ChoiceFilter(field_name="event_type__kind", choices=EventType.Kind.choices, label=_("类别"))
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("日期起"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("日期止"))
    unit = unit_filter("case__unit")
    team = team_filter("case__team")
    prosecutor = prosecutor_filter("case__prosecutor")

    class Meta:
        model = ProceduralEvent
        fields = ["case", "event", "kind", "date_from", "date_to", "unit", "team", "prosecutor"]


class EventTypeFilterSet(django_filters.FilterSet):
    """Catalogue entries by rule set and kind."""

    rule_set = django_filters.CharFilter(field_name="rule_set__code", label=_("统计规则编码"))
    kind = django_filters.ChoiceFilter(choices=EventType.Kind.choices, label=_("类别"))

    class Meta:
        model = EventType
        fields = ["rule_set", "kind"]
