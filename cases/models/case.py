"""Cases (案) and their procedural events (件 are counted from these)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.case_numbers import CaseNumberField
from teams.models import Department, Prosecutor, Team, Unit

# The rules live in `teams.access` (one module); these methods are where every view starts from.


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Cases `user` may open (anything else answers 404, like an unknown case)."""
        from teams import access

        return access.visible_cases(user, self)

    def writable_by(self, user) -> models.QuerySet:
        """Cases `user` may change, with their events (case management of the case's unit subtree)."""
        from teams import access

        return access.writable_cases(user, self)

    def reviewable_by(self, user) -> models.QuerySet:
        """Cases `user` may open a review of themself: what they see, and the cases of the units where
        they hold a reviewer or review-lead post (and below). Cross reviews are assigned, not taken."""
        from teams import access

        return access.reviewable_cases(user, self)


class ProceduralEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Events of the cases `user` may open."""
        from teams import access

        return access.visible_events(user, self)


class Case(models.Model):
    """One real matter as the parties experience it, keyed by its 统一受案号."""

    class Line(models.TextChoices):
        CRIMINAL = "criminal", _("刑事")
        CIVIL = "civil", _("民事")
        ADMINISTRATIVE = "administrative", _("行政")
        PUBLIC_INTEREST = "public_interest", _("公益诉讼")
        COMPLAINT = "complaint", _("控申")

    class Category(models.TextChoices):
        ORDINARY = "ordinary", _("普通")
        MAJOR = "major", _("重大")
        DUTY = "duty", _("职务")
        ECONOMIC = "economic", _("经济")

    class Sentencing(models.TextChoices):
        NONE = "none", _("未提出")
        PROPOSED = "proposed", _("已提出")
        ADOPTED = "adopted", _("已采纳")

    class Acceptance(models.TextChoices):
        YES = "yes", _("服判")
        NO = "no", _("不服判")
        UNKNOWN = "unknown", _("未知")

    # Stored as 〔2026〕 whichever form was given; queries compare in that form too (cases.case_numbers).
    case_no = CaseNumberField(_("统一受案号"), max_length=100, unique=True)
    title = models.CharField(_("案件名称"), max_length=300, blank=True)
    line = models.CharField(_("业务条线"), max_length=20, choices=Line.choices, default=Line.CRIMINAL)
    # Severity only (issue 16): the kind of crime is the charge's (main_charge, its chapter).
    category = models.CharField(_("案件严重程度"), max_length=20, choices=Category.choices, blank=True)
    main_charge = models.ForeignKey(
        "cases.Charge",
        verbose_name=_("主罪名"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="main_cases",
    )
    other_charges = models.ManyToManyField(
        "cases.Charge", verbose_name=_("其他罪名"), blank=True, related_name="other_cases"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="cases")
    prosecutor = models.ForeignKey(
        Prosecutor, verbose_name=_("承办检察官"), on_delete=models.PROTECT, related_name="cases"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("办案团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    persons = models.PositiveIntegerField(_("犯罪嫌疑人数"), default=1, validators=[MinValueValidator(1)])
    # Derived (DOMAIN §4): the date of the earliest base event; null while the case has none.
    received_on = models.DateField(_("受理日期"), null=True, blank=True, editable=False)
    closed_on = models.DateField(_("审结日期"), null=True, blank=True)
    plea_leniency = models.BooleanField(_("适用认罪认罚"), null=True, blank=True)
    sentencing_recommendation = models.CharField(
        _("量刑建议"), max_length=10, choices=Sentencing.choices, default=Sentencing.NONE
    )
    judgment_accepted = models.CharField(
        _("一审服判"), max_length=10, choices=Acceptance.choices, default=Acceptance.UNKNOWN
    )
    # Derived (DOMAIN §4): 1 + Σ weight of extra events, or 0 while there is no base event.
    items = models.PositiveIntegerField(_("件数"), default=0, editable=False)
    # Optimistic concurrency: +1 on every write to the case or its events (the API's ETag, the forms' version).
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-received_on", "case_no"]
        indexes = [
            models.Index(fields=["received_on"], name="case_received_idx"),
            models.Index(fields=["closed_on"], name="case_closed_idx"),
            models.Index(fields=["team", "received_on"], name="case_team_received_idx"),
            models.Index(fields=["prosecutor", "received_on"], name="case_prosecutor_received_idx"),
            models.Index(fields=["unit", "received_on"], name="case_unit_received_idx"),
        ]

    def __str__(self) -> str:
        return self.case_no

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class ProceduralEvent(models.Model):
    """One procedural step of a case (退回补充侦查, 延长审查起诉期限, ...); corrections keep an audit trail."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="events")
    event_type = models.ForeignKey(
        "cases.EventType", verbose_name=_("诉讼环节"), on_delete=models.PROTECT, related_name="events"
    )
    date = models.DateField(_("日期"))
    persons = models.PositiveIntegerField(_("涉及人数"), default=1, validators=[MinValueValidator(1)])
    # Kept for the timeline and audit only; the ratio is attributed through the case (DOMAIN §4).
    prosecutor = models.ForeignKey(
        Prosecutor, verbose_name=_("经办检察官"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("备注"), blank=True)
    # {outcome code: persons} from the event type's `outcome_choices` (DOMAIN §3), persons summing to
    # `persons`; null when none is recorded. A mapping, not one code, since one arrest decision on three
    # suspects can approve two and refuse one. Checked by `cases.outcomes.parse_outcomes` on every path.
    outcomes = models.JSONField(_("结果"), null=True, blank=True)
    # Optimistic concurrency: +1 on every correction (the API's ETag of the event).
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ProceduralEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉讼环节记录")
        verbose_name_plural = _("诉讼环节记录")
        ordering = ["case", "date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "event_type", "date"], name="event_unique_per_case_type_date")
        ]
        indexes = [models.Index(fields=["date"], name="event_date_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.event_type_id} {self.date}"
