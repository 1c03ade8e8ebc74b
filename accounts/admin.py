"""Users in the admin: Django's user admin, plus the reader's profile and deactivation that
hides what they wrote (comments.moderation.user_deactivate)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import Profile
from accounts.names import display_name_validator, username_taken, username_validator
from botbeat.services import ServiceError
from changes import outbox
from comments.models import Comment
from comments.moderation import user_deactivate

User = get_user_model()
TAKEN = "A user with that username already exists."


class ProfileForm(forms.ModelForm):
    """The display name, by sign-up's rules (accounts/names.py)."""

    class Meta:
        model = Profile
        fields = ["display_name"]

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"]  # stripped: a name of spaces is no name
        display_name_validator(value)
        return value


class ProfileInline(admin.StackedInline):
    model = Profile
    form = ProfileForm
    can_delete = False
    fields = ["display_name"]


class UserCreationForm(AdminUserCreationForm):
    """A new user's username follows sign-up's character rule (ASCII, nothing invisible);
    Django's form already refuses a name taken in another case. The length is Django's (up to
    150), so that staff accounts may be e-mail addresses."""

    def clean_username(self) -> str:
        username = super().clean_username()
        username_validator(username)
        return username


class UserEditForm(UserChangeForm):
    """A renamed user's username follows the same rule, and may not be taken in another case
    (the unique index on LOWER(username) would otherwise answer with a 500). A name that
    predates the rule stays editable as long as it is not changed."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if username != self.initial.get("username"):
            username_validator(username)
            if username_taken(username, exclude_pk=self.instance.pk):
                raise forms.ValidationError(TAKEN, code="unique")
        return username


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
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

    def save_related(self, request, form, formsets, change):
        """Their username and display name show on each of their comments: in the change feed
        (the outbox finds which are public), in the admin's transaction."""
        super().save_related(request, form, formsets, change)
        if change:
            user = form.instance
            outbox.touched(
                comments=Comment.objects.filter(author=user).values_list("pk", flat=True)
            )

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
