"""The seeded event catalogue `criminal-2020` (DOMAIN.md §3), a reconstruction an office edits in the admin."""

import datetime

CRIMINAL_2020 = "criminal-2020"

# (code, 中文, English, kind)
CRIMINAL_2020_EVENTS: list[tuple[str, str, str, str]] = [
    ("arrest_review", "审查逮捕（受理）", "Arrest review (received)", "base"),
    ("prosecution_review", "审查起诉（受理）", "Prosecution review (received)", "base"),
    ("arrest_complaint", "批捕（不批捕）申诉", "Complaint against an arrest decision", "extra"),
    ("arrest_reconsideration", "不批捕复议", "Reconsideration of non-arrest", "extra"),
    ("arrest_superior_review", "不批捕复核", "Superior review of non-arrest", "extra"),
    ("supplementary_investigation", "退回补充侦查", "Return for supplementary investigation", "extra"),
    ("review_extension", "延长审查起诉期限", "Extension of the review period", "extra"),
    ("detention_extension", "延长侦查羁押期限", "Extension of investigative detention", "extra"),
    ("detention_recalculation", "重新计算侦查羁押期限", "Recalculation of investigative detention", "extra"),
    ("non_prosecution_reconsideration", "不起诉复议", "Reconsideration of non-prosecution", "extra"),
    ("non_prosecution_superior_review", "不起诉复核", "Superior review of non-prosecution", "extra"),
    ("non_prosecution_complaint", "不起诉申诉", "Complaint against non-prosecution", "extra"),
    ("prosecution_withdrawal", "撤回起诉", "Withdrawal of prosecution", "extra"),
    ("trial_supplementary_investigation", "审判阶段补充侦查", "Supplementary investigation at trial", "extra"),
    ("second_instance", "二审（上诉/抗诉）", "Second instance (appeal / protest)", "extra"),
    ("retrial", "发回重审", "Remanded for retrial", "extra"),
    ("judicial_supervision", "审判监督/刑事申诉", "Trial supervision / criminal petition", "extra"),
    ("state_compensation", "刑事赔偿", "State compensation", "extra"),
    ("resubmission", "补充侦查后重新移送", "Resubmission after supplementary investigation", "neutral"),
    ("self_supplementary_investigation", "自行补充侦查", "Own supplementary investigation", "neutral"),
    ("arrest_decision", "批准/不批准逮捕决定", "Arrest decision", "neutral"),
    ("indictment", "提起公诉", "Indictment", "neutral"),
    ("non_prosecution", "不起诉决定", "Non-prosecution decision", "neutral"),
    ("jurisdiction_transfer", "改变管辖", "Change of jurisdiction", "neutral"),
    ("judgment", "一审判决", "First-instance judgment", "neutral"),
]


def seed_criminal_2020(RuleSet, EventType) -> None:
    """Create (or complete) the criminal-2020 rule set; accepts historical models from a migration."""
    rule_set, _ = RuleSet.objects.get_or_create(
        code=CRIMINAL_2020,
        defaults={"name": "刑事案件“案-件比”统计规则（2020）", "effective_from": datetime.date(2000, 1, 1)},
    )
    for position, (code, label_zh, label_en, kind) in enumerate(CRIMINAL_2020_EVENTS):
        EventType.objects.get_or_create(
            rule_set=rule_set,
            code=code,
            defaults={"label_zh": label_zh, "label_en": label_en, "kind": kind, "weight": 1, "position": position},
        )


# Outcome choices per event type (DOMAIN §3): (event code, [(outcome code, 中文, English)]).
# The codes are read by the indicators (`cases.outcomes`); an office may relabel or add choices.
REVIEW_OUTCOMES = [("upheld", "维持", "Upheld"), ("amended", "改判", "Amended"), ("remanded", "发回重审", "Remanded")]
CRIMINAL_2020_OUTCOMES: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "arrest_decision",
        [("approved", "批准逮捕", "Arrest approved"), ("not_approved", "不批准逮捕", "Arrest refused")],
    ),
    (
        "judgment",
        [
            ("guilty", "有罪", "Guilty"),
            ("acquitted", "无罪", "Acquitted"),
            ("partly_acquitted", "部分无罪", "Partly acquitted"),
            ("exempted", "免予刑事处罚", "Exempted from criminal punishment"),
        ],
    ),
    ("second_instance", REVIEW_OUTCOMES),
    ("retrial", REVIEW_OUTCOMES),
]


def seed_outcome_choices(EventType, OutcomeChoice) -> None:
    """Give every catalogue entry with a seeded code its outcome choices (any rule set); idempotent."""
    for event_code, choices in CRIMINAL_2020_OUTCOMES:
        for event_type in EventType.objects.filter(code=event_code):
            for position, (code, label_zh, label_en) in enumerate(choices):
                OutcomeChoice.objects.get_or_create(
                    event_type=event_type,
                    code=code,
                    defaults={"label_zh": label_zh, "label_en": label_en, "position": position},
                )
