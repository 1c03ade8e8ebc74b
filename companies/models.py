from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CompanyQuerySet":
        """Companies with no published article stay hidden from the public: they would
        announce a draft's subject."""
        from articles.models import Article, is_staff

        if is_staff(user):
            return self.all()
        return self.filter(Exists(Article.objects.published().filter(company=OuterRef("pk"))))

    def with_article_stats(self) -> "CompanyQuerySet":
        # Correlated subqueries over the partial index article_company_feed: one index range
        # per company shown, rather than an aggregate over every article.
        from articles.models import Article

        published = Article.objects.published().filter(company=OuterRef("pk")).order_by()
        count = published.values("company").annotate(n=Count("pk")).values("n")
        latest = published.values("company").annotate(m=Max("published_at")).values("m")
        return self.annotate(
            article_count=Coalesce(Subquery(count), Value(0)),
            latest_published_at=Subquery(latest),
        )


class Company(models.Model):
    """A company the site writes about (OpenAI, Anthropic, Intel, ...)."""

    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    website_url = models.URLField(max_length=500, blank=True)
    logo_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="company_slug_unique"),
            models.CheckConstraint(condition=~models.Q(slug=""), name="company_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name
