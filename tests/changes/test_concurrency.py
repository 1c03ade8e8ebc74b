"""The outbox under concurrent writers (PostgreSQL: SQLite writes one transaction at a time).

Writers publish and unpublish articles that share a company and a tag, and comment, all at once,
while a reader follows the feed: the feed's lock (changes.outbox._lock_feed) makes each writer
decide from what the one before it committed, and gives ids in commit order. So the reader,
following as the writes land, sees every change exactly once and in order, and ends with
exactly the public collection: the tag and the company appear and go with their articles however
the writers interleave."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from articles.models import Status
from articles.services import article_publish, article_unpublish
from changes import outbox
from changes.models import Change
from comments.services import comment_create
from tests.changes.mirror import Mirror, public_collection
from tests.factories import ArticleFactory, CompanyFactory, TagFactory, UserFactory

WRITERS = 4
CYCLES = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_give_a_feed_that_misses_nothing(api, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    # Each write's transaction lasts a little after its outbox call, as a real one does (the
    # rest of the service, the commit): without the lock, another writer's changes would then
    # commit before this one's, under higher ids, and decide from a state without this one's.
    recorded = outbox._touched

    def slow(**kwargs):
        changes = recorded(**kwargs)
        time.sleep(0.05)
        return changes

    monkeypatch.setattr(outbox, "_touched", slow)
    company, tag = CompanyFactory(), TagFactory()
    articles = [
        ArticleFactory(status=Status.DRAFT, company=company, tags=[tag]) for _ in range(WRITERS)
    ]
    readers = [UserFactory() for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    errors: list[BaseException] = []
    mirror = Mirror(api, page_size=5)

    def write(n: int) -> None:
        try:
            start.wait()
            article = articles[n]
            for cycle in range(CYCLES):
                article = article_publish(article=article, by=None)
                comment_create(article=article, author=readers[n], body=f"{n} {cycle}")
                if cycle < CYCLES - 1 or n % 2:  # half of them end unpublished
                    article = article_unpublish(article=article, by=None)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def follow() -> None:
        try:
            start.wait()
            while not done.is_set():
                mirror.sync()  # asserts the ids only grow
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    follower = threading.Thread(target=follow)
    for thread in [*writers, follower]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    follower.join()
    assert not errors, errors

    mirror.sync()
    # Every change once, in order, though most were read while others were being written.
    assert mirror.seen == list(Change.objects.order_by("id").values_list("id", flat=True))
    assert mirror.store == public_collection(api)
    assert ("tag", tag.slug) in mirror.store  # half the articles ended public
    assert ("company", company.slug) in mirror.store


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_the_one_before_so_that_no_reader_skips_its_changes(api):
    """One writer's transaction stays open after its outbox call; another writes meanwhile.
    Were the second to commit first, its changes would carry higher ids than the first's, and
    a reader meanwhile would go past the first's for good."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    first = article_publish(article=ArticleFactory(status=Status.DRAFT), by=None)
    second = ArticleFactory(status=Status.DRAFT)
    mirror = Mirror(api, page_size=5)
    mirror.sync()
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                comment_create(article=first, author=UserFactory(), body="Slowly.")
                written.set()
                release.wait(10)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def other_writer() -> None:
        try:
            article_publish(article=second, by=None)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert written.wait(10)
    other = threading.Thread(target=other_writer)
    other.start()
    try:
        other.join(0.5)
        waited = other.is_alive()  # for the feed's lock
        mirror.sync()  # what has committed meanwhile
    finally:
        release.set()
        slow.join()
        other.join()
    assert waited
    assert not errors, errors
    mirror.sync()
    assert mirror.seen == list(Change.objects.order_by("id").values_list("id", flat=True))
    assert mirror.store == public_collection(api)
