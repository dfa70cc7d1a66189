"""A month's review sample as drawn on the sampling page, kept so re-opening the month shows the same one.

`cases.sampling.sample_cases` draws from what is not reviewed yet, so drawing again after some
assignments would draw other cases; the page therefore stores the first draw (its parameters and
cases) and shows it, with the review each case was assigned to, ever after.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewSample(models.Model):
    """One month's draw for one unit (and the units below it), with the parameters it was drawn with."""

    month = models.DateField(_("抽查月份"), help_text=_("该月第一天"))
    unit = models.ForeignKey("teams.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    percentage = models.DecimalField(_("抽查比例（%）"), max_digits=5, decimal_places=2)
    seed = models.CharField(_("随机种子"), max_length=100)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("抽取人"), on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评查抽样")
        verbose_name_plural = _("评查抽样")
        ordering = ["-month", "unit"]
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="review_sample_month_unit")]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y-%m}"


class ReviewSampleCase(models.Model):
    """A case of a stored draw: why it was drawn, whom the draw proposed, the review it was assigned to."""

    sample = models.ForeignKey(
        ReviewSample, verbose_name=_("评查抽样"), on_delete=models.CASCADE, related_name="entries"
    )
    case = models.ForeignKey("cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("抽取原因"), max_length=10)
    proposed_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建议评查员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review = models.ForeignKey(
        "cases.QualityReview",
        verbose_name=_("评查"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    position = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("抽中案件")
        verbose_name_plural = _("抽中案件")
        ordering = ["sample", "position"]
        constraints = [models.UniqueConstraint(fields=["sample", "case"], name="review_sample_case_once")]

    def __str__(self) -> str:
        return f"{self.sample} {self.case_id}"
