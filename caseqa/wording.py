"""Punctuation that differs between the languages: full-width in Chinese, ASCII with spaces in English.

Each mark is its own msgid (Chinese is the source), so a page joins or brackets text in the reader's
language: `paren("张检察官", "P-001")` is 张检察官（P-001） in Chinese and "张检察官 (P-001)" in English.
Templates use the same msgids: `{% trans "：" %}`, `{% trans "；" %}`, `{% trans "、" as sep %}`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _


def paren(text, note) -> str:
    """`text（note）`: a remark in brackets after the text."""
    return _("%(text)s（%(note)s）") % {"text": text, "note": note}


def clauses(parts: Iterable) -> str:
    """Parts joined by a semicolon (；)."""
    return _("；").join(str(p) for p in parts)


def enumeration(parts: Iterable) -> str:
    """Items of a list joined by the enumeration comma (、)."""
    return _("、").join(str(p) for p in parts)


def labelled(label, value) -> str:
    """`label：value`."""
    return _("%(label)s：%(value)s") % {"label": label, "value": value}
