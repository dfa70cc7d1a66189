"""The event catalogue as one import reads it: codes of every rule set, the spellings offices use for
them, their outcome choices, and the rule set in force on each date."""

from __future__ import annotations

import re

import numpy as np
from django.utils.translation import gettext as _

from cases.models import EventType, RuleSet

_PARENTHESES = re.compile(r"[（(].*?[)）]")
_BRACKETS = re.compile(r"[（()）\s]")


def _outcome_choices() -> dict:
    """Per event type id, its outcome choices (`cases.outcomes.Choices`); types without any are absent."""
    from cases.models import OutcomeChoice
    from cases.outcomes import Choices

    rows: dict[int, list] = {}
    for type_id, code, label_zh, label_en in OutcomeChoice.objects.order_by("position", "code").values_list(
        "event_type_id", "code", "label_zh", "label_en"
    ):
        rows.setdefault(type_id, []).append((code, label_zh, label_en))
    return {type_id: Choices.of(choices) for type_id, choices in rows.items()}


class Catalogue:
    """Event codes of every rule set, the spellings accepted for them, and the rule set in force by date."""

    def __init__(self) -> None:
        self.rule_sets = list(
            RuleSet.objects.order_by("effective_from").values_list("pk", "effective_from", "effective_to")
        )
        self.codes: list[str] = []
        code_index: dict[str, int] = {}
        labels: dict[str, set[str]] = {}
        self.types: dict[tuple[int, int], tuple[int, bool]] = {}  # (rule set, code index) -> (type id, is base)
        for pk, rule_set_id, code, label_zh, label_en, kind in EventType.objects.values_list(
            "pk", "rule_set_id", "code", "label_zh", "label_en", "kind"
        ).order_by("position", "code"):
            if code not in code_index:
                code_index[code] = len(self.codes)
                self.codes.append(code)
            self.types[(rule_set_id, code_index[code])] = (pk, kind == EventType.Kind.BASE)
            # 审查起诉（受理） is also written 审查起诉受理 or 审查起诉 in offices' sheets.
            for spelling in (label_zh, _PARENTHESES.sub("", label_zh), _BRACKETS.sub("", label_zh), label_en.lower()):
                labels.setdefault(spelling.strip(), set()).add(code)
        self.code_index = code_index
        self.outcome_choices = _outcome_choices()
        # Codes first; a label only where it names a single step.
        self.aliases = {spelling: next(iter(c)) for spelling, c in labels.items() if spelling and len(c) == 1}
        self.aliases.update({code.lower(): code for code in code_index})

    def parse_code(self, text: str) -> int | None:
        """The code index of a catalogue code or an unambiguous Chinese/English label; None if blank."""
        from cases.importer.parsing import CellError

        word = text.strip()
        if not word:
            return None
        code = self.aliases.get(word) or self.aliases.get(word.lower()) or self.aliases.get(_BRACKETS.sub("", word))
        if code is None:
            raise CellError(_("不是诉讼环节目录中的编码或名称（如 supplementary_investigation 或 退回补充侦查）"))
        return self.code_index[code]

    def rule_set_for(self, ordinals: np.ndarray) -> np.ndarray:
        """Per date, the rule set in force (the latest one starting on or before it; else the newest)."""
        newest = max(self.rule_sets, key=lambda r: r[1])[0]
        result = np.full(len(ordinals), newest, dtype=np.int64)
        for pk, start, end in self.rule_sets:  # ascending start: later sets win
            in_force = ordinals >= start.toordinal()
            if end:
                in_force &= ordinals <= end.toordinal()
            result[in_force] = pk
        return result

    def resolve(self, code_idx: np.ndarray, ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(event type id, is base, missing) per row: the step of each code in the rule set in force on its date."""
        rule_sets = self.rule_set_for(ordinals)
        type_ids = np.zeros(len(code_idx), dtype=np.int64)
        is_base = np.zeros(len(code_idx), dtype=bool)
        missing = np.zeros(len(code_idx), dtype=bool)
        pairs = rule_sets * 1024 + code_idx
        for pair in np.unique(pairs):
            rule_set, index = divmod(int(pair), 1024)
            mask = pairs == pair
            entry = self.types.get((rule_set, index))
            if entry is None:
                missing[mask] = True
            else:
                type_ids[mask], is_base[mask] = entry
        return type_ids, is_base, missing
