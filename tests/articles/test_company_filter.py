"""The feed's `company` filter: a join on the slug, and the 400 of a company the caller may not
see checked only when nothing else settles it (articles.filters.CompanyFilter)."""

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from articles.models import Status
from tests.factories import ArticleFactory, CompanyFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


def unknown(slug: str) -> dict:
    """The refusal of a company the caller may not see: it names the value, as the tag
    filters' refusals do."""
    return {
        "field": "company",
        "code": "invalid_choice",
        "message": f'company "{slug}" is not a published company',
    }


def past_the_end_cursor() -> str:
    key = {"o": "-published_at", "k": ["2000-01-01T00:00:00+00:00", 1], "r": False}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_a_company_s_feed_costs_no_lookup(api, django_assert_num_queries):
    openai = CompanyFactory(slug="openai")
    mine = [ArticleFactory(company=openai) for _ in range(3)]
    ArticleFactory()

    with django_assert_num_queries(2):  # the page, its tags
        response = api.get(FEED, {"company": "openai"})

    assert sorted(item["slug"] for item in response.json()["results"]) == sorted(
        a.slug for a in mine
    )


@pytest.mark.parametrize("params", [{}, {"cursor": past_the_end_cursor()}])
def test_an_unknown_company_is_a_400(api, params):
    ArticleFactory()

    response = api.get(FEED, {"company": "no-such-company", **params})

    assert response.status_code == 400
    assert response.json()["errors"] == [unknown("no-such-company")]
    assert 'company "no-such-company" is not a published company' in response.json()["detail"]


def test_a_company_with_drafts_only_is_unknown_to_the_public_not_to_staff(api, staff_api):
    ArticleFactory(company=CompanyFactory(slug="secret"), status=Status.DRAFT)

    assert api.get(FEED, {"company": "secret"}).json()["errors"] == [unknown("secret")]
    staff = staff_api.get(FEED, {"company": "secret"})
    assert staff.status_code == 200 and len(staff.json()["results"]) == 1


def test_a_known_company_past_its_last_page_is_an_empty_page(api):
    ArticleFactory(company=CompanyFactory(slug="openai"))

    response = api.get(FEED, {"company": "openai", "cursor": past_the_end_cursor()})

    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"category": "gossip"}, ["company", "category"]),
        (
            {"published_after": "x", "category": "gossip"},
            ["company", "category", "published_after"],
        ),
        ({"ordering": "relevance"}, ["company"]),  # as before: needs_q only once all is valid
    ],
)
def test_an_unknown_company_is_reported_with_the_other_refusals_in_order(api, params, fields):
    ArticleFactory(published_at=timezone.now() - dt.timedelta(hours=1))

    response = api.get(FEED, {"company": "no-such-company", **params})

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == fields
