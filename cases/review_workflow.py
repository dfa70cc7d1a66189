"""The quality-review workflow (DOMAIN.md §7): draft → submitted → accepted / objected → resolved → final.

Every write to a review goes through these functions; each checks who may act, in which state and
by when, records a `ReviewTransition` (who, when, why) and saves in one transaction. A refused
transition raises `ReviewNotAllowed` (wrong person) or `ReviewWorkflowError` (wrong state, late,
missing reason) and changes nothing.

The objection period is 5 calendar days from the day of submission (Asia/Shanghai): an objection on
day 5 is accepted, on day 6 refused. A review nobody accepts or objects to by then becomes final by
lapse, dated the day after the period; `finalize_lapsed()` (run daily by `manage.py finalize_reviews`)
applies it, and so does any later transition attempt on that review before checking the request.

The transitions that make a review final (accept, lapse, resolve) run inside
`cases.review_facts.maintained`, so the statistics' count table changes in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import review_facts
from cases.models import Case, Finding, Grade, QualityReview, ReviewItem, ReviewTransition
from cases.review_rules import Deduction, grade_scale_for, review_grade, review_score
from teams.models import StaffRole, Unit

OBJECTION_DAYS = 5
Status = QualityReview.Status
Action = ReviewTransition.Action


class ReviewWorkflowError(Exception):
    """A transition refused for its state, timing or input; `field` names the offending input if any."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        self.message, self.field, self.code = message, field, code
        super().__init__(message)


class ReviewNotAllowed(ReviewWorkflowError):
    """A transition refused because this user is not the person who may make it."""

    def __init__(self, message: str):
        super().__init__(message, code="not_allowed")


@dataclass(frozen=True)
class FindingInput:
    """A finding as entered: an item (or its code), how many times, and a note."""

    item: ReviewItem | str
    count: int = 1
    note: str = ""


# --- who may act -----------------------------------------------------------------------------


def unknown_case(case_no: str) -> ReviewWorkflowError:
    """The one answer for a case number nobody may review here: unknown and out of scope alike."""
    return ReviewWorkflowError(_("未知的案件 %(no)s") % {"no": case_no}, field="case", code="unknown_case")


def _unit_and_ancestors(unit_id: int) -> list[int]:
    ids, current = [], Unit.objects.filter(pk=unit_id).values_list("pk", "parent_id").first()
    while current and current[0] not in ids:
        ids.append(current[0])
        current = Unit.objects.filter(pk=current[1]).values_list("pk", "parent_id").first() if current[1] else None
    return ids


def is_review_lead(user, case: Case) -> bool:
    """A 评查组长 of the case's unit or a unit above it (superusers act as one)."""
    if user.is_superuser:
        return True
    return StaffRole.objects.filter(
        user=user, kind=StaffRole.Kind.REVIEW_LEAD, unit_id__in=_unit_and_ancestors(case.unit_id)
    ).exists()


def may_review(user) -> bool:
    """Holds a reviewer or review-lead post somewhere (交叉评查 brings reviewers from other units)."""
    return (
        user.is_superuser
        or StaffRole.objects.filter(user=user, kind__in=[StaffRole.Kind.REVIEWER, StaffRole.Kind.REVIEW_LEAD]).exists()
    )


def reviews_for_unit(user, case: Case) -> bool:
    """Holds a reviewer or review-lead post in the case's unit or a unit above it (superusers do)."""
    return (
        user.is_superuser
        or StaffRole.objects.filter(
            user=user,
            kind__in=[StaffRole.Kind.REVIEWER, StaffRole.Kind.REVIEW_LEAD],
            unit_id__in=_unit_and_ancestors(case.unit_id),
        ).exists()
    )


def is_case_prosecutor(user, case: Case) -> bool:
    return user is not None and user.pk is not None and case.prosecutor.user_id == user.pk


# --- helpers ---------------------------------------------------------------------------------


def objection_deadline(review: QualityReview) -> datetime.date | None:
    """The last day an objection is accepted: the day of submission + 5 days."""
    if review.submitted_at is None:
        return None
    return timezone.localdate(review.submitted_at) + datetime.timedelta(days=OBJECTION_DAYS)


def _log(review, action, from_status, actor, now, reason=""):
    ReviewTransition.objects.create(
        review=review,
        action=action,
        from_status=from_status,
        to_status=review.status,
        actor=actor,
        at=now,
        reason=reason,
    )


def _require_reason(reason: str, field: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewWorkflowError(_("必须填写理由"), field=field, code="reason_required")
    return reason


def _require_status(review: QualityReview, *allowed: str) -> None:
    if review.status not in allowed:
        raise ReviewWorkflowError(
            _("评查当前状态为“%(status)s”，不能进行此操作") % {"status": review.get_status_display()},
            field="status",
            code="wrong_status",
        )


def _resolve_findings(findings: Iterable, reviewed_on: datetime.date) -> list[tuple[ReviewItem, int, str]]:
    """Validate entered findings against the catalogue in force on the review date."""
    rows = [
        f if isinstance(f, FindingInput) else FindingInput(**f) if isinstance(f, dict) else FindingInput(*f)
        for f in findings
    ]
    codes = {r.item for r in rows if isinstance(r.item, str)}
    by_code = {i.code: i for i in ReviewItem.objects.filter(code__in=codes)}
    resolved = []
    for n, row in enumerate(rows):
        item = by_code.get(row.item) if isinstance(row.item, str) else row.item
        if item is None:
            raise ReviewWorkflowError(
                _("第%(n)d条评查发现：未知的评查项编码 %(code)s") % {"n": n + 1, "code": row.item},
                field=f"findings[{n}].item",
            )
        if item.effective_from > reviewed_on or (item.effective_to and item.effective_to < reviewed_on):
            raise ReviewWorkflowError(
                _("第%(n)d条评查发现：评查项 %(code)s 在评查日期 %(day)s 不适用")
                % {"n": n + 1, "code": item.code, "day": reviewed_on},
                field=f"findings[{n}].item",
            )
        if not isinstance(row.count, int) or row.count < 1:
            raise ReviewWorkflowError(
                _("第%(n)d条评查发现：次数必须是正整数") % {"n": n + 1}, field=f"findings[{n}].count"
            )
        resolved.append((item, row.count, row.note or ""))
    return resolved


def _replace_findings(review: QualityReview, resolved) -> None:
    review.findings.all().delete()
    Finding.objects.bulk_create(
        Finding(
            review=review,
            item=item,
            count=count,
            note=note,
            points=item.points,
            nature=item.nature,
            dimension=item.dimension,
        )
        for item, count, note in resolved
    )


def recompute(review: QualityReview) -> None:
    """Score, scale and computed grade from the stored findings; the final grade follows unless overridden."""
    deductions = [Deduction(f.nature, f.points, f.count) for f in review.findings.all()]
    review.score = review_score(deductions)
    review.computed_grade = review_grade(deductions, review.proposes_merit)
    review.grade_scale = grade_scale_for(review.reviewed_on)
    if review.overridden_by_id is None:
        review.final_grade = review.computed_grade


def _check_wrongful(review: QualityReview) -> None:
    # The reviewer's own input: refused, naming why (the transaction rolls back, nothing is saved).
    why = review.wrongful_refusal() if review.wrongful else None
    if why:
        raise ReviewWorkflowError(why, field="wrongful", code="wrongful_invalid")


def _clear_invalid_wrongful(review: QualityReview) -> str | None:
    """A lead's override or amendment made the 错案 flag invalid: clear it (before the save); the reason.

    Refusing instead would leave the lead no way forward: only the reviewer edits the flag, in a draft.
    The caller records the clearing as a step of its own (`_log_unflag`).
    """
    why = review.wrongful_refusal() if review.wrongful else None
    if why:
        review.wrongful = False
    return why


def _log_unflag(review: QualityReview, why: str | None, actor, now) -> None:
    if why:
        _log(review, Action.UNFLAG, review.status, actor, now, _("撤销错案认定：%(why)s") % {"why": why})


def _locked(review: QualityReview) -> QualityReview:
    return QualityReview.objects.select_for_update().select_related("case__prosecutor").get(pk=review.pk)


def _now(now):
    return now or timezone.now()


# --- transitions -----------------------------------------------------------------------------


def create_review(
    case: Case,
    reviewer,
    *,
    actor=None,
    review_type: str = QualityReview.Type.ROUTINE,
    reviewed_on: datetime.date | None = None,
    findings: Iterable = (),
    proposes_merit: bool = False,
    wrongful: bool = False,
    method: str = "",
    summary: str = "",
    now: datetime.datetime | None = None,
) -> QualityReview:
    """Open a draft review of a closed case by a reviewer who is not its prosecutor.

    `actor` (default: the reviewer) is whoever creates it: the reviewer, or a review lead assigning it.
    A reviewer takes only a case in their reach (`Case.objects.reviewable_by`); a cross review
    (交叉评查) is always assigned by a review lead of the case's unit, never taken. A case out of the
    actor's reach gets the same answer as an unknown case number, before anything else is checked.
    """
    now = _now(now)
    actor = actor or reviewer
    reviewed_on = reviewed_on or timezone.localdate(now)
    if not may_review(reviewer):  # says nothing about the case: may come first
        raise ReviewNotAllowed(_("评查员须具有评查员或评查组长岗位"))
    if not Case.objects.reviewable_by(actor).filter(pk=case.pk).exists():
        raise unknown_case(case.case_no)
    if review_type == QualityReview.Type.CROSS and not is_review_lead(actor, case):
        raise ReviewNotAllowed(_("交叉评查须由被评查单位的评查组长分配"))
    if case.closed_on is None:
        raise ReviewWorkflowError(_("只能评查已审结的案件"), field="case", code="case_open")
    if reviewed_on < case.closed_on:
        raise ReviewWorkflowError(_("评查日期不能早于审结日期"), field="reviewed_on")
    if reviewed_on > timezone.localdate(now):
        raise ReviewWorkflowError(_("评查日期不能晚于今天"), field="reviewed_on")
    if review_type not in QualityReview.Type.values:
        raise ReviewWorkflowError(_("未知的评查类型 %(type)s") % {"type": review_type}, field="review_type")
    if is_case_prosecutor(reviewer, case):
        raise ReviewNotAllowed(_("承办检察官不能评查本人承办的案件"))
    if review_type != QualityReview.Type.CROSS and not reviews_for_unit(reviewer, case):
        raise ReviewNotAllowed(_("本院或上级院的评查员方可进行此类评查；其他单位的评查员请选择交叉评查"))
    if actor.pk != reviewer.pk and not is_review_lead(actor, case):
        raise ReviewNotAllowed(_("只有评查组长可以为他人分配评查任务"))
    resolved = _resolve_findings(findings, reviewed_on)
    with transaction.atomic():
        review = QualityReview(
            case=case,
            reviewer=reviewer,
            review_type=review_type,
            reviewed_on=reviewed_on,
            proposes_merit=proposes_merit,
            wrongful=False,  # set once the findings and grade are there to check it against
            method=method,
            summary=summary,
            grade_scale=grade_scale_for(reviewed_on),
            computed_grade=Grade.QUALIFIED,
            final_grade=Grade.QUALIFIED,
        )
        review.save()
        _replace_findings(review, resolved)
        recompute(review)
        review.wrongful = wrongful
        _check_wrongful(review)
        review.save()
        _log(review, Action.CREATE, "", actor, now)
    return review


DRAFT_FIELDS = ("review_type", "reviewed_on", "proposes_merit", "wrongful", "method", "summary")


def update_draft(review: QualityReview, actor, *, findings: Iterable | None = None, **fields) -> QualityReview:
    """Edit a draft (its fields and, if given, its whole list of findings); only its reviewer may."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ReviewWorkflowError(_("不能修改字段 %(f)s") % {"f": ", ".join(sorted(unknown))}, field=sorted(unknown)[0])
    with transaction.atomic():
        review = _locked(review)
        _require_status(review, Status.DRAFT)
        if actor.pk != review.reviewer_id:
            raise ReviewNotAllowed(_("只有本评查的评查员可以修改草稿"))
        for name, value in fields.items():
            setattr(review, name, value)
        if review.reviewed_on < review.case.closed_on:
            raise ReviewWorkflowError(_("评查日期不能早于审结日期"), field="reviewed_on")
        if review.reviewed_on > timezone.localdate():
            raise ReviewWorkflowError(_("评查日期不能晚于今天"), field="reviewed_on")
        if review.review_type not in QualityReview.Type.values:
            raise ReviewWorkflowError(_("未知的评查类型 %(type)s") % {"type": review.review_type}, field="review_type")
        if findings is not None:
            _replace_findings(review, _resolve_findings(findings, review.reviewed_on))
        recompute(review)
        _check_wrongful(review)
        review.save()
    return review


def submit(review: QualityReview, actor, *, now=None) -> QualityReview:
    """The reviewer submits the draft to the case's prosecutor; the 5-day objection period starts."""
    now = _now(now)
    with transaction.atomic():
        review = _locked(review)
        _require_status(review, Status.DRAFT)
        if actor.pk != review.reviewer_id:
            raise ReviewNotAllowed(_("只有本评查的评查员可以提交"))
        recompute(review)
        review.status, review.submitted_at = Status.SUBMITTED, now
        review.save()
        _log(review, Action.SUBMIT, Status.DRAFT, actor, now)
    return review


def withdraw(review: QualityReview, actor, reason: str = "", *, now=None) -> QualityReview:
    """Withdraw a draft (its reviewer, or a review lead of the case's unit); the step is recorded and
    the reviewer's reading of the case through this review ends."""
    now = _now(now)
    with transaction.atomic():
        review = _locked(review)
        _require_status(review, Status.DRAFT)
        if actor.pk != review.reviewer_id and not is_review_lead(actor, review.case):
            raise ReviewNotAllowed(_("只有本评查的评查员或评查组长可以撤回草稿"))
        review.status = Status.WITHDRAWN
        review.save()
        _log(review, Action.WITHDRAW, Status.DRAFT, actor, now, (reason or "").strip())
    return review


def _finalise(review, finality, day) -> None:
    review.status, review.finality, review.final_on = Status.FINAL, finality, day


def apply_lapse(review: QualityReview, *, now=None) -> bool:
    """Make a submitted review final if its objection period is over; True if it did (own transaction)."""
    now = _now(now)
    with transaction.atomic(), review_facts.maintained([review.case_id]):
        review = _locked(review)
        deadline = objection_deadline(review)
        if review.status != Status.SUBMITTED or timezone.localdate(now) <= deadline:
            return False
        _finalise(review, QualityReview.Finality.LAPSED, deadline + datetime.timedelta(days=1))
        review.save()
        _log(review, Action.LAPSE, Status.SUBMITTED, None, now, _("承办检察官未在异议期内确认或提出异议"))
    return True


def finalize_lapsed(*, now=None) -> int:
    """Apply the lapse to every submitted review whose objection period is over; the count finalised."""
    now = _now(now)
    last_submission_day = timezone.localdate(now) - datetime.timedelta(days=OBJECTION_DAYS + 1)
    candidates = QualityReview.objects.filter(status=Status.SUBMITTED, submitted_at__isnull=False)
    # Coarse filter in SQL (a day's margin for the time zone), exact check per review in apply_lapse.
    candidates = candidates.filter(submitted_at__date__lte=last_submission_day + datetime.timedelta(days=1))
    return sum(apply_lapse(r, now=now) for r in candidates.only("pk"))


def accept(review: QualityReview, actor, *, now=None) -> QualityReview:
    """The case's prosecutor accepts the submitted review: it becomes final."""
    now = _now(now)
    apply_lapse(review, now=now)
    with transaction.atomic(), review_facts.maintained([review.case_id]):
        review = _locked(review)
        _require_status(review, Status.SUBMITTED)
        if not is_case_prosecutor(actor, review.case):
            raise ReviewNotAllowed(_("只有承办检察官可以确认评查结论"))
        _finalise(review, QualityReview.Finality.ACCEPTED, timezone.localdate(now))
        review.save()
        _log(review, Action.ACCEPT, Status.SUBMITTED, actor, now)
    return review


def object_to(review: QualityReview, actor, reason: str, *, now=None) -> QualityReview:
    """The case's prosecutor objects (异议) with a reason, within 5 days of submission."""
    now = _now(now)
    apply_lapse(review, now=now)
    with transaction.atomic():
        review = _locked(review)
        if review.status == Status.FINAL and review.finality == QualityReview.Finality.LAPSED:
            raise ReviewWorkflowError(
                _("异议期已于%(day)s届满，评查结论已生效") % {"day": objection_deadline(review)},
                field="objection_reason",
                code="objection_late",
            )
        _require_status(review, Status.SUBMITTED)
        if not is_case_prosecutor(actor, review.case):
            raise ReviewNotAllowed(_("只有承办检察官可以提出异议"))
        review.objection_reason = _require_reason(reason, "objection_reason")
        review.status, review.objected_at = Status.OBJECTED, now
        review.save()
        _log(review, Action.OBJECT, Status.SUBMITTED, actor, now, review.objection_reason)
    return review


def _require_lead(actor, review: QualityReview, what: str) -> None:
    if not is_review_lead(actor, review.case):
        raise ReviewNotAllowed(_("只有评查组长可以%(what)s") % {"what": what})
    if is_case_prosecutor(actor, review.case) or actor.pk == review.reviewer_id:
        raise ReviewNotAllowed(_("评查组长不能%(what)s本人承办或本人评查的案件") % {"what": what})


def _set_override(review, actor, grade, reason) -> None:
    if grade not in Grade.values:
        raise ReviewWorkflowError(_("未知的评定等级 %(g)s") % {"g": grade}, field="grade")
    review.final_grade, review.overridden_by, review.override_reason = grade, actor, reason


def resolve(
    review: QualityReview,
    actor,
    outcome: str,
    reason: str,
    *,
    findings: Iterable | None = None,
    grade: str | None = None,
    now=None,
) -> QualityReview:
    """The review lead resolves an objection: upheld, or amended (new findings and/or grade); then final.

    An amendment recomputes score and grade from the (amended) findings: an override made before it
    does not survive (DOMAIN §7); a grade given with the amendment is the lead's new override and stands.
    """
    now = _now(now)
    with transaction.atomic(), review_facts.maintained([review.case_id]):
        review = _locked(review)
        _require_status(review, Status.OBJECTED)
        _require_lead(actor, review, _("处理异议"))
        if outcome not in QualityReview.Resolution.values:
            raise ReviewWorkflowError(_("处理结果须为维持或变更"), field="resolution")
        reason = _require_reason(reason, "resolution_reason")
        if outcome == QualityReview.Resolution.UPHELD and (findings is not None or grade):
            raise ReviewWorkflowError(_("维持原结论时不能变更评查发现或等级"), field="resolution")
        if outcome == QualityReview.Resolution.AMENDED and findings is None and not grade:
            raise ReviewWorkflowError(_("变更评查结论须给出新的评查发现或等级"), field="resolution")
        note = ""
        if outcome == QualityReview.Resolution.AMENDED and review.overridden_by_id is not None:
            note = _("（原等级调整“%(grade)s：%(reason)s”随变更失效）") % {
                "grade": review.grade_label,
                "reason": review.override_reason,
            }
            review.overridden_by, review.override_reason = None, ""
        if findings is not None:
            _replace_findings(review, _resolve_findings(findings, review.reviewed_on))
        recompute(review)
        if grade:
            _set_override(review, actor, grade, reason)
        review.resolution, review.resolution_reason, review.resolved_by = outcome, reason, actor
        _finalise(review, QualityReview.Finality.RESOLVED, timezone.localdate(now))
        unflagged = _clear_invalid_wrongful(review)
        review.save()
        _log(review, Action.RESOLVE, Status.OBJECTED, actor, now, f"{review.get_resolution_display()}：{reason}{note}")
        _log_unflag(review, unflagged, actor, now)
    return review


def override_grade(review: QualityReview, actor, grade: str, reason: str, *, now=None) -> QualityReview:
    """The review lead sets the final grade with a written reason; the computed grade is kept beside it."""
    now = _now(now)
    apply_lapse(review, now=now)
    with transaction.atomic():
        review = _locked(review)
        _require_status(review, Status.DRAFT, Status.SUBMITTED, Status.OBJECTED)
        _require_lead(actor, review, _("调整评定等级"))
        reason = _require_reason(reason, "override_reason")
        _set_override(review, actor, grade, reason)
        unflagged = _clear_invalid_wrongful(review)
        review.save()
        _log(review, Action.OVERRIDE, review.status, actor, now, f"{grade}：{reason}")
        _log_unflag(review, unflagged, actor, now)
    return review


def allowed_actions(review: QualityReview, user, *, now=None) -> list[str]:
    """The transitions `user` may attempt on `review` now (for buttons; the functions still check)."""
    now = _now(now)
    case, actions = review.case, []
    if review.status == Status.DRAFT and user.pk == review.reviewer_id:
        actions += ["edit", "submit", "withdraw"]
    elif review.status == Status.DRAFT and is_review_lead(user, case):
        actions.append("withdraw")
    deadline = objection_deadline(review)
    in_period = deadline is not None and timezone.localdate(now) <= deadline
    if review.status == Status.SUBMITTED and in_period and is_case_prosecutor(user, case):
        actions += ["accept", "object"]
    lead = is_review_lead(user, case) and not is_case_prosecutor(user, case) and user.pk != review.reviewer_id
    if review.status == Status.OBJECTED and lead:
        actions.append("resolve")
    if review.status != Status.FINAL and lead:
        actions.append("override")
    return actions
