"""Quality reviews (案件质量评查): the item catalogue, grade scales, reviews, findings and their transitions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def check_effective_dates(obj) -> None:
    """An effective range must not end before it starts."""
    if obj.effective_to and obj.effective_from and obj.effective_to < obj.effective_from:
        raise ValidationError({"effective_to": _("失效日期不能早于生效日期")})


class InForceQuerySet(models.QuerySet):
    """Rows with `effective_from` / `effective_to` dates: pick the ones in force on a day."""

    def in_force_on(self, day: datetime.date) -> models.QuerySet:
        return self.filter(effective_from__lte=day).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=day)
        )


class Dimension(models.TextChoices):
    """The eight dimensions of the review rules (DOMAIN §7), in their published order."""

    EVIDENCE = "evidence", _("证据采信")
    FACTS = "facts", _("事实认定")
    LAW = "law", _("法律适用")
    PROCEDURE = "procedure", _("办案程序")
    DOCUMENTS = "documents", _("文书制作和使用")
    REASONING = "reasoning", _("释法说理")
    EFFECT = "effect", _("办案效果")
    RESPONSIBILITY = "responsibility", _("落实司法责任制")


class Nature(models.TextChoices):
    """How serious a problem is: an error (错误) fails the review, a flaw (瑕疵) lowers the grade."""

    ERROR = "error", _("错误")
    FLAW = "flaw", _("瑕疵")


class Grade(models.TextChoices):
    """Stable grade codes; their wording depends on the scale in force (see `GradeScale`)."""

    EXCELLENT = "excellent", _("优质")
    QUALIFIED = "qualified", _("合格")
    FLAWED = "flawed", _("瑕疵 / 基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


class ReviewItem(models.Model):
    """One review item (评查项) of the catalogue: code, dimension, text, nature and deduction points.

    Versioned by effective dates plus the history table: an office retires an item by giving it an
    `effective_to` and adds a new code for new wording; findings keep the points they were made with.
    """

    code = models.SlugField(_("评查项编码"), max_length=32, unique=True)
    dimension = models.CharField(_("评查维度"), max_length=20, choices=Dimension.choices)
    text = models.CharField(_("评查项内容"), max_length=500)
    nature = models.CharField(_("性质"), max_length=8, choices=Nature.choices)
    points = models.DecimalField(
        _("扣分"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    history = HistoricalRecords()

    objects = InForceQuerySet.as_manager()

    class Meta:
        verbose_name = _("评查项")
        verbose_name_plural = _("评查项")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def clean(self) -> None:
        check_effective_dates(self)


class GradeScale(models.Model):
    """A grade scale (评定等级) with its effective dates and the wording of each grade (2017 / 2026)."""

    code = models.SlugField(_("等级标准编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    label_excellent = models.CharField(_("优质等级名称"), max_length=20, default="优质")
    label_qualified = models.CharField(_("合格等级名称"), max_length=20, default="合格")
    label_flawed = models.CharField(_("瑕疵等级名称"), max_length=20, default="瑕疵")
    label_unqualified = models.CharField(_("不合格等级名称"), max_length=20, default="不合格")
    history = HistoricalRecords()

    objects = InForceQuerySet.as_manager()

    class Meta:
        verbose_name = _("评定等级标准")
        verbose_name_plural = _("评定等级标准")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_effective_dates(self)
        if self.effective_from:
            # Two scales in force on one day would make the grade wording ambiguous.
            overlapping = GradeScale.objects.exclude(pk=self.pk).filter(
                models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=self.effective_from)
            )
            if self.effective_to:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            clash = overlapping.first()
            if clash:
                raise ValidationError(
                    {"effective_from": _("与评定等级标准“%(name)s”的适用期间重叠") % {"name": clash.name}}
                )

    def label(self, grade: str | None) -> str:
        """The wording of a grade code on this scale ('' for none), in the reader's language where the
        catalogue knows the word (an office's own wording stays as written)."""
        label = getattr(self, f"label_{grade}", "") if grade else ""
        return gettext(label) if label else ""  # gettext("") would answer the catalogue's header


class QualityReviewQuerySet(models.QuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Reviews of the cases `user` may open; drafts and withdrawn drafts only to their reviewer and to
        those who read the case's unit (the rules: `cases.review_access`)."""
        from cases import review_access

        return review_access.visible_reviews(user, self)


class QualityReview(models.Model):
    """One quality review (评查) of a closed case, with its score, grades and objection workflow."""

    class Type(models.TextChoices):
        ROUTINE = "routine", _("常规评查")
        KEY = "key", _("重点评查")
        THEMATIC = "thematic", _("专项评查")
        CROSS = "cross", _("交叉评查")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交待确认")
        OBJECTED = "objected", _("异议待处理")
        FINAL = "final", _("已生效")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Resolution(models.TextChoices):
        UPHELD = "upheld", _("维持原评查结论")
        AMENDED = "amended", _("变更评查结论")

    class Finality(models.TextChoices):
        ACCEPTED = "accepted", _("承办检察官确认")
        RESOLVED = "resolved", _("异议已处理")
        LAPSED = "lapsed", _("异议期届满")

    case = models.ForeignKey("cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评查员"), on_delete=models.PROTECT, related_name="reviews_made"
    )
    review_type = models.CharField(_("评查类型"), max_length=10, choices=Type.choices, default=Type.ROUTINE)
    reviewed_on = models.DateField(_("评查日期"), help_text=_("决定适用的评定等级标准"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    method = models.TextField(_("评查方式"), blank=True, help_text=_("如何开展评查：阅卷、听取意见等"))
    summary = models.TextField(_("评查意见"), blank=True)
    proposes_merit = models.BooleanField(_("拟评为优质案件"), default=False)
    wrongful = models.BooleanField(_("认定为错案"), default=False)
    grade_scale = models.ForeignKey(
        GradeScale, verbose_name=_("评定等级标准"), on_delete=models.PROTECT, related_name="reviews"
    )
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, default=100)
    computed_grade = models.CharField(_("计算等级"), max_length=12, choices=Grade.choices)
    final_grade = models.CharField(_("评定等级"), max_length=12, choices=Grade.choices)
    override_reason = models.TextField(_("等级调整理由"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("等级调整人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    objection_reason = models.TextField(_("异议理由"), blank=True)
    objected_at = models.DateTimeField(_("异议时间"), null=True, blank=True)
    resolution = models.CharField(_("异议处理结果"), max_length=10, choices=Resolution.choices, blank=True)
    resolution_reason = models.TextField(_("异议处理理由"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("异议处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finality = models.CharField(_("生效方式"), max_length=10, choices=Finality.choices, blank=True)
    # The date statistics and assessment use for the period of a review (Asia/Shanghai).
    final_on = models.DateField(_("生效日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = QualityReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件质量评查")
        verbose_name_plural = _("案件质量评查")
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            models.Index(fields=["status", "final_on"], name="review_status_final_idx"),
            models.Index(fields=["case", "status"], name="review_case_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=100), name="review_score_in_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="final") | models.Q(final_on__isnull=False), name="review_final_has_date"
            ),
            # DOMAIN §7: 错案 only on a 不合格 review (the error finding is checked by the workflow).
            models.CheckConstraint(
                condition=models.Q(wrongful=False) | models.Q(final_grade="unqualified"),
                name="review_wrongful_is_unqualified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_review_type_display()} · {self.reviewed_on}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("cases:review_detail", args=[self.pk])

    @property
    def review_url(self) -> str | None:
        """The review's page, or None where the review pages are not routed."""
        from django.urls import NoReverseMatch

        try:
            return self.get_absolute_url()
        except NoReverseMatch:
            return None

    @property
    def grade_label(self) -> str:
        """The final grade in the wording of this review's scale."""
        return self.grade_scale.label(self.final_grade)

    @property
    def computed_grade_label(self) -> str:
        return self.grade_scale.label(self.computed_grade)

    @property
    def is_overridden(self) -> bool:
        return bool(self.final_grade and self.final_grade != self.computed_grade)

    def wrongful_refusal(self) -> str | None:
        """Why this review cannot carry the 错案 flag, or None: DOMAIN §7 allows it only on a final grade
        of 不合格 with at least one error finding (the stored findings; none before the first save)."""
        if self.final_grade != Grade.UNQUALIFIED:
            label = self.grade_scale.label(self.final_grade) if self.grade_scale_id else self.final_grade
            return _("认定错案须评定等级为不合格，本评查为“%(grade)s”") % {"grade": label}
        if self.pk is None or not self.findings.filter(nature=Nature.ERROR).exists():
            return _("认定错案须至少有一项性质为“错误”的评查发现")
        return None

    def clean(self) -> None:
        why = self.wrongful_refusal() if self.wrongful else None
        if why:
            raise ValidationError({"wrongful": why})


class Finding(models.Model):
    """One problem found (评查发现): an item, how many times, a note; points and nature as at the review."""

    review = models.ForeignKey(QualityReview, verbose_name=_("评查"), on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(ReviewItem, verbose_name=_("评查项"), on_delete=models.PROTECT, related_name="findings")
    count = models.PositiveSmallIntegerField(_("次数"), default=1, validators=[MinValueValidator(1)])
    note = models.TextField(_("具体问题"), blank=True)
    # Copied from the item when the finding is made, so editing the catalogue never rewrites past scores.
    points = models.DecimalField(_("单次扣分"), max_digits=5, decimal_places=2)
    nature = models.CharField(_("性质"), max_length=8, choices=Nature.choices)
    dimension = models.CharField(_("评查维度"), max_length=20, choices=Dimension.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评查发现")
        verbose_name_plural = _("评查发现")
        ordering = ["review", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(count__gte=1), name="finding_count_positive")]

    def __str__(self) -> str:
        return f"{self.item_id} ×{self.count}"

    @property
    def deduction(self):
        return self.points * self.count


class ReviewTransition(models.Model):
    """One step of a review's workflow: who did what, when and why (the audit log of §7)."""

    class Action(models.TextChoices):
        CREATE = "create", _("创建")
        SUBMIT = "submit", _("提交")
        ACCEPT = "accept", _("确认")
        OBJECT = "object", _("提出异议")
        RESOLVE = "resolve", _("处理异议")
        OVERRIDE = "override", _("调整等级")
        LAPSE = "lapse", _("异议期届满生效")
        UNFLAG = "unflag", _("撤销错案认定")
        WITHDRAW = "withdraw", _("撤回草稿")

    review = models.ForeignKey(
        QualityReview, verbose_name=_("评查"), on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10)
    # Null only for the automatic lapse of the objection period (`manage.py finalize_reviews`).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(_("时间"))
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        verbose_name = _("评查流转记录")
        verbose_name_plural = _("评查流转记录")
        ordering = ["review", "at", "id"]

    def __str__(self) -> str:
        return f"{self.review_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
