"""Maintained count table of final quality reviews (DOMAIN.md §7), the reviews' twin of `RatioFact`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_NAMES = (
    "level",
    "month",
    "unit_id",
    "department_id",
    "team_id",
    "prosecutor_id",
    "line",
    "category",
    "main_charge_id",
    "dimension",
    "item_id",
)


class ReviewFact(models.Model):
    """Final reviews per month of their final date and attribution key; kept equal to a rebuild.

    Two kinds of row share the table, as the ratio's case and extra rows do: `item_id` 0 (and
    `dimension` "") is the reviews' own row — how many, their score sum in cents and the count per
    final grade; any other item is the findings of that item and dimension (as the finding stored
    them) — points deducted in cents (Σ points × count) and times found (Σ count). Every figure is a
    plain sum over reviews, so months and keys add up exactly: a review is counted once, in the month
    it became final, and nothing here counts distinct cases. Money-like amounts are integer cents so
    that SQLite (which sums decimals as floats) and PostgreSQL add them alike.

    Keys hold 0 / "" for "none" (team, main charge) so that the unique key holds on SQLite; the
    coarser levels keep only some keys (the others -1 / "*") so that a province-wide statistic reads a
    few thousand rows (`cases.rollup.LEVEL_KEYS`, the same levels as the ratio).
    """

    level = models.CharField(max_length=10)
    month = models.DateField()
    unit_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    team_id = models.BigIntegerField()
    prosecutor_id = models.BigIntegerField()
    line = models.CharField(max_length=20)
    category = models.CharField(max_length=20)
    main_charge_id = models.BigIntegerField(default=0)
    dimension = models.CharField(max_length=20, default="")
    item_id = models.BigIntegerField(default=0)
    reviews = models.IntegerField(default=0)
    score_cents = models.BigIntegerField(default=0)
    excellent = models.IntegerField(default=0)
    qualified = models.IntegerField(default=0)
    flawed = models.IntegerField(default=0)
    unqualified = models.IntegerField(default=0)
    points_cents = models.BigIntegerField(default=0)
    times = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("评查统计汇总")
        verbose_name_plural = _("评查统计汇总")
        constraints = [models.UniqueConstraint(fields=list(KEY_NAMES), name="review_fact_key")]
        indexes = [
            models.Index(fields=["level", "team_id", "month"], name="review_fact_team_idx"),
            models.Index(fields=["level", "prosecutor_id", "month"], name="review_fact_prosecutor_idx"),
            models.Index(fields=["level", "unit_id", "month"], name="review_fact_unit_idx"),
            models.Index(fields=["level", "month"], name="review_fact_month_idx"),
        ]

    def __str__(self) -> str:
        what = f"item {self.item_id}" if self.item_id else "reviews"
        return f"{self.level} {self.month:%Y-%m} {what}: {self.reviews}/{self.times}"
