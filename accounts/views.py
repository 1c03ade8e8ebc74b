from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth import login as session_login
from django.contrib.auth import logout as session_logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import LockedOut, lockout_seconds
from accounts.serializers import (
    AccountSerializer,
    RegisterSerializer,
    SessionSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from accounts.services import auth_token_issue, auth_token_revoke, user_find_username, user_register
from botbeat.api import (
    PROBLEM_400,
    ProblemSerializer,
    StrictQueryParamsMixin,
    StrictQueryParamsOnWritesMixin,
    problem_response,
)
from botbeat.auth_schema import (
    PROBLEM_401,
    PROBLEM_403_CSRF,
    PROBLEM_403_CSRF_DESCRIPTION,
    PROBLEM_415,
    PROBLEM_429,
    PROBLEM_429_SIGN_IN,
    RETRY_AFTER,
    SET_CSRF_COOKIE,
    WWW_AUTHENTICATE,
    X_CSRF_TOKEN,
    throttle_note,
)
from botbeat.fields import StrictSerializer
from botbeat.throttles import RegisterRateThrottle, TokenRateThrottle

PROBLEM_400_LOGOUT = problem_response(
    "A query parameter (this operation takes none); a body with fields (`unknown_field`: it "
    "takes none) or that is not JSON (`parse_error`)."
)
PROBLEM_400_REGISTER = problem_response(
    "A query parameter (this operation takes none); malformed JSON (`parse_error`); a key given "
    "twice (`duplicate_key`) or a field it does not take (`unknown_field`); or a field "
    "breaks its rules: a username taken in any case (`unique`), a password the validators "
    "refuse (`password_too_short`, `password_too_common`, `password_entirely_numeric`, "
    "`password_too_similar`)."
)
PROBLEM_400_TOKEN = problem_response(
    "A query parameter (this operation takes none); malformed JSON or a missing field; a key "
    "given twice (`duplicate_key`) or a field it does not take (`unknown_field`); or the "
    "username and password do not match an active reader (`invalid_credentials`): an unknown "
    "user and a wrong password get this same answer."
)
PROBLEM_400_SESSION = problem_response("A query parameter (this operation takes none).")
LOCKOUT_NOTE = (
    " Failed sign-ins also lock the account: `LOGIN_FAILURE_LIMIT` failures (5 by "
    "default) within `LOGIN_LOCKOUT_MINUTES` (15) answer 429 `locked_out`, the right "
    "password included, until those failures are that old."
)


def signed_in_user(request):
    """The active reader whom the body's `username` and `password` name: both sign-ins (the
    token exchange and the session) check them here, so that they refuse alike, a 400
    `invalid_credentials` for an unknown user, a wrong password or a deactivated account, and a
    429 `locked_out` (accounts/lockout.py) once the account has failed too often."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    # Django's backend runs the password hasher for an unknown user too, so the time taken
    # does not tell whether a username exists.
    username = user_find_username(username=serializer.validated_data["username"])
    user = authenticate(request, username=username, password=serializer.validated_data["password"])
    if user is None and getattr(request, "axes_locked_out", False):
        # django-axes refused it (accounts/lockout.py): the account had too many failures.
        raise LockedOut(lockout_seconds(request, {"username": username}))
    if user is None:
        raise serializers.ValidationError(
            serializers.ErrorDetail(
                "Unable to sign in with this username and password.",
                code="invalid_credentials",
            )
        )
    return user


class RegisterView(StrictQueryParamsOnWritesMixin, APIView):
    # Signing up needs no identity: a stale token or session must not get in the way (and a
    # session must not demand a CSRF token for it).
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(
        operation_id="auth_register",
        summary="Sign up a reader",
        description=(
            "Creates a reader account (never staff). Then `POST /api/v1/auth/token/` signs in."
            + throttle_note("THROTTLE_REGISTER", "client address")
        ),
        request=RegisterSerializer,
        parameters=[RETRY_AFTER],
        responses={
            201: AccountSerializer,
            400: PROBLEM_400_REGISTER,
            415: PROBLEM_415,
            429: PROBLEM_429,
        },
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        return Response(AccountSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(StrictQueryParamsOnWritesMixin, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        operation_id="auth_token",
        summary="Exchange a username and password for an API token",
        description=(
            "Send the token as `Authorization: Bearer <token>` until its `expiry` "
            "(`AUTH_TOKEN_TTL_DAYS`, 30 days by default). Each call issues a new token; a reader "
            "keeps at most 20, the oldest going first. A new password, set anywhere, revokes "
            "all of them." + throttle_note("THROTTLE_TOKEN", "client address") + LOCKOUT_NOTE
        ),
        request=TokenRequestSerializer,
        parameters=[RETRY_AFTER],
        responses={
            200: TokenSerializer,
            400: PROBLEM_400_TOKEN,
            415: PROBLEM_415,
            429: PROBLEM_429_SIGN_IN,
        },
    )
    def post(self, request):
        user = signed_in_user(request)
        instance, token = auth_token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class CsrfTokenRequired(BasePermission):
    """Every write needs the CSRF token, whether a session signs it or not.

    DRF checks the token only on requests its SessionAuthentication signed in, so a sign-in
    would go unchecked: a forged form on another site could sign the visitor's browser in to
    the forger's account (login CSRF), and whatever the visitor then wrote would be the
    forger's. Django's own login view refuses that too. A permission, so that it runs before the
    throttles: a refused request costs no password hash. A method the view does not serve is
    left to its 405.
    """

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or not hasattr(view, request.method.lower()):
            return True
        SessionAuthentication().enforce_csrf(request)  # a 403 problem when it fails
        return True


def session_answer(request, user) -> Response:
    """Who the session signs in and a CSRF token for its writes. `get_token` is what
    `ensure_csrf_cookie` calls: CsrfViewMiddleware then sets the `csrftoken` cookie on this
    answer, and the answer is `private, no-store` (it shows the request's token; no cache, the
    browser's, a CDN's or the response cache, may keep it: botbeat.middleware)."""
    body = {
        "user": user if user.is_authenticated else None,
        "csrf_token": get_token(request),
    }
    return Response(SessionSerializer(body).data, headers={"Cache-Control": "private, no-store"})


class SessionView(StrictQueryParamsOnWritesMixin, APIView):
    """The browser frontend's sign-in with the session cookie (API.md): who, sign in, sign out.

    The session cookie only: a bearer token is no session here (POST /auth/token/ is its door,
    GET /auth/me/ says whose it is).
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny, CsrfTokenRequired]
    throttle_classes = [TokenRateThrottle]

    def get_throttles(self):
        # Signing in tries a password: the token exchange's limit, in the same scope, so that
        # one address has one budget of guesses across both doors. Reading and ending a
        # session try nothing.
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        operation_id="auth_session",
        summary="Who is signed in with the session cookie",
        description=(
            "`user` is the reader the session cookie signs in (as `GET /api/v1/auth/me/` "
            "shows them), or null: nobody, a session that ended, a deactivated reader, or a "
            "bearer token alone, which is no session. Sets the `csrftoken` cookie: the browser "
            "frontend calls this first, then sends its value, or `csrf_token`, as "
            "`X-CSRFToken` with every write the session signs, signing in included. Personal "
            "and carrying the request's token: `private, no-store`, never cached."
        ),
        parameters=[SET_CSRF_COOKIE],
        responses={200: SessionSerializer, 400: PROBLEM_400_SESSION},
    )
    def get(self, request):
        return session_answer(request, request.user)

    @extend_schema(
        operation_id="auth_session_create",
        summary="Sign in with the session cookie",
        description=(
            "For the browser frontend: the username and password of `POST "
            "/api/v1/auth/token/`, refused alike (an unknown user, a wrong password and a "
            "deactivated account all get the same 400 `invalid_credentials`), with its rate "
            "limit, counted together with it, and its lockout. Needs the CSRF token from `GET "
            "/api/v1/auth/session/` first, so that no other site can sign a browser in to its "
            "own account. Signing in starts a new session (a new `sessionid`: the old one, "
            "signed in or not, stops working) and a new CSRF token: send the answer's "
            "`csrf_token`, or the new cookie's value, from then on. A reader already signed "
            "in is signed in again, or as whoever the body names."
            + throttle_note("THROTTLE_TOKEN", "client address")
            + LOCKOUT_NOTE
        ),
        request=TokenRequestSerializer,
        parameters=[X_CSRF_TOKEN, RETRY_AFTER, SET_CSRF_COOKIE],
        responses={
            200: SessionSerializer,
            400: PROBLEM_400_TOKEN,
            403: PROBLEM_403_CSRF,
            415: PROBLEM_415,
            429: PROBLEM_429_SIGN_IN,
        },
    )
    def post(self, request):
        user = signed_in_user(request)
        key = request.session.session_key
        # Django's login: a new session key (one planted by another site names nobody now),
        # a new CSRF token, `user_logged_in` sent.
        session_login(request, user)
        if request.session.session_key == key:
            # The same reader signing in again, whose key Django's login keeps: a sign-in
            # always answers with a new one, so that a key that leaked stops working then.
            request.session.cycle_key()
        return session_answer(request, user)

    @extend_schema(
        operation_id="auth_session_destroy",
        summary="Sign out of the session",
        description=(
            "Ends the session: its data is deleted and the `sessionid` cookie cleared. Needs "
            "the CSRF token, so that no other site can sign a reader out. Without a session it "
            "answers 204 all the same: the browser is signed out. Takes no body: none, or `{}`."
        ),
        request=None,
        parameters=[X_CSRF_TOKEN],
        responses={
            204: OpenApiResponse(description="Signed out."),
            400: PROBLEM_400_LOGOUT,
            403: PROBLEM_403_CSRF,
            415: PROBLEM_415,
        },
    )
    def delete(self, request):
        # A body is read only to be refused if it says anything, as sign-out's is.
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        session_logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(StrictQueryParamsOnWritesMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        summary="Sign out: revoke the token in use",
        description=(
            "With a bearer token, revokes that token (the reader's other tokens keep working). "
            "With the session cookie, ends the session. Takes no body: none, or `{}`."
        ),
        request=None,
        parameters=[WWW_AUTHENTICATE],
        responses={
            204: OpenApiResponse(description="Signed out."),
            400: PROBLEM_400_LOGOUT,
            401: PROBLEM_401,
            403: OpenApiResponse(ProblemSerializer, description=PROBLEM_403_CSRF_DESCRIPTION),
            415: PROBLEM_415,
        },
    )
    def post(self, request):
        # A body is read only to be refused if it says anything: `{"all": true}` must not
        # sign out one token while the client believes it signed out every one.
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        if isinstance(request.auth, AuthToken):
            auth_token_revoke(token=request.auth)
        else:
            session_logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(StrictQueryParamsMixin, APIView):
    permission_classes = [IsAuthenticated]
    bad_token_is_401 = True  # accounts.authentication

    @extend_schema(
        operation_id="auth_me",
        summary="Who am I",
        parameters=[WWW_AUTHENTICATE],
        responses={200: AccountSerializer, 400: PROBLEM_400, 401: PROBLEM_401},
    )
    def get(self, request):
        # Personal: never the public Cache-Control that readers' other GETs get.
        return Response(
            AccountSerializer(request.user).data, headers={"Cache-Control": "private, no-store"}
        )

    def allowed_query_params(self) -> set[str]:
        return set()
