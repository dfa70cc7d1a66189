"""Reading charges (罪名) as offices write them: by code or by name, with or without the final 罪.

Lists of charges (`other_charges`) are separated by `;` `；` `,` `，` `|` or line breaks — never by
`、`, which many charge names contain (掩饰、隐瞒犯罪所得、犯罪所得收益罪).
"""

from __future__ import annotations

import re

from cases.models import Charge

LIST_SEPARATORS = re.compile(r"[;；,，|\n\r]+")


def charge_index() -> dict[str, int]:
    """Every accepted spelling of every catalogue charge → its id (codes, names, names without 罪)."""
    index: dict[str, int] = {}
    for pk, code, name in Charge.objects.values_list("pk", "code", "name"):
        index[name] = pk
        index.setdefault(name.removesuffix("罪"), pk)
        index[code] = pk
    return index


def resolve(text: str, index: dict[str, int] | None = None) -> int | None:
    """The id of the charge written as `text` (code or name), None when the catalogue has none."""
    text = text.strip()
    if index is not None:
        return index.get(text)
    found = Charge.objects.filter(code=text).values_list("pk", flat=True).first()
    if found is None:
        found = Charge.objects.filter(name__in=[text, text + "罪"]).values_list("pk", flat=True).first()
    return found


def split_list(text: str) -> list[str]:
    """The charges of a list cell, in order, blanks dropped."""
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]
