import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article, Status
from comments.models import MAX_DEPTH, Comment
from tests.comments.conftest import comment_count, set_rate, snapshot, thread_url
from tests.factories import ArticleFactory, ProfileFactory, ThreadedCommentFactory, UserFactory


@pytest.fixture
def reader(db):
    return ProfileFactory(user__username="ada", display_name="Ada L.").user


@pytest.fixture
def reader_api(bearer_api, reader):
    return bearer_api(reader)


@pytest.fixture
def article(db):
    return ArticleFactory(slug="the-article")


def post(client, article, payload, **extra):
    return client.post(thread_url(article), payload, format="json", **extra)


def test_a_reader_posts_a_comment(reader_api, article, api):
    response = post(reader_api, article, {"body": "  Great read.\r\nThanks!  "})

    assert response.status_code == 201
    comment = Comment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "article": "the-article",
        "parent": None,
        "depth": 0,
        "author": {"username": "ada", "display_name": "Ada L."},
        "body": "Great read.\nThanks!",
        "created_at": response.json()["created_at"],
        "edited_at": None,
        "reply_count": 0,
        "like_count": 0,
        "status": "visible",
    }
    assert response["Location"] == f"http://testserver/api/v1/comments/{comment.pk}/"
    assert comment.path == f"{comment.pk:012d}" and comment.thread == comment.pk
    assert api.get(f"/api/v1/articles/{article.slug}/").json()["comment_count"] == 1


def test_a_reader_replies_to_a_comment(reader_api, article):
    parent = ThreadedCommentFactory(article=article)

    response = post(reader_api, article, {"body": "Agreed.", "parent": parent.pk})

    assert response.status_code == 201
    assert response.json()["parent"] == parent.pk
    assert response.json()["depth"] == 1
    reply = Comment.objects.get(pk=response.json()["id"])
    assert reply.path == parent.path + f"{reply.pk:012d}"
    assert reply.thread == parent.thread


def test_a_reply_past_the_maximum_depth_is_attached_to_the_deepest_allowed_ancestor(
    reader_api, article
):
    chain = [ThreadedCommentFactory(article=article)]
    while chain[-1].depth < MAX_DEPTH:
        chain.append(ThreadedCommentFactory(parent=chain[-1]))

    response = post(reader_api, article, {"body": "Too deep?", "parent": chain[-1].pk})

    assert response.status_code == 201
    assert response.json()["depth"] == MAX_DEPTH
    assert response.json()["parent"] == chain[-2].pk


def test_html_is_stored_as_plain_text(reader_api, article):
    body = '<script>alert("hi")</script> & <b>bold</b>'

    response = post(reader_api, article, {"body": body})

    assert response.json()["body"] == body


def test_a_body_of_exactly_5000_characters_is_accepted_once_trimmed(reader_api, article):
    response = post(reader_api, article, {"body": "  " + "x" * 5000 + "\n"})

    assert response.status_code == 201
    assert len(Comment.objects.get().body) == 5000


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({}, "body", "required"),
        ({"body": ""}, "body", "blank"),
        ({"body": "   \n\t "}, "body", "blank"),
        ({"body": "\u200b\u200b"}, "body", "blank"),
        ({"body": "x" * 5001}, "body", "max_length"),
        ({"body": "bell\x07"}, "body", "control_characters"),
        ({"body": "nul\x00"}, "body", "null_characters_not_allowed"),
        ({"body": None}, "body", "null"),
        ({"body": 42}, "body", "invalid"),
        ({"body": ["a"]}, "body", "invalid"),
        ({"body": {"text": "a"}}, "body", "invalid"),
        ({"body": "ok", "parent": "1"}, "parent", "invalid"),
        ({"body": "ok", "parent": 1.0}, "parent", "invalid"),
        ({"body": "ok", "parent": True}, "parent", "invalid"),
        ({"body": "ok", "parent": 0}, "parent", "min_value"),
        ({"body": "ok", "parent": 987654321}, "parent", "does_not_exist"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    reader_api, article, payload, field, code
):
    ThreadedCommentFactory(article=article)
    before = snapshot()

    response = post(reader_api, article, payload)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert snapshot() == before


def test_a_parent_from_another_article_is_400(reader_api, article):
    elsewhere = ThreadedCommentFactory(article=ArticleFactory())

    response = post(reader_api, article, {"body": "Hi", "parent": elsewhere.pk})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "parent",
            "code": "other_article",
            "message": "This comment belongs to another article.",
        }
    ]
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("status", [Comment.Status.HIDDEN, Comment.Status.REMOVED])
def test_a_withheld_parent_takes_no_reply(reader_api, article, status):
    parent = ThreadedCommentFactory(article=article, status=status)

    response = post(reader_api, article, {"body": "Hi", "parent": parent.pk})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "parent"
    assert response.json()["errors"][0]["code"] == "withheld"
    assert Comment.objects.count() == 1


def test_malformed_json_is_400_and_writes_nothing(reader_api, article):
    response = reader_api.post(
        thread_url(article), '{"body": "unterminated', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("body=hello", "application/x-www-form-urlencoded"), ("hello", "text/plain")],
)
def test_another_content_type_is_415_and_writes_nothing(reader_api, article, data, content_type):
    response = reader_api.post(thread_url(article), data, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Comment.objects.exists()


def test_anonymous_posting_is_401(api, article):
    response = post(api, article, {"body": "Hello"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not Comment.objects.exists()


def test_closed_comments_refuse_posts_and_replies_with_403(reader_api, staff_api, article):
    parent = ThreadedCommentFactory(article=article)
    Article.objects.filter(pk=article.pk).update(comments_open=False)

    for client in (reader_api, staff_api):
        for payload in ({"body": "Hi"}, {"body": "Hi", "parent": parent.pk}):
            response = post(client, article, payload)
            assert response.status_code == 403
            assert response.json()["code"] == "comments_closed"
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "article_kwargs",
    [
        {"status": Status.DRAFT},
        {"published_at": timezone.now() + dt.timedelta(hours=1)},  # scheduled
    ],
)
def test_no_comment_on_a_draft_or_scheduled_article(reader_api, staff_api, article_kwargs):
    article = ArticleFactory(**article_kwargs)

    for client in (reader_api, staff_api):
        response = post(client, article, {"body": "First!"})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert not Comment.objects.exists()


def test_posting_on_an_unknown_article_is_404(reader_api):
    response = reader_api.post("/api/v1/articles/nope/comments/", {"body": "Hi"}, format="json")

    assert response.status_code == 404


def test_comment_count_counts_what_the_public_sees(reader_api, article):
    visible = [ThreadedCommentFactory(article=article) for _ in range(3)]
    ThreadedCommentFactory(parent=visible[0], status=Comment.Status.HIDDEN)
    ThreadedCommentFactory(parent=visible[1], status=Comment.Status.REMOVED)

    post(reader_api, article, {"body": "One more"})

    assert comment_count(article) == 4


def test_posting_is_throttled_per_user(reader_api, bearer_api, article, settings):
    set_rate(settings, "comment_post", "2/minute")
    for n in range(2):
        assert post(reader_api, article, {"body": f"Post {n}"}).status_code == 201
    before = snapshot()

    refused = post(reader_api, article, {"body": "One too many"})
    someone_else = post(bearer_api(UserFactory()), article, {"body": "Mine"})

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "application/problem+json"
    assert someone_else.status_code == 201
    assert [c for c in snapshot() if c["body"] == "One too many"] == []
    assert len(snapshot()) == len(before) + 1


def test_reading_is_not_throttled(api, article, settings):
    set_rate(settings, "comment_post", "1/minute")

    assert all(api.get(thread_url(article)).status_code == 200 for _ in range(5))


def test_a_redis_outage_does_not_take_posting_down(reader_api, article, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }

    response = post(reader_api, article, {"body": "Still here"})

    assert response.status_code == 201


def test_a_query_parameter_on_a_post_is_400_and_writes_nothing(reader_api, article):
    parent = ThreadedCommentFactory(article=article)

    response = reader_api.post(
        thread_url(article) + f"?parent={parent.pk}", {"body": "Hi"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "parent",
        "code": "unknown_parameter",
        "message": "Unknown query parameter.",
    }
    assert Comment.objects.count() == 1
