"""The admin's shared pieces, which every app's admin here builds on (articles, companies,
comments, the log): the site's title, and

- `NewsroomAdmin`, a ModelAdmin whose list pages stay fast on big tables (no full counts, no
  facet counts, a list query trimmed to its columns), with `EstimatedCountPaginator` and
  `NewsroomChangeList`;
- `AutocompleteFilter`, a sidebar filter that searches instead of listing every row;
- `MergeActionMixin`, the "merge duplicates into another" action with its confirmation page;
- `count_link` and `state_badge`, for list columns.

Their templates are in botbeat/templates/admin/ (newsroom_*.html), their script and style in
botbeat/static/botbeat/admin/.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode

admin.site.site_header = "BotBeat newsroom"
admin.site.site_title = "BotBeat newsroom"
admin.site.index_title = "Newsroom"
NEWSROOM_CSS = "botbeat/admin/newsroom.css"
AUTOCOMPLETE_FILTER_JS = "botbeat/admin/autocomplete_filter.js"


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
        # change form brings them itself when it has an autocomplete field). The widget's media
        # are the same whatever its field, so it is given none.
        autocomplete = AutocompleteSelect(None, self.admin_site)
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


def state_badge(state: str, label: str) -> str:
    return format_html('<span class="newsroom-badge newsroom-{}">{}</span>', state, label)
