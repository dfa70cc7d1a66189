"""Seed the article's five overall tasks (总任务) and the 评议 scale; an office renames or adds in the admin."""

from django.db import migrations

TASKS = [
    ("specialised_cases", "集中承办专业领域案件", "专业领域案件", 10),
    ("mechanism", "推动机制创新", "创新机制", 20),
    ("research", "加强理论研究", "调研文章", 30),
    ("typical_cases", "打造典型案例", "典型案例", 40),
    ("courses", "强化课程研发", "课程", 50),
]
LEVELS = [("excellent", "优秀", 10), ("good", "良好", 20), ("fair", "一般", 30), ("poor", "较差", 40)]


def seed(apps, schema_editor):
    OverallTask = apps.get_model("teams", "OverallTask")
    RatingLevel = apps.get_model("teams", "RatingLevel")
    for code, name, measure, order in TASKS:
        OverallTask.objects.get_or_create(code=code, defaults={"name": name, "measure": measure, "order": order})
    for code, name, order in LEVELS:
        RatingLevel.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("teams", "0004_team_year")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
