"""Review items and quality reviews on /api/v1/ (`review-items` by code, `reviews` by id).

Thin: reading starts from `QualityReview.objects.visible_to`; every write and transition is a
call into `cases.review_workflow`, which decides who may act. A refused transition is a 403 (wrong
person) or a 400 naming the field (wrong state, late objection, missing reason, unknown item).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import review_workflow as wf
from cases.api.assessment import AssessmentView, TeamResultsView
from cases.api.common import ScopedViewSetMixin
from cases.models import Case, Dimension, Finding, Grade, Nature, QualityReview, ReviewItem, ReviewTransition
from cases.review_rules import NoGradeScale

ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT, description="{字段: [原因]}")
ERROR_403 = OpenApiResponse(OpenApiTypes.OBJECT, description="{detail: 无权进行此操作的原因}")


# --- serializers -----------------------------------------------------------------------------


class ReviewItemSerializer(serializers.ModelSerializer):
    """A catalogue item with its dimension and nature codes and their Chinese names."""

    dimension_name = serializers.CharField(source="get_dimension_display", read_only=True)
    nature_name = serializers.CharField(source="get_nature_display", read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "code",
            "dimension",
            "dimension_name",
            "text",
            "nature",
            "nature_name",
            "points",
            "effective_from",
            "effective_to",
        ]


class FindingSerializer(serializers.ModelSerializer):
    """A finding as stored: the item's code, points and nature as at the review, count and note."""

    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    item_text = serializers.CharField(source="item.text", read_only=True)
    deduction = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)

    class Meta:
        model = Finding
        fields = ["item", "item_text", "dimension", "nature", "points", "count", "deduction", "note"]


class FindingInputSerializer(serializers.Serializer):
    """A finding to record: item code, how many times (1–999), a note."""

    item = serializers.CharField(max_length=32, help_text="评查项编码 / review item code")
    count = serializers.IntegerField(min_value=1, max_value=999, default=1)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TransitionSerializer(serializers.ModelSerializer):
    """One recorded step: action, states, who (username; null for the automatic lapse), when, why."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReviewTransition
        fields = ["action", "from_status", "to_status", "actor", "at", "reason"]


class ReviewSerializer(serializers.ModelSerializer):
    """A review with its case, both grades (in the wording of its scale), findings and transitions."""

    case = serializers.SlugRelatedField(slug_field="case_no", read_only=True)
    prosecutor = serializers.CharField(source="case.prosecutor.staff_code", read_only=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    grade_scale = serializers.SlugRelatedField(slug_field="code", read_only=True)
    computed_grade_label = serializers.CharField(read_only=True)
    grade_label = serializers.CharField(read_only=True)
    # Empty until the step happens: "" for the choices, null for the people (the schema says so).
    overridden_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolution = serializers.ChoiceField(choices=QualityReview.Resolution.choices, allow_blank=True, read_only=True)
    finality = serializers.ChoiceField(choices=QualityReview.Finality.choices, allow_blank=True, read_only=True)
    objection_deadline = serializers.SerializerMethodField()
    findings = FindingSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta:
        model = QualityReview
        fields = [
            "id",
            "case",
            "prosecutor",
            "reviewer",
            "review_type",
            "reviewed_on",
            "status",
            "method",
            "summary",
            "proposes_merit",
            "wrongful",
            "grade_scale",
            "score",
            "computed_grade",
            "computed_grade_label",
            "final_grade",
            "grade_label",
            "override_reason",
            "overridden_by",
            "submitted_at",
            "objection_deadline",
            "objection_reason",
            "objected_at",
            "resolution",
            "resolution_reason",
            "resolved_by",
            "finality",
            "final_on",
            "findings",
            "transitions",
        ]
        read_only_fields = fields

    def get_objection_deadline(self, review) -> str | None:
        deadline = wf.objection_deadline(review)
        return deadline.isoformat() if deadline else None


class ReviewWriteSerializer(serializers.Serializer):
    """Open a draft review (POST) or edit a draft (PATCH: only the fields given change)."""

    case = serializers.CharField(max_length=100, help_text="统一受案号 / case number")
    reviewer = serializers.CharField(
        max_length=150, required=False, help_text="评查员用户名，默认本人 / reviewer's username, default yourself"
    )
    review_type = serializers.ChoiceField(choices=QualityReview.Type.choices, default=QualityReview.Type.ROUTINE)
    reviewed_on = serializers.DateField(required=False)
    proposes_merit = serializers.BooleanField(default=False)
    wrongful = serializers.BooleanField(default=False)
    method = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    findings = FindingInputSerializer(many=True, required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True, help_text="理由 / reason")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, help_text="理由（可选）/ reason")


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=QualityReview.Resolution.choices)
    reason = serializers.CharField(max_length=5000, allow_blank=True)
    findings = FindingInputSerializer(many=True, required=False, help_text="变更后的全部评查发现 / amended findings")
    grade = serializers.ChoiceField(choices=Grade.choices, required=False, help_text="变更后的等级 / amended grade")


class OverrideSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    reason = serializers.CharField(max_length=5000, allow_blank=True)


# --- filters ---------------------------------------------------------------------------------


class ReviewItemFilterSet(django_filters.FilterSet):
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices)
    nature = django_filters.ChoiceFilter(choices=Nature.choices)
    on = django_filters.DateFilter(method="in_force", label="在该日期适用 / in force on")

    class Meta:
        model = ReviewItem
        fields = ["dimension", "nature"]

    def in_force(self, queryset, name, value):
        return queryset.in_force_on(value)


class ReviewFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=QualityReview.Status.choices)
    review_type = django_filters.ChoiceFilter(choices=QualityReview.Type.choices)
    final_grade = django_filters.ChoiceFilter(choices=Grade.choices)
    case = django_filters.CharFilter(field_name="case__case_no")
    prosecutor = django_filters.CharFilter(field_name="case__prosecutor__staff_code")
    team = django_filters.CharFilter(field_name="case__team__team_code")
    unit = django_filters.CharFilter(field_name="case__unit__code")
    reviewer = django_filters.CharFilter(field_name="reviewer__username")
    final_from = django_filters.DateFilter(field_name="final_on", lookup_expr="gte")
    final_to = django_filters.DateFilter(field_name="final_on", lookup_expr="lte")

    class Meta:
        model = QualityReview
        fields = []


# --- viewsets --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="评查项目录 / review item catalogue"),
    retrieve=extend_schema(summary="评查项 / one review item (by code)"),
)
class ReviewItemViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The review-item catalogue (editable in the admin); looked up by code."""

    queryset = ReviewItem.objects.order_by("position", "code")
    serializer_class = ReviewItemSerializer
    filterset_class = ReviewItemFilterSet
    lookup_field = "code"

    def scope_queryset(self, queryset):
        return queryset  # the catalogue is the same for every signed-in user


def _workflow_errors(view_method):
    """Turn the workflow's refusals into 403 / 400 responses naming the field."""

    def wrapped(self, request, *args, **kwargs):
        try:
            return view_method(self, request, *args, **kwargs)
        except wf.ReviewNotAllowed as error:
            raise exceptions.PermissionDenied(error.message) from None
        except wf.ReviewWorkflowError as error:
            raise exceptions.ValidationError({error.field or "non_field_errors": [error.message]}) from None
        except NoGradeScale as error:
            raise exceptions.ValidationError({"reviewed_on": [str(error)]}) from None

    wrapped.__name__, wrapped.__doc__ = view_method.__name__, view_method.__doc__
    return wrapped


def _findings(data) -> list[wf.FindingInput] | None:
    if data is None:
        return None
    return [wf.FindingInput(f["item"], f["count"], f.get("note", "")) for f in data]


ACTION_RESPONSES = {200: ReviewSerializer, 400: ERROR_400, 403: ERROR_403}


@extend_schema_view(
    list=extend_schema(summary="案件质量评查 / quality reviews"),
    retrieve=extend_schema(summary="评查 / one review (by id)"),
    create=extend_schema(
        summary="新建评查（草稿）/ open a draft review",
        request=ReviewWriteSerializer,
        responses={201: ReviewSerializer, 400: ERROR_400, 403: ERROR_403},
    ),
    partial_update=extend_schema(
        summary="修改评查草稿 / edit a draft",
        request=ReviewWriteSerializer,
        responses=ACTION_RESPONSES,
    ),
)
class ReviewViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Quality reviews the user may see; writes and transitions go through `cases.review_workflow`."""

    queryset = (
        QualityReview.objects.select_related(
            "case__prosecutor", "reviewer", "grade_scale", "overridden_by", "resolved_by"
        )
        .prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("item").order_by("id")),
            Prefetch("transitions", queryset=ReviewTransition.objects.select_related("actor").order_by("at", "id")),
        )
        .order_by("-reviewed_on", "-id")
    )
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilterSet
    lookup_field = "id"
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.visible_to(self.request.user)

    def _answer(self, review, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=review.pk).first() or review
        return Response(ReviewSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @_workflow_errors
    def create(self, request, *args, **kwargs):
        data = self._valid(ReviewWriteSerializer, request.data)
        if not wf.may_review(request.user):
            raise wf.ReviewNotAllowed(_("评查员须具有评查员或评查组长岗位"))
        # Out of reach and unknown answer alike (no existence oracle); the workflow checks again.
        case = Case.objects.reviewable_by(request.user).filter(case_no=data["case"]).select_related("prosecutor")
        case = case.first()
        if case is None:
            raise wf.unknown_case(data["case"])
        reviewer = request.user
        if data.get("reviewer") and data["reviewer"] != request.user.get_username():
            from django.contrib.auth import get_user_model

            reviewer = get_user_model().objects.filter(username=data["reviewer"]).first()
            if reviewer is None:
                raise wf.ReviewWorkflowError(_("未知的评查员 %(u)s") % {"u": data["reviewer"]}, field="reviewer")
        review = wf.create_review(
            case,
            reviewer,
            actor=request.user,
            review_type=data["review_type"],
            reviewed_on=data.get("reviewed_on"),
            findings=_findings(data.get("findings")) or (),
            proposes_merit=data["proposes_merit"],
            wrongful=data["wrongful"],
            method=data["method"],
            summary=data["summary"],
        )
        return self._answer(review, status.HTTP_201_CREATED)

    @_workflow_errors
    def partial_update(self, request, *args, **kwargs):
        review = self.get_object()
        serializer = ReviewWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        given = {k: v for k, v in serializer.validated_data.items() if k in request.data}
        if "case" in given or "reviewer" in given:
            raise wf.ReviewWorkflowError(
                _("不能更改被评查案件或评查员"), field="case" if "case" in given else "reviewer"
            )
        findings = _findings(given.pop("findings", None))
        return self._answer(wf.update_draft(review, request.user, findings=findings, **given))

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed("PUT")
        return self.partial_update(request, *args, **kwargs)

    @staticmethod
    def _valid(serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(summary="提交评查 / submit (reviewer)", request=None, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    @_workflow_errors
    def submit(self, request, id=None):
        return self._answer(wf.submit(self.get_object(), request.user))

    @extend_schema(
        summary="撤回草稿 / withdraw a draft (its reviewer or the review lead)",
        request=WithdrawSerializer,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    @_workflow_errors
    def withdraw(self, request, id=None):
        review = self.get_object()
        data = self._valid(WithdrawSerializer, request.data)
        return self._answer(wf.withdraw(review, request.user, data.get("reason", "")))

    @extend_schema(summary="确认评查结论 / accept (case prosecutor)", request=None, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    @_workflow_errors
    def accept(self, request, id=None):
        return self._answer(wf.accept(self.get_object(), request.user))

    @extend_schema(
        summary="提出异议 / object within 5 days (case prosecutor)",
        request=ReasonSerializer,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    @_workflow_errors
    def object(self, request, id=None):
        review = self.get_object()
        data = self._valid(ReasonSerializer, request.data)
        return self._answer(wf.object_to(review, request.user, data["reason"]))

    @extend_schema(
        summary="处理异议 / resolve an objection (review lead)",
        request=ResolveSerializer,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    @_workflow_errors
    def resolve(self, request, id=None):
        review = self.get_object()
        data = self._valid(ResolveSerializer, request.data)
        return self._answer(
            wf.resolve(
                review,
                request.user,
                data["resolution"],
                data["reason"],
                findings=_findings(data.get("findings")),
                grade=data.get("grade"),
            )
        )

    @extend_schema(
        summary="调整评定等级 / override the grade (review lead)",
        request=OverrideSerializer,
        responses=ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    @_workflow_errors
    def override(self, request, id=None):
        review = self.get_object()
        data = self._valid(OverrideSerializer, request.data)
        return self._answer(wf.override_grade(review, request.user, data["grade"], data["reason"]))


# Plain views the /api/v1/ URLconf adds beside the router (see caseqa/api_urls.py).
urlpatterns = [
    path("assessment/", AssessmentView.as_view(), name="assessment"),
    path("team-results/", TeamResultsView.as_view(), name="team-results"),
]


def register(router) -> None:
    """Add `review-items` (by code) and `reviews` (by id) to the /api/v1/ router."""
    router.register("review-items", ReviewItemViewSet, basename="reviewitem")
    router.register("reviews", ReviewViewSet, basename="review")
