"""Issue 15: the person-counted numerators read from recorded outcomes list their cases
(`event` + `outcome`), and the list's persons equal the figure, on both bases."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from cases.indicators import indicators_for
from cases.models import Case
from cases.views.filtering import filter_cases, listed_persons
from tests.test_counterweights import YEAR, office, office_data  # noqa: F401

pytestmark = pytest.mark.django_db

LINKS = {
    "non_arrest_rate": ("arrest_decision", "not_approved"),
    "acquittal_count": ("judgment", "acquitted"),
}


@pytest.mark.parametrize("basis", ["flow", "cohort"])
@pytest.mark.parametrize("name", list(LINKS))
def test_outcome_list_persons_equal_the_numerator(office, name, basis):  # noqa: F811
    figure = indicators_for(basis=basis, **YEAR).total.values[name].numerator
    event, outcome = LINKS[name]
    params = QueryDict(mutable=True)
    params.update({"basis": basis, "date_from": "2025-01-01", "date_to": "2025-12-31"})
    params.update({"event": event, "outcome": outcome})
    cases, errors = filter_cases(Case.objects.all(), params)
    assert not errors
    assert listed_persons(cases, params) == figure
    assert figure > 0


def test_unknown_outcome_is_a_form_error_naming_the_parameter(office):  # noqa: F811
    params = QueryDict("event=judgment&outcome=nonsense")
    _cases, errors = filter_cases(Case.objects.all(), params)
    assert errors and "outcome" in errors[0]
