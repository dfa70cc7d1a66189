"""`manage.py rebuild_rollups`: repairs a roll-up changed behind the product's back; `--check` only reports."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases import indicator_facts, review_facts, rollup
from cases.models import Case, IndicatorFact, RatioFact, ReviewFact
from tests.factories import make_case

D = datetime.date


@pytest.fixture
def office_with_cases(org):
    p1, p2, _ = org.prosecutors
    make_case(p1, [("prosecution_review", D(2025, 3, 3)), ("supplementary_investigation", D(2025, 3, 20))])
    make_case(p2, [("arrest_review", D(2025, 4, 2))])
    return org


def test_check_passes_on_a_maintained_rollup_and_changes_nothing(office_with_cases):
    before = rollup.snapshot()
    out = StringIO()
    call_command("rebuild_rollups", "--check", stdout=out)
    assert f"roll-up {len(before)} rows" in out.getvalue()
    assert rollup.snapshot() == before


def test_a_rollup_changed_behind_the_products_back_is_found_then_repaired(office_with_cases):
    maintained = rollup.snapshot()
    # A hand-written fix (or a restore of one table) that skipped the write path.
    RatioFact.objects.filter(level="unit").update(items=999)
    with pytest.raises(CommandError, match=r"differs from a rebuild in \d+ rows"):
        call_command("rebuild_rollups", "--check", stdout=StringIO())
    assert RatioFact.objects.filter(level="unit", items=999).exists(), "--check must not repair"

    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "roll-up rebuilt" in out.getvalue()
    assert rollup.snapshot() == maintained


def test_an_indicator_table_changed_behind_the_products_back_is_found_then_repaired(office_with_cases):
    maintained = indicator_facts.snapshot()
    assert maintained
    IndicatorFact.objects.filter(level="team").update(returned=7)
    with pytest.raises(CommandError, match=r"maintained indicators differs from a rebuild in \d+ rows"):
        call_command("rebuild_rollups", "--check", stdout=StringIO())
    assert IndicatorFact.objects.filter(level="team", returned=7).exists(), "--check must not repair"
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "indicators" in out.getvalue()
    assert indicator_facts.snapshot() == maintained


def test_nested_maintained_blocks_leave_no_state_behind_after_a_failure(office_with_cases):
    """The nesting lives in a context variable reset on the way out, also when the write fails."""
    case = Case.objects.filter(prosecutor=office_with_cases.prosecutors[0]).first()
    with pytest.raises(RuntimeError), rollup.maintained([case.pk]):
        raise RuntimeError("write failed")
    assert rollup._blocks.get() == ()
    with rollup.maintained([case.pk]), rollup.maintained([case.pk]):
        assert rollup._blocks.get() == (frozenset({case.pk}),)  # the inner block leaves it to the outer
    assert rollup._blocks.get() == ()


@pytest.fixture
def office_with_reviews(db):
    from tests.reviews_kit import closed_case, final_review, make_review_office

    ro = make_review_office()
    p1, p2, _ = ro.prosecutors
    final_review(closed_case(p1, D(2025, 5, 2)), ro.reviewer, [("PR-F01", 2, "")], on=D(2025, 6, 3))
    final_review(closed_case(p2, D(2025, 5, 4)), ro.reviewer2, [("LA-E01", 1, "")], on=D(2025, 7, 1))
    return ro


def test_the_review_rollup_is_checked_and_repaired_too(office_with_reviews):
    maintained = review_facts.snapshot()
    assert maintained, "final reviews are counted as they become final"
    out = StringIO()
    call_command("rebuild_rollups", "--check", stdout=out)
    assert f"reviews {len(maintained)} rows" in out.getvalue()

    ReviewFact.objects.filter(level="unit", item_id=0).update(reviews=999)
    with pytest.raises(CommandError, match=r"maintained reviews differs from a rebuild in \d+ rows"):
        call_command("rebuild_rollups", "--check", stdout=StringIO())
    assert ReviewFact.objects.filter(reviews=999).exists(), "--check must not repair"
    call_command("rebuild_rollups", stdout=StringIO())
    assert review_facts.snapshot() == maintained


def test_migrate_fills_count_tables_a_release_added_empty(office_with_cases):
    """An upgrade adds a count table empty beside stored cases: `migrate` fills it from the raw rows."""
    maintained = indicator_facts.snapshot()
    IndicatorFact.objects.all().delete()  # as the migration that adds the table leaves it
    call_command("migrate", verbosity=0)
    assert indicator_facts.snapshot() == maintained
    # Nothing to do on a maintained database: the tables are left as they are.
    RatioFact.objects.filter(level="unit").update(items=999)
    call_command("migrate", verbosity=0)
    assert RatioFact.objects.filter(level="unit", items=999).exists()
