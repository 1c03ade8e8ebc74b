"""The sign-in lockout (django-axes), as BotBeat sets it up: whose failures count, what a
locked-out client is told, and for how long.

Every `authenticate()` with a request is watched: the admin's login form and the API's token
sign-in (accounts.views.TokenView). Failed sign-ins are rows in the database (axes'
AccessAttempt), so they hold across worker processes, and the limits are settings
(`LOGIN_FAILURE_LIMIT` failures within `LOGIN_LOCKOUT_MINUTES`, 5 and 15 by default):

- per account, everywhere: guesses at one account from many addresses are stopped;
- per address, in the admin only: guesses at many staff accounts from one address are stopped
  too. The API's sign-in is not locked per address, because readers share addresses (carrier
  NAT, offices) and one reader's typos would lock out the others; the sign-in throttle
  (THROTTLE_TOKEN, per address) holds that door.

Once locked, every sign-in is refused before any password is hashed, the right password
included, and nothing more is recorded: the lockout ends when the failures that made it are
older than the cool-off, and a flood of refused attempts costs a query or two each, not a row.
The admin answers 429 with `Retry-After`; the API a 429 problem (`locked_out`) with it.
`manage.py axes_reset_username <name>` (or `axes_reset_ip <address>`) lifts a lockout.
"""

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessBase
from django.http import HttpResponse
from django.utils.html import escape
from rest_framework.exceptions import Throttled

from botbeat.errors import problem_response

ACCOUNT = ["username"]
ADDRESS = ["ip_address"]


def is_api(request_or_attempt) -> bool:
    path = getattr(request_or_attempt, "path_info", None) or ""
    return path.startswith("/api/")


def lockout_parameters(request_or_attempt, credentials=None) -> list[list[str]]:
    """AXES_LOCKOUT_PARAMETERS: the account everywhere; the address too outside the API."""
    if isinstance(request_or_attempt, AccessBase) or not is_api(request_or_attempt):
        return [ACCOUNT, ADDRESS]
    return [ACCOUNT]


def lockout_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account's key, in lower case, since usernames are unique
    regardless of case (migration accounts 0001): `Ada` and `ada` are one account to count."""
    if credentials is not None:
        username = credentials.get("username")
    else:
        data = getattr(request, "data", None)
        username = (data if isinstance(data, dict) else request.POST).get("username")
    return username.lower() if isinstance(username, str) else None


def lockout_seconds(request, credentials=None) -> int:
    """How long the request's lockout lasts if nothing else fails: for each count that is at
    its limit (the account's, the address's), until enough of its failures are older than the
    cool-off. At least 1."""
    AxesProxyHandler.update_request(request)
    limit = get_failure_limit(request, credentials)
    cool_off = get_cool_off(request)
    now = request.axes_attempt_time
    wait = 0.0
    for attempts in AxesProxyHandler.get_implementation().get_user_attempts(request, credentials):
        rows = list(
            attempts.order_by("attempt_time").values_list("attempt_time", "failures_since_start")
        )
        remaining = sum(failures for _, failures in rows)
        for attempt_time, failures in rows:
            if remaining < limit:
                break
            remaining -= failures
            wait = max(wait, (attempt_time + cool_off - now).total_seconds())
    return max(1, math.ceil(wait))


LOCKED_OUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Too many failed sign-ins</title></head>
<body><h1>Too many failed sign-ins</h1>
<p>Signing in is paused for this account or this address. Try again in {minutes} minute(s).</p>
<p><a href="{login}">Back to the sign-in page</a></p></body></html>
"""


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what axes' middleware answers a locked-out request with. The
    admin's login form gets a page; an API request (should one reach here) a problem."""
    seconds = lockout_seconds(request, credentials)
    headers = {"Retry-After": str(seconds), "Cache-Control": "private, no-store"}
    if is_api(request):
        detail = str(LockedOut(seconds).detail)
        return problem_response(request, 429, "locked_out", detail, headers=headers)
    page = LOCKED_OUT_PAGE.format(minutes=math.ceil(seconds / 60), login=escape(request.path))
    return HttpResponse(page, status=429, headers=headers)


class LockedOut(Throttled):
    """The API's answer to a locked-out sign-in: a 429 problem, code `locked_out`."""

    default_detail = "Too many failed sign-ins: signing in is paused."
    default_code = "locked_out"

    def __init__(self, wait: int):
        super().__init__(wait=wait, code=self.default_code)
