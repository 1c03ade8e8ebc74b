"""`data` of a change: the resource as its own public GET shows it now (API.md, "The change
feed"), or None when the public no longer sees it."""

from django.contrib.auth.models import AnonymousUser

from articles.models import Article, Tag, takeaways_of, with_tags
from articles.serializers import TagSerializer, detail_item
from changes.models import Change
from comments.models import Comment
from comments.serializers import CommentSerializer
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
