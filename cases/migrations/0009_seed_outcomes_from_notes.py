"""Seed the outcome choices, and read the old note convention once (issue 16).

Before outcomes were data, an `arrest_decision` was a refusal when its note began with 不批准逮捕
(or 不予批准逮捕, 不批捕, 不捕, "not arrested", "non-arrest", any case) and an approval otherwise.
Every such event gets that outcome for all its persons; from here on nothing reads notes.
"""

from django.db import migrations
from django.db.models import Q

OLD_NON_ARREST_PREFIXES = ("不批准逮捕", "不予批准逮捕", "不批捕", "不捕", "not arrested", "non-arrest")


def forwards(apps, schema_editor):
    from cases.catalogue_seed import seed_outcome_choices

    EventType = apps.get_model("cases", "EventType")
    seed_outcome_choices(EventType, apps.get_model("cases", "OutcomeChoice"))
    ProceduralEvent = apps.get_model("cases", "ProceduralEvent")
    decisions = ProceduralEvent.objects.filter(event_type__code="arrest_decision", outcomes__isnull=True)
    refused = Q()
    for prefix in OLD_NON_ARREST_PREFIXES:
        refused |= Q(note__istartswith=prefix)
    for condition, code in ((refused, "not_approved"), (~refused, "approved")):
        # Read first, then write: SQLite gives no isolation between a running query and writes to its table.
        rows = list(decisions.filter(condition).values_list("pk", "persons"))
        for start in range(0, len(rows), 5_000):
            batch = [ProceduralEvent(pk=pk, outcomes={code: persons}) for pk, persons in rows[start : start + 5_000]]
            ProceduralEvent.objects.bulk_update(batch, ["outcomes"])


def backwards(apps, schema_editor):
    apps.get_model("cases", "ProceduralEvent").objects.filter(event_type__code="arrest_decision").update(
        outcomes=None
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_event_outcomes")]

    operations = [migrations.RunPython(forwards, backwards)]
