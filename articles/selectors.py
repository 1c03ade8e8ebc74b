"""Reads that are more than a filter: the article page's side panels."""

from django.db.models import Case, IntegerField, Sum, Value, When
from django.utils import timezone

from articles.filters import all_tags_q
from articles.models import (
    Article,
    ArticleQuerySet,
    ArticleTag,
    Tag,
    article_list_rows_newest,
    with_tags,
)

# A shared tag weighs SCALE / (articles carrying it): a rare tag counts more than a common one.
# Integers, so that sums are exact and the order of ties is deterministic.
TAG_WEIGHT_SCALE = 1_000_000


def article_more_from_company(
    *, article: Article, limit: int, rows: ArticleQuerySet | None = None, tags: bool = True
) -> list[dict]:
    """The same company's other published articles, newest first (index article_company_feed),
    as list rows with their tags. `rows`: other rows of the articles, newest first, than
    article_list_rows_newest()'s (fewer columns: articles.representation); `tags` False: no
    tags."""
    found = list(
        (article_list_rows_newest() if rows is None else rows)
        .published()
        .filter(company_id=article.company_id)
        .exclude(pk=article.pk)[:limit]
    )
    return with_tags(found) if tags else found


# Rank first among the articles sharing the article's rarest tags, as long as those tags carry
# at most this many links in all: a common tag (on 40% of 100,000 articles) would otherwise make
# the ranking aggregate over 40,000 rows.
RARE_TAGS_BUDGET = 5000


def _rank_related(*, article: Article, tags: list[Tag], limit: int, now) -> list[int]:
    """The ids of the `limit` best related articles, exactly as ranking every candidate would.

    1. Those sharing every tag score the most: when there are `limit` of them, they are the
       answer, same category first, then newest (all_tags_q finds them from the rarest tag,
       and the category's feed index orders them): what an article of only common tags gets.
    2. Else candidates that share none of the rare tags score at most the sum of the common
       tags' weights. So when the `limit`-th best candidate among those sharing a rare tag
       (scored on all its shared tags) scores more than that sum, nothing outside can enter
       the top: one query over a few thousand rows. Otherwise, a second query ranks every
       candidate.
    """
    if not tags:
        return []
    # Weighed by the stored count of published articles (articles.services keeps it): a weight
    # only orders, it is never shown. At least 1: a draft's tag may have no published article.
    weights = {tag.pk: TAG_WEIGHT_SCALE // max(tag.published_count, 1) for tag in tags}
    others = Article.objects.published(now).exclude(company_id=article.company_id)

    sharing_all = others.filter(all_tags_q(tags)).newest_first()
    top = list(sharing_all.filter(category=article.category).values_list("pk", flat=True)[:limit])
    if len(top) < limit:
        top += sharing_all.exclude(category=article.category).values_list("pk", flat=True)[
            : limit - len(top)
        ]
    if len(top) == limit:
        return top

    by_rarity = sorted(tags, key=lambda tag: (tag.published_count, tag.pk))
    rare: list[int] = []
    links = 0
    for tag in by_rarity:
        if rare and links + tag.published_count > RARE_TAGS_BUDGET:
            break
        rare.append(tag.pk)
        links += tag.published_count
    common_bound = sum(weights[tag] for tag in weights if tag not in rare)

    def sharing(tag_ids):
        return ArticleTag.objects.filter(tag_id__in=tag_ids).values("article_id")

    if common_bound:
        top = _best_scored(
            article=article, others=others, candidates=sharing(rare), weights=weights, limit=limit
        )
        if len(top) == limit and top[-1][1] > common_bound:
            return [pk for pk, _ in top]
    top = _best_scored(
        article=article, others=others, candidates=sharing(weights), weights=weights, limit=limit
    )
    return [pk for pk, _ in top]


def _best_scored(*, article, others, candidates, weights, limit) -> list[tuple[int, int]]:
    """(id, score) of the `limit` best of `candidates` (ids of articles) that `others` has.

    Scored from the links alone: the candidates' (article, tag) pairs, an index-only probe each.
    Then only the best-scored are read, by whole groups of one score, to keep those `others`
    has (published, another company) and to order ties (same category, newest, highest id):
    reading every candidate's article costs more than scoring them all (35 ms for 5,000 of
    them at 100,000 articles: `manage.py generate_fake`, then EXPLAIN ANALYZE).
    """
    scored = sorted(
        ArticleTag.objects.filter(tag_id__in=weights, article_id__in=candidates)
        .order_by()
        .values("article_id")
        .annotate(
            score=Sum(
                Case(
                    *[When(tag_id=tag, then=Value(w)) for tag, w in weights.items()],
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
        )
        .values_list("score", "article_id"),
        reverse=True,
    )
    found: list[tuple[tuple, int]] = []
    start = 0
    while start < len(scored) and len(found) < limit:
        end = min(len(scored), start + 2 * limit)
        while end < len(scored) and scored[end][0] == scored[end - 1][0]:
            end += 1  # the rest of the last score's group
        score_of = {pk: score for score, pk in scored[start:end]}
        found += [
            ((score_of[pk], category == article.category, published_at, pk), pk)
            for pk, category, published_at in others.filter(pk__in=list(score_of)).values_list(
                "pk", "category", "published_at"
            )
        ]
        start = end
    found.sort(reverse=True)
    return [(pk, key[0]) for key, pk in found[:limit]]


def article_suggested(
    *, article: Article, limit: int, rows: ArticleQuerySet | None = None, tags: bool = True
) -> list[dict]:
    """Published articles of other companies related to `article`, best first, as list rows
    with their tags.

    Related means sharing tags, each shared tag weighted by its rarity; the same category breaks
    ties, then recency, then id. When fewer than `limit` are related, the most recent articles
    of other companies fill the list, those of the same category first. Each row carries
    `reason`: `{"shared_tags": [TagRow, ...], "same_category": bool}`. `rows`: other rows of the
    articles, newest first, than article_list_rows_newest()'s (fewer columns, `category` among
    them); `tags` False: the rows carry no tags, and their reasons no shared tags.

    Queries: the article's tags, those sharing them all (two or three: see _rank_related), the
    ranking when they are too few (one query over the rare tags' articles; rarely two), the page
    of articles, up to two for the fallback, and the tags of the articles chosen.
    """
    now = timezone.now()
    article_tags = list(article.tags.only("id", "published_count"))
    tag_ids = {tag.pk for tag in article_tags}
    rows = article_list_rows_newest() if rows is None else rows
    others = rows.published(now).exclude(company_id=article.company_id)
    ranked_ids = _rank_related(article=article, tags=article_tags, limit=limit, now=now)
    by_id = {row["id"]: row for row in rows.filter(pk__in=ranked_ids)}
    chosen = [by_id[pk] for pk in ranked_ids if pk in by_id]

    # The fallback: recent articles of other companies, the same category first.
    for queryset in (others.filter(category=article.category), others):
        missing = limit - len(chosen)
        if missing <= 0:
            break
        chosen.extend(queryset.exclude(pk__in=[row["id"] for row in chosen])[:missing])

    if tags:
        with_tags(chosen)
    for row in chosen:
        row["reason"] = {"same_category": row["category"] == article.category}
        if tags:
            row["reason"]["shared_tags"] = [tag for tag in row["tags"] if tag[0] in tag_ids]
    return chosen
