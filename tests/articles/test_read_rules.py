"""The read rules that have names (STYLE.md: reusable read rules live on a QuerySet):
scheduled(), newest_first() and count_of(), the counted subquery."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article, ArticleTag, Status, Tag
from botbeat.counts import count_of
from companies.models import Company
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def slugs(queryset) -> set[str]:
    return set(queryset.values_list("slug", flat=True))


def test_scheduled_is_published_for_later_and_published_its_complement():
    # Given a draft and a published article on each side of now, and one published at now.
    ArticleFactory(slug="draft-past", status=Status.DRAFT, published_at=NOW - HOUR)
    ArticleFactory(slug="draft-future", status=Status.DRAFT, published_at=NOW + HOUR)
    ArticleFactory(slug="public", published_at=NOW - HOUR)
    ArticleFactory(slug="public-now", published_at=NOW)
    ArticleFactory(slug="later", published_at=NOW + HOUR)

    # Then scheduled() is the future published one, and it and published() split the rest.
    assert slugs(Article.objects.scheduled(NOW)) == {"later"}
    assert slugs(Article.objects.published(NOW)) == {"public", "public-now"}
    assert slugs(Article.objects.scheduled(NOW + 2 * HOUR)) == set()


def test_newest_first_breaks_ties_by_id():
    older = ArticleFactory(published_at=NOW - HOUR)
    first, second = ArticleFactory(published_at=NOW), ArticleFactory(published_at=NOW)

    newest = list(Article.objects.newest_first().values_list("pk", flat=True))

    assert newest == [max(first.pk, second.pk), min(first.pk, second.pk), older.pk]


def test_count_of_counts_each_rows_own_and_zero_for_none():
    # Given companies with 0, 1 and 3 articles, one of them scheduled.
    now = timezone.now()
    empty, one, three = CompanyFactory(), CompanyFactory(), CompanyFactory()
    ArticleFactory(company=one)
    ArticleFactory.create_batch(2, company=three)
    ArticleFactory(company=three, published_at=now + HOUR)
    tag = TagFactory()
    Article.objects.get(company=one).tags.add(tag)

    # When counted per company, all of their articles and the scheduled ones.
    counted = Company.objects.annotate(
        total=count_of(Article.objects.all(), per="company"),
        later=count_of(Article.objects.scheduled(now), per="company"),
    )

    # Then each company gets its own counts, 0 (not null) where it has none.
    assert {c.pk: (c.total, c.later) for c in counted} == {
        empty.pk: (0, 0),
        one.pk: (1, 0),
        three.pk: (3, 1),
    }
    links = Tag.objects.annotate(n=count_of(ArticleTag.objects.all(), per="tag"))
    assert links.get(pk=tag.pk).n == 1
