"""Webhook endpoints and their deliveries, for Editors (and superusers) only: an endpoint's
secret signs what the public sees, and its URL receives it. Moderators and staff without a role
see neither (botbeat.roles)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from botbeat.admin import NewsroomAdmin, state_badge
from botbeat.roles import sees_unpublished
from webhooks.models import EVENT_CHOICES, DeliveryAttempt, Endpoint
from webhooks.services import delivery_resend, endpoint_create, endpoint_disable, endpoint_enable
from webhooks.targets import TargetRefused, resolve

RECENT = 20  # deliveries shown on an endpoint's page


class EditorsOnly:
    """The one rule (botbeat.roles): Editors and superusers, whatever the model permissions."""

    def has_module_permission(self, request):
        return sees_unpublished(request.user)

    def has_view_permission(self, request, obj=None):
        return sees_unpublished(request.user)

    def has_add_permission(self, request):
        return sees_unpublished(request.user)

    def has_change_permission(self, request, obj=None):
        return sees_unpublished(request.user)

    def has_delete_permission(self, request, obj=None):
        return sees_unpublished(request.user)


class EndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "event_types"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            resolve(url)
        except TargetRefused as refused:
            raise ValidationError(str(refused), code="target_refused") from None
        return url


@admin.register(Endpoint)
class EndpointAdmin(EditorsOnly, NewsroomAdmin):
    form = EndpointForm
    list_display = ["url", "events", "state", "failing_since", "position", "last_delivery"]
    list_filter = ["is_enabled"]
    search_fields = ["url", "description"]
    actions = ["enable", "enable_skipping_backlog", "disable"]
    readonly_fields = ["state", "failing_since", "position", "created_at", "recent_deliveries"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["url", "description", "event_types"]
        return ["url", "description", "event_types", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cursor")

    def list_queryset(self, request, queryset):
        # Each row's last delivery in the list's one query (the log's endpoint index).
        last = DeliveryAttempt.objects.filter(endpoint=OuterRef("pk")).order_by("-id")
        return queryset.annotate(
            last_status=Subquery(last.values("status_code")[:1]),
            last_error=Subquery(last.values("error")[:1]),
        )

    def save_model(self, request, obj, form, change):
        if change:
            # Only the form's fields: the worker writes the rest (failing_since, disabling).
            obj.save(update_fields=["url", "description", "event_types"])
            return
        created = endpoint_create(
            url=obj.url, event_types=obj.event_types, description=obj.description
        )
        obj.pk, obj.secret, obj.created_at = created.pk, created.secret, created.created_at
        obj._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        # The secret, once, on a page of its own (a message would put it in a cookie).
        context = {
            **self.admin_site.each_context(request),
            "title": "Endpoint registered: its secret",
            "opts": self.model._meta,
            "endpoint": obj,
            "secret": obj.secret,
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "admin/webhooks/secret_once.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def changelist_view(self, request, extra_context=None):
        # On the page itself only: a POST (an action) would keep them for the page after it.
        disabled = Endpoint.objects.filter(is_enabled=False) if request.method == "GET" else []
        for endpoint in disabled[:10]:
            self.message_user(
                request,
                f"The endpoint {endpoint.url} is disabled: "
                f"{endpoint.disabled_reason or 'by hand'}. "
                "Select it and “Enable again” once it answers.",
                messages.ERROR,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="events")
    def events(self, endpoint):
        return ", ".join(endpoint.event_types) or "all"

    @admin.display(description="state", ordering="is_enabled")
    def state(self, endpoint):
        if endpoint.is_enabled:
            return state_badge("published", "enabled")
        return format_html(
            "{} {}", state_badge("hidden", "DISABLED"), endpoint.disabled_reason or "by hand"
        )

    @admin.display(description="position in the outbox")
    def position(self, endpoint):
        cursor = getattr(endpoint, "cursor", None)
        if cursor is None or cursor.position is None:
            return "-"
        retry = f", retry at {cursor.retry_at:%Y-%m-%d %H:%M:%S}" if cursor.retry_at else ""
        return f"{cursor.position}{retry}"

    @admin.display(description="last delivery")
    def last_delivery(self, endpoint):
        if endpoint.last_status is None and not endpoint.last_error:
            return "-"
        return format_html(
            '<a href="{}?{}">{}</a>',
            reverse("admin:webhooks_deliveryattempt_changelist"),
            urlencode({"endpoint__id__exact": endpoint.pk}),
            endpoint.last_status or endpoint.last_error,
        )

    @admin.display(description="recent deliveries")
    def recent_deliveries(self, endpoint):
        rows = endpoint.attempts.select_related("change")[:RECENT]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (
                    f"{row.attempted_at:%Y-%m-%d %H:%M:%S}",
                    row.change_id,
                    row.change.type,
                    row.attempt,
                    row.status_code or row.error,
                    row.duration_ms,
                    row.response_start[:120],
                )
                for row in rows
            ),
        )
        everything = format_html(
            '<a href="{}?{}">all deliveries</a>',
            reverse("admin:webhooks_deliveryattempt_changelist"),
            urlencode({"endpoint__id__exact": endpoint.pk}),
        )
        return format_html(
            "<table><tr><th>when</th><th>change</th><th>attempt</th><th>status</th>"
            "<th>duration</th><th>answer</th></tr>{}</table>{}",
            body,
            everything,
        )

    @admin.action(description="Enable again (resume with the change it stopped at)")
    def enable(self, request, queryset):
        for endpoint in queryset:
            endpoint_enable(endpoint=endpoint)
        self.message_user(request, f"Enabled {queryset.count()} endpoint(s).", messages.SUCCESS)

    @admin.action(description="Enable again, skipping what it missed")
    def enable_skipping_backlog(self, request, queryset):
        for endpoint in queryset:
            endpoint_enable(endpoint=endpoint, skip_backlog=True)
        self.message_user(request, f"Enabled {queryset.count()} endpoint(s).", messages.SUCCESS)

    @admin.action(description="Disable")
    def disable(self, request, queryset):
        for endpoint in queryset:
            endpoint_disable(endpoint=endpoint, reason=f"Disabled by {request.user}")
        self.message_user(request, f"Disabled {queryset.count()} endpoint(s).", messages.SUCCESS)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(EditorsOnly, NewsroomAdmin):
    list_display = [
        "attempted_at",
        "endpoint",
        "change_label",
        "attempt",
        "is_resend",
        "status",
        "duration_ms",
        "answer_start",
        "next_retry_at",
    ]
    list_filter = ["endpoint", "is_resend"]
    list_select_related = ["endpoint", "change"]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="change")
    def change_label(self, attempt):
        return f"{attempt.change_id} {attempt.change.type} {attempt.change.key}"

    @admin.display(description="status")
    def status(self, attempt):
        if attempt.succeeded:
            return state_badge("published", str(attempt.status_code))
        return state_badge("hidden", str(attempt.status_code or "no answer"))

    @admin.display(description="answer")
    def answer_start(self, attempt):
        return attempt.response_start[:120]

    @admin.action(description="Send again")
    def send_again(self, request, queryset):
        pairs = set(queryset.values_list("endpoint_id", "change_id"))
        for endpoint_id, change_id in sorted(pairs, key=lambda pair: pair[1]):
            delivery_resend(endpoint_id=endpoint_id, change_id=change_id)
        self.message_user(
            request,
            f"{len(pairs)} change(s) will be sent again by the worker.",
            messages.SUCCESS,
        )
