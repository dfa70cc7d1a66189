"""`manage.py seed_demo`: generate the demo office and create the demo logins (one password), then print them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases import services
from cases.demo import PRESETS, DemoDataError, generate
from cases.models import Case, TeamTarget
from teams.models import Achievement, AnnualPlan, Membership, OverallTask, PlanGoal, Prosecutor, StaffRole, Team, Unit

DEFAULT_PASSWORD = "caseqa-demo"
# (username, what the login is for); staff roles are granted on the root unit (it sees its whole subtree).
LOGINS = [
    ("admin", "超级管理员（/admin/）", None),
    ("clerk", "案件管理部门（案管）", StaffRole.Kind.CASE_MANAGEMENT),
    ("leader", "院领导", StaffRole.Kind.LEADERSHIP),
    ("reviewer", "评查员", StaffRole.Kind.REVIEWER),
    ("review_lead", "评查组长", StaffRole.Kind.REVIEW_LEAD),
    ("team_lead", "办案团队带头人（合规护企）", None),
    ("prosecutor", "承办检察官（合规护企成员）", None),
]


class Command(BaseCommand):
    help = "生成演示数据（单位、部门、检察人员、团队、案件与诉讼环节）并创建演示账号。"

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="small", choices=sorted(PRESETS), help="数据规模（默认 small）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子：相同参数与种子生成相同数据")
        parser.add_argument("--if-empty", action="store_true", help="已有案件时不生成（仍打印登录信息）")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="所有演示账号的密码")

    def handle(self, *args, scale: str, seed: int, if_empty: bool, password: str, **options):
        if if_empty and Case.objects.exists():
            self.stdout.write("数据库中已有案件，未生成演示数据。")
            self._print_logins(password, existing_only=True)
            return
        self.stdout.write(f"正在生成演示数据（规模 {scale}，种子 {seed}）……")
        try:
            summary = generate(scale, seed=seed, progress=self._progress)
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(str(summary)))
        self._set_team_targets()
        self._set_team_plans()
        self._create_logins(password)
        self._print_logins(password)

    def _progress(self, done: int, total: int) -> None:
        if total >= 50_000:
            self.stdout.write(f"  {done:,} / {total:,}")

    def _set_team_targets(self) -> None:
        """Annual target ratios for each team (the dashboards draw them as a line), 1.30–1.45 by team."""
        this_year = services.today().year
        targets = [
            TeamTarget(team=team, year=year, target_ratio=Decimal("1.30") + Decimal("0.05") * (index % 4))
            for index, team in enumerate(Team.objects.order_by("team_code"))
            for year in range(this_year - 2, this_year + 1)
        ]
        TeamTarget.objects.bulk_create(targets, ignore_conflicts=True)

    @transaction.atomic
    def _set_team_plans(self) -> None:
        """Last year's and this year's plan of each team (典型案例 3, 调研文章 2, 机制创新 1, 课程 1) and a few
        achievements dated so the progress fills through the year (this year's: up to today)."""
        today = services.today()
        tasks = {t.code: t for t in OverallTask.objects.all()}
        wanted = [("typical_cases", 3), ("research", 2), ("mechanism", 1), ("courses", 1)]
        done = [("typical_cases", 2, 15), ("research", 4, 10), ("typical_cases", 6, 20), ("courses", 9, 5)]
        done += [("mechanism", 11, 12), ("typical_cases", 12, 1)]
        teams = list(Team.objects.order_by("team_code"))
        for year in (today.year - 1, today.year):
            AnnualPlan.objects.bulk_create(
                [AnnualPlan(team=team, year=year, summary="围绕五项总任务制定年度工作计划") for team in teams],
                ignore_conflicts=True,
            )
            plans = list(AnnualPlan.objects.filter(year=year, goals=None, achievements=None).select_related("team"))
            PlanGoal.objects.bulk_create(
                [
                    PlanGoal(plan=plan, task=tasks[code], target=n)
                    for plan in plans
                    for code, n in wanted
                    if code in tasks
                ]
            )
            items = [
                Achievement(
                    plan=plan,
                    task=tasks[code],
                    title=f"{plan.team.name}{tasks[code].measure}（{month}月）",
                    date=datetime.date(year, month, day),
                )
                for index, plan in enumerate(plans)
                for code, month, day in done[: 3 + index % 4]
                if code in tasks and datetime.date(year, month, day) <= today
            ]
            Achievement.objects.bulk_create(items)

    @transaction.atomic
    def _create_logins(self, password: str) -> None:
        User = get_user_model()
        root = Unit.objects.filter(parent__isnull=True).order_by("code").first()
        team = Team.objects.filter(unit=root, name="合规护企").first() or Team.objects.order_by("pk").first()
        leader = _member(team, Membership.Role.LEADER)
        member = (
            _member(team, Membership.Role.CORE, exclude=leader)
            or _member(team, Membership.Role.MEMBER, exclude=leader)
            or Prosecutor.objects.filter(unit=root, role="prosecutor").exclude(pk=getattr(leader, "pk", None)).first()
        )
        for username, _label, kind in LOGINS:
            user, _created = User.objects.get_or_create(username=username)
            user.set_password(password)
            if username == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
            if kind:
                StaffRole.objects.get_or_create(user=user, unit=root, kind=kind)
            person = {"team_lead": leader, "prosecutor": member}.get(username)
            if person is not None:
                Prosecutor.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
                person.user = user
                person.save(update_fields=["user"])
                user.first_name = person.name
                user.save(update_fields=["first_name"])

    def _print_logins(self, password: str, existing_only: bool = False) -> None:
        User = get_user_model()
        users = {
            u.username: u
            for u in User.objects.filter(username__in=[name for name, *_ in LOGINS]).select_related("prosecutor")
        }
        rows = [(name, label) for name, label, _k in LOGINS if name in users or not existing_only]
        if not rows:
            self.stdout.write("没有演示账号。")
            return
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {password}，{settings.CASEQA_SITE_URL}/ ）："))
        for username, label in rows:
            person = getattr(users.get(username), "prosecutor", None)
            who = f"：{person.name}（{person.staff_code}）" if person else ""
            self.stdout.write(f"  {username:<12} {label}{who}")


def _member(team: Team | None, role: str, exclude: Prosecutor | None = None) -> Prosecutor | None:
    """A prosecutor (role 检察官) holding `role` in `team`, current membership first."""
    if team is None:
        return None
    people = Prosecutor.objects.filter(
        memberships__team=team, memberships__role=role, memberships__date_to__isnull=True, role="prosecutor"
    )
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return people.order_by("staff_code").first()
