"""罪名 as data (DOMAIN.md §3): the charge catalogue, and the charges or chapters a team specialises in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Chapter(models.IntegerChoices):
    """The ten chapters of the special part (分则) of the Criminal Law, which group its charges."""

    STATE_SECURITY = 1, _("第一章 危害国家安全罪")
    PUBLIC_SAFETY = 2, _("第二章 危害公共安全罪")
    MARKET_ECONOMY = 3, _("第三章 破坏社会主义市场经济秩序罪")
    PERSONAL_RIGHTS = 4, _("第四章 侵犯公民人身权利、民主权利罪")
    PROPERTY = 5, _("第五章 侵犯财产罪")
    SOCIAL_ADMINISTRATION = 6, _("第六章 妨害社会管理秩序罪")
    NATIONAL_DEFENCE = 7, _("第七章 危害国防利益罪")
    CORRUPTION_BRIBERY = 8, _("第八章 贪污贿赂罪")
    DERELICTION = 9, _("第九章 渎职罪")
    MILITARY_DUTY = 10, _("第十章 军人违反职责罪")


class Charge(models.Model):
    """One 罪名 of the catalogue: a stable code, the charge's name and its chapter of the Criminal Law.

    Seeded by migration 0007 (`cases/charge_seed.py`, its source there); an office adds the charges
    it also sees in the admin. Cases refer to charges, so a charge in use cannot be deleted.
    """

    code = models.CharField(_("罪名编码"), max_length=32, unique=True)
    name = models.CharField(_("罪名"), max_length=100, unique=True)
    chapter = models.PositiveSmallIntegerField(_("刑法分则章"), choices=Chapter.choices)
    position = models.PositiveIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("罪名")
        verbose_name_plural = _("罪名")
        ordering = ["chapter", "position", "code"]

    def __str__(self) -> str:
        return self.name


class TeamSpecialisation(models.Model):
    """A charge or a whole chapter a team specialises in (informational: shown on its dashboard)."""

    team = models.ForeignKey(
        "teams.Team", verbose_name=_("办案团队"), on_delete=models.CASCADE, related_name="specialisations"
    )
    charge = models.ForeignKey(
        Charge, verbose_name=_("罪名"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    chapter = models.PositiveSmallIntegerField(_("刑法分则章"), choices=Chapter.choices, null=True, blank=True)

    class Meta:
        verbose_name = _("团队专业方向")
        verbose_name_plural = _("团队专业方向")
        ordering = ["team", "chapter", "charge"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(charge__isnull=False, chapter__isnull=True)
                | models.Q(charge__isnull=True, chapter__isnull=False),
                name="specialisation_charge_or_chapter",
            ),
            models.UniqueConstraint(fields=["team", "charge"], name="specialisation_unique_charge"),
            models.UniqueConstraint(fields=["team", "chapter"], name="specialisation_unique_chapter"),
        ]

    def __str__(self) -> str:
        return str(self.charge) if self.charge_id else str(Chapter(self.chapter).label)
