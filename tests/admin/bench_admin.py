"""Time the admin's list pages on a big database (not a test: pytest does not collect it).

    export DATABASE_URL=postgres://...
    uv run python manage.py generate_fake --articles 100000 --comments 1000000
    uv run python -m tests.admin.bench_admin [--runs 7]

Signs in as a superuser (created if missing) with Django's test client, requests each URL once
to warm up, then `--runs` times; prints the median and the slowest time, and the number of
queries of the last run.
"""

import argparse
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from articles.models import Article, Tag  # noqa: E402
from comments.models import Comment  # noqa: E402
from companies.models import Company  # noqa: E402


def urls() -> list[str]:
    company = Company.objects.order_by("pk").first()  # the busiest company of generate_fake
    tag = Tag.objects.order_by("pk").first()
    article = Comment.objects.order_by("-pk").values_list("article", flat=True).first()
    heavy = Comment.objects.order_by("pk").values_list("article", flat=True).first()  # 100k
    author = Comment.objects.order_by("-pk").values_list("author", flat=True).first()
    username = get_user_model().objects.get(pk=author).username
    newest = Article.objects.order_by("-pk").values_list("pk", flat=True).first()
    return [
        "/admin/",
        "/admin/articles/article/",
        "/admin/articles/article/?p=50",
        "/admin/articles/article/?state=scheduled",
        "/admin/articles/article/?state=draft",
        "/admin/articles/article/?category__exact=research",
        f"/admin/articles/article/?company={company.pk}",
        f"/admin/articles/article/?tag={tag.pk}",
        "/admin/articles/article/?published_at__gte=2026-01-01+00:00:00%2B00:00"
        "&published_at__lt=2026-02-01+00:00:00%2B00:00",
        "/admin/articles/article/?q=alignment",
        "/admin/articles/article/?q=reinforcement+learning",
        "/admin/articles/article/?q=zzzunfindable",
        f"/admin/articles/article/?q=safety&company={company.pk}&state=published",
        "/admin/articles/tag/",
        "/admin/articles/tag/?o=-3",
        "/admin/companies/company/",
        "/admin/companies/company/?o=-4",
        "/admin/comments/comment/",
        "/admin/comments/comment/?p=100",
        "/admin/comments/comment/?status__exact=hidden",
        f"/admin/comments/comment/?article={article}",
        f"/admin/comments/comment/?article={heavy}",
        f"/admin/comments/comment/?article={heavy}&q=benchmark",
        f"/admin/comments/comment/?author={author}",
        "/admin/comments/comment/?q=benchmark",
        "/admin/comments/comment/?q=zzzunfindable",
        f"/admin/comments/comment/?q=%40{username}",
        "/admin/autocomplete/?app_label=comments&model_name=comment&field_name=article&term=align",
        "/admin/admin/logentry/",
        f"/admin/articles/article/{newest}/change/",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    print(f"{connection.vendor}: {Article.objects.count()} articles, ", end="")
    print(f"{Comment.objects.count()} comments; {runs} runs each\n")
    print(f"{'median ms':>9} {'max ms':>7} {'queries':>7}  url")
    for url in urls():
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        median = statistics.median(times)
        print(f"{median:9.1f} {max(times):7.1f} {len(queries):7d}  {url}")


if __name__ == "__main__":
    main()
