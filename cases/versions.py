"""What changed in a case or event since the version a writer read (optimistic concurrency, from the history).

Every write through `cases.services` raises the record's `version`; the audit history (django-simple-history)
keeps each version's values, so a stale writer can be told field by field what the others changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from cases.models import Case, ProceduralEvent

# Bookkeeping, not a clerk's change.
IGNORED = {"version", "items", "received_on", "updated_at", "created_at"}


@dataclass(frozen=True)
class Change:
    """One field's value then (at the version read) and now."""

    field: str
    label: str
    before: str
    after: str


def _display(model, name: str, value) -> str:
    field = model._meta.get_field(name)
    if value in (None, ""):
        return ""
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def changes_since(record: Case | ProceduralEvent, version: int) -> list[Change]:
    """Field changes from the record's state at `version` (the latest history entry at or before it) to now."""
    model = type(record)
    then = record.history.filter(version__lte=version).order_by("-version", "-history_date").first()
    now = record.history.order_by("-history_date", "-history_id").first()
    found: list[Change] = []
    if then is not None and now is not None and then.pk != now.pk:
        delta = now.diff_against(then)
        for change in delta.changes:
            if change.field in IGNORED:
                continue
            label = str(model._meta.get_field(change.field).verbose_name)
            found.append(
                Change(
                    change.field,
                    label,
                    _display(model, change.field, change.old),
                    _display(model, change.field, change.new),
                )
            )
    if isinstance(record, Case):
        # Each write raises the version by one; event writes leave no case history entry. More versions
        # than case entries since the one read means the timeline moved.
        field_writes = record.history.filter(version__gt=version).count()
        if record.version - version > field_writes:
            found.append(Change("events", _("诉讼环节"), "", _("有登记、更正或删除")))
    return found
