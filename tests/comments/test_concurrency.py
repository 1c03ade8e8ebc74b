import threading

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection, connections

from comments.models import Comment, CommentFlag, CommentLike
from comments.services import withheld_for_review_message
from tests.comments.conftest import comment_count, set_rate, thread_url
from tests.factories import (
    ArticleFactory,
    ModeratorFactory,
    ThreadedCommentFactory,
    UserFactory,
)

THREADS = 8
POSTS_PER_THREAD = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_are_all_stored_and_counted(bearer_api, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    set_rate(settings, "comment_post", "1000/minute")
    article = ArticleFactory()
    root = ThreadedCommentFactory(article=article)
    clients = [bearer_api(UserFactory()) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def post_many(client, n):
        try:
            start.wait()
            for i in range(POSTS_PER_THREAD):
                # Half top-level, half replies to one comment: both kinds race.
                payload = {"body": f"thread {n} post {i}"}
                if i % 2:
                    payload["parent"] = root.pk
                response = client.post(thread_url(article), payload, format="json")
                with lock:
                    statuses.append(response.status_code)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=post_many, args=(client, n)) for n, client in enumerate(clients)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert statuses == [201] * (THREADS * POSTS_PER_THREAD)
    stored = Comment.objects.filter(article=article)
    assert stored.count() == 1 + THREADS * POSTS_PER_THREAD
    count = comment_count(article)
    assert count == stored.filter(status=Comment.Status.VISIBLE).count() == stored.count()
    # Every comment was placed in its thread: a unique path, under its parent's.
    paths = list(stored.values_list("path", flat=True))
    assert len(set(paths)) == len(paths) and "" not in paths
    for reply in stored.filter(parent=root):
        assert reply.path.startswith(root.path) and reply.thread == root.pk
    assert root.replies.count() == THREADS * POSTS_PER_THREAD // 2


def run_at_once(jobs) -> None:
    """Run each job in a thread of its own, all released together; each closes its database
    connection when done."""
    start = threading.Barrier(len(jobs))

    def run(job):
        try:
            start.wait()
            job()
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_and_unlikes_keep_like_count_exact(bearer_api, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    set_rate(settings, "comment_like", "1000/minute")
    article = ArticleFactory()
    comment = ThreadedCommentFactory(article=article)
    readers = [UserFactory() for _ in range(THREADS)]
    statuses: list[int] = []
    lock = threading.Lock()

    def like_twice_then(client, unlike: bool):
        def job():
            for method in ["put", "put", *(["delete", "delete"] if unlike else [])]:
                response = getattr(client, method)(f"/api/v1/comments/{comment.pk}/like/")
                with lock:
                    statuses.append(response.status_code)

        return job

    # Each reader twice at once (two clients of one reader race on the same like), half of
    # them taking their like back.
    jobs = []
    for n, reader in enumerate(readers):
        for _ in range(2):
            jobs.append(like_twice_then(bearer_api(reader), unlike=n % 2 == 1))
    run_at_once(jobs)

    assert set(statuses) == {200}
    comment.refresh_from_db()
    rows = CommentLike.objects.filter(comment=comment)
    assert comment.like_count == rows.count() == THREADS // 2
    assert set(rows.values_list("user_id", flat=True)) == {r.pk for r in readers[::2]}
    assert comment_count(article) == 1  # the likes moved no other count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_flags_and_likes_count_exactly_and_withhold_once(bearer_api, settings):
    """Given a comment with a reply, when readers flag it, like it and like its reply all at
    once (each flag twice, from two clients), then every count is exact and exactly one flag
    withheld it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    set_rate(settings, "comment_flag", "1000/minute")
    set_rate(settings, "comment_like", "1000/minute")
    settings.COMMENT_FLAG_THRESHOLD = 3
    article = ArticleFactory()
    comment = ThreadedCommentFactory(article=article)
    reply = ThreadedCommentFactory(parent=comment)
    readers = [UserFactory() for _ in range(THREADS)]
    statuses: list[int] = []
    lock = threading.Lock()

    def flag_and_like(client):
        def job():
            for method, url, body in [
                ("put", f"/api/v1/comments/{reply.pk}/like/", None),
                ("post", f"/api/v1/comments/{comment.pk}/flag/", {"reason": "spam"}),
                ("put", f"/api/v1/comments/{comment.pk}/like/", None),
            ]:
                response = getattr(client, method)(url, body, format="json")
                with lock:
                    statuses.append(response.status_code)

        return job

    run_at_once([flag_and_like(bearer_api(reader)) for reader in readers for _ in range(2)])

    comment.refresh_from_db()
    reply.refresh_from_db()
    assert comment.status == Comment.Status.PENDING_REVIEW
    assert comment.flag_count == CommentFlag.objects.filter(comment=comment).count() == THREADS
    assert reply.like_count == CommentLike.objects.filter(comment=reply).count() == THREADS
    assert comment.like_count == CommentLike.objects.filter(comment=comment).count()
    withheld = LogEntry.objects.filter(object_id=str(comment.pk))
    assert [e.get_change_message() for e in withheld] == [withheld_for_review_message(3)]
    assert comment_count(article) == 1  # the reply; the comment keeps its place
    assert set(statuses) <= {200, 201, 403, 404}  # a like after the withholding: refused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_comment_posted_at_once_is_stored_once(bearer_api, settings):
    """The duplicate window holds under concurrency: the check runs under the article's row
    lock, so of several identical posts at once exactly one is stored."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    set_rate(settings, "comment_post", "1000/minute")
    article = ArticleFactory()
    reader = UserFactory()
    statuses: list[int] = []
    lock = threading.Lock()

    def post(client):
        def job():
            response = client.post(thread_url(article), {"body": "Same words."}, format="json")
            with lock:
                statuses.append(response.status_code)

        return job

    run_at_once([post(bearer_api(reader)) for _ in range(THREADS)])

    assert sorted(statuses) == [201] + [400] * (THREADS - 1)
    assert Comment.objects.filter(article=article).count() == comment_count(article) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_approvals_hides_and_replies_at_once_keep_the_counts_exact(bearer_api, settings):
    """Pending comments approved by two Moderators at once, while others are hidden and
    readers reply to the visible ones: every count is exact, each approval recorded once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    set_rate(settings, "comment_post", "1000/minute")
    set_rate(settings, "comment_edit", "1000/minute")
    article = ArticleFactory()
    root = ThreadedCommentFactory(article=article)
    pending = [ThreadedCommentFactory(parent=root, status=Comment.Status.PENDING) for _ in range(6)]
    visible = [ThreadedCommentFactory(parent=root) for _ in range(4)]
    moderators = [bearer_api(ModeratorFactory()) for _ in range(2)]
    reader = bearer_api(UserFactory())

    def approve_all(client):
        def job():
            for comment in pending:
                client.patch(f"/api/v1/comments/{comment.pk}/", {"status": "visible"}, "json")

        return job

    def hide_some():
        for comment in visible[:2]:
            moderators[0].patch(f"/api/v1/comments/{comment.pk}/", {"status": "hidden"}, "json")

    def reply_all():
        for n, comment in enumerate(visible[2:]):
            payload = {"body": f"reply {n}", "parent": comment.pk}
            reader.post(thread_url(article), payload, format="json")

    run_at_once([approve_all(moderators[0]), approve_all(moderators[1]), hide_some, reply_all])

    assert comment_count(article) == 1 + 6 + 2 + 2  # root, approved, still visible, replies
    approvals = LogEntry.objects.filter(change_message="Approved by a moderator.")
    assert approvals.count() == 6
    assert not Comment.objects.filter(status=Comment.Status.PENDING).exists()
