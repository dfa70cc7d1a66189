"""Maintained roll-up of the ratio: monthly counts per attribution key at several levels (zulip-style count table)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FactKeys(models.Model):
    """What every maintained count table of cases is keyed by: level, basis, month and the case's
    attribution (shared by `RatioFact` and `IndicatorFact`, so both read with the same level keys)."""

    class Level(models.TextChoices):
        FULL = "full", _("全部维度")
        UNIT = "unit", _("单位")
        DEPARTMENT = "department", _("部门")
        TEAM = "team", _("团队")
        CHARGE = "charge", _("罪名")

    class Basis(models.TextChoices):
        FLOW = "flow", _("流量口径")
        COHORT = "cohort", _("审结口径")

    level = models.CharField(max_length=10, choices=Level.choices)
    basis = models.CharField(max_length=6, choices=Basis.choices)
    month = models.DateField()
    unit_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    prosecutor_id = models.BigIntegerField()
    line = models.CharField(max_length=20)
    category = models.CharField(max_length=20)
    # The case's main charge (0: none); a chapter is read through the charge, so an edited chapter
    # never leaves the roll-up stale.
    main_charge_id = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class RatioFact(FactKeys):
    """Cases and items per basis, month and attribution key; kept equal to a rebuild from raw rows.

    Keys are plain integers and strings with 0 / "" for "none" so that the unique key also holds
    on SQLite (where NULLs are distinct); `event_code` "" is the case's own row (its base item),
    any other value the weighted extra events of that code. The `full` level keeps every key; the
    coarser levels keep only some (the others hold -1 / "*", "all") so that a province-wide
    statistic reads a few thousand rows instead of the prosecutor-level ones.
    """

    event_code = models.CharField(max_length=64)
    cases = models.IntegerField(default=0)
    items = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("案-件比汇总")
        verbose_name_plural = _("案-件比汇总")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "level",
                    "basis",
                    "month",
                    "unit_id",
                    "department_id",
                    "team_id",
                    "prosecutor_id",
                    "line",
                    "category",
                    "main_charge_id",
                    "event_code",
                ],
                name="ratio_fact_key",
            )
        ]
        indexes = [
            models.Index(fields=["level", "basis", "team_id", "month"], name="ratio_fact_team_idx"),
            models.Index(fields=["level", "basis", "prosecutor_id", "month"], name="ratio_fact_prosecutor_idx"),
            models.Index(fields=["level", "basis", "unit_id", "month"], name="ratio_fact_unit_idx"),
            models.Index(fields=["level", "basis", "department_id", "month"], name="ratio_fact_department_idx"),
            models.Index(fields=["level", "basis", "month"], name="ratio_fact_month_idx"),
            models.Index(fields=["level", "basis", "main_charge_id", "month"], name="ratio_fact_charge_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.basis} {self.month:%Y-%m} {self.event_code or 'cases'}: {self.cases}/{self.items}"
