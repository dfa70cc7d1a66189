"""Keep personal data out of the logs: names, case titles, ID and phone numbers, e-mail addresses.

Logs leave the office's control (files, collectors, support tickets) while the database does not.
The filter cannot know which words are a name, so it masks what could be one: every run of Chinese
characters (names and case titles are written in Chinese) except case numbers (统一受案号, an
identifier an operator needs), plus 18-digit resident ID numbers, mobile numbers and e-mail
addresses. Log messages of the product itself are written in English so nothing useful is lost.
The traceback of an exception is formatted and masked too, since exception texts often quote a value.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

MASK = "[*]"

# A case number such as 检刑受[2025]000123号 or 京检一部刑诉〔2025〕12号: kept, it names no person.
_CASE_NO = r"[\u3400-\u9fff]{1,12}[\[〔（(]\d{4}[\]〕）)][\u3400-\u9fff]{0,4}\d+号"
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef·]+"
_RESIDENT_ID = r"(?<!\d)\d{17}[\dXx](?!\d)"
_MOBILE = r"(?<!\d)1[3-9]\d{9}(?!\d)"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PATTERN = re.compile(f"(?P<keep>{_CASE_NO})|{_RESIDENT_ID}|{_MOBILE}|{_EMAIL}|{_HAN}")


# Django writes request paths with non-ASCII as \\uXXXX escapes, web servers as %XX bytes: decode first.
_ESCAPED = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2}){2,}")


def _unescape(text: str) -> str:
    text = _ESCAPED.sub(lambda m: m.group(0).encode("ascii").decode("unicode_escape"), text)
    return _PERCENT.sub(lambda m: unquote(m.group(0)), text)


def mask_personal_data(text: str) -> str:
    """`text` with every possible name, title, ID number, phone number and e-mail address masked."""
    return _PATTERN.sub(lambda m: m.group("keep") or MASK, _unescape(text))


class PersonalDataFilter(logging.Filter):
    """Masks personal data in a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string: log what we have rather than nothing
            message = str(record.msg)
        record.msg, record.args = mask_personal_data(message), None
        if record.exc_info and record.exc_info[0] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask_personal_data(formatted)
            # Handlers that re-format exc_info themselves would bring the raw text back.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
