"""Writes to cases and events: the one path that applies DOMAIN.md §4–§5 and keeps the roll-up.

Forms, the API, the admin and the importer call these functions; nothing else writes events.
Each write locks the case row, checks the sequence rules against the stored events, saves, derives
the case's received date and item count, and updates the roll-up, all in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, F, Min, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import messages, rollup
from cases.models import Case, EventType, ProceduralEvent, RuleSet
from cases.outcomes import choices_for, parse_outcomes
from cases.sequence_rules import EventRecord, Violation, check_change, check_sequence


class SequenceRuleError(ValidationError):
    """Raised when a write would break a DOMAIN.md §5 sequence rule; nothing is saved."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__([str(v) for v in violations], code="sequence_rule")


class StaleVersionError(Exception):
    """The record changed since the version the writer read (optimistic concurrency); nothing is saved."""

    def __init__(self, current: Case | ProceduralEvent, expected: int):
        self.current, self.expected = current, expected
        super().__init__(f"version {expected} is stale, the record is at version {current.version}")


def _check_version(current: Case | ProceduralEvent, expected: int | None) -> None:
    if expected is not None and current.version != expected:
        raise StaleVersionError(current, expected)


def _touch(case_pk: int) -> None:
    """A write to a case's events changes the case too (its timeline, received date, items): new version."""
    Case.objects.filter(pk=case_pk).update(version=F("version") + 1, updated_at=timezone.now())


def today() -> datetime.date:
    """Today in the office's time zone (Asia/Shanghai), the bound of sequence rule 1."""
    return timezone.localdate()


def event_type_for(code: str, on: datetime.date | None = None) -> EventType:
    """The catalogue entry for `code` in the rule set in force on `on` (default: today)."""
    rule_set = RuleSet.objects.in_force_or_latest(on or today())
    try:
        return EventType.objects.get(rule_set=rule_set, code=code)
    except EventType.DoesNotExist:
        raise ValidationError(
            {"event": _("未知的诉讼环节编码 %(code)s") % {"code": repr(code)}}, code="unknown_event"
        ) from None


def checked_outcomes(event_type: EventType, outcomes, persons: int | None) -> tuple[dict | None, int]:
    """(outcomes, persons) of an event after `cases.outcomes.parse_outcomes`; errors name the field."""
    try:
        parsed, persons = parse_outcomes(choices_for(event_type), outcomes, persons)
    except ValidationError as exc:
        raise ValidationError({"outcome": exc.messages}, code="outcome") from None
    return parsed, persons or 1


def stored_records(case: Case, exclude_id: int | None = None) -> list[EventRecord]:
    events = case.events.select_related("event_type").order_by("id")
    if exclude_id:
        events = events.exclude(pk=exclude_id)
    return [EventRecord(e.event_type.code, e.date, e.pk, False, e.event_type.kind) for e in events]


def derive_case_fields(case_ids: Iterable[int] | None = None) -> None:
    """Set each case's received date (earliest base event) and items (DOMAIN §4) from its events.

    Set-based. On PostgreSQL, one UPDATE … FROM (events grouped by case) per 50,000 ids, passed as one
    array, that rewrites only the cases whose values change; elsewhere (and over every case when
    `case_ids` is None) one UPDATE with correlated subqueries per 5,000 ids. Same results either way.
    """
    if case_ids is not None and connection.vendor == "postgresql":
        ids = sorted(set(case_ids))
        for start in range(0, len(ids), 50_000):
            _derive_postgres(ids[start : start + 50_000])
        return
    events = ProceduralEvent.objects.filter(case=OuterRef("pk")).order_by().values("case")
    first_base = events.filter(event_type__kind=EventType.Kind.BASE).annotate(first=Min("date")).values("first")
    extra_weight = (
        events.filter(event_type__kind=EventType.Kind.EXTRA).annotate(w=Sum("event_type__weight")).values("w")
    )
    derived = {
        "received_on": Subquery(first_base),
        "items": SqlCase(
            When(Exists(first_base), then=Value(1) + Coalesce(Subquery(extra_weight), Value(0))),
            default=Value(0),
        ),
    }
    if case_ids is None:
        Case.objects.update(**derived)
        return
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), 5_000):
        Case.objects.filter(pk__in=ids[start : start + 5_000]).update(**derived)


def _derive_postgres(ids: list[int]) -> None:
    cases, events, types = (m._meta.db_table for m in (Case, ProceduralEvent, EventType))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {cases} AS c SET received_on = d.received_on, items = d.items
            FROM (
                SELECT g.id, g.received_on,
                       CASE WHEN g.received_on IS NULL THEN 0 ELSE 1 + g.extra END AS items
                FROM (
                    SELECT ids.id,
                           MIN(e.date) FILTER (WHERE t.kind = %s) AS received_on,
                           COALESCE(SUM(t.weight) FILTER (WHERE t.kind = %s), 0) AS extra
                    FROM unnest(%s::bigint[]) AS ids(id)
                    LEFT JOIN {events} e ON e.case_id = ids.id
                    LEFT JOIN {types} t ON t.id = e.event_type_id
                    GROUP BY ids.id
                ) g
            ) d
            WHERE c.id = d.id AND (c.received_on IS DISTINCT FROM d.received_on OR c.items <> d.items)
            """,
            [EventType.Kind.BASE.value, EventType.Kind.EXTRA.value, ids],
        )


def _lock(case: Case) -> Case:
    # Serialises writers on one case so two clerks cannot break a rule together (DOMAIN §5).
    return Case.objects.select_for_update().get(pk=case.pk)


def log_event(
    case: Case,
    code: str,
    date: datetime.date,
    *,
    persons: int | None = 1,
    prosecutor=None,
    note: str = "",
    outcomes=None,
    reason: str = "",
) -> ProceduralEvent:
    """Record one procedural step of `case`, refusing it if it breaks a sequence rule.

    `outcomes`: the step's outcome as typed or as {code: persons} (`cases.outcomes`); `persons` None
    means the outcomes' sum (else 1).
    """
    event_type = event_type_for(code, date)
    outcomes, persons = checked_outcomes(event_type, outcomes, persons)
    with transaction.atomic():
        locked = _lock(case)
        if ProceduralEvent.objects.filter(case=locked, event_type__code=code, date=date).exists():
            raise ValidationError(
                {"event": _("该案件已有 %(date)s 的同一环节记录") % {"date": date}}, code="duplicate_event"
            )
        incoming = EventRecord(code, date, "new", True, event_type.kind)
        violations = check_sequence(
            stored_records(locked), [incoming], locked.closed_on, today(), locked.closed_on, line=locked.line
        )
        if violations:
            raise SequenceRuleError(violations)
        with rollup.maintained([locked.pk]):
            event = ProceduralEvent(
                case=locked,
                event_type=event_type,
                date=date,
                persons=persons,
                prosecutor=prosecutor or locked.prosecutor,
                note=note,
                outcomes=outcomes,
            )
            event._change_reason = reason or None
            event.save()
            derive_case_fields([locked.pk])
            _touch(locked.pk)
    case.refresh_from_db()
    return event


def update_event(event: ProceduralEvent, *, version: int | None = None, reason: str = "", **changes) -> ProceduralEvent:
    """Correct an event (type, date, persons, prosecutor, note, outcomes); the history keeps the old values and
    `reason`. `version`: the event's version the writer read; a newer one raises `StaleVersionError`.
    """
    with transaction.atomic():
        locked = _lock(event.case)
        event = ProceduralEvent.objects.select_related("event_type").get(pk=event.pk)
        _check_version(event, version)
        code = changes.pop("code", event.event_type.code)
        date = changes.pop("date", event.date)
        retyped = code != event.event_type.code
        if retyped or date != event.date:
            event_type = event_type_for(code, date)
            clash = ProceduralEvent.objects.filter(case=locked, event_type__code=code, date=date).exclude(pk=event.pk)
            if clash.exists():
                raise ValidationError(
                    {"event": _("该案件已有 %(date)s 的同一环节记录") % {"date": date}}, code="duplicate_event"
                )
            moved = EventRecord(code, date, event.pk, True, event_type.kind)
            before = stored_records(locked)
            after = [*stored_records(locked, exclude_id=event.pk), moved]
            violations = check_change(before, after, locked.closed_on, today(), locked.closed_on, line=locked.line)
            if violations:
                raise SequenceRuleError(violations)
            event.event_type, event.date = event_type, date
        if {"outcomes", "persons"} & set(changes) or retyped:
            # The outcomes must still be the (new) type's choices and add up to the persons; new
            # outcomes without persons set the persons to their sum.
            default_persons = None if "outcomes" in changes else event.persons
            given = changes.pop("outcomes", event.outcomes)
            persons = changes.pop("persons", default_persons)
            event.outcomes, event.persons = checked_outcomes(event.event_type, given, persons)
        for name, value in changes.items():
            setattr(event, name, value)
        event.version += 1
        event._change_reason = reason or None
        with rollup.maintained([locked.pk]):
            event.save()
            derive_case_fields([locked.pk])
            _touch(locked.pk)
    return event


def delete_event(event: ProceduralEvent, *, version: int | None = None, reason: str = "") -> None:
    """Remove an event unless the events left behind would break a sequence rule (the history keeps `reason`)."""
    with transaction.atomic():
        locked = _lock(event.case)
        event = ProceduralEvent.objects.select_related("event_type").get(pk=event.pk)
        _check_version(event, version)
        remaining = stored_records(locked, exclude_id=event.pk)
        violations = check_change(
            stored_records(locked), remaining, locked.closed_on, today(), locked.closed_on, line=locked.line
        )
        if violations:
            raise SequenceRuleError(violations)
        event._change_reason = reason or None
        with rollup.maintained([locked.pk]):
            event.delete()
            derive_case_fields([locked.pk])
            _touch(locked.pk)


# What a correction may change on a case (the rest is derived, or its identity).
CASE_EDITABLE_FIELDS = (
    "title",
    "line",
    "category",
    "main_charge",
    "unit",
    "department",
    "prosecutor",
    "team",
    "persons",
    "closed_on",
    "plea_leniency",
    "sentencing_recommendation",
    "judgment_accepted",
)


def save_case(case: Case, fields: Iterable[str] | None = None, *, version: int | None = None, reason: str = "") -> Case:
    """Create a case, or write the given `fields` of `case` (default: every editable one) keeping the rules.

    Only the fields that differ from the row read under the lock are written (`update_fields`), so
    concurrent writers of different fields lose nothing; `version` (the case's version the writer
    read) turns a concurrent change into `StaleVersionError`. A new or changed closed date or line is
    checked against the stored events (DOMAIN §5 rules 6 and 9); `reason` goes to the history.
    """
    if not case.pk:
        try:
            with transaction.atomic():
                case._change_reason = reason or None
                case.save()  # no events yet: it counts nothing until a base step arrives
        except IntegrityError:
            # The number committed meanwhile by a concurrent writer (the form's or serializer's uniqueness
            # check ran before): the same 400 on case_no as any taken number.
            if case.case_no and Case.objects.filter(case_no=case.case_no).exists():
                case.pk = None
                raise ValidationError({"case_no": [messages.CASE_NO_UNAVAILABLE]}, code="unique") from None
            raise
        return case
    names = CASE_EDITABLE_FIELDS if fields is None else [f for f in fields if f in CASE_EDITABLE_FIELDS]
    return update_case(case, {name: getattr(case, name) for name in names}, version=version, reason=reason)


def update_case(case: Case, changes: dict, *, version: int | None = None, reason: str = "") -> Case:
    """Apply `changes` ({field: value}) to the case under its row lock; see `save_case`. Returns the row."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _check_version(locked, version)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        if changed:
            before_closed, before_line = locked.closed_on, locked.line
            for name in changed:
                setattr(locked, name, changes[name])
            if locked.closed_on != before_closed or locked.line != before_line:
                violations = check_sequence(
                    stored_records(locked),
                    [],
                    locked.closed_on,
                    today(),
                    before_closed,
                    line=locked.line,
                    stored_line=before_line,
                )
                if violations:
                    raise SequenceRuleError(violations)
            locked.version += 1
            locked._change_reason = reason or None
            with rollup.maintained([locked.pk]):
                locked.save(update_fields=[*changed, "version", "updated_at"])
    # The caller's copy shows what is stored now (other writers' fields included).
    for field in Case._meta.concrete_fields:
        setattr(case, field.attname, getattr(locked, field.attname))
    return case
