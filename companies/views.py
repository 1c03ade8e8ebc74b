from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from botbeat.api import PROBLEM_400, PROBLEM_404, StrictQueryParamsMixin
from botbeat.pagination import StrictPageNumberPagination
from botbeat.redirects import SlugRedirectMixin
from botbeat.slugs import SLUG_PATTERN
from companies.models import Company
from companies.serializers import CompanySerializer


@extend_schema_view(
    list=extend_schema(
        operation_id="companies_list",
        summary="Companies, by name",
        description="Their articles: `GET /api/v1/articles/?company=<slug>`.",
        responses={200: CompanySerializer(many=True), 400: PROBLEM_400, 404: PROBLEM_404},
    ),
    retrieve=extend_schema(
        operation_id="companies_retrieve",
        summary="One company",
        description="A company with no published article answers 404 to the public.",
        responses={200: CompanySerializer, 400: PROBLEM_400, 404: PROBLEM_404},
    ),
)
class CompanyViewSet(SlugRedirectMixin, StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    slug_model = Company  # an old slug answers 301
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    serializer_class = CompanySerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self):
        return (
            Company.objects.visible_to(self.request.user)
            .with_article_stats()
            .order_by("name", "slug")
        )

    def allowed_query_params(self) -> set[str]:
        return super().allowed_query_params() if self.action == "list" else set()
