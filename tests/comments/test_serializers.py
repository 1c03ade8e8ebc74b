"""A comment written out (comments.serializers.thread_item) is exactly what DRF makes of it.

The thread is written from plain rows (Comment.objects.thread_rows()), and CommentSerializer
renders an instance through the same writer; the fields CommentSerializer declares are what the
OpenAPI schema documents. DRF's generic path, run on the same serializer, reads those fields:
all must agree, key for key and in order, for the public and for staff.
"""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework import serializers

from comments.models import Comment
from comments.serializers import CommentSerializer, thread_item
from tests.factories import ProfileFactory, ThreadedCommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def generic(instance, show_withheld: bool) -> dict:
    serializer = CommentSerializer(context={"show_withheld": show_withheld})
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.mark.parametrize("show_withheld", [False, True])
def test_thread_items_match_drf(show_withheld):
    named = ProfileFactory(display_name="Ada L.").user
    unnamed = ProfileFactory(display_name="").user
    root = ThreadedCommentFactory(author=named, body="Line one\nline two\t\u2028 \u00e9")
    reply = ThreadedCommentFactory(parent=root, author=UserFactory())  # no profile
    hidden = ThreadedCommentFactory(parent=reply, author=unnamed, status=Comment.Status.HIDDEN)
    ThreadedCommentFactory(parent=hidden, author=named)
    edited_at = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    Comment.objects.filter(pk=reply.pk).update(edited_at=edited_at)

    rows = list(Comment.objects.filter(article=root.article).thread_rows().order_by("path"))
    instances = list(Comment.objects.filter(article=root.article).for_thread().order_by("path"))

    assert len(rows) == 4
    for row, instance in zip(rows, instances, strict=True):
        expected = list(generic(instance, show_withheld).items())
        assert list(thread_item(row, show_withheld=show_withheld).items()) == expected
        serializer = CommentSerializer(instance, context={"show_withheld": show_withheld})
        assert list(serializer.data.items()) == expected
    shown = {row["id"]: thread_item(row, show_withheld=show_withheld) for row in rows}
    assert shown[reply.pk]["edited_at"] == "2026-03-01T12:30:15.123456Z"
    assert shown[reply.pk]["author"]["display_name"] == reply.author.username
    assert shown[root.pk]["author"]["display_name"] == "Ada L."
    assert shown[root.pk]["reply_count"] == 2  # the hidden one is not counted
    assert (shown[hidden.pk]["body"] is None) is not show_withheld
    assert timezone.is_aware(rows[0]["created_at"])
