"""Old slugs keep working (API.md, "Slugs that change"): a GET of an address an article, a tag
or a company had answers 301 with `Location` at its address now, in paths and in filter values.

The record: one table per kind (ArticleSlugRedirect, TagSlugRedirect, CompanySlugRedirect, each
a `SlugRedirect` below), `old_slug` unique within the kind, `target` a foreign key to the object
with `related_name="slug_redirects"`. A foreign key, not a generic (content type, id) pair: the
database keeps every row pointing at an object that exists (deleting it deletes its old slugs,
whose addresses then answer 404 like its own), and each kind's slugs are its own namespace, as
its live slugs are.

Written by the services, in the transaction of the change: a rename (`slug_renamed`: the
article's `article_rename`, the tag and company admin forms) and a merge (`slug_merged`, from
`tag_merge` and `company_merge`). A row always names the object, never a slug, so a chain of
renames A -> B -> C leaves A and B both pointing at the object, whose slug is C: one hop, never a
chain. A merge moves the source's rows to the target, its own slug with them.

Read only when the live lookup failed (SlugRedirectMixin, on the views): a live slug costs
nothing more, and always wins. A row whose old slug a live object holds now (another object was
created with it) is not consulted, whoever asks and whether or not they may see that object;
renames and merges also delete such rows. A redirect leads only where its requester may look:
the target must be in the kind's `visible_to(user)`, else the answer is the 404 (or the filter's
400) that it was. Only GET and HEAD redirect.

A 301 is not cached anywhere (`private, no-store`, as every non-200 answer of the API; the
response cache stores 200s only): what it says changes with writes that name none of its keys
(a new object taking the old slug), and a browser would otherwise keep a permanent redirect for
good. It costs what the 404 (or 400) it replaces cost, plus one indexed query per kind.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus

from django.db import models
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    ViewBase = GenericAPIView
else:
    ViewBase = object

# Only reads redirect: a write sent to an old address must not be repeated at another.
REDIRECTED_METHODS = frozenset({"GET", "HEAD"})
# The code a filter's error has when a value names nothing the caller may see (Django's choice
# fields'): the errors worth a look at the old slugs. Not `max_items` and the like, which the
# new slug would not cure (and 150 values would make a query of their own).
UNKNOWN_VALUE_CODE = "invalid_choice"


class SlugRedirect(models.Model):
    """An old slug of an object: a concrete subclass adds `target`, a foreign key to the kind's
    model with `related_name="slug_redirects"` (how slug_redirect_model finds it)."""

    # No index of its own: the unique constraint is the lookup's.
    old_slug = models.SlugField(max_length=200, db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        constraints = [
            # the lookup of an old slug; and one target per old slug
            models.UniqueConstraint(fields=["old_slug"], name="%(class)s_old_slug_unique"),
            models.CheckConstraint(condition=~Q(old_slug=""), name="%(class)s_old_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.old_slug


def slug_redirect_model(model: type[models.Model]) -> type[models.Model]:
    """The table of `model`'s old slugs: a SlugRedirect (typed as a plain model, so that its
    subclass's `target` is not checked against the abstract model's fields)."""
    return model._meta.get_field("slug_redirects").related_model  # type: ignore[return-value]


# Recording (the services call these, in the transaction of the change)


def slug_renamed(*, obj: models.Model, old_slug: str) -> None:
    """Record that `obj`, saved with its new slug, was at `old_slug` until now.

    Its new slug is live: any row naming it as an old slug (obj's own, when a rename goes back;
    another object's, taken over) goes. Rows already pointing at obj keep doing so, and so reach
    its new slug in one hop."""
    redirects = slug_redirect_model(type(obj))
    new_slug = obj.slug  # type: ignore[attr-defined]
    redirects._default_manager.filter(old_slug=new_slug).delete()
    if old_slug != new_slug:
        redirects._default_manager.update_or_create(old_slug=old_slug, defaults={"target": obj})


def stored_slug(obj: models.Model) -> str | None:
    """The slug of `obj`'s row as stored (None when it has none yet): read before a save, what
    the save renames if it writes another."""
    if obj.pk is None:
        return None
    rows = type(obj)._default_manager.filter(pk=obj.pk).values_list("slug", flat=True)
    return rows.first()


def slug_merged(*, source: models.Model, target: models.Model) -> None:
    """Record that `source`, about to be deleted, was merged into `target`: its slug and its
    own old slugs now lead to `target`. Call it before deleting `source` (its rows would go with
    it). The slugs are read from the database, not from the caller's copies."""
    model = type(source)
    slugs = dict(
        model._default_manager.filter(pk__in=[source.pk, target.pk]).values_list("pk", "slug")
    )
    redirects = slug_redirect_model(model)
    redirects._default_manager.filter(target=source).update(target=target)
    redirects._default_manager.update_or_create(
        old_slug=slugs[source.pk], defaults={"target": target}
    )
    redirects._default_manager.filter(old_slug=slugs[target.pk]).delete()


# Reading


def old_slugs(obj: models.Model) -> list[str]:
    """The old slugs that lead to `obj`, alphabetically (the admin shows them)."""
    if obj.pk is None:
        return []
    rows = slug_redirect_model(type(obj))._default_manager.filter(target=obj).order_by("old_slug")
    return list(rows.values_list("old_slug", flat=True))


def slugs_now(model: type[models.Model], slugs: Iterable[str], user) -> dict[str, str]:
    """{old slug: slug now} for those of `slugs` that are old slugs of objects of `model` that
    `user` may see (the kind's `visible_to(user)`) and that no object holds live. One query."""
    slugs = list(slugs)
    if not slugs:
        return {}
    visible = model._default_manager.visible_to(user)  # type: ignore[attr-defined]
    live = model._default_manager.filter(slug__in=slugs).values("slug")
    rows = (
        slug_redirect_model(model)
        ._default_manager.filter(old_slug__in=slugs, target__in=visible.values("pk"))
        .exclude(old_slug__in=live)
        .values_list("old_slug", "target__slug")
    )
    return dict(rows)


def query_with(raw_query: str, replaced: Mapping[str, Mapping[str, str]]) -> str:
    """`raw_query` (a URL's query string, as sent) with the values of the parameters in
    `replaced` swapped ({name: {old: new}}): every other pair kept as it was sent, in order."""
    pairs = []
    for pair in raw_query.split("&"):
        name, equals, value = pair.partition("=")
        new = replaced.get(unquote_plus(name), {}).get(unquote_plus(value)) if equals else None
        pairs.append(pair if new is None else f"{name}={quote(new, safe='')}")
    return "&".join(pairs)


class SlugRedirectSchema(AutoSchema):
    """The schema of a SlugRedirectMixin view: its GETs that take a slug (in the path, or in a
    filter) document the 301 and its `Location`. Every detail action of the view inherits it."""

    def redirected(self) -> str | None:
        """What of this operation may be an old slug: "path", "filter", or None."""
        view: Any = self.view
        if self.method != "GET":
            return None
        if f"{{{view.slug_kwarg}}}" in self.path:
            return "path"
        return "filter" if self.slug_filter_names() else None

    def slug_filter_names(self) -> list[str]:
        """The query parameters of this operation that take slugs: a list's filters, or the
        parameters of a view without a filterset (StrictQueryParamsMixin's)."""
        view: Any = self.view
        filterset = getattr(view, "filterset_class", None)
        if filterset is not None:
            if getattr(view, "action", None) != "list":
                return []
            taken = filterset.base_filters.keys()
        else:
            taken = set(getattr(view, "extra_query_params", ()))
        return [name for name in view.slug_filters if name in taken]

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        redirected = self.redirected() if operation is not None else None
        if operation is None or redirected is None:
            return operation
        view: Any = self.view
        if redirected == "path":
            what = (
                f"`{view.slug_kwarg}` is an old slug of the {view.slug_model._meta.verbose_name}: "
                "`Location` is this address with its slug now, the query string kept."
            )
        else:
            names = ", ".join(f"`{name}`" for name in self.slug_filter_names())
            what = (
                f"a value of {names} is an old slug: `Location` is this address with the slug "
                "now in its place, every other parameter kept in order."
            )
        operation["responses"]["301"] = {
            "description": (
                f"Moved Permanently: {what} An old slug is one that a rename or a merge left "
                "behind; it leads only where the caller may see the target (else the answer is "
                "what it would have been), in one hop however many times it moved. Never cached "
                "(`private, no-store`); no body."
            ),
            "headers": {
                "Location": {
                    "description": "The address now, absolute.",
                    "required": True,
                    "schema": {"type": "string", "format": "uri"},
                }
            },
        }
        operation["responses"] = dict(sorted(operation["responses"].items()))
        return operation


class SlugRedirectMixin(ViewBase):
    """For views that find an object by its slug: a GET or HEAD whose slug, in the path
    (`slug_kwarg`) or in a filter (`slug_filters`: {parameter: model}), is an old one answers
    301 to the same address with the slug now. Looked up only once the view has failed: a 404
    in the path, a 400 naming the filter's parameter (see the module's docstring).

    Set `slug_model`, the model the path's slug names (its table of old slugs is
    slug_redirect_model's); `slug_filters` if the view takes slugs in its query.
    """

    slug_model: type[models.Model]
    slug_kwarg = "slug"
    slug_filters: Mapping[str, type[models.Model]] = {}
    schema = SlugRedirectSchema()
    # StrictQueryParamsMixin's, which a view with slug_filters has: the parameters it takes.
    allowed_query_params: Callable[[], set[str]]

    def handle_exception(self, exc):
        if self.request.method in REDIRECTED_METHODS:
            location = self.moved_to(exc)
            if location is not None:
                return Response(status=301, headers={"Location": location})
        return super().handle_exception(exc)

    def moved_to(self, exc) -> str | None:
        """The address now, when `exc` failed on an old slug that the caller may follow."""
        request = self.request
        query = request.META.get("QUERY_STRING", "")
        if isinstance(exc, Http404 | NotFound) and self.slug_kwarg in self.kwargs:
            old = self.kwargs[self.slug_kwarg]
            new = slugs_now(self.slug_model, [old], request.user).get(old)
            if new is None:
                return None
            match = request.resolver_match
            if match is None:  # a view called without the URLconf (no address to move to)
                return None
            path = reverse(match.view_name, kwargs={**match.kwargs, self.slug_kwarg: new})
            return request.build_absolute_uri(path + (f"?{query}" if query else ""))
        if isinstance(exc, ValidationError) and isinstance(exc.detail, dict) and self.slug_filters:
            refused = [
                name
                for name in sorted(self.slug_filters.keys() & self.allowed_query_params())
                if any(
                    getattr(error, "code", None) == UNKNOWN_VALUE_CODE
                    for error in exc.detail.get(name, ())
                )
            ]
            replaced = self.filter_slugs_now(refused)
            if not replaced:
                return None
            return request.build_absolute_uri(f"{request.path}?{query_with(query, replaced)}")
        return None

    def filter_slugs_now(self, names: list[str]) -> dict[str, dict[str, str]]:
        """{parameter: {old slug: slug now}} for the values of these parameters that moved, one
        query per kind. Any that moved is enough: a value refused for another reason is refused
        at the new address, which names it."""
        values = {name: set(self.request.query_params.getlist(name)) for name in names}
        by_model: dict[type[models.Model], set[str]] = {}
        for name in names:
            by_model.setdefault(self.slug_filters[name], set()).update(values[name])
        moved = {
            model: slugs_now(model, sorted(slugs), self.request.user)
            for model, slugs in by_model.items()
        }
        replaced = {
            name: {
                old: new
                for old, new in moved[self.slug_filters[name]].items()
                if old in values[name]
            }
            for name in names
        }
        return {name: slugs for name, slugs in replaced.items() if slugs}
