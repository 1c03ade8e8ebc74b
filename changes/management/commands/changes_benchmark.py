"""`manage.py changes_benchmark`: what the change feed costs, on the database configured (run
it on PostgreSQL with generate_fake's data: `generate_fake --articles 100000`).

- the feed: a page of 100 computed (the head, the page, its `data` in batch, the JSON), median
  of `--rounds`, and the same through the whole stack (Django's test client, middleware);
- the writes: `--writes` article_unpublish + article_publish pairs, comment_create calls and
  comments POSTed through the API (the whole stack, as a client sees it; run it with
  THROTTLE_COMMENT_POST raised), each committed, with the outbox and with it switched off,
  interleaved, medians per call.

It writes to the database (publications, comments, changes): a benchmark database only.
"""

import statistics
import time
from contextlib import contextmanager

import orjson
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client

from accounts.services import auth_token_issue
from articles.models import Article
from articles.services import article_publish, article_unpublish
from changes import outbox
from changes.models import Change
from changes.tasks import catch_up
from changes.views import feed_page, since_token
from comments.services import comment_create


@contextmanager
def outbox_off():
    real = outbox.touched
    outbox.touched = lambda **kwargs: []  # type: ignore[assignment]
    try:
        yield
    finally:
        outbox.touched = real  # type: ignore[assignment]


class Command(BaseCommand):
    help = "Time the change feed's page of 100 and the outbox's cost on writes."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=50)
        parser.add_argument("--writes", type=int, default=100)
        parser.add_argument(
            "--announce", type=int, default=5, help="catch-up batches first, if few changes"
        )

    def handle(self, *args, rounds, writes, announce, **options):
        self.stdout.write(
            f"{connection.vendor}: {Article.objects.count()} articles, "
            f"{Change.objects.count()} changes"
        )
        if Change.objects.count() < 1000:
            for _ in range(announce):
                started = time.perf_counter()
                n = catch_up()
                took = time.perf_counter() - started
                self.stdout.write(f"catch-up: {n} articles announced in {took:.2f}s")
        self.feed(rounds)
        if writes:
            self.writes(writes)

    def feed(self, rounds: int) -> None:
        ids = list(Change.objects.order_by("id").values_list("id", flat=True))
        starts = ids[:: max(1, len(ids) // rounds)][:rounds]
        computed, served = [], []
        client = Client(HTTP_HOST="localhost")
        for start in starts:
            t0 = time.perf_counter()
            body = feed_page(Change.objects.all(), start, 100)
            page = body["results"]
            orjson.dumps(body)
            computed.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            response = client.get(
                "/api/v1/changes/", {"since": since_token(start), "page_size": 100}
            )
            served.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.content[:300]
        kinds = {c["type"].partition(".")[0] for c in page}
        self.stdout.write(
            f"feed, page of 100 ({len(starts)} pages; kinds on the last: {sorted(kinds)}): "
            f"computed median {statistics.median(computed) * 1000:.2f} ms "
            f"(p90 {statistics.quantiles(computed, n=10)[-1] * 1000:.2f}); "
            f"served by the stack median {statistics.median(served) * 1000:.2f} ms"
        )

    def writes(self, n: int) -> None:
        User = get_user_model()
        articles = list(Article.objects.published().order_by("-published_at")[: 2 * n])
        author = User.objects.filter(is_active=True, is_staff=False).first()
        _, token = auth_token_issue(user=author)
        client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
        timings: dict[str, list[float]] = {}

        def post(article: Article, body: str) -> None:
            response = client.post(
                f"/api/v1/articles/{article.slug}/comments/",
                {"body": body},
                content_type="application/json",
            )
            assert response.status_code == 201, response.content[:300]

        def timed(name: str, work) -> None:
            t0 = time.perf_counter()
            work()
            timings.setdefault(name, []).append(time.perf_counter() - t0)

        for i in range(n):
            on, off = articles[2 * i], articles[2 * i + 1]
            for label, article, switch in (("on", on, None), ("off", off, outbox_off)):
                with switch() if switch else _nothing():

                    def cycle(article=article):
                        article_unpublish(article=article, by=None)
                        article_publish(article=article, by=None)

                    timed(f"unpublish+publish, outbox {label}", cycle)
                    timed(
                        f"comment_create, outbox {label}",
                        lambda article=article, i=i: comment_create(
                            article=article, author=author, body=f"Benchmark comment {i}"
                        ),
                    )
                    timed(
                        f"POST a comment (the API), outbox {label}",
                        lambda article=article, i=i: post(article, f"Benchmark post {i}"),
                    )
        self.stdout.write("(POST: the whole stack, Django's test client with a token)")
        for what in ("unpublish+publish", "comment_create", "POST a comment (the API)"):
            on = statistics.median(timings[f"{what}, outbox on"]) * 1000
            off = statistics.median(timings[f"{what}, outbox off"]) * 1000
            self.stdout.write(
                f"{what}: {off:.2f} ms without the outbox, {on:.2f} ms with it "
                f"(x{on / off:.2f}, median of {n})"
            )


@contextmanager
def _nothing():
    yield
