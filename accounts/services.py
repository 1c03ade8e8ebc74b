"""Writes about readers' accounts: signing up, and issuing and revoking API tokens.

Revoking a token purges no cached answer: a read with a token that names nobody is answered as
the public is (accounts.authentication), and the response cache serves a reader's token the
public's bytes anyway, while it computes the answers of staff who see more (botbeat/cache.py),
whose revoked token is then refused by the view itself."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken
from rest_framework import serializers

from accounts.models import Profile

# A reader signed in on more devices than this loses the oldest sign-in first.
MAX_TOKENS_PER_USER = 20


def user_register(*, username: str, password: str, display_name: str = "") -> AbstractBaseUser:
    """Create a reader (a plain, non-staff user) and their profile, in one transaction.

    The caller has validated the input (accounts.serializers.RegisterSerializer). Two sign-ups
    racing for one name (in any case) both pass that check; the database's unique indexes let
    one through, and the other gets the same 400 on `username` as if it had come second.
    """
    user = get_user_model()(username=username)
    user.set_password(password)  # slow on purpose: hashed before the transaction opens
    try:
        with transaction.atomic():
            user.save()
            Profile.objects.create(user=user, display_name=display_name)
    except IntegrityError:
        raise serializers.ValidationError(
            {
                "username": [
                    serializers.ErrorDetail(
                        "A user with that username already exists.", code="unique"
                    )
                ]
            }
        ) from None
    return user


def user_find_username(*, username: str) -> str:
    """The stored spelling of `username`, found regardless of case (or `username` itself)."""
    stored = (
        get_user_model()
        .objects.filter(username__iexact=username)
        .values_list("username", flat=True)
        .first()
    )
    return stored or username


@transaction.atomic
def auth_token_issue(*, user: AbstractBaseUser) -> tuple[AuthToken, str]:
    """A new API token for `user`: the stored row (digest only) and the token, shown once.

    Expired tokens of the user are purged, and beyond MAX_TOKENS_PER_USER the oldest go.
    """
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    oldest = (
        AuthToken.objects.filter(user=user)
        .order_by("-created", "-digest")
        .values_list("digest", flat=True)[MAX_TOKENS_PER_USER:]
    )
    AuthToken.objects.filter(digest__in=list(oldest)).delete()
    return instance, token


def auth_token_revoke(*, token: AuthToken) -> None:
    """Revoke one token: the next request that sends it gets 401."""
    token.delete()


def auth_tokens_revoke_all(*, user: AbstractBaseUser) -> int:
    """Revoke every API token of `user` (a new password, a lost device): each one's next
    request gets 401. How many were revoked."""
    revoked, _ = AuthToken.objects.filter(user=user).delete()
    return revoked
