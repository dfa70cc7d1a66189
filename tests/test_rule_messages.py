"""Sequence-rule violations carry a rule id and parameters, rendered in the reader's language."""

import datetime
import re

import pytest
from django.utils import translation

from cases.sequence_rules import MESSAGES, RULE_TITLES, EventRecord, check_sequence

D = datetime.date
TODAY = D(2025, 6, 30)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def stored(*events):
    return [EventRecord(code, day, ("stored", n)) for n, (code, day) in enumerate(events)]


def incoming(*events):
    return [EventRecord(code, day, ("row", n)) for n, (code, day) in enumerate(events)]


# One file of cases breaking each rule (every rule id in MESSAGES appears once).
BROKEN = {
    "date_range": ([], incoming(("prosecution_review", D(2025, 7, 1))), {}),
    "needs_prosecution_review": ([], incoming(("indictment", D(2025, 3, 1))), {}),
    "resubmission_needs_return": (
        stored(("prosecution_review", D(2025, 3, 1))),
        incoming(("resubmission", D(2025, 3, 9))),
        {},
    ),
    "needs_predecessor": ([], incoming(("arrest_decision", D(2025, 3, 1))), {}),
    "supplementary_limit": (
        stored(
            ("prosecution_review", D(2025, 1, 1)),
            ("supplementary_investigation", D(2025, 1, 5)),
            ("resubmission", D(2025, 2, 1)),
            ("supplementary_investigation", D(2025, 2, 5)),
            ("resubmission", D(2025, 3, 1)),
        ),
        incoming(("supplementary_investigation", D(2025, 3, 5))),
        {},
    ),
    "one_extension_per_period": (
        stored(("prosecution_review", D(2025, 1, 1)), ("review_extension", D(2025, 1, 20))),
        incoming(("review_extension", D(2025, 1, 25))),
        {},
    ),
    "after_closure": (
        stored(("prosecution_review", D(2025, 1, 1))),
        incoming(("supplementary_investigation", D(2025, 3, 5))),
        {"closed_on": D(2025, 2, 1), "stored_closed_on": D(2025, 2, 1)},
    ),
    "one_intake": (stored(("prosecution_review", D(2025, 1, 1))), incoming(("prosecution_review", D(2025, 2, 1))), {}),
    "needs_indictment": (stored(("prosecution_review", D(2025, 1, 1))), incoming(("judgment", D(2025, 2, 1))), {}),
    "case_line": ([], incoming(("prosecution_review", D(2025, 2, 1))), {"line": "civil", "stored_line": "civil"}),
}


def violation_of(rule):
    before, new, case = BROKEN[rule]
    rest = {k: v for k, v in case.items() if k != "closed_on"}
    found = check_sequence(before, new, case.get("closed_on"), TODAY, **rest)
    assert [v.rule for v in found] == [rule]
    return found[0]


def test_every_rule_has_a_message_and_a_title():
    assert set(MESSAGES) == set(RULE_TITLES) == set(BROKEN)


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_a_violation_reads_in_chinese_and_in_english(rule):
    violation = violation_of(rule)
    with translation.override("zh-hans"):
        chinese = str(violation)
    with translation.override("en"):
        english = str(violation)
    assert chinese.startswith("规则") and violation.event.date.isoformat() in chinese
    assert english.startswith("Rule ") and violation.event.date.isoformat() in english
    assert not CJK.search(english), english


def test_the_parameters_name_what_broke_the_rule():
    limit = violation_of("supplementary_limit")
    assert limit.params == {"rounds": 3}
    with translation.override("en"):
        assert "round 3" in limit.message and "supplementary investigation" in limit.message
    line = violation_of("case_line")
    with translation.override("en"):
        assert "Civil" in line.message or "civil" in line.message
    with translation.override("zh-hans"):
        assert "民事" in line.message and "审查起诉（受理）" in line.message
