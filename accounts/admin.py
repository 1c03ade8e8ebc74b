"""Users in the admin: Django's user admin, plus the reader's profile and deactivation that
hides what they wrote (comments.moderation.user_deactivate)."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Profile
from botbeat.services import ServiceError
from comments.moderation import user_deactivate

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["display_name"]


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = [*DjangoUserAdmin.list_display, "is_active"]
    actions = ["deactivate"]

    def save_model(self, request, obj, form, change):
        """Unticking "active" deactivates through user_deactivate: their comments are hidden
        and their API tokens revoked, as the action does."""
        if change and "is_active" in form.changed_data and not obj.is_active:
            try:
                hidden = user_deactivate(user=obj, by=request.user)
            except ServiceError as error:
                obj.is_active = True
                self.message_user(request, f"Not deactivated: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request, f"Deactivated; {hidden} of their comments hidden.", messages.SUCCESS
                )
        super().save_model(request, obj, form, change)

    @admin.action(
        description="Deactivate the selected users and hide their comments",
        permissions=["change"],
    )
    def deactivate(self, request, queryset):
        deactivated, hidden = 0, 0
        for user in queryset:
            try:
                hidden += user_deactivate(user=user, by=request.user)
            except ServiceError as error:
                self.message_user(
                    request, f"Not deactivated: {user}: {error.message}", messages.WARNING
                )
            else:
                deactivated += 1
        self.message_user(
            request,
            f"Deactivated {deactivated} users; {hidden} comments hidden.",
            messages.SUCCESS,
        )
