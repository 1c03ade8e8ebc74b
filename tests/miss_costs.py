"""What an anonymous answer costs to compute when the response cache misses: a script.

    DATABASE_URL=postgres://.../botbeat_cheap_bench uv run python -m tests.miss_costs [--runs 50]

In-process (django.test.Client, the whole middleware stack), the response cache off, DEBUG off:
per endpoint, medians over `--runs` rounds (each endpoint once a round, after two warm-up
requests): the wall time, this thread's CPU time (which the machine's other processes change
less) and the time spent in the database's calls (wall), and the queries of each request.
The URLs are picked from the data as `manage.py benchmark` picks them (the most prolific
company's newest article, the most common tag, the most commented article). Not a test: pytest
collects only test_*.py.
"""

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--only", help="comma-separated endpoint names")
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
    from comments.models import Comment

    assert not settings.DEBUG and not settings.RESPONSE_CACHE
    published = Article.objects.published()
    company = (
        published.values("company__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "company__slug")
        .first()
    )
    tag = (
        ArticleTag.objects.filter(published_q("article__"))
        .values("tag__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__slug")
        .first()
    )
    article = (
        published.filter(company__slug=company["company__slug"])
        .newest_first()
        .values_list("slug", flat=True)
        .first()
    )
    commented = (
        Comment.objects.filter(published_q("article__"))
        .values("article__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "article__slug")
        .first()
    )
    feed = "/api/v1/articles/"
    endpoints = {
        "feed": feed,
        "detail": f"{feed}{article}/",
        "more-from-company": f"{feed}{article}/more-from-company/",
        "feed ?company": f"{feed}?company={company['company__slug']}",
        "feed ?tag": f"{feed}?tag={tag['tag__slug']}",
        "suggested": f"{feed}{article}/suggested/",
        "comments (200)": f"{feed}{commented['article__slug']}/comments/",
        "comments (500)": f"{feed}{commented['article__slug']}/comments/?page_size=500",
    }
    client = Client(HTTP_HOST="localhost")
    wanted = set(args.only.split(",")) if args.only else None
    cases = [(name, path, {}, 200) for name, path in endpoints.items()]
    for name in ("feed", "detail", "comments (200)"):
        etag = client.get(endpoints[name])["ETag"]
        cases.append((f"{name} 304", endpoints[name], {"If-None-Match": etag}, 304))
    cases = [case for case in cases if not wanted or case[0] in wanted]

    database = {"queries": 0, "seconds": 0.0}

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            database["queries"] += 1
            database["seconds"] += time.perf_counter() - started

    responses = {}
    for name, path, headers, expect in cases:  # warm-up, and the answers checked
        for _ in range(2):
            responses[name] = response = client.get(path, headers=headers)
        assert response.status_code == expect, (name, response.status_code, response.content[:300])
    # In rounds, every endpoint once a round: the machine's noise falls on all alike.
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

    def ms(values, quantile=None) -> float:
        if quantile is None:
            return statistics.median(values) * 1000
        return statistics.quantiles(values, n=10)[0] * 1000

    print(
        f"{'endpoint':<20} {'wall ms':>7} {'p10':>6} {'cpu ms':>7} {'db ms':>7} "
        f"{'queries':>7} {'bytes':>7}"
    )
    for name, (walls, cpus, dbs, queries) in measured.items():
        counts = ",".join(map(str, sorted(queries)))
        print(
            f"{name:<20} {ms(walls):7.2f} {ms(walls, 0.1):6.2f} {ms(cpus):7.2f} {ms(dbs):7.2f} "
            f"{counts:>7} {len(responses[name].content):7d}"
        )
    print(
        f"(medians of {args.runs} rounds, p10 the fastest tenth's bound; "
        f"{Article.objects.count():,} articles, {Comment.objects.count():,} comments)"
    )


if __name__ == "__main__":
    main()
