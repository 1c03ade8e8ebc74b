"""The newsroom: articles and tags in the Django admin, and the pieces every admin here shares.

Shared (companies.admin and comments.admin use them): `NewsroomAdmin`, a ModelAdmin whose list
pages stay fast on big tables (no full counts, no facet counts, a list query trimmed to its
columns); `AutocompleteFilter`, a sidebar filter that searches instead of listing every row;
`MergeActionMixin`, the "merge duplicates into another" action with its confirmation page.
"""

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    RelatedFieldWidgetWrapper,
)
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode

from articles.filters import SEARCH_CONFIG, SEARCH_MAX_TERMS
from articles.models import Article, ArticleTag, Status, Tag, Takeaway
from articles.services import (
    article_counts_kept,
    article_publish,
    article_refresh_search_vector,
    article_tags_set,
    article_unpublish,
    tag_counts_refresh,
    tag_merge,
)

admin.site.site_header = "BotBeat newsroom"
admin.site.site_title = "BotBeat newsroom"
admin.site.index_title = "Newsroom"

NEWSROOM_CSS = "articles/admin/newsroom.css"
AUTOCOMPLETE_FILTER_JS = "articles/admin/autocomplete_filter.js"


# Lists that stay fast on big tables


class EstimatedCountPaginator(Paginator):
    """Django's Paginator with a count that never walks a whole big table.

    An exact COUNT(*) reads every row: over a second for 1,000,000 comments. On PostgreSQL:
    - an unfiltered list takes the table's row estimate (pg_class.reltuples, kept current by
      autovacuum's ANALYZE), once it is over EXACT_UP_TO;
    - a filtered or searched list counts exactly, but stops at EXACT_UP_TO + 1 rows; beyond,
      it takes the planner's estimate of the filtered query (EXPLAIN), never less than that.
    `is_estimate` tells the pagination template to say "about". Elsewhere (SQLite, the tests)
    counts are exact.
    """

    EXACT_UP_TO = 1000

    is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        if not queryset.query.where and not queryset.query.distinct:
            estimate = self._table_estimate(queryset)
            if estimate > self.EXACT_UP_TO:
                self.is_estimate = True
                return estimate
        bounded = queryset.order_by()[: self.EXACT_UP_TO + 1].count()
        if bounded <= self.EXACT_UP_TO:
            return bounded
        self.is_estimate = True
        return max(bounded, self._plan_estimate(queryset))

    @staticmethod
    def _table_estimate(queryset: QuerySet) -> int:
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] > 0 else -1  # -1: never analyzed

    @staticmethod
    def _plan_estimate(queryset: QuerySet) -> int:
        sql, params = queryset.order_by().query.sql_with_params()
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        return int(plan[0]["Plan"]["Plan Rows"])


class NewsroomChangeList(ChangeList):
    """A ChangeList that lets its ModelAdmin trim the list's own query (`list_queryset`), so
    that get_queryset() stays whole for the change form."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return self.model_admin.list_queryset(request, queryset)

    def get_results(self, request):
        super().get_results(request)
        if isinstance(self.result_list, QuerySet) and self.result_list.query.high_mark is None:
            # One page or "show all": Django leaves the query unsliced. A LIMIT that cuts
            # nothing (the count said so) keeps PostgreSQL's cost estimate in proportion to
            # the rows shown; unbounded, a search's estimate can cross jit_above_cost and spend
            # a second compiling a query that finds nothing.
            self.result_list = self.result_list[: max(self.list_per_page, self.list_max_show_all)]


class NewsroomAdmin(admin.ModelAdmin):
    """The base of every list here: counts that stay cheap on big tables (above), no facet
    counts (one COUNT per filter choice), and media for AutocompleteFilter and the badges."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False  # a second count, of the unfiltered table
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return NewsroomChangeList

    def list_queryset(self, request, queryset: QuerySet) -> QuerySet:
        """The list page's query: override to load only the columns shown."""
        return queryset

    @property
    def media(self):
        # select2 and the admin's autocomplete, for AutocompleteFilter on the list page (the
        # change form brings them itself when it has an autocomplete field).
        autocomplete = AutocompleteSelect(Article._meta.get_field("company"), self.admin_site)
        # The filter's script after jquery.init.js, which defines django.jQuery.
        newsroom = forms.Media(
            js=["admin/js/jquery.init.js", "admin/js/autocomplete.js", AUTOCOMPLETE_FILTER_JS],
            css={"all": [NEWSROOM_CSS]},
        )
        return super().media + autocomplete.media + newsroom


class AutocompleteFilter(admin.ListFilter):
    """A sidebar filter on a relation with too many rows to list (100,000 articles): a search
    box served by the related model's admin (its autocomplete view, its search and its view
    permission) instead of one link per row. It costs no query until a value is chosen, then
    one, for the chosen row's name. The value is the related row's id: `?company=12`.

    Subclasses set `parameter_name`, `field_name` (the relation on the listed model that the
    autocomplete view serves) and `title`, and may override `filter`.
    """

    template = "admin/newsroom_autocomplete_filter.html"
    parameter_name: str
    field_name: str
    placeholder = "Type to search…"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.field = model._meta.get_field(self.field_name)
        self.admin_site = model_admin.admin_site
        if self.parameter_name in params:
            self.used_parameters[self.parameter_name] = params.pop(self.parameter_name)[-1]

    def value(self):
        return self.used_parameters.get(self.parameter_name)

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.parameter_name]

    def related_pk(self):
        try:
            # clean(): the type and the range (a 30-digit id would overflow the column).
            return self.field.related_model._meta.pk.clean(self.value(), None)
        except ValidationError as error:
            raise IncorrectLookupParameters(error) from None

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return self.filter(queryset, self.related_pk())

    def filter(self, queryset: QuerySet, pk) -> QuerySet:
        return queryset.filter(**{self.field_name: pk})

    def choices(self, changelist):
        # The search box navigates to this address plus its own parameter (autocomplete_filter.js).
        self.base_query_string = changelist.get_query_string(remove=[self.parameter_name])
        yield {
            "selected": self.value() is None,
            "query_string": self.base_query_string,
            "display": "All",
        }

    def widget(self) -> str:
        chooser = forms.ModelChoiceField(
            queryset=self.field.related_model._default_manager.all(),
            required=False,
            widget=FilterAutocompleteSelect(
                self.field,
                self.admin_site,
                placeholder=self.placeholder,
                attrs={
                    "class": "newsroom-filter-autocomplete",
                    "data-parameter": self.parameter_name,
                    "data-base-query": self.base_query_string,
                    "aria-label": f"Filter by {self.title}",
                    "data-width": "100%",  # not a style attribute: the CSP refuses those
                },
            ),
        )
        value = self.related_pk() if self.value() is not None else None
        return chooser.widget.render(f"filter-{self.parameter_name}", value)


class FilterAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete box with a placeholder (the admin's own is always empty)."""

    def __init__(self, field, admin_site, *, placeholder: str, attrs=None):
        super().__init__(field, admin_site, attrs=attrs)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs, extra_attrs=None):
        return super().build_attrs(base_attrs, extra_attrs) | {"data-placeholder": self.placeholder}


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(queryset=None, label="Merge into")

    def __init__(self, *args, queryset, widget, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = sources
        self.fields["target"].widget = widget
        self.fields["target"].queryset = queryset  # after the widget: gives it the choices

    def clean_target(self):
        target = self.cleaned_data["target"]
        if target.pk in {source.pk for source in self.sources}:
            raise ValidationError("Choose one that is not among those being merged.")
        return target


class MergeActionMixin:
    """An admin action that merges the selected duplicates into one target, chosen on a
    confirmation page, through `merge_service(source=..., target=..., by=...)` (which moves every
    article's link and deletes the source), all in one transaction. The service records each
    merge: the source's deletion and, on the target, what it absorbed.

    Set `merge_service` and `merge_target_field`: a relation to the model whose autocomplete
    view lists the targets (e.g. Article.tags for tags).
    """

    merge_service = None
    merge_target_field = None

    @admin.action(
        description="Merge the selected %(verbose_name_plural)s into another…",
        permissions=["change", "delete"],
    )
    def merge(self, request, queryset):
        opts = self.model._meta
        sources = list(queryset)
        form = MergeForm(
            request.POST if "apply" in request.POST else None,
            queryset=self.get_queryset(request),
            widget=AutocompleteSelect(self.merge_target_field, self.admin_site),
            sources=sources,
        )
        if form.is_bound and form.is_valid():
            target = form.cleaned_data["target"]
            moved = 0
            with transaction.atomic():
                for source in sources:
                    moved += self.merge_service(source=source, target=target, by=request.user)
            self.message_user(
                request,
                f"Merged {len(sources)} "
                f"{opts.verbose_name if len(sources) == 1 else opts.verbose_name_plural} "
                f"into “{target}”: "
                f"{moved} articles relinked.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {opts.verbose_name_plural}",
            "opts": opts,
            "sources": sources,
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "merge",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/newsroom_merge.html", context)


def count_link(count: int, url: str, query: dict) -> str:
    """`count`, linking to the list at `url` filtered by `query`."""
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(query), count)


# Articles


def article_state(article: Article, now=None) -> str:
    """The article's state for staff: "draft", "scheduled" (published, with a future time) or
    "published" (public now)."""
    if article.status != Status.PUBLISHED:
        return "draft"
    return "scheduled" if article.published_at > (now or timezone.now()) else "published"


STATE_LABELS = {"draft": "Draft", "scheduled": "Scheduled", "published": "Published"}


def state_badge(state: str, label: str) -> str:
    return format_html('<span class="newsroom-badge newsroom-{}">{}</span>', state, label)


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
                return queryset.filter(status=Status.PUBLISHED, published_at__gt=now)
            case "published":
                return queryset.filter(status=Status.PUBLISHED, published_at__lte=now)
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
    # Not the model's `tags`: a many-to-many through ArticleTag is not a form field. Saved by
    # ArticleAdmin.save_related.
    tag_list = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        required=False,
        label="Tags",
        widget=AutocompleteSelectMultiple(Article._meta.get_field("tags"), admin.site),
        help_text="Type to search; + adds a tag that does not exist yet.",
    )
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "tag_list" in self.fields:
            self.initial["tag_list"] = list(
                self.instance.article_tags.values_list("tag_id", flat=True)
            )


class TakeawayInlineForm(forms.ModelForm):
    # Not the model's `position`: positions are unique per article, and editors reorder by
    # typing numbers, so two rows may share one until TakeawayFormSet.save renumbers them.
    order = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=999,
        widget=forms.NumberInput(attrs={"class": "newsroom-order"}),
        help_text="Blank: after the others.",
    )

    class Meta:
        model = Takeaway
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "cols": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["order"] = self.instance.position


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


@admin.register(Article)
class ArticleAdmin(NewsroomAdmin):
    form = ArticleAdminForm
    inlines = [TakeawayInline]
    autocomplete_fields = ["company"]
    prepopulated_fields = {"slug": ["title"]}
    # In the order an editor works: what it is about, the text, its source, then when it goes
    # out; the takeaways (an inline) follow.
    fieldsets = [
        (None, {"fields": ["title", "slug", "company", "category", "tag_list"]}),
        ("Text", {"fields": ["summary", "editorial_opinion"]}),
        ("Source", {"fields": ["source_name", "source_url", "authors"]}),
        (
            "Publication",
            {
                "fields": ["status", "published_at", "state", "comments_open", "api_link"],
                "description": "Published with a future time: scheduled, public from then on.",
            },
        ),
        (
            "Record",
            {"fields": ["visible_comments", "created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]
    readonly_fields = ["state", "api_link", "visible_comments", "created_at", "updated_at"]
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "tag_list" in form.base_fields:
            # The "+" beside the tags, as the admin gives its own relation fields: a new tag
            # in a popup, chosen on return. A copy: the form's declared field is shared.
            field = copy.deepcopy(form.base_fields["tag_list"])
            field.widget = RelatedFieldWidgetWrapper(
                field.widget,
                Article._meta.get_field("tags").remote_field,
                self.admin_site,
                can_add_related=request.user.has_perm("articles.add_tag"),
                can_change_related=False,
                can_delete_related=False,
                can_view_related=False,
            )
            form.base_fields["tag_list"] = field
        return form

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

    @admin.display(description="visible comments")
    def visible_comments(self, article):
        return self.comments(article)

    @admin.display(description="tags")
    def tag_list(self, article):
        # The form's field when editing; this, for those who may only view the article.
        return ", ".join(tag.name for tag in article.tags.all()) or "-"

    def view_on_site(self, article):
        return reverse("article-detail", kwargs={"slug": article.slug})

    # Saving

    def save_model(self, request, obj, form, change):
        """Everything but the status is saved as the form has it; the status changes through
        article_publish / article_unpublish, as the list's actions do. Each step keeps the
        published counts (a new company, a new status); save_related's tags too."""
        wanted = obj.status
        obj.status = form.initial.get("status", Status.DRAFT) if change else Status.DRAFT
        with article_counts_kept(article_ids=[obj.pk] if change else []) as counted:
            super().save_model(request, obj, form, change)
            counted.add(obj.pk)
        if wanted == Status.PUBLISHED:
            saved = article_publish(article=obj, at=obj.published_at, by=request.user)
        else:
            saved = article_unpublish(article=obj, by=request.user)
        obj.status, obj.published_at = saved.status, saved.published_at

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        if "tag_list" in form.changed_data:
            article_tags_set(article=article, tags=form.cleaned_data["tag_list"])
        # Title, summary, opinion or takeaways may have changed: one UPDATE either way.
        article_refresh_search_vector(article_ids=[article.pk])

    def delete_model(self, request, obj):
        with article_counts_kept(article_ids=[obj.pk]):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The "delete selected" action: one recount for all the tags and companies concerned.
        with article_counts_kept(article_ids=queryset.values_list("pk", flat=True)):
            super().delete_queryset(request, queryset)

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
    fields = ["name", "slug", "articles_total", "published", "created_at"]
    readonly_fields = ["articles_total", "published", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    list_display = ["name", "slug", "articles_total", "published"]
    search_fields = ["name", "slug"]
    actions = ["merge"]
    merge_service = staticmethod(tag_merge)
    merge_target_field = Article._meta.get_field("tags")

    def get_queryset(self, request):
        # A correlated count over the (tag, article) index, for the rows shown only unless the
        # list is sorted by it (every tag then: under 0.1 s for 500 tags and 350,000 links).
        # COUNT(*), not of the id: the index alone answers it (an index-only scan).
        links = ArticleTag.objects.filter(tag=OuterRef("pk")).order_by().values("tag")
        total = links.annotate(n=Count("*")).values("n")
        # The published count: the stored column less the scheduled articles, one query for
        # the page (TagQuerySet.with_article_count).
        return (
            super()
            .get_queryset(request)
            .annotate(articles_total=Coalesce(Subquery(total), Value(0)))
            .with_article_count()
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The save wrote the row whole, published_count as loaded: recount it, in case an
        # article was published meanwhile.
        tag_counts_refresh(tag_ids=[obj.pk])

    @admin.display(description="articles", ordering="articles_total")
    def articles_total(self, tag):
        if tag.pk is None:
            return "-"
        return count_link(
            getattr(tag, "articles_total", 0),
            reverse("admin:articles_article_changelist"),
            {"tag": tag.pk},
        )

    @admin.display(description="published articles")
    def published(self, tag):
        if tag.pk is None:
            return "-"
        return tag.article_count
