from django.contrib import admin
from django.db import transaction
from django.urls import reverse

from articles.models import Article
from botbeat.admin import MergeActionMixin, NewsroomAdmin, count_link
from botbeat.counts import count_of
from botbeat.redirects import old_slugs, slug_renamed, stored_slug
from changes import outbox
from companies.models import Company
from companies.services import company_counts_refresh, company_merge


@admin.register(Company)
class CompanyAdmin(MergeActionMixin, NewsroomAdmin):
    fields = [
        "name",
        "slug",
        "description",
        "website_url",
        "logo_url",
        "old_slugs",
        "articles_total",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["old_slugs", "articles_total", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name", "slug", "website_url", "articles_total", "published", "latest"]
    search_fields = ["name", "slug"]
    actions = ["merge"]
    merge_service = staticmethod(company_merge)
    merge_target_field = Article._meta.get_field("company")

    def get_queryset(self, request):
        # Correlated counts over the article's company index, for the rows shown only (unless
        # sorted by one: 200 companies, still cheap).
        return (
            super()
            .get_queryset(request)
            .with_article_stats()
            .annotate(articles_total=count_of(Article.objects.all(), per="company"))
        )

    def save_model(self, request, obj, form, change):
        old_slug = stored_slug(obj)
        super().save_model(request, obj, form, change)
        if old_slug is not None and old_slug != obj.slug:
            slug_renamed(obj=obj, old_slug=old_slug)  # the old one answers 301
        # The save wrote the row whole, published_count as loaded: recount it, in case an
        # article was published meanwhile.
        company_counts_refresh(company_ids=[obj.pk])
        # Its name and logo show in every article of it.
        outbox.touched(companies=[obj.pk], companies_shown=[obj.pk])

    def delete_model(self, request, obj):
        self.delete_queryset(request, Company.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Only a company without articles can go (they protect it): in the feed all the same."""
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)
            outbox.touched(companies=ids)

    @admin.display(description="articles", ordering="articles_total")
    def articles_total(self, company):
        if company.pk is None:
            return "-"
        return count_link(
            getattr(company, "articles_total", 0),
            reverse("admin:articles_article_changelist"),
            {"company": company.pk},
        )

    @admin.display(description="old slugs")
    def old_slugs(self, company):
        return ", ".join(old_slugs(company)) or "-"  # each answers 301 here

    @admin.display(description="published", ordering="article_count")
    def published(self, company):
        return company.article_count

    @admin.display(description="latest published", ordering="latest_published_at")
    def latest(self, company):
        return company.latest_published_at
