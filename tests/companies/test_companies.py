import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status
from tests.factories import ArticleFactory, CompanyFactory

pytestmark = pytest.mark.django_db


def test_company_detail_counts_only_published_articles(api):
    openai = CompanyFactory(
        slug="openai", name="OpenAI", website_url="https://openai.com", description="Labs."
    )
    latest = ArticleFactory(company=openai, published_at=timezone.now() - dt.timedelta(hours=1))
    ArticleFactory(company=openai, published_at=timezone.now() - dt.timedelta(days=3))
    ArticleFactory(company=openai, status=Status.DRAFT, published_at=timezone.now())
    ArticleFactory(company=openai, published_at=timezone.now() + dt.timedelta(days=1))

    response = api.get("/api/v1/companies/openai/")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "openai",
        "name": "OpenAI",
        "description": "Labs.",
        "website_url": "https://openai.com",
        "logo_url": None,
        "article_count": 2,
        "latest_published_at": latest.published_at.isoformat().replace("+00:00", "Z"),
    }


def test_company_list_is_by_name_with_a_count(api):
    ArticleFactory(company__name="Zeta", company__slug="zeta")
    ArticleFactory(company__name="Alpha", company__slug="alpha")

    body = api.get("/api/v1/companies/").json()

    assert body["count"] == 2
    assert [c["slug"] for c in body["results"]] == ["alpha", "zeta"]


def test_a_company_with_only_drafts_is_hidden_from_the_public(api, staff_api):
    ArticleFactory(company__slug="stealth", status=Status.DRAFT)

    assert api.get("/api/v1/companies/stealth/").status_code == 404
    assert api.get("/api/v1/companies/").json()["count"] == 0
    assert api.get("/api/v1/articles/", {"company": "stealth"}).status_code == 400
    staff = staff_api.get("/api/v1/companies/stealth/")
    assert staff.status_code == 200
    assert staff.json()["article_count"] == 0


@pytest.mark.parametrize(
    "params", [{"page": "0"}, {"page": "x"}, {"page_size": "101"}, {"sort": "name"}, {"page": ""}]
)
def test_bad_company_list_parameters_are_400(api, params):
    assert api.get("/api/v1/companies/", params).status_code == 400


def test_a_page_past_the_last_is_404(api):
    ArticleFactory()

    assert api.get("/api/v1/companies/", {"page": 2}).status_code == 404


def test_company_list_query_count_does_not_grow(api, django_assert_num_queries):
    ArticleFactory()
    with django_assert_num_queries(2):  # count, page
        api.get("/api/v1/companies/")
    for _ in range(10):
        ArticleFactory()
    with django_assert_num_queries(2):
        api.get("/api/v1/companies/")
