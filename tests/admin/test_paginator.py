import pytest
from django.db import connection

from articles.models import Article, Status
from botbeat.admin import EstimatedCountPaginator
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(monkeypatch):
    """Counts are exact up to 3 rows (1,000 in production)."""
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_UP_TO", 3)


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere counts are exact")


def test_counts_are_exact_below_the_limit(small_limit, django_assert_max_num_queries):
    ArticleFactory.create_batch(2)

    paginator = EstimatedCountPaginator(Article.objects.filter(status=Status.PUBLISHED), 1)

    assert paginator.count == 2
    assert not paginator.is_estimate


def test_counts_are_exact_on_sqlite(small_limit):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite")
    ArticleFactory.create_batch(5)

    paginator = EstimatedCountPaginator(Article.objects.all(), 2)

    assert (paginator.count, paginator.is_estimate, paginator.num_pages) == (5, False, 3)


@pytest.mark.postgres
def test_an_unfiltered_big_table_takes_the_row_estimate(small_limit, django_assert_num_queries):
    needs_postgres()
    ArticleFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")

    with django_assert_num_queries(1):  # pg_class, no COUNT
        paginator = EstimatedCountPaginator(Article.objects.all(), 2)
        count = paginator.count

    assert (count, paginator.is_estimate) == (5, True)


@pytest.mark.postgres
def test_a_filtered_big_list_counts_up_to_the_limit_then_estimates(small_limit):
    needs_postgres()
    ArticleFactory.create_batch(5)

    paginator = EstimatedCountPaginator(Article.objects.filter(status=Status.PUBLISHED), 2)

    assert paginator.is_estimate is False  # not counted yet
    assert paginator.count >= 4  # at least the bounded count: never less than the truth seen
    assert paginator.is_estimate
    assert paginator.page(2).object_list  # pages beyond the exact limit open


@pytest.mark.postgres
def test_an_unanalyzed_table_is_counted(small_limit, monkeypatch):
    needs_postgres()
    ArticleFactory.create_batch(2)
    # pg_class.reltuples is -1 until the first ANALYZE.
    monkeypatch.setattr(EstimatedCountPaginator, "_table_estimate", staticmethod(lambda qs: -1))

    paginator = EstimatedCountPaginator(Article.objects.all(), 1)

    assert (paginator.count, paginator.is_estimate) == (2, False)
