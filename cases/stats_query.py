"""One statistics query (group_by, basis, date range, filters, scope), validated once for every engine.

The ratio (`cases.ratio.ratio_for`), the indicators (`cases.indicators.indicators_for`) and the review
statistics (`cases.review_stats.review_stats_for`) take the same parameters; `StatsQuery.build` checks
them, resolves the filter codes (or names) to ids and answers a `RatioQueryError` naming the field, in
the reader's language, so that each engine starts from a valid query and the API answers 400.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.facts import BASES, FLOW
from cases.models import Case, Chapter, Charge
from teams.models import Department, Prosecutor, Team, Unit

PERIODS = ("month", "quarter", "year")
# Charges cut by the case's MAIN charge (DOMAIN §3): each case counts once, so groups add up to the total.
DIMENSIONS = ("unit", "department", "team", "prosecutor", "line", "category", "charge", "charge_chapter")
GROUP_BY_CHOICES = PERIODS + DIMENSIONS
# Dimension → (fact column, model whose code names it, the code field)
KEY_COLUMNS = {
    "unit": ("unit_id", Unit, "code"),
    "department": ("department_id", Department, "code"),
    "team": ("team_id", Team, "team_code"),
    "prosecutor": ("prosecutor_id", Prosecutor, "staff_code"),
    "line": ("line", None, None),
    "category": ("category", None, None),
    "charge": ("main_charge_id", Charge, "code"),
    "charge_chapter": ("charge_chapter", None, None),
}


class RatioQueryError(ValueError):
    """A request the engine cannot answer; `field` names the offending parameter."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass
class Scope:
    """What a user may see: cases of these units, teams or prosecutors (`everything` for superusers)."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    team_ids: frozenset[int] = frozenset()
    prosecutor_ids: frozenset[int] = frozenset()

    def case_q(self) -> Q | None:
        """A Q over Case fields, or None when nothing may be seen."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        if self.unit_ids:
            q |= Q(unit_id__in=self.unit_ids)
        if self.team_ids:
            q |= Q(team_id__in=self.team_ids)
        if self.prosecutor_ids:
            q |= Q(prosecutor_id__in=self.prosecutor_ids)
        return q if q.children[1:] else None

    def columns(self) -> set[str]:
        """The roll-up columns this scope filters on."""
        used = {"unit_id": self.unit_ids, "team_id": self.team_ids, "prosecutor_id": self.prosecutor_ids}
        return set() if self.everything else {column for column, ids in used.items() if ids}

    def fact_q(self) -> Q | None:
        """The same scope over `RatioFact` columns (team "none" is stored as 0)."""
        if self.everything:
            return Q()
        parts = []
        if self.unit_ids:
            parts.append(Q(unit_id__in=self.unit_ids))
        if self.team_ids:
            parts.append(Q(team_id__in=self.team_ids))
        if self.prosecutor_ids:
            parts.append(Q(prosecutor_id__in=self.prosecutor_ids))
        if not parts:
            return None
        q = parts[0]
        for part in parts[1:]:
            q |= part
        return q


EVERYTHING = Scope(everything=True)


@dataclass
class RatioFilters:
    """Attribution filters by code (None: no filter)."""

    unit: str | None = None
    department: str | None = None
    team: str | None = None
    prosecutor: str | None = None
    line: str | None = None
    category: str | None = None
    charge: str | None = None
    charge_chapter: str | None = None


def parse_group_by(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    parts = [p.strip() for p in parts if p.strip()]
    unknown = [p for p in parts if p not in GROUP_BY_CHOICES]
    if unknown:
        raise RatioQueryError(
            "group_by",
            _("未知的分组 %(unknown)s；可选：%(allowed)s")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(GROUP_BY_CHOICES)},
        )
    return list(dict.fromkeys(parts))


def filter_ids(filters: RatioFilters) -> dict[str, object]:
    """Resolve filter codes (or exact names for units and departments) to fact-column values."""
    resolved: dict[str, object] = {}
    for dim in DIMENSIONS:
        value = getattr(filters, dim)
        if value in (None, ""):
            continue
        column, model, code_field = KEY_COLUMNS[dim]
        if dim == "charge_chapter":
            resolved[column] = parse_chapter(value)
            continue
        if model is None:
            choices = Case.Line if dim == "line" else Case.Category
            if value not in choices.values:
                raise RatioQueryError(
                    dim,
                    _("未知的 %(field)s：%(value)s；可选：%(allowed)s")
                    % {"field": dim, "value": value, "allowed": ", ".join(choices.values)},
                )
            resolved[column] = value
            continue
        candidates = model.objects.filter(**{code_field: value})
        if dim in ("unit", "department", "charge") and not candidates.exists():
            candidates = model.objects.filter(name=value)
            if dim == "department" and "unit_id" in resolved:
                # Department names repeat across units (第一检察部); the unit filter disambiguates.
                candidates = candidates.filter(unit_id=resolved["unit_id"])
        ids = list(candidates.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            message = _("未知的 %(field)s：%(value)s") if not ids else _("%(field)s 不唯一：%(value)s（请用编码）")
            raise RatioQueryError(dim, message % {"field": dim, "value": value})
        resolved[column] = ids[0]
    return resolved


CHAPTER_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


def parse_chapter(value: str | int) -> int:
    """A chapter of the Criminal Law from `6`, `第六章` or its full label; RatioQueryError otherwise."""
    text = str(value).strip()
    for number, label in Chapter.choices:
        if text in (str(number), f"第{CHAPTER_NUMERALS[number - 1]}章", str(label)):
            return number
    raise RatioQueryError(
        "charge_chapter", _("未知的 charge_chapter：%(value)s；可选：1–10 或 第一章…第十章") % {"value": value}
    )


@dataclass(frozen=True)
class StatsQuery:
    """A checked statistics query: the grouping split into periods and dimensions, the resolved filter
    columns and the date range with its defaults (this year to today, Asia/Shanghai)."""

    group_by: tuple[str, ...]
    basis: str
    date_from: datetime.date
    date_to: datetime.date
    filters: RatioFilters
    scope: Scope
    columns: dict[str, object] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        group_by: list[str] | str | None = None,
        basis: str = FLOW,
        date_from: datetime.date | None = None,
        date_to: datetime.date | None = None,
        filters: RatioFilters | None = None,
        scope: Scope | None = None,
    ) -> StatsQuery:
        grouping = tuple(parse_group_by(group_by))
        if basis not in BASES:
            raise RatioQueryError(
                "basis", _("未知的口径 %(basis)s；可选：%(allowed)s") % {"basis": basis, "allowed": ", ".join(BASES)}
            )
        today = timezone.localdate()
        date_from = date_from or datetime.date(today.year, 1, 1)
        date_to = date_to or today
        if date_from > date_to:
            raise RatioQueryError(
                "date_from",
                _("起始日期 %(date_from)s 晚于截止日期 %(date_to)s") % {"date_from": date_from, "date_to": date_to},
            )
        filters = filters or RatioFilters()
        return cls(grouping, basis, date_from, date_to, filters, scope or EVERYTHING, filter_ids(filters))

    @property
    def periods(self) -> tuple[str, ...]:
        """The period groupings asked for, in PERIODS order."""
        return tuple(p for p in PERIODS if p in self.group_by)

    @property
    def dims(self) -> list[str]:
        """The attribution groupings asked for, in DIMENSIONS order."""
        return [d for d in DIMENSIONS if d in self.group_by]

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The fact columns of the attribution groupings."""
        return tuple(KEY_COLUMNS[d][0] for d in self.dims)
