from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from articles.models import Article, StoredCountsModel
from botbeat.counts import count_of
from botbeat.redirects import SlugRedirect
from botbeat.roles import sees_unpublished


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CompanyQuerySet":
        """Companies with no published article stay hidden from the public: they would
        announce a draft's subject.

        `published_count` (scheduled articles included) rules most out for free; the EXISTS is
        one probe of the article_company_feed index.
        """

        if sees_unpublished(user):
            return self.all()
        return self.filter(
            Q(published_count__gt=0)
            & Exists(Article.objects.published().filter(company=OuterRef("pk")))
        )

    def with_article_stats(self, now=None) -> "CompanyQuerySet":
        """`article_count` (public articles, exact) and `latest_published_at` per company.

        The count is `published_count` less the scheduled articles, and the latest the first
        public entry: both short ranges of the partial index article_company_feed per company
        shown (the future; the newest past entry), never an aggregate over its articles.
        """
        now = now or timezone.now()
        latest = (
            Article.objects.published(now)
            .filter(company=OuterRef("pk"))
            .order_by("-published_at")
            .values("published_at")[:1]
        )
        return self.annotate(
            article_count=F("published_count")
            - count_of(Article.objects.scheduled(now), per="company"),
            latest_published_at=Subquery(latest),
        )


class Company(StoredCountsModel):
    """A company the site writes about (OpenAI, Anthropic, Intel, ...)."""

    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    website_url = models.URLField(max_length=500, blank=True)
    logo_url = models.URLField(max_length=500, blank=True)
    # Its articles of status published, scheduled ones included: kept exact, in the writing
    # transaction, by companies.services.company_counts_refresh. The public count subtracts the
    # scheduled ones when read (CompanyQuerySet.with_article_stats).
    published_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
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


class CompanySlugRedirect(SlugRedirect):
    """A slug of a company merged into this one, or this company's own before a rename: GETs of
    it answer 301 here (botbeat.redirects)."""

    target = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="slug_redirects", db_index=False
    )

    class Meta(SlugRedirect.Meta):
        indexes = [
            # a company's old slugs: moved by a merge, listed by the admin, cascaded
            models.Index(fields=["target"], name="companyslugredirect_target"),
        ]
