"""One stored form of a case number (统一受案号, DOMAIN.md §3): 〔2026〕, half-width digits, no spaces.

Real 受案号 write the year in 六角括号 〔2026〕. Spreadsheets, forms and other systems also write
`[2026]`, full-width `［2026］`, `【2026】`, `〖2026〗`, the small form `﹝2026﹞` (Word's symbol
table) and full-width digits `２０２６`; all name the same case. `normalise_case_no` maps them onto
the real form. Decisions (docs/import.md, "Case numbers"):

- square, lenticular and small tortoise-shell brackets become 〔〕 wherever they stand: a 受案号 has no
  other use for them;
- round brackets `(2026)` / `（2026）` become 〔2026〕 only around a four-digit year: elsewhere they
  may be part of a number (a court's （2026）京01刑初1号 is not a 受案号, but round brackets around
  anything else are left as written rather than guessed at);
- full-width digits and Latin letters become half-width; all whitespace (including the ideographic
  space U+3000) is removed — a number has none, and a pasted one often carries some.

`CaseNumberField` applies the rule to every value saved and to every value a query compares with
(exact, in, contains, starts/ends with, case-insensitive variants), so forms, the API, the admin,
the search box and the drill-down filters all find a case by either form.
"""

from __future__ import annotations

import re

from django.db import models
from django.db.models import lookups

_FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_FULL_WIDTH |= {chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)}
_FULL_WIDTH |= {chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)}
_BRACKETS = {o: "〔" for o in "[［【〖﹝❲⦗"} | {c: "〕" for c in "]］】〗﹞❳⦘"}
_TABLE = str.maketrans(_FULL_WIDTH | _BRACKETS)
_YEAR_IN_ROUND_BRACKETS = re.compile(r"[(（](\d{4})[)）]")
_SPACE = re.compile(r"\s+")


def normalise_case_no(value: str) -> str:
    """The stored form of a case number written in any of the accepted forms (module docstring)."""
    value = _SPACE.sub("", value.translate(_TABLE))
    return _YEAR_IN_ROUND_BRACKETS.sub(r"〔\1〕", value)


class CaseNumberField(models.CharField):
    """A CharField holding a case number in its stored form, and comparing queries in that form too."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_case_no(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalise_case_no(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        # Normalise the instance too, so what a form or the API answers is what was stored.
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


def _normalised(lookup: type[lookups.Lookup]) -> type[lookups.Lookup]:
    """The pattern lookup with its right-hand side passed through the field's normalisation."""
    return type(f"CaseNumber{lookup.__name__}", (lookup,), {"prepare_rhs": True})


for _lookup in (
    lookups.IExact,
    lookups.Contains,
    lookups.IContains,
    lookups.StartsWith,
    lookups.IStartsWith,
    lookups.EndsWith,
    lookups.IEndsWith,
):
    CaseNumberField.register_lookup(_normalised(_lookup))
