"""The article serializers' hand-written output is exactly what DRF makes of their fields.

ArticleListSerializer and its subclasses write their representation out for speed; the fields
they declare are what the OpenAPI schema documents. DRF's generic path, run on the same
serializer, reads those declared fields: the two must agree, key for key and in order.
"""

import datetime as dt

import pytest
from rest_framework import serializers

from articles.models import Article, Category
from articles.selectors import article_suggested
from articles.serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    SuggestedArticleSerializer,
)
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db


def generic(serializer_class, instance) -> dict:
    """DRF's own field-by-field representation, through the serializer's declared fields."""
    return serializers.Serializer.to_representation(serializer_class(), instance)


@pytest.fixture
def articles():
    with_logo = CompanyFactory(logo_url="https://cdn.example/logo.png")
    ai, chips, zeta = TagFactory(name="AI"), TagFactory(name="Chips"), TagFactory(name="Zeta")
    rich = ArticleFactory(
        company=with_logo,
        tags=[zeta, ai, chips],
        takeaways=["First takeaway", "Second takeaway"],
        authors=["Ada", "Grace"],
        summary="A summary. " * 60,  # longer than an excerpt: cut between words
        published_at=dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC),
    )
    bare = ArticleFactory(
        category=Category.FUNDING, source_name="", source_url="", comments_open=False
    )
    source_without_url = ArticleFactory(tags=[ai], source_url="")
    related = ArticleFactory(tags=[ai, chips], category=rich.category)
    return rich, bare, source_without_url, related


def test_list_items_match_drf(articles):
    items = list(Article.objects.published().for_list().order_by("id"))
    assert len(items) == 4
    for item in items:
        fast = ArticleListSerializer(item).data
        assert list(fast.items()) == list(generic(ArticleListSerializer, item).items())


def test_details_match_drf(articles):
    for article in articles:
        item = Article.objects.for_detail().get(pk=article.pk)
        fast = ArticleDetailSerializer(item).data
        assert list(fast.items()) == list(generic(ArticleDetailSerializer, item).items())
    rich = ArticleDetailSerializer(Article.objects.for_detail().get(pk=articles[0].pk)).data
    assert [tag["name"] for tag in rich["tags"]] == ["AI", "Chips", "Zeta"]
    assert rich["published_at"] == "2026-03-01T12:30:15.123456Z"
    assert rich["company"]["logo_url"] == "https://cdn.example/logo.png"


def test_suggested_items_match_drf(articles):
    rich = articles[0]
    suggested = article_suggested(article=rich, limit=3)
    assert suggested[0].pk == articles[3].pk
    assert [tag.name for tag in suggested[0].reason["shared_tags"]] == ["AI", "Chips"]
    for item in suggested:
        fast = SuggestedArticleSerializer(item).data
        assert list(fast.items()) == list(generic(SuggestedArticleSerializer, item).items())


def test_an_article_loaded_without_prefetch_still_renders(articles):
    """A queryset without for_list()/for_detail() costs queries, not correctness."""
    item = Article.objects.get(pk=articles[0].pk)
    item.comment_count = 0
    data = ArticleDetailSerializer(item).data
    assert [tag["name"] for tag in data["tags"]] == ["AI", "Chips", "Zeta"]
    assert data["takeaways"] == ["First takeaway", "Second takeaway"]
