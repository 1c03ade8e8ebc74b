"""OpenAPI for authentication: the bearer token's and the session cookie's security schemes,
the CSRF header, and the 401, 403, 415 and 429 problem responses with their headers, shared by
accounts and comments. The RateLimit headers, on every operation, are botbeat.schema's."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from botbeat.api import ProblemSerializer, problem_example

BEARER_SCHEME = "bearerAuth"
SESSION_SCHEME = "cookieAuth"
CSRF_HEADER = "X-CSRFToken"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = BEARER_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A token from `POST /api/v1/auth/token/`, sent as `Authorization: Bearer "
                "<token>`. Tokens expire (the token answer says when) and `POST "
                "/api/v1/auth/logout/` revokes the one in use; a new password (set anywhere, the "
                "admin included) revokes them all. An unknown, expired or malformed "
                "token answers 401 on every operation, even one open to anonymous readers."
            ),
        }


class SessionCookieScheme(OpenApiAuthenticationExtension):
    """The session cookie, as the browser frontend signs in with it; it replaces
    drf-spectacular's own description of SessionAuthentication (priority -1)."""

    target_class = "rest_framework.authentication.SessionAuthentication"
    name = SESSION_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "The browser frontend's sign-in: `POST /api/v1/auth/session/` sets the "
                f"`{settings.SESSION_COOKIE_NAME}` cookie (HttpOnly, SameSite=Lax, Secure over "
                "HTTPS), a new one at each sign-in, and `DELETE` ends it. Every write it signs "
                f"needs the CSRF token in the `{CSRF_HEADER}` header: the value of the "
                f"`{settings.CSRF_COOKIE_NAME}` cookie, or the `csrf_token` of `GET "
                "/api/v1/auth/session/`; without it the write is a 403. A session of a "
                "deactivated reader names nobody."
            ),
        }


PROBLEM_401 = OpenApiResponse(
    ProblemSerializer,
    description=(
        "Not signed in (`not_authenticated`), or the bearer token is unknown, expired or "
        "malformed (`invalid_token`). Carries `WWW-Authenticate: Bearer`."
    ),
    examples=[
        problem_example(
            401,
            "invalid_token",
            "Invalid or expired token: get a new one from /api/v1/auth/token/.",
            "/api/v1/auth/me/",
        )
    ],
)
PROBLEM_403_CSRF_DESCRIPTION = (
    "Signed in with the session cookie but without the CSRF token (`X-CSRFToken` header)."
)
PROBLEM_403_CSRF = OpenApiResponse(
    ProblemSerializer,
    description=(
        f"The CSRF token is missing or does not match the `{settings.CSRF_COOKIE_NAME}` cookie, "
        "or the request's `Origin` is neither this site nor one of `CSRF_TRUSTED_ORIGINS` "
        "(`permission_denied`, the detail says which)."
    ),
    examples=[
        problem_example(
            403,
            "permission_denied",
            "CSRF Failed: CSRF token missing.",
            "/api/v1/auth/session/",
        )
    ],
)
PROBLEM_415 = OpenApiResponse(
    ProblemSerializer,
    description="The body is not `application/json` in UTF-8 (`unsupported_media_type`).",
)
THROTTLED_EXAMPLE = problem_example(
    429,
    "throttled",
    "Request was throttled. Expected available in 42 seconds.",
    "/api/v1/auth/token/",
)
PROBLEM_429 = OpenApiResponse(
    ProblemSerializer,
    description="Too many requests (`throttled`): retry after `Retry-After` seconds.",
    examples=[THROTTLED_EXAMPLE],
)
PROBLEM_429_SIGN_IN = OpenApiResponse(
    ProblemSerializer,
    description=(
        "Too many requests from this address (`throttled`), or too many failed sign-ins for "
        "this account (`locked_out`: `LOGIN_FAILURE_LIMIT` failures, 5 by default, within "
        "`LOGIN_LOCKOUT_MINUTES`, 15; then even the right password is refused). Retry after "
        "`Retry-After` seconds."
    ),
    examples=[
        THROTTLED_EXAMPLE,
        problem_example(
            429,
            "locked_out",
            "Too many failed sign-ins: signing in is paused. Expected available in 900 seconds.",
            "/api/v1/auth/token/",
        ),
    ],
)
PROBLEM_400_PARSE_DESCRIPTION = "Malformed JSON (`parse_error`), or a field breaks its rules."

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before the next request counts again.",
    response=[429],
)
CSRF_HEADER_DESCRIPTION = (
    f"The CSRF token: the value of the `{settings.CSRF_COOKIE_NAME}` cookie, or the `csrf_token` "
    "of `GET /api/v1/auth/session/`."
)
X_CSRF_TOKEN = OpenApiParameter(
    CSRF_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description=CSRF_HEADER_DESCRIPTION + " Without it: 403.",
)
SET_CSRF_COOKIE = OpenApiParameter(
    "Set-Cookie",
    str,
    OpenApiParameter.HEADER,
    description=(
        f"`{settings.CSRF_COOKIE_NAME}=...; Path=/; SameSite=Lax` (Secure over HTTPS), readable "
        "by the page's scripts; after a sign-in also the new "
        f"`{settings.SESSION_COOKIE_NAME}=...; HttpOnly; Path=/; SameSite=Lax`."
    ),
    response=[200],
)
WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    str,
    OpenApiParameter.HEADER,
    description='The scheme to authenticate with: `Bearer realm="api"`.',
    response=[401],
)


def throttle_note(rate_setting: str, per: str) -> str:
    return (
        f"\n\nRate-limited per {per} (`{rate_setting}`, e.g. `10/minute`, over a sliding "
        "window): every request the limit lets through counts, whatever it is answered; past "
        "the limit, 429 with `Retry-After`. `RateLimit-Policy` and `RateLimit` say the limit "
        "and what is left of it."
    )


def document_csrf_header(result) -> None:
    """Every write the session cookie may sign takes the CSRF header: optional where a bearer
    token may sign it instead (the comments' writes), required where the operation says so
    itself (the session's own)."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"post", "put", "patch", "delete"} or not isinstance(operation, dict):
                continue
            security = operation.get("security", [])
            if not any(SESSION_SCHEME in requirement for requirement in security):
                continue
            parameters = operation.setdefault("parameters", [])
            if any(p.get("in") == "header" and p.get("name") == CSRF_HEADER for p in parameters):
                continue
            parameters.append(
                {
                    "in": "header",
                    "name": CSRF_HEADER,
                    "required": False,
                    "schema": {"type": "string"},
                    "description": CSRF_HEADER_DESCRIPTION
                    + " Needed when the session cookie signs the request (403 without it); a "
                    "bearer token needs none.",
                }
            )


def document_bearer_token_errors(result, generator, request, public):
    """Postprocessing hook: every write that reads the bearer token may answer 401.

    A write's token is checked before anything else, so a client holding an expired token
    learns it at once. A read with a token that names nobody is answered as the public is (the
    same bytes, from the same cache); reads that need a reader document their own 401.
    Operations that already document a 401 keep theirs. It also documents the CSRF header of
    the writes the session cookie signs (document_csrf_header). (The rate limits' headers and
    429, which every API operation has, are botbeat.schema's.)
    """
    document_csrf_header(result)
    schemas = result.get("components", {}).get("schemas", {})
    if "Problem" not in schemas:
        return result
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if method in {"get", "head", "options"}:
                continue
            security = operation.get("security", [])
            if not any(BEARER_SCHEME in requirement for requirement in security):
                continue
            responses = operation["responses"]
            if "401" in responses:
                continue
            responses["401"] = {
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
                "headers": {
                    "WWW-Authenticate": {
                        "schema": {"type": "string"},
                        "description": WWW_AUTHENTICATE.description,
                    }
                },
                "description": "The bearer token is unknown, expired or malformed.",
            }
    return result
