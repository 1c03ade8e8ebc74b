"""A new password revokes the account's API tokens, whichever door set it.

The tokens are credentials derived from the password, as the sessions are: Django already
invalidates every other session when the password hash changes (the session's auth hash is
computed from it; the session that made the change keeps itself through
update_session_auth_hash). This does the same for the tokens. It is a signal, where writes
are otherwise services (STYLE.md), because it is invalidation, and because the doors are
Django's own (the admin's password forms, `manage.py changepassword`, `set_password()`
anywhere): a service they do not call could not see them. A `QuerySet.update(password=...)`
sends no signal: code must set passwords with `set_password()`.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import is_password_usable
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.services import auth_tokens_revoke_all

CHANGED = "_accounts_password_changed"


def password_changed(user) -> bool:
    """Whether saving `user` now stores another password.

    `set_password()` records the new password until the save (`_password`, which Django keeps
    for the validators' password_changed hooks): that is a change. A new hash without it is
    Django upgrading the hash of the same password at sign-in (a hasher's new iterations):
    no change, or every Django release would sign everyone out. `set_unusable_password()`
    records nothing, so an unusable hash is compared with the stored one.
    """
    if getattr(user, "_password", None) is not None:
        return True
    if is_password_usable(user.password):
        return False
    stored = (
        get_user_model()
        ._default_manager.filter(pk=user.pk)
        .values_list("password", flat=True)
        .first()
    )
    return stored is not None and stored != user.password


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def note_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance._state.adding:
        return  # fixtures, and new users, who hold no token yet
    if update_fields is not None and "password" not in update_fields:
        return  # e.g. last_login at each sign-in
    setattr(instance, CHANGED, password_changed(instance))


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def revoke_tokens_after_password_change(sender, instance, created=False, **kwargs):
    if instance.__dict__.pop(CHANGED, False):
        auth_tokens_revoke_all(user=instance)
