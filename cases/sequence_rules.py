"""DOMAIN.md §5: the sequence rules a case's events must keep, checked wherever events enter.

Pure computation over small records so that the import (thousands of cases at once), the forms,
the API and the admin all call the same code. A case's stored and incoming events are checked
together in date order; on one date, base steps first, then the order of entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caseqa.wording import labelled
from cases.codes import (
    ARREST_DECISION,
    ARREST_RECONSIDERATION,
    ARREST_REVIEW,
    ARREST_SUPERIOR_REVIEW,
    BASE_CODES,
    INDICTMENT,
    JUDGMENT,
    JURISDICTION_TRANSFER,
    NON_PROSECUTION,
    NON_PROSECUTION_RECONSIDERATION,
    NON_PROSECUTION_SUPERIOR_REVIEW,
    PROSECUTION_REVIEW,
    RESUBMISSION,
    RETRIAL,
    REVIEW_EXTENSION,
    REVIEW_PERIOD_STARTS,
    SECOND_INSTANCE,
    SELF_SUPPLEMENTARY_INVESTIGATION,
    SUPPLEMENTARY_INVESTIGATION,
    TRIAL_SUPPLEMENTARY_INVESTIGATION,
)

EARLIEST_DATE = datetime.date(2000, 1, 1)

NEEDS_PROSECUTION_REVIEW = frozenset(
    {SUPPLEMENTARY_INVESTIGATION, REVIEW_EXTENSION, INDICTMENT, NON_PROSECUTION, JURISDICTION_TRANSFER}
)
NEEDS_PREDECESSOR = {
    ARREST_RECONSIDERATION: ARREST_REVIEW,
    ARREST_DECISION: ARREST_REVIEW,
    ARREST_SUPERIOR_REVIEW: ARREST_RECONSIDERATION,
    NON_PROSECUTION_SUPERIOR_REVIEW: NON_PROSECUTION_RECONSIDERATION,
}
REVIEW_STAGE_ONLY = frozenset(
    {SUPPLEMENTARY_INVESTIGATION, REVIEW_EXTENSION, RESUBMISSION, SELF_SUPPLEMENTARY_INVESTIGATION}
)
MAX_SUPPLEMENTARY_ROUNDS = 2
# Rule 7: each intake (base step) happens once; a case coming back is a resubmission or a transfer.
ONE_INTAKE_CODES = BASE_CODES
# Rule 8: trial-stage steps follow a prosecution (提起公诉) dated on or before them.
NEEDS_INDICTMENT = frozenset({SECOND_INSTANCE, RETRIAL, TRIAL_SUPPLEMENTARY_INVESTIGATION, JUDGMENT})
# Rule 9: the seeded catalogue (criminal-2020) is the criminal line's; other lines take none of its steps.
CRIMINAL_LINE = "criminal"

RULE_TITLES = {
    "date_range": _("规则1：环节日期不得晚于今天，也不得早于2000-01-01"),
    "needs_prosecution_review": _("规则2：该环节须以审查起诉受理为前提"),
    "resubmission_needs_return": _("规则2：重新移送须以尚未重新移送的退回补充侦查为前提"),
    "needs_predecessor": _("规则3：该环节须以前序环节为前提"),
    "supplementary_limit": _("规则4：退回补充侦查以二次为限"),
    "one_extension_per_period": _("规则5：每个审查起诉期限内只能延长一次"),
    "after_closure": _("规则6：审结后不得再有审查起诉阶段的环节"),
    "one_intake": _("规则7：每个案件的审查逮捕受理、审查起诉受理各只能有一次"),
    "needs_indictment": _("规则8：审判阶段的环节须以提起公诉为前提"),
    "case_line": _("规则9：刑事诉讼环节只适用于刑事案件"),
}
# What broke, per rule: rendered in the reader's language from the violation's parameters (`event` and
# `needed` are event codes, shown as their labels; `line` a case line, shown as its label).
MESSAGES = {
    "date_range": _("%(event)s %(date)s：日期须在 %(earliest)s 至 %(today)s 之间"),
    "needs_prosecution_review": _("%(event)s（%(date)s）之前没有审查起诉受理"),
    "resubmission_needs_return": _("重新移送（%(date)s）之前没有尚未重新移送的退回补充侦查"),
    "needs_predecessor": _("%(event)s（%(date)s）之前没有%(needed)s"),
    "supplementary_limit": _("退回补充侦查（%(date)s）将是第%(rounds)d次"),
    "one_extension_per_period": _("延长审查起诉期限（%(date)s）所在审查期限（自%(period_start)s起）已延长过"),
    "after_closure": _("%(event)s（%(date)s）晚于审结日期%(closed_on)s"),
    "one_intake": _("本案已有%(event)s，不能再受理一次（%(date)s）"),
    "needs_indictment": _("%(event)s（%(date)s）之前没有提起公诉"),
    "case_line": _("%(event)s（%(date)s）是刑事诉讼环节，本案属%(line)s条线"),
}
# Rules whose violation on a stored event is the case's fault (its closed date or line), not an event's.
CASE_FIELD_RULES = frozenset({"after_closure", "case_line"})


@dataclass(frozen=True)
class EventRecord:
    """One event as the rules see it; `ref` identifies it to the caller (an id, a row number, a form)."""

    code: str
    date: datetime.date
    ref: Hashable
    incoming: bool = False
    kind: str = ""

    @property
    def is_base(self) -> bool:
        return self.kind == "base" if self.kind else self.code in BASE_CODES


@dataclass
class Violation:
    """A broken sequence rule: the rule's id, the event that broke it, the parameters of its message
    (rendered in the reader's language when read) and which incoming event to blame."""

    rule: str
    event: EventRecord
    params: dict = field(default_factory=dict)
    blamed: EventRecord | None = None
    details: dict = field(default_factory=dict)

    @property
    def rule_title(self) -> str:
        return str(RULE_TITLES[self.rule])

    @property
    def message(self) -> str:
        shown = {"date": self.event.date, **self.params, "event": label(self.event.code)}
        if "needed" in shown:
            shown["needed"] = label(shown["needed"])
        if "line" in shown:
            shown["line"] = line_label(shown["line"])
        return str(MESSAGES[self.rule]) % shown

    def __str__(self) -> str:
        return labelled(self.rule_title, self.message)


def label(code: str) -> str:
    """The label of an event code in the active language, for messages (falls back to the code)."""
    from cases.catalogue_seed import CRIMINAL_2020_EVENTS

    english = (get_language() or "").startswith("en")
    for c, zh, en, _kind in CRIMINAL_2020_EVENTS:
        if c == code:
            return en if english else zh
    return code


def line_label(line: str) -> str:
    """The label of a case line (业务条线), for messages (falls back to the code)."""
    from cases.models import Case

    try:
        return str(Case.Line(line).label)
    except ValueError:
        return line


def ordered(events: Iterable[EventRecord]) -> list[EventRecord]:
    """Date order; on one date base steps first, then order of entry (stored before incoming)."""
    indexed = list(enumerate(events))
    indexed.sort(key=lambda pair: (pair[1].date, not pair[1].is_base, pair[0]))
    return [event for _i, event in indexed]


def _violations(
    events: list[EventRecord], closed_on: datetime.date | None, today: datetime.date, line: str = CRIMINAL_LINE
) -> list[Violation]:
    found: list[Violation] = []
    # "Needs X" means an X dated on or before it (§5), whatever the order of entry on that date.
    indictments = [e.date for e in events if e.code == INDICTMENT]
    first_indictment = min(indictments) if indictments else None
    seen: set[str] = set()
    open_return = False
    supplementary_rounds = 0
    extension_periods: set[datetime.date] = set()
    period_start: datetime.date | None = None
    for event in ordered(events):
        code = event.code
        if line != CRIMINAL_LINE:
            found.append(Violation("case_line", event, {"line": line}))
        if code in ONE_INTAKE_CODES and code in seen:
            found.append(Violation("one_intake", event))
        if code in NEEDS_INDICTMENT and (first_indictment is None or first_indictment > event.date):
            found.append(Violation("needs_indictment", event))
        if event.incoming and not (EARLIEST_DATE <= event.date <= today):
            found.append(Violation("date_range", event, {"earliest": EARLIEST_DATE, "today": today}))
        if code in NEEDS_PROSECUTION_REVIEW and PROSECUTION_REVIEW not in seen:
            found.append(Violation("needs_prosecution_review", event))
        needed = NEEDS_PREDECESSOR.get(code)
        if needed and needed not in seen:
            found.append(Violation("needs_predecessor", event, {"needed": needed}))
        if code == RESUBMISSION:
            if not open_return:
                found.append(Violation("resubmission_needs_return", event))
            open_return = False
        if code == SUPPLEMENTARY_INVESTIGATION:
            supplementary_rounds += 1
            open_return = True
            if supplementary_rounds > MAX_SUPPLEMENTARY_ROUNDS:
                found.append(Violation("supplementary_limit", event, {"rounds": supplementary_rounds}))
        if code in REVIEW_PERIOD_STARTS:
            period_start = event.date
        if code == REVIEW_EXTENSION and period_start is not None:
            if period_start in extension_periods:
                found.append(Violation("one_extension_per_period", event, {"period_start": period_start}))
            extension_periods.add(period_start)
        if code in REVIEW_STAGE_ONLY and closed_on is not None and event.date > closed_on:
            found.append(Violation("after_closure", event, {"closed_on": closed_on}))
        seen.add(code)
    return found


def _key(violation: Violation) -> tuple:
    return (violation.rule, violation.event.ref)


def check_change(
    before: Iterable[EventRecord],
    after: Iterable[EventRecord],
    closed_on: datetime.date | None,
    today: datetime.date,
    before_closed_on: datetime.date | None = None,
    *,
    line: str = CRIMINAL_LINE,
    before_line: str | None = None,
) -> list[Violation]:
    """The violations a change to one case's events brings: those of `after` that `before` lacked.

    `after` is the whole event set once the change is made, its new or moved events flagged
    `incoming`; `before` the set as stored. Violations already in `before` are not the change's
    fault and are not reported. A violation on a stored event is blamed on the last incoming event
    ordered before it, else on the first incoming one; one caused only by a new closed date or line, or
    by a deletion, has no incoming event to blame (`blamed` None: the case row or form is at fault).
    """
    before_line = line if before_line is None else before_line
    already = {_key(v) for v in _violations(list(before), before_closed_on, today, before_line)}
    after = list(after)
    in_order = ordered(after)
    positions = {id(event): position for position, event in enumerate(in_order)}
    incoming = [e for e in in_order if e.incoming]
    result = []
    for violation in _violations(after, closed_on, today, line):
        if not violation.event.incoming and _key(violation) in already:
            continue
        if violation.event.incoming:
            violation.blamed = violation.event
        elif violation.rule in CASE_FIELD_RULES or not incoming:
            violation.blamed = None  # a new closed date or line, or a deletion, is at fault: no incoming event
        else:
            earlier = [e for e in in_order[: positions[id(violation.event)]] if e.incoming]
            violation.blamed = earlier[-1] if earlier else incoming[0]
        result.append(violation)
    return result


def check_sequence(
    stored: Iterable[EventRecord],
    incoming: Iterable[EventRecord],
    closed_on: datetime.date | None,
    today: datetime.date,
    stored_closed_on: datetime.date | None = None,
    *,
    line: str = CRIMINAL_LINE,
    stored_line: str | None = None,
) -> list[Violation]:
    """The violations that incoming events (or a new closed date or line) bring to one case's stored events."""
    stored = [EventRecord(e.code, e.date, e.ref, False, e.kind) for e in stored]
    incoming = [EventRecord(e.code, e.date, e.ref, True, e.kind) for e in incoming]
    return check_change(
        stored, stored + incoming, closed_on, today, stored_closed_on, line=line, before_line=stored_line
    )
