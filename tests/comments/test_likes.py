"""Likes: PUT/DELETE /api/v1/comments/{id}/like/, `like_count`, `ordering=best` and its cursor,
/api/v1/auth/me/likes/."""

import pytest
from rest_framework.test import APIClient

from botbeat import cache as response_cache
from comments.models import Comment, CommentLike
from comments.services import comment_hide, comment_like, comment_unlike
from tests.comments.conftest import comment_url, set_rate, thread_url
from tests.factories import (
    ArticleFactory,
    ModeratorFactory,
    ThreadedCommentFactory,
    UserFactory,
)


def like_url(comment) -> str:
    return f"/api/v1/comments/{comment.pk}/like/"


def stored_likes(comment) -> int:
    """The comment's like_count, once it is checked against its CommentLike rows."""
    count = Comment.objects.values_list("like_count", flat=True).get(pk=comment.pk)
    assert count == CommentLike.objects.filter(comment_id=comment.pk).count()
    return count


@pytest.fixture
def liked(db, bearer_api):
    article = ArticleFactory()
    author = UserFactory()
    comment = ThreadedCommentFactory(article=article, author=author)
    reader = UserFactory()
    return {
        "article": article,
        "comment": comment,
        "author": bearer_api(author),
        "reader": bearer_api(reader),
        "reader_user": reader,
    }


def test_like_is_idempotent_and_counted(liked):
    reader, comment = liked["reader"], liked["comment"]

    first = reader.put(like_url(comment))
    again = reader.put(like_url(comment))

    assert first.status_code == again.status_code == 200
    assert again.json() == {"id": comment.pk, "liked": True, "like_count": 1}
    assert stored_likes(comment) == 1
    assert reader.get(comment_url(comment)).json()["like_count"] == 1


def test_unlike_is_idempotent(liked):
    reader, comment = liked["reader"], liked["comment"]
    reader.put(like_url(comment))

    first = reader.delete(like_url(comment))
    again = reader.delete(like_url(comment))

    assert first.status_code == again.status_code == 200
    assert again.json() == {"id": comment.pk, "liked": False, "like_count": 0}
    assert stored_likes(comment) == 0


def test_nobody_likes_their_own_comment(liked):
    response = liked["author"].put(like_url(liked["comment"]))

    assert response.status_code == 403
    assert response.json()["code"] == "own_comment"
    assert stored_likes(liked["comment"]) == 0


def test_a_withheld_comment_takes_no_like_but_gives_one_back(liked):
    comment, reader = liked["comment"], liked["reader"]
    reader.put(like_url(comment))
    ThreadedCommentFactory(parent=comment)  # a visible reply: the comment keeps its place
    comment_hide(comment=comment, moderator=ModeratorFactory())

    other = UserFactory()
    with pytest.raises(Exception) as refused:
        comment_like(comment=comment, user=other)
    unliked = reader.delete(like_url(comment))

    assert getattr(refused.value, "code", None) == "comment_withheld"
    assert unliked.status_code == 200 and unliked.json()["like_count"] == 0


def test_anonymous_readers_cannot_like(liked):
    assert APIClient().put(like_url(liked["comment"])).status_code == 401
    assert APIClient().delete(like_url(liked["comment"])).status_code == 401


def test_a_like_takes_no_body_and_no_query(liked):
    reader, comment = liked["reader"], liked["comment"]

    with_body = reader.put(like_url(comment), {"liked": True}, format="json")
    with_query = reader.put(like_url(comment) + "?x=1")

    assert with_body.status_code == with_query.status_code == 400
    assert stored_likes(comment) == 0


def test_likes_are_throttled_per_user(liked, settings):
    set_rate(settings, "comment_like", "2/minute")
    reader, comment = liked["reader"], liked["comment"]

    statuses = [reader.put(like_url(comment)).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_thread_is_the_same_bytes_for_the_liker_and_the_public(liked):
    liked["reader"].put(like_url(liked["comment"]))
    url = thread_url(liked["article"])

    public = APIClient().get(url)
    mine = liked["reader"].get(url)

    assert public.content == mine.content
    assert public.json()["results"][0]["like_count"] == 1
    assert "public" in mine["Cache-Control"]


def test_my_likes_on_an_article(liked, bearer_api):
    article, reader = liked["article"], liked["reader"]
    second = ThreadedCommentFactory(article=article)
    ThreadedCommentFactory(article=article)  # not liked
    elsewhere = ThreadedCommentFactory()  # another article's
    for comment in (second, liked["comment"], elsewhere):
        reader.put(like_url(comment))

    response = reader.get("/api/v1/auth/me/likes/", {"article": article.slug})

    assert response.status_code == 200
    assert response.json() == {
        "article": article.slug,
        "comment_ids": sorted([liked["comment"].pk, second.pk]),
    }
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("query", "status"),
    [({}, 400), ({"article": "no-such-article"}, 404), ({"article": "a b"}, 400)],
)
def test_my_likes_needs_an_article_i_may_see(liked, query, status):
    assert liked["reader"].get("/api/v1/auth/me/likes/", query).status_code == status


def test_my_likes_is_for_signed_in_readers(liked):
    response = APIClient().get("/api/v1/auth/me/likes/", {"article": liked["article"].slug})

    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_like_purges_the_thread_and_the_comment_not_the_article(
    liked, settings, django_assert_num_queries
):
    settings.RESPONSE_CACHE = True
    response_cache._redis_store = None
    article, comment = liked["article"], liked["comment"]
    urls = [thread_url(article), comment_url(comment), f"/api/v1/articles/{article.slug}/"]
    for url in urls:
        APIClient().get(url)

    liked["reader"].put(like_url(comment))

    assert APIClient().get(urls[0]).json()["results"][0]["like_count"] == 1
    assert APIClient().get(urls[1]).json()["like_count"] == 1
    with django_assert_num_queries(0):  # the article's detail shows no like: still cached
        assert APIClient().get(urls[2]).status_code == 200


# ordering=best


def best(client, article, **params):
    return client.get(thread_url(article), {"ordering": "best", **params})


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def likes(comment, n: int) -> None:
    for _ in range(n):
        comment_like(comment=comment, user=UserFactory())


@pytest.mark.django_db
def test_best_puts_the_most_liked_threads_first_replies_in_conversation_order():
    article = ArticleFactory()
    old, middle, new = (ThreadedCommentFactory(article=article) for _ in range(3))
    old_reply = ThreadedCommentFactory(parent=old)
    new_reply = ThreadedCommentFactory(parent=new)
    new_reply_2 = ThreadedCommentFactory(parent=new)
    likes(new, 2)
    likes(new_reply_2, 5)  # a reply's likes do not move its thread
    # old and middle: no likes, a tie: the oldest first

    assert ids(best(APIClient(), article)) == [
        new.pk,
        new_reply.pk,
        new_reply_2.pk,
        old.pk,
        old_reply.pk,
        middle.pk,
    ]


def walk(first) -> list[int]:
    """The ids of `first` and of every page after it, following `next`."""
    served = ids(first)
    url = first.json()["next"]
    while url:
        page = APIClient().get(url)
        assert page.status_code == 200
        served += ids(page)
        url = page.json()["next"]
    return served


@pytest.mark.django_db
def test_best_cursor_finishes_its_thread_and_serves_each_unmoved_thread_once():
    """Given a page that stops inside a thread, when likes move threads (the one it stopped in
    climbs to the top, one behind it ties its place), then the next pages finish that thread
    first, and every thread comes exactly once."""
    article = ArticleFactory()
    threads = [ThreadedCommentFactory(article=article) for _ in range(5)]
    a, b, c, d, e = threads
    replies = {t.pk: [ThreadedCommentFactory(parent=t) for _ in range(2)] for t in (b, d)}
    for thread, n in zip(threads, [5, 4, 3, 2, 1], strict=True):
        likes(thread, n)
    # Order: a(5) | b(4) b1 b2 | c(3) | d(2) d1 d2 | e(1)
    first = best(APIClient(), article, page_size=2)
    assert ids(first) == [a.pk, b.pk]

    likes(b, 10)  # b, the thread the page stopped in, climbs above a
    likes(e, 3)  # e: 4, a tie with b's place at the cursor: after it (b is older)

    expected = [a.pk, b.pk, *(r.pk for r in replies[b.pk]), e.pk, c.pk, d.pk]
    expected += [r.pk for r in replies[d.pk]]
    assert walk(first) == expected
    assert len(expected) == Comment.objects.filter(article=article).count()


@pytest.mark.django_db
def test_best_cursor_serves_again_a_thread_that_fell_behind_it():
    """The documented edge: a cursor is a place, not a snapshot. A thread served before it whose
    likes fall below the place is served again (its ids repeat: a client keeps one of each)."""
    article = ArticleFactory()
    a, b, c = (ThreadedCommentFactory(article=article) for _ in range(3))
    likes(a, 3)
    likes(b, 2)
    likes(c, 1)
    first = best(APIClient(), article, page_size=1)
    assert ids(first) == [a.pk]

    for like in CommentLike.objects.filter(comment=a).select_related("user"):
        comment_unlike(comment=a, user=like.user)

    # The next page still holds a at its place (the thread the cursor stopped in); the one
    # after has left it, and a, with no like now, comes last.
    assert walk(first) == [a.pk, b.pk, c.pk, a.pk]


@pytest.mark.django_db
def test_best_cursor_of_a_thread_that_overtook_the_cursor_is_not_served_again():
    article = ArticleFactory()
    a, b, c = (ThreadedCommentFactory(article=article) for _ in range(3))
    likes(a, 2)
    likes(b, 1)
    first = best(APIClient(), article, page_size=1)
    assert ids(first) == [a.pk]

    likes(c, 5)  # c jumps above the cursor's place: it is behind the reader now
    rest = APIClient().get(first.json()["next"])

    assert ids(rest) == [b.pk]


@pytest.mark.django_db
def test_best_cursor_from_another_ordering_is_refused():
    article = ArticleFactory()
    ThreadedCommentFactory(article=article)
    ThreadedCommentFactory(article=article)
    newest = APIClient().get(thread_url(article), {"ordering": "newest", "page_size": 1})

    cursor = newest.json()["next"].split("cursor=")[1].split("&")[0]
    response = best(APIClient(), article, cursor=cursor)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_a_like_is_a_comment_updated_change_showing_the_count():
    from changes import outbox
    from changes.data import change_data
    from changes.models import Change

    comment = ThreadedCommentFactory()
    outbox.touched(comments=[comment.pk])  # announced, as comment_create would have

    comment_like(comment=comment, user=UserFactory())

    of_it = Change.objects.filter(object_id=comment.pk, type__startswith="comment.")
    change = of_it.order_by("pk").last()
    assert change.type == "comment.updated"
    assert change_data(change)["like_count"] == 1
    assert change_data(change) == APIClient().get(comment_url(comment)).json()


@pytest.mark.django_db
def test_the_article_page_serves_the_best_thread_as_the_comments_path_does():
    article = ArticleFactory()
    quiet, liked_one = (ThreadedCommentFactory(article=article) for _ in range(2))
    likes(liked_one, 1)

    page = APIClient().get(f"/api/v1/articles/{article.slug}/page/", {"comments_ordering": "best"})
    thread = best(APIClient(), article)

    assert page.json()["comments"] == thread.json()
    assert ids(thread) == [liked_one.pk, quiet.pk]
