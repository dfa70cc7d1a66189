"""OpenAPI postprocessing: document the error answers every operation of /api/v1/ really gives.

Operations declare their success answers (and some their 400/403) next to their views; the answers
the plumbing gives to any operation are added here once, so the schema says what a client can get:

- 400 bad parameters or body (filters, pagination, workflow refusals), each naming the field;
- 401 no or bad credentials; 403 signed in but not allowed (e.g. a read-only token writing);
- 404 not found — unknown, or outside the caller's access (answered alike, see docs/access.md);
- 409 a delete refused because records still refer to the object (DELETE only);
- 415 a body in a media type the operation does not parse, or none named (operations with a body);
- 429 too many requests for this token (the throttle).
"""

from __future__ import annotations

ERROR_COMPONENT = "ErrorDetail"
ERROR_SCHEMA = {
    "type": "object",
    "description": "{detail: 原因} 或 {字段: [原因]} / {detail: reason} or {field: [reasons]}",
    "additionalProperties": {},
}
COMMON = {
    "400": "参数或请求体无效，指出字段 / invalid parameters or body, naming the field",
    "401": "未认证 / not authenticated",
    "403": "无权进行此操作 / not allowed",
    "404": "不存在或无权访问 / not found, or outside your access",
    "429": "请求过于频繁 / too many requests",
}
DELETE_ONLY = {"409": "仍有记录引用该对象 / still referred to"}
WITH_BODY = {"415": "不支持请求体的媒体类型 / the body's media type is not accepted"}
BODY_METHODS = ("post", "put", "patch")
METHODS = ("get", *BODY_METHODS, "delete")


def document_error_answers(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the common error answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for operations in result.get("paths", {}).values():
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            answers = operation.setdefault("responses", {})
            extra = DELETE_ONLY if method == "delete" else WITH_BODY if method in BODY_METHODS else {}
            for code, text in {**COMMON, **extra}.items():
                answers.setdefault(code, {"description": text, "content": {"application/json": {"schema": reference}}})
    return result
