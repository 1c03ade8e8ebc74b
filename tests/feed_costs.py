"""What a feed costs to compute (issue 13's target: at most 5 ms at 100,000 articles): a script.

    DATABASE_URL=postgres://.../db uv run python -m tests.feed_costs [--runs 50]

As tests/miss_costs.py measures the API: in-process (django.test.Client, the whole middleware
stack), the response cache off, DEBUG off; per feed, medians over `--runs` rounds of the wall
time, this thread's CPU time and the database's time, and the queries of each request. The
company and the tag are the most prolific ones, the category the commonest. Load the data with
`manage.py generate_fake --articles 100000`. Not a test: pytest collects only test_*.py.
"""

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")
    os.environ["DEBUG"] = "false"
    os.environ["RESPONSE_CACHE"] = "false"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from articles.models import Article, ArticleTag, published_q

    assert not settings.DEBUG and not settings.RESPONSE_CACHE
    published = Article.objects.published()

    def most(rows, name):
        return rows.values(name).annotate(n=Count("id")).order_by("-n", name).first()[name]

    company = most(published, "company__slug")
    category = most(published, "category")
    tag = most(ArticleTag.objects.filter(published_q("article__")), "tag__slug")
    rare_tag = (
        ArticleTag.objects.filter(published_q("article__"))
        .values("tag__slug")
        .annotate(n=Count("id"))
        .order_by("n", "tag__slug")
        .first()["tag__slug"]
    )
    paths = {}
    for fmt in ("rss", "atom", "json"):
        paths[fmt] = f"/feeds/{fmt}/"
    paths |= {
        "rss company": f"/feeds/rss/company/{company}/",
        "rss tag": f"/feeds/rss/tag/{tag}/",
        "rss rare tag": f"/feeds/rss/tag/{rare_tag}/",
        "rss category": f"/feeds/rss/category/{category}/",
        "json tag": f"/feeds/json/tag/{tag}/",
    }
    client = Client(HTTP_HOST="localhost")
    cases = [(name, path, {}, 200) for name, path in paths.items()]
    etag = client.get(paths["rss"])["ETag"]
    cases.append(("rss 304", paths["rss"], {"If-None-Match": etag}, 304))

    database = {"queries": 0, "seconds": 0.0}

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            database["queries"] += 1
            database["seconds"] += time.perf_counter() - started

    responses = {}
    for name, path, headers, expect in cases:
        for _ in range(2):
            responses[name] = response = client.get(path, headers=headers)
        assert response.status_code == expect, (name, response.status_code, response.content[:300])
    measured = {name: ([], [], [], set()) for name, *_ in cases}
    with connection.execute_wrapper(timed):
        for _ in range(args.runs):
            for name, path, headers, _expect in cases:
                walls, cpus, dbs, queries = measured[name]
                database.update(queries=0, seconds=0.0)
                wall, cpu = time.perf_counter(), time.thread_time()
                client.get(path, headers=headers)
                cpus.append(time.thread_time() - cpu)
                walls.append(time.perf_counter() - wall)
                dbs.append(database["seconds"])
                queries.add(database["queries"])

    def ms(values) -> float:
        return statistics.median(values) * 1000

    print(f"{'feed':<14} {'wall ms':>7} {'cpu ms':>7} {'db ms':>7} {'queries':>7} {'bytes':>7}")
    for name, (walls, cpus, dbs, queries) in measured.items():
        counts = ",".join(map(str, sorted(queries)))
        print(
            f"{name:<14} {ms(walls):7.2f} {ms(cpus):7.2f} {ms(dbs):7.2f} {counts:>7} "
            f"{len(responses[name].content):7d}"
        )
    print(
        f"(medians of {args.runs} rounds; {Article.objects.count():,} articles, "
        f"{connection.vendor})"
    )


if __name__ == "__main__":
    main()
