"""drf-spectacular postprocessing: what every operation shares, said once.

- Errors are served as `application/problem+json`, not `application/json`.
- Every GET carries `ETag` and `Cache-Control`, takes `If-None-Match`, and may answer 304.
"""

PROBLEM_MEDIA_TYPE = "application/problem+json"


def postprocess(result, generator, request, public):
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, response in responses.items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
            if method == "get":
                document_conditional_get(operation)
    return result


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
                        "`public, max-age=..., s-maxage=...` for anonymous readers (a CDN may "
                        "keep it); `private, no-store` for signed-in users."
                    ),
                    "schema": {"type": "string"},
                },
            }
        )
    operation["responses"]["304"] = {
        "description": "Not Modified: the If-None-Match ETag still matches; no body.",
        "headers": {"ETag": {"schema": {"type": "string"}}},
    }
