"""Reads that are more than a filter: the article page's side panels."""

from django.db.models import Case, Count, IntegerField, Max, Sum, Value, When
from django.utils import timezone

from articles.models import (
    Article,
    ArticleTag,
    article_list_rows_newest,
    published_q,
    with_tags,
)

# A shared tag weighs SCALE / (articles carrying it): a rare tag counts more than a common one.
# Integers, so that sums are exact and the order of ties is deterministic.
TAG_WEIGHT_SCALE = 1_000_000


def article_more_from_company(*, article: Article, limit: int) -> list[dict]:
    """The same company's other published articles, newest first (index article_company_feed),
    as list rows with their tags."""
    return with_tags(
        list(
            article_list_rows_newest()
            .published()
            .filter(company_id=article.company_id)
            .exclude(pk=article.pk)[:limit]
        )
    )


# Rank first among the articles sharing the article's rarest tags, as long as those tags carry
# at most this many links in all: a common tag (on 40% of 100,000 articles) would otherwise make
# the ranking aggregate over 40,000 rows.
RARE_TAGS_BUDGET = 5000


def _rank_related(*, article: Article, counts: dict[int, int], limit: int, now) -> list[int]:
    """The ids of the `limit` best related articles, exactly as ranking every candidate would.

    Candidates that share none of the rare tags score at most the sum of the common tags'
    weights. So when the `limit`-th best candidate among those sharing a rare tag (scored on all
    its shared tags) scores more than that sum, nothing outside can enter the top: one query
    over a few thousand rows. Otherwise, a second query ranks every candidate.
    """
    if not counts:
        return []
    weights = {tag: TAG_WEIGHT_SCALE // n for tag, n in counts.items()}
    rare, links = [], 0
    for tag in sorted(counts, key=lambda tag: (counts[tag], tag)):
        if rare and links + counts[tag] > RARE_TAGS_BUDGET:
            break
        rare.append(tag)
        links += counts[tag]
    common_bound = sum(weights[tag] for tag in weights if tag not in rare)

    ranking = (
        ArticleTag.objects.filter(published_q("article__", now), tag_id__in=weights)
        .exclude(article__company_id=article.company_id)
        .values("article_id")
        .annotate(
            score=Sum(
                Case(
                    *[When(tag_id=tag, then=Value(w)) for tag, w in weights.items()],
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            same_category=Max(
                Case(
                    When(article__category=article.category, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            latest=Max("article__published_at"),
        )
        .order_by("-score", "-same_category", "-latest", "-article_id")
    )
    if common_bound:
        sharing_rare = ArticleTag.objects.filter(tag_id__in=rare).values("article_id")
        top = list(
            ranking.filter(article_id__in=sharing_rare).values_list("article_id", "score")[:limit]
        )
        if len(top) == limit and top[-1][1] > common_bound:
            return [pk for pk, _ in top]
    return list(ranking.values_list("article_id", flat=True)[:limit])


def _tag_link_counts(article: Article) -> dict[int, int]:
    """The article's tags, each with how many articles carry it: its weight's denominator.

    One query: the article's own links (article_tag_unique) give the tags, whose links are
    counted over every article, drafts included: an index-only scan of article_tag_by_tag,
    where joining the articles to count only published ones scanned the whole table at
    100,000 articles. COUNT(*), as COUNT(id) would read every row for its id (13 ms instead of
    3 for two common tags). A weight only orders; it is never shown.
    """
    return dict(
        ArticleTag.objects.filter(
            tag_id__in=ArticleTag.objects.filter(article_id=article.pk).values("tag_id")
        )
        .order_by()
        .values("tag_id")
        .annotate(n=Count("*"))
        .values_list("tag_id", "n")
    )


def article_suggested(*, article: Article, limit: int) -> list[dict]:
    """Published articles of other companies related to `article`, best first, as list rows
    with their tags.

    Related means sharing tags, each shared tag weighted by its rarity; the same category breaks
    ties, then recency, then id. When fewer than `limit` are related, the most recent articles
    of other companies fill the list, those of the same category first. Each row carries
    `reason`: `{"shared_tags": [TagRow, ...], "same_category": bool}`.

    Queries: the article's tags with their weights, the ranking (one aggregate over the tag
    index; rarely two, see _rank_related), the page of articles, up to two for the fallback,
    and the tags of the articles chosen.
    """
    now = timezone.now()
    counts = _tag_link_counts(article)
    others = article_list_rows_newest().published(now).exclude(company_id=article.company_id)
    ranked_ids = _rank_related(article=article, counts=counts, limit=limit, now=now)
    by_id = {row["id"]: row for row in article_list_rows_newest().filter(pk__in=ranked_ids)}
    chosen = [by_id[pk] for pk in ranked_ids if pk in by_id]

    # The fallback: recent articles of other companies, the same category first.
    for queryset in (others.filter(category=article.category), others):
        missing = limit - len(chosen)
        if missing <= 0:
            break
        chosen.extend(queryset.exclude(pk__in=[row["id"] for row in chosen])[:missing])

    for row in with_tags(chosen):
        row["reason"] = {
            "shared_tags": [tag for tag in row["tags"] if tag[0] in counts],
            "same_category": row["category"] == article.category,
        }
    return chosen
