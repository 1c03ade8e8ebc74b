"""`Last-Modified` on the detail and the page (botbeat.conditional): when this process first
saw what the answer shows, once that second is over; `If-Modified-Since` decided by it after
`If-None-Match` (RFC 9110 13.2.2), at the origin and by the response cache alike."""

import pytest
from django.utils.http import http_date, parse_http_date
from rest_framework.test import APIClient

from botbeat import cache as response_cache
from botbeat.conditional import CHANGES, RENDERED, last_modified
from comments.models import Comment
from comments.services import comment_hide
from tests.factories import ArticleFactory, ModeratorFactory, TagFactory, ThreadedCommentFactory

pytestmark = pytest.mark.django_db

START = 1_800_000_000.25  # a moment a quarter into its second


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    RENDERED.clear()
    CHANGES.clear()
    clock = Clock()
    monkeypatch.setattr("botbeat.conditional.clock", clock)
    return clock


@pytest.fixture
def article():
    article = ArticleFactory(tags=[TagFactory()])
    ThreadedCommentFactory(article=article)
    return article


def paths(article) -> list[str]:
    return [f"/api/v1/articles/{article.slug}/", f"/api/v1/articles/{article.slug}/page/"]


def get(path: str, **headers):
    return APIClient().get(path, **{f"HTTP_{k.upper()}": v for k, v in headers.items()})


def test_the_date_is_the_second_first_seen_once_it_is_over():
    assert last_modified(START, START) is None
    assert last_modified(START, START + 0.74) is None
    assert last_modified(START, START + 0.75) == int(START)
    assert last_modified(float(int(START)), START) is None


@pytest.mark.parametrize("index", [0, 1], ids=["detail", "page"])
def test_dated_once_its_second_is_over_and_the_date_stays(article, clock, index):
    path = paths(article)[index]
    first = get(path)
    clock.now += 1
    later = get(path)
    clock.now += 3600
    much_later = get(path)

    assert "Last-Modified" not in first  # a change later in this second would share its date
    assert later["Last-Modified"] == much_later["Last-Modified"] == http_date(int(START))
    assert parse_http_date(later["Last-Modified"]) <= clock.now


@pytest.mark.parametrize("index", [0, 1], ids=["detail", "page"])
def test_if_modified_since_answers_304_and_the_etag_decides_first(article, clock, index):
    path = paths(article)[index]
    get(path)
    clock.now += 1
    answer = get(path)
    date, etag = answer["Last-Modified"], answer["ETag"]
    earlier = http_date(int(START) - 1)

    not_modified = get(path, if_modified_since=date)
    modified = get(path, if_modified_since=earlier)
    other_etag = get(path, if_none_match='"other"', if_modified_since=date)
    same_etag = get(path, if_none_match=etag, if_modified_since=earlier)

    assert not_modified.status_code == 304
    assert not_modified["Last-Modified"] == date and not_modified["ETag"] == etag
    assert modified.status_code == 200 and modified.content == answer.content
    assert other_etag.status_code == 200  # If-None-Match decides alone
    assert same_etag.status_code == 304


@pytest.mark.parametrize("index", [0, 1], ids=["detail", "page"])
def test_a_change_no_database_time_records_moves_the_date(article, clock, index):
    """Hiding a comment changes the comment count (and the page's thread) and moves no
    updated_at: the date moves all the same."""
    path = paths(article)[index]
    get(path)
    clock.now += 1
    date = get(path)["Last-Modified"]
    comment_hide(comment=Comment.objects.get(article=article), moderator=ModeratorFactory())

    clock.now += 5
    changed = get(path, if_modified_since=date)
    first_seen = START + 1 + 5
    clock.now += 1
    dated = get(path, if_modified_since=date)

    assert changed.status_code == 200 and "Last-Modified" not in changed
    assert dated.status_code == 200
    assert dated["Last-Modified"] == http_date(int(first_seen))
    assert get(path, if_modified_since=dated["Last-Modified"]).status_code == 304


def test_a_change_back_still_moves_the_date(article, clock):
    path = paths(article)[0]
    dates = []
    for title in ("First", "Second", "First"):
        article.title = title
        article.save()
        get(path)
        clock.now += 1
        dates.append(get(path)["Last-Modified"])
        clock.now += 1

    assert len(set(dates)) == 3
    assert get(path, if_modified_since=dates[1]).status_code == 200


def test_other_paths_carry_no_date(article, clock):
    for path in ("/api/v1/articles/", f"/api/v1/articles/{article.slug}/comments/"):
        get(path)
        clock.now += 1
        assert "Last-Modified" not in get(path), path


def test_head_carries_the_same_date(article, clock):
    path = paths(article)[0]
    get(path)
    clock.now += 1

    assert APIClient().head(path)["Last-Modified"] == get(path)["Last-Modified"]


def test_the_schema_documents_the_date_and_the_condition():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/articles/{slug}/", "/api/v1/articles/{slug}/page/"):
        operation = schema["paths"][path]["get"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert {"If-None-Match", "If-Modified-Since"} <= headers, path
        assert "Last-Modified" in operation["responses"]["200"]["headers"], path
        assert "Last-Modified" in operation["responses"]["304"]["headers"], path
    feed = schema["paths"]["/api/v1/articles/"]["get"]
    assert "Last-Modified" not in feed["responses"]["200"]["headers"]


# From the response cache: the same dates, the same decisions, no query.


@pytest.fixture
def cached(settings, empty_cache):
    settings.RESPONSE_CACHE = True
    response_cache._redis_store = None


@pytest.mark.parametrize("index", [0, 1], ids=["detail", "page"])
def test_the_response_cache_dates_its_replays(
    article, clock, cached, index, django_assert_num_queries
):
    path = paths(article)[index]
    first = get(path)  # computed and stored in its first second: no date yet
    clock.now += 1

    with django_assert_num_queries(0):
        hit = get(path)
        not_modified = get(path, if_modified_since=hit["Last-Modified"])
        modified = get(path, if_modified_since=http_date(int(START) - 1))
        etag_first = get(path, if_none_match='"other"', if_modified_since=hit["Last-Modified"])

    assert "Last-Modified" not in first
    assert hit.content == first.content
    assert hit["Last-Modified"] == http_date(int(START))
    assert not_modified.status_code == 304
    assert not_modified["Last-Modified"] == hit["Last-Modified"]
    assert not_modified["ETag"] == first["ETag"]
    assert modified.status_code == 200
    assert etag_first.status_code == 200


def test_an_entry_stored_before_dates_is_replayed_without_one(article, cached):
    """Entries written by the previous version (three items) outlive a deploy."""
    entry = (1, b"{}", {"ETag": '"x"', "Content-Type": "application/json"})

    replayed = response_cache.ResponseCacheMiddleware.replay(
        type("Request", (), {"META": {}})(), entry, float("inf")
    )

    assert replayed.status_code == 200 and "Last-Modified" not in replayed
