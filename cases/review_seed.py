"""Seed data for quality reviews and assessment (DOMAIN §7–§8): a starting point an office edits in the admin.

Called by data migration 0004 with historical models; nothing here is read at run time.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

CATALOGUE_FROM = datetime.date(2017, 1, 1)

# (code, dimension, nature, points, text). E = 错误 (fails the review), F = 瑕疵.
REVIEW_ITEMS = [
    ("EV-E01", "evidence", "error", "20", "据以定案的证据未经查证属实，或应当排除的非法证据未予排除"),
    ("EV-E02", "evidence", "error", "20", "证据不确实、不充分，认定的事实存在合理怀疑"),
    ("EV-F01", "evidence", "flaw", "5", "证据审查不全面，对证据之间的矛盾未作分析说明"),
    ("EV-F02", "evidence", "flaw", "2", "证据摘录不准确、不完整"),
    ("EV-F03", "evidence", "flaw", "3", "对辩护人、被害人提出的证据意见未予审查回应"),
    ("FA-E01", "facts", "error", "20", "认定犯罪事实错误，或遗漏主要犯罪事实"),
    ("FA-E02", "facts", "error", "15", "遗漏应当追诉的犯罪嫌疑人或罪行"),
    ("FA-F01", "facts", "flaw", "3", "时间、地点、数额等情节认定有误，但不影响定罪量刑"),
    ("FA-F02", "facts", "flaw", "2", "案件事实表述不清、前后不一"),
    ("LA-E01", "law", "error", "20", "适用罪名错误"),
    ("LA-E02", "law", "error", "15", "量刑情节认定错误或量刑建议明显不当"),
    ("LA-F01", "law", "flaw", "3", "引用法律条文不准确、不完整"),
    ("LA-F02", "law", "flaw", "3", "认罪认罚从宽制度适用不规范"),
    ("PR-E01", "procedure", "error", "20", "严重违反法定程序，影响公正办案（如应当回避而未回避）"),
    ("PR-E02", "procedure", "error", "15", "超期羁押或超期办案"),
    ("PR-F01", "procedure", "flaw", "2", "未按规定告知诉讼权利或告知不及时"),
    ("PR-F02", "procedure", "flaw", "2", "未按规定听取辩护人、被害人意见"),
    ("PR-F03", "procedure", "flaw", "3", "退回补充侦查、延长审查起诉期限等程序性决定不规范"),
    ("DO-E01", "documents", "error", "10", "法律文书主要内容错误，影响文书效力"),
    ("DO-F01", "documents", "flaw", "1", "文书格式不规范，文字、标点错误"),
    ("DO-F02", "documents", "flaw", "2", "文书未按规定送达或送达回证缺失"),
    ("DO-F03", "documents", "flaw", "2", "审查报告内容不完整或未对证据进行分析论证"),
    ("RE-E01", "reasoning", "error", "10", "应当释法说理而未释法说理，引发涉检信访或舆情"),
    ("RE-F01", "reasoning", "flaw", "2", "不起诉、不批捕等决定未说明理由或说理不充分"),
    ("RE-F02", "reasoning", "flaw", "2", "未就当事人提出的主要意见作出回应"),
    ("EF-E01", "effect", "error", "15", "办案引发重大负面舆情或群体性事件"),
    ("EF-F01", "effect", "flaw", "3", "未依法开展认罪认罚、刑事和解等工作，矛盾未能化解"),
    ("EF-F02", "effect", "flaw", "2", "未按规定开展检察建议、司法救助等延伸工作"),
    ("RS-E01", "responsibility", "error", "15", "超越职权作出决定，或应当报请决定而未报请"),
    ("RS-F01", "responsibility", "flaw", "2", "未按规定履行审批、备案程序"),
    ("RS-F02", "responsibility", "flaw", "2", "流程监控发现的问题未及时整改"),
    ("RS-F03", "responsibility", "flaw", "1", "办案系统信息填录不规范、不完整"),
]

# The 2017 scale until the end of 2025; the 2026 scale renames 瑕疵 to 基本合格 from 2026-01-01.
GRADE_SCALES = [
    (
        "scale-2017",
        "2017年案件质量评定等级（优质/合格/瑕疵/不合格）",
        datetime.date(2017, 1, 1),
        datetime.date(2025, 12, 31),
        "瑕疵",
    ),
    ("scale-2026", "2026年案件质量评定等级（优质/合格/基本合格/不合格）", datetime.date(2026, 1, 1), None, "基本合格"),
]

SCHEME_FROM = datetime.date(2020, 1, 1)  # the seeded scheme is in force from this day

DEFAULT_ASSESSMENT_RULES = {
    "quality": {
        "base": 40,
        "grade_points": {"excellent": 3, "qualified": 0, "flawed": -3, "unqualified": -6},
        "wrongful_veto": True,
        "floor": 0,
    },
    "efficiency": {"step": 0.1, "points_per_step": 1, "max_bonus": 5, "max_penalty": 5},
}


def seed_reviews(ReviewItem, GradeScale, AssessmentScheme) -> None:
    """Create the seeded catalogue, both grade scales and the assessment scheme (idempotent)."""
    for position, (code, dimension, nature, points, text) in enumerate(REVIEW_ITEMS, start=1):
        ReviewItem.objects.update_or_create(
            code=code,
            defaults={
                "dimension": dimension,
                "nature": nature,
                "points": Decimal(points),
                "text": text,
                "effective_from": CATALOGUE_FROM,
                "position": position,
            },
        )
    for code, name, start, end, flawed in GRADE_SCALES:
        GradeScale.objects.update_or_create(
            code=code,
            defaults={"name": name, "effective_from": start, "effective_to": end, "label_flawed": flawed},
        )
    # Keyed by year until migration 0014, by effective date since (this runs in migration 0004 too).
    fields = {f.name for f in AssessmentScheme._meta.fields}
    key = {"effective_from": SCHEME_FROM} if "effective_from" in fields else {"year": SCHEME_FROM.year}
    AssessmentScheme.objects.get_or_create(
        **key, defaults={"name": "案件质量与效率考核办法（示范）", "rules": DEFAULT_ASSESSMENT_RULES}
    )
