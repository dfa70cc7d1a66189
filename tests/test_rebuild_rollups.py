"""`manage.py rebuild_rollups`: repairs a roll-up changed behind the product's back; `--check` only reports."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases import indicator_facts, rollup
from cases.models import Case, IndicatorFact, RatioFact
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
    assert f"{len(before)} rows checked" in out.getvalue()
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
    with pytest.raises(CommandError, match=r"differs from a rebuild in \d+ rows"):
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
