"""One error shape for the whole API: RFC 9457 problem details.

    {"type": "about:blank", "title": "Invalid input.", "status": 400, "code": "invalid",
     "detail": "page_size: Ensure this value is less than or equal to 100.",
     "instance": "/api/v1/articles/", "errors": [{"field": "page_size", "code": "max_value",
     "message": "Ensure this value is less than or equal to 100."}]}

DRF's exceptions go through `exception_handler`; Django's own 404 and 500 (unknown URLs, crashes
outside a view) go through `handler404` and `handler500` below, which answer the same shape under
`/api/` and Django's HTML pages elsewhere.
"""

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


def flatten_errors(detail, field: str | None = None) -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, message}; `field` is a dotted path
    ("takeaways.2") or null for errors about the input as a whole."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            key = str(key)
            if key in {"non_field_errors", "__all__"}:
                child = field
            else:
                child = f"{field}.{key}" if field else key
            items.extend(flatten_errors(value, child))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            # A list of messages belongs to the field; a list of nested objects is indexed.
            child = f"{field}.{index}" if isinstance(value, (dict, list)) and field else field
            items.extend(flatten_errors(value, child))
        return items
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": field, "code": str(code), "message": str(detail)}]


def problem(
    status: int,
    *,
    code: str,
    detail: str,
    instance: str = "",
    errors: list[dict] | None = None,
    title: str | None = None,
) -> dict:
    return {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": instance,
        "errors": errors or [],
    }


def _summary(errors: list[dict]) -> str:
    parts = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors]
    return " ".join(parts)[:1000] or "Invalid input."


def exception_handler(exc, context):
    """DRF's exception handler, answering every error as a problem document."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a crash: Django logs it and handler500 answers

    request = context.get("request")
    instance = request.path if request is not None else ""
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait + 0.999))

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        codes = {e["code"] for e in errors}
        body = problem(
            exc.status_code,
            code=codes.pop() if len(codes) == 1 and errors[0]["field"] is None else "invalid",
            title="Invalid input.",
            detail=_summary(errors),
            instance=instance,
            errors=errors,
        )
    else:
        detail = exc.detail
        if isinstance(detail, (list, dict)):
            errors = flatten_errors(detail)
            message = _summary(errors)
        else:
            message = str(detail)
        body = problem(
            exc.status_code,
            code=str(getattr(detail, "code", None) or exc.default_code),
            detail=message,
            instance=instance,
        )
    set_rollback()
    return Response(
        body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def problem_response(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status, code=code, detail=detail, instance=request.path),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def handler404(request, exception=None):
    if _is_api(request):
        return problem_response(request, 404, "not_found", "No such resource.")
    return defaults.page_not_found(request, exception)


def handler500(request):
    if _is_api(request):
        return problem_response(request, 500, "server_error", "An unexpected error occurred.")
    return defaults.server_error(request)


def handler400(request, exception=None):
    if _is_api(request):
        return problem_response(request, 400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return problem_response(request, 403, "permission_denied", "Permission denied.")
    return defaults.permission_denied(request, exception)
