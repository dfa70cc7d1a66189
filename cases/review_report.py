"""The review report (评查意见书): one context for the printable page and the downloadable DOCX.

It states the case facts, how the review was done, the problems found by dimension, the score, the
grade and the rule that gave it, any override, and the objection with its outcome.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from cases import review_workflow as wf
from cases.models import Dimension, Grade, Nature, QualityReview
from cases.review_rules import PASS_MARK


@dataclass
class DimensionProblems:
    """The findings of one dimension and the points they cost."""

    code: str
    label: str
    findings: list = field(default_factory=list)

    @property
    def deduction(self) -> Decimal:
        return sum((f.deduction for f in self.findings), Decimal("0"))


def grade_basis(review: QualityReview) -> str:
    """The DOMAIN §7 rule that gave the computed grade, in words."""
    findings = list(review.findings.all())
    label = review.grade_scale.label(review.computed_grade)
    errors = [f for f in findings if f.nature == Nature.ERROR]
    if errors:
        return _("存在%(n)d项错误性问题，依规则评定为“%(g)s”") % {"n": len(errors), "g": label}
    if review.score < PASS_MARK:
        return _("得分%(s)s分，低于%(p)s分，依规则评定为“%(g)s”") % {"s": review.score, "p": PASS_MARK, "g": label}
    if findings:
        return _("存在%(n)d项瑕疵问题，得分%(s)s分，依规则评定为“%(g)s”") % {
            "n": len(findings),
            "s": review.score,
            "g": label,
        }
    if review.computed_grade == Grade.EXCELLENT:
        return _("未发现问题，评查员提请评为优质，依规则评定为“%(g)s”") % {"g": label}
    return _("未发现问题，依规则评定为“%(g)s”") % {"g": label}


def report_context(review: QualityReview) -> dict:
    """Everything the report shows, for the template and the DOCX alike."""
    review = (
        QualityReview.objects.select_related(
            "case__unit",
            "case__department",
            "case__prosecutor",
            "case__team",
            "reviewer",
            "grade_scale",
            "overridden_by",
            "resolved_by",
        )
        .prefetch_related("findings__item", "transitions__actor", "case__events__event_type")
        .get(pk=review.pk)
    )
    case = review.case
    by_dimension = {code: DimensionProblems(code, str(label)) for code, label in Dimension.choices}
    for finding in review.findings.all():
        by_dimension[finding.dimension].findings.append(finding)
    return {
        "review": review,
        "case": case,
        "events": sorted(case.events.all(), key=lambda e: (e.date, e.pk)),
        "dimensions": [d for d in by_dimension.values() if d.findings],
        "total_deduction": sum((d.deduction for d in by_dimension.values()), Decimal("0")),
        "grade_label": review.grade_label,
        "computed_grade_label": review.computed_grade_label,
        "grade_basis": grade_basis(review),
        "objection_deadline": wf.objection_deadline(review),
        "transitions": list(review.transitions.all()),
        "printed_on": timezone.localdate(),
    }


def _person(user) -> str:
    if user is None:
        return _("系统")
    return user.get_full_name() or user.get_username()


def render_review_docx(review: QualityReview) -> bytes:
    """The 评查意见书 as a Word document (python-docx), the same content as the printable page."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    ctx = report_context(review)
    review, case = ctx["review"], ctx["case"]
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # Chinese text needs the East Asian font slot

    title = doc.add_heading(_("案件质量评查意见书"), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"{case.unit.name}  ·  {review.get_review_type_display()}  ·  {review.reviewed_on}")

    doc.add_heading(_("一、案件基本情况"), level=1)
    facts = [
        (_("统一受案号"), case.case_no),
        (_("案件名称"), case.title),
        (_("承办单位 / 部门"), f"{case.unit.name} / {case.department.name}"),
        (_("承办检察官"), str(case.prosecutor)),
        (_("办案团队"), case.team.name if case.team else "—"),
        (_("业务条线"), case.get_line_display()),
        (_("受理日期"), str(case.received_on or "—")),
        (_("审结日期"), str(case.closed_on or "—")),
        (_("件数"), str(case.items)),
    ]
    _table(doc, [(_("项目"), _("内容")), *facts])

    doc.add_heading(_("二、评查过程"), level=1)
    doc.add_paragraph(
        _("评查员：%(r)s；评查类型：%(t)s；评查日期：%(d)s；评定等级标准：%(s)s")
        % {
            "r": _person(review.reviewer),
            "t": review.get_review_type_display(),
            "d": review.reviewed_on,
            "s": review.grade_scale.name,
        }
    )
    doc.add_paragraph(review.method or _("（未填写评查方式）"))

    doc.add_heading(_("三、发现的问题"), level=1)
    if not ctx["dimensions"]:
        doc.add_paragraph(_("未发现问题。"))
    for dim in ctx["dimensions"]:
        doc.add_heading(_("%(dim)s（扣 %(points)s 分）") % {"dim": dim.label, "points": dim.deduction}, level=2)
        rows = [(_("评查项"), _("性质"), _("次数"), _("扣分"), _("具体问题"))]
        rows += [
            (f"{f.item.code} {f.item.text}", f.get_nature_display(), str(f.count), str(f.deduction), f.note)
            for f in dim.findings
        ]
        _table(doc, rows)

    doc.add_heading(_("四、评查结论"), level=1)
    doc.add_paragraph(_("得分：%(s)s（共扣 %(d)s 分）") % {"s": review.score, "d": ctx["total_deduction"]})
    doc.add_paragraph(_("评定等级：%(g)s") % {"g": ctx["grade_label"]})
    doc.add_paragraph(_("评定依据：%(b)s") % {"b": ctx["grade_basis"]})
    if review.is_overridden:
        doc.add_paragraph(
            _("计算等级“%(c)s”经评查组长 %(who)s 调整为“%(g)s”，理由：%(why)s")
            % {
                "c": ctx["computed_grade_label"],
                "who": _person(review.overridden_by),
                "g": ctx["grade_label"],
                "why": review.override_reason,
            }
        )
    if review.wrongful:
        doc.add_paragraph(_("本案经评查认定为错案。"))
    if review.summary:
        doc.add_paragraph(review.summary)

    doc.add_heading(_("五、异议及处理"), level=1)
    if review.objection_reason:
        doc.add_paragraph(_("承办检察官异议：%(r)s") % {"r": review.objection_reason})
        if review.resolution:
            doc.add_paragraph(
                _("处理结果：%(o)s（%(who)s），理由：%(r)s")
                % {
                    "o": review.get_resolution_display(),
                    "who": _person(review.resolved_by),
                    "r": review.resolution_reason,
                }
            )
        else:
            doc.add_paragraph(_("异议待评查组长处理。"))
    else:
        doc.add_paragraph(_("承办检察官未提出异议。"))
    doc.add_paragraph(_("状态：%(s)s") % {"s": review.get_status_display()})

    doc.add_heading(_("附：流转记录"), level=1)
    _table(
        doc,
        [(_("时间"), _("操作"), _("操作人"), _("理由"))]
        + [
            (timezone.localtime(t.at).strftime("%Y-%m-%d %H:%M"), t.get_action_display(), _person(t.actor), t.reason)
            for t in ctx["transitions"]
        ],
    )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _table(doc, rows) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = str(value or "")
