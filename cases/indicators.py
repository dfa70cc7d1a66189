"""DOMAIN.md §9: the indicators shown beside the 案-件比, each with its counterweight.

Same grouping, filters, scope and bases as `cases.ratio.ratio_for` (whose parsing and key resolution
are reused, not repeated). Everything is counted by two aggregate queries per answer, grouped in SQL:
one over the events that feed the indicators (aggregated per case, then per group), one over closed
cases and their outcome fields (and, when grouped by period, the event query once more for the total).

Period attribution:
- `flow`: an event-based count falls in the period of the event's date (退补, 延长, 批捕/不捕
  decisions, 起诉/不诉, 一审判决, 自行补充侦查); "cases received for 审查起诉" are the cases with a
  `prosecution_review` dated in the period; the outcome fields of a case (认罪认罚, 量刑建议) count
  in the period of its closed date, the day they become final.
- `cohort`: everything of the cases closed (审结) in the period, whenever it happened.

Case-counted indicators count a case once per group (COUNT DISTINCT), so a case with two 退补 in one
year counts once in that year's row even when it counts in two monthly rows.

Outcomes (DOMAIN §3) are read from the events' recorded outcomes, never from notes
(`cases.outcomes`): 不捕率 counts the persons of arrest decisions by outcome (批准 / 不批准逮捕);
a decision without a recorded outcome is not counted on either side.
"""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Least
from django.utils.translation import gettext_lazy as _

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
from cases.facts import COHORT, FLOW, PERIOD_TRUNC, case_kwargs, case_path, through_case
from cases.models import Case, ProceduralEvent
from cases.outcomes import ACQUITTED, AMENDED, ARREST_APPROVED, ARREST_REFUSED, REMANDED
from cases.ratio import (
    EVERYTHING,
    RatioFilters,
    Scope,
    attach_codes,
    period_label,
)
from cases.stats_query import StatsQuery

LOWER, HIGHER = "lower", "higher"


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator is: its label, what it counts, which direction is better (None: policy)."""

    label: str
    counts: str  # "cases", "persons" or "events"
    better: str | None
    is_rate: bool = True


INDICATORS: dict[str, IndicatorSpec] = {
    "supplementary_rate": IndicatorSpec(_("退查率"), "cases", LOWER),
    "extension_rate": IndicatorSpec(_("延长率"), "cases", LOWER),
    "non_arrest_rate": IndicatorSpec(_("不捕率"), "persons", None),
    "non_prosecution_rate": IndicatorSpec(_("不诉率"), "persons", None),
    "plea_leniency_rate": IndicatorSpec(_("认罪认罚适用率"), "persons", HIGHER),
    "sentencing_adoption_rate": IndicatorSpec(_("量刑建议采纳率"), "persons", HIGHER),
    "judgment_acceptance_rate": IndicatorSpec(_("一审服判率"), "persons", HIGHER),
    "self_supplementary_count": IndicatorSpec(_("自行补充侦查"), "events", HIGHER, is_rate=False),
    # Counterweights from recorded outcomes (DOMAIN §9, issue 16), all by persons.
    "post_arrest_non_prosecution_rate": IndicatorSpec(_("捕后不诉率"), "persons", LOWER),
    "acquittal_count": IndicatorSpec(_("无罪判决人数"), "persons", LOWER, is_rate=False),
    "acquittal_rate": IndicatorSpec(_("无罪判决率"), "persons", LOWER),
    "amended_remanded_count": IndicatorSpec(_("改判、发回重审人数"), "persons", LOWER, is_rate=False),
}
INDICATOR_NAMES = tuple(INDICATORS)
BETTER: dict[str, str | None] = {name: spec.better for name, spec in INDICATORS.items()}


@dataclass(frozen=True)
class Counterweight:
    """The figures to read beside an indicator, and why (DOMAIN §9: a flattered ratio is a warning)."""

    against: tuple[str, ...]
    reason: str


# "ratio" is the 案-件比 itself (cases.ratio); the rest are INDICATORS names.
COUNTERWEIGHTS: dict[str, Counterweight] = {
    "ratio": Counterweight(
        ("post_arrest_non_prosecution_rate", "acquittal_count", "amended_remanded_count", "supplementary_rate"),
        _("案-件比下降而捕后不诉或无罪、改判上升，是回避必要退补的警示，不是成绩"),
    ),
    "supplementary_rate": Counterweight(
        ("post_arrest_non_prosecution_rate", "acquittal_count", "self_supplementary_count"),
        _("退查率下降须对照捕后不诉率与无罪判决：该退未退会在后面的环节暴露"),
    ),
    "extension_rate": Counterweight(
        ("sentencing_adoption_rate", "judgment_acceptance_rate"),
        _("延长率下降须对照量刑建议采纳率与服判率：审查是否仍然充分"),
    ),
    "non_arrest_rate": Counterweight(
        ("post_arrest_non_prosecution_rate",),
        _("不捕率偏低而捕后不诉上升，说明逮捕把关不严"),
    ),
    "non_prosecution_rate": Counterweight(
        ("post_arrest_non_prosecution_rate", "acquittal_rate"),
        _("不诉率须与捕后不诉率、无罪判决率一并看：该诉不诉与不该诉而诉都是问题"),
    ),
    "plea_leniency_rate": Counterweight(
        ("sentencing_adoption_rate", "judgment_acceptance_rate"),
        _("认罪认罚适用率须对照量刑建议采纳率与服判率：适用不能只求数量"),
    ),
    "sentencing_adoption_rate": Counterweight(
        ("plea_leniency_rate", "judgment_acceptance_rate"),
        _("量刑建议采纳率须对照提出建议的案件数与服判率"),
    ),
    "judgment_acceptance_rate": Counterweight(
        ("amended_remanded_count", "acquittal_rate"),
        _("服判率须对照改判、发回重审与无罪判决：上诉少不等于判得对"),
    ),
    "self_supplementary_count": Counterweight(
        ("supplementary_rate",),
        _("自行补充侦查受鼓励，但不能用来掩盖应当退回补充侦查的案件"),
    ),
    "post_arrest_non_prosecution_rate": Counterweight(
        ("non_arrest_rate",),
        _("捕后不诉率须对照不捕率：压低捕后不诉不能靠少捕"),
    ),
    "acquittal_count": Counterweight(
        ("non_prosecution_rate", "supplementary_rate"),
        _("无罪判决须对照不诉率与退查率：该退补或不诉的案件被起诉"),
    ),
    "acquittal_rate": Counterweight(
        ("non_prosecution_rate", "supplementary_rate"),
        _("无罪判决率须对照不诉率与退查率：该退补或不诉的案件被起诉"),
    ),
    "amended_remanded_count": Counterweight(
        ("judgment_acceptance_rate", "sentencing_adoption_rate"),
        _("改判、发回重审须对照服判率与量刑建议采纳率"),
    ),
}

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


@dataclass
class Indicator:
    """One figure: numerator over denominator, `value` rounded to 4 decimals (None without a denominator).

    Counts (自行补充侦查) have no denominator; their value is the count itself.
    """

    numerator: int
    denominator: int | None
    value: float | int | None

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass
class IndicatorRow:
    """One group: its keys (codes; None for "none"), display labels and the indicators by name."""

    keys: dict[str, str | None]
    labels: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, Indicator] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {**self.keys, **{name: indicator.as_dict() for name, indicator in self.values.items()}}


@dataclass
class IndicatorReport:
    """The answer of `indicators_for`: the grouped rows and the total, with the parameters asked."""

    rows: list[IndicatorRow]
    total: IndicatorRow
    basis: str = FLOW
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    group_by: list[str] = field(default_factory=list)


def rate(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator as a fraction rounded half-up to 4 decimals; None when nothing to divide by."""
    if not denominator:
        return None
    exact = Decimal(numerator) / Decimal(denominator)
    return float(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _code(code: str) -> Q:
    return Q(event_type__code=code)


def outcome_persons(*codes: str):
    """The persons an event records under these outcome codes (0 when it records none of them)."""
    parts = [Coalesce(Cast(KT(f"outcomes__{code}"), IntegerField()), Value(0)) for code in codes]
    return functools.reduce(operator.add, parts)


def _event_aggregates() -> dict:
    """Per case (and group): how many events of each code it has, and the persons they concern.

    The indicators' distinct-case counts are then plain counts of the cases with at least one such
    event (`EVENT_TOTALS`): one aggregation per case instead of a COUNT(DISTINCT) per indicator, which
    the database answers with one sort of all the events per indicator.
    """

    def events(condition: Q) -> Count:
        return Count("pk", filter=condition)

    return {
        "e_reviewed": events(_code(PROSECUTION_REVIEW)),
        "e_returned": events(_code(SUPPLEMENTARY_INVESTIGATION)),
        "e_extended": events(_code(REVIEW_EXTENSION)),
        "e_decided": Sum(outcome_persons(ARREST_APPROVED, ARREST_REFUSED), filter=_code(ARREST_DECISION)),
        "e_not_arrested": Sum(outcome_persons(ARREST_REFUSED), filter=_code(ARREST_DECISION)),
        "e_indicted": Sum("persons", filter=_code(INDICTMENT)),
        "e_not_prosecuted": Sum("persons", filter=_code(NON_PROSECUTION)),
        "e_judged": Sum("persons", filter=_code(JUDGMENT)),
        "e_accepted": Sum("persons", filter=_code(JUDGMENT) & Q(case__judgment_accepted=Case.Acceptance.YES)),
        "e_self_supplementary": events(_code(SELF_SUPPLEMENTARY_INVESTIGATION)),
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


def _event_counts(events: QuerySet, groups: dict) -> list[dict]:
    """The event-based counts per group (one row, no grouping, when there are none) in one statement:
    the events aggregated per case and group by the ORM, then added up per group around it."""
    per_case = events.values(**groups, k_case=F("case_id")).annotate(**_event_aggregates()).order_by()
    connection = connections[per_case.db]
    inner_sql, params = per_case.query.get_compiler(per_case.db).as_sql()
    qn = connection.ops.quote_name
    keys = [qn(name) for name in groups]
    totals = [
        (f"COUNT(*) FILTER (WHERE {qn(column)} > 0)" if how == "cases" else f"SUM({qn(column)})") + f" AS {qn(name)}"
        for name, (how, column) in EVENT_TOTALS.items()
    ]
    sql = f"SELECT {', '.join([*keys, *totals])} FROM ({inner_sql}) AS per_case"
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


def _case_aggregates() -> dict:
    proposed = (Case.Sentencing.PROPOSED, Case.Sentencing.ADOPTED)
    return {
        "n_closed_persons": Sum("persons"),
        "n_plea_persons": Sum("persons", filter=Q(plea_leniency=True)),
        "n_proposed": Sum("persons", filter=Q(sentencing_recommendation__in=proposed)),
        "n_adopted": Sum("persons", filter=Q(sentencing_recommendation=Case.Sentencing.ADOPTED)),
    }


def _values(counts: dict[str, int]) -> dict[str, Indicator]:
    """The indicators of one group from its aggregated counts."""
    pairs = {
        "supplementary_rate": ("n_returned", "n_reviewed"),
        "extension_rate": ("n_extended", "n_reviewed"),
        "non_arrest_rate": ("n_not_arrested", "n_decided"),
        "plea_leniency_rate": ("n_plea_persons", "n_closed_persons"),
        "sentencing_adoption_rate": ("n_adopted", "n_proposed"),
        "judgment_acceptance_rate": ("n_accepted", "n_judged"),
        "post_arrest_non_prosecution_rate": ("n_not_prosecuted_after_arrest", "n_arrested"),
        "acquittal_rate": ("n_acquitted", "n_judged"),
    }
    plain_counts = {
        "self_supplementary_count": "n_self_supplementary",
        "acquittal_count": "n_acquitted",
        "amended_remanded_count": "n_amended_remanded",
    }
    values = {}
    for name in INDICATOR_NAMES:
        if name == "non_prosecution_rate":
            numerator = counts.get("n_not_prosecuted", 0)
            denominator = counts.get("n_indicted", 0) + numerator
        elif name in plain_counts:
            count = counts.get(plain_counts[name], 0)
            values[name] = Indicator(count, None, count)
            continue
        else:
            numerator, denominator = (counts.get(key, 0) for key in pairs[name])
        values[name] = Indicator(numerator, denominator, rate(numerator, denominator))
    return values


def _grouped(queryset: QuerySet, groups: dict, aggregates: dict) -> list[dict]:
    """Aggregate rows grouped by `groups` (one row, no grouping, when there are none)."""
    if not groups:
        return [queryset.aggregate(**aggregates)]
    return list(queryset.values(**groups).annotate(**aggregates).order_by())


def _sources(basis, date_from, date_to, columns, case_q) -> tuple[QuerySet, str, QuerySet]:
    """(events, the event-side date path, closed cases) restricted to the range, filters and scope."""
    events = ProceduralEvent.objects.filter(
        through_case(case_q), event_type__code__in=EVENT_CODES, **case_kwargs(columns, "case__")
    )
    event_date = "date" if basis == FLOW else "case__closed_on"
    events = events.filter(**{f"{event_date}__gte": date_from, f"{event_date}__lte": date_to})
    reviewed = ProceduralEvent.objects.filter(case=OuterRef("pk"), event_type__code=PROSECUTION_REVIEW)
    # 认罪认罚 and 量刑建议 are outcomes of 审查起诉: only cases closed at that stage count.
    cases = Case.objects.filter(
        case_q, Exists(reviewed), closed_on__gte=date_from, closed_on__lte=date_to, **case_kwargs(columns)
    )
    return events, event_date, cases


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


def _add(counts: dict[tuple, dict[str, int]], key: tuple, row: dict, names) -> None:
    target = counts.setdefault(key, {})
    for name in names:
        target[name] = target.get(name, 0) + (row[name] or 0)


def _collect(
    basis, date_from, date_to, columns, case_q, periods, key_columns
) -> tuple[dict[tuple, dict[str, int]], dict[str, int]]:
    """(counts per group key, the total counts) from the aggregate queries.

    Each case sits in exactly one attribution group and one closing period, so every count adds up
    to the total except the distinct case counts of events across periods (a case with 退补 in
    January and March is one case in the quarter): only then is the event query re-run ungrouped.
    """
    events, event_date, cases = _sources(basis, date_from, date_to, columns, case_q)
    event_groups = {f"k_{p}": PERIOD_TRUNC[p](event_date) for p in periods}
    event_groups.update({f"k_{c}": F(f"case__{case_path(c)}") for c in key_columns})
    case_groups = {f"k_{p}": PERIOD_TRUNC[p]("closed_on") for p in periods}
    case_groups.update({f"k_{c}": F(case_path(c)) for c in key_columns})
    counts: dict[tuple, dict[str, int]] = {}
    total: dict[tuple, dict[str, int]] = {}
    for row in _event_counts(events, event_groups):
        _add(counts, _key(row, periods, key_columns), row, EVENT_TOTALS)
        if not periods:
            _add(total, (), row, EVENT_TOTALS)
    if periods:
        _add(total, (), _event_counts(events, {})[0], EVENT_TOTALS)
    case_aggregates = _case_aggregates()
    for row in _grouped(cases, case_groups, case_aggregates):
        _add(counts, _key(row, periods, key_columns), row, case_aggregates)
        _add(total, (), row, case_aggregates)
    return counts, total.get((), {})


def indicators_for(
    *,
    group_by: list[str] | str | None = None,
    basis: str = FLOW,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    filters: RatioFilters | None = None,
    scope: Scope = EVERYTHING,
) -> IndicatorReport:
    """The §9 indicators per group over an inclusive date range, with the grouping and filters of the ratio."""
    query = StatsQuery.build(
        group_by=group_by, basis=basis, date_from=date_from, date_to=date_to, filters=filters, scope=scope
    )
    date_from, date_to = query.date_from, query.date_to
    columns, periods, dims, key_columns = query.columns, query.periods, query.dims, query.key_columns

    case_q = query.scope.case_q()
    grouped: dict[tuple, dict[str, int]] = {}
    totals: dict[str, int] = {}
    if case_q is not None:
        grouped, totals = _collect(basis, date_from, date_to, columns, case_q, periods, key_columns)

    rows = [
        IndicatorRow(keys=dict(zip([*periods, *dims], key, strict=True)), values=_values(counts))
        for key, counts in grouped.items()
        if any(counts.values())
    ]
    attach_codes(rows, dims)
    rows.sort(key=lambda r: tuple((v is None, str(v)) for v in r.keys.values()))  # by code, as the ratio
    total = IndicatorRow(keys={}, values=_values(totals))
    return IndicatorReport(rows, total, basis, date_from, date_to, list(query.group_by))


__all__ = [
    "BETTER",
    "COHORT",
    "COUNTERWEIGHTS",
    "FLOW",
    "INDICATORS",
    "INDICATOR_NAMES",
    "Indicator",
    "IndicatorReport",
    "IndicatorRow",
    "IndicatorSpec",
    "indicators_for",
    "rate",
]
