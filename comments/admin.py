"""The moderation queue: comments newest first, hidden and restored through the comment
services, readers deactivated through comments.moderation; every action recorded in the admin's
log (each comment's History, and the log entries list).

"Needs review" (the sidebar) is the review queue: comments withheld for review, awaiting
approval, or flagged, the most flagged first, each showing its open flags' reasons; a
comment's page shows its flags first. Word lists (banned, suspect) are kept here too."""

import operator
from collections import Counter
from functools import reduce

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import Lower
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from botbeat.admin import AutocompleteFilter, NewsroomAdmin, state_badge
from botbeat.roles import may_deactivate, moderates
from botbeat.services import ServiceError
from comments.models import Comment, CommentFlag, CommentWord
from comments.moderation import (
    comments_hide,
    comments_restore,
    user_deactivate,
)
from comments.services import comment_hide, comment_restore
from comments.words import entry_of

# Searching the text of comments is a scan (no index serves `contains`, and case-folding each
# body costs about 3 µs): without an article or author filter it covers the newest this many
# comments, a few hundred milliseconds, instead of seconds over 1,000,000. An author (@name) is
# found through indexes, over all time.
TEXT_SEARCH_WINDOW = 50_000

MODERATION_CHOICES = [
    (Comment.Status.VISIBLE.value, "Visible"),
    (Comment.Status.HIDDEN.value, "Hidden by a moderator"),
]
# The statuses a comment waits in for a Moderator: shown as they are, never chosen.
WAITING = [Comment.Status.PENDING_REVIEW, Comment.Status.PENDING]
WAITING_CHOICES = [(status.value, status.label) for status in WAITING]


def awaiting_review_q() -> Q:
    """What the review queue holds: comments waiting for a decision, and visible ones with
    open flags (below the threshold)."""
    return Q(status__in=WAITING) | Q(status=Comment.Status.VISIBLE, flag_count__gt=0)


class ReviewFilter(admin.SimpleListFilter):
    """The review queue: with it on, the list is the most flagged first, then the oldest."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("open", "Needs review")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(awaiting_review_q())
        return queryset


def flag_summary(flags) -> str:
    """`3: spam (2), abuse`: how many open flags, and their reasons, most given first."""
    if not flags:
        return "-"
    reasons = Counter(CommentFlag.Reason(flag.reason).label.lower() for flag in flags)
    parts = [f"{reason} ({n})" if n > 1 else reason for reason, n in reasons.most_common()]
    return f"{len(flags)}: {', '.join(parts)}"


class ArticleFilter(AutocompleteFilter):
    title = "article"
    parameter_name = "article"
    field_name = "article"
    placeholder = "Find an article…"


class AuthorFilter(AutocompleteFilter):
    """Everything one reader wrote: reached from the author column (moderators do not browse
    users), and shown in the sidebar only while it is in use."""

    title = "author"
    parameter_name = "author"
    field_name = "author"
    template = "admin/filter.html"

    def has_output(self) -> bool:
        return self.value() is not None

    def choices(self, changelist):
        yield from super().choices(changelist)
        author = (
            get_user_model()
            .objects.filter(pk=self.related_pk())
            .only("username", "is_active")
            .first()
        )
        if author is not None:
            yield {
                "selected": True,
                "query_string": changelist.get_query_string({self.parameter_name: author.pk}),
                "display": author_label(author),
            }


def author_label(user) -> str:
    return user.get_username() if user.is_active else f"{user.get_username()} (deactivated)"


class CommentModerationForm(forms.ModelForm):
    # `removed` is the author's alone: a moderator hides or restores (a restore of a comment
    # waiting for review approves it). A waiting status is offered only while the comment is
    # in it, so that the form opens on it, and saving it unchanged decides nothing.
    status = forms.ChoiceField(choices=MODERATION_CHOICES + WAITING_CHOICES)

    class Meta:
        model = Comment
        fields = ["status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.status if self.instance.pk else None
        if "status" in self.fields:  # (read-only for a removed comment)
            self.fields["status"].choices = MODERATION_CHOICES + [
                choice for choice in WAITING_CHOICES if choice[0] == current
            ]


@admin.register(Comment)
class CommentAdmin(NewsroomAdmin):
    form = CommentModerationForm
    # Its flags first: what a Moderator reviewing it decides on.
    fields = [
        "flag_list",
        "article_link",
        "author_link",
        "parent_link",
        "created_at",
        "edited_at",
        "like_count",
        "body",
    ]
    readonly_fields = fields
    list_display = [
        "created_at",
        "excerpt",
        "article_link",
        "author_link",
        "flags_column",
        "status_badge",
    ]
    list_display_links = ["excerpt"]
    list_select_related = ["article", "author"]
    list_filter = [ReviewFilter, "status", ArticleFilter, AuthorFilter]
    ordering = ["-created_at"]  # the comment_newest index
    search_fields = ["body"]
    search_help_text = (
        f"Words of the comment (among the newest {TEXT_SEARCH_WINDOW:,} unless filtered by "
        "article or author), or @username for everything a reader wrote."
    )
    actions = ["approve", "hide", "restore", "deactivate_authors"]

    def has_add_permission(self, request):
        return False  # readers write comments, through the API

    def has_delete_permission(self, request, obj=None):
        return False  # comments are withheld, never deleted: replies keep their place

    def has_deactivate_permission(self, request):
        return may_deactivate(request.user)

    def get_fields(self, request, obj=None):
        return [*self.fields, "status"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == Comment.Status.REMOVED:
            return [*self.readonly_fields, "status"]  # for good: nobody restores it
        return self.readonly_fields

    def get_queryset(self, request):
        # The one rule (botbeat.roles): the comments of the articles this user may see, all of
        # them (withheld ones included) for whoever moderates, as in the API.
        return super().get_queryset(request).visible_to(request.user)

    def get_ordering(self, request):
        if request.GET.get(ReviewFilter.parameter_name) == "open":
            return ["-flag_count", "created_at"]  # the comment_review_queue index
        return super().get_ordering(request)

    def list_queryset(self, request, queryset):
        # Of the article, only its title: its texts and search vector are most of its bytes.
        # The open flags' reasons of the page's comments: one query, whatever its length.
        open_flags = CommentFlag.objects.filter(reviewed_at__isnull=True).only(
            "comment_id", "reason"
        )
        return queryset.only(
            "id",
            "created_at",
            "body",
            "status",
            "depth",
            "flag_count",
            "article__title",
            "author__username",
            "author__is_active",
        ).prefetch_related(Prefetch("flags", queryset=open_flags, to_attr="open_flags"))

    def get_search_results(self, request, queryset, search_term):
        """`@name`: every comment of the reader `name` (any case), over the LOWER(username)
        index. Other words: the comments that contain them or whose author is named so, among
        the newest TEXT_SEARCH_WINDOW, unless the list is filtered by article or author (whose
        index then bounds the scan)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        name = term.removeprefix("@").strip().lower()
        authors = get_user_model().objects.alias(name=Lower("username")).filter(name=name)
        by_author = Q(author__in=authors.values("pk"))
        if term.startswith("@"):
            return queryset.filter(by_author), False
        queryset = queryset.filter(by_author | Q(body__icontains=term))
        if not {"article", "author"} & request.GET.keys():
            # The newest comments: a range of the comment_newest index, the one the queue's
            # order walks (its bound, an index-only step over TEXT_SEARCH_WINDOW entries).
            bound = Comment.objects.order_by("-created_at").values_list("created_at", flat=True)
            since = list(bound[TEXT_SEARCH_WINDOW - 1 : TEXT_SEARCH_WINDOW])
            if since:
                queryset = queryset.filter(created_at__gte=since[0])
        return queryset, False

    # Columns and read-only fields

    @admin.display(description="comment")
    def excerpt(self, comment):
        text = Truncator(comment.body).chars(120)
        return f"↳ {text}" if comment.depth else text

    @admin.display(description="article", ordering="article__title")
    def article_link(self, comment):
        return format_html(
            '<a href="{}?article={}" title="Every comment on this article">{}</a>',
            reverse("admin:comments_comment_changelist"),
            comment.article_id,
            comment.article.title,
        )

    @admin.display(description="author", ordering="author__username")
    def author_link(self, comment):
        return format_html(
            '<a href="{}?author={}" title="Everything this reader wrote">{}</a>',
            reverse("admin:comments_comment_changelist"),
            comment.author_id,
            author_label(comment.author),
        )

    @admin.display(description="reply to")
    def parent_link(self, comment):
        if comment.parent_id is None:
            return "-"
        url = reverse("admin:comments_comment_change", args=[comment.parent_id])
        return format_html('<a href="{}">#{}</a>', url, comment.parent_id)

    @admin.display(description="flags", ordering="flag_count")
    def flags_column(self, comment):
        return flag_summary(getattr(comment, "open_flags", []))

    @admin.display(description="flags")
    def flag_list(self, comment):
        flags = list(
            comment.flags.select_related("user").order_by(
                F("reviewed_at").asc(nulls_first=True), "created_at"
            )
        )
        if not flags:
            return "None"
        rows = format_html_join(
            "",
            "<li>{} — {}{} ({}, {})</li>",
            (
                (
                    flag.user.get_username(),
                    CommentFlag.Reason(flag.reason).label,
                    f": {flag.note}" if flag.note else "",
                    flag.created_at.strftime("%Y-%m-%d %H:%M"),
                    "open" if flag.reviewed_at is None else "decided",
                )
                for flag in flags
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    @admin.display(description="status", ordering="status")
    def status_badge(self, comment):
        return state_badge(comment.status, Comment.Status(comment.status).label)

    # The change form: the status only, through the services

    def save_model(self, request, obj, form, change):
        if "status" not in form.changed_data:
            return  # nothing else is editable
        if obj.status not in {Comment.Status.HIDDEN, Comment.Status.VISIBLE}:
            return  # a waiting status is never chosen (the form offers it unchanged only)
        service = comment_hide if obj.status == Comment.Status.HIDDEN else comment_restore
        try:
            service(comment=obj, moderator=request.user)
        except ServiceError as error:  # removed by its author since the form was opened
            self.message_user(request, error.message, messages.ERROR)

    def log_change(self, request, obj, message):
        """Nothing: the only change this form makes is a moderation, which its service records
        (comments.services), and only when it happened."""

    # Actions

    @admin.action(
        description="Approve the selected comments awaiting approval", permissions=["change"]
    )
    def approve(self, request, queryset):
        waiting = queryset.filter(status=Comment.Status.PENDING)
        skipped = queryset.exclude(status=Comment.Status.PENDING).count()
        result = comments_restore(comments=waiting, moderator=request.user)
        result.unchanged += skipped
        self._report(request, result, "Approved", "not awaiting approval")

    @admin.action(description="Hide the selected comments", permissions=["change"])
    def hide(self, request, queryset):
        result = comments_hide(comments=queryset, moderator=request.user)
        self._report(request, result, "Hid", "hidden already")

    @admin.action(description="Restore the selected comments", permissions=["change"])
    def restore(self, request, queryset):
        result = comments_restore(comments=queryset, moderator=request.user)
        self._report(request, result, "Restored", "visible already")

    def _report(self, request, result, verb: str, unchanged: str) -> None:
        def comments(n: int) -> str:
            return f"{n} comment{'s' if n != 1 else ''}"

        text = f"{verb} {comments(len(result.changed))}."
        if result.unchanged:
            text += f" {comments(result.unchanged)} {unchanged}."
        if result.refused:
            text += f" {comments(result.refused)} removed by their authors: left as they are."
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(
        description="Deactivate the selected comments' authors and hide all they wrote…",
        permissions=["deactivate"],
    )
    def deactivate_authors(self, request, queryset):
        User = get_user_model()
        authors = list(
            User.objects.filter(pk__in=queryset.values("author"))
            .annotate(visible=Count("comments", filter=Q(comments__status=Comment.Status.VISIBLE)))
            .order_by("username")
        )
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": "Deactivate readers",
                "opts": self.model._meta,
                "authors": authors,
                "comments": list(queryset.values_list("pk", flat=True)),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, "admin/comments/deactivate_authors.html", context)
        deactivated, hidden, refused = [], 0, []
        for author in authors:
            try:
                hidden += user_deactivate(user=author, by=request.user)
            except ServiceError as error:
                refused.append(f"{author.get_username()}: {error.message}")
            else:
                deactivated.append(author.get_username())
        if deactivated:
            self.message_user(
                request,
                f"Deactivated {', '.join(deactivated)}; {hidden} comments hidden.",
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, f"Not deactivated: {reason}", messages.WARNING)
        return None


# What moderators see of the admin's log: what they act on.
MODERATION_MODELS = ["comments.comment", "auth.user"]


def content_type_q(key: str) -> Q:
    app_label, model = key.split(".")
    return Q(content_type__app_label=app_label, content_type__model=model)


class LoggedModelFilter(admin.SimpleListFilter):
    """What was acted on: the newsroom's models only (the moderation's, for moderators)."""

    title = "object"
    parameter_name = "model"
    MODELS = {
        "comments.comment": "comments",
        "auth.user": "users",
        "articles.article": "articles",
        "articles.tag": "tags",
        "companies.company": "companies",
    }

    def lookups(self, request, model_admin):
        if model_admin.moderator_only(request):
            return [(key, self.MODELS[key]) for key in MODERATION_MODELS]
        return list(self.MODELS.items())

    def queryset(self, request, queryset):
        if self.value() not in self.MODELS:
            return queryset
        return queryset.filter(content_type_q(self.value()))


@admin.register(LogEntry)
class LogEntryAdmin(NewsroomAdmin):
    """The admin's log, read-only: who did what, when. Superusers see all of it; moderators see
    the moderation part (comments and users)."""

    list_select_related = ["user", "content_type"]
    list_filter = ["action_flag", LoggedModelFilter]
    search_fields = ["object_repr"]
    ordering = ["-action_time"]

    def moderator_only(self, request) -> bool:
        user = request.user
        return not user.has_perm("admin.view_logentry") and user.has_perm("comments.change_comment")

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.moderator_only(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self.moderator_only(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.moderator_only(request):
            queryset = queryset.filter(reduce(operator.or_, map(content_type_q, MODERATION_MODELS)))
        return queryset

    def get_list_display(self, request):
        user = request.user

        @admin.display(description="object")
        def object_link(entry):
            # A link only to what this user may open (moderators do not open users).
            content_type = entry.content_type
            label = f"{content_type.name}: {entry.object_repr}" if content_type else ""
            if content_type is None or not (
                user.has_perm(f"{content_type.app_label}.view_{content_type.model}")
                or user.has_perm(f"{content_type.app_label}.change_{content_type.model}")
            ):
                return label
            try:
                url = entry.get_admin_url()
            except NoReverseMatch:
                url = None
            return format_html('<a href="{}">{}</a>', url, label) if url else label

        return ["action_time", "user", "action_flag", object_link, "message"]

    @admin.display(description="what")
    def message(self, entry):
        return entry.get_change_message()


class CommentWordForm(forms.ModelForm):
    class Meta:
        model = CommentWord
        fields = ["word", "kind"]

    def clean_word(self):
        """Stored as comments are matched (comments.words): folded, its words one space apart."""
        entry = entry_of(self.cleaned_data["word"])
        if not entry:
            raise forms.ValidationError("Give a word: letters or digits.")
        taken = CommentWord.objects.filter(word=entry).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"“{entry}” is on a list already.")
        return entry


@admin.register(CommentWord)
class CommentWordAdmin(NewsroomAdmin):
    """The banned and suspect word lists. The one rule (botbeat.roles): Moderators and
    superusers keep them, whatever the model permissions."""

    form = CommentWordForm
    list_display = ["word", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["word"]
    ordering = ["word"]

    def has_module_permission(self, request):
        return moderates(request.user)

    def has_view_permission(self, request, obj=None):
        return moderates(request.user)

    def has_add_permission(self, request):
        return moderates(request.user)

    def has_change_permission(self, request, obj=None):
        return moderates(request.user)

    def has_delete_permission(self, request, obj=None):
        return moderates(request.user)
