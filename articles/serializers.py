from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from articles.models import EXCERPT_SOURCE_LENGTH, Article, Category, Tag
from botbeat.cache import FEED_KEY, article_key, company_key, tag_answer, tag_key

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


@extend_schema_field(
    inline_serializer(
        "Category",
        {
            "value": serializers.ChoiceField(choices=Category.choices),
            "label": serializers.CharField(help_text='In title case, e.g. "Product Launch".'),
        },
    )
)
class CategoryField(serializers.Field):
    """A category as `{"value": "research", "label": "Research"}`."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {"value": value, "label": Category(value).label}


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class OptionalURLField(serializers.Field):
    """A URL that may be unset: null, never an empty string."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


CATEGORY_LABELS = dict(Category.choices)
DATETIME = serializers.DateTimeField()  # its format, as every DateTimeField here renders


def tags_of(article) -> list[Tag]:
    """The article's tags by name: for_list() and for_detail() prefetch them into a list."""
    tags = getattr(article, "tags_by_name", None)
    return tags if tags is not None else list(article.tags.order_by("name", "slug"))


class TagRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]
        read_only_fields = fields


class CompanyRefSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    logo_url = OptionalURLField()


class ArticleListSerializer(serializers.ModelSerializer):
    category = CategoryField()
    company = CompanyRefSerializer(read_only=True)
    excerpt = serializers.SerializerMethodField()
    tags = TagRefSerializer(many=True, read_only=True)
    comment_count = serializers.IntegerField(
        read_only=True, help_text="Comments the public sees on the article."
    )

    class Meta:
        model = Article
        fields = [
            "slug",
            "title",
            "category",
            "company",
            "published_at",
            "excerpt",
            "tags",
            "comment_count",
        ]
        read_only_fields = fields

    def get_excerpt(self, article) -> str:
        # for_list() loads only the summary's first characters (excerpt_source).
        source = getattr(article, "excerpt_source", None)
        if source is None:
            source = article.summary[:EXCERPT_SOURCE_LENGTH]
        return make_excerpt(source)

    def to_representation(self, article) -> dict:
        """The fields above, written out: DRF's field-by-field path took 2.8 ms of a feed page
        of 20 here, this takes a tenth of that. The declared fields remain the schema, and
        tests/articles/test_serializers.py holds this to DRF's own output for every serializer.
        """
        company = article.company
        tags = tags_of(article)
        tag_answer(article_key(article.pk), company_key(company.pk), *(tag_key(t.pk) for t in tags))
        return {
            "slug": article.slug,
            "title": article.title,
            "category": {"value": article.category, "label": CATEGORY_LABELS[article.category]},
            "company": {
                "slug": company.slug,
                "name": company.name,
                "logo_url": company.logo_url or None,
            },
            "published_at": DATETIME.to_representation(article.published_at),
            "excerpt": self.get_excerpt(article),
            "tags": [{"slug": tag.slug, "name": tag.name} for tag in tags],
            "comment_count": article.comment_count,
        }


class SourceSerializer(serializers.Serializer):
    name = serializers.CharField(
        read_only=True, help_text='Where the story came from, e.g. "Hacker News".'
    )
    url = OptionalURLField(help_text="The original link.")


class ArticleDetailSerializer(ArticleListSerializer):
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
        data = super().to_representation(article)
        data.update(
            status=article.status,
            takeaways=self.get_takeaways(article),
            summary=article.summary,
            editorial_opinion=article.editorial_opinion,
            source=self.get_source(article),
            authors=[str(author) for author in article.authors],
            comments_open=article.comments_open,
            updated_at=DATETIME.to_representation(article.updated_at),
        )
        return data


class SuggestionReasonSerializer(serializers.Serializer):
    shared_tags = TagRefSerializer(many=True, help_text="The tags shared with the article.")
    same_category = serializers.BooleanField()


class SuggestedArticleSerializer(ArticleListSerializer):
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
        data = super().to_representation(article)
        data["reason"] = self.get_reason(article)
        return data


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


def results_envelope(name: str, item):
    """The schema of `{"results": [...]}` answers (more-from-company, suggested)."""
    return inline_serializer(name, {"results": item(many=True)})
