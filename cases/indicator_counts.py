"""The counts behind the §9 indicators, aggregated from the raw case and event rows (DOMAIN.md §9).

One definition serves the raw reads (partial months at the ends of a range, and the reference the
tests hold the count table to) and the maintenance of `IndicatorFact` (cases.indicator_facts), which
runs the same per-case aggregation grouped by month.

Period attribution:
- `flow`: an event-based count falls in the period of the event's date (退补, 延长, 批捕/不捕
  decisions, 起诉/不诉, 一审判决, 自行补充侦查); "cases received for 审查起诉" are the cases with a
  `prosecution_review` dated in the period; the outcome fields of a case (认罪认罚, 量刑建议) count
  in the period of its closed date, the day they become final.
- `cohort`: everything of the cases closed (审结) in the period, whenever it happened.

Case-counted indicators count a case once per group (COUNT DISTINCT), so a case with two 退补 in one
year counts once in that year's row even when it counts in two monthly rows.
"""

from __future__ import annotations

import datetime
import functools
import operator

from django.db import connections
from django.db.models import Count, DateField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Least

from cases.codes import (
    ARREST_DECISION,
    INDICTMENT,
    JUDGMENT,
    NON_PROSECUTION,
    PROSECUTION_REVIEW,
    RETRIAL,
    REVIEW_EXTENSION,
    SECOND_INSTANCE,
    SELF_SUPPLEMENTARY_INVESTIGATION,
    SUPPLEMENTARY_INVESTIGATION,
)
from cases.facts import FLOW, PERIOD_TRUNC, case_kwargs, case_path, through_case
from cases.models import Case, ProceduralEvent
from cases.outcomes import ACQUITTED, AMENDED, ARREST_APPROVED, ARREST_REFUSED, REMANDED
from cases.ratio import period_label

# The event codes the indicators read.
EVENT_CODES = (
    PROSECUTION_REVIEW,
    SUPPLEMENTARY_INVESTIGATION,
    REVIEW_EXTENSION,
    ARREST_DECISION,
    INDICTMENT,
    NON_PROSECUTION,
    JUDGMENT,
    SELF_SUPPLEMENTARY_INVESTIGATION,
    SECOND_INSTANCE,
    RETRIAL,
)
# The distinct-case counts: per case, whether it has an event of this code (in the group).
CASE_COUNTED = {"e_reviewed": PROSECUTION_REVIEW, "e_returned": SUPPLEMENTARY_INVESTIGATION}
CASE_COUNTED["e_extended"] = REVIEW_EXTENSION


def _code(code: str) -> Q:
    return Q(event_type__code=code)


def outcome_persons(*codes: str):
    """The persons an event records under these outcome codes (0 when it records none of them)."""
    parts = [Coalesce(Cast(KT(f"outcomes__{code}"), IntegerField()), Value(0)) for code in codes]
    return functools.reduce(operator.add, parts)


def event_aggregates(elsewhere=None) -> dict:
    """Per case (and group): how many events of each code it has, and the persons they concern.

    The indicators' distinct-case counts are then plain counts of the cases with at least one such
    event (`EVENT_TOTALS`): one aggregation per case instead of a COUNT(DISTINCT) per indicator, which
    the database answers with one sort of all the events per indicator. `elsewhere(code)`, when given,
    is a condition on an event meaning "its case is already counted for this code in the same group
    by the count table": such events are left out of the distinct-case counts (partial months).
    """

    def events(code: str) -> Count:
        condition = _code(code)
        if elsewhere is not None:
            condition &= ~elsewhere(code)
        return Count("pk", filter=condition)

    return {
        **{name: events(code) for name, code in CASE_COUNTED.items()},
        "e_decided": Sum(outcome_persons(ARREST_APPROVED, ARREST_REFUSED), filter=_code(ARREST_DECISION)),
        "e_not_arrested": Sum(outcome_persons(ARREST_REFUSED), filter=_code(ARREST_DECISION)),
        "e_indicted": Sum("persons", filter=_code(INDICTMENT)),
        "e_not_prosecuted": Sum("persons", filter=_code(NON_PROSECUTION)),
        "e_judged": Sum("persons", filter=_code(JUDGMENT)),
        "e_accepted": Sum("persons", filter=_code(JUDGMENT) & Q(case__judgment_accepted=Case.Acceptance.YES)),
        "e_self_supplementary": Count("pk", filter=_code(SELF_SUPPLEMENTARY_INVESTIGATION)),
        "e_arrested": Sum(outcome_persons(ARREST_APPROVED), filter=_code(ARREST_DECISION)),
        "e_not_prosecuted_after_arrest": Sum(_not_prosecuted_after_arrest(), filter=_code(NON_PROSECUTION)),
        "e_acquitted": Sum(outcome_persons(ACQUITTED), filter=_code(JUDGMENT)),
        "e_amended_remanded": Sum(outcome_persons(AMENDED, REMANDED), filter=_code(SECOND_INSTANCE) | _code(RETRIAL)),
    }


def _not_prosecuted_after_arrest():
    """Per 不起诉 event: its persons, at most the persons its case had arrested (批准逮捕) by that day.

    Without a person-level register the persons not prosecuted of a partly arrested case are taken to
    be arrested ones first (the upper bound), so a case never counts more than it arrested.
    """
    arrested = (
        ProceduralEvent.objects.filter(
            case=OuterRef("case"), event_type__code=ARREST_DECISION, date__lte=OuterRef("date")
        )
        .order_by()
        .values("case")
        .annotate(n=Sum(outcome_persons(ARREST_APPROVED)))
        .values("n")
    )
    return Least(F("persons"), Coalesce(Subquery(arrested), Value(0)))


# The event counts of a group from its cases' rows: cases holding such an event, or sums.
EVENT_TOTALS = {
    "n_reviewed": ("cases", "e_reviewed"),
    "n_returned": ("cases", "e_returned"),
    "n_extended": ("cases", "e_extended"),
    "n_decided": ("sum", "e_decided"),
    "n_not_arrested": ("sum", "e_not_arrested"),
    "n_indicted": ("sum", "e_indicted"),
    "n_not_prosecuted": ("sum", "e_not_prosecuted"),
    "n_judged": ("sum", "e_judged"),
    "n_accepted": ("sum", "e_accepted"),
    "n_self_supplementary": ("sum", "e_self_supplementary"),
    "n_arrested": ("sum", "e_arrested"),
    "n_not_prosecuted_after_arrest": ("sum", "e_not_prosecuted_after_arrest"),
    "n_acquitted": ("sum", "e_acquitted"),
    "n_amended_remanded": ("sum", "e_amended_remanded"),
}


def total_columns(qn) -> list[str]:
    """The SQL that adds up per-case rows (`event_aggregates`) into a group's `EVENT_TOTALS`."""
    return [
        (f"COUNT(*) FILTER (WHERE {qn(column)} > 0)" if how == "cases" else f"COALESCE(SUM({qn(column)}), 0)")
        + f" AS {qn(name)}"
        for name, (how, column) in EVENT_TOTALS.items()
    ]


def event_counts(events: QuerySet, groups: dict, elsewhere=None) -> list[dict]:
    """The event-based counts per group (one row, no grouping, when there are none) in one statement:
    the events aggregated per case and group by the ORM, then added up per group around it."""
    per_case = events.values(**groups, k_case=F("case_id")).annotate(**event_aggregates(elsewhere)).order_by()
    connection = connections[per_case.db]
    inner_sql, params = per_case.query.get_compiler(per_case.db).as_sql()
    qn = connection.ops.quote_name
    keys = [qn(name) for name in groups]
    sql = f"SELECT {', '.join([*keys, *total_columns(qn)])} FROM ({inner_sql}) AS per_case"
    if keys:
        sql += f" GROUP BY {', '.join(keys)}"
    n_keys = len(groups)
    names = [*groups, *EVENT_TOTALS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # PostgreSQL sums bigints as numeric: counts are read back as ints.
        return [
            dict(zip(names, [*row[:n_keys], *(None if v is None else int(v) for v in row[n_keys:])], strict=True))
            for row in cursor.fetchall()
        ]


def case_aggregates() -> dict:
    proposed = (Case.Sentencing.PROPOSED, Case.Sentencing.ADOPTED)
    return {
        "n_closed_persons": Sum("persons"),
        "n_plea_persons": Sum("persons", filter=Q(plea_leniency=True)),
        "n_proposed": Sum("persons", filter=Q(sentencing_recommendation__in=proposed)),
        "n_adopted": Sum("persons", filter=Q(sentencing_recommendation=Case.Sentencing.ADOPTED)),
    }


def reviewed_cases(case_q: Q) -> QuerySet:
    """The cases whose outcome fields count: 认罪认罚 and 量刑建议 are outcomes of 审查起诉, so only
    cases with a `prosecution_review` and a closed date."""
    reviewed = ProceduralEvent.objects.filter(case=OuterRef("pk"), event_type__code=PROSECUTION_REVIEW)
    return Case.objects.filter(case_q, Exists(reviewed), closed_on__isnull=False)


def _grouped(queryset: QuerySet, groups: dict, aggregates: dict) -> list[dict]:
    """Aggregate rows grouped by `groups` (one row, no grouping, when there are none)."""
    if not groups:
        return [queryset.aggregate(**aggregates)]
    return list(queryset.values(**groups).annotate(**aggregates).order_by())


def _in_ranges(path: str, ranges) -> Q:
    q = Q(pk__in=[])
    for day_from, day_to in ranges:
        q |= Q(**{f"{path}__gte": day_from, f"{path}__lte": day_to})
    return q


def _key(row: dict, periods: tuple[str, ...], key_columns: tuple[str, ...]) -> tuple:
    key = []
    for period in periods:
        value = row[f"k_{period}"]
        if isinstance(value, str):  # SQLite answers a raw statement's dates as text
            value = datetime.date.fromisoformat(value[:10])
        key.append(period_label(period, value.date() if isinstance(value, datetime.datetime) else value))
    for column in key_columns:
        value = row[f"k_{column}"]
        key.append(None if column == "category" and value == "" else value)
    return tuple(key)


def add(counts: dict[tuple, dict[str, int]], key: tuple, row: dict, names) -> None:
    target = counts.setdefault(key, {})
    for name in names:
        target[name] = target.get(name, 0) + (row[name] or 0)


def _counted_in(middle, periods: tuple[str, ...]):
    """`elsewhere` for `event_counts`: the case has an event of the code in the whole months `middle`
    (in the same period of the answer), so the count table already counts it there."""

    def elsewhere(code: str):
        others = ProceduralEvent.objects.filter(
            case=OuterRef("case"), event_type__code=code, date__gte=middle[0], date__lte=middle[1]
        )
        for period in periods:
            truncate = PERIOD_TRUNC[period]
            others = others.annotate(**{f"p_{period}": truncate("date")}).filter(
                # Cast: a truncation needs its argument's type, which an outer reference lacks.
                **{f"p_{period}": truncate(Cast(OuterRef("date"), DateField()))}
            )
        return Exists(others)

    return elsewhere


def collect_raw(
    basis, ranges, columns, case_q, periods, key_columns, middle=None
) -> tuple[dict[tuple, dict[str, int]], dict[str, int]]:
    """(counts per group key, the total counts) over the dates in `ranges`, straight from the raw rows.

    Each case sits in exactly one attribution group and one closing period, so every count adds up
    to the total except the distinct case counts of events across periods (a case with 退补 in
    January and March is one case in the quarter): only then is the event query re-run ungrouped.
    `middle` (flow only) is the whole-month range the count table answers: a case it counts for a
    code in the same period is not counted again from the partial months.
    """
    event_date = "date" if basis == FLOW else "case__closed_on"
    events = ProceduralEvent.objects.filter(
        through_case(case_q),
        _in_ranges(event_date, ranges),
        event_type__code__in=EVENT_CODES,
        **case_kwargs(columns, "case__"),
    )
    cases = reviewed_cases(case_q).filter(_in_ranges("closed_on", ranges), **case_kwargs(columns))
    middle = middle if basis == FLOW else None
    event_groups = {f"k_{p}": PERIOD_TRUNC[p](event_date) for p in periods}
    event_groups.update({f"k_{c}": F(f"case__{case_path(c)}") for c in key_columns})
    case_groups = {f"k_{p}": PERIOD_TRUNC[p]("closed_on") for p in periods}
    case_groups.update({f"k_{c}": F(case_path(c)) for c in key_columns})
    counts: dict[tuple, dict[str, int]] = {}
    total: dict[tuple, dict[str, int]] = {}
    grouped_elsewhere = _counted_in(middle, periods) if middle else None
    for row in event_counts(events, event_groups, grouped_elsewhere):
        add(counts, _key(row, periods, key_columns), row, EVENT_TOTALS)
        if not periods:
            add(total, (), row, EVENT_TOTALS)
    if periods:
        add(total, (), event_counts(events, {}, _counted_in(middle, ()) if middle else None)[0], EVENT_TOTALS)
    aggregates = case_aggregates()
    for row in _grouped(cases, case_groups, aggregates):
        add(counts, _key(row, periods, key_columns), row, aggregates)
        add(total, (), row, aggregates)
    return counts, total.get((), {})
