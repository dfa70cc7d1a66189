"""DOMAIN.md §9: the indicators shown beside the 案-件比, each with its counterweight.

Same grouping, filters, scope and bases as `cases.ratio.ratio_for` (whose parsing and key resolution
are reused, not repeated). Whole months are read from the maintained count table `IndicatorFact`
(cases.indicator_facts), the partial months at the ends of a range from the raw rows
(cases.indicator_counts, where the counting and period attribution are defined), as the ratio does.

Outcomes (DOMAIN §3) are read from the events' recorded outcomes, never from notes
(`cases.outcomes`): 不捕率 counts the persons of arrest decisions by outcome (批准 / 不批准逮捕);
a decision without a recorded outcome is not counted on either side.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases import indicator_facts
from cases.facts import COHORT, FLOW
from cases.indicator_counts import EVENT_TOTALS, add, case_aggregates, collect_raw
from cases.models import Charge
from cases.models.indicator_fact import INDICATOR_COUNTS
from cases.ratio import (
    EVERYTHING,
    RatioFilters,
    Scope,
    _KeyReader,
    attach_codes,
    rollup_columns,
    rollup_level,
    split_range,
)
from cases.stats_query import StatsQuery

LOWER, HIGHER = "lower", "higher"


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator is: its label, what it counts, which direction is better (None: policy)."""

    label: str
    counts: str  # "cases", "persons" or "events"
    better: str | None
    is_rate: bool = True


INDICATORS: dict[str, IndicatorSpec] = {
    "supplementary_rate": IndicatorSpec(_("退查率"), "cases", LOWER),
    "extension_rate": IndicatorSpec(_("延长率"), "cases", LOWER),
    "non_arrest_rate": IndicatorSpec(_("不捕率"), "persons", None),
    "non_prosecution_rate": IndicatorSpec(_("不诉率"), "persons", None),
    "plea_leniency_rate": IndicatorSpec(_("认罪认罚适用率"), "persons", HIGHER),
    "sentencing_adoption_rate": IndicatorSpec(_("量刑建议采纳率"), "persons", HIGHER),
    "judgment_acceptance_rate": IndicatorSpec(_("一审服判率"), "persons", HIGHER),
    "self_supplementary_count": IndicatorSpec(_("自行补充侦查"), "events", HIGHER, is_rate=False),
    # Counterweights from recorded outcomes (DOMAIN §9, issue 16), all by persons.
    "post_arrest_non_prosecution_rate": IndicatorSpec(_("捕后不诉率"), "persons", LOWER),
    "acquittal_count": IndicatorSpec(_("无罪判决人数"), "persons", LOWER, is_rate=False),
    "acquittal_rate": IndicatorSpec(_("无罪判决率"), "persons", LOWER),
    "amended_remanded_count": IndicatorSpec(_("改判、发回重审人数"), "persons", LOWER, is_rate=False),
}
INDICATOR_NAMES = tuple(INDICATORS)
BETTER: dict[str, str | None] = {name: spec.better for name, spec in INDICATORS.items()}


@dataclass(frozen=True)
class Counterweight:
    """The figures to read beside an indicator, and why (DOMAIN §9: a flattered ratio is a warning)."""

    against: tuple[str, ...]
    reason: str


# "ratio" is the 案-件比 itself (cases.ratio); the rest are INDICATORS names.
COUNTERWEIGHTS: dict[str, Counterweight] = {
    "ratio": Counterweight(
        ("post_arrest_non_prosecution_rate", "acquittal_count", "amended_remanded_count", "supplementary_rate"),
        _("案-件比下降而捕后不诉或无罪、改判上升，是回避必要退补的警示，不是成绩"),
    ),
    "supplementary_rate": Counterweight(
        ("post_arrest_non_prosecution_rate", "acquittal_count", "self_supplementary_count"),
        _("退查率下降须对照捕后不诉率与无罪判决：该退未退会在后面的环节暴露"),
    ),
    "extension_rate": Counterweight(
        ("sentencing_adoption_rate", "judgment_acceptance_rate"),
        _("延长率下降须对照量刑建议采纳率与服判率：审查是否仍然充分"),
    ),
    "non_arrest_rate": Counterweight(
        ("post_arrest_non_prosecution_rate",),
        _("不捕率偏低而捕后不诉上升，说明逮捕把关不严"),
    ),
    "non_prosecution_rate": Counterweight(
        ("post_arrest_non_prosecution_rate", "acquittal_rate"),
        _("不诉率须与捕后不诉率、无罪判决率一并看：该诉不诉与不该诉而诉都是问题"),
    ),
    "plea_leniency_rate": Counterweight(
        ("sentencing_adoption_rate", "judgment_acceptance_rate"),
        _("认罪认罚适用率须对照量刑建议采纳率与服判率：适用不能只求数量"),
    ),
    "sentencing_adoption_rate": Counterweight(
        ("plea_leniency_rate", "judgment_acceptance_rate"),
        _("量刑建议采纳率须对照提出建议的案件数与服判率"),
    ),
    "judgment_acceptance_rate": Counterweight(
        ("amended_remanded_count", "acquittal_rate"),
        _("服判率须对照改判、发回重审与无罪判决：上诉少不等于判得对"),
    ),
    "self_supplementary_count": Counterweight(
        ("supplementary_rate",),
        _("自行补充侦查受鼓励，但不能用来掩盖应当退回补充侦查的案件"),
    ),
    "post_arrest_non_prosecution_rate": Counterweight(
        ("non_arrest_rate",),
        _("捕后不诉率须对照不捕率：压低捕后不诉不能靠少捕"),
    ),
    "acquittal_count": Counterweight(
        ("non_prosecution_rate", "supplementary_rate"),
        _("无罪判决须对照不诉率与退查率：该退补或不诉的案件被起诉"),
    ),
    "acquittal_rate": Counterweight(
        ("non_prosecution_rate", "supplementary_rate"),
        _("无罪判决率须对照不诉率与退查率：该退补或不诉的案件被起诉"),
    ),
    "amended_remanded_count": Counterweight(
        ("judgment_acceptance_rate", "sentencing_adoption_rate"),
        _("改判、发回重审须对照服判率与量刑建议采纳率"),
    ),
}


@dataclass
class Indicator:
    """One figure: numerator over denominator, `value` rounded to 4 decimals (None without a denominator).

    Counts (自行补充侦查) have no denominator; their value is the count itself.
    """

    numerator: int
    denominator: int | None
    value: float | int | None

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass
class IndicatorRow:
    """One group: its keys (codes; None for "none"), display labels and the indicators by name."""

    keys: dict[str, str | None]
    labels: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, Indicator] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {**self.keys, **{name: indicator.as_dict() for name, indicator in self.values.items()}}


@dataclass
class IndicatorReport:
    """The answer of `indicators_for`: the grouped rows and the total, with the parameters asked."""

    rows: list[IndicatorRow]
    total: IndicatorRow
    basis: str = FLOW
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    group_by: list[str] = field(default_factory=list)


def rate(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator as a fraction rounded half-up to 4 decimals; None when nothing to divide by."""
    if not denominator:
        return None
    exact = Decimal(numerator) / Decimal(denominator)
    return float(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _values(counts: dict[str, int]) -> dict[str, Indicator]:
    """The indicators of one group from its aggregated counts."""
    pairs = {
        "supplementary_rate": ("n_returned", "n_reviewed"),
        "extension_rate": ("n_extended", "n_reviewed"),
        "non_arrest_rate": ("n_not_arrested", "n_decided"),
        "plea_leniency_rate": ("n_plea_persons", "n_closed_persons"),
        "sentencing_adoption_rate": ("n_adopted", "n_proposed"),
        "judgment_acceptance_rate": ("n_accepted", "n_judged"),
        "post_arrest_non_prosecution_rate": ("n_not_prosecuted_after_arrest", "n_arrested"),
        "acquittal_rate": ("n_acquitted", "n_judged"),
    }
    plain_counts = {
        "self_supplementary_count": "n_self_supplementary",
        "acquittal_count": "n_acquitted",
        "amended_remanded_count": "n_amended_remanded",
    }
    values = {}
    for name in INDICATOR_NAMES:
        if name == "non_prosecution_rate":
            numerator = counts.get("n_not_prosecuted", 0)
            denominator = counts.get("n_indicted", 0) + numerator
        elif name in plain_counts:
            count = counts.get(plain_counts[name], 0)
            values[name] = Indicator(count, None, count)
            continue
        else:
            numerator, denominator = (counts.get(key, 0) for key in pairs[name])
        values[name] = Indicator(numerator, denominator, rate(numerator, denominator))
    return values


# Count table column → the engine's count name.
COUNT_NAMES = {column: f"n_{column}" for column in INDICATOR_COUNTS}
assert set(COUNT_NAMES.values()) == {*EVENT_TOTALS, *case_aggregates()}


def _collect(query: StatsQuery, case_q: Q) -> tuple[dict[tuple, dict[str, int]], dict[str, int]]:
    """(counts per group key, the total counts): whole months from the count table, the partial
    months at the ends from the raw rows (not counting again a case the table counts in the period)."""
    periods, key_columns, scope = query.periods, query.key_columns, query.scope
    whole, partial = split_range(query.date_from, query.date_to)
    grouped: dict[tuple, dict[str, int]] = {}
    total: dict[tuple, dict[str, int]] = {}
    if whole:
        columns = rollup_columns(query.columns)
        # A chapter is grouped through the main charge (each charge's chapter read once).
        fact_keys = tuple(dict.fromkeys("main_charge_id" if c == "charge_chapter" else c for c in key_columns))
        level = rollup_level({*fact_keys, *(c.split("__")[0] for c in columns), *scope.columns()})
        chapter_of = dict(Charge.objects.values_list("pk", "chapter")) if "charge_chapter" in key_columns else {}
        reader = _KeyReader(periods, fact_keys)
        n = len(periods) + len(fact_keys)
        rows, fact_total = indicator_facts.read(level, query.basis, whole, periods, fact_keys, columns, scope.fact_q())
        for row in rows:
            counts = dict(zip(COUNT_NAMES.values(), row[n:], strict=True))
            key = reader.key(row[:n])
            if chapter_of:
                key = _chapter_key(key, len(periods), key_columns, fact_keys, chapter_of)
            add(grouped, key, counts, counts)
        counts = dict(zip(COUNT_NAMES.values(), fact_total, strict=True))
        add(total, (), counts, counts)
    if partial:
        raw_grouped, raw_total = collect_raw(
            query.basis, partial, query.columns, case_q, periods, key_columns, middle=whole
        )
        for key, counts in raw_grouped.items():
            add(grouped, key, counts, counts)
        add(total, (), raw_total, raw_total)
    return grouped, total.get((), {})


def _chapter_key(key: tuple, n_periods: int, key_columns, fact_keys, chapter_of) -> tuple:
    values = dict(zip(fact_keys, key[n_periods:], strict=True))
    mapped = [chapter_of.get(values["main_charge_id"]) if c == "charge_chapter" else values[c] for c in key_columns]
    return (*key[:n_periods], *mapped)


def indicators_for(
    *,
    group_by: list[str] | str | None = None,
    basis: str = FLOW,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    filters: RatioFilters | None = None,
    scope: Scope = EVERYTHING,
    raw: bool = False,
) -> IndicatorReport:
    """The §9 indicators per group over an inclusive date range, with the grouping and filters of the ratio.

    `raw=True` counts everything from the raw rows (the reference the count table is held to).
    """
    query = StatsQuery.build(
        group_by=group_by, basis=basis, date_from=date_from, date_to=date_to, filters=filters, scope=scope
    )
    date_from, date_to = query.date_from, query.date_to
    columns, periods, dims, key_columns = query.columns, query.periods, query.dims, query.key_columns

    case_q = query.scope.case_q()
    grouped: dict[tuple, dict[str, int]] = {}
    totals: dict[str, int] = {}
    if case_q is not None and raw:
        grouped, totals = collect_raw(basis, [(date_from, date_to)], columns, case_q, periods, key_columns)
    elif case_q is not None:
        grouped, totals = _collect(query, case_q)

    rows = [
        IndicatorRow(keys=dict(zip([*periods, *dims], key, strict=True)), values=_values(counts))
        for key, counts in grouped.items()
        if any(counts.values())
    ]
    attach_codes(rows, dims)
    rows.sort(key=lambda r: tuple((v is None, str(v)) for v in r.keys.values()))  # by code, as the ratio
    total = IndicatorRow(keys={}, values=_values(totals))
    return IndicatorReport(rows, total, basis, date_from, date_to, list(query.group_by))


__all__ = [
    "BETTER",
    "COHORT",
    "COUNTERWEIGHTS",
    "FLOW",
    "INDICATORS",
    "INDICATOR_NAMES",
    "Indicator",
    "IndicatorReport",
    "IndicatorRow",
    "IndicatorSpec",
    "indicators_for",
    "rate",
]
