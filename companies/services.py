"""Writes to companies that touch several models: merging a duplicate into another, and the
published count that every write to an article's company or status keeps."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from articles.models import Article, Status
from botbeat.counts import count_of, stored_count_refresh
from botbeat.purge import purge_everything
from botbeat.redirects import slug_merged
from botbeat.services import Invalid, merge_audit
from changes import outbox
from companies.models import Company

# What a merge copies from the duplicate when the company it is merged into has it blank.
FILLED_FROM_SOURCE = ("description", "website_url", "logo_url")


@transaction.atomic
def company_merge(*, source: Company, target: Company, by: AbstractBaseUser | None) -> int:
    """Merge the duplicate company `source` into `target`: its articles move to `target`, then
    it is deleted. Returns how many articles moved. `by` did it: the admin's log records the
    source's deletion and, on the target, what it absorbed.

    `target` keeps its name and slug; its blank description, website or logo URL are filled
    in from `source`. The moved articles get a new `updated_at` (their company changed). The
    source's slug, and the slugs merged into it before, answer 301 to `target` from now on
    (botbeat.redirects).
    """
    if source.pk == target.pk:
        raise Invalid(
            "A company cannot be merged into itself.", code="same_company", field="target"
        )
    # Both rows locked, in id order (no deadlock between two merges of one pair); an article
    # being saved with either company waits for the merge (the foreign key's row lock).
    locked = {
        company.pk: company
        for company in Company.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    blanks = [name for name in FILLED_FROM_SOURCE if not getattr(target, name)]
    filled = [name for name in blanks if getattr(source, name)]
    for name in filled:
        setattr(target, name, getattr(source, name))
    if filled:
        target.save(update_fields=[*filled, "updated_at"])
    source_id = source.pk  # the delete below forgets it
    moving = list(Article.objects.filter(company=source).values_list("pk", flat=True))
    moved = Article.objects.filter(pk__in=moving).update(company=target, updated_at=timezone.now())
    merge_audit(by=by, source=source, target=target, carried=moved)
    slug_merged(source=source, target=target)  # before the delete: its old slugs go to target
    source.delete()
    company_counts_refresh(company_ids=[target.pk])
    outbox.touched(
        articles=moving,
        companies=[source_id, target.pk],
        companies_shown=[target.pk] if filled else [],
    )
    purge_everything()  # the update above sends no signal (botbeat/signals.py)
    return moved


def company_counts_refresh(*, company_ids: Iterable[int]) -> None:
    """Recount `Company.published_count` of these companies from their articles, in one UPDATE
    after locking them in id order (FOR NO KEY UPDATE): concurrent writers of one company take
    turns, and the second counts what the first committed. The article writers call it through
    articles.services, which explains the locking. An index-only range of article_company_feed
    per company."""
    published = count_of(Article.objects.filter(status=Status.PUBLISHED), per="company")
    stored_count_refresh(model=Company, ids=company_ids, field="published_count", count=published)
