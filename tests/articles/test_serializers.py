"""The article serializers' hand-written output is exactly what DRF makes of their fields.

ArticleListSerializer and its subclasses write their representation out for speed, and the
views write the same from plain rows (articles.serializers.list_item and the others); the
fields the serializers declare are what the OpenAPI schema documents. DRF's generic path, run
on the same serializer, reads those declared fields: all must agree, key for key and in order.
"""

import datetime as dt

import pytest
from rest_framework import serializers

from articles.models import Article, Category, Tag, takeaways_of, with_tags
from articles.selectors import article_suggested
from articles.serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    SuggestedArticleSerializer,
    detail_item,
    list_item,
    suggested_item,
)
from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, CompanyFactory, TagFactory

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
    CommentFactory.create_batch(2, article=rich)
    CommentFactory(article=rich, status=Comment.Status.HIDDEN)
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
    assert [tag["name"] for tag in rich["tags"]] == ["Zeta", "AI", "Chips"]  # the editors' order
    assert rich["published_at"] == "2026-03-01T12:30:15.123456Z"
    assert rich["company"]["logo_url"] == "https://cdn.example/logo.png"
    assert rich["comment_count"] == 2  # the visible ones


def test_list_items_from_rows_match_drf(articles):
    """What the views write, from rows and no instance, is what DRF makes of an instance."""
    rows = with_tags(list(Article.objects.published().list_rows().order_by("id")))
    items = Article.objects.published().for_list().order_by("id")
    assert len(rows) == 4
    for row, item in zip(rows, items, strict=True):
        assert list(list_item(row).items()) == list(generic(ArticleListSerializer, item).items())


def test_details_from_rows_match_drf(articles):
    for article in articles:
        row = with_tags([Article.objects.detail_rows().get(pk=article.pk)])[0]
        row["takeaways"] = takeaways_of(row)
        item = Article.objects.for_detail().get(pk=article.pk)
        expected = generic(ArticleDetailSerializer, item)
        assert list(detail_item(row).items()) == list(expected.items())


def test_suggested_items_match_drf(articles):
    rich = articles[0]
    suggested = article_suggested(article=rich, limit=3)
    assert suggested[0]["id"] == articles[3].pk
    assert [name for _, _, name in suggested[0]["reason"]["shared_tags"]] == ["AI", "Chips"]
    for row in suggested:
        item = Article.objects.for_list().get(pk=row["id"])
        item.reason = {
            "shared_tags": [Tag.objects.get(pk=pk) for pk, _, _ in row["reason"]["shared_tags"]],
            "same_category": row["reason"]["same_category"],
        }
        expected = list(generic(SuggestedArticleSerializer, item).items())
        assert list(suggested_item(row).items()) == expected
        assert list(SuggestedArticleSerializer(item).data.items()) == expected


def test_an_article_loaded_without_prefetch_still_renders(articles):
    """A queryset without for_list()/for_detail() costs queries, not correctness."""
    item = Article.objects.get(pk=articles[0].pk)
    item.comment_count = 0
    data = ArticleDetailSerializer(item).data
    assert [tag["name"] for tag in data["tags"]] == ["Zeta", "AI", "Chips"]
    assert data["takeaways"] == ["First takeaway", "Second takeaway"]
