"""OpenAPI for authentication and rate limits: the bearer token's security scheme, and the
401, 403, 415 and 429 problem responses with their headers, shared by accounts and comments.
The RateLimit headers, on every operation, are botbeat.schema's."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from botbeat.api import ProblemSerializer, problem_example

BEARER_SCHEME = "bearerAuth"


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


def document_bearer_token_errors(result, generator, request, public):
    """Postprocessing hook: every write that reads the bearer token may answer 401.

    A write's token is checked before anything else, so a client holding an expired token
    learns it at once. A read with a token that names nobody is answered as the public is (the
    same bytes, from the same cache); reads that need a reader document their own 401.
    Operations that already document a 401 keep theirs. (The rate limits' headers and 429,
    which every API operation has, are botbeat.schema's.)
    """
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
