"""Who may do each new operation on comments (likes, flags, the reader's own lists, the review
queue, approval), as every kind of account: anonymous, a reader, the comment's author, an
Editor, a Moderator, a superuser, and an inactive account (whose token names nobody: 401 on
writes; on reads outside /auth/ it is the public). tests/hardening/test_authorization.py walks
the same operations over its world; this holds the author's and the inactive account's too."""

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import (
    ArticleFactory,
    EditorFactory,
    ModeratorFactory,
    StaffFactory,
    ThreadedCommentFactory,
    UserFactory,
)

ROLES = ("anonymous", "reader", "author", "editor", "moderator", "superuser", "inactive")


def row(*answers) -> dict[str, int]:
    return dict(zip(ROLES, answers, strict=True))


# operation -> (method, path template, body, expected per role)
MATRIX = {
    "like": ("put", "/api/v1/comments/{visible}/like/", None,
        row(401, 200, 403, 200, 200, 200, 401)),
    "unlike": ("delete", "/api/v1/comments/{visible}/like/", None,
        row(401, 200, 200, 200, 200, 200, 401)),
    "like a pending comment": ("put", "/api/v1/comments/{pending}/like/", None,
        row(401, 404, 404, 404, 403, 403, 401)),
    "flag": ("post", "/api/v1/comments/{visible}/flag/", {"reason": "spam"},
        row(401, 201, 403, 201, 201, 201, 401)),
    "flag a pending comment": ("post", "/api/v1/comments/{pending}/flag/", {"reason": "spam"},
        row(401, 404, 404, 404, 403, 403, 401)),
    "my likes": ("get", "/api/v1/auth/me/likes/?article={slug}", None,
        row(401, 200, 200, 200, 200, 200, 401)),
    "my comments": ("get", "/api/v1/auth/me/comments/", None,
        row(401, 200, 200, 200, 200, 200, 401)),
    "the review queue": ("get", "/api/v1/comments/review/", None,
        row(401, 403, 403, 403, 200, 200, 401)),
    "approve a pending comment": ("patch", "/api/v1/comments/{pending}/", {"status": "visible"},
        row(401, 404, 403, 404, 200, 200, 401)),
    "delete one's pending comment": ("delete", "/api/v1/comments/{pending}/", None,
        row(401, 404, 204, 404, 403, 403, 401)),
}  # fmt: skip


def client_as(role: str, users: dict) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        _, token = AuthToken.objects.create(user=users[role])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("operation", MATRIX)
def test_each_role_gets_what_the_matrix_says(operation, settings, fast_password_hasher):
    method, template, body, expected = MATRIX[operation]
    article = ArticleFactory()
    author = UserFactory(username="the-author")
    users = {
        "reader": UserFactory(),
        "author": author,
        "editor": EditorFactory(),
        "moderator": ModeratorFactory(),
        "superuser": StaffFactory(is_superuser=True),
        "inactive": UserFactory(is_active=False),
    }
    got = {}
    for role in ROLES:
        # A fresh world for each role: one's write does not change the next one's answer.
        visible = ThreadedCommentFactory(article=article, author=author)
        pending = ThreadedCommentFactory(article=article, author=author, status="pending")
        path = template.format(visible=visible.pk, pending=pending.pk, slug=article.slug)
        response = getattr(client_as(role, users), method)(path, body, format="json")
        got[role] = response.status_code
        assert response.status_code < 500

    assert got == expected
