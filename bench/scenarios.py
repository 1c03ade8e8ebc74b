"""What the benchmark measures: the per-endpoint table, the URL mix and the phases.

The per-endpoint table drives one URL at a time (the feed, its deep page, a filter, search,
the article and its panels, a thread, a 304) into a warm cache: what each endpoint costs.

The mix is what readers do: thousands of distinct public URLs of every kind (`mix_groups`),
each group given a share of the traffic and, inside it, Zipf weights by popularity rank (the
newest articles, the biggest companies, the commonest tags and searches first): a few URLs
take most requests and a long tail is asked rarely, so a cache holds the head and the tail
misses. wrk draws from it (bench/load.py, `mix_script`).

A phase is the mix under a trickle of writes: none, comment posts or sign-ins per second.
"""

import base64
import datetime as dt
import itertools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

FEED = "/api/v1/articles/"
FEED_PAGE_SIZE = 20  # the feed's default page size, which the deep cursor's page counts in
DEEP_PAGE = 5000
SEARCH_NAME_RANK = 10  # the search row's query: generate_fake's tenth most named product
DEFAULT_MIX_URLS = 4000
MIN_MIX_URLS = 3000  # the floor; a smaller size's data may not reach it (reported)
DEFAULT_ZIPF = 1.0

# Each group's share of the mix's requests, in percent (normalised): what a news site's
# readers ask most is an article and the feed; lists of tags and companies, rarely.
SHARES = {
    "feed": 10,
    "feed by cursor": 6,
    "feed ?company": 5,
    "feed ?tag": 5,
    "feed ?tag&tag": 2,
    "feed ?category": 2,
    "feed ?published_after/before": 2,
    "search ?q": 8,
    "detail": 27,
    "more-from-company": 7,
    "suggested": 7,
    "comments": 9,
    "tag list": 1.5,
    "tag detail": 2,
    "company list": 1.5,
    "company detail": 2,
}


# The per-endpoint table


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    load: bool = True  # False: only measured in-process (too slow to drive with wrk)


def encode_feed_cursor(values: list) -> str:
    """A cursor as botbeat.pagination encodes it (checked against a real `next` link)."""
    from articles.filters import Ordering

    payload = {"o": Ordering.NEWEST, "k": values, "r": False}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_of(url: str | None) -> str | None:
    match = re.search(r"[?&]cursor=([^&]+)", url or "")
    return match[1] if match else None


@dataclass
class EndpointChoice:
    endpoints: list[Endpoint]
    notes: list[str]
    page_two_cursor: str | None  # checked against the feed's real `next` link


def choose_endpoints(ceiling: str) -> EndpointChoice:
    """The per-endpoint table's URLs, picked from the data just loaded: the feed 5,000 pages
    deep, a popular tag and company, the newest article of that company, the most-commented
    article, a middling search and the commonest word (in-process only)."""
    from articles.filters import Ordering, search_articles
    from articles.models import Article, ArticleTag, published_q
    from articles.views import KEYSETS
    from bench.fake import NAMES, WORDS
    from comments.models import Comment

    now = timezone.now()
    published = Article.objects.published(now)
    newest = published.newest_first().only("id", "published_at")
    keyset = KEYSETS[Ordering.NEWEST]
    total = published.count()
    if total == 0:
        raise ValueError("generate_fake published no article: nothing to measure.")
    notes = []

    # The deep page, by its cursor: the key of the last row of the page before it. Page
    # 5,000 needs 100,000 published articles; with fewer, the deepest full page stands in.
    full_pages = max(1, total // FEED_PAGE_SIZE)
    page = min(DEEP_PAGE, full_pages)
    deep = FEED
    if page > 1:
        row = newest[(page - 1) * FEED_PAGE_SIZE - 1]
        deep = f"{FEED}?cursor={encode_feed_cursor(keyset.values_of(row))}"
    note = f"feed deep cursor: page {page:,}, {total:,} articles published"
    if page < DEEP_PAGE:
        note += (
            f" (the deepest full page: page {DEEP_PAGE:,} needs "
            f"{DEEP_PAGE * FEED_PAGE_SIZE:,} published articles)"
        )
    notes.append(note)
    page_two = None
    if total > FEED_PAGE_SIZE:
        page_two = encode_feed_cursor(keyset.values_of(newest[FEED_PAGE_SIZE - 1]))

    tag = (
        ArticleTag.objects.filter(published_q("article__", now))
        .values("tag__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__slug")
        .first()
    )
    company = (
        published.values("company__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "company__slug")
        .first()
    )
    article = (
        published.filter(company__slug=company["company__slug"])
        .newest_first()
        .values_list("slug", flat=True)
        .first()
    )
    commented = (
        Comment.objects.filter(published_q("article__", now))
        .values("article__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "article__slug")
        .first()
    )
    # A reader's search: a product name of middling popularity (the tenth most named).
    # And the worst case, the most common word of the running text, only in-process.
    name, word = NAMES[SEARCH_NAME_RANK - 1], WORDS[0]
    matches = search_articles(published, name).count()
    common = search_articles(published, word).count()
    notes.append(
        f"feed ?tag: {tag['tag__slug']} ({tag['n']:,} published articles); ?company: "
        f"{company['company__slug']} ({company['n']:,}); search ?q={name} "
        f"({matches:,} matches); search common word: ?q={word} ({common:,} matches, "
        f"measured in-process only); detail, more-from-company, suggested: {article} (the "
        "company's newest)"
        + (
            f"; comments: {commented['article__slug']} ({commented['n']:,} comments, "
            "the most commented: its first page, 200 comments)"
            if commented
            else ""
        )
    )

    endpoints = [
        Endpoint("ceiling", ceiling),
        Endpoint("feed", FEED),
        Endpoint("feed deep cursor", deep),
        Endpoint("feed ?tag", f"{FEED}?tag={tag['tag__slug']}"),
        Endpoint("feed ?company", f"{FEED}?company={company['company__slug']}"),
        Endpoint(
            "feed ?tag&company",
            f"{FEED}?tag={tag['tag__slug']}&company={company['company__slug']}",
        ),
        Endpoint("search ?q", f"{FEED}?q={name}"),
        Endpoint("search common word", f"{FEED}?q={word}", load=False),
        Endpoint("detail", f"{FEED}{article}/"),
        Endpoint("more-from-company", f"{FEED}{article}/more-from-company/"),
        Endpoint("suggested", f"{FEED}{article}/suggested/"),
    ]
    if commented:
        endpoints.append(Endpoint("comments", f"{FEED}{commented['article__slug']}/comments/"))
    # Its If-None-Match is the feed's ETag, set once the feed has answered.
    endpoints.append(Endpoint("feed 304", FEED, expect=304))
    return EndpointChoice(endpoints, notes, page_two)


# The mix


def zipf_weights(n: int, s: float = DEFAULT_ZIPF) -> list[float]:
    """Weights 1/(rank+1)^s for ranks 0..n-1, summing to 1: rank 0 is asked most."""
    if n < 0 or s < 0:
        raise ValueError("n and s must be non-negative")
    raw = [1 / (rank + 1) ** s for rank in range(n)]
    total = sum(raw)
    return [w / total for w in raw]


@dataclass
class Group:
    name: str
    share: float  # of the mix's requests, any unit (normalised over the groups)
    paths: list[str]  # most popular first


@dataclass(frozen=True)
class MixUrl:
    path: str
    weight: float  # probability of being drawn; the mix's weights sum to 1
    group: str


def trim(groups: list[Group], limit: int) -> list[Group]:
    """Groups cut to at most `limit` paths in all, each keeping its most popular ones: every
    group is cut to one cap, the largest that fits, so small groups stay whole and only the long
    ones (details, tags) lose their tails."""
    sizes = [len(g.paths) for g in groups]
    if sum(sizes) <= limit:
        return groups
    cap = 0
    while sum(min(n, cap + 1) for n in sizes) <= limit:
        cap += 1
    return [Group(g.name, g.share, g.paths[:cap]) for g in groups]


def build_mix(groups: list[Group], s: float = DEFAULT_ZIPF) -> list[MixUrl]:
    """Each group's share spread over its paths by Zipf weight; a path already in an earlier
    group is not repeated (its first group keeps it); empty groups are left out."""
    seen: set[str] = set()
    kept: list[Group] = []
    for group in groups:
        paths = [p for p in dict.fromkeys(group.paths) if p not in seen]
        seen.update(paths)
        if paths and group.share > 0:
            kept.append(Group(group.name, group.share, paths))
    total_share = sum(g.share for g in kept)
    mix = []
    for group in kept:
        for path, weight in zip(group.paths, zipf_weights(len(group.paths), s), strict=True):
            mix.append(MixUrl(path, group.share / total_share * weight, group.name))
    return mix


def composition(mix: list[MixUrl]) -> list[tuple[str, int, float, float]]:
    """Per group, in the mix's order: (group, distinct URLs, share of requests, share taken by
    its most popular URL)."""
    rows: dict[str, list] = {}
    for url in mix:
        row = rows.setdefault(url.group, [url.group, 0, 0.0, 0.0])
        row[1] += 1
        row[2] += url.weight
        row[3] = max(row[3], url.weight)
    return [tuple(row) for row in rows.values()]


def interleave(*lists: list[str]) -> list[str]:
    """The first of each list, then the second of each, ...: ranks merged fairly."""
    out = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def mix_groups(follow: Callable[[str, int], list[str]], *, limit: int) -> list[Group]:
    """The mix's URLs, picked from the data, most popular first in each group; about `limit`
    in all (`trim`).

    `follow(path, pages)` returns the paths of up to `pages` pages after `path`, by their `next`
    links (the caller requests them): pages reached by cursor are the API's own cursors.
    """
    from articles.models import Article, ArticleTag, Tag, published_q
    from bench.fake import NAMES, WORDS
    from comments.models import Comment

    now = timezone.now()
    published = Article.objects.published(now)
    newest = list(published.newest_first().values_list("slug", flat=True)[:2000])

    def by_count(rows, name: str) -> list[str]:
        """`name`'s values, the most counted first."""
        rows = rows.values(name).annotate(n=Count("id")).order_by("-n", name)
        return [row[name] for row in rows]

    tags = by_count(ArticleTag.objects.filter(published_q("article__", now)), "tag__slug")
    companies = by_count(published, "company__slug")
    categories = by_count(published, "category")
    commented = by_count(Comment.objects.filter(published_q("article__", now)), "article__slug")
    with_comments = set(commented)
    span = published.order_by("published_at").values_list("published_at", flat=True)
    oldest, latest = span.first(), span.last()
    tag_count, company_count = Tag.objects.visible_to(None).count(), len(companies)

    firsts = [
        FEED, f"{FEED}?page_size=10", f"{FEED}?page_size=50", f"{FEED}?page_size=100",
        f"{FEED}?ordering=published_at", f"{FEED}?page_size=5",
        f"{FEED}?ordering=published_at&page_size=50", f"{FEED}?page_size=30",
    ]  # fmt: skip
    cursors = interleave(
        follow(FEED, 150),
        follow(f"{FEED}?page_size=10", 100),
        follow(f"{FEED}?page_size=50", 60),
        follow(f"{FEED}?ordering=published_at", 40),
    )

    by_company = [f"{FEED}?company={c}" for c in companies]
    by_company += [f"{FEED}?company={c}&page_size=50" for c in companies[:20]]
    by_company += [p for c in companies[:20] for p in follow(f"{FEED}?company={c}", 2)]
    by_tag = [f"{FEED}?tag={t}" for t in tags]
    by_tag += [f"{FEED}?tag={t}&page_size=50" for t in tags[:20]]
    by_tag += [p for t in tags[:20] for p in follow(f"{FEED}?tag={t}", 2)]
    top = tags[:20]
    pairs = [f"{FEED}?tag={a}&tag={b}" for i, a in enumerate(top) for b in top[i + 1 :]]
    triples = [
        f"{FEED}?tag={a}&tag={b}&tag={c}" for a, b, c in zip(top, top[1:], top[2:], strict=False)
    ]
    mixed = [f"{FEED}?tag={t}&company={c}" for t, c in zip(tags[:40], companies * 40, strict=False)]
    by_category = [f"{FEED}?category={c}" for c in categories]
    by_category += [f"{FEED}?category={c}&page_size=50" for c in categories]
    by_category += [p for c in categories for p in follow(f"{FEED}?category={c}", 3)]
    by_category += [f"{FEED}?category={k}&company={c}" for c in companies[:10] for k in categories]
    by_date: list[str] = []
    if oldest and latest:
        months = month_starts(oldest.date(), latest.date())[::-1]  # the latest first
        for start in months:
            end = (start + dt.timedelta(days=32)).replace(day=1)
            by_date += [
                f"{FEED}?published_after={start}",
                f"{FEED}?published_after={start}&published_before={end}",
                f"{FEED}?published_before={end}",
            ]
        by_date += [f"{FEED}?published_after={m}T12:00:00Z" for m in months[:12]]

    rare = [f"{FEED}?q={n}" for n in NAMES[:300]]
    common = [f"{FEED}?q={w}" for w in WORDS]
    multi = [f"{FEED}?q={n}+{w}" for n, w in zip(NAMES[:50], WORDS * 2, strict=False)]
    multi += [f"{FEED}?q={a}+{b}" for a, b in itertools.pairwise(WORDS[:51])]
    multi += [f"{FEED}?q=%22{a}+{b}%22" for a, b in itertools.pairwise(WORDS[:11])]
    ordered = [f"{FEED}?q={n}&ordering=-published_at" for n in NAMES[:20]]
    # Popular names first, a common word every fourth query, then the multi-word ones.
    search = []
    for i, path in enumerate(interleave(rare, ordered)):
        search.append(path)
        if i % 3 == 2 and common:
            search.append(common.pop(0))
    search += interleave(multi, common)

    limits = ["", "?limit=5", "?limit=10"]
    details = [f"{FEED}{slug}/" for slug in newest[:1500]]
    more = [
        f"{FEED}{slug}/more-from-company/{limits[i % 3]}" for i, slug in enumerate(newest[:400])
    ]
    suggested = [f"{FEED}{slug}/suggested/{limits[i % 3]}" for i, slug in enumerate(newest[:400])]
    variants = ["", "?page_size=50", "?ordering=newest", "?page_size=100"]
    threads = [s for s in newest if s in with_comments][:400]
    comments = [f"{FEED}{slug}/comments/{variants[i % 4]}" for i, slug in enumerate(threads)]
    # The biggest threads page on, 200 comments a page.
    comments += interleave(*(follow(f"{FEED}{slug}/comments/", 20) for slug in commented[:5]))

    tag_pages = [f"/api/v1/tags/?page={p}" for p in range(1, min(40, -(-tag_count // 20)) + 1)]
    tag_pages += [
        f"/api/v1/tags/?page={p}&page_size={size}"
        for size in (50, 100)
        for p in range(1, -(-tag_count // size) + 1)
    ]
    company_pages = [f"/api/v1/companies/?page={p}" for p in range(1, -(-company_count // 20) + 1)]
    company_pages += [f"/api/v1/companies/?page_size={size}" for size in (50, 100)]

    groups = [
        Group("feed", SHARES["feed"], firsts),
        Group("feed by cursor", SHARES["feed by cursor"], cursors),
        Group("feed ?company", SHARES["feed ?company"], by_company),
        Group("feed ?tag", SHARES["feed ?tag"], by_tag),
        Group("feed ?tag&tag", SHARES["feed ?tag&tag"], interleave(pairs, mixed, triples)),
        Group("feed ?category", SHARES["feed ?category"], by_category),
        Group("feed ?published_after/before", SHARES["feed ?published_after/before"], by_date),
        Group("search ?q", SHARES["search ?q"], search),
        Group("detail", SHARES["detail"], details),
        Group("more-from-company", SHARES["more-from-company"], more),
        Group("suggested", SHARES["suggested"], suggested),
        Group("comments", SHARES["comments"], comments),
        Group("tag list", SHARES["tag list"], tag_pages),
        Group("tag detail", SHARES["tag detail"], [f"/api/v1/tags/{t}/" for t in tags]),
        Group("company list", SHARES["company list"], company_pages),
        Group(
            "company detail",
            SHARES["company detail"],
            [f"/api/v1/companies/{c}/" for c in companies],
        ),
    ]
    return trim(groups, limit)


# The phases


@dataclass(frozen=True)
class Phase:
    kind: str  # "reads", "posts" or "signins"
    rate: float = 0.0  # writes per second

    @property
    def label(self) -> str:
        if self.kind == "reads":
            return "0 writes"
        rate, plural = f"{self.rate:g}", "" if self.rate == 1 else "s"
        noun = "comment post" if self.kind == "posts" else "sign-in"
        return f"{rate} {noun}{plural}/s"

    @property
    def key(self) -> str:
        return "reads" if self.kind == "reads" else f"{self.kind}:{self.rate:g}"


DEFAULT_PHASES = "reads,posts:2,posts:20,signins:1"
PHASE_KINDS = {"reads", "posts", "signins"}


def parse_phases(raw: str) -> list[Phase]:
    """`reads,posts:2,posts:20,signins:1`: the mix alone, then with 2 and 20 comment posts a
    second, then with 1 sign-in a second. `none` gives no phase (no mix at all)."""
    if raw.strip() == "none":
        return []
    phases = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        kind, _, rate = item.partition(":")
        if kind not in PHASE_KINDS:
            raise ValueError(f"phase {item!r}: the kind is one of reads, posts:N, signins:N")
        if kind == "reads":
            if rate:
                raise ValueError(f"phase {item!r}: reads takes no rate")
            phases.append(Phase("reads"))
            continue
        try:
            value = float(rate)
        except ValueError:
            raise ValueError(f"phase {item!r}: give a rate per second, e.g. {kind}:2") from None
        if not 0 < value <= 1000 or not math.isfinite(value):
            raise ValueError(f"phase {item!r}: the rate is between 0 and 1000 a second")
        phases.append(Phase(kind, value))
    if not phases:
        raise ValueError("no phase given (e.g. reads,posts:2)")
    return phases
