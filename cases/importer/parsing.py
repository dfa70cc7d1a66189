"""Cell parsers for imported spreadsheets: dates, booleans, integers and choice labels.

Columns are parsed through their distinct values (`map_unique`): a 2.5-million-row events file
holds only a few thousand distinct dates and a few dozen event codes, so each distinct value is
parsed once in Python and spread back over the rows with numpy.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

# Excel's day zero for serial dates (the 1900 leap-year bug makes 1899-12-30 the working epoch).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31

_DATE_PARTS = re.compile(
    r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_INTEGER = re.compile(r"^[+]?\d+(?:\.0*)?$")

TRUE_WORDS = frozenset({"true", "1", "是", "yes", "y", "t", "√", "✓", "1.0"})
FALSE_WORDS = frozenset({"false", "0", "否", "no", "n", "f", "×", "✗", "0.0"})


class CellError(ValueError):
    """A cell value that cannot be read; the message is the reason shown to the user."""


def parse_date(text: str) -> datetime.date | None:
    """A date from `2025-03-01`, `2025/3/1`, `2025年3月1日`, `20250301` or an Excel serial; None if blank."""
    text = text.strip()
    if not text:
        return None
    match = _DATE_PARTS.match(text) or _COMPACT_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise CellError(_("日期不存在")) from None
    if _SERIAL.match(text):
        serial = float(text)
        if 1 <= serial <= EXCEL_MAX_SERIAL:
            return EXCEL_EPOCH + datetime.timedelta(days=int(serial))
    raise CellError(_("无法识别的日期（应为 2025-03-01、2025/3/1、2025年3月1日 或 Excel 日期）"))


def parse_bool(text: str) -> bool | None:
    """A boolean from `true/false/1/0/是/否` (and yes/no); None if blank."""
    word = text.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("应为 是/否、true/false 或 1/0"))


def parse_positive_int(text: str) -> int | None:
    """A whole number ≥ 1 (persons); None if blank."""
    text = text.strip()
    if not text:
        return None
    if not _INTEGER.match(text):
        raise CellError(_("应为正整数"))
    value = int(float(text)) if "." in text else int(text)
    if value < 1:
        raise CellError(_("应为正整数"))
    return value


@dataclass(frozen=True)
class Choices:
    """Accepted spellings of a choice column: its code values and their Chinese/English labels."""

    aliases: dict[str, str]
    hint: str

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, str]], extra: dict[str, str] | None = None) -> Choices:
        """From (value, label) pairs, plus extra unambiguous synonyms."""
        aliases: dict[str, str] = {}
        values = []
        for value, label in pairs:
            values.append(value)
            aliases[value.lower()] = value
            aliases[str(label).strip().lower()] = value
        for word, value in (extra or {}).items():
            aliases.setdefault(word.lower(), value)
        return cls(aliases, "|".join(values))

    def parse(self, text: str) -> str | None:
        """The code value for `text`; None if blank."""
        word = text.strip().lower()
        if not word:
            return None
        try:
            return self.aliases[word]
        except KeyError:
            raise CellError(_("不是可选值（%(hint)s）") % {"hint": self.hint}) from None


def parse_text(text: str) -> str | None:
    """A trimmed text cell; None if blank."""
    text = text.strip()
    return text or None


@dataclass
class Parsed:
    """A parsed column: `values` per row (`fill` where blank or bad), `blank` and `bad` masks, reasons."""

    values: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    reasons: np.ndarray  # reason per row, "" where fine


def map_unique(
    column: pd.Series, parse: Callable[[str], object], dtype: object = object, fill: object = None
) -> Parsed:
    """Parse each distinct value of `column` once and spread the results over its rows."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), sort=False)
    size = len(uniques) + 1  # the last slot serves factorize's -1 (missing)
    parsed = np.full(size, fill, dtype=dtype)
    reasons = np.full(size, "", dtype=object)
    blank = np.ones(size, dtype=bool)
    for i, text in enumerate(uniques):
        try:
            value = parse(str(text))
        except CellError as error:
            reasons[i] = str(error)
            blank[i] = False
            continue
        if value is not None:
            parsed[i] = value
            blank[i] = False
    row_reasons = reasons[codes]
    return Parsed(parsed[codes], blank[codes], row_reasons != "", row_reasons)


def parse_date_ordinal(text: str) -> int | None:
    """`parse_date` as a proleptic ordinal (int), cheap to store, sort and compare in numpy."""
    day = parse_date(text)
    return day.toordinal() if day else None


def ordinal_to_date(ordinal: int) -> datetime.date | None:
    """The date of an ordinal (None for 0, the "not given" fill)."""
    return datetime.date.fromordinal(int(ordinal)) if ordinal else None
