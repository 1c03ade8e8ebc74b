"""`data` of a change: the resource as its own public GET shows it now (API.md, "The change
feed"), or None when the public no longer sees it."""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser

from articles.models import Article, Tag, takeaways_of, with_tags
from articles.serializers import TagSerializer, detail_item
from changes.models import Change
from comments.models import Comment
from comments.serializers import CommentSerializer, thread_item
from companies.models import Company
from companies.serializers import CompanySerializer

PUBLIC = AnonymousUser()


def article_data(article_id: int) -> dict | None:
    row = Article.objects.detail_rows().visible_to(PUBLIC).filter(pk=article_id).first()
    if row is None:
        return None
    row["takeaways"] = takeaways_of(row)
    return detail_item(with_tags([row])[0])


def company_data(company_id: int) -> dict | None:
    company = Company.objects.visible_to(PUBLIC).with_article_stats().filter(pk=company_id).first()
    return None if company is None else CompanySerializer(company).data


def tag_data(tag_id: int) -> dict | None:
    tag = Tag.objects.visible_to(PUBLIC).with_article_count().filter(pk=tag_id).first()
    return None if tag is None else TagSerializer(tag).data


def comment_data(comment_id: int) -> dict | None:
    comment = Comment.objects.for_thread().visible_to(PUBLIC).filter(pk=comment_id).first()
    if comment is None or not Article.objects.published().filter(pk=comment.article_id).exists():
        return None
    return CommentSerializer(comment, context={"show_withheld": False}).data


READERS = {
    "article": article_data,
    "company": company_data,
    "tag": tag_data,
    "comment": comment_data,
}


def change_data(change: Change) -> dict | None:
    """The resource `change` is about, as the public sees it now; None for a removal."""
    if change.type.endswith(".removed"):
        return None
    return READERS[change.kind](change.object_id)


def _articles(ids: list[int]) -> dict[int, dict]:
    rows = list(Article.objects.detail_rows().visible_to(PUBLIC).filter(pk__in=ids).order_by())
    for row in rows:
        row["takeaways"] = takeaways_of(row)
    return {row["id"]: detail_item(row) for row in with_tags(rows)}


def _companies(ids: list[int]) -> dict[int, dict]:
    companies = Company.objects.visible_to(PUBLIC).with_article_stats().filter(pk__in=ids)
    return {company.pk: CompanySerializer(company).data for company in companies}


def _tags(ids: list[int]) -> dict[int, dict]:
    tags = Tag.objects.visible_to(PUBLIC).with_article_count().filter(pk__in=ids)
    return {tag.pk: TagSerializer(tag).data for tag in tags}


def _comments(ids: list[int]) -> dict[int, dict]:
    rows = Comment.objects.visible_to(PUBLIC).filter(pk__in=ids).order_by().thread_rows()
    return {row["id"]: thread_item(row) for row in rows}


BATCH_READERS = {
    "article": _articles,
    "company": _companies,
    "tag": _tags,
    "comment": _comments,
}


def changes_data(changes: Iterable[Change]) -> list[dict | None]:
    """change_data() of each change, in order: one or two queries per kind on the page,
    whatever its length."""
    changes = list(changes)
    wanted: dict[str, set[int]] = {}
    for change in changes:
        if not change.type.endswith(".removed"):
            wanted.setdefault(change.kind, set()).add(change.object_id)
    found = {kind: BATCH_READERS[kind](sorted(ids)) for kind, ids in wanted.items()}
    return [
        None if change.type.endswith(".removed") else found[change.kind].get(change.object_id)
        for change in changes
    ]
