"""`GET /api/v1/`: the API's front door, a link to each place a client starts from.

The links are absolute URLs (`request.build_absolute_uri`), as the lists' `next` and `previous`
are: a client follows them as they come, whatever host or proxy it reached the API through. The
answer is the same for everyone on a host, so it is cached like every public answer (ETag,
`Cache-Control`, the response cache under the `botbeat` key alone: no write changes it).

INDEX is the one list the answer and its schema are both written from: a new entry point is one
line there (the change feed's `changes` will be).
"""

from dataclasses import dataclass

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from botbeat.api import PROBLEM_400, StrictQueryParamsMixin


@dataclass(frozen=True)
class Link:
    name: str  # the answer's key
    path: str  # from the site's root
    description: str  # the schema's, for the property


INDEX = (
    Link("articles", "/api/v1/articles/", "The feed, newest first: filters, search, cursors."),
    Link("companies", "/api/v1/companies/", "The companies, by name."),
    Link("tags", "/api/v1/tags/", "The tags, by name."),
    Link(
        "changes",
        "/api/v1/changes/",
        "The change feed: what changed in public content, oldest first, resumable by `since`.",
    ),
    Link("auth_register", "/api/v1/auth/register/", "Sign a reader up (POST)."),
    Link("auth_token", "/api/v1/auth/token/", "Exchange a username and password for a token."),
    Link(
        "auth_session",
        "/api/v1/auth/session/",
        "The browser frontend's sign-in with the session cookie and CSRF.",
    ),
    Link("schema", "/api/schema/", "This API's OpenAPI 3 schema (JSON or YAML by `Accept`)."),
    Link("docs", "/api/docs/", "The schema in Swagger UI."),
    Link("redoc", "/api/redoc/", "The schema in ReDoc."),
)

IndexSerializer = inline_serializer(
    "ApiIndex",
    {link.name: serializers.URLField(help_text=link.description) for link in INDEX},
)


class ApiIndexView(StrictQueryParamsMixin, APIView):
    """No query parameter (strict, as everywhere), no credential needed."""

    @extend_schema(
        operation_id="api_index",
        summary="The index: a link to each collection, the sign-in paths, the schema, the docs",
        description=(
            "Absolute URLs, keyed by name. Clients start here rather than building paths: a "
            "name added later is a new key, and one already here keeps its meaning."
        ),
        tags=["index"],
        responses={200: IndexSerializer, 400: PROBLEM_400},
    )
    def get(self, request):
        return Response({link.name: request.build_absolute_uri(link.path) for link in INDEX})
