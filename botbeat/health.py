"""Health endpoints for load balancers and orchestrators.

- `GET /healthz`: the process is alive and serving. It touches nothing else, so a database
  outage never gets healthy workers restarted (that would not help and would drop requests).
- `GET /readyz`: the process can do its work: the database answers a trivial query (503
  otherwise, so that a load balancer sends traffic elsewhere), and the cache's state is reported.
  A cache outage does not make the site unready: it serves without the cache (throttles fail
  open, the response cache steps aside), so that is 200 with `"cache": "down"`. Nor does a read
  replica that is down or lagging (botbeat/replicas.py): reads go elsewhere, and `replicas`
  reports each one's state.

Neither takes a query parameter (strict, as everywhere: a probe configured with a typo fails at
once rather than probing something else), needs a credential or is throttled, and neither may be
cached anywhere: `Cache-Control: no-store`. They live outside /api/ and are exempt from the HTTPS
redirect (settings.SECURE_REDIRECT_EXEMPT): probes come over plain HTTP from inside the network.
Their Host must still be one of ALLOWED_HOSTS.
"""

import secrets

from django.core.cache import cache
from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from botbeat import replicas
from botbeat.api import ProblemSerializer, StrictQueryParamsMixin, problem_response
from botbeat.errors import PROBLEM_CONTENT_TYPE, RETRY_AFTER_SECONDS, problem

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (HealthOkEnum, HealthStateEnum,
# ReplicaStateEnum).
OK = ["ok"]
STATES = ["ok", "down"]
REPLICA_STATES = ["ok", "lagging", "down"]

REPLICA = inline_serializer(
    "ReplicaReadiness",
    {
        "name": serializers.CharField(
            help_text="`replica1`, `replica2`, ...: the order of `DATABASE_REPLICA_URLS`."
        ),
        "state": serializers.ChoiceField(
            choices=REPLICA_STATES,
            help_text="`lagging`: behind by more than `DATABASE_REPLICA_MAX_LAG_SECONDS`, or not "
            "streaming; `down`: unreachable. Reads skip a replica that is not `ok`.",
        ),
        "lag_seconds": serializers.FloatField(
            allow_null=True, help_text="How far behind the primary it is; null when unknown."
        ),
    },
)


def database_state() -> str:
    """`ok` when the database answers `SELECT 1` (within DATABASE_CONNECT_TIMEOUT), else `down`."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "down"
    return "ok"


def cache_state() -> str:
    """`ok` when a value written to the cache reads back, else `down`.

    django-redis ignores connection errors (IGNORE_EXCEPTIONS: reads miss, writes vanish), so
    only a round trip tells that Redis is away. The key is unique: concurrent probes never see
    each other's value.
    """
    key = f"readyz:{secrets.token_hex(8)}"
    try:
        cache.set(key, "ok", timeout=10)
        state = "ok" if cache.get(key) == "ok" else "down"
        cache.delete(key)
    except Exception:  # a cache backend's errors vary
        return "down"
    return state


PROBLEM_400_PROBE = problem_response("A query parameter: the probes take none.")


class ProbeView(StrictQueryParamsMixin, APIView):
    """No credentials, no throttle, never cached."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class HealthzView(ProbeView):
    @extend_schema(
        operation_id="healthz",
        summary="Liveness: the process is alive",
        description=(
            "200 while the process serves requests; it asks nothing of the database or the "
            "cache. Never cached (`Cache-Control: no-store`); takes no query parameter."
        ),
        tags=["health"],
        responses={
            200: inline_serializer("Liveness", {"status": serializers.ChoiceField(choices=OK)}),
            400: PROBLEM_400_PROBE,
        },
    )
    def get(self, request):
        return Response({"status": "ok"})


READINESS_DOWN = problem(
    503,
    code="not_ready",
    detail="The database is unreachable.",
    instance="/readyz",
    errors=[{"field": "database", "code": "down", "message": "The database is unreachable."}],
)


class ReadyzView(ProbeView):
    @extend_schema(
        operation_id="readyz",
        summary="Readiness: the database answers; the cache's state",
        description=(
            "200 when the database answers a trivial query, with the state of each dependency. "
            "The cache may be `down`: the site then serves without it (rate limits are not "
            "enforced and every answer is computed), so it stays ready; so may a read replica "
            "(its reads go to another, or to the primary). When the database does "
            "not answer within `DATABASE_CONNECT_TIMEOUT` seconds, 503 `not_ready`, whose "
            "`errors` name the dependencies that are down. Never cached "
            "(`Cache-Control: no-store`); takes no query parameter."
        ),
        tags=["health"],
        responses={
            200: inline_serializer(
                "Readiness",
                {
                    "database": serializers.ChoiceField(
                        choices=OK, help_text="Always `ok` in a 200."
                    ),
                    "cache": serializers.ChoiceField(
                        choices=STATES,
                        help_text="`down`: Redis does not answer; the site serves without it.",
                    ),
                    "replicas": serializers.ListSerializer(
                        child=REPLICA,
                        help_text="Each read replica (`DATABASE_REPLICA_URLS`); empty without.",
                    ),
                },
            ),
            400: PROBLEM_400_PROBE,
            503: OpenApiResponse(
                ProblemSerializer,
                description="The database is unreachable (`not_ready`); retry after "
                "`Retry-After` seconds.",
                examples=[
                    OpenApiExample(
                        "not_ready", value=READINESS_DOWN, status_codes=["503"], response_only=True
                    )
                ],
            ),
        },
    )
    def get(self, request):
        database = database_state()
        cache_ = cache_state()
        if database != "ok":
            errors = [
                {"field": "database", "code": "down", "message": "The database is unreachable."}
            ]
            if cache_ != "ok":
                errors.append(
                    {"field": "cache", "code": "down", "message": "The cache is unreachable."}
                )
            body = problem(
                503,
                code="not_ready",
                detail="The database is unreachable.",
                instance=request.path,
                errors=errors,
            )
            return Response(
                body,
                status=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                content_type=PROBLEM_CONTENT_TYPE,
            )
        return Response({"database": "ok", "cache": cache_, "replicas": replicas.states()})
