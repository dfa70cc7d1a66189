"""API token authentication, the write flag and throttling (loaded by DRF settings: keep this module light).

A key is "cq_" and 40 random URL-safe characters; only its SHA-256 is stored (a key this long needs
no slow hash), so a database dump does not hand out access. The key is shown once, at creation.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions, permissions, throttling

from teams import access
from teams.models import ApiToken

KEY_PREFIX = "cq_"
# last_used_at is written at most this often per token: one UPDATE a minute, not one per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user, name: str, can_write: bool = False) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the plain key (not stored anywhere)."""
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(user=user, name=name, can_write=can_write, prefix=key[:10], key_hash=hash_key(key))
    return token, key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; revoked keys and inactive users are refused; last use is recorded."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头格式应为：Token <key>"))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效")) from None
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已吊销"))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


def token_may_write(token: ApiToken) -> bool:
    """A token writes only when flagged so and its user may write now (roles can be withdrawn)."""
    return token.can_write and access.can_write(token.user)


class TokenWritePermission(permissions.BasePermission):
    """Read-only tokens (or tokens of users who may not write) get 403 on every unsafe method."""

    message = gettext_lazy("该令牌只读")

    def has_permission(self, request, view):
        token = request.auth
        if request.method in permissions.SAFE_METHODS or not isinstance(token, ApiToken):
            return True
        return token_may_write(token)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (browser sessions are not throttled); rate from settings.CASEQA_API_TOKEN_RATE."""

    scope = "token"

    def get_rate(self):
        return getattr(settings, "CASEQA_API_TOKEN_RATE", "1200/minute")

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
