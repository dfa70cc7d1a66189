"""Assessment (考核) configuration: the scheme as data with an effective date, and teams' annual ratio targets."""

from __future__ import annotations

import datetime
from numbers import Number

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

GRADE_CODES = ("excellent", "qualified", "flawed", "unqualified")


def validate_scheme_rules(rules) -> None:
    """Refuse a scheme whose rules the assessment cannot read, naming the key at fault."""
    if not isinstance(rules, dict):
        raise ValidationError({"rules": _("计分规则须为 JSON 对象")})
    quality, efficiency = rules.get("quality", {}), rules.get("efficiency", {})
    if not isinstance(quality, dict) or not isinstance(efficiency, dict):
        raise ValidationError({"rules": _("quality 与 efficiency 须为 JSON 对象")})
    numbers = [("quality.base", quality.get("base", 0)), ("quality.floor", quality.get("floor", 0) or 0)]
    points = quality.get("grade_points", {})
    if not isinstance(points, dict) or set(points) - set(GRADE_CODES):
        raise ValidationError(
            {"rules": _("quality.grade_points 的键须为 %(codes)s") % {"codes": ", ".join(GRADE_CODES)}}
        )
    numbers += [(f"quality.grade_points.{k}", v) for k, v in points.items()]
    numbers += [
        (f"efficiency.{k}", efficiency[k])
        for k in ("step", "points_per_step", "max_bonus", "max_penalty")
        if k in efficiency
    ]
    for key, value in numbers:
        if isinstance(value, bool) or not isinstance(value, Number):
            raise ValidationError({"rules": _("%(key)s 须为数字") % {"key": key}})
    for key in ("step", "max_bonus", "max_penalty"):
        if key in efficiency and efficiency[key] < 0:
            raise ValidationError({"rules": _("efficiency.%(key)s 不能为负数") % {"key": key}})


class AssessmentSchemeQuerySet(models.QuerySet):
    """The one rule for choosing a scheme: the one in force on a day is the latest starting on or before it."""

    def in_force_on(self, day: datetime.date) -> AssessmentScheme | None:
        """The scheme in force on `day` (None: `day` is before the first scheme)."""
        return self.filter(effective_from__lte=day).order_by("-effective_from").first()

    def periods(
        self, first: datetime.date, last: datetime.date
    ) -> list[tuple[datetime.date, datetime.date, AssessmentScheme | None]]:
        """`first`..`last` cut where the scheme in force changes: (from, to, scheme) in date order, in one
        query; the part before the first scheme comes with None. Each day's scheme is `in_force_on(day)`."""
        schemes = list(self.filter(effective_from__lte=last).order_by("effective_from"))
        starts: list[tuple[datetime.date, AssessmentScheme | None]] = [(first, None)]
        for scheme in schemes:
            if scheme.effective_from <= first:
                starts[0] = (first, scheme)  # the latest one starting on or before `first`
            else:
                starts.append((scheme.effective_from, scheme))
        ends = [start - datetime.timedelta(days=1) for start, _s in starts[1:]] + [last]
        return [(start, end, scheme) for (start, scheme), end in zip(starts, ends, strict=True)]


class AssessmentScheme(models.Model):
    """The assessment scheme (考核办法) in force from `effective_from` (any day, typically a quarter's first)
    until the day before the next one: rules as JSON (DOMAIN §8).

    `rules` holds two components, each editable in the admin:
    ``{"quality": {"base": 40, "grade_points": {"excellent": 3, "qualified": 0, "flawed": -3,
    "unqualified": -6}, "wrongful_veto": true, "floor": 0},
    "efficiency": {"step": 0.1, "points_per_step": 1, "max_bonus": 5, "max_penalty": 5}}``.
    """

    effective_from = models.DateField(
        _("生效日期"),
        unique=True,
        help_text=_("自该日起施行，至下一办法生效日的前一天；可为任意一天，通常为季度首日"),
        error_messages={"unique": _("该日已有生效的考核办法，一天只能有一个办法生效")},
    )
    name = models.CharField(_("名称"), max_length=200)
    rules = models.JSONField(_("计分规则"))
    history = HistoricalRecords()

    objects = AssessmentSchemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核办法")
        verbose_name_plural = _("考核办法")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m-%d} {self.name}"

    def clean(self) -> None:
        validate_scheme_rules(self.rules)


class TeamTarget(models.Model):
    """A team's annual target ratio (年度案-件比目标), e.g. 1.40 for 1:1.40, tracked month by month."""

    team = models.ForeignKey(
        "teams.Team", verbose_name=_("办案团队"), on_delete=models.CASCADE, related_name="ratio_targets"
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000)])
    target_ratio = models.DecimalField(
        _("目标案-件比"), max_digits=5, decimal_places=2, validators=[MinValueValidator(1)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("团队年度目标")
        verbose_name_plural = _("团队年度目标")
        ordering = ["-year", "team"]
        constraints = [models.UniqueConstraint(fields=["team", "year"], name="team_target_unique_year")]

    def __str__(self) -> str:
        return f"{self.team} {self.year} 1:{self.target_ratio}"
