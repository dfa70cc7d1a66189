"""Property: after any sequence of review finalisations, amendments, overrides, withdrawals, case
corrections, import-style bulk reattributions and deletions, the maintained `ReviewFact` table equals
a rebuild, and `review_stats_for` (whole months from the table, partial ones raw) equals a plain
recount of the raw rows written here (issue 14)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import review_facts, rollup, services
from cases import review_workflow as wf
from cases.models import Case, Charge, QualityReview
from cases.ratio import RatioFilters
from cases.review_stats import review_stats_for
from tests.reviews_kit import D, at, closed_case, final_review, make_review_office

ITEMS = ["PR-F01", "LA-E01", "DO-F01", "EV-F01"]
GRADES = ["excellent", "qualified", "flawed", "unqualified"]
CHARGE_CODES = ["264", "266", "287-2", None]
CLOSED = [D(2025, 1, 20), D(2025, 3, 31), D(2025, 5, 15), D(2025, 6, 1)]
findings = st.lists(st.tuples(st.sampled_from(ITEMS), st.integers(1, 3)), max_size=3, unique_by=lambda f: f[0])
offsets = st.integers(0, 150)
cases = st.integers(0, len(CLOSED) - 1)
WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("final"), cases, findings, offsets, st.booleans()),
        st.tuples(st.just("lapse"), cases, findings, offsets, st.booleans()),
        st.tuples(
            st.just("resolve"),
            cases,
            findings,
            offsets,
            st.one_of(st.none(), findings),
            st.sampled_from([None, *GRADES]),
        ),
        st.tuples(st.just("override"), cases, findings, offsets, st.sampled_from(GRADES)),
        st.tuples(st.just("withdraw"), cases, findings, offsets, st.booleans()),
        st.tuples(st.just("reassign"), cases, st.integers(0, 2), st.booleans(), st.integers(0, 3)),
        st.tuples(st.just("import"), cases, st.integers(0, 2), st.booleans(), st.integers(0, 3)),
        st.tuples(st.just("delete"), cases),
    ),
    min_size=1,
    max_size=12,
)
days = st.dates(min_value=D(2025, 1, 1), max_value=D(2025, 12, 31))
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def ro(db):
    return make_review_office()


def _charge(index: int) -> Charge | None:
    code = CHARGE_CODES[index]
    return Charge.objects.get(code=code) if code else None


def _write(ro, case: Case, step) -> None:
    action, _index, *args = step
    team = ro.office.team
    if action in ("final", "lapse", "resolve", "override", "withdraw"):
        found, offset = args[0], args[1]
        day = min(case.closed_on + datetime.timedelta(days=offset), D(2025, 12, 20))
        if action == "final":
            final_review(case, ro.reviewer, found, on=day, merit=args[2] and not found)
            return
        review = wf.create_review(case, ro.reviewer, findings=found, reviewed_on=day, now=at(day))
        if action == "withdraw":
            wf.withdraw(review, ro.lead if args[2] else ro.reviewer, "重复", now=at(day, 12))
            return
        if action == "override":
            wf.override_grade(review, ro.lead, args[2], "组长调整", now=at(day, 11))
        wf.submit(review, ro.reviewer, now=at(day, 12))
        prosecutor = case.prosecutor.user
        if action == "lapse":
            wf.finalize_lapsed(now=at(day + datetime.timedelta(days=wf.OBJECTION_DAYS + 1), 9))
        elif action == "override":
            wf.accept(review, prosecutor, now=at(day, 15))
        else:
            new, grade = args[2], args[3]
            wf.object_to(review, prosecutor, "不同意", now=at(day, 13))
            later = at(day + datetime.timedelta(days=2))
            if new is None and grade is None:
                wf.resolve(review, ro.lead, "upheld", "维持", now=later)
            else:
                wf.resolve(review, ro.lead, "amended", "变更", findings=new, grade=grade, now=later)
    elif action in ("reassign", "import"):
        prosecutor, in_team, charge = ro.prosecutors[args[0]], args[1], _charge(args[2])
        if action == "reassign":
            case.prosecutor, case.department = prosecutor, prosecutor.department
            case.team, case.main_charge = team if in_team else None, charge
            services.save_case(case)
            return
        # What an import's writer does: a bulk write to many cases inside one case block (with
        # `force_table`, the touched ids go through the temporary id table, as for > 500 cases).
        ids = list(Case.objects.filter(pk__gte=case.pk).values_list("pk", flat=True))
        with rollup.maintained(ids):
            Case.objects.filter(pk__in=ids).update(
                prosecutor=prosecutor,
                department=prosecutor.department,
                team=team if in_team else None,
                main_charge=charge,
            )
    elif action == "delete":
        with rollup.maintained([case.pk]):
            QualityReview.objects.filter(case=case).delete()
            case.delete()


def recount(date_from, date_to, cases=None) -> dict:
    """DOMAIN §7's statistics the plainest way: every final review in range, in Python."""
    groups = defaultdict(
        lambda: {
            "reviews": 0,
            "score": Decimal(0),
            "grades": defaultdict(int),
            "ded": defaultdict(Decimal),
            "found": defaultdict(int),
        }
    )
    reviews = QualityReview.objects.filter(status="final", final_on__gte=date_from, final_on__lte=date_to)
    if cases is not None:
        reviews = reviews.filter(case__in=cases)
    for r in reviews.select_related("case__unit", "case__team", "case__prosecutor").prefetch_related("findings__item"):
        case = r.case
        key = (
            r.final_on.strftime("%Y-%m"),
            case.unit.code,
            case.team.team_code if case.team else None,
            case.prosecutor.staff_code,
        )
        g = groups[key]
        g["reviews"] += 1
        g["score"] += r.score
        g["grades"][r.final_grade] += 1
        for f in r.findings.all():
            g["ded"][f.dimension] += f.points * f.count
            g["found"][f.item.code] += f.count
    return {
        k: (v["reviews"], v["score"], dict(v["grades"]), dict(v["ded"]), dict(v["found"])) for k, v in groups.items()
    }


def reported(report) -> dict:
    out = {}
    for row in report.rows:
        key = tuple(row.keys.values())
        grades = {g: n for g, n in row.grades.items() if n}
        ded = {d: v for d, v in row.deductions.items() if v}
        out[key] = (row.reviews, row.score_sum, grades, ded, dict(row.findings))
    return out


@PROPERTY
@given(writes=WRITES, start=days, length=st.integers(0, 250), force_table=st.booleans())
def test_maintained_equals_rebuilt_equals_a_recount(ro, monkeypatch, writes, start, length, force_table):
    if force_table:
        monkeypatch.setattr(rollup, "_LISTED_IDS", 0)
    with transaction.atomic():
        team = ro.office.team
        made = []
        for i, closed_on in enumerate(CLOSED):
            made.append(closed_case(ro.prosecutors[i % 3], closed_on, team=team if i % 2 else None))
        for step in writes:
            case = Case.objects.filter(pk=made[step[1]].pk).select_related("prosecutor").first()
            if case is None:  # deleted by an earlier step
                continue
            try:
                with transaction.atomic():
                    _write(ro, case, step)
            except (wf.ReviewWorkflowError, services.SequenceRuleError):
                pass  # refused, as in real use: nothing changed

        maintained = review_facts.snapshot()
        review_facts.rebuild()
        assert maintained == review_facts.snapshot()

        date_to = min(start + datetime.timedelta(days=length), D(2025, 12, 31))
        report = review_stats_for(group_by="month,unit,team,prosecutor", date_from=start, date_to=date_to)
        expected = recount(start, date_to)
        assert reported(report) == expected
        assert report.total.reviews == sum(v[0] for v in expected.values())
        # Every level (unit, team, charge, full) gives the same total.
        for group_by in ("unit", "team", "prosecutor", "charge", "charge_chapter", "quarter,line"):
            other = review_stats_for(group_by=group_by, date_from=start, date_to=date_to)
            assert (other.total.reviews, other.total.score_sum, other.total.grades, other.total.findings) == (
                report.total.reviews,
                report.total.score_sum,
                report.total.grades,
                report.total.findings,
            )
            assert other.total.deductions == report.total.deductions
        one_team = review_stats_for(
            group_by="month", date_from=start, date_to=date_to, filters=RatioFilters(team=team.team_code)
        )
        mine = recount(start, date_to, Case.objects.filter(team=team))
        assert one_team.total.reviews == sum(v[0] for v in mine.values())
        assert one_team.total.score_sum == sum((v[1] for v in mine.values()), Decimal(0))
        transaction.set_rollback(True)
