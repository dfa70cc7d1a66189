"""One statistics query for every engine: validated once, the same 400 naming the field from each."""

import datetime

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from cases.indicators import indicators_for
from cases.ratio import ratio_for
from cases.review_stats import review_stats_for
from cases.stats_query import RatioFilters, RatioQueryError, StatsQuery

D = datetime.date
ENGINES = [ratio_for, indicators_for, review_stats_for]
BAD = [
    ({"basis": "daily"}, "basis"),
    ({"group_by": "month,weekday"}, "group_by"),
    ({"date_from": D(2025, 3, 1), "date_to": D(2025, 2, 1)}, "date_from"),
    ({"filters": RatioFilters(unit="no-such-unit")}, "unit"),
    ({"filters": RatioFilters(line="martial")}, "line"),
    ({"filters": RatioFilters(charge_chapter="第十一章")}, "charge_chapter"),
]


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.__name__)
@pytest.mark.parametrize(("params", "field"), BAD, ids=[f for _p, f in BAD])
def test_every_engine_refuses_the_same_bad_query_naming_the_field(org, engine, params, field):
    with pytest.raises(RatioQueryError) as error:
        engine(**params)
    assert error.value.field == field
    with pytest.raises(RatioQueryError) as built:
        StatsQuery.build(**params)
    assert str(built.value) == str(error.value)


def test_the_message_is_in_the_readers_language(org):
    with translation.override("en"), pytest.raises(RatioQueryError, match="unknown basis daily; allowed: flow, cohort"):
        StatsQuery.build(basis="daily")
    with translation.override("zh-hans"), pytest.raises(RatioQueryError, match="未知的口径 daily"):
        StatsQuery.build(basis="daily")


def test_a_valid_query_resolves_its_filters_and_splits_its_grouping(org):
    query = StatsQuery.build(group_by="team,month", filters=RatioFilters(unit=org.unit.code), date_from=D(2025, 1, 1))
    assert query.periods == ("month",) and query.dims == ["team"] and query.key_columns == ("team_id",)
    assert query.columns == {"unit_id": org.unit.pk}
    assert query.date_from == D(2025, 1, 1) and query.date_to >= D(2025, 1, 1)


@pytest.mark.parametrize("path", ["ratio", "indicators", "reviews"])
def test_the_api_answers_400_naming_the_field_for_each_statistic(org, django_user_model, path):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root", "root@example.org", None))
    answer = client.get(f"/api/v1/stats/{path}/", {"basis": "daily"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400 and "basis" in answer.json()
