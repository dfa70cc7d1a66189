"""The words of the dashboards explained (术语说明): one place, shown on the glossary page and as the
tooltips of the column headings that use them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.indicators import COUNTERWEIGHTS, INDICATORS

TERMS = {
    "ratio": (
        _("案-件比"),
        _(
            "件数 ÷ 案数，写作 1:1.43。一个案件进入检察环节记 1 件，"
            "每多一个退回补充侦查、延长审查期限、复议复核等环节多记 1 件；1:1 最理想。"
        ),
    ),
    "index": (_("指数"), _("案-件比 × 100，保留两位小数（1:1.43 即 143.00），部分院以此发布。")),
    "flow": (
        _("流量口径"),
        _(
            "按期间统计：案数为受理日期在期间内的案件；件数为这些案件加上期间内发生的增加件数的环节（不论案件何时受理）。全国统计按此口径。"
        ),
    ),
    "cohort": (
        _("审结口径"),
        _("按审结统计：案数为期间内审结的案件；件数为这些案件的全部件数，不论环节发生在何时。对承办人更公平。"),
    ),
    "extras": (_("增加件数的环节"), _("每一轮计 1 件（可配置权重）；自行补充侦查不计件，鼓励使用。")),
}

FORMULAS = {
    "supplementary_rate": _("有退回补充侦查的案件 ÷ 受理审查起诉的案件"),
    "extension_rate": _("有延长审查起诉期限的案件 ÷ 受理审查起诉的案件"),
    "non_arrest_rate": _("不批准逮捕人数 ÷ 审查逮捕作出决定的人数"),
    "non_prosecution_rate": _("不起诉人数 ÷（起诉人数 + 不起诉人数）"),
    "plea_leniency_rate": _("适用认罪认罚人数 ÷ 审查起诉审结人数"),
    "sentencing_adoption_rate": _("量刑建议被采纳人数 ÷ 提出量刑建议人数"),
    "judgment_acceptance_rate": _("一审判决后服判人数 ÷ 一审判决人数"),
    "self_supplementary_count": _("自行补充侦查次数（鼓励）"),
    "post_arrest_non_prosecution_rate": _("批准逮捕后不起诉人数 ÷ 批准逮捕人数"),
    "acquittal_count": _("一审判决无罪（含部分无罪）人数"),
    "acquittal_rate": _("无罪判决人数 ÷ 一审判决人数"),
    "amended_remanded_count": _("二审或再审改判、发回重审人数"),
}


def indicator_entries() -> list[dict]:
    """Each §9 indicator: its name, formula, unit, which direction is better, what to read beside it."""
    better = {"lower": _("越低越好"), "higher": _("越高越好"), None: _("政策性指标，无好坏方向")}
    units = {"cases": _("按案件"), "persons": _("按人数"), "events": _("按次数")}
    entries = []
    for name, spec in INDICATORS.items():
        counterweight = COUNTERWEIGHTS.get(name)
        entries.append(
            {
                "name": name,
                "label": spec.label,
                "formula": FORMULAS.get(name, ""),
                "unit": units[spec.counts],
                "better": better[spec.better],
                "against": [INDICATORS[n].label for n in counterweight.against] if counterweight else [],
                "reason": counterweight.reason if counterweight else "",
            }
        )
    return entries


def term_help(key: str) -> str:
    """The one-sentence explanation of a term, for a heading's tooltip."""
    return str(TERMS[key][1])
