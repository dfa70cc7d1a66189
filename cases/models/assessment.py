"""Assessment (考核) configuration: the scheme as data, versioned by year, and teams' annual ratio targets."""

from __future__ import annotations

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


class AssessmentScheme(models.Model):
    """The assessment scheme (考核办法) in force from `year` until a later one: rules as JSON (DOMAIN §8).

    `rules` holds two components, each editable in the admin:
    ``{"quality": {"base": 40, "grade_points": {"excellent": 3, "qualified": 0, "flawed": -3,
    "unqualified": -6}, "wrongful_veto": true, "floor": 0},
    "efficiency": {"step": 0.1, "points_per_step": 1, "max_bonus": 5, "max_penalty": 5}}``.
    """

    year = models.PositiveSmallIntegerField(_("适用年度（起）"), unique=True, validators=[MinValueValidator(2000)])
    name = models.CharField(_("名称"), max_length=200)
    rules = models.JSONField(_("计分规则"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考核办法")
        verbose_name_plural = _("考核办法")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

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
