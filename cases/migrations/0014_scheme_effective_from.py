"""Assessment schemes keyed by an effective date (any day) instead of a year (issue 13).

Each existing scheme (and each of its history rows) starts on Jan 1 of its year. Reversible: going back,
a scheme's year is its effective date's year; two schemes starting in the same year cannot be told
apart by year, so the reverse refuses them with a message rather than losing one.
"""

import datetime

import django.core.validators
from django.db import migrations, models

EFFECTIVE_FROM = dict(
    error_messages={"unique": "该日已有生效的考核办法，一天只能有一个办法生效"},
    help_text="自该日起施行，至下一办法生效日的前一天；可为任意一天，通常为季度首日",
    verbose_name="生效日期",
)
YEAR = dict(validators=[django.core.validators.MinValueValidator(2000)], verbose_name="适用年度（起）")


def year_to_jan_first(apps, schema_editor):
    for name in ("AssessmentScheme", "HistoricalAssessmentScheme"):
        model = apps.get_model("cases", name)
        for row in model.objects.exclude(year__isnull=True).only("pk", "year"):
            model.objects.filter(pk=row.pk).update(effective_from=datetime.date(row.year, 1, 1))


def effective_from_to_year(apps, schema_editor):
    scheme = apps.get_model("cases", "AssessmentScheme")
    years = [day.year for day in scheme.objects.values_list("effective_from", flat=True)]
    clashes = sorted({year for year in years if years.count(year) > 1})
    if clashes:
        raise RuntimeError(
            "Cannot go back to schemes keyed by year: several schemes start in %s; delete all but one "
            "of them first." % ", ".join(map(str, clashes))
        )
    for name in ("AssessmentScheme", "HistoricalAssessmentScheme"):
        model = apps.get_model("cases", name)
        for row in model.objects.exclude(effective_from__isnull=True).only("pk", "effective_from"):
            model.objects.filter(pk=row.pk).update(year=row.effective_from.year)


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_review_samples")]

    operations = [
        # 1. the date beside the year, both nullable while the data moves
        migrations.AddField(
            model_name="assessmentscheme",
            name="effective_from",
            field=models.DateField(null=True, **EFFECTIVE_FROM),
        ),
        migrations.AddField(
            model_name="historicalassessmentscheme",
            name="effective_from",
            field=models.DateField(db_index=True, null=True, **EFFECTIVE_FROM),
        ),
        migrations.AlterField(
            model_name="assessmentscheme",
            name="year",
            field=models.PositiveSmallIntegerField(null=True, unique=True, **YEAR),
        ),
        migrations.AlterField(
            model_name="historicalassessmentscheme",
            name="year",
            field=models.PositiveSmallIntegerField(db_index=True, null=True, **YEAR),
        ),
        # 2. year → Jan 1 of that year
        migrations.RunPython(year_to_jan_first, effective_from_to_year),
        # 3. the year goes, the date becomes the key
        migrations.RemoveField(model_name="assessmentscheme", name="year"),
        migrations.RemoveField(model_name="historicalassessmentscheme", name="year"),
        migrations.AlterField(
            model_name="assessmentscheme",
            name="effective_from",
            field=models.DateField(unique=True, **EFFECTIVE_FROM),
        ),
        migrations.AlterField(
            model_name="historicalassessmentscheme",
            name="effective_from",
            field=models.DateField(db_index=True, **EFFECTIVE_FROM),
        ),
        migrations.AlterModelOptions(
            name="assessmentscheme",
            options={"ordering": ["-effective_from"], "verbose_name": "考核办法", "verbose_name_plural": "考核办法"},
        ),
    ]
