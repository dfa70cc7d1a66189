"""The case list's filters, read from the query string: the target of every dashboard drill-down.

Attribution filters (`unit`, `within` = a unit and its subtree, `department`, `team` (or `none`),
`prosecutor`, `line`, `category`, `charge` (the main charge's code or name), `charge_chapter` (1–10))
take codes as the API does. The counting filters list exactly the
cases behind a figure of the ratio (DOMAIN §4):

- `basis=flow` + a date range (`month=YYYY-MM`, or `date_from` / `date_to`): cases received in it;
  with `event=<code>`: cases with such an event dated in it; with `count=items`: cases received in
  it or with any extra event dated in it (every case that adds to the items figure);
- `basis=cohort`: cases closed in the range (that have a base event); with `event=<code>`: those of
  them that hold such an event, whenever it happened.

`outcome=<code>` (with `event`) keeps only the events of that code whose recorded outcomes include it
(批准/不批准逮捕, 无罪…), as `cases.indicators` counts them; `listed_persons` then says how many persons
those outcomes concern, so the list matches a person-counted figure.

`review_grade`, `finding_dimension` (a 评查维度 code) and `finding_item` (a review item's code) list the
cases with such a final review, made final in `review_from`..`review_to`. `case_nos` (comma-separated
case numbers) lists the few cases of a figure that has no other filter, such as an assessment line.
The page also says how many items the listed cases carry in the figure (`listed_items`).

A bad value never fails the page: it is reported with its parameter name and ignored.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cases.facts import BASES, COHORT, FLOW
from cases.filters import CaseFilterSet
from cases.models import Case, Dimension, EventType, Finding, Grade, ProceduralEvent, QualityReview
from cases.outcomes import ACQUITTED, AMENDED, ARREST_APPROVED, ARREST_REFUSED, PARTLY_ACQUITTED, REMANDED
from teams.access import subtree_ids
from teams.models import Unit
from teams.periods import add_months, parse_month

FILTER_PARAMS = (
    "q",
    "unit",
    "within",
    "department",
    "team",
    "prosecutor",
    "line",
    "category",
    "charge",
    "charge_chapter",
    "status",
    "basis",
    "month",
    "date_from",
    "date_to",
    "event",
    "outcome",
    "count",
    "review_grade",
    "review_from",
    "review_to",
    "case_nos",
    "finding_dimension",
    "finding_item",
)

OUTCOME_CODES = frozenset((ARREST_APPROVED, ARREST_REFUSED, ACQUITTED, PARTLY_ACQUITTED, AMENDED, REMANDED))

# At most this many case numbers in `case_nos` (a figure made of a handful of cases, e.g. an
# assessment line); a longer list is refused rather than making an unbounded IN clause.
CASE_NOS_LIMIT = 200


def _date(params, name: str, errors: list[str]) -> datetime.date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        message = _("参数 %(name)s 的值 “%(value)s” 不是有效日期（格式 YYYY-MM-DD）")
        errors.append(message % {"name": name, "value": raw})
        return None


def date_range(params, errors: list[str]) -> tuple[datetime.date | None, datetime.date | None]:
    """`month` (YYYY-MM) or `date_from` / `date_to` (inclusive ISO dates)."""
    month = params.get("month")
    if month:
        try:
            first = parse_month(month)
        except ValueError:
            errors.append(_("参数 month 的值 “%(value)s” 不是有效月份（格式 YYYY-MM）") % {"value": month})
        else:
            return first, add_months(first, 1) - datetime.timedelta(days=1)
    return _date(params, "date_from", errors), _date(params, "date_to", errors)


def filter_cases(queryset: QuerySet[Case], params, request=None) -> tuple[QuerySet[Case], list[str]]:
    """Narrow `queryset` by the filters in `params`; (queryset, messages for ignored bad values).

    The attribution filters are the shared `cases.filters.CaseFilterSet` (the API's); `within`,
    `status`, `team=none` and the counting filters are the list's own.
    """
    errors: list[str] = []
    data = params.copy()
    if data.get("team") == "none":
        data.pop("team")
        data["no_team"] = "true"
    status = params.get("status", "")
    data.pop("status", None)
    if status in ("open", "closed"):
        data["is_open"] = "true" if status == "open" else "false"
    filterset = CaseFilterSet(data, queryset=queryset, request=request)
    for name, problems in filterset.errors.items():
        errors.extend(f"{name}：{problem}" for problem in problems)
    queryset = filterset.qs  # fields that failed validation are left out, never the whole list
    within = params.get("within")
    if within:
        # Among the units the user may see: another unit's code is answered like an unknown one.
        units = Unit.objects.all() if request is None else Unit.objects.readable_by(request.user)
        found = list(units.filter(Q(code=within) | Q(name=within)).values_list("pk", flat=True)[:2])
        if len(found) == 1:
            queryset = queryset.filter(unit_id__in=subtree_ids(found))
        else:
            errors.append(_("参数 %(name)s：找不到 “%(value)s”") % {"name": "within", "value": within})
    if any(params.get(name) for name in ("review_grade", "finding_dimension", "finding_item")):
        queryset = _review_filter(queryset, params, errors)
    case_nos = [n.strip() for n in params.get("case_nos", "").split(",") if n.strip()]
    if len(case_nos) > CASE_NOS_LIMIT:
        errors.append(_("参数 case_nos 最多 %(n)d 个案号") % {"n": CASE_NOS_LIMIT})
    elif case_nos:
        queryset = queryset.filter(case_no__in=case_nos)
    return _counting_filters(queryset, params, errors), errors


def listed_items(queryset: QuerySet[Case], params) -> int:
    """The items (件数) the listed cases carry in the figure they drill down from (DOMAIN §4).

    Under `flow` with a date range: each listed case received in it counts 1, plus the weighted extra
    events dated in it (with `event`, only that event's); under `cohort`: each listed case 1 plus all
    its weighted extras (with `event`, only that event's); without a basis, the cases' own items.
    So the `count=items` list of a figure totals that figure's items, and an `event` list its extras.
    """
    basis = params.get("basis")
    if basis not in BASES:
        return queryset.aggregate(n=Sum("items"))["n"] or 0
    date_from, date_to = date_range(params, [])
    event = params.get("event")
    events = ProceduralEvent.objects.filter(case__in=queryset.values("pk"), event_type__kind=EventType.Kind.EXTRA)
    if event:
        events = events.filter(event_type__code=event)
    base = 0
    if basis == FLOW:
        if date_from:
            events = events.filter(date__gte=date_from)
        if date_to:
            events = events.filter(date__lte=date_to)
        if not event:
            received = queryset.filter(received_on__isnull=False)
            if date_from:
                received = received.filter(received_on__gte=date_from)
            if date_to:
                received = received.filter(received_on__lte=date_to)
            base = received.count()
    elif not event:
        base = queryset.count()
    return base + (events.aggregate(n=Sum("event_type__weight"))["n"] or 0)


def listed_persons(queryset: QuerySet[Case], params) -> int | None:
    """With `event` and `outcome`: the persons the listed cases' matching events record under that
    outcome (dated in the range on `flow`, whenever on `cohort`), as the indicators sum them."""
    event, codes = params.get("event"), _outcome_codes(params.get("outcome"))
    if not (event and codes):
        return None
    from cases.indicator_counts import outcome_persons

    events = ProceduralEvent.objects.filter(case__in=queryset.values("pk"), event_type__code=event)
    if params.get("basis") == FLOW:
        date_from, date_to = date_range(params, [])
        if date_from:
            events = events.filter(date__gte=date_from)
        if date_to:
            events = events.filter(date__lte=date_to)
    return events.aggregate(n=Sum(outcome_persons(*codes)))["n"] or 0


def _outcome_codes(raw: str | None) -> list[str]:
    """`outcome`: one code or several, comma-separated (a denominator such as 批准 + 不批准); [] if any is unknown."""
    codes = [c.strip() for c in (raw or "").split(",") if c.strip()]
    return codes if codes and all(c in OUTCOME_CODES for c in codes) else []


def _review_filter(queryset: QuerySet[Case], params, errors: list[str]) -> QuerySet[Case]:
    """Cases with a final review that became final in `review_from`..`review_to`, of `review_grade`,
    with a finding in `finding_dimension` or of the review item `finding_item` (each when given)."""
    reviews = QualityReview.objects.filter(case_id=OuterRef("pk"), status=QualityReview.Status.FINAL)
    grade = params.get("review_grade")
    if grade and grade not in Grade.values:
        errors.append(_("参数 review_grade 的值 “%(value)s” 无效") % {"value": grade})
        return queryset
    if grade:
        reviews = reviews.filter(final_grade=grade)
    dimension = params.get("finding_dimension")
    if dimension and dimension not in Dimension.values:
        errors.append(_("参数 finding_dimension 的值 “%(value)s” 无效") % {"value": dimension})
        return queryset
    findings = Finding.objects.filter(review_id=OuterRef("pk"))
    if dimension:
        findings = findings.filter(dimension=dimension)
    if params.get("finding_item"):
        findings = findings.filter(item__code=params["finding_item"])
    if dimension or params.get("finding_item"):
        reviews = reviews.filter(Exists(findings))
    for name, lookup in (("review_from", "final_on__gte"), ("review_to", "final_on__lte")):
        day = _date(params, name, errors)
        if day:
            reviews = reviews.filter(**{lookup: day})
    return queryset.filter(Exists(reviews))


def _counting_filters(queryset: QuerySet[Case], params, errors: list[str]) -> QuerySet[Case]:
    basis = params.get("basis") or None
    if basis and basis not in BASES:
        errors.append(_("参数 basis 只能是 flow 或 cohort"))
        basis = None
    date_from, date_to = date_range(params, errors)
    event = params.get("event")
    if event and not EventType.objects.filter(code=event).exists():
        errors.append(_("参数 event：未知的诉讼环节编码 “%(value)s”") % {"value": event})
        event = None

    def dated(prefix: str) -> Q:
        q = Q()
        if date_from:
            q &= Q(**{f"{prefix}__gte": date_from})
        if date_to:
            q &= Q(**{f"{prefix}__lte": date_to})
        return q

    events = ProceduralEvent.objects.filter(case_id=OuterRef("pk"))
    outcome = params.get("outcome")
    codes = _outcome_codes(outcome)
    if outcome and not codes:
        errors.append(_("参数 outcome：未知的结果编码 “%(value)s”") % {"value": outcome})
    elif outcome and not event:
        errors.append(_("参数 outcome 须与参数 event 一起使用"))
    elif outcome:
        events = events.filter(outcomes__has_any_keys=codes)
    if basis == FLOW:
        if event:
            matching = events.filter(dated("date"), event_type__code=event)
            return queryset.filter(Exists(matching), received_on__isnull=False)
        received = Q(received_on__isnull=False) & dated("received_on")
        if params.get("count") == "items":
            extras = events.filter(dated("date"), event_type__kind=EventType.Kind.EXTRA)
            return queryset.filter(received_on__isnull=False).filter(received | Q(Exists(extras)))
        return queryset.filter(received)
    if basis == COHORT:
        queryset = queryset.filter(dated("closed_on"), received_on__isnull=False, closed_on__isnull=False)
        if event:
            queryset = queryset.filter(Exists(events.filter(event_type__code=event)))
        return queryset
    # No basis: dates bound the received date, an event code any case holding one.
    queryset = queryset.filter(dated("received_on"))
    if event:
        queryset = queryset.filter(Exists(events.filter(event_type__code=event)))
    return queryset
