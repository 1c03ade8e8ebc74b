"""`manage.py generate_fake`: the benchmark's data has the shape it promises, and is repeatable."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from articles.filters import search_articles
from articles.models import Article, Status
from bench.fake import NAMES
from comments.models import MAX_DEPTH, Comment

pytestmark = pytest.mark.django_db

SIZE = {"articles": 600, "comments": 3000, "companies": 20, "tags": 40}


def generate(**options) -> None:
    call_command("generate_fake", **SIZE, **options, verbosity=0, stdout=io.StringIO())


def snapshot() -> tuple[list, list]:
    articles = list(
        Article.objects.order_by("pk").values_list(
            "slug", "status", "published_at", "company__slug"
        )
    )
    comments = list(Comment.objects.order_by("pk").values_list("body", "depth", "status"))
    return articles, comments


def test_the_counts_and_the_mix_of_statuses():
    generate()
    assert Article.objects.count() == SIZE["articles"]
    assert Comment.objects.count() == SIZE["comments"]
    now = timezone.now()
    drafts = Article.objects.filter(status=Status.DRAFT).count()
    scheduled = Article.objects.scheduled(now).count()
    assert 0 < drafts < SIZE["articles"] * 0.1
    assert 0 < scheduled < SIZE["articles"] * 0.05
    # Comments go to public articles only.
    assert not Comment.objects.exclude(article__status=Status.PUBLISHED).exists()
    assert not Comment.objects.filter(article__published_at__gt=now).exists()


def test_a_few_companies_write_most_articles_and_a_few_articles_get_most_comments():
    generate()
    per_company = sorted(
        Counter(Article.objects.values_list("company_id", flat=True)).values(), reverse=True
    )
    assert per_company[0] > 5 * per_company[len(per_company) // 2]
    per_article = sorted(
        Counter(Comment.objects.values_list("article_id", flat=True)).values(), reverse=True
    )
    assert sum(per_article[:5]) >= SIZE["comments"] // 2  # the heavy threads


def test_threads_are_consistent():
    generate()
    comments = {c.pk: c for c in Comment.objects.all()}
    replies = [c for c in comments.values() if c.parent_id]
    assert len(replies) > SIZE["comments"] * 0.2
    assert max(c.depth for c in comments.values()) <= MAX_DEPTH
    for reply in replies:
        parent = comments[reply.parent_id]
        assert reply.article_id == parent.article_id
        assert reply.depth == parent.depth + 1
        assert reply.thread == parent.thread
        assert reply.path.startswith(parent.path)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate()
    first = snapshot()
    generate(clear=True)
    assert snapshot() == first
    generate(clear=True, seed=7)
    assert snapshot() != first


def test_it_refuses_to_add_to_existing_articles():
    generate()
    with pytest.raises(CommandError, match="--clear"):
        generate()


def test_product_names_have_a_long_tail():
    generate()
    published = Article.objects.published()
    common = search_articles(published, NAMES[0]).count()
    rarer = search_articles(published, NAMES[49]).count()
    assert common > 3 * max(rarer, 1)
    assert common < published.count() / 4
    if connection.vendor == "postgresql":  # the stored search vectors are filled
        assert not Article.objects.filter(search_vector__isnull=True).exists()
