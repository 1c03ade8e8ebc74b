"""The server-side response cache: fast when nothing changed, never stale after a write, and a
write purges only the answers that show what it touched.

Every test runs twice: on the local memory cache (one process, CacheStore) and on the Redis
here (RedisStore, whose store and purge are Lua scripts), as production runs it."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status
from articles.services import article_tags_set, article_unpublish
from comments.services import comment_hide
from tests.factories import (
    ArticleFactory,
    CommentFactory,
    CompanyFactory,
    EditorFactory,
    ModeratorFactory,
    StaffFactory,
    TagFactory,
)
from tests.response_caches import response_cache_on

# on_commit callbacks (the invalidation) run only outside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

FEED = "/api/v1/articles/"


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def response_cache(request, settings):
    with response_cache_on(settings, request.param):
        yield request.param


def feed_slugs(api, **params) -> list[str]:
    response = api.get(FEED, params)
    assert response.status_code == 200
    return [item["slug"] for item in response.json()["results"]]


def test_a_repeated_anonymous_get_is_served_without_the_database(api, django_assert_num_queries):
    ArticleFactory()
    first = api.get(FEED)

    with django_assert_num_queries(0):
        again = api.get(FEED)

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_a_conditional_get_is_answered_from_the_cache(api, django_assert_num_queries):
    article = ArticleFactory()
    etag = api.get(f"{FEED}{article.slug}/")["ETag"]

    with django_assert_num_queries(0):
        response = api.get(f"{FEED}{article.slug}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_hit_is_one_cache_round_trip(api, monkeypatch, response_cache):
    import botbeat.cache

    if response_cache == "redis":
        pytest.skip("counts the calls of Django's cache API; RedisStore makes one MGET")

    class Recording:
        """The cache, recording the calls made to it (not those it makes to itself)."""

        def __init__(self, inner):
            self.inner, self.calls = inner, []

        def __getattr__(self, name):
            method = getattr(self.inner, name)

            def recorded(*args, **kwargs):
                self.calls.append(name)
                return method(*args, **kwargs)

            return recorded

    ArticleFactory()
    api.get(FEED)
    recording = Recording(botbeat.cache.cache)
    monkeypatch.setattr(botbeat.cache, "cache", recording)

    assert api.get(FEED).status_code == 200
    assert recording.calls == ["get_many"]


def test_a_write_while_an_answer_is_computed_leaves_that_answer_stale(api, monkeypatch):
    """The answer is stored with the version read before computing it: a publish that commits
    meanwhile must not let the next request see the answer computed without it."""
    from articles.views import ArticleViewSet

    ArticleFactory(slug="first")
    late = ArticleFactory(slug="late", status=Status.DRAFT)
    original_list = ArticleViewSet.list

    def list_then_publish(self, request, *args, **kwargs):
        response = original_list(self, request, *args, **kwargs)  # computed without `late`
        if late.status == Status.DRAFT:
            late.status = Status.PUBLISHED
            late.save()
        return response

    monkeypatch.setattr(ArticleViewSet, "list", list_then_publish)

    assert feed_slugs(api) == ["first"]
    assert sorted(feed_slugs(api)) == ["first", "late"]


def test_publishing_shows_at_once(api):
    draft = ArticleFactory(status=Status.DRAFT)
    assert feed_slugs(api) == []

    draft.status = Status.PUBLISHED
    draft.save()

    assert feed_slugs(api) == [draft.slug]
    assert api.get(f"{FEED}{draft.slug}/").status_code == 200


def test_unpublishing_hides_at_once_everywhere(api):
    company = CompanyFactory()
    tag = TagFactory()
    article = ArticleFactory(company=company, tags=[tag])
    sibling = ArticleFactory(company=company, published_at=timezone.now() - dt.timedelta(days=1))
    other = ArticleFactory(tags=[tag])
    more = f"{FEED}{sibling.slug}/more-from-company/"
    suggested = f"{FEED}{other.slug}/suggested/"
    assert article.slug in [i["slug"] for i in api.get(more).json()["results"]]
    assert article.slug in [i["slug"] for i in api.get(suggested).json()["results"]]
    assert api.get(f"/api/v1/tags/{tag.slug}/").json()["article_count"] == 2

    article_unpublish(by=None, article=article)  # the path that keeps the tag's count

    assert article.slug not in feed_slugs(api)
    assert api.get(f"{FEED}{article.slug}/").status_code == 404
    assert article.slug not in [i["slug"] for i in api.get(more).json()["results"]]
    assert article.slug not in [i["slug"] for i in api.get(suggested).json()["results"]]
    assert api.get(f"/api/v1/tags/{tag.slug}/").json()["article_count"] == 1


def test_an_edit_shows_at_once_in_other_articles_panels(api):
    company = CompanyFactory()
    article = ArticleFactory(company=company, title="Old title")
    sibling = ArticleFactory(company=company)
    more = f"{FEED}{sibling.slug}/more-from-company/"
    assert api.get(more).json()["results"][0]["title"] == "Old title"

    article.title = "New title"
    article.save()

    assert api.get(more).json()["results"][0]["title"] == "New title"
    assert api.get(f"{FEED}{article.slug}/").json()["title"] == "New title"


def test_a_tag_change_shows_at_once(api):
    article = ArticleFactory()
    tag = TagFactory(slug="robotics")
    assert api.get(FEED, {"tag": "robotics"}).status_code == 400  # no public article has it

    article_tags_set(article=article, tags=[tag])  # the path that keeps the tag's count

    assert feed_slugs(api, tag="robotics") == [article.slug]
    article_tags_set(article=article, tags=[])
    assert api.get(FEED, {"tag": "robotics"}).status_code == 400


def test_a_new_and_a_hidden_comment_change_the_counts_at_once(api):
    article = ArticleFactory()
    detail = f"{FEED}{article.slug}/"
    assert api.get(detail).json()["comment_count"] == 0

    comment = CommentFactory(article=article)

    assert api.get(detail).json()["comment_count"] == 1
    assert api.get(FEED).json()["results"][0]["comment_count"] == 1

    comment_hide(comment=comment, moderator=ModeratorFactory())

    assert api.get(detail).json()["comment_count"] == 0
    assert api.get(FEED).json()["results"][0]["comment_count"] == 0


def test_a_scheduled_article_appears_when_its_time_comes(api, monkeypatch):
    soon = timezone.now() + dt.timedelta(minutes=5)
    scheduled = ArticleFactory(published_at=soon)
    assert feed_slugs(api) == []

    later = soon + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert feed_slugs(api) == [scheduled.slug]


def test_requests_with_a_token_bypass_the_cache(api, bearer_api):
    draft = ArticleFactory(status=Status.DRAFT)
    assert feed_slugs(api) == []

    assert draft.slug in feed_slugs(bearer_api(EditorFactory()))


def test_a_session_cookie_bypasses_the_cache(client):
    ArticleFactory(status=Status.DRAFT)
    client.force_login(EditorFactory())

    response = client.get(FEED)

    assert len(response.json()["results"]) == 1
    assert "private" in response["Cache-Control"]


def test_the_cache_steps_aside_when_the_cache_backend_fails(api, monkeypatch):
    import botbeat.cache

    article = ArticleFactory()

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(botbeat.cache.CacheStore, "read", down)
    monkeypatch.setattr(botbeat.cache.RedisStore, "read", down)

    assert feed_slugs(api) == [article.slug]


# A write purges what it touched, and only that.


def test_a_comment_leaves_every_answer_that_does_not_show_its_article_cached(
    api, django_assert_num_queries
):
    """Given answers that show the article and answers that do not, when a comment is posted on
    it, then the first change at once and the others are still served without the database."""
    openai, intel = CompanyFactory(), CompanyFactory()
    tag = TagFactory()
    commented = ArticleFactory(company=openai, tags=[tag])
    yesterday = timezone.now() - dt.timedelta(days=1)
    other = ArticleFactory(company=intel, published_at=yesterday)
    sibling = ArticleFactory(company=intel, published_at=yesterday - dt.timedelta(hours=1))
    unrelated = [
        f"{FEED}{other.slug}/",
        f"{FEED}{other.slug}/comments/",
        f"{FEED}{sibling.slug}/more-from-company/",
        f"{FEED}?company={intel.slug}",
        "/api/v1/companies/",
        f"/api/v1/companies/{intel.slug}/",
        "/api/v1/tags/",
    ]
    showing = [f"{FEED}{commented.slug}/", FEED, f"{FEED}?tag={tag.slug}"]
    for url in unrelated + showing:
        assert api.get(url).status_code == 200, url

    CommentFactory(article=commented)

    with django_assert_num_queries(0):
        for url in unrelated:
            assert api.get(url).status_code == 200, url
    assert api.get(f"{FEED}{commented.slug}/").json()["comment_count"] == 1
    assert api.get(FEED).json()["results"][0]["comment_count"] == 1
    assert api.get(FEED, {"tag": tag.slug}).json()["results"][0]["comment_count"] == 1
    assert len(api.get(f"{FEED}{commented.slug}/comments/").json()["results"]) == 1


def test_an_edit_of_one_article_leaves_the_other_articles_details_cached(
    api, django_assert_num_queries
):
    edited, untouched = ArticleFactory(), ArticleFactory()
    api.get(f"{FEED}{untouched.slug}/")
    api.get(f"{FEED}{untouched.slug}/comments/")

    edited.title = "A new title"
    edited.save()

    with django_assert_num_queries(0):
        api.get(f"{FEED}{untouched.slug}/")
        api.get(f"{FEED}{untouched.slug}/comments/")
    assert api.get(f"{FEED}{edited.slug}/").json()["title"] == "A new title"


def test_a_company_rename_shows_at_once_in_every_article_of_it(api):
    company = CompanyFactory(name="Old name")
    article = ArticleFactory(company=company)
    api.get(f"{FEED}{article.slug}/")
    api.get(FEED)

    company.name = "New name"
    company.save()

    assert api.get(f"{FEED}{article.slug}/").json()["company"]["name"] == "New name"
    assert api.get(FEED).json()["results"][0]["company"]["name"] == "New name"


def test_a_tag_rename_shows_at_once_in_every_article_carrying_it(api):
    tag = TagFactory(name="Old name")
    article = ArticleFactory(tags=[tag])
    api.get(f"{FEED}{article.slug}/")
    api.get(f"/api/v1/tags/{tag.slug}/")

    tag.name = "New name"
    tag.save()

    assert api.get(f"{FEED}{article.slug}/").json()["tags"][0]["name"] == "New name"
    assert api.get(f"/api/v1/tags/{tag.slug}/").json()["name"] == "New name"


def test_a_readers_new_display_name_shows_at_once_in_their_comments(api):
    from accounts.models import Profile

    comment = CommentFactory()
    thread = f"{FEED}{comment.article.slug}/comments/"
    api.get(thread)

    profile, _ = Profile.objects.get_or_create(user=comment.author)
    profile.display_name = "Ada L."
    profile.save()

    assert api.get(thread).json()["results"][0]["author"]["display_name"] == "Ada L."


def test_signing_in_and_using_a_token_purge_nothing(api, django_assert_num_queries):
    from tests.factories import UserFactory

    UserFactory(username="ada")
    article = ArticleFactory()
    CommentFactory(article=article, author__username="ada")
    urls = [FEED, f"{FEED}{article.slug}/", f"{FEED}{article.slug}/comments/"]
    for url in urls:
        api.get(url)

    signed_in = api.post(
        "/api/v1/auth/token/",
        {"username": "ada", "password": "a-long-test-password"},
        format="json",
    )
    assert signed_in.status_code == 200
    reader = type(api)()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {signed_in.json()['token']}")
    assert reader.get("/api/v1/auth/me/").status_code == 200

    with django_assert_num_queries(0):
        for url in urls:
            assert api.get(url).status_code == 200


def test_an_answer_computed_while_its_article_changes_is_not_kept(api, monkeypatch):
    """The detail is computed, then a comment lands on its article before it is stored: the
    stored answer would lack the comment, so it must not be served next."""
    from articles.views import ArticleViewSet

    article = ArticleFactory()
    original = ArticleViewSet.retrieve

    def retrieve_then_comment(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        if not article.comments.exists():
            CommentFactory(article=article)
        return response

    monkeypatch.setattr(ArticleViewSet, "retrieve", retrieve_then_comment)

    assert api.get(f"{FEED}{article.slug}/").json()["comment_count"] == 0
    assert api.get(f"{FEED}{article.slug}/").json()["comment_count"] == 1


# What a public answer says about itself.


def test_a_public_answer_names_what_it_shows_in_surrogate_key_and_cache_tag(api):
    company, tag = CompanyFactory(), TagFactory()
    article = ArticleFactory(company=company, tags=[tag])

    detail = api.get(f"{FEED}{article.slug}/")
    feed = api.get(FEED)
    tags = api.get("/api/v1/tags/")

    shown = {f"article-{article.pk}", f"company-{company.pk}", f"tag-{tag.pk}", "botbeat"}
    assert set(detail["Surrogate-Key"].split(" ")) == shown
    assert detail["Cache-Tag"] == ",".join(sorted(shown))
    assert set(feed["Surrogate-Key"].split(" ")) == shown | {"feed"}
    assert set(tags["Surrogate-Key"].split(" ")) == {f"tag-{tag.pk}", "feed", "botbeat"}
    # The same headers on a hit.
    assert api.get(f"{FEED}{article.slug}/")["Surrogate-Key"] == detail["Surrogate-Key"]


def test_surrogate_keys_are_named_without_the_response_cache_too(api, settings):
    settings.RESPONSE_CACHE = False
    article = ArticleFactory()

    assert f"article-{article.pk}" in api.get(f"{FEED}{article.slug}/")["Surrogate-Key"]


def test_what_staff_see_is_private_and_names_no_keys(bearer_api):
    ArticleFactory()

    response = bearer_api(EditorFactory()).get(FEED)

    assert "private" in response["Cache-Control"]
    assert "Surrogate-Key" not in response


# Who is served from the cache.


def test_a_signed_in_reader_gets_the_publics_bytes_from_the_cache(
    api, bearer_api, django_assert_num_queries
):
    from tests.factories import UserFactory

    ArticleFactory()
    public = api.get(FEED)
    reader = bearer_api(UserFactory())

    first = reader.get(FEED)  # its token checked once
    with django_assert_num_queries(0):
        again = reader.get(FEED)

    for response in (first, again):
        assert response.content == public.content
        assert response["ETag"] == public["ETag"]
        assert response["Cache-Control"] == public["Cache-Control"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"HTTP_COOKIE": "sessionid=x"},
        {"HTTP_COOKIE": "sessionid=abcdefghijklmnopqrstuvwxyz123456"},
        {"HTTP_AUTHORIZATION": "Basic eDp5"},
        {"HTTP_AUTHORIZATION": "Bearer " + "0" * 64},
        {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
    ],
)
def test_credentials_that_name_nobody_are_answered_from_the_cache(
    api, credentials, django_assert_max_num_queries, django_assert_num_queries
):
    from django.test import Client

    ArticleFactory()
    public = api.get(FEED)

    with django_assert_max_num_queries(1):  # the cheap check: one indexed lookup
        first = Client(**credentials).get(FEED)
    with django_assert_num_queries(0):
        again = Client(**credentials).get(FEED)

    assert first.content == again.content == public.content


def test_a_reader_made_editor_sees_drafts_at_once(bearer_api):
    from tests.factories import UserFactory, role_groups

    user = UserFactory()
    reader = bearer_api(user)
    draft = ArticleFactory(status=Status.DRAFT)
    assert draft.slug not in [i["slug"] for i in reader.get(FEED).json()["results"]]

    user.groups.add(role_groups()["Editors"])

    assert draft.slug in [i["slug"] for i in reader.get(FEED).json()["results"]]


def test_staff_without_a_role_get_the_publics_answer_from_the_cache(api, bearer_api):
    """is_staff alone grants nothing: the answer is the public's, bytes and headers."""
    ArticleFactory(status=Status.DRAFT)
    public = api.get(FEED)
    staff = bearer_api(StaffFactory()).get(FEED)

    assert staff.content == public.content
    assert staff["Cache-Control"] == public["Cache-Control"]
    assert "private" not in staff["Cache-Control"]


def test_a_session_of_staff_is_not_served_the_publics_answer(api, client):
    ArticleFactory(status=Status.DRAFT)
    assert api.get(FEED).json()["results"] == []
    client.force_login(EditorFactory())

    assert len(client.get(FEED).json()["results"]) == 1


# One entry per answer, whatever the spelling of its URL.


def test_parameters_in_another_order_share_one_entry(api, django_assert_num_queries):
    company = CompanyFactory()
    first, second = TagFactory(), TagFactory()
    ArticleFactory(company=company, tags=[first, second])
    api.get(f"{FEED}?company={company.slug}&page_size=5&tag={first.slug}&tag={second.slug}")

    with django_assert_num_queries(0):
        again = api.get(
            f"{FEED}?tag={second.slug}&page_size=5&tag={first.slug}&company={company.slug}"
        )

    assert again.status_code == 200
    assert len(again.json()["results"]) == 1


def test_a_hit_negotiates_content_as_a_miss_does(api):
    ArticleFactory()
    assert api.get(FEED).status_code == 200

    refused = api.get(FEED, HTTP_ACCEPT="application/xml")

    assert refused.status_code == 406
    assert refused["Content-Type"] == "application/problem+json"
    assert api.get(FEED, HTTP_ACCEPT="text/html, application/json;q=0.5").status_code == 200


# The stores themselves.


def test_a_store_refuses_an_answer_whose_key_was_purged_after_it_began(response_cache):
    import botbeat.cache

    store = botbeat.cache.store()
    began = store.read([botbeat.cache.PURGE_SEQUENCE_KEY])[0] or 0
    store.purge(["article-1"])

    assert not store.store("response:stale", (1, b"{}", {}), ["article-1", "feed"], began)
    assert store.store("response:fresh", (1, b"{}", {}), ["article-2"], began)
    assert store.read(["response:stale", "response:fresh"]) == [None, (1, b"{}", {})]


def test_a_purge_deletes_the_answers_of_its_keys_only(response_cache):
    import botbeat.cache

    store = botbeat.cache.store()
    now = store.read([botbeat.cache.PURGE_SEQUENCE_KEY])[0] or 0
    store.store("response:a", (1, b"a", {}), ["article-1", "feed"], now)
    store.store("response:b", (1, b"b", {}), ["article-2"], now)

    store.purge(["feed"])

    assert store.read(["response:a", "response:b"]) == [None, (1, b"b", {})]


def test_a_redis_hit_is_one_round_trip(api, response_cache, monkeypatch):
    import botbeat.cache

    if response_cache != "redis":
        pytest.skip("RedisStore only")
    ArticleFactory()
    api.get(FEED)
    store = botbeat.cache.store()
    calls = []
    real = store.redis

    class Recording:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(real, name)

    monkeypatch.setattr(store, "redis", Recording())

    assert api.get(FEED).status_code == 200
    assert calls == ["mget"]


def test_no_cache_is_told_to_keep_an_answer_past_a_scheduled_publication(api, settings):
    settings.API_CACHE_MAX_AGE, settings.API_CACHE_S_MAXAGE = 30, 60
    ArticleFactory()
    ArticleFactory(published_at=timezone.now() + dt.timedelta(seconds=20))

    computed, replayed = api.get(FEED), api.get(FEED)

    for response in (computed, replayed):
        ages = dict(
            part.strip().split("=") for part in response["Cache-Control"].split(",") if "=" in part
        )
        assert 0 <= int(ages["s-maxage"]) <= 20
        assert 0 <= int(ages["max-age"]) <= 20


def test_publishing_through_the_service_leaves_other_articles_details_cached(
    api, django_assert_num_queries
):
    """The service recounts the tag's and company's stored counts: that must not empty the
    cache (the lists showing those counts carry `feed`, which the publication purges)."""
    from articles.services import article_publish

    tag = TagFactory()
    untouched = ArticleFactory()
    draft = ArticleFactory(status=Status.DRAFT, tags=[tag])
    api.get(f"{FEED}{untouched.slug}/")
    assert api.get(f"/api/v1/tags/{tag.slug}/").status_code == 404

    article_publish(by=None, article=draft)

    with django_assert_num_queries(0):
        assert api.get(f"{FEED}{untouched.slug}/").status_code == 200
    assert api.get(f"/api/v1/tags/{tag.slug}/").json()["article_count"] == 1
    assert draft.slug in feed_slugs(api)


def test_an_article_scheduled_after_the_cache_started_appears_when_its_time_comes(api, monkeypatch):
    assert feed_slugs(api) == []  # the cache's generation starts: nothing scheduled
    soon = timezone.now() + dt.timedelta(minutes=5)
    scheduled = ArticleFactory(published_at=soon)
    assert feed_slugs(api) == []  # stored again, after the article's save purged the feed

    later = soon + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert feed_slugs(api) == [scheduled.slug]
