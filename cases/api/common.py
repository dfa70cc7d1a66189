"""What every caseqa endpoint shares: pagination, error bodies, content negotiation and look-up by code.

A new viewset (e.g. the reviews app's) follows the pattern by inheriting `ScopedViewSetMixin`: it
sets `queryset`, `serializer_class`, `filterset_class`, and a `scope_queryset(queryset)` that starts
from `teams.access`; look-ups by code, pagination, authentication, throttling and errors come with it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from cases.ratio import RatioQueryError
from cases.sequence_rules import Violation
from cases.services import SequenceRuleError, StaleVersionError

MAX_PAGE_SIZE = 500


class CodeField(serializers.SlugRelatedField):
    """A related object given by its code; a code holding NUL is invalid (PostgreSQL text cannot hold it,
    so the look-up would fail with a 500 instead of a 400)."""

    default_error_messages = {"nul": _("编码不得包含空字符（NUL）")}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("nul")
        return super().to_internal_value(data)


class StablePagination(pagination.PageNumberPagination):
    """Numbered pages of a stably ordered queryset; `page_size` up to 500, more is a 400, not a silent cap."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise exceptions.ValidationError({"page_size": [_("须为整数")]}) from None
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError({"page_size": [_("须在 1 至 %(max)d 之间") % {"max": self.max_page_size}]})
        return size

    def paginate_queryset(self, queryset, request, view=None):
        # An unordered queryset pages differently from one request to the next: refuse it (a bug, not input).
        if hasattr(queryset, "ordered") and not queryset.ordered:
            raise ImproperlyConfigured(f"{view.__class__.__name__} paginates an unordered queryset")
        raw = request.query_params.get(self.page_query_param)
        if raw not in (None, "", "last"):
            try:
                if int(raw) < 1:
                    raise ValueError
            except ValueError:
                raise exceptions.ValidationError({"page": [_("须为正整数")]}) from None
        return super().paginate_queryset(queryset, request, view)


class FormatNegotiation(DefaultContentNegotiation):
    """Like DRF's, but an unknown `?format=` is a 400 naming the parameter, not a bare 404."""

    def filter_renderers(self, renderers, format):
        chosen = [r for r in renderers if r.format == format]
        if not chosen:
            allowed = ", ".join(r.format for r in renderers)
            raise exceptions.ValidationError(
                {"format": [_("未知的格式 %(format)s；可选：%(allowed)s") % {"format": format, "allowed": allowed}]}
            )
        return chosen


# Rules a case's own field can break (its closed date, its line): reported against that field.
CASE_FIELDS = {"after_closure": "closed_on", "case_line": "line"}


def violation_field(violation: Violation, on_case: bool = False) -> str:
    """The request field a broken sequence rule is reported against."""
    if violation.rule in CASE_FIELDS and (on_case or violation.blamed is None):
        return CASE_FIELDS[violation.rule]
    if violation.rule in ("date_range", "after_closure"):
        return "date"
    return "event"


def sequence_error_body(error: SequenceRuleError, on_case: bool = False) -> dict:
    """{field: [messages], "violations": [{field, rule, rule_title, message, params, event, date}]} for a 400.

    `rule` and `params` let a client render the message itself; `message` is in the request's language."""
    body: dict = {}
    details = []
    for violation in error.violations:
        field = violation_field(violation, on_case)
        body.setdefault(field, []).append(str(violation))
        details.append(
            {
                "field": field,
                "rule": violation.rule,
                "rule_title": violation.rule_title,
                "message": violation.message,
                "params": {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in violation.params.items()},
                "event": violation.event.code,
                "date": violation.event.date.isoformat(),
            }
        )
    body["violations"] = details
    return body


def django_error_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc, context):
    """DRF's handler, plus the domain's own errors as 400s with JSON naming the field and reason."""
    if isinstance(exc, SequenceRuleError):
        return Response(sequence_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersionError):
        return stale_response(exc)
    if isinstance(exc, RatioQueryError):
        return Response({exc.field: [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(django_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    if isinstance(exc, ProtectedError):
        return Response({"detail": _("仍有记录引用该对象，不能删除")}, status=status.HTTP_409_CONFLICT)
    # Imported here, not at the top: rest_framework.views reads DEFAULT_CONTENT_NEGOTIATION_CLASS (this
    # module) while it loads, so a process whose first DRF import is this module (a management command
    # whose system checks touch the pagination setting first) would import itself half-initialised.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


class CodeLookupMixin:
    """Find objects by their code (`lookup_field`), falling back to the integer id for all-digit values.

    The URL keyword accepts any character but "/", so 统一受案号 such as 检刑受[2025]000123号 work
    percent-encoded in the path.
    """

    lookup_value_regex = r"[^/]+"

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset())
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = queryset.filter(**{self.lookup_field: value}).first()
        # ASCII digits only: "¹".isdigit() is true but int("¹") fails, and "９" would pass int().
        if obj is None and value.isascii() and value.isdigit() and len(value) < 19:
            obj = queryset.filter(pk=int(value)).first()
        if obj is None:
            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj


class ScopedViewSetMixin(CodeLookupMixin):
    """Base of every caseqa viewset: the queryset always passes through `scope_queryset` (teams.access)."""

    pagination_class = StablePagination

    def scope_queryset(self, queryset):
        raise NotImplementedError("every caseqa viewset says what the user may see")

    def get_queryset(self):
        return self.scope_queryset(super().get_queryset())


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = _("须以 If-Match 头给出所读到的版本（ETag）")
    default_code = "precondition_required"


def etag(obj) -> str:
    """The ETag of a case or event: its version (every write through `cases.services` raises it)."""
    return f'"{obj.version}"'


class VersionedMixin:
    """ETag on reads and writes; `If-Match` on PUT/PATCH/DELETE makes a write conditional (412 when stale).

    `If-Match` is optional unless `settings.API_REQUIRE_IF_MATCH` (then a write without it is 428).
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        current = getattr(self, "_versioned", None)
        if current is not None and response.status_code in (200, 201):
            response["ETag"] = etag(current)
        return response

    def versioned(self, obj):
        """Remember `obj` as the resource answered (its ETag goes on the response)."""
        self._versioned = obj
        return obj

    def expected_version(self) -> int | None:
        """The version named by `If-Match` (None: unconditional). Unparsable or a list: 412 unless one is '*'."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header:
            if settings.API_REQUIRE_IF_MATCH:
                raise PreconditionRequired()
            return None
        if header == "*":
            return None
        value = header.removeprefix("W/").strip('"')
        if not value.isdigit():
            return -1  # matches no version: 412
        return int(value)

    def get_object(self):
        return self.versioned(super().get_object())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.method in ("PUT", "PATCH"):
            context["if_match"] = self.expected_version()
        return context


def stale_response(error: StaleVersionError) -> Response:
    """412 naming the current version and, for a case, what changed since the version the client read."""
    from cases.versions import changes_since

    current = error.current
    body = {
        "detail": _("记录已被他人修改：当前版本 %(current)s，请求基于版本 %(expected)s；请重新读取后再提交")
        % {"current": current.version, "expected": error.expected},
        "version": current.version,
        "changed": [
            {"field": c.field, "label": c.label, "before": c.before, "after": c.after}
            for c in changes_since(current, error.expected)
        ],
    }
    response = Response(body, status=status.HTTP_412_PRECONDITION_FAILED)
    response["ETag"] = etag(current)
    return response
