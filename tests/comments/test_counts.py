"""The counts the comment services keep: `Article.comment_count` and `Comment.reply_count`.

Every write through a service leaves them equal to a count of the comments themselves
(`comment_count()` checks every one of them), on SQLite and, with threads racing, on PostgreSQL.
"""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from articles.models import Article
from comments.models import MAX_DEPTH, Comment
from comments.moderation import comments_hide, comments_restore, user_deactivate
from comments.services import (
    comment_counts_refresh,
    comment_create,
    comment_delete,
    comment_hide,
    comment_restore,
)
from tests.comments.conftest import comment_count
from tests.factories import ArticleFactory, ModeratorFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def reply_count(comment) -> int:
    return Comment.objects.values_list("reply_count", flat=True).get(pk=comment.pk)


def test_every_service_keeps_the_counts_exact():
    article, reader, moderator = ArticleFactory(), UserFactory(), ModeratorFactory()
    root = comment_create(article=article, author=reader, body="root")
    chain = [root]
    for depth in range(1, MAX_DEPTH + 1):
        chain.append(
            comment_create(article=article, author=reader, body=f"d{depth}", parent=chain[-1])
        )
    # A reply to the deepest comment joins its parent's level: counted above that parent.
    sibling = comment_create(article=article, author=reader, body="deep", parent=chain[-1])
    assert sibling.parent_id == chain[-2].pk
    other = comment_create(article=article, author=reader, body="other thread")
    assert comment_count(article) == MAX_DEPTH + 3
    assert reply_count(root) == MAX_DEPTH + 1 and reply_count(chain[-1]) == 0

    comment_hide(comment=chain[3], moderator=moderator)
    assert comment_count(article) == MAX_DEPTH + 2
    assert reply_count(root) == MAX_DEPTH and reply_count(chain[3]) == MAX_DEPTH - 2
    comment_hide(comment=chain[3], moderator=moderator)  # again: nothing moves
    assert comment_count(article) == MAX_DEPTH + 2
    comment_restore(comment=chain[3], moderator=moderator)
    comment_restore(comment=chain[3], moderator=moderator)
    assert comment_count(article) == MAX_DEPTH + 3
    comment_delete(comment=chain[5], actor=reader)
    comment_delete(comment=chain[5], actor=reader)
    assert comment_count(article) == MAX_DEPTH + 2

    comments_hide(comments=[root, chain[1], other], moderator=moderator)
    assert comment_count(article) == MAX_DEPTH - 1
    comments_restore(comments=[root, chain[1], chain[5], other], moderator=moderator)
    assert comment_count(article) == MAX_DEPTH + 2  # chain[5] stays removed

    superuser = StaffFactory(is_superuser=True)
    assert user_deactivate(user=reader, by=superuser) == MAX_DEPTH + 2
    assert comment_count(article) == 0
    assert Comment.objects.filter(article=article, reply_count__gt=0).count() == 0


def test_a_refresh_recounts_what_was_written_around_the_services():
    article, reader = ArticleFactory(), UserFactory()
    root = comment_create(article=article, author=reader, body="root")
    reply = comment_create(article=article, author=reader, body="reply", parent=root)
    Comment.objects.filter(pk=reply.pk).update(status=Comment.Status.HIDDEN)
    Article.objects.filter(pk=article.pk).update(comment_count=7)

    comment_counts_refresh(article_ids=[article.pk])

    assert comment_count(article) == 1 and reply_count(root) == 0
    comment_counts_refresh()  # every article
    assert comment_count(article) == 1


THREADS = 6
ROUNDS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counts_stay_exact_while_readers_post_and_moderators_hide_at_once():
    """Half the threads post replies under the same comments, the others hide and restore
    those comments (one by one and in bulk): every count is exact at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    article, moderator = ArticleFactory(), ModeratorFactory()
    readers = [UserFactory() for _ in range(THREADS)]
    root = comment_create(article=article, author=readers[0], body="root")
    middle = comment_create(article=article, author=readers[0], body="middle", parent=root)
    targets = [root, middle]
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def post(n):
        for i in range(ROUNDS):
            parent = Comment.objects.get(pk=targets[i % 2].pk)
            if parent.status == Comment.Status.VISIBLE:
                try:
                    comment_create(
                        article=article, author=readers[n], body=f"{n}.{i}", parent=parent
                    )
                except Exception as error:  # the parent was hidden meanwhile: refused, fine
                    if "withheld" not in str(error):
                        raise
            else:
                comment_create(article=article, author=readers[n], body=f"{n}.{i}")

    def moderate(n):
        for i in range(ROUNDS):
            target = targets[(n + i) % 2]
            if i % 3 == 2:
                comments_hide(
                    comments=Comment.objects.filter(pk__in=[root.pk, middle.pk]),
                    moderator=moderator,
                )
                comments_restore(
                    comments=Comment.objects.filter(pk__in=[root.pk]), moderator=moderator
                )
            elif i % 2:
                comment_restore(comment=target, moderator=moderator)
            else:
                comment_hide(comment=target, moderator=moderator)

    def run(n):
        try:
            start.wait()
            (post if n % 2 else moderate)(n)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert Comment.objects.filter(article=article).count() > 2 + ROUNDS
    comment_count(article)  # every count checked against the comments


def test_generate_fake_leaves_the_counts_exact():
    call_command(
        "generate_fake", articles=30, comments=600, companies=3, tags=5, verbosity=0,
        stdout=io.StringIO(),
    )  # fmt: skip
    busiest = Article.objects.order_by("-comment_count").first()
    assert busiest.comment_count > 0
    for article in Article.objects.filter(comments__isnull=False).distinct():
        comment_count(article)


def test_saving_a_copy_read_before_keeps_the_comments_counted_meanwhile():
    article, reader = ArticleFactory(), UserFactory()
    root = comment_create(article=article, author=reader, body="root")
    stale_article, stale_root = Article.objects.get(pk=article.pk), Comment.objects.get(pk=root.pk)

    comment_create(article=article, author=reader, body="reply", parent=root)
    stale_article.title = "Edited meanwhile"
    stale_article.save()  # as the admin's form saves it
    stale_root.save()

    assert Article.objects.get(pk=article.pk).title == "Edited meanwhile"
    assert comment_count(article) == 2 and reply_count(root) == 1
