"""Organisation: units (检察院), departments, prosecutors, specialised teams and memberships."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseqa.wording import paren

# Who may see what is decided in one module, `teams.access`; these queryset methods are the entry every
# page, endpoint, export and statistic starts from (imported lazily: `teams.access` reads `cases.models`).


class UnitQuerySet(models.QuerySet):
    def readable_by(self, user) -> models.QuerySet:
        """Units `user` may see: the units they read, their own unit and the units of their teams."""
        from teams import access

        return access.visible_units(user, self)

    def overseen_by(self, user) -> models.QuerySet:
        """Units whose every figure and case `user` reads (leadership, review leads, case management)."""
        from teams import access

        return access.overseen_units(user, self)

    def led_by(self, user) -> models.QuerySet:
        """Units where `user` is leadership (院领导), with the units below them."""
        from teams import access

        return access.led_units(user, self)

    def writable_by(self, user) -> models.QuerySet:
        """Units whose cases `user` may record and change (case management of the unit subtree)."""
        from teams import access

        return access.writable_units(user, self)


class DepartmentQuerySet(models.QuerySet):
    def readable_by(self, user) -> models.QuerySet:
        """Departments of the units `user` reads, plus their own department."""
        from teams import access

        return access.visible_departments(user, self)

    def overseen_by(self, user) -> models.QuerySet:
        """Departments of the units whose every figure and case `user` reads."""
        from teams import access

        return self.filter(unit__in=access.overseen_units(user))

    def writable_by(self, user) -> models.QuerySet:
        """Departments of the units whose cases `user` may change."""
        from teams import access

        return access.writable_departments(user, self)


class ProsecutorQuerySet(models.QuerySet):
    def readable_by(self, user, period: tuple[datetime.date, datetime.date] | None = None) -> models.QuerySet:
        """Staff `user` may see: of the units they read, themself, and the members of the teams they lead
        (a former member only if their membership overlaps `period`, by default today)."""
        from teams import access

        return access.visible_prosecutors(user, self, period=period)

    def writable_by(self, user) -> models.QuerySet:
        """Staff a case `user` records may be assigned to (of the units they write)."""
        from teams import access

        return access.writable_prosecutors(user, self)


class TeamQuerySet(models.QuerySet):
    def readable_by(self, user) -> models.QuerySet:
        """Teams `user` may see: of the units they read, and the teams they belong to or lead."""
        from teams import access

        return access.visible_teams(user, self)

    def overseen_by(self, user) -> models.QuerySet:
        """Teams whose members' figures `user` sees: the teams they lead and the teams of units they read."""
        from teams import access

        return access.overseen_teams(user, self)

    def writable_by(self, user) -> models.QuerySet:
        """Teams a case `user` records may be attributed to (of the units they write)."""
        from teams import access

        return access.writable_teams(user, self)

    def led_by(self, user) -> models.QuerySet:
        """Teams `user` leads today (带头人): they draft the team's year-end 述职."""
        from teams import access

        return access.teams_led_by(user, self)

    def plannable_by(self, user) -> models.QuerySet:
        """Teams whose annual plan `user` may edit: their own as lead, and those of units they lead."""
        from teams import access

        return access.plannable_teams(user, self)

    def rateable_by(self, user) -> models.QuerySet:
        """Teams whose year-end 评议 `user` may record: of units they lead, never a team they lead."""
        from teams import access

        return access.rateable_teams(user, self)


class Unit(models.Model):
    """A procuratorate (检察院); units form a tree: province → city → district."""

    code = models.CharField(_("单位编码"), max_length=64, unique=True)
    name = models.CharField(_("单位名称"), max_length=200, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def subtree_ids(self) -> list[int]:
        """Ids of this unit and every unit below it (the tree is shallow: walk it level by level)."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = list(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids


class Department(models.Model):
    """A department (部门) inside a unit, e.g. 第一检察部."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="departments")
    code = models.CharField(_("部门编码"), max_length=64, unique=True)
    name = models.CharField(_("部门名称"), max_length=200)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="department_name_unique_in_unit")]

    def __str__(self) -> str:
        return self.name


class Prosecutor(models.Model):
    """A person who handles cases (检察官 / 检察官助理 / 其他), linked to a login."""

    class Role(models.TextChoices):
        PROSECUTOR = "prosecutor", _("检察官")
        ASSISTANT = "assistant", _("检察官助理")
        OTHER = "other", _("其他")

    staff_code = models.CharField(_("工号"), max_length=64, unique=True)
    name = models.CharField(_("姓名"), max_length=100)
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="prosecutors")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="prosecutors"
    )
    role = models.CharField(_("身份"), max_length=16, choices=Role.choices, default=Role.PROSECUTOR)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="prosecutor",
    )

    objects = ProsecutorQuerySet.as_manager()

    class Meta:
        verbose_name = _("检察人员")
        verbose_name_plural = _("检察人员")
        ordering = ["staff_code"]

    def __str__(self) -> str:
        return paren(self.name, self.staff_code)


class Team(models.Model):
    """A specialised case-handling team (专业化办案团队), e.g. 合规护企; crosses departments."""

    team_code = models.CharField(_("团队编码"), max_length=64, unique=True)
    name = models.CharField(_("团队名称"), max_length=200)
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="teams")
    members = models.ManyToManyField(Prosecutor, through="Membership", related_name="teams")

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("办案团队")
        verbose_name_plural = _("办案团队")
        ordering = ["team_code"]

    def __str__(self) -> str:
        return self.name

    def members_on(self, day: datetime.date):
        """Memberships in force on `day` (dates shape rosters, never ratio attribution)."""
        return self.memberships.filter(
            models.Q(date_from__isnull=True) | models.Q(date_from__lte=day),
            models.Q(date_to__isnull=True) | models.Q(date_to__gte=day),
        )


class Membership(models.Model):
    """A dated membership of a prosecutor in a team; one person may be in several teams (专人不专职)."""

    class Role(models.TextChoices):
        LEADER = "leader", _("带头人")
        CORE = "core", _("核心成员")
        MEMBER = "member", _("其他组成人员")

        @staticmethod
        def rank() -> models.Case:
            """带头人 first, then 核心成员, then the others: the order rosters show (the codes sort otherwise)."""
            return models.Case(
                models.When(role="leader", then=0),
                models.When(role="core", then=1),
                default=2,
                output_field=models.IntegerField(),
            )

    team = models.ForeignKey(Team, verbose_name=_("团队"), on_delete=models.CASCADE, related_name="memberships")
    prosecutor = models.ForeignKey(
        Prosecutor, verbose_name=_("检察人员"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("团队角色"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    date_from = models.DateField(_("起始日期"), null=True, blank=True)
    date_to = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        ordering = ["team", "role", "prosecutor"]
        constraints = [
            models.UniqueConstraint(fields=["team", "prosecutor", "date_from"], name="membership_unique_start"),
            models.CheckConstraint(
                condition=models.Q(date_to__isnull=True)
                | models.Q(date_from__isnull=True)
                | models.Q(date_to__gte=models.F("date_from")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.prosecutor} · {self.get_role_display()}"


class StaffRole(models.Model):
    """A login's office role in a unit (案管, 院领导, 评查员, 评查组长); prosecutors and team leads need none."""

    class Kind(models.TextChoices):
        CASE_MANAGEMENT = "case_management", _("案件管理")
        LEADERSHIP = "leadership", _("院领导")
        REVIEWER = "reviewer", _("评查员")
        REVIEW_LEAD = "review_lead", _("评查组长")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), on_delete=models.CASCADE, related_name="staff_roles"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="staff_roles")
    kind = models.CharField(_("岗位"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("岗位授权")
        verbose_name_plural = _("岗位授权")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "kind"], name="staff_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_kind_display()}"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Tokens not revoked."""
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A per-user API key (`Authorization: Token <key>`); only its SHA-256 is stored, the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登录账号"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100)
    # The first characters of the key, kept so a user can tell their tokens apart; never enough to use it.
    prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_write = models.BooleanField(_("允许写入"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.name} · {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class NotificationPreference(models.Model):
    """A user's choice about the daily reminder e-mail (每日提醒), and the day it was last sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    daily_digest = models.BooleanField(_("接收每日提醒邮件"), default=True)
    last_digest_on = models.DateField(_("上次发送日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")

    def __str__(self) -> str:
        return str(self.user)


# The team's year (annual plan, achievements, 述职 and 评议) lives in its own module; imported here so
# Django registers its models with the teams app.
from teams.year_models import (  # noqa: E402, F401
    Achievement,
    AnnualPlan,
    OverallTask,
    PlanGoal,
    RatingLevel,
    YearEndRating,
    YearEndReport,
)
