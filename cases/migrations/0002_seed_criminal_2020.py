from django.db import migrations


def seed(apps, schema_editor):
    from cases.catalogue_seed import seed_criminal_2020

    seed_criminal_2020(apps.get_model("cases", "RuleSet"), apps.get_model("cases", "EventType"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
