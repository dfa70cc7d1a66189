"""The event catalogue: versioned rule sets saying which steps are base, extra or neutral."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RuleSetQuerySet(models.QuerySet):
    def in_force_on(self, day: datetime.date) -> RuleSet | None:
        """The rule set whose effective dates cover `day` (the latest one starting before it)."""
        return (
            self.filter(effective_from__lte=day)
            .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=day))
            .order_by("-effective_from")
            .first()
        )

    def in_force_or_latest(self, day: datetime.date) -> RuleSet | None:
        """The rule set in force on `day`, else the latest one (a day before every rule set's start)."""
        return self.in_force_on(day) or self.order_by("-effective_from").first()


class RuleSet(models.Model):
    """A version of the event catalogue with its effective dates (seeded: criminal-2020)."""

    code = models.SlugField(_("规则编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    history = HistoricalRecords()

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("统计规则")
        verbose_name_plural = _("统计规则")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return self.code


class EventType(models.Model):
    """One procedural step of the catalogue: its code, labels, kind (base/extra/neutral) and weight."""

    class Kind(models.TextChoices):
        BASE = "base", _("基础环节")
        EXTRA = "extra", _("增加件数的环节")
        NEUTRAL = "neutral", _("不计件环节")

    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("统计规则"), on_delete=models.CASCADE, related_name="event_types"
    )
    code = models.SlugField(_("环节编码"), max_length=64)
    label_zh = models.CharField(_("中文名称"), max_length=100)
    label_en = models.CharField(_("英文名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    # Integer on purpose: items are counted, and every published weight is whole.
    weight = models.PositiveSmallIntegerField(_("计件权重"), default=1)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("诉讼环节")
        verbose_name_plural = _("诉讼环节")
        ordering = ["rule_set", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "code"], name="event_type_code_unique_in_rule_set")]

    def __str__(self) -> str:
        return f"{self.label_zh}（{self.code}）"

    @property
    def label(self) -> str:
        """The label in the active language (English falls back to Chinese where none is given)."""
        return (self.label_en or self.label_zh) if (get_language() or "").startswith("en") else self.label_zh

    @property
    def counted_weight(self) -> int:
        """Items this step adds to its case: its weight if extra, else nothing."""
        return self.weight if self.kind == self.Kind.EXTRA else 0


class OutcomeChoice(models.Model):
    """One outcome an event type can record (批准逮捕, 无罪, 改判…): catalogue data an office edits.

    The code is what events store and what the indicators read (`cases.outcomes` names the codes
    with a meaning: 不批准逮捕, 无罪, 改判…); labels are what people type and read.
    """

    event_type = models.ForeignKey(
        EventType, verbose_name=_("诉讼环节"), on_delete=models.CASCADE, related_name="outcome_choices"
    )
    code = models.SlugField(_("结果编码"), max_length=64)
    label_zh = models.CharField(_("中文名称"), max_length=100)
    label_en = models.CharField(_("英文名称"), max_length=100)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("环节结果")
        verbose_name_plural = _("环节结果")
        ordering = ["event_type", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["event_type", "code"], name="outcome_choice_code_unique_in_event_type")
        ]

    def __str__(self) -> str:
        return f"{self.label_zh}（{self.code}）"
