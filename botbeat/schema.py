"""drf-spectacular postprocessing: what every operation shares, said once.

- Errors are served as `application/problem+json`, not `application/json`.
- Every operation answers 406 when `Accept` excludes JSON.
- Every API operation may answer 503 with `Retry-After` while the database is unreachable.
- Every API operation that takes a body refuses one over API_MAX_BODY_BYTES (413) or sent
  without a Content-Length (411), before reading it (botbeat.middleware).
- Every API GET carries `ETag` and `Cache-Control` (and, when public, `Surrogate-Key` and
  `Cache-Tag`), takes `If-None-Match`, and may answer 304.
- Every API answer, whatever its status, carries `RateLimit-Policy` and `RateLimit`, and every
  API operation may answer 429 with `Retry-After`: the read limit counts every request
  (botbeat.middleware.RateLimitMiddleware). Said last, so that the answers added above have
  them too.
  The health probes outside /api/ are never cached: they document their own answers.
- A PATCH body (`Patched...` components) has at least one property.
- A request body takes no property it does not list (`additionalProperties: false`): every
  request serializer is a botbeat.fields.StrictSerializer (StrictSerializerExtension, below).
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension

from botbeat.errors import RETRY_AFTER_SECONDS

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# The headers' values, as botbeat.throttles writes them: a list of one member per limit.
POLICY_MEMBER = r'"[a-z_]+";q=\d+;w=\d+'
LEFT_MEMBER = r'"[a-z_]+";r=\d+;t=\d+'
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": (
            "The limits this request counted against (draft-ietf-httpapi-ratelimit-headers), "
            'one list member each, `"<scope>";q=<requests>;w=<seconds>`: `read` first (every '
            "API request, per client address: `THROTTLE_READ`, 600/minute by default), then "
            "the operation's own limit if it has one (its description names it), e.g. "
            '`"read";q=600;w=60, "comment_post";q=10;w=60`. Absent from an answer that an edge '
            "cache in front (deploy/varnish) served from its own store: it counted against no "
            "limit."
        ),
        "schema": {"type": "string", "pattern": f"^{POLICY_MEMBER}(, {POLICY_MEMBER})*$"},
    },
    "RateLimit": {
        "description": (
            'What is left of each limit, in the same order: `"<scope>";r=<requests left>;'
            "t=<seconds until the quota resets>` (for a write's own limit, until the oldest "
            'request counted leaves its sliding window), e.g. `"read";r=599;t=60`. A limit '
            "that could not be counted (its store unreachable: the request goes through) has "
            "no member here."
        ),
        "schema": {"type": "string", "pattern": f"^{LEFT_MEMBER}(, {LEFT_MEMBER})*$"},
    },
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before the next request counts again.",
    "schema": {"type": "integer"},
}


class StrictSerializerExtension(OpenApiSerializerExtension):
    """A StrictSerializer refuses unknown fields: in a request, its schema says so. Its answers
    (none today) would keep the default, so that a client may meet fields added later.
    Registered when this module is imported (botbeat.apps)."""

    target_class = "botbeat.fields.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


def postprocess(result, generator, request, public):
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault(
                "406",
                problem_answer(
                    "`Accept` names no type this operation serves (`not_acceptable`): it "
                    "serves `application/json`."
                ),
            )
            if path.startswith("/api/"):
                document_outage(responses)
                if "requestBody" in operation:
                    document_body_limit(responses)
                    if method == "patch":  # at least one field: a body is required
                        operation["requestBody"]["required"] = True
                if method == "get":
                    document_conditional_get(operation)
                document_rate_limits(responses)
            for status, response in responses.items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    for name, component in result.get("components", {}).get("schemas", {}).items():
        # A PATCH body changes at least one field: `{}` is a 400 (`required`), so say it.
        if name.startswith("Patched") and component.get("type") == "object":
            component.setdefault("minProperties", 1)
    return result


def problem_answer(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}
    if headers:
        answer["headers"] = headers
    return answer


def document_rate_limits(responses: dict) -> None:
    responses.setdefault(
        "429",
        problem_answer(
            "Too many requests (`throttled`) from this client address: the read limit "
            "(`THROTTLE_READ`), which every API request counts against. Retry after "
            "`Retry-After` seconds."
        ),
    )
    responses["429"].setdefault("headers", {}).setdefault("Retry-After", RETRY_AFTER_HEADER)
    for response in responses.values():
        response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)


def document_outage(responses: dict) -> None:
    responses.setdefault(
        "503",
        problem_answer(
            "The database is unreachable (`database_unavailable`) or the request ran past the "
            "statement timeout (`database_timeout`): retry after `Retry-After` seconds.",
            {
                "Retry-After": {
                    "description": f"Seconds to wait before retrying ({RETRY_AFTER_SECONDS}).",
                    "schema": {"type": "integer"},
                }
            },
        ),
    )


def document_body_limit(responses: dict) -> None:
    responses.setdefault(
        "411",
        problem_answer(
            "The body came without a `Content-Length` (`length_required`), e.g. chunked."
        ),
    )
    responses.setdefault(
        "413",
        problem_answer(
            f"The body is larger than {settings.API_MAX_BODY_BYTES} bytes "
            "(`payload_too_large`): refused before it is read."
        ),
    )


def document_conditional_get(operation: dict) -> None:
    operation.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": "If-None-Match",
            "required": False,
            "description": "An `ETag` from an earlier answer: 304 when it still matches.",
            "schema": {"type": "string"},
        }
    )
    ok = operation["responses"].get("200")
    if ok is not None:
        ok.setdefault("headers", {}).update(
            {
                "ETag": {
                    "description": "A validator for If-None-Match.",
                    "schema": {"type": "string"},
                },
                "Cache-Control": {
                    "description": (
                        "`public, max-age=..., s-maxage=...` for the public and signed-in "
                        "readers, who get the same bytes (a CDN may keep it, never past the "
                        "next scheduled publication); `private, no-store` for staff who see "
                        "more than the public, and for personal answers (`/auth/me/`)."
                    ),
                    "schema": {"type": "string"},
                },
                "Surrogate-Key": {
                    "description": (
                        "On public answers: what the answer shows, space-separated "
                        "(`article-<id>`, `company-<id>`, `tag-<id>`, `feed` for lists whose "
                        "membership any publication changes, `botbeat` on every one), so that "
                        "an edge cache can purge exactly the answers a write changed."
                    ),
                    "schema": {"type": "string"},
                },
                "Cache-Tag": {
                    "description": "The same keys as `Surrogate-Key`, comma-separated.",
                    "schema": {"type": "string"},
                },
            }
        )
    not_modified = {
        "description": "Not Modified: the If-None-Match ETag still matches; no body.",
        "headers": {"ETag": {"schema": {"type": "string"}}},
    }
    dated = (ok or {}).get("headers", {}).get("Last-Modified")
    if dated is not None:  # the operation dates its answers (botbeat.conditional)
        not_modified["description"] = (
            "Not Modified: the If-None-Match ETag still matches or, without If-None-Match, "
            "the answer is no later than If-Modified-Since; no body."
        )
        not_modified["headers"]["Last-Modified"] = dated
    operation["responses"]["304"] = not_modified
