"""The published counts of tags and companies: exact after any sequence of writes, cheap to read.

`Tag.published_count` and `Company.published_count` count links to articles of status
published (scheduled ones included), recounted by every write path; the public `article_count`
subtracts the scheduled ones when read.
"""

import datetime as dt
import importlib
import io
import itertools
import threading

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Max
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article, ArticleTag, Status, Tag, published_q
from articles.services import (
    article_publish,
    article_tags_set,
    article_unpublish,
    article_upsert,
    tag_merge,
)
from companies.models import Company
from companies.services import company_merge
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def assert_counts_exact() -> None:
    """Every tag's and company's stored count, public count and latest publication time, as a
    count from scratch gives them."""
    for tag in Tag.objects.with_article_count():
        links = ArticleTag.objects.filter(tag=tag)
        assert tag.published_count == links.filter(article__status=Status.PUBLISHED).count()
        assert tag.article_count == links.filter(published_q("article__")).count()
    for company in Company.objects.with_article_stats():
        articles = Article.objects.filter(company=company)
        assert company.published_count == articles.filter(status=Status.PUBLISHED).count()
        public = articles.filter(published_q())
        assert company.article_count == public.count()
        assert company.latest_published_at == public.aggregate(m=Max("published_at"))["m"]


# Random sequences of the write paths

ARTICLE = st.integers(0, 5)  # which article (an index into the articles written so far)
TAGS = st.sets(st.integers(0, 4), max_size=4)  # which tags of the pool
WHEN = st.sampled_from([None, -HOUR, HOUR])  # now, an hour ago, in an hour (scheduled)
OPERATIONS = st.one_of(
    st.tuples(
        st.just("import"),
        ARTICLE,
        st.integers(0, 2),  # the company
        TAGS,
        st.sampled_from(Status.values),
        WHEN,
    ),
    st.tuples(st.just("publish"), ARTICLE, WHEN),
    st.tuples(st.just("unpublish"), ARTICLE),
    st.tuples(st.just("tags"), ARTICLE, TAGS),
    st.tuples(st.just("merge tags"), st.integers(0, 4), st.integers(0, 4)),
    st.tuples(st.just("merge companies"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("admin delete"), ARTICLE),
    st.tuples(st.just("admin delete selected"), st.sets(ARTICLE, min_size=1)),
    st.tuples(st.just("admin save tag"), st.integers(0, 4)),
)
runs = itertools.count()


def at(offset):
    return None if offset is None else timezone.now() + offset


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
def test_counts_stay_exact_whatever_the_writes(db, operations):
    run = next(runs)
    tag_slugs = [f"t{run}-{i}" for i in range(5)]
    company_slugs = [f"c{run}-{i}" for i in range(3)]
    article_slugs = [f"a{run}-{i}" for i in range(6)]
    article_admin = admin.site._registry[Article]
    tag_admin = admin.site._registry[Tag]

    def article(index):
        return Article.objects.filter(slug=article_slugs[index]).first()

    def tag(index):
        return Tag.objects.filter(slug=tag_slugs[index]).first()

    for operation in operations:
        match operation:
            case ("import", index, company, tags, status, when):
                article_upsert(
                    data={
                        "slug": article_slugs[index],
                        "title": f"Article {index}",
                        "company": {"slug": company_slugs[company], "name": f"C{company}"},
                        "category": "research",
                        "status": status,
                        "published_at": at(when),
                        "tags": [{"slug": tag_slugs[t], "name": f"T{t}"} for t in sorted(tags)],
                    }
                )
            case ("publish", index, when) if article(index):
                article_publish(by=None, article=article(index), at=at(when))
            case ("unpublish", index) if article(index):
                article_unpublish(by=None, article=article(index))
            case ("tags", index, tags) if article(index):
                chosen = [tag(t) for t in sorted(tags) if tag(t)]
                article_tags_set(article=article(index), tags=chosen)
            case ("merge tags", source, target) if tag(source) and tag(target) and source != target:
                tag_merge(by=None, source=tag(source), target=tag(target))
            case ("merge companies", source, target) if source != target:
                found = [
                    Company.objects.filter(slug=company_slugs[i]).first() for i in (source, target)
                ]
                if all(found):
                    company_merge(by=None, source=found[0], target=found[1])
            case ("admin delete", index) if article(index):
                article_admin.delete_model(None, article(index))
            case ("admin delete selected", indexes):
                chosen = Article.objects.filter(slug__in=[article_slugs[i] for i in indexes])
                article_admin.delete_queryset(None, chosen)
            case ("admin save tag", index) if tag(index):
                # A stale copy saved whole, as the admin's form does: the count it carries is
                # older than a publication that committed meanwhile.
                stale = tag(index)
                Tag.objects.filter(pk=stale.pk).update(published_count=stale.published_count + 7)
                stale.name = "Renamed"
                tag_admin.save_model(None, stale, None, True)

    assert_counts_exact()


# The other write paths


def test_the_admin_form_keeps_the_counts_when_company_tags_and_status_change(db):
    from tests.admin.conftest import client_for
    from tests.admin.test_articles import change_url, form_data
    from tests.factories import StaffFactory

    chief = client_for(StaffFactory(username="chief", is_superuser=True))
    kept, dropped, added = TagFactory(), TagFactory(), TagFactory()
    old, new = CompanyFactory(), CompanyFactory()
    article = ArticleFactory(company=old, tags=[kept, dropped], status=Status.DRAFT)
    assert_counts_exact()

    data = form_data(
        article=article,
        company=new,
        title=article.title,
        slug=article.slug,
        status="published",
        tags=[kept, added],
    )
    response = chief.post(change_url(article), data)

    assert response.status_code == 302
    assert Company.objects.get(pk=new.pk).published_count == 1
    assert Tag.objects.get(pk=added.pk).published_count == 1
    assert Tag.objects.get(pk=dropped.pk).published_count == 0
    assert_counts_exact()

    # Moved back to the old company and unpublished in one save.
    data = form_data(
        article=article, company=old, title=article.title, slug=article.slug, status="draft"
    )
    assert chief.post(change_url(article), data).status_code == 302
    assert Company.objects.get(pk=old.pk).published_count == 0
    assert_counts_exact()


def test_the_admin_bulk_actions_keep_the_counts(db):
    from tests.admin.conftest import client_for
    from tests.factories import StaffFactory

    chief = client_for(StaffFactory(username="chief", is_superuser=True))
    tag = TagFactory()
    articles = ArticleFactory.create_batch(3, tags=[tag], status=Status.DRAFT)
    selected = {"_selected_action": [a.pk for a in articles]}

    chief.post("/admin/articles/article/", {"action": "publish_now", **selected})
    assert Tag.objects.get(pk=tag.pk).published_count == 3
    chief.post("/admin/articles/article/", {"action": "unpublish", **selected})
    assert Tag.objects.get(pk=tag.pk).published_count == 0
    chief.post("/admin/articles/article/", {"action": "publish_now", **selected})
    chief.post("/admin/articles/article/", {"action": "delete_selected", "post": "yes", **selected})
    assert Tag.objects.get(pk=tag.pk).published_count == 0
    assert_counts_exact()


def test_generate_fake_counts_everything():
    call_command(
        "generate_fake",
        articles=300,
        comments=0,
        companies=10,
        tags=20,
        verbosity=0,
        stdout=io.StringIO(),
    )

    assert Tag.objects.filter(published_count__gt=0).exists()
    assert_counts_exact()


@pytest.mark.parametrize(
    ("model", "migration", "fill"),
    [
        (Tag, "articles.migrations.0004_published_counts", "fill_tag_counts"),
        (Company, "companies.migrations.0002_published_counts", "fill_company_counts"),
    ],
)
def test_the_migration_fills_the_counts_of_existing_rows(model, migration, fill):
    ArticleFactory.create_batch(2, tags=[TagFactory(), TagFactory()])
    ArticleFactory(tags=[TagFactory()], status=Status.DRAFT)
    expected = dict(model.objects.values_list("pk", "published_count"))
    model.objects.update(published_count=0)

    getattr(importlib.import_module(migration), fill)(apps, None)

    assert dict(model.objects.values_list("pk", "published_count")) == expected
    assert sorted(expected.values()) == ([0, 1, 1] if model is Company else [0, 2, 2])


def test_a_scheduled_article_counts_once_its_time_has_come(api):
    tag = TagFactory(slug="soon")
    company = CompanyFactory(slug="later")
    ArticleFactory(tags=[tag], company=company, published_at=timezone.now() + HOUR)
    assert api.get("/api/v1/tags/soon/").status_code == 404
    assert api.get("/api/v1/companies/later/").status_code == 404

    # Time passes (no write goes through the services): the stored counts knew it already.
    Article.objects.update(published_at=timezone.now() - HOUR)

    assert api.get("/api/v1/tags/soon/").json()["article_count"] == 1
    assert api.get("/api/v1/companies/later/").json()["article_count"] == 1


# Reads: a fixed number of queries whatever the page size


def some_scheduled_and_drafts(tags, companies):
    for tag, company in zip(tags, itertools.cycle(companies), strict=False):
        ArticleFactory(tags=[tag], company=company)
        ArticleFactory(tags=[tag], company=company, published_at=timezone.now() + HOUR)
        ArticleFactory(tags=[tag], company=company, status=Status.DRAFT)


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_tag_list_runs_three_queries_whatever_the_page_size(
    api, page_size, django_assert_num_queries
):
    some_scheduled_and_drafts(TagFactory.create_batch(30), CompanyFactory.create_batch(3))

    # The count, the page, the page's scheduled links.
    with django_assert_num_queries(3):
        body = api.get("/api/v1/tags/", {"page_size": page_size}).json()

    assert body["count"] == 30
    assert {tag["article_count"] for tag in body["results"]} == {1}


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_company_list_runs_two_queries_whatever_the_page_size(
    api, page_size, django_assert_num_queries
):
    some_scheduled_and_drafts(TagFactory.create_batch(30), CompanyFactory.create_batch(30))

    with django_assert_num_queries(2):  # the count, the page
        body = api.get("/api/v1/companies/", {"page_size": page_size}).json()

    assert body["count"] == 30
    assert {company["article_count"] for company in body["results"]} == {1}


# Concurrent writers (PostgreSQL: SQLite serialises writers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_tag_leave_it_exact():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    tags = TagFactory.create_batch(3)
    company = CompanyFactory()
    drafts = [ArticleFactory(tags=tags, company=company, status=Status.DRAFT) for _ in range(8)]
    start = threading.Barrier(len(drafts))
    errors = []

    def write(n, article):
        try:
            start.wait()
            # Publish, retag, unpublish and publish again: each a transaction of its own.
            article_publish(by=None, article=article)
            article_tags_set(article=article, tags=tags[n % 3 :])
            if n % 2:
                article_unpublish(by=None, article=article)
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=write, args=item) for item in enumerate(drafts)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    assert Company.objects.get(pk=company.pk).published_count == 4
    assert_counts_exact()


@pytest.mark.django_db
def test_saving_a_stale_tag_or_company_leaves_their_stored_counts_alone():
    """A rename (the admin's form, any save of the whole row) of an instance loaded before an
    article was published must not write its old count back."""
    stale_tag, stale_company = TagFactory(), CompanyFactory()
    ArticleFactory(tags=[stale_tag], company=stale_company)  # recounts both: 1 each
    assert stale_tag.published_count == stale_company.published_count == 0  # loaded before

    stale_tag.name, stale_company.name = "Renamed tag", "Renamed company"
    stale_tag.save()
    stale_company.save()

    assert Tag.objects.values_list("name", "published_count").get(pk=stale_tag.pk) == (
        "Renamed tag",
        1,
    )
    assert Company.objects.values_list("name", "published_count").get(pk=stale_company.pk) == (
        "Renamed company",
        1,
    )
