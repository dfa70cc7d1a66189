"""API token endpoints (/api/v1/tokens/): list, create (the key is shown once) and revoke.

Authentication, the write flag and throttling live in `teams.api.auth`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from cases.api.common import CodeField, StablePagination
from teams import access
from teams.api.auth import issue_token
from teams.models import ApiToken


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token header in the OpenAPI schema."""

    target_class = "teams.api.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`；令牌在 /api/v1/tokens/ 创建 / created at /api/v1/tokens/",
        }


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its key."""

    user = CodeField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="令牌所属账号（仅管理员可为他人创建）/ owner; only administrators may name another user",
    )
    can_write = serializers.BooleanField(
        default=False, help_text="允许写入（须账号本身有写权限）/ may write, if the user may"
    )
    is_active = serializers.BooleanField(read_only=True, help_text="未吊销 / not revoked")

    class Meta:
        model = ApiToken
        fields = ["id", "user", "name", "prefix", "can_write", "is_active", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"name": {"help_text": "用途，如“报表系统” / what the token is for"}}

    def validate(self, attrs):
        request = self.context["request"]
        owner = attrs.get("user") or request.user
        if owner != request.user and not request.user.is_superuser:
            raise serializers.ValidationError({"user": [_("只能为自己创建令牌")]})
        if attrs.get("can_write") and not access.can_write(owner):
            raise serializers.ValidationError({"can_write": [_("该账号没有写权限，令牌只能只读")]})
        attrs["user"] = owner
        return attrs


class NewApiTokenSerializer(ApiTokenSerializer):
    """The creation answer: the token and, once only, its key."""

    key = serializers.CharField(read_only=True, help_text="令牌密钥，只显示这一次 / the key, shown only now")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


@extend_schema_view(
    list=extend_schema(summary="列出令牌 / list tokens", description="本人的令牌；管理员可见全部。"),
    retrieve=extend_schema(summary="查看令牌 / one token"),
    create=extend_schema(
        summary="创建令牌 / create a token",
        request=ApiTokenSerializer,
        responses={201: NewApiTokenSerializer},
        description="返回的 key 只显示一次，服务器只保存其哈希。/ The key is shown once; only its hash is kept.",
    ),
    destroy=extend_schema(summary="吊销令牌 / revoke a token", responses={204: None}),
)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Per-user API tokens: created and revoked by their user or an administrator."""

    serializer_class = ApiTokenSerializer
    pagination_class = StablePagination
    queryset = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    filterset_fields = []

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.request.user.is_superuser else queryset.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token, key = issue_token(data["user"], data["name"], data.get("can_write", False))
        token.key = key
        return Response(NewApiTokenSerializer(token, context=self.get_serializer_context()).data, status=201)

    def perform_destroy(self, instance):
        if instance.revoked_at is None:
            instance.revoked_at = timezone.now()
            instance.save(update_fields=["revoked_at"])
