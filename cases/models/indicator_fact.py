"""Maintained count table of the §9 indicators (DOMAIN.md §9), kept beside the ratio's `RatioFact`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.rollup import FactKeys

# The counted figures, one column each (the numerators, denominators and counterweights of §9).
# The first three count distinct cases, the rest persons or events (see cases.indicator_counts).
INDICATOR_COUNTS = (
    "reviewed",
    "returned",
    "extended",
    "decided",
    "not_arrested",
    "indicted",
    "not_prosecuted",
    "judged",
    "accepted",
    "self_supplementary",
    "arrested",
    "not_prosecuted_after_arrest",
    "acquitted",
    "amended_remanded",
    "closed_persons",
    "plea_persons",
    "proposed",
    "adopted",
)
DISTINCT_CASE_COUNTS = INDICATOR_COUNTS[:3]


class IndicatorFact(FactKeys):
    """The indicators' counts per level, basis, month and attribution key; kept equal to a rebuild.

    Keys are stored as in `RatioFact` (0 / "" for "none", -1 / "*" for "all" at the coarser levels).
    Sums of persons and events add up over months. The distinct-case counts (cases reviewed, returned,
    extended) do not: a case with 退补 in January and March is one case in the quarter. So a row with
    `first_month` = `month` counts each case once in every month it has such an event, and a *link*
    row (`first_month` < `month`) holds -1 for each case whose previous month with such an event was
    `first_month`. The months in a range where a case has the event are consecutive in its own list,
    so over any whole-month range [A, B] the sum of the rows with A <= first_month and month <= B is
    the number of months minus the number of links inside the range: exactly 1 per case with the
    event, 0 otherwise (cases.indicator_facts).
    """

    # = month for counts; the previous month of a case's event for a link row (see above).
    first_month = models.DateField()
    reviewed = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    decided = models.IntegerField(default=0)
    not_arrested = models.IntegerField(default=0)
    indicted = models.IntegerField(default=0)
    not_prosecuted = models.IntegerField(default=0)
    judged = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    self_supplementary = models.IntegerField(default=0)
    arrested = models.IntegerField(default=0)
    not_prosecuted_after_arrest = models.IntegerField(default=0)
    acquitted = models.IntegerField(default=0)
    amended_remanded = models.IntegerField(default=0)
    closed_persons = models.IntegerField(default=0)
    plea_persons = models.IntegerField(default=0)
    proposed = models.IntegerField(default=0)
    adopted = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("指标汇总")
        verbose_name_plural = _("指标汇总")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "level",
                    "basis",
                    "month",
                    "first_month",
                    "unit_id",
                    "department_id",
                    "team_id",
                    "prosecutor_id",
                    "line",
                    "category",
                    "main_charge_id",
                ],
                name="indicator_fact_key",
            )
        ]
        indexes = [
            models.Index(fields=["level", "basis", "team_id", "month"], name="indicator_fact_team_idx"),
            models.Index(fields=["level", "basis", "prosecutor_id", "month"], name="indicator_fact_prosecutor_idx"),
            models.Index(fields=["level", "basis", "unit_id", "month"], name="indicator_fact_unit_idx"),
            models.Index(fields=["level", "basis", "department_id", "month"], name="indicator_fact_dept_idx"),
            models.Index(fields=["level", "basis", "month"], name="indicator_fact_month_idx"),
            models.Index(fields=["level", "basis", "main_charge_id", "month"], name="indicator_fact_charge_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.basis} {self.month:%Y-%m} (from {self.first_month:%Y-%m})"
