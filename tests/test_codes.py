"""cases/codes.py names exactly the codes of the seeded catalogue, and the groups hold catalogue codes."""

from cases import codes
from cases.catalogue_seed import CRIMINAL_2020_EVENTS
from cases.models import EventType


def test_every_catalogue_code_has_its_constant_and_no_other():
    named = {value for name, value in vars(codes).items() if name.isupper() and isinstance(value, str)}
    assert named == {code for code, _zh, _en, _kind in CRIMINAL_2020_EVENTS}


def test_the_groups_name_seeded_codes_of_the_right_kind(db):
    seeded = dict(EventType.objects.filter(rule_set__code="criminal-2020").values_list("code", "kind"))
    assert {seeded[c] for c in codes.BASE_CODES} == {"base"}
    assert set(seeded) >= codes.REVIEW_PERIOD_STARTS | codes.REVIEW_ENDS
