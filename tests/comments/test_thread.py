import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status
from comments.models import Comment
from comments.services import comment_counts_refresh
from tests.comments.conftest import comment_url, thread_url
from tests.factories import ArticleFactory, ProfileFactory, ThreadedCommentFactory, UserFactory

HIDDEN, REMOVED = Comment.Status.HIDDEN, Comment.Status.REMOVED


@pytest.fixture
def thread(db):
    """A thread with withheld comments in the middle, by letter, created in this order:

    A             visible
      B           removed, a visible reply under it: kept, withheld
        C         visible
      D           hidden, no reply: gone
      E           visible
        F         hidden
          G       removed: F and G have no visible reply under them: gone
    H             hidden, a visible reply: kept, withheld
      I           visible
    J             removed, no reply: gone
    K             visible
    """
    article = ArticleFactory(slug="the-article")
    parents = {"B": "A", "C": "B", "D": "A", "E": "A", "F": "E", "G": "F", "I": "H"}
    statuses = {"B": REMOVED, "D": HIDDEN, "F": HIDDEN, "G": REMOVED, "H": HIDDEN, "J": REMOVED}
    comments = {}
    for letter in "ABCDEFGHIJK":
        parent = comments.get(parents.get(letter))
        comments[letter] = ThreadedCommentFactory(
            article=article,
            parent=parent,
            body=letter,
            author=ProfileFactory(user__username=f"user-{letter.lower()}").user,
        )
    for letter, status in statuses.items():
        Comment.objects.filter(pk=comments[letter].pk).update(status=status)
    comment_counts_refresh(article_ids=[article.pk])
    return article, comments


def letters(response, comments) -> str:
    by_id = {c.pk: letter for letter, c in comments.items()}
    return "".join(by_id[item["id"]] for item in response.json()["results"])


def test_the_public_thread_is_flat_depth_first_with_withheld_comments_in_place(api, thread):
    article, comments = thread

    response = api.get(thread_url(article))

    assert response.status_code == 200
    assert letters(response, comments) == "ABCEHIK"
    items = {item["id"]: item for item in response.json()["results"]}
    shown = {letter: items[c.pk] for letter, c in comments.items() if c.pk in items}
    assert [shown[x]["depth"] for x in "ABCEHIK"] == [0, 1, 2, 1, 0, 1, 0]
    assert [shown[x]["reply_count"] for x in "ABCEHIK"] == [2, 1, 0, 0, 1, 0, 0]
    assert shown["B"]["status"] == "removed"
    assert shown["B"]["body"] is None and shown["B"]["author"] is None
    assert shown["H"]["status"] == "hidden"
    assert shown["H"]["body"] is None and shown["H"]["author"] is None
    assert shown["C"]["parent"] == comments["B"].pk
    assert shown["C"]["author"]["username"] == "user-c"
    assert shown["C"]["body"] == "C"
    assert response.json()["next"] is None and response.json()["previous"] is None


def test_newest_first_orders_threads_newest_first_and_replies_in_conversation_order(api, thread):
    article, comments = thread

    response = api.get(thread_url(article), {"ordering": "newest"})

    assert letters(response, comments) == "KHIABCE"


def test_staff_see_every_comment_with_its_body(staff_api, thread):
    article, comments = thread

    response = staff_api.get(thread_url(article))

    assert letters(response, comments) == "ABCDEFGHIJK"
    bodies = [item["body"] for item in response.json()["results"]]
    assert bodies == list("ABCDEFGHIJK")
    assert all(item["author"] is not None for item in response.json()["results"])


def test_a_withheld_comment_without_visible_replies_is_gone_for_the_public(api, thread):
    _, comments = thread

    for letter in "DFGJ":
        response = api.get(comment_url(comments[letter]))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_withheld_comment_with_visible_replies_reads_as_a_placeholder(api, thread):
    _, comments = thread

    response = api.get(comment_url(comments["B"]))

    assert response.status_code == 200
    assert response.json() == {
        "id": comments["B"].pk,
        "article": "the-article",
        "parent": comments["A"].pk,
        "depth": 1,
        "author": None,
        "body": None,
        "created_at": response.json()["created_at"],
        "edited_at": None,
        "reply_count": 1,
        "like_count": 0,
        "status": "removed",
    }


@pytest.mark.django_db
def test_a_comment_in_detail(api):
    author = ProfileFactory(user__username="ada", display_name="Ada L.").user
    comment = ThreadedCommentFactory(
        article=ArticleFactory(slug="a-story"), author=author, body="First!\nSecond line."
    )

    response = api.get(comment_url(comment))

    assert response.status_code == 200
    assert response.json() == {
        "id": comment.pk,
        "article": "a-story",
        "parent": None,
        "depth": 0,
        "author": {"username": "ada", "display_name": "Ada L."},
        "body": "First!\nSecond line.",
        "created_at": comment.created_at.isoformat().replace("+00:00", "Z"),
        "edited_at": None,
        "reply_count": 0,
        "like_count": 0,
        "status": "visible",
    }
    assert response["Cache-Control"].startswith("public")
    assert response.has_header("ETag")


@pytest.mark.django_db
def test_an_author_without_profile_shows_the_username(api):
    comment = ThreadedCommentFactory(author=UserFactory(username="legacy"))

    response = api.get(comment_url(comment))

    assert response.json()["author"] == {"username": "legacy", "display_name": "legacy"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "article_kwargs",
    [
        {"status": Status.DRAFT},
        {"published_at": timezone.now() + dt.timedelta(days=1)},  # scheduled
    ],
)
def test_the_thread_of_an_unpublished_article_is_404_except_to_staff(
    api, staff_api, article_kwargs
):
    article = ArticleFactory(**article_kwargs)
    comment = ThreadedCommentFactory(article=article)

    assert api.get(thread_url(article)).status_code == 404
    assert api.get(comment_url(comment)).status_code == 404
    assert staff_api.get(thread_url(article)).status_code == 200
    assert staff_api.get(comment_url(comment)).status_code == 200


@pytest.mark.django_db
def test_an_unknown_article_or_comment_is_404(api):
    assert api.get("/api/v1/articles/nope/comments/").status_code == 404
    assert api.get("/api/v1/comments/999999/").status_code == 404
    assert api.get("/api/v1/comments/99999999999999999999999/").status_code == 404


@pytest.mark.django_db
def test_the_thread_pages_through_with_cursors_in_both_orders(api):
    article = ArticleFactory()
    roots = [ThreadedCommentFactory(article=article) for _ in range(3)]
    for root in roots:
        reply = ThreadedCommentFactory(parent=root)
        ThreadedCommentFactory(parent=reply)
    for ordering in ("oldest", "newest"):
        whole = api.get(thread_url(article), {"ordering": ordering}).json()["results"]
        assert len(whole) == 9

        seen, url = [], thread_url(article) + f"?ordering={ordering}&page_size=4"
        pages = []
        while url:
            page = api.get(url).json()
            pages.append(page)
            seen.extend(item["id"] for item in page["results"])
            url = page["next"]

        assert seen == [item["id"] for item in whole]
        assert [len(p["results"]) for p in pages] == [4, 4, 1]
        back = api.get(pages[2]["previous"]).json()
        assert [i["id"] for i in back["results"]] == [i["id"] for i in pages[1]["results"]]


@pytest.mark.django_db
def test_the_first_page_holds_200_comments(api):
    article = ArticleFactory()
    author = UserFactory()
    for _ in range(201):
        ThreadedCommentFactory(article=article, author=author)

    first = api.get(thread_url(article)).json()
    everything = api.get(thread_url(article), {"page_size": 500}).json()

    assert len(first["results"]) == 200
    assert first["next"] is not None
    assert len(everything["results"]) == 201
    assert everything["next"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"page_size": "501"},
        {"page_size": "0"},
        {"page_size": ""},
        {"ordering": "popular"},
        {"ordering": ""},
        {"cursor": "garbage"},
        {"cursor": "eyJvIjoib2xkZXN0IiwiayI6WzFdLCJyIjpmYWxzZX0"},  # a path that is a number
        {"sort": "newest"},
    ],
)
def test_bad_thread_parameters_are_400(api, query):
    article = ArticleFactory()

    response = api.get(thread_url(article), query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_cursor_of_the_other_ordering_is_400(api):
    article = ArticleFactory()
    for _ in range(3):
        ThreadedCommentFactory(article=article)
    next_url = api.get(thread_url(article), {"page_size": 1}).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]

    response = api.get(thread_url(article), {"cursor": cursor, "ordering": "newest"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_cursor"


def build_thread(article, size: int) -> None:
    """`size` comments by `size` authors with profiles: threads three deep, a withheld one."""
    parent = None
    for i in range(size):
        author = ProfileFactory().user
        comment = ThreadedCommentFactory(article=article, author=author, parent=parent)
        parent = comment if comment.depth < 2 else None
        if i == 1:
            Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)
    comment_counts_refresh(article_ids=[article.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 30])
def test_the_thread_costs_two_queries_whatever_its_size(api, django_assert_num_queries, size):
    article = ArticleFactory()
    build_thread(article, size)

    with django_assert_num_queries(2):  # the article, the page
        response = api.get(thread_url(article))

    assert response.status_code == 200
    assert len(response.json()["results"]) == size


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 30])
def test_the_moderators_thread_costs_four_queries_whatever_its_size(
    bearer_api, django_assert_num_queries, size
):
    from tests.factories import NewsroomFactory

    client = bearer_api(NewsroomFactory())
    article = ArticleFactory()
    build_thread(article, size)

    # The token and its user, their roles (botbeat.roles), the article, the page.
    with django_assert_num_queries(4):
        response = client.get(thread_url(article))

    assert len(response.json()["results"]) == size
