"""The newsroom: articles and tags in the Django admin, on the shared pieces of botbeat.admin."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.db.models import F, Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from articles.filters import SEARCH_CONFIG, SEARCH_MAX_TERMS
from articles.models import Article, ArticleTag, Status, Tag, Takeaway
from articles.previews import preview_link_issue, preview_url
from articles.services import (
    article_counts_kept,
    article_publish,
    article_refresh_search_vector,
    article_rename,
    article_tags_set,
    article_unpublish,
    tag_counts_refresh,
    tag_merge,
)
from botbeat.admin import (
    AutocompleteFilter,
    MergeActionMixin,
    NewsroomAdmin,
    count_link,
    state_badge,
)
from botbeat.counts import count_of
from botbeat.redirects import old_slugs, slug_renamed, stored_slug
from botbeat.roles import sees_unpublished
from botbeat.services import ServiceError
from changes import outbox

# Articles


def article_state(article: Article, now=None) -> str:
    """The article's state for staff: "draft", "scheduled" (published, with a future time) or
    "published" (public now)."""
    if article.status != Status.PUBLISHED:
        return "draft"
    return "scheduled" if article.published_at > (now or timezone.now()) else "published"


STATE_LABELS = {"draft": "Draft", "scheduled": "Scheduled", "published": "Published"}
# The form's fields whose change its services record (construct_change_message).
SERVICE_RECORDED_FIELDS = frozenset({"status", "slug"})


class ArticleStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(STATE_LABELS.items())

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "draft":
                return queryset.exclude(status=Status.PUBLISHED)
            case "scheduled":
                return queryset.scheduled(now)
            case "published":
                return queryset.published(now)
        return queryset


class CompanyFilter(AutocompleteFilter):
    title = "company"
    parameter_name = "company"
    field_name = "company"
    placeholder = "Find a company…"


class TagFilter(AutocompleteFilter):
    title = "tag"
    parameter_name = "tag"
    field_name = "tags"
    placeholder = "Find a tag…"

    def filter(self, queryset, pk):
        # One join on the (tag, article) index; the pair is unique, so no article twice.
        return queryset.filter(article_tags__tag=pk)


class LinesField(forms.CharField):
    """A list of strings edited as lines of a textarea (the authors, in order)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ArticleAdminForm(forms.ModelForm):
    # The tags are not a field here: a many-to-many through ArticleTag is not a form field,
    # and their order is the editors' (ArticleTagInline).
    authors = LinesField(required=False, help_text="One name a line, in order.")

    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "company",
            "category",
            "status",
            "published_at",
            "comments_open",
            "summary",
            "editorial_opinion",
            "source_name",
            "source_url",
            "authors",
        ]


class OrderedInlineForm(forms.ModelForm):
    """A row of an inline that editors order by typing numbers (`order`), not the model's
    `position`: positions are unique per article, so two rows may share a number until the
    formset's save renumbers them 0, 1, 2..."""

    order = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=999,
        widget=forms.NumberInput(attrs={"class": "newsroom-order"}),
        help_text="Blank: after the others.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["order"] = self.instance.position


class TakeawayInlineForm(OrderedInlineForm):
    class Meta:
        model = Takeaway
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "cols": 90})}


class TakeawayFormSet(BaseInlineFormSet):
    # Out of the way of positions 0..n-1 while rows are renumbered (a smallint: under 32,767).
    PARKED = 10_000

    def save(self, commit=True):
        """Save the takeaways in the order the editor gave (`order`, then the rows' order on
        the page), renumbered 0, 1, 2... Existing rows keep their ids."""
        instances = super().save(commit=False)  # fills new/changed/deleted_objects
        if not commit or not (self.new_objects or self.changed_objects or self.deleted_objects):
            return instances
        for takeaway in self.deleted_objects:
            takeaway.delete()
        kept = [
            (form.cleaned_data.get("order"), index, form.instance)
            for index, form in enumerate(self.forms)
            if not self._should_delete_form(form)
            and (form.instance.pk is not None or form.has_changed())
        ]
        kept.sort(key=lambda row: (row[0] is None, row[0] or 0, row[1]))
        # Positions are unique per article: swapping two would collide halfway, so every row
        # steps aside first (rows added meanwhile by someone else stay after ours).
        Takeaway.objects.filter(article=self.instance).update(position=F("position") + self.PARKED)
        for position, (_, _, takeaway) in enumerate(kept):
            takeaway.article = self.instance
            takeaway.position = position
            takeaway.save()
        return instances


class TakeawayInline(admin.TabularInline):
    model = Takeaway
    form = TakeawayInlineForm
    formset = TakeawayFormSet
    fields = ["order", "text"]
    ordering = ["position"]

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else 1


class ArticleTagInlineForm(OrderedInlineForm):
    # ArticleTagFormSet.save renumbers the tags through article_tags_set.
    class Meta:
        model = ArticleTag
        fields = ["tag"]

    def validate_constraints(self):
        # Not against the links saved (article_tag_unique): the rows replace them all, so a
        # tag deleted from one row and chosen on another is no duplicate. The formset refuses a
        # tag on two rows kept.
        pass


class ArticleTagFormSet(BaseInlineFormSet):
    def save(self, commit=True):
        """Give the article the tags of the rows kept, in the order the editor gave (`order`,
        then the rows' order on the page), through article_tags_set, which keeps the published
        counts. Only when a row changed: an untouched inline writes nothing."""
        instances = super().save(commit=False)  # fills new/changed/deleted_objects
        if not commit or not (self.new_objects or self.changed_objects or self.deleted_objects):
            return instances
        kept = [
            (form.cleaned_data.get("order"), index, form.instance.tag)
            for index, form in enumerate(self.forms)
            if not self._should_delete_form(form)
            and form.cleaned_data.get("tag") is not None
            and (form.instance.pk is not None or form.has_changed())
        ]
        kept.sort(key=lambda row: (row[0] is None, row[0] or 0, row[1]))
        article_tags_set(article=self.instance, tags=[tag for _, _, tag in kept])
        return instances


class ArticleTagInline(admin.TabularInline):
    """The article's tags, in the editors' order: a row each, a tag found by search (and "+"
    for a new one), a number to order them by."""

    model = ArticleTag
    form = ArticleTagInlineForm
    formset = ArticleTagFormSet
    fields = ["order", "tag"]
    autocomplete_fields = ["tag"]
    ordering = ["position", "tag__name", "tag__slug"]  # LINK_ORDER: the API's order
    verbose_name = "tag"
    verbose_name_plural = "tags"

    def get_extra(self, request, obj=None, **kwargs):
        return 3 if obj is None else 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tag")  # each row shows its tag

    def get_fields(self, request, obj=None):
        # Read-only, the rows' order says it all: no number to show.
        return self.fields if self.has_change_permission(request, obj) else ["tag"]

    # The links are part of the article, as its tags: whoever may write the article (add it,
    # or change it) writes them, whoever may view it sees them (a Moderator, read-only), with
    # no permission of the link model's own to grant besides.
    def has_view_permission(self, request, obj=None):
        return self._article_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_write_article(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_write_article(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write_article(request, obj)

    def _may_write_article(self, request, article) -> bool:
        admin_ = self._article_admin()
        if article is None:
            return admin_.has_add_permission(request)
        return admin_.has_change_permission(request, article)

    def _article_admin(self) -> admin.ModelAdmin:
        return self.admin_site.get_model_admin(Article)


@admin.register(Article)
class ArticleAdmin(NewsroomAdmin):
    form = ArticleAdminForm
    inlines = [ArticleTagInline, TakeawayInline]
    autocomplete_fields = ["company"]
    prepopulated_fields = {"slug": ["title"]}
    # In the order an editor works: what it is about, the text, its source, then when it goes
    # out; the tags and the takeaways (inlines, in order) follow.
    fieldsets = [
        (None, {"fields": ["title", "slug", "company", "category"]}),
        ("Text", {"fields": ["summary", "editorial_opinion"]}),
        ("Source", {"fields": ["source_name", "source_url", "authors"]}),
        (
            "Publication",
            {
                "fields": [
                    "status",
                    "published_at",
                    "state",
                    "comments_open",
                    "api_link",
                    "preview_link",
                ],
                "description": "Published with a future time: scheduled, public from then on.",
            },
        ),
        (
            "Record",
            {
                "fields": ["visible_comments", "old_slugs", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = [
        "state",
        "api_link",
        "preview_link",
        "visible_comments",
        "old_slugs",
        "created_at",
        "updated_at",
    ]
    list_display_links = ["title"]
    list_select_related = ["company"]
    list_filter = [
        ArticleStateFilter,
        "category",
        CompanyFilter,
        TagFilter,
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = ["title", "slug"]
    search_help_text = (
        "Words of the title, summary, takeaways or opinion (the last word may be cut short), "
        "or the exact slug."
    )
    actions = ["publish_now", "unpublish"]

    def get_queryset(self, request):
        # The one rule (botbeat.roles): a Moderator, who views articles to judge comments in
        # their context, finds the public's articles here, as in the API; Editors find all.
        return super().get_queryset(request).visible_to(request.user)

    def list_queryset(self, request, queryset):
        # The texts and the search vector are most of a row's bytes; a row of the list shows
        # none of them.
        return queryset.only(
            "id",
            "slug",
            "title",
            "category",
            "status",
            "published_at",
            "comment_count",
            "company__name",
        )

    def get_list_display(self, request):
        user = request.user
        may_moderate = user.has_perm("comments.view_comment") or user.has_perm(
            "comments.change_comment"
        )
        comments = "comments_link" if may_moderate else "comments"
        return ["title", "company", "category", "state", "published_at", comments, "api"]

    def get_search_results(self, request, queryset, search_term):
        """PostgreSQL: the full-text index (title, summary, takeaways, opinion) rather than a
        scan of every title; elsewhere (SQLite) the default, title or slug contains."""
        term = search_term.strip()
        if not term or connections[queryset.db].vendor != "postgresql":
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(slug=term) | Q(search_vector=_prefix_query(term))), False

    # Columns and read-only fields

    @admin.display(description="state")
    def state(self, article):
        if article.pk is None:
            return "-"
        state = article_state(article)
        return state_badge(state, STATE_LABELS[state])

    @admin.display(description="comments")
    def comments(self, article):
        return article.comment_count

    @admin.display(description="comments")
    def comments_link(self, article):
        return count_link(
            article.comment_count,
            reverse("admin:comments_comment_changelist"),
            {"article": article.pk},
        )

    @admin.display(description="API")
    def api(self, article):
        return format_html('<a href="{}" target="_blank">JSON ↗</a>', self.view_on_site(article))

    @admin.display(description="in the API")
    def api_link(self, article):
        if article.pk is None:
            return "-"
        url = self.view_on_site(article)
        note = "" if article_state(article) == "published" else " (staff only until published)"
        return format_html('<a href="{}" target="_blank">{}</a>{}', url, url, note)

    @admin.display(description="preview")
    def preview_link(self, article):
        # Only Editors find a draft or a scheduled article here (get_queryset), so the button
        # is theirs; the view checks again.
        if article.pk is None:
            return "-"
        if article.is_public:
            return "Public: its address needs no preview link."
        hours = int(settings.PREVIEW_TTL.total_seconds() // 3600)
        return format_html(
            '<a class="button" href="{}">Preview link</a> <span class="help">A link that shows '
            "this article to anyone who has it, for {} hours or until the article is saved "
            "again.</span>",
            reverse("admin:articles_article_preview", args=[quote(article.pk)]),
            hours,
        )

    @admin.display(description="visible comments")
    def visible_comments(self, article):
        return self.comments(article)

    @admin.display(description="old slugs")
    def old_slugs(self, article):
        return ", ".join(old_slugs(article)) or "-"  # each answers 301 here

    def view_on_site(self, article):
        return reverse("article-detail", kwargs={"slug": article.slug})

    # The preview link

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_link_view)
        return [
            path("<path:object_id>/preview/", view, name="articles_article_preview"),
            *super().get_urls(),
        ]

    def preview_link_view(self, request, object_id):
        """A new preview link of the article, shown to copy with its expiry (Editors only).

        A GET: making a link writes nothing (the link is a signature, articles/previews.py),
        so the page may be reloaded, which makes another.
        """
        if not sees_unpublished(request.user):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:articles_article_change", args=[quote(article.pk)])
        try:
            link = preview_link_issue(article=article)
        except ServiceError as error:  # public already
            self.message_user(request, error.message, messages.WARNING)
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Preview link",
            "opts": self.opts,
            "original": article,
            "state": STATE_LABELS[article_state(article)].lower(),
            "url": preview_url(request, slug=article.slug, token=link.token),
            "expires_at": link.expires_at,
            "change_url": change_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/articles/article/preview_link.html", context)

    # Saving

    def construct_change_message(self, request, form, formsets, add=False):
        """The form's record names the fields the form saved. A change of status or of slug is
        not one: article_publish / article_unpublish and article_rename record it themselves,
        when it happens."""
        message = super().construct_change_message(request, form, formsets, add)
        recorded = {
            str(form.fields[name].label or name)
            for name in SERVICE_RECORDED_FIELDS & form.fields.keys()
        }
        if add or not recorded:
            return message
        kept = []
        for part in message:
            changed = part.get("changed", {})
            if "fields" in changed and "object" not in changed:
                changed["fields"] = [name for name in changed["fields"] if name not in recorded]
                if not changed["fields"]:
                    continue
            kept.append(part)
        return kept

    def log_change(self, request, obj, message):
        if message:  # nothing but the status or slug changed: their services have recorded it
            super().log_change(request, obj, message)

    def save_model(self, request, obj, form, change):
        """Everything but the status and the slug is saved as the form has it; the status
        changes through article_publish / article_unpublish, as the list's actions do, and the
        slug through article_rename, which keeps the old one answering. Each step keeps the
        published counts (a new company, a new status); the tags' inline too (ArticleTagFormSet)."""
        wanted, slug = obj.status, obj.slug
        obj.status = form.initial.get("status", Status.DRAFT) if change else Status.DRAFT
        if change:
            obj.slug = form.initial.get("slug", slug)
        with article_counts_kept(article_ids=[obj.pk] if change else []) as counted:
            super().save_model(request, obj, form, change)
            counted.add(obj.pk)
        if change:
            obj.slug = article_rename(article=obj, slug=slug, by=request.user).slug
        if wanted == Status.PUBLISHED:
            saved = article_publish(article=obj, at=obj.published_at, by=request.user)
        else:
            saved = article_unpublish(article=obj, by=request.user)
        obj.status, obj.published_at = saved.status, saved.published_at

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        # Title, summary, opinion or takeaways may have changed: one UPDATE either way.
        article_refresh_search_vector(article_ids=[article.pk])
        # The form, its inlines (takeaways, tags) and the services above are all saved: what
        # the public now sees of the article, in the change feed (in the admin's transaction).
        outbox.touched(articles=[article.pk])

    def delete_model(self, request, obj):
        pk = obj.pk
        with transaction.atomic():
            with article_counts_kept(article_ids=[pk]):
                super().delete_model(request, obj)
            outbox.touched(articles=[pk])  # once counted: tags' visibility reads the counts

    def delete_queryset(self, request, queryset):
        # The "delete selected" action: one recount for all the tags and companies concerned.
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            with article_counts_kept(article_ids=ids):
                super().delete_queryset(request, queryset)
            outbox.touched(articles=ids)

    # Actions

    @admin.action(description="Publish the selected articles now", permissions=["change"])
    def publish_now(self, request, queryset):
        self._publication(request, queryset, "published", article_publish)

    @admin.action(
        description="Unpublish the selected articles (back to draft)", permissions=["change"]
    )
    def unpublish(self, request, queryset):
        self._publication(request, queryset, "draft", article_unpublish)

    def _publication(self, request, queryset, wanted: str, service) -> None:
        """Each article through `service`, which records each one it changes."""
        changed, unchanged = [], 0
        with transaction.atomic():
            for article in queryset:
                before = article_state(article)
                article = service(article=article, by=request.user)
                if article_state(article) == before:
                    unchanged += 1
                else:
                    changed.append(article)
        verb = "Published" if wanted == "published" else "Unpublished"
        text = f"{verb} {len(changed)} article{'s' if len(changed) != 1 else ''}."
        if unchanged:
            already = "live" if wanted == "published" else "drafts"
            text += f" {unchanged} {'was' if unchanged == 1 else 'were'} {already} already."
        self.message_user(request, text, messages.SUCCESS)


def _prefix_query(term: str) -> SearchQuery:
    """Every word of `term` must match, the last one as a prefix (typing "reinforc" finds
    "reinforcement"): served by the search vector's GIN index. Words only, so that no input
    makes an invalid tsquery."""
    words = "".join(c if c.isalnum() else " " for c in term).split()[:SEARCH_MAX_TERMS] or ["_"]
    query = " & ".join([*words[:-1], f"{words[-1]}:*"])
    return SearchQuery(query, search_type="raw", config=SEARCH_CONFIG)


# Tags


@admin.register(Tag)
class TagAdmin(MergeActionMixin, NewsroomAdmin):
    fields = ["name", "slug", "old_slugs", "articles_total", "published", "created_at"]
    readonly_fields = ["old_slugs", "articles_total", "published", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name", "slug", "articles_total", "published"]
    search_fields = ["name", "slug"]
    actions = ["merge"]
    merge_service = staticmethod(tag_merge)
    merge_target_field = Article._meta.get_field("tags")

    def get_queryset(self, request):
        # A correlated count over the (tag, article) index, for the rows shown only unless the
        # list is sorted by it (every tag then: under 0.1 s for 500 tags and 350,000 links).
        # The published count: the stored column less the scheduled articles, one query for
        # the page (TagQuerySet.with_article_count).
        return (
            super()
            .get_queryset(request)
            .annotate(articles_total=count_of(ArticleTag.objects.all(), per="tag"))
            .with_article_count()
        )

    def save_model(self, request, obj, form, change):
        old_slug = stored_slug(obj)
        super().save_model(request, obj, form, change)
        if old_slug is not None and old_slug != obj.slug:
            slug_renamed(obj=obj, old_slug=old_slug)  # the old one answers 301
        # The save wrote the row whole, published_count as loaded: recount it, in case an
        # article was published meanwhile.
        tag_counts_refresh(tag_ids=[obj.pk])
        # Its name and slug show in every article that carries it.
        outbox.touched(tags=[obj.pk], tags_shown=[obj.pk])

    def delete_model(self, request, obj):
        self.delete_queryset(request, Tag.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Its articles lose it: they, and it, in the change feed."""
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            articles = list(
                ArticleTag.objects.filter(tag_id__in=ids).values_list("article_id", flat=True)
            )
            super().delete_queryset(request, queryset)
            outbox.touched(articles=articles, tags=ids)

    @admin.display(description="articles", ordering="articles_total")
    def articles_total(self, tag):
        if tag.pk is None:
            return "-"
        return count_link(
            getattr(tag, "articles_total", 0),
            reverse("admin:articles_article_changelist"),
            {"tag": tag.pk},
        )

    @admin.display(description="old slugs")
    def old_slugs(self, tag):
        return ", ".join(old_slugs(tag)) or "-"  # each answers 301 here

    @admin.display(description="published articles")
    def published(self, tag):
        if tag.pk is None:
            return "-"
        return tag.article_count
