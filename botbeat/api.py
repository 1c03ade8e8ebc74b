"""What every BotBeat API view shares: strict query parameters and the documented errors."""

import functools

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from botbeat.errors import problem


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="The offending parameter or field (a dotted path), or null."
    )
    code = serializers.CharField(help_text="Machine-readable, e.g. `required`, `max_value`.")
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details: the body of every 4xx and 5xx answer."""

    type = serializers.CharField(help_text="Always `about:blank`: `code` says what went wrong.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text=(
            "Machine-readable: `not_found`, `throttled`, ...; for a validation error (400) the "
            "code of its one error (`invalid_cursor`, `max_value`, `unknown_parameter`, ...), "
            "or `invalid` when there are several, each error in `errors` with its own."
        )
    )
    detail = serializers.CharField(help_text="A human-readable explanation.")
    instance = serializers.CharField(help_text="The request's path.")
    errors = ProblemFieldErrorSerializer(
        many=True, help_text="For validation errors, one item per offending field; else empty."
    )


def problem_example(
    status: int, code: str, detail: str, instance: str = "/api/v1/articles/", errors=None
) -> OpenApiExample:
    """An example problem document for a documented error response, as the API serves it."""
    body = problem(
        status,
        code=code,
        detail=detail,
        instance=instance,
        errors=errors,
        title="Invalid input." if status == 400 else None,
    )
    return OpenApiExample(code, value=body, status_codes=[str(status)], response_only=True)


PROBLEM_400 = OpenApiResponse(
    ProblemSerializer,
    description=(
        "Invalid query parameters or body: an unknown, repeated, empty or out-of-range "
        "parameter, a malformed date or cursor, or a value that breaks a rule. `code` is the "
        "one error's code, or `invalid` when `errors` lists several."
    ),
    examples=[
        problem_example(
            400,
            "max_value",
            "page_size: Ensure this value is less than or equal to 100.",
            errors=[
                {
                    "field": "page_size",
                    "code": "max_value",
                    "message": "Ensure this value is less than or equal to 100.",
                }
            ],
        ),
        problem_example(
            400,
            "invalid",
            "pagesize: Unknown query parameter. sort: Unknown query parameter.",
            errors=[
                {"field": name, "code": "unknown_parameter", "message": "Unknown query parameter."}
                for name in ("pagesize", "sort")
            ],
        ),
    ],
)
PROBLEM_404 = OpenApiResponse(
    ProblemSerializer,
    description="No such resource, or one the caller may not see (a draft, for the public).",
    examples=[problem_example(404, "not_found", "No Article matches the given query.")],
)


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


def form_errors(form) -> dict[str, list]:
    """A form's errors with their codes (`invalid_choice`, `out_of_range`, ...): its plain
    messages would all become `invalid` in the problem's `errors`."""
    return {
        field: [
            serializers.ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]
        for field, errors in form.errors.as_data().items()
    }


@functools.cache
def filterset_of(filterset_class, names: frozenset[str]):
    """`filterset_class` with only the filters `names`, in their order.

    A FilterSet deep-copies every filter and builds every filter's form field (a company and a
    tag queryset among them) at each request: half the feed's time with `?company=`. A filter
    whose parameter is absent filters nothing (none here has a default), so those are left out.
    """
    subclass = type(
        filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__}
    )
    subclass.base_filters = {
        name: filter_ for name, filter_ in filterset_class.base_filters.items() if name in names
    }
    return subclass


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, keeping the validated filterset on the view for pagination to read.

    A request that gives none of the filterset's parameters (the plain feed, the hottest URL)
    is not filtered at all, so it skips building the filterset and its form: a third of the
    feed's time here. One that gives some builds only their filters (filterset_of). The
    filters' names must be their parameters' (no RangeFilter's `_min`).
    """

    def get_filterset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        names = frozenset(request.query_params.keys() & filterset_class.base_filters.keys())
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        return filterset_of(filterset_class, names)(**kwargs)

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or request.query_params.keys().isdisjoint(
            filterset_class.base_filters
        ):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise ValidationError(form_errors(filterset.form))
        view.filterset = filterset
        return filterset.qs


class StrictQueryParamsMixin:
    """Refuse unknown, repeated single-valued, empty and NUL-carrying query parameters (400).

    The allowed names are the filterset's filters, the paginator's parameters and
    `extra_query_params`; `multi_valued_params` may repeat. The schema lists the same names,
    so a client's typo is caught instead of being silently ignored.
    """

    extra_query_params: tuple[str, ...] = ()
    multi_valued_params: tuple[str, ...] = ()

    def allowed_query_params(self) -> set[str]:
        names = set(self.extra_query_params)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            names.update(filterset_class.base_filters)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            names.update(getattr(paginator, "query_params", ()))
        return names

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in {"GET", "HEAD"}:
            check_query_params(request, self.allowed_query_params(), set(self.multi_valued_params))


class StrictQueryParamsOnWritesMixin(StrictQueryParamsMixin):
    """Query parameters are strict on writes too: a POST, PATCH or DELETE takes none, so that
    `?parent=3` sent in the wrong place is a 400 rather than silently a top-level comment."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A method the view does not serve is a 405 (dispatch answers it after initial()),
        # whatever its query says.
        method = request.method.lower()
        if method not in {"get", "head", "options"} and hasattr(self, method):
            check_query_params(request, set(), set())


def check_query_params(request, allowed: set[str], multi: set[str]) -> None:
    errors: dict[str, list] = {}
    for name in request.query_params:
        values = request.query_params.getlist(name)
        if name not in allowed:
            errors[name] = [
                serializers.ErrorDetail("Unknown query parameter.", code="unknown_parameter")
            ]
        elif len(values) > 1 and name not in multi:
            errors[name] = [
                serializers.ErrorDetail("Give this parameter at most once.", code="repeated")
            ]
        elif any(value.strip() == "" for value in values):
            errors[name] = [serializers.ErrorDetail("This value may not be empty.", code="blank")]
        elif any("\x00" in value for value in values):
            errors[name] = [
                serializers.ErrorDetail("NUL characters are not allowed.", code="null_characters")
            ]
    if errors:
        raise ValidationError(errors)
