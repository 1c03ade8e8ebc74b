import pytest

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
