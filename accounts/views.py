from django.contrib.auth import authenticate, user_logged_in
from django.contrib.auth import logout as session_logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import LockedOut, lockout_seconds
from accounts.serializers import (
    AccountSerializer,
    RegisterSerializer,
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
    PROBLEM_403_CSRF_DESCRIPTION,
    PROBLEM_415,
    PROBLEM_429,
    PROBLEM_429_SIGN_IN,
    RETRY_AFTER,
    WWW_AUTHENTICATE,
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
            "all of them."
            + throttle_note("THROTTLE_TOKEN", "client address")
            + " Failed sign-ins also lock the account: `LOGIN_FAILURE_LIMIT` failures (5 by "
            "default) within `LOGIN_LOCKOUT_MINUTES` (15) answer 429 `locked_out`, the right "
            "password included, until those failures are that old."
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
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Django's backend runs the password hasher for an unknown user too, so the time taken
        # does not tell whether a username exists.
        username = user_find_username(username=serializer.validated_data["username"])
        user = authenticate(
            request, username=username, password=serializer.validated_data["password"]
        )
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
        instance, token = auth_token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


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
