from django.db import migrations


def seed(apps, schema_editor):
    from cases.review_seed import seed_reviews

    seed_reviews(
        apps.get_model("cases", "ReviewItem"),
        apps.get_model("cases", "GradeScale"),
        apps.get_model("cases", "AssessmentScheme"),
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_reviews")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
