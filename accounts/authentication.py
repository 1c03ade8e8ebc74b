"""`Authorization: Bearer <token>`: django-rest-knox's hashed, expiring, revocable tokens."""

import re
from hmac import compare_digest

from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.permissions import SAFE_METHODS

# What knox issues: AUTH_TOKEN_CHARACTER_LENGTH (64) random hex characters, no prefix.
TOKEN_PATTERN = re.compile(rb"[0-9a-f]{64}")


def invalid_token() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(
        "Invalid or expired token: get a new one from /api/v1/auth/token/.", code="invalid_token"
    )


class BearerTokenAuthentication(TokenAuthentication):
    """knox's token authentication, stricter at the edges and one query per request.

    - A header of another scheme (`Basic ...`) is left to the next authentication class; a
      `Bearer` header that is malformed, unknown, expired or of an inactive user is a 401 on a
      write, and every one of those gets the same answer; a read goes on as anonymous.
    - The token's shape is checked before the database is asked: knox would decode arbitrary
      bytes (a 500 on invalid UTF-8) and send a NUL to PostgreSQL (another 500).
    - knox also scans every token of the user at each request to delete expired ones; here only
      the token in use is checked (and deleted when expired). Expired tokens of a user are purged
      when they sign in again (accounts.services.auth_token_issue).
    """

    keyword = b"bearer"
    # A read with credentials that name nobody is answered as the public is (API.md), from the
    # response cache like the public's; a write with them is refused, and so is a read of what
    # only a reader has (a view with `bad_token_is_401 = True`: `/auth/me/`), so that a client
    # learns at once that its token expired.

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        try:
            if len(parts) != 2 or not TOKEN_PATTERN.fullmatch(parts[1]):
                raise invalid_token()
            return self.authenticate_credentials(parts[1])
        except exceptions.AuthenticationFailed:
            view = (getattr(request, "parser_context", None) or {}).get("view")
            if request.method in SAFE_METHODS and not getattr(view, "bad_token_is_401", False):
                return None
            raise

    def authenticate_credentials(self, token: bytes):
        text = token.decode("ascii")
        digest = hash_token(text)
        candidates = AuthToken.objects.select_related("user").filter(
            token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]
        )
        for auth_token in candidates:
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
                auth_token.delete()
                raise invalid_token()
            if not auth_token.user.is_active:
                raise invalid_token()
            return auth_token.user, auth_token
        raise invalid_token()

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
