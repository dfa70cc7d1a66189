import datetime

from cases import rollup
from cases.ratio import RatioFilters, ratio_for
from tests.factories import make_case

D = datetime.date


def test_worked_example_single_case(org):
    case = make_case(
        org.prosecutors[0],
        [
            ("arrest_review", D(2025, 1, 3)),
            ("arrest_reconsideration", D(2025, 1, 8)),
            ("arrest_superior_review", D(2025, 1, 12)),
            ("prosecution_review", D(2025, 2, 1)),
            ("supplementary_investigation", D(2025, 2, 20)),
            ("resubmission", D(2025, 3, 15)),
            ("supplementary_investigation", D(2025, 4, 1)),
            ("resubmission", D(2025, 4, 25)),
            ("review_extension", D(2025, 5, 10)),
        ],
        team=org.team,
    )
    assert case.items == 6
    assert case.received_on == D(2025, 1, 3)
    report = ratio_for(group_by="month,team", date_from=D(2025, 1, 1), date_to=D(2025, 12, 31))
    assert report.total.cases == 1 and report.total.items == 6
    assert report.total.ratio_display == "1:6.00"
    partial = ratio_for(date_from=D(2025, 1, 2), date_to=D(2025, 4, 15), filters=RatioFilters(team="T-HQ"))
    assert partial.total.cases == 1 and partial.total.items == 5
    assert rollup.snapshot() == _rebuilt()


def _rebuilt():
    rollup.rebuild()
    return rollup.snapshot()
