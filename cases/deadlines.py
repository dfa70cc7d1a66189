"""DOMAIN.md §6: statutory deadlines of open cases (early warning).

Three clocks, derived from a case's procedural events alone:

- 审查逮捕: 7 days from the latest `arrest_review`, running while no `arrest_decision` is dated on
  or after it. It also stops once a `prosecution_review` is dated on or after it: the case has
  then moved on to 审查起诉, and an office that does not log decisions must not see a false
  alarm forever.
- 审查起诉: 1 calendar month from the start of the current review period (DOMAIN §5 rule 5: the
  latest `prosecution_review`, `resubmission` or `jurisdiction_transfer`), plus 15 days when a
  `review_extension` is dated in that period. Paused while a `supplementary_investigation` is
  outstanding; over once an `indictment` or `non_prosecution` is dated in the current period.
- 退回补充侦查: the police have 1 calendar month to resubmit, from the latest
  `supplementary_investigation` not yet followed by a `resubmission`.

Closed cases (审结) have no running clock. Terms are calendar terms; months follow the month-end
rule of `cases.dates.months_after` (02-28 + 1 month = 03-31, 01-31 + 1 month = 02-28/29). They live in
`DEFAULT_TERMS` and may be overridden by `settings.CASEQA_DEADLINE_TERMS`, e.g.
``{"arrest_review": {"days": 7}, "review_extension": {"days": 15}}`` (keys `years`, `months`, `weeks`,
`days`). A working-day calendar is a later refinement that would replace `_add_term` only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import groupby
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import gettext

from cases import services
from cases.codes import (
    ARREST_DECISION,
    ARREST_REVIEW,
    PROSECUTION_REVIEW,
    RESUBMISSION,
    REVIEW_ENDS,
    REVIEW_EXTENSION,
    REVIEW_PERIOD_STARTS,
    SUPPLEMENTARY_INVESTIGATION,
)
from cases.dates import months_after
from cases.models import Case, EventType, ProceduralEvent

KINDS = (ARREST_REVIEW, PROSECUTION_REVIEW, SUPPLEMENTARY_INVESTIGATION)

OK, AT_RISK, OVERDUE = "ok", "at_risk", "overdue"

# The statutory terms, in one place (刑诉法 §91, §172, §175): one per clock kind, plus the
# lengthening a `review_extension` gives the review clock; months first, then days.
DEFAULT_TERMS: dict[str, dict[str, int]] = {
    ARREST_REVIEW: {"days": 7},
    PROSECUTION_REVIEW: {"months": 1},
    REVIEW_EXTENSION: {"days": 15},
    SUPPLEMENTARY_INVESTIGATION: {"months": 1},
}

# Every event code the clocks read; `at_risk` fetches only these.
RELEVANT_CODES = frozenset(
    {ARREST_REVIEW, ARREST_DECISION, REVIEW_EXTENSION, SUPPLEMENTARY_INVESTIGATION} | REVIEW_PERIOD_STARTS | REVIEW_ENDS
)


def _labels() -> dict[str, str]:
    # Built per call so that the active language (zh-hans by default, or en) applies.
    return {
        ARREST_REVIEW: gettext("审查逮捕期限"),
        PROSECUTION_REVIEW: gettext("审查起诉期限"),
        SUPPLEMENTARY_INVESTIGATION: gettext("退回补充侦查期限"),
    }


@dataclass
class Deadline:
    """One running statutory clock of an open case: when it started, when it falls due, how it stands."""

    case_id: int
    case_no: str
    kind: str
    label: str
    starts_on: datetime.date
    due_on: datetime.date
    days_left: int
    status: str

    def as_dict(self) -> dict:
        """Plain values for JSON / CSV (dates as ISO strings)."""
        data = asdict(self)
        data["starts_on"], data["due_on"] = self.starts_on.isoformat(), self.due_on.isoformat()
        return data


class ClockEvent(NamedTuple):
    """A case event as the clocks read it: its code, date and whether it is a base step."""

    code: str
    date: datetime.date
    is_base: bool


class Term(NamedTuple):
    """A statutory term: whole months (by the month-end rule) and then days."""

    months: int = 0
    days: int = 0


TERM_UNITS = {"years": (12, 0), "months": (1, 0), "weeks": (0, 7), "days": (0, 1)}


def _term(key: str, value: dict[str, int]) -> Term:
    unknown = set(value) - set(TERM_UNITS)
    if unknown:
        raise ImproperlyConfigured(f"CASEQA_DEADLINE_TERMS[{key!r}]: unknown unit(s) {sorted(unknown)}")
    months = sum(TERM_UNITS[unit][0] * int(n) for unit, n in value.items())
    days = sum(TERM_UNITS[unit][1] * int(n) for unit, n in value.items())
    return Term(months, days)


def terms() -> dict[str, Term]:
    """The terms in force: `DEFAULT_TERMS` with `settings.CASEQA_DEADLINE_TERMS` laid over them."""
    merged = {**DEFAULT_TERMS, **(getattr(settings, "CASEQA_DEADLINE_TERMS", None) or {})}
    return {key: _term(key, value) for key, value in merged.items()}


def at_risk_days() -> int:
    """Days before a deadline from which an open case is at risk (settings.CASEQA_AT_RISK_DAYS, default 5)."""
    return int(getattr(settings, "CASEQA_AT_RISK_DAYS", 5))


@lru_cache(maxsize=65536)
def _add_term(start: datetime.date, *deltas: Term) -> datetime.date:
    """Calendar arithmetic: each term's months by the month-end rule (DOMAIN §6), then its days.

    Cached: an office's open cases share a few hundred start dates.
    """
    due = start
    for delta in deltas:
        due = months_after(due, delta.months) + datetime.timedelta(days=delta.days)
    return due


def status_of(days_left: int, within_days: int) -> str:
    """`overdue` past the due date, `at_risk` within `within_days` of it (the due day included), else `ok`."""
    if days_left < 0:
        return OVERDUE
    if days_left <= within_days:
        return AT_RISK
    return OK


def _ordered(events: Iterable[ClockEvent]) -> list[ClockEvent]:
    # The order of DOMAIN §5: by date, base steps first on one date, then order of entry.
    indexed = list(enumerate(events))
    indexed.sort(key=lambda pair: (pair[1][1], not pair[1][2], pair[0]))
    return [event for _position, event in indexed]


def clocks(
    events: Iterable[ClockEvent], term: dict[str, Term] | None = None
) -> list[tuple[str, datetime.date, datetime.date]]:
    """(kind, starts_on, due_on) of each clock running on a case's events (given in order of entry).

    `term` is `terms()` unless the caller, folding many cases, has read it once already.
    """
    term = term or terms()
    arrest_start = arrest_end = None
    period_start = None
    extended_on: list[datetime.date] = []
    ended_on: list[datetime.date] = []
    open_return: datetime.date | None = None
    for code, day, _is_base in _ordered(events):
        if code == ARREST_REVIEW:
            arrest_start = day
        elif code == ARREST_DECISION:
            arrest_end = day if arrest_end is None else max(arrest_end, day)
        if code in REVIEW_PERIOD_STARTS:
            period_start = day  # events come in date order: the last start is the current period
        if code == PROSECUTION_REVIEW:
            arrest_end = day if arrest_end is None else max(arrest_end, day)
        if code == REVIEW_EXTENSION:
            extended_on.append(day)
        if code in REVIEW_ENDS:
            ended_on.append(day)
        if code == SUPPLEMENTARY_INVESTIGATION:
            open_return = day
        elif code == RESUBMISSION:
            open_return = None

    found = []
    if arrest_start is not None and (arrest_end is None or arrest_end < arrest_start):
        found.append((ARREST_REVIEW, arrest_start, _add_term(arrest_start, term[ARREST_REVIEW])))
    if open_return is not None:
        found.append(
            (SUPPLEMENTARY_INVESTIGATION, open_return, _add_term(open_return, term[SUPPLEMENTARY_INVESTIGATION]))
        )
    elif period_start is not None and not any(day >= period_start for day in ended_on):
        # Rule 5: an extension dated on the day a period starts belongs to that new period.
        deltas = [term[PROSECUTION_REVIEW]]
        if any(day >= period_start for day in extended_on):
            deltas.append(term[REVIEW_EXTENSION])
        found.append((PROSECUTION_REVIEW, period_start, _add_term(period_start, *deltas)))
    return found


def _deadlines(
    case_id: int,
    case_no: str,
    events: Iterable[ClockEvent],
    today: datetime.date,
    within_days: int,
    term: dict[str, Term],
    labels: dict[str, str],
    at_risk_only: bool = False,
) -> list[Deadline]:
    result = []
    for kind, starts_on, due_on in clocks(events, term):
        days_left = (due_on - today).days
        if at_risk_only and days_left > within_days:
            continue
        result.append(
            Deadline(
                case_id=case_id,
                case_no=case_no,
                kind=kind,
                label=labels[kind],
                starts_on=starts_on,
                due_on=due_on,
                days_left=days_left,
                status=status_of(days_left, within_days),
            )
        )
    return result


def _event_rows(events: QuerySet) -> QuerySet:
    return (
        events.filter(event_type__code__in=RELEVANT_CODES)
        .order_by("case_id", "id")
        .values_list("case_id", "case__case_no", "event_type__code", "event_type__kind", "date")
    )


def _sort_key(deadline: Deadline) -> tuple:
    return (deadline.due_on, deadline.case_no, KINDS.index(deadline.kind))


def current_deadlines(case: Case, today: datetime.date | None = None) -> list[Deadline]:
    """Every clock running on `case` today, whatever its status; none when the case is closed.

    Only criminal cases have these statutory clocks (DOMAIN §5 rule 9, §6).
    """
    if case.closed_on is not None or case.line != Case.Line.CRIMINAL:
        return []
    today = today or services.today()
    rows = _event_rows(ProceduralEvent.objects.filter(case_id=case.pk))
    events = [ClockEvent(code, day, kind == EventType.Kind.BASE) for _id, _no, code, kind, day in rows]
    found = _deadlines(case.pk, case.case_no, events, today, at_risk_days(), terms(), _labels())
    return sorted(found, key=_sort_key)


def at_risk(
    cases_queryset: QuerySet[Case], today: datetime.date | None = None, within_days: int | None = None
) -> list[Deadline]:
    """Deadlines of the open cases in `cases_queryset` due within `within_days` or overdue, by due date.

    One query whatever the number of cases: the relevant events of the open cases, streamed in
    case order and folded in Python (a case holds a handful of such events). Overdue clocks stay
    listed however old, so no date bound can prune the query.
    """
    today = today or services.today()
    within_days = at_risk_days() if within_days is None else within_days
    # Read once per call: settings, gettext and the enum cost more than folding a case.
    term, labels, base = terms(), _labels(), EventType.Kind.BASE.value
    # Only open criminal cases run the statutory clocks (DOMAIN §5 rule 9).
    open_cases = cases_queryset.filter(closed_on__isnull=True, line=Case.Line.CRIMINAL).order_by().values("pk")
    rows = _event_rows(ProceduralEvent.objects.filter(case_id__in=open_cases)).iterator(chunk_size=5000)
    found: list[Deadline] = []
    for (case_id, case_no), case_rows in groupby(rows, key=lambda row: (row[0], row[1])):
        # Plain tuples in ClockEvent's field order: a named tuple per row costs more than the fold.
        events = [(code, day, kind == base) for _id, _no, code, kind, day in case_rows]
        found.extend(_deadlines(case_id, case_no, events, today, within_days, term, labels, at_risk_only=True))
    found.sort(key=_sort_key)
    return found
