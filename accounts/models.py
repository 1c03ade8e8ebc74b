from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

DISPLAY_NAME_MAX_LENGTH = 50


class Profile(models.Model):
    """What a reader adds to django.contrib.auth's User: the name shown with their comments.

    Usernames are unique case-insensitively; migration 0001 enforces it with a unique index on
    LOWER(username) of auth_user, beside User's own case-sensitive constraint.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)

    def __str__(self) -> str:
        return self.display_name or str(self.user_id)


def display_name_of(user) -> str:
    """The name to show for `user`: their display name, or their username when they set none.

    Users created outside registration (the admin, createsuperuser) may have no profile. Load
    the profile with `select_related("...profile")` to keep this free of queries.
    """
    try:
        display_name = user.profile.display_name
    except ObjectDoesNotExist:
        display_name = ""
    return display_name or user.get_username()
