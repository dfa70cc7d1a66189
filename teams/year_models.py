"""The team's year: overall tasks, the annual plan with its goals, achievements, 述职 and 评议.

The article's cycle: each team sets a yearly plan against the unit's overall tasks (总任务), reports
monthly to the 检察长办公会, half-yearly to the 党组, and at year end gives a 述职 that the unit's
leadership rates (述职 + 评议) with a commendation or a corrective measure. The rules of who may do
what are in `teams.access` (`Team.objects.plannable_by / led_by / rateable_by`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OverallTask(models.Model):
    """An overall task of team building (总任务), e.g. 打造典型案例; seeded with the article's five."""

    code = models.SlugField(_("任务编码"), max_length=40, unique=True)
    name = models.CharField(_("任务名称"), max_length=100)
    measure = models.CharField(_("计量"), max_length=40, blank=True, help_text=_("成果的计量，如“典型案例”“调研文章”"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("团队总任务")
        verbose_name_plural = _("团队总任务")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class AnnualPlan(models.Model):
    """A team's work plan for one year (年度工作计划) with its countable goals (争创目标)."""

    team = models.ForeignKey("teams.Team", verbose_name=_("办案团队"), on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    summary = models.TextField(_("计划要点"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("制定时间"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("团队年度计划")
        verbose_name_plural = _("团队年度计划")
        ordering = ["-year", "team"]
        constraints = [models.UniqueConstraint(fields=["team", "year"], name="annual_plan_unique_year")]

    def __str__(self) -> str:
        return f"{self.team} {self.year}"


class PlanGoal(models.Model):
    """One task's countable goal in a plan, e.g. 打造典型案例 ≥ 3."""

    plan = models.ForeignKey(AnnualPlan, verbose_name=_("年度计划"), on_delete=models.CASCADE, related_name="goals")
    task = models.ForeignKey(OverallTask, verbose_name=_("总任务"), on_delete=models.PROTECT, related_name="goals")
    target = models.PositiveSmallIntegerField(_("目标数"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("计划目标")
        verbose_name_plural = _("计划目标")
        ordering = ["plan", "task__order", "task__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "task"], name="plan_goal_unique_task")]

    def __str__(self) -> str:
        return f"{self.task} ≥ {self.target}"


def _attachment_path(instance: Achievement, filename: str) -> str:
    return f"achievements/{instance.plan.team.team_code}/{instance.plan.year}/{filename}"


class Achievement(models.Model):
    """An achievement recorded against a task of a plan (成果), e.g. a typical case selected by the SPP."""

    plan = models.ForeignKey(
        AnnualPlan, verbose_name=_("年度计划"), on_delete=models.CASCADE, related_name="achievements"
    )
    task = models.ForeignKey(
        OverallTask, verbose_name=_("总任务"), on_delete=models.PROTECT, related_name="achievements"
    )
    title = models.CharField(_("成果名称"), max_length=200)
    date = models.DateField(_("取得日期"))
    members = models.ManyToManyField("teams.Prosecutor", verbose_name=_("成员"), blank=True, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    attachment = models.FileField(_("附件"), upload_to=_attachment_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("团队成果")
        verbose_name_plural = _("团队成果")
        ordering = ["plan", "date", "pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        try:
            plan = self.plan
        except AnnualPlan.DoesNotExist:
            plan = None
        if self.date and plan is not None and self.date.year != plan.year:
            raise ValidationError({"date": _("成果日期须在计划年度内")})
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("成果日期不能晚于今天")})


class YearEndReport(models.Model):
    """A team's year-end 述职 (述职报告): drafted by its lead from the year's figures, then submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    team = models.ForeignKey(
        "teams.Team", verbose_name=_("办案团队"), on_delete=models.CASCADE, related_name="yearend_reports"
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    narrative = models.TextField(_("述职内容"))
    # The figures the narrative was prefilled with (ratio to date, tasks), kept as they were on submission.
    figures = models.JSONField(_("年度数据"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("起草人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafted_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("团队述职")
        verbose_name_plural = _("团队述职")
        ordering = ["-year", "team"]
        constraints = [models.UniqueConstraint(fields=["team", "year"], name="yearend_report_unique_year")]

    def __str__(self) -> str:
        return f"{self.team} {self.year}"

    @property
    def submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class RatingLevel(models.Model):
    """A grade of the year-end 评议 scale (configurable; seeded 优秀 / 良好 / 一般 / 较差)."""

    code = models.SlugField(_("等次编码"), max_length=40, unique=True)
    name = models.CharField(_("等次"), max_length=40)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("评议等次")
        verbose_name_plural = _("评议等次")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class YearEndRating(models.Model):
    """The leadership's 评议 of a team's year: a grade, a comment and the outcome (奖惩)."""

    class Outcome(models.TextChoices):
        COMMENDATION = "commendation", _("表彰奖励")
        REMINDER_TALK = "reminder_talk", _("提醒谈话")
        REPLACEMENT = "replacement", _("人员调整")
        NONE = "none", _("无")

    report = models.OneToOneField(
        YearEndReport, verbose_name=_("团队述职"), on_delete=models.CASCADE, related_name="rating"
    )
    level = models.ForeignKey(RatingLevel, verbose_name=_("等次"), on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("评议意见"), blank=True)
    outcome = models.CharField(_("评议结果运用"), max_length=20, choices=Outcome.choices, default=Outcome.NONE)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评议人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(_("评议时间"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("团队评议")
        verbose_name_plural = _("团队评议")
        ordering = ["report"]

    def __str__(self) -> str:
        return f"{self.report} · {self.level}"
