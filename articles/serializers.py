from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from articles.models import (
    DETAIL_COLUMNS,
    EXCERPT_SOURCE_LENGTH,
    Article,
    Category,
    Tag,
    TagRow,
)
from botbeat.cache import FEED_KEY, article_key, company_key, tag_answer, tag_key
from botbeat.fields import OptionalURLField
from botbeat.renderers import iso_datetime

EXCERPT_LENGTH = 280


def make_excerpt(text: str) -> str:
    """The first words of a summary, at most EXCERPT_LENGTH characters, cut between words."""
    text = " ".join(text.split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    cut = text[: EXCERPT_LENGTH - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"  # en and em dashes; an ellipsis


def article_url(slug: str) -> str:
    """The article's page on the website: ARTICLE_URL_TEMPLATE with its slug."""
    return settings.ARTICLE_URL_TEMPLATE.replace("{slug}", slug)


ARTICLE_URL_HELP = (
    "The article's page on the website: the setting ARTICLE_URL_TEMPLATE with the slug in "
    f"place of `{{slug}}`, by default `{settings.ARTICLE_URL_TEMPLATE_DEFAULT}`."
)


class PartialObject:
    """An object an article shows, whose keys `fields` may choose (`company.name`): in the
    schema none of its properties is required (PartialObjectExtension), since a request may
    leave any out. Without `fields`, every property is present."""


class CategorySerializer(PartialObject, serializers.Serializer):
    """The article's category. Every property is present unless `fields` chooses some."""

    value = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField(help_text='In title case, e.g. "Product Launch".')


@extend_schema_field(CategorySerializer)
class CategoryField(serializers.Field):
    """A category as `{"value": "research", "label": "Research"}`."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {"value": value, "label": Category(value).label}


CATEGORY_LABELS = dict(Category.choices)


def tags_of(article: Article) -> list[Tag]:
    """The article's tags in the editors' order: for_list() and for_detail() prefetch them
    into a list."""
    return article.tags_in_order


# The writers: a list item, a detail and a suggestion from plain rows (Article.objects
# .list_rows(), .detail_rows(), each with its "tags" from with_tags()), for the views, which
# never build an instance. The serializers below declare the same fields, which are the
# schema, and render an instance through these writers too; tests/articles/test_serializers.py
# holds both to DRF's own output. They record nothing: their callers record the keys of what
# the rows show (tag_answer(*item_keys(row))), whether the answer is written out or not.


def item_keys(row: dict) -> list[str]:
    """The keys of what a list item (or a detail, a suggestion) shows: its article, company
    and tags."""
    return [
        article_key(row["id"]),
        company_key(row["company_id"]),
        *[tag_key(tag[0]) for tag in row["tags"]],
    ]


def list_item(row: dict) -> dict:
    """A list item (ArticleListSerializer's fields) from a row of list_rows()."""
    tags = row["tags"]
    category = row["category"]
    return {
        "slug": row["slug"],
        "url": article_url(row["slug"]),
        "title": row["title"],
        "category": {"value": category, "label": CATEGORY_LABELS[category]},
        "company": {
            "slug": row["company__slug"],
            "name": row["company__name"],
            "logo_url": row["company__logo_url"] or None,
        },
        "published_at": iso_datetime(row["published_at"]),
        "excerpt": make_excerpt(row["excerpt_source"]),
        "tags": [{"slug": slug, "name": name} for _, slug, name in tags],
        "comment_count": row["comment_count"],
    }


def detail_item(row: dict) -> dict:
    """A detail (ArticleDetailSerializer's fields) from a row of detail_rows(), with its
    "takeaways" (texts, in order)."""
    data = list_item({**row, "excerpt_source": row["summary"][:EXCERPT_SOURCE_LENGTH]})
    source_name, source_url = row["source_name"], row["source_url"]
    data.update(
        status=row["status"],
        takeaways=row["takeaways"],
        summary=row["summary"],
        editorial_opinion=row["editorial_opinion"],
        source=(
            {"name": source_name, "url": source_url or None} if source_name or source_url else None
        ),
        authors=[str(author) for author in row["authors"]],
        comments_open=row["comments_open"],
        updated_at=iso_datetime(row["updated_at"]),
    )
    return data


def suggested_item(row: dict) -> dict:
    """A suggestion (SuggestedArticleSerializer's fields) from a row of
    articles.selectors.article_suggested(), with its "reason"."""
    data = list_item(row)
    reason = row["reason"]
    data["reason"] = {
        "shared_tags": [{"slug": slug, "name": name} for _, slug, name in reason["shared_tags"]],
        "same_category": reason["same_category"],
    }
    return data


def row_of(article: Article) -> dict:
    """An instance as the writers' row: what list_rows() (and detail_rows(), unless the
    detail's fields are deferred) select, with its tags."""
    company = article.company
    source = getattr(article, "excerpt_source", None)
    if source is None:
        source = article.summary[:EXCERPT_SOURCE_LENGTH]
    row = {
        "id": article.pk,
        "slug": article.slug,
        "title": article.title,
        "category": article.category,
        "published_at": article.published_at,
        "comment_count": article.comment_count,
        "company_id": company.pk,
        "company__slug": company.slug,
        "company__name": company.name,
        "company__logo_url": company.logo_url,
        "excerpt_source": source,
        "tags": tag_rows(tags_of(article)),
    }
    if "summary" in article.__dict__:
        row.update({name: getattr(article, name) for name in DETAIL_COLUMNS})
    return row


def tag_rows(tags: list[Tag]) -> list[TagRow]:
    return [(tag.pk, tag.slug, tag.name) for tag in tags]


class TagRefSerializer(PartialObject, serializers.ModelSerializer):
    """A tag of the article. Every property is present unless `fields` chooses some."""

    class Meta:
        model = Tag
        fields = ["slug", "name"]
        read_only_fields = fields


class CompanyRefSerializer(PartialObject, serializers.Serializer):
    """The article's company, as every article shows it. Every property is present unless
    `fields` chooses some."""

    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    logo_url = OptionalURLField()


class ExpandedCompanySerializer(PartialObject, serializers.Serializer):
    """The article's company with `expand=company`: as GET /companies/{slug}/ shows it
    (companies.serializers.CompanySerializer, whose fields these are). Every property is
    present unless `fields` chooses some."""

    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    website_url = OptionalURLField()
    logo_url = OptionalURLField()
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles.")
    latest_published_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When its latest published article came out."
    )


class ArticleListSerializer(serializers.ModelSerializer):
    """An article as lists show it. Every property is present unless `fields` chooses some;
    `expand` gives the company and the tags in full."""

    url = serializers.SerializerMethodField(help_text=ARTICLE_URL_HELP)
    category = CategoryField()
    company = CompanyRefSerializer(read_only=True)
    excerpt = serializers.SerializerMethodField()
    tags = TagRefSerializer(many=True, read_only=True, source="tags_in_order")
    comment_count = serializers.IntegerField(
        read_only=True, help_text="Comments the public sees on the article."
    )

    class Meta:
        model = Article
        fields = [
            "slug",
            "url",
            "title",
            "category",
            "company",
            "published_at",
            "excerpt",
            "tags",
            "comment_count",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, article) -> str:
        return article_url(article.slug)

    def get_excerpt(self, article) -> str:
        # for_list() loads only the summary's first characters (excerpt_source).
        source = getattr(article, "excerpt_source", None)
        if source is None:
            source = article.summary[:EXCERPT_SOURCE_LENGTH]
        return make_excerpt(source)

    def to_representation(self, article) -> dict:
        """The fields above, written out (list_item): DRF's field-by-field path took 2.8 ms of
        a feed page of 20 here, this takes a tenth of that. The declared fields remain the
        schema, and tests/articles/test_serializers.py holds this to DRF's own output."""
        row = row_of(article)
        tag_answer(*item_keys(row))
        return list_item(row)


class SourceSerializer(PartialObject, serializers.Serializer):
    """Where the story came from. Every property is present unless `fields` chooses some."""

    name = serializers.CharField(
        read_only=True, help_text='Where the story came from, e.g. "Hacker News".'
    )
    url = OptionalURLField(help_text="The original link.")


class ArticleDetailSerializer(ArticleListSerializer):
    """An article in detail. Every property is present unless `fields` chooses some; `expand`
    gives the company and the tags in full."""

    takeaways = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    authors = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(ArticleListSerializer.Meta):
        fields = [
            *ArticleListSerializer.Meta.fields,
            "status",
            "takeaways",
            "summary",
            "editorial_opinion",
            "source",
            "authors",
            "comments_open",
            "updated_at",
        ]
        read_only_fields = fields

    def get_takeaways(self, article) -> list[str]:
        takeaways = getattr(article, "takeaways_in_order", None)
        if takeaways is None:
            takeaways = article.takeaways.order_by("position")
        return [takeaway.text for takeaway in takeaways]

    @extend_schema_field(SourceSerializer(allow_null=True))
    def get_source(self, article):
        if not article.source_name and not article.source_url:
            return None
        return {"name": article.source_name, "url": article.source_url or None}

    def to_representation(self, article) -> dict:
        row = row_of(article)
        tag_answer(*item_keys(row))
        return detail_item({**row, "takeaways": self.get_takeaways(article)})


class SuggestionReasonSerializer(PartialObject, serializers.Serializer):
    """Why the article is suggested. Every property is present unless `fields` chooses
    some."""

    shared_tags = TagRefSerializer(many=True, help_text="The tags shared with the article.")
    same_category = serializers.BooleanField()


class SuggestedArticleSerializer(ArticleListSerializer):
    """A suggested article. Every property is present unless `fields` chooses some; `expand`
    gives the company and the tags in full."""

    reason = serializers.SerializerMethodField()

    class Meta(ArticleListSerializer.Meta):
        fields = [*ArticleListSerializer.Meta.fields, "reason"]
        read_only_fields = fields

    @extend_schema_field(SuggestionReasonSerializer)
    def get_reason(self, article):
        reason = article.reason
        return {
            "shared_tags": [{"slug": tag.slug, "name": tag.name} for tag in reason["shared_tags"]],
            "same_category": reason["same_category"],
        }

    def to_representation(self, article) -> dict:
        reason = article.reason
        reason = {**reason, "shared_tags": tag_rows(reason["shared_tags"])}
        row = row_of(article)
        tag_answer(*item_keys(row))
        return suggested_item({**row, "reason": reason})


class TagSerializer(serializers.ModelSerializer):
    article_count = serializers.IntegerField(
        read_only=True, help_text="Published articles with this tag."
    )

    class Meta:
        model = Tag
        fields = ["slug", "name", "article_count"]
        read_only_fields = fields

    def to_representation(self, tag) -> dict:
        # Its count changes with every publication: the FEED_KEY's lists.
        tag_answer(tag_key(tag.pk), FEED_KEY)
        return super().to_representation(tag)


class ExpandedTagSerializer(PartialObject, TagSerializer):
    """A tag of the article with `expand=tags`: as GET /tags/{slug}/ shows it. Every property
    is present unless `fields` chooses some."""


class PartialObjectExtension(OpenApiSerializerExtension):
    """PartialObject's schema: its properties, none required."""

    target_class = "articles.serializers.PartialObject"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema.pop("required", None)
        return schema


class ArticleRepresentationExtension(OpenApiSerializerExtension):
    """The article representations' schema. `fields` may leave out any property, so none is
    required: OpenAPI 3.0 cannot make a property's presence depend on a parameter, and a
    schema that required them would be false for every sparse answer (the descriptions say
    that without `fields` all are there). `company` and each of `tags` is the short object or,
    with `expand`, the full one: `anyOf`, since either may match a sparse one."""

    target_class = "articles.serializers.ArticleListSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema.pop("required", None)

        def ref(serializer) -> dict:
            return auto_schema.resolve_serializer(serializer, direction).ref

        properties = schema["properties"]
        properties["company"] = {
            "anyOf": [ref(CompanyRefSerializer), ref(ExpandedCompanySerializer)],
            "readOnly": True,
            "description": "`CompanyRef`; with `expand=company`, `ExpandedCompany`.",
        }
        properties["tags"] = {
            "type": "array",
            "items": {"anyOf": [ref(TagRefSerializer), ref(ExpandedTagSerializer)]},
            "readOnly": True,
            "description": "`TagRef`s; with `expand=tags`, `ExpandedTag`s.",
        }
        return schema


def results_envelope(name: str, item):
    """The schema of `{"results": [...]}` answers (more-from-company, suggested)."""
    return inline_serializer(name, {"results": item(many=True)})


# Made once: the panels' paths and the page show the same components.
MORE_FROM_COMPANY = results_envelope("MoreFromCompany", ArticleListSerializer)
SUGGESTED = results_envelope("Suggested", SuggestedArticleSerializer)


# The comments path's own component (its 200), which its paginator names: the page's
# `comments` is that answer, so it has that schema.
@extend_schema_field({"$ref": "#/components/schemas/PaginatedCommentList"})
class ThreadPageField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)


class ArticlePageSerializer(serializers.Serializer):
    """Everything the article's page shows: each section is what its own path answers."""

    article = ArticleDetailSerializer(
        read_only=True, help_text="GET /articles/{slug}/, with the page's `fields` and `expand`."
    )
    more_from_company = MORE_FROM_COMPANY
    suggested = SUGGESTED
    comments = ThreadPageField(
        help_text=(
            "The thread's first page, as GET /articles/{slug}/comments/ answers it with the "
            "page's `comments_page_size` and `comments_ordering` as `page_size` and "
            "`ordering`: its `next` link is that path's."
        )
    )
