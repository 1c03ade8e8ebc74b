import pytest

from articles.models import Article
from comments.models import Comment


@pytest.fixture(autouse=True)
def _isolated(empty_cache, fast_password_hasher):
    """Every test here starts with empty throttle counters and a fast password hasher."""


def thread_url(article) -> str:
    return f"/api/v1/articles/{article.slug}/comments/"


def comment_url(comment) -> str:
    return f"/api/v1/comments/{comment.pk}/"


def snapshot() -> list[dict]:
    """Every stored comment, every field: to show that a refused request wrote nothing."""
    return list(Comment.objects.order_by("pk").values())


def set_rate(settings, scope: str, rate: str) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, scope: rate},
    }


def comment_count(article) -> int:
    """The article's stored comment_count, once every count the services keep on its comments
    (it and each comment's reply_count) is checked against a count of the comments themselves."""
    comments = list(Comment.objects.filter(article=article).values("id", "path", "status"))
    visible = [c for c in comments if c["status"] == Comment.Status.VISIBLE]
    stored = dict(Comment.objects.filter(article=article).values_list("id", "reply_count"))
    for comment in comments:
        beneath = sum(
            1 for v in visible if v["path"].startswith(comment["path"]) and v["id"] != comment["id"]
        )
        assert stored[comment["id"]] == beneath, comment
    count = Article.objects.values_list("comment_count", flat=True).get(pk=article.pk)
    assert count == len(visible)
    return count
