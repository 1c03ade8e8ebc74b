import pytest

from tests.factories import ArticleFactory


@pytest.mark.django_db
def test_feed_lists_a_published_article(api):
    article = ArticleFactory()

    response = api.get("/api/v1/articles/")

    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["results"]] == [article.slug]
