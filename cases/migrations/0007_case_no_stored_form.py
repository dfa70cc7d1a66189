"""Case numbers in one stored form (〔2026〕, half-width digits): the field, then the stored rows.

Two stored numbers that become the same number are two records of one case: the migration refuses
and names them rather than pick one (merge or renumber them, then migrate again).
"""

from django.db import migrations

import cases.case_numbers
from cases.case_numbers import normalise_case_no

# The characters `normalise_case_no` changes (a regex class, so only those rows are read).
CANDIDATES = r"[\[\]［］【】〖〗﹝﹞❲❳⦗⦘()（）０-９Ａ-Ｚａ-ｚ\s　]"


class CollidingCaseNumbers(RuntimeError):
    """Stored case numbers that would become the same number."""


def normalise_stored(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    HistoricalCase = apps.get_model("cases", "HistoricalCase")
    # `regex` compares as written (the field normalises exact and pattern lookups, not regexes).
    changed = {
        pk: normalise_case_no(number)
        for pk, number in Case.objects.filter(case_no__regex=CANDIDATES).values_list("pk", "case_no")
        if normalise_case_no(number) != number
    }
    if not changed:
        return
    by_number: dict[str, list[str]] = {}
    originals = dict(Case.objects.filter(pk__in=list(changed)).values_list("pk", "case_no"))
    for pk, number in changed.items():
        by_number.setdefault(number, []).append(originals[pk])
    # A normalised number already stored as such (`in` normalises its values, which are normal already).
    for stored in Case.objects.filter(case_no__in=list(by_number)).values_list("case_no", flat=True):
        by_number[stored].append(stored)
    collisions = {number: written for number, written in by_number.items() if len(written) > 1}
    if collisions:
        lines = [f"{number} ← {' / '.join(written)}" for number, written in sorted(collisions.items())]
        raise CollidingCaseNumbers(
            "统一受案号归一后重复，请先合并或更正这些案件 / case numbers that become the same number:\n" + "\n".join(lines)
        )
    for pk, number in changed.items():
        Case.objects.filter(pk=pk).update(case_no=number)
        HistoricalCase.objects.filter(id=pk).update(case_no=number)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_review_wrongful_rule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="case_no",
            field=cases.case_numbers.CaseNumberField(max_length=100, unique=True, verbose_name="统一受案号"),
        ),
        migrations.AlterField(
            model_name="historicalcase",
            name="case_no",
            field=cases.case_numbers.CaseNumberField(db_index=True, max_length=100, verbose_name="统一受案号"),
        ),
        migrations.RunPython(normalise_stored, migrations.RunPython.noop),
    ]
