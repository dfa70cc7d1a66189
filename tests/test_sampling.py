"""Monthly review sampling (DOMAIN.md §7): reproducible, key cases in, reviewed cases out, reviewer ≠ prosecutor."""

import pytest

from cases.models import Case
from cases.sampling import KEY, RANDOM, SamplingError, create_sampled_reviews, sample_cases
from tests.reviews_kit import D, closed_case, final_review, make_review_office


@pytest.fixture
def ro(db):
    ro = make_review_office()
    p1, p2, _p3 = ro.prosecutors
    # p1 closes 6 cases in June 2025, one of them not prosecuted (key); p2 closes 2 plus a withdrawn one.
    for n in range(5):
        closed_case(p1, D(2025, 6, 1 + n), case_no=f"A-{n:02d}")
    closed_case(p1, D(2025, 6, 20), [("non_prosecution", D(2025, 6, 20))], case_no="A-KEY")
    for n in range(2):
        closed_case(p2, D(2025, 6, 2 + n), case_no=f"B-{n:02d}")
    closed_case(
        p2, D(2025, 6, 25), [("indictment", D(2025, 6, 1)), ("prosecution_withdrawal", D(2025, 6, 24))], case_no="B-KEY"
    )
    closed_case(p2, D(2025, 7, 1), case_no="B-JULY")  # another month
    return ro


def numbers(result, reason=None):
    return [s.case.case_no for s in result.cases if reason is None or s.reason == reason]


def test_same_seed_same_sample_and_another_seed_differs(ro):
    first = sample_cases("2025-06", 30, seed=7)
    again = sample_cases(D(2025, 6, 15), 30, seed=7)
    assert numbers(first) == numbers(again)
    assert [s.reviewer for s in first.cases] == [s.reviewer for s in again.cases]
    others = {tuple(numbers(sample_cases("2025-06", 30, seed=s), RANDOM)) for s in range(1, 8)}
    assert len(others) > 1


def test_quota_per_prosecutor_is_rounded_up_and_key_cases_come_on_top(ro):
    result = sample_cases("2025-06", 30, seed=1)
    assert result.quotas == {"P-001": 2, "P-002": 1}  # ceil(30% of 6), ceil(30% of 3)
    assert sorted(numbers(result, KEY)) == ["A-KEY", "B-KEY"]
    randoms = numbers(result, RANDOM)
    assert sum(n.startswith("A-") for n in randoms) == 2 and sum(n.startswith("B-") for n in randoms) == 1
    assert "B-JULY" not in numbers(result)


def test_key_cases_are_included_even_at_zero_percent(ro):
    result = sample_cases("2025-06", 0, seed=1)
    assert numbers(result) == ["A-KEY", "B-KEY"]


def test_a_key_step_brings_its_case_into_the_key_list_of_its_own_month(ro, today_fixed):
    """Issue 13 D2 / DOMAIN §7: the month of the key step, whatever the closing month."""
    today_fixed(D(2025, 12, 31))
    p3 = ro.prosecutors[2]
    closed_case(p3, D(2025, 6, 3), [("indictment", D(2025, 5, 20)), ("retrial", D(2025, 9, 1))], case_no="C-RT")
    closed_case(p3, D(2025, 3, 3), [("non_prosecution", D(2025, 3, 3)), ("state_compensation", D(2025, 9, 9))])
    closed_case(p3, D(2025, 4, 3), [("indictment", D(2025, 4, 1)), ("prosecution_withdrawal", D(2025, 9, 20))])
    assert "C-RT" not in numbers(sample_cases("2025-06", 0, seed=1))
    september = sample_cases("2025-09", 0, seed=1)
    assert len(numbers(september, KEY)) == 3 and "C-RT" in numbers(september, KEY)
    # An earlier routine review does not keep a later key step out; a review after it does.
    compensated = Case.objects.get(events__event_type__code="state_compensation")
    final_review(compensated, ro.reviewer, on=D(2025, 4, 1))
    assert compensated.case_no in numbers(sample_cases("2025-09", 0, seed=1), KEY)
    final_review(compensated, ro.reviewer, on=D(2025, 9, 30), review_type="key")
    assert compensated.case_no not in numbers(sample_cases("2025-09", 0, seed=1))


def test_key_outcomes_acquittal_and_amendment_make_key_cases(ro, today_fixed):
    """DOMAIN §7: 无罪判决 and 改判 are read from recorded outcomes, not from event codes alone."""
    from cases import services

    today_fixed(D(2025, 12, 31))
    p3 = ro.prosecutors[2]
    acquitted = closed_case(p3, D(2025, 5, 3), [("indictment", D(2025, 5, 1))], case_no="C-ACQ", persons=2)
    services.log_event(acquitted, "judgment", D(2025, 10, 8), persons=2, outcomes="无罪:1;有罪:1")
    guilty = closed_case(p3, D(2025, 5, 3), [("indictment", D(2025, 5, 1))], case_no="C-GUILTY")
    services.log_event(guilty, "judgment", D(2025, 10, 8), outcomes="有罪")
    amended = closed_case(p3, D(2025, 5, 3), [("indictment", D(2025, 5, 1))], case_no="C-AMD")
    services.log_event(amended, "judgment", D(2025, 8, 8), outcomes="有罪")
    services.log_event(amended, "second_instance", D(2025, 10, 20), outcomes="改判")
    upheld = closed_case(p3, D(2025, 5, 3), [("indictment", D(2025, 5, 1))], case_no="C-UPHELD")
    services.log_event(upheld, "second_instance", D(2025, 10, 20), outcomes="维持")
    assert numbers(sample_cases("2025-10", 0, seed=1), KEY) == ["C-ACQ", "C-AMD"]
    assert numbers(sample_cases("2025-08", 0, seed=1), KEY) == []


def test_already_reviewed_cases_are_never_drawn(ro):
    for case in Case.objects.filter(case_no__in=["A-00", "A-01", "A-02", "A-KEY"]):
        final_review(case, ro.reviewer, on=D(2025, 7, 1))
    result = sample_cases("2025-06", 100, seed=3)
    assert not {"A-00", "A-01", "A-02", "A-KEY"} & set(numbers(result))
    # the quota is taken of all cases closed; the ordinary cases already reviewed fill part of it
    assert result.quotas["P-001"] == 6 - 3
    assert numbers(result)[:2] == ["A-03", "A-04"] and "B-00" in numbers(result)


def test_reviewer_is_never_the_prosecutor_and_turns_rotate(ro):
    from teams.models import StaffRole

    # p1's own login is also a reviewer of the unit: it must never get its own cases.
    p1_user = ro.prosecutors[0].user
    StaffRole.objects.create(user=p1_user, unit=ro.office.unit, kind=StaffRole.Kind.REVIEWER)
    result = sample_cases("2025-06", 100, seed=5)
    assert all(s.reviewer is not None for s in result.cases)
    assert all(s.reviewer.pk != s.case.prosecutor.user_id for s in result.cases)
    counts = {}
    for s in result.cases:
        counts[s.reviewer.username] = counts.get(s.reviewer.username, 0) + 1
    assert set(counts) == {"reviewer-a", "reviewer-b", p1_user.username}
    first_three = [s.reviewer.username for s in result.cases[:3]]  # A-00..A-02 are p1's: the other two alternate
    assert first_three == ["reviewer-a", "reviewer-b", "reviewer-a"]


def test_unit_filter_and_units_without_reviewers(ro):
    from tests.factories import DepartmentFactory, ProsecutorFactory, UnitFactory

    other = UnitFactory(code="U-OTHER", name="邻区人民检察院")
    below = UnitFactory(code="U-BELOW", name="下级人民检察院", parent=ro.office.unit)
    district = ProsecutorFactory(department=DepartmentFactory(unit=below), unit=below)
    closed_case(district, D(2025, 6, 9), case_no="Y-01")
    outsider = ProsecutorFactory(department=DepartmentFactory(unit=other), unit=other)
    closed_case(outsider, D(2025, 6, 9), case_no="X-01")
    only_other = sample_cases("2025-06", 100, seed=1, unit="U-OTHER")
    assert numbers(only_other) == ["X-01"] and only_other.unassigned[0].case.case_no == "X-01"
    ours = sample_cases("2025-06", 100, seed=1, unit=ro.office.unit)
    assert "X-01" not in numbers(ours)
    # the unit below has no reviewers of its own: the parent unit's reviewers serve it
    assert {s.case.case_no: s.reviewer for s in ours.cases}["Y-01"] is not None


def test_bad_parameters_name_the_field(ro):
    for kwargs, field in [
        ({"month": "June"}, "month"),
        ({"percentage": 120}, "percentage"),
        ({"unit": "U-NOPE"}, "unit"),
    ]:
        args = {"month": "2025-06", "percentage": 10, "seed": 1, **kwargs}
        with pytest.raises(SamplingError) as err:
            sample_cases(**args)
        assert err.value.field == field


def test_sample_opens_draft_reviews_of_the_right_type(ro):
    result = sample_cases("2025-06", 10, seed=2)
    reviews = create_sampled_reviews(result, ro.lead, reviewed_on=D(2025, 7, 2))
    assert len(reviews) == len(result.cases) == 4
    assert {r.case.case_no for r in reviews if r.review_type == "key"} == {"A-KEY", "B-KEY"}
    assert sample_cases("2025-06", 10, seed=2).cases == []


def test_command_prints_the_sample_and_opens_drafts(ro):
    import io

    from django.core.management import CommandError, call_command

    from cases.models import QualityReview

    out = io.StringIO()
    call_command("sample_reviews", month="2025-06", percentage=10, seed="2", create=True, lead="lead", stdout=out)
    assert "4 case(s) drawn" in out.getvalue() and "4 draft review(s) opened" in out.getvalue()
    assert QualityReview.objects.filter(status="draft").count() == 4
    with pytest.raises(CommandError, match="percentage"):
        call_command("sample_reviews", month="2025-06", percentage=101, seed="2", stdout=out)
