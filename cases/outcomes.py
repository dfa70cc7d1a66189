"""Outcomes of procedural events (DOMAIN §3): 批准/不批准逮捕, 有罪/无罪…, 维持/改判/发回重审.

Each event type declares its choices in the catalogue (`OutcomeChoice`, seeded, editable). An event
stores them as ``{code: persons}``, so one decision on three suspects can approve two and refuse one.
Every write path (form, API, admin, importer) reads what people type through `parse_outcomes`:

- one choice, by code or label (``不批准逮捕``, ``not_approved``): all the event's persons;
- several, each with its persons: ``批准逮捕:2;不批准逮捕:1`` (``:`` or ``：``; ``;``, ``；``, ``,``,
  ``，`` or ``、`` between them); the persons must add up to the event's persons, and when the
  event's persons are not given they are that sum.

The indicators and key-case sampling read the codes below, never labels or notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from caseqa.wording import clauses, enumeration, paren
from cases.codes import JUDGMENT, RETRIAL, SECOND_INSTANCE

# Codes with a meaning for the indicators (DOMAIN §9) and key-case sampling (§7).
ARREST_APPROVED = "approved"  # 批准逮捕
ARREST_REFUSED = "not_approved"  # 不批准逮捕
ACQUITTED = "acquitted"  # 无罪
PARTLY_ACQUITTED = "partly_acquitted"  # 部分无罪
AMENDED = "amended"  # 改判
REMANDED = "remanded"  # 发回重审

# Key steps read from outcomes (DOMAIN §7: 无罪判决, 改判): event code → outcome codes.
KEY_OUTCOMES: dict[str, tuple[str, ...]] = {
    JUDGMENT: (ACQUITTED, PARTLY_ACQUITTED),
    SECOND_INSTANCE: (AMENDED,),
    RETRIAL: (AMENDED,),
}

_SEPARATORS = re.compile(r"[;；,，、\n]+")
_COUNT = re.compile(r"^(?P<label>.+?)\s*[:：]\s*(?P<persons>\S+)$")
MAX_PERSONS = 100_000


@dataclass(frozen=True)
class Choices:
    """An event type's outcome choices: spellings (code, Chinese, English, any case) → code."""

    codes: tuple[str, ...]
    labels: dict[str, str]  # code → Chinese label, for messages
    spellings: dict[str, str]

    @classmethod
    def of(cls, rows) -> Choices:
        """From (code, label_zh, label_en) rows in catalogue order."""
        rows = list(rows)
        spellings: dict[str, str] = {}
        for code, label_zh, label_en in rows:
            for spelling in (code, label_zh, label_en):
                if spelling:
                    spellings.setdefault(spelling.strip().lower(), code)
        return cls(tuple(r[0] for r in rows), {r[0]: r[1] for r in rows}, spellings)

    def allowed(self) -> str:
        return enumeration(paren(self.labels[c], c) for c in self.codes)


def choices_for(event_type) -> Choices:
    """The outcome choices of one catalogue entry (an `EventType`)."""
    rows = event_type.outcome_choices.order_by("position", "code").values_list("code", "label_zh", "label_en")
    return Choices.of(rows)


def parse_outcomes(choices: Choices, text, persons: int | None) -> tuple[dict[str, int] | None, int | None]:
    """(outcomes as {code: persons} or None when blank, the event's persons) from what was typed.

    `persons` is the event's persons, None when not given. Raises `ValidationError` naming the rule.
    A mapping (e.g. from JSON) is accepted as well as text.
    """
    if text is None or (isinstance(text, str) and not text.strip()) or (isinstance(text, dict) and not text):
        return None, persons
    if not choices.codes:
        raise ValidationError(_("该诉讼环节没有结果选项，结果应为空"), code="no_outcomes")
    parts = list(text.items()) if isinstance(text, dict) else _parts(str(text))
    outcomes: dict[str, int] = {}
    for label, count in parts:
        code = choices.spellings.get(str(label).strip().lower())
        if code is None:
            message = _("结果“%(label)s”不是该环节的选项；可选：%(allowed)s")
            raise ValidationError(message % {"label": label, "allowed": choices.allowed()}, code="unknown_outcome")
        if code in outcomes:
            raise ValidationError(_("结果“%(label)s”重复") % {"label": label}, code="repeated_outcome")
        outcomes[code] = _persons(label, count, len(parts), persons)
    total = sum(outcomes.values())
    if persons is not None and total != persons:
        raise ValidationError(
            _("各结果人数之和（%(total)d）应等于涉及人数（%(persons)d）") % {"total": total, "persons": persons},
            code="outcome_persons",
        )
    return outcomes, total


def _parts(text: str) -> list[tuple[str, str | None]]:
    parts = []
    for piece in _SEPARATORS.split(text.strip()):
        piece = piece.strip()
        if not piece:
            continue
        match = _COUNT.match(piece)
        parts.append((match["label"], match["persons"]) if match else (piece, None))
    return parts


def _persons(label, count, n_parts: int, persons: int | None) -> int:
    """The persons of one outcome: as written, or all the event's persons for a single outcome."""
    if count is None:
        if n_parts > 1:
            raise ValidationError(
                _("有多个结果时，每个结果须写明人数，如“批准逮捕:2;不批准逮捕:1”"), code="outcome_persons"
            )
        return persons or 1
    try:
        value = int(str(count).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PERSONS or (isinstance(count, float) and count != value):
        raise ValidationError(
            _("结果“%(label)s”的人数应为正整数：%(count)s") % {"label": label, "count": count}, code="outcome_persons"
        )
    return value


def display(outcomes: dict[str, int] | None, labels: dict[str, str]) -> str:
    """``批准逮捕 2；不批准逮捕 1`` (a single outcome without its persons), for pages and exports."""
    if not outcomes:
        return ""
    if len(outcomes) == 1:
        return labels.get(next(iter(outcomes)), next(iter(outcomes)))
    return clauses(f"{labels.get(code, code)} {n}" for code, n in outcomes.items())
