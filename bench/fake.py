"""Deterministic synthetic data at scale, for the benchmark: `manage.py generate_fake` (its
command, botbeat/management/commands/generate_fake.py) loads it, and bench/scenarios.py picks
its URLs from it by the same NAMES and WORDS. Every app's rows: companies, tags, articles with
their takeaways, readers, comments.

The shape is a news site's: a few companies write most articles and tag popularity has a long
tail (both Zipf-like), about 3% of articles are drafts and 1% scheduled (in 2099, so always in
the future), a handful of articles carry thousands of comments and most a few, and about a third
of comments are replies, nested up to the thread's maximum depth, with some hidden or removed.
The same arguments give the same rows (ids included, on an empty database).

Titles and summaries name made-up products (NAMES) with a long-tail popularity, what a
reader would search for; the running text around them draws on a small vocabulary (WORDS), its
first words in most articles.

Rows go in with COPY on PostgreSQL (100,000 articles and 1,000,000 comments load in about 90
seconds here) and bulk_create elsewhere, with ids assigned here so that links need no lookups.
"""

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from tqdm import tqdm

from articles.models import Article, ArticleTag, Category, Status, Tag, Takeaway
from articles.services import article_refresh_search_vector, tag_counts_refresh
from comments.models import MAX_DEPTH, Comment, thread_place
from comments.services import comment_counts_refresh
from companies.models import Company
from companies.services import company_counts_refresh

REAL_COMPANIES = [
    "OpenAI", "Anthropic", "Google DeepMind", "Meta AI", "Microsoft", "Nvidia", "Intel",
    "Mistral AI", "Cohere", "xAI", "Hugging Face", "Stability AI", "AMD", "Apple", "Amazon",
    "Perplexity", "Databricks", "Scale AI", "Runway", "Character.AI",
]  # fmt: skip
WORDS = (  # noqa: SIM905  (a paragraph reads better than a list of 70 strings)
    "model agent alignment safety benchmark reasoning training inference chip cluster dataset "
    "policy regulation funding launch partnership research open source multimodal vision speech "
    "robotics healthcare diagnosis code assistant search retrieval memory context window latency "
    "throughput energy datacenter startup acquisition evaluation red team interpretability "
    "fine-tuning distillation quantization sparse mixture experts reinforcement learning "
    "feedback preference privacy copyright lawsuit education science biology chemistry math"
).split()
# Words of running text are drawn with Zipf-like frequencies (the first most often), as in
# real text: "model" is in most articles, "math" in far fewer.
WORD_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(WORDS))))
# What a reader searches for: the names of products and models. Made-up words, the same for
# every seed, each article naming one or two of them with a long-tail popularity: the most
# named is in about 8% of articles, the hundredth in 0.1%.
NAME_COUNT = 2000
SYLLABLES = [c + v for c in "bdfgklmnprtvz" for v in "aeiou"]


def made_up_names(count: int) -> list[str]:
    rng = random.Random(0)
    names: dict[str, None] = {}
    while len(names) < count:
        names["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + "x"] = None
    return list(names)


NAMES = made_up_names(NAME_COUNT)
PUBLISHED_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
PUBLISHED_SPAN = int((dt.datetime(2026, 6, 30, tzinfo=dt.UTC) - PUBLISHED_FROM).total_seconds())
SCHEDULED_AT = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
HEAVY_THREADS = 5  # articles with thousands of comments


class ZipfChooser:
    """Draws 0..n-1 with weight 1/(rank+1)^s: a few very popular items and a long tail."""

    def __init__(self, rng: random.Random, n: int, s: float = 1.1):
        weights = [1 / (rank + 1) ** s for rank in range(n)]
        self.cumulative = list(itertools.accumulate(weights))
        self.rng = rng

    def draw(self) -> int:
        point = self.rng.random() * self.cumulative[-1]
        return bisect.bisect_left(self.cumulative, point)


def sentence(rng: random.Random, words: int, name: str = "") -> str:
    drawn = rng.choices(WORDS, cum_weights=WORD_WEIGHTS, k=words)
    if name:
        drawn.insert(rng.randrange(len(drawn) + 1), name.capitalize())
    text = " ".join(drawn)
    return text[0].upper() + text[1:] + "."


class FakeData:
    """Writes the data, drawn from `seed`; progress bars on stderr unless `verbosity` is 0."""

    def __init__(self, *, seed: int, verbosity: int = 1):
        self.rng = random.Random(seed)
        self.seed = seed
        self.verbosity = verbosity

    def has_articles(self) -> bool:
        return Article.objects.exists()

    def load(self, *, articles: int, comments: int, companies: int, tags: int, users: int) -> None:
        """Every row, then the counts the services keep, the search vectors and statistics."""
        with transaction.atomic():
            company_ids = self.make_companies(companies)
            tag_ids = self.make_tags(tags)
            user_ids = self.make_users(users) if comments else []
            public_ids = self.make_articles(articles, company_ids, tag_ids)
            if comments and public_ids:
                self.make_comments(comments, public_ids, user_ids)
                comment_counts_refresh()  # the counts the comment services keep, for COPY's rows
            # COPY and bulk_create pass by the services: recount every tag and company.
            tag_counts_refresh(tag_ids=Tag.objects.values_list("pk", flat=True))
            company_counts_refresh(company_ids=Company.objects.values_list("pk", flat=True))
            self.reset_sequences()
        self.refresh_search(range(self.first_article_id, self.next_id(Article)))
        if connection.vendor == "postgresql":
            # What autovacuum would do after a while: statistics for the planner, and the
            # visibility map, without which an index-only scan (the tag weights of suggested)
            # still visits every row it counts. VACUUM cannot run in a transaction (a test's).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")

    # Writing rows

    def progress(self, iterable: Iterable, total: int, desc: str) -> Iterator:
        return iter(tqdm(iterable, total=total, desc=desc, disable=self.verbosity < 1, ncols=80))

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]):
        """COPY on PostgreSQL, bulk_create in batches elsewhere; `rows` match `fields`."""
        columns = [model._meta.get_field(name).column for name in fields]
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        batch = []
        for row in rows:
            batch.append(
                model(
                    **{
                        f.attname: v
                        for f, v in zip(self.fields_of(model, fields), row, strict=True)
                    }
                )
            )
            if len(batch) >= 2000:
                model.objects.bulk_create(batch)
                batch = []
        model.objects.bulk_create(batch)

    @staticmethod
    def fields_of(model, names):
        return [model._meta.get_field(name) for name in names]

    def next_id(self, model: type[models.Model]) -> int:
        return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1

    def clear(self) -> None:
        """Delete every article, comment, tag and company, and the fake readers."""
        with transaction.atomic():
            Comment.objects.all().delete()
            Article.objects.all().delete()
            Tag.objects.all().delete()
            Company.objects.all().delete()
            get_user_model().objects.filter(username__startswith="fake-").delete()

    def reset_sequences(self):
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in (Company, Tag, Article, ArticleTag, Takeaway, Comment, get_user_model()):
                table, pk = model._meta.db_table, model._meta.pk.column
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{pk}'), "
                    f"COALESCE((SELECT MAX({pk}) FROM {table}), 1))"
                )

    # The data

    def make_companies(self, count: int) -> list[int]:
        first = self.next_id(Company)
        ids = list(range(first, first + count))
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

        def rows():
            for i, pk in enumerate(ids):
                name = REAL_COMPANIES[i] if i < len(REAL_COMPANIES) else f"Lab {i + 1}"
                slug = f"{name.lower().replace(' ', '-').replace('.', '')}-{self.seed}-{i}"
                yield (
                    pk,
                    slug,
                    name,
                    f"{name} builds AI.",
                    f"https://{slug}.example",
                    "",
                    now,
                    now,
                )

        self.insert(
            Company,
            [
                "id",
                "slug",
                "name",
                "description",
                "website_url",
                "logo_url",
                "created_at",
                "updated_at",
            ],
            rows(),
        )
        return ids

    def make_tags(self, count: int) -> list[int]:
        first = self.next_id(Tag)
        ids = list(range(first, first + count))
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self.insert(
            Tag,
            ["id", "slug", "name", "created_at"],
            ((pk, f"topic-{self.seed}-{i}", f"Topic {i + 1}", now) for i, pk in enumerate(ids)),
        )
        return ids

    def make_users(self, count: int) -> list[int]:
        User = get_user_model()
        first = self.next_id(User)
        ids = list(range(first, first + count))
        joined = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        fields = ["id", "username", "password", "is_active", "is_staff", "is_superuser"]
        fields += ["first_name", "last_name", "email", "date_joined"]
        self.insert(
            User,
            fields,
            # "!" is an unusable password: these readers cannot sign in.
            ((pk, f"fake-{self.seed}-{i}", "!", True, False, False, "", "", "", joined)
             for i, pk in enumerate(ids)),
        )  # fmt: skip
        return ids

    def make_articles(self, count: int, company_ids, tag_ids) -> list[int]:
        """Articles with their takeaways and tags; returns the public articles' ids."""
        rng = self.rng
        first = self.first_article_id = self.next_id(Article)
        companies = ZipfChooser(rng, len(company_ids))
        tags = ZipfChooser(rng, len(tag_ids), s=1.0)
        names = ZipfChooser(rng, len(NAMES), s=1.0)
        categories = Category.values
        public, links, takeaways = [], [], []
        created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

        def rows():
            for i in self.progress(range(count), count, "articles"):
                pk = first + i
                roll = rng.random()
                status = Status.DRAFT if roll < 0.03 else Status.PUBLISHED
                if 0.03 <= roll < 0.04:
                    published_at = SCHEDULED_AT + dt.timedelta(seconds=i)
                else:
                    published_at = PUBLISHED_FROM + dt.timedelta(
                        seconds=rng.randrange(PUBLISHED_SPAN)
                    )
                    if status == Status.PUBLISHED:
                        public.append(pk)
                name, other = NAMES[names.draw()], NAMES[names.draw()]
                title = sentence(rng, rng.randint(5, 11), name)[:-1]
                summary = sentence(rng, rng.randint(12, 24), name) + " "
                summary += " ".join(sentence(rng, rng.randint(12, 24)) for _ in range(2)) + " "
                summary += sentence(rng, rng.randint(12, 24), other if rng.random() < 0.3 else "")
                for tag in {tag_ids[tags.draw()] for _ in range(rng.randint(2, 5))}:
                    links.append((pk, tag))
                for position in range(3):
                    takeaways.append((pk, position, sentence(rng, rng.randint(10, 20))))
                yield (
                    pk, f"{title.lower().replace(' ', '-')[:150]}-{self.seed}-{i}", title,
                    company_ids[companies.draw()], rng.choice(categories), status, published_at,
                    summary, sentence(rng, 30), "Hacker News", f"https://news.example/{i}",
                    [], True, created, created,
                )  # fmt: skip

        fields = ["id", "slug", "title", "company", "category", "status", "published_at"]
        fields += ["summary", "editorial_opinion", "source_name", "source_url", "authors"]
        fields += ["comments_open", "created_at", "updated_at"]
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            self.insert(Article, fields, ((*r[:11], Jsonb(r[11]), *r[12:]) for r in rows()))
        else:
            self.insert(Article, fields, rows())
        link_id, takeaway_id = self.next_id(ArticleTag), self.next_id(Takeaway)
        self.insert(
            ArticleTag,
            ["id", "article", "tag"],
            ((link_id + n, a, t) for n, (a, t) in enumerate(links)),
        )
        self.insert(
            Takeaway,
            ["id", "article", "position", "text"],
            ((takeaway_id + n, *row) for n, row in enumerate(takeaways)),
        )
        return public

    def make_comments(self, count: int, public_ids: list[int], user_ids: list[int]) -> None:
        rng = self.rng
        first = self.next_id(Comment)
        # Heavy threads take half the comments; the rest follow a long tail over the articles.
        heavy = public_ids[:HEAVY_THREADS]
        spread = ZipfChooser(rng, len(public_ids), s=0.8)
        shuffled = public_ids[:]
        rng.shuffle(shuffled)
        threads: dict[int, list[SimpleNamespace]] = {}  # article -> its comments so far
        started = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)

        def rows():
            for n in self.progress(range(count), count, "comments"):
                pk = first + n
                even = n % 2 == 0
                article = heavy[n // 2 % len(heavy)] if even else shuffled[spread.draw()]
                thread = threads.setdefault(article, [])
                parent = None
                if thread and rng.random() < 0.35:
                    parent = thread[rng.randrange(max(0, len(thread) - 50), len(thread))]
                    if parent.depth >= MAX_DEPTH:
                        parent = None
                depth = parent.depth + 1 if parent else 0
                path, root = thread_place(pk=pk, parent=parent)
                thread.append(SimpleNamespace(pk=pk, depth=depth, path=path, thread=root))
                roll = rng.random()
                status = "hidden" if roll < 0.02 else "removed" if roll < 0.04 else "visible"
                created_at = started + dt.timedelta(seconds=n)
                yield (
                    pk, article, user_ids[rng.randrange(len(user_ids))],
                    parent.pk if parent else None, depth, path, root,
                    sentence(rng, rng.randint(5, 40)), status, created_at, None,
                )  # fmt: skip

        fields = ["id", "article", "author", "parent", "depth", "path", "thread", "body", "status"]
        fields += ["created_at", "edited_at"]
        self.insert(Comment, fields, rows())

    def refresh_search(self, article_ids: Sequence[int]) -> None:
        if connection.vendor != "postgresql":
            return
        step = 5000
        batches = range(0, len(article_ids), step)
        for start in self.progress(batches, len(batches), "search index"):
            article_refresh_search_vector(article_ids=article_ids[start : start + step])
