"""One error shape for the whole API: RFC 9457 problem details.

    {"type": "about:blank", "title": "Invalid input.", "status": 400, "code": "max_value",
     "detail": "page_size: Ensure this value is less than or equal to 100.",
     "instance": "/api/v1/articles/", "errors": [{"field": "page_size", "code": "max_value",
     "message": "Ensure this value is less than or equal to 100."}]}

A validation error's top-level `code` is its one error's code (`max_value`, `invalid_cursor`),
so that a client can branch on it without reading `errors`; with several errors it is `invalid`
and each error carries its own (validation_code).

DRF's exceptions go through `exception_handler`; Django's own 404 and 500 (unknown URLs, crashes
outside a view) go through `handler404` and `handler500` below, which answer the same shape under
`/api/` and Django's HTML pages elsewhere.

The database being unreachable, or a statement cancelled by its timeout, is not a bug but an
outage: it answers 503 with `Retry-After` (code `database_unavailable` or `database_timeout`),
never 500, wherever it happens (a view, a middleware, the admin).
"""

import functools
import logging
import sys
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from psycopg import errors as pg_errors
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import set_rollback

from botbeat.paths import is_everyones
from botbeat.services import ServiceError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# How long a client should wait after a 503: about a database restart's or failover's length.
RETRY_AFTER_SECONDS = 5


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


def validation_code(errors: list[dict]) -> str:
    """The top-level `code` of a validation problem: the error's own when there is exactly one,
    else the generic `invalid` (each error in `errors` keeps its own)."""
    return errors[0]["code"] if len(errors) == 1 else "invalid"


def _summary(errors: list[dict]) -> str:
    parts = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors]
    return " ".join(parts)[:1000] or "Invalid input."


# SQLite's OperationalError also means a bad query ("no such table"): only these are outages.
SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")


def database_outage(exc: BaseException | None) -> tuple[str, str] | None:
    """`(code, detail)` when `exc` says the database is unreachable or cancelled a statement,
    else None.

    PostgreSQL: Django's OperationalError and InterfaceError, which wrap psycopg's (a refused
    or dropped connection, the server shutting down, QueryCanceled from the statement timeout).
    Errors of the query itself (IntegrityError, DataError, ProgrammingError) are bugs: 500.
    """
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return None
    cause = exc.__cause__
    sqlite_error = getattr(cause, "sqlite_errorname", None)
    if sqlite_error is not None and not sqlite_error.startswith(SQLITE_OUTAGES):
        return None
    if isinstance(cause, pg_errors.QueryCanceled):
        return "database_timeout", "The request took too long and was cancelled: try again."
    return "database_unavailable", "The service is briefly unavailable: try again shortly."


def outage_problem(code: str, detail: str, instance: str) -> dict:
    return problem(503, code=code, detail=detail, instance=instance)


def service_error_as_api_exception(error: ServiceError) -> exceptions.APIException:
    """A service's refusal (botbeat.services) as the DRF exception of its status: a 400 names
    its field, when it has one."""
    if error.status == 400:
        detail = ErrorDetail(error.message, code=error.code)
        return exceptions.ValidationError({error.field: [detail]} if error.field else [detail])
    exc = exceptions.APIException(error.message, code=error.code)
    exc.status_code = error.status
    return exc


def exception_handler(exc, context):
    """DRF's exception handler, answering every error as a problem document."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    outage = database_outage(exc)
    if outage is not None:
        # One line, not a traceback per request: during an outage every request ends here.
        logger.error("%s: %s: %s", outage[0], instance, str(exc).strip().splitlines()[0])
        set_rollback()
        return Response(
            outage_problem(*outage, instance=instance),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, ServiceError):
        exc = service_error_as_api_exception(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a crash: Django logs it and handler500 answers

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait + 0.999))

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        body = problem(
            exc.status_code,
            code=validation_code(errors),
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


# The JSON endpoints outside /api/: the health probes (botbeat/health.py).
PROBE_PATHS = {"/healthz", "/readyz"}


def _is_api(request: HttpRequest) -> bool:
    """Whether the request's errors are problem documents: the API's, the probes', and the
    feeds' and sitemaps' (botbeat.paths), whose clients are programs too."""
    path = request.path
    return path.startswith("/api/") or path in PROBE_PATHS or is_everyones(path)


def problem_response(
    request: HttpRequest, status: int, code: str, detail: str, headers: dict | None = None
) -> JsonResponse:
    return JsonResponse(
        problem(status, code=code, detail=detail, instance=request.path),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


@csrf_exempt  # a signed-in POST to a wrong path is told so, not refused for its CSRF token
def api_not_found(request, *args, **kwargs):
    """Every path under /api/ that no route matches (botbeat/urls.py routes it last): the 404
    problem, whatever DEBUG is, for every method.

    handler404 below says the same with DEBUG off, but with DEBUG on Django answers an unknown
    URL with its technical 404 page, HTML, before any handler is asked: a route that matches
    the rest is the one place that sees them all. Since every /api/ path now resolves,
    CommonMiddleware's APPEND_SLASH no longer redirects them, so this does it: a GET or HEAD of
    a known path without its trailing slash is a 301 to it, as before. Other methods get the
    404, not a redirect that would drop their body.
    """
    if request.method in {"GET", "HEAD"} and slash_appended_resolves(request):
        return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return problem_response(request, 404, "not_found", "No such resource.")


def slash_appended_resolves(request: HttpRequest) -> bool:
    if not settings.APPEND_SLASH or request.path_info.endswith("/"):
        return False
    try:
        match = resolve(f"{request.path_info}/", getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.func is not api_not_found


def handler404(request, exception=None):
    if _is_api(request):
        return problem_response(request, 404, "not_found", "No such resource.")
    return defaults.page_not_found(request, exception)


def handler500(request):
    # Django calls this while handling the exception, the one a middleware raised included
    # (a session read with the database down): an outage is told apart from a crash here.
    outage = database_outage(sys.exc_info()[1])
    if outage is not None:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if _is_api(request):
            return problem_response(request, 503, *outage, headers=headers)
        return HttpResponse(
            "<!doctype html><title>503 Service Unavailable</title>"
            "<h1>Service Unavailable</h1><p>Try again in a few seconds.</p>",
            status=503,
            headers=headers,
        )
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


READ_ONLY_ALLOW = "GET, HEAD, OPTIONS"


def read_only(view):
    """A feed's or a sitemap's view: GET and HEAD; OPTIONS says so (`Allow`, no body, as
    Django's and DRF's views answer it); any other method is the 405 problem with `Allow`
    (never the CSRF refusal a POST would otherwise meet first: nothing is written)."""

    @csrf_exempt
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method == "OPTIONS":
            return HttpResponse(headers={"Allow": READ_ONLY_ALLOW, "Content-Length": "0"})
        if request.method not in {"GET", "HEAD"}:
            return problem_response(
                request,
                405,
                "method_not_allowed",
                f'Method "{request.method}" not allowed.',
                headers={"Allow": READ_ONLY_ALLOW},
            )
        return view(request, *args, **kwargs)

    return guarded
