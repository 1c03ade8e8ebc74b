import threading

import pytest
from django.db import connection, connections

from comments.models import Comment
from tests.comments.conftest import comment_count, set_rate, thread_url
from tests.factories import ArticleFactory, ThreadedCommentFactory, UserFactory

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
