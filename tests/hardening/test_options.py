"""`OPTIONS` on every path of the production URLconf answers without a 5xx and logs no error.

The walk reads every URL pattern of `botbeat.urls` (the API, the schema and its two docs pages,
the health probes, every page of the admin, its catch-all), fills each path parameter with a
real object of the world (tests/hardening/conftest.py): the article, company, tag or comment its
collection names, and in the admin an object of the model its address names. A parameter the walk
cannot fill fails the test, so a new route cannot slip past it. A few paths the URLconf does not
list are added: static files (served by WhiteNoise) and unknown addresses.

Each path is sent `OPTIONS` by the public, a reader, staff without a role, an Editor, a
Moderator and a superuser, and once as a CORS preflight.
"""

import logging
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve

from articles.models import Article
from changes.models import Change
from tests.factories import StaffFactory
from tests.hardening.conftest import NUMBERS
from webhooks.models import DeliveryAttempt
from webhooks.services import endpoint_create
from webhooks.tasks import redrive

# Not in the URLconf, answered all the same.
EXTRA_PATHS = (
    "/static/admin/css/base.css",
    "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "/nowhere/",
    "/api/nowhere/",
    "/api/v1/nowhere/",
)
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")
LITERALS = re.compile(r"\w+(\|\w+)*")  # a group that is a choice of words: each word is a value
REGEX_SYNTAX = re.compile(r"[\\^$()\[\]{}*+?|]")
ESCAPED = re.compile(r"\\([.\-])")


def leaf_patterns(patterns=None, prefix=()):
    """(the regexes from the root to the pattern, the pattern) for every pattern."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        regexes = (*prefix, pattern.pattern.regex.pattern)
        if isinstance(pattern, URLResolver):
            yield from leaf_patterns(pattern.url_patterns, regexes)
        else:
            yield regexes, pattern


def api_values(world) -> dict[tuple[str, str], str]:
    """(the collection before the parameter, the parameter) -> a value."""
    return {
        ("articles", "slug"): world.seed.slug,
        ("companies", "slug"): world.seed.company.slug,
        ("tags", "slug"): world.seed.tags.order_by("pk").first().slug,
        ("comments", "pk"): str(world.comments["alice_top"].pk),
        # the feeds (articles/feeds.py): /feeds/<format>/company/<value>/ and so on
        ("company", "value"): world.seed.company.slug,
        ("tag", "value"): world.seed.tags.order_by("pk").first().slug,
        ("category", "value"): world.seed.category,
        ("sitemap-", "section"): "articles",  # /sitemap-<section>.xml, the index's pages
    }


def values_for(name: str, body: str, before: str, world) -> list[str]:
    """Values for the parameter `name` of a path that starts with `before`; [] when unknown."""
    segments = before.strip("/").split("/")
    if LITERALS.fullmatch(body):
        return body.split("|")
    if before.startswith("admin/"):
        if segments[-1:] == ["r"] and name == "content_type_id":
            return [str(ContentType.objects.get_for_model(Article).pk)]
        if segments[-2:-1] == ["r"] and name == "object_id":
            return [str(world.seed.pk)]
        if name == "url":  # the admin's catch-all
            return ["nowhere/"]
        if name in {"object_id", "id"} and len(segments) >= 3:
            model = apps.get_model(segments[-2], segments[-1])
            instance = model._default_manager.order_by("pk").first()
            assert instance is not None, f"the world has no {model._meta.label} for {before}"
            return [quote(str(instance.pk))]
        return []
    value = api_values(world).get((segments[-1], name))
    return [] if value is None else [value]


def paths_of(regexes: tuple[str, ...], world) -> list[str]:
    """Every concrete path the pattern stands for, with the world's objects in it."""
    paths = [""]
    for regex in regexes:
        regex = regex.removeprefix("^").removesuffix("\\Z").removesuffix("$")
        pieces = GROUP.split(regex)
        # GROUP.split gives literal, name, body, literal, name, body, ..., literal.
        for i in range(0, len(pieces), 3):
            literal = ESCAPED.sub(r"\1", pieces[i])  # route() escapes `.` and `-`
            if REGEX_SYNTAX.search(literal):
                return []
            paths = [path + literal for path in paths]
            if i + 1 < len(pieces):
                name, body = pieces[i + 1], pieces[i + 2]
                paths = [
                    path + value for path in paths for value in values_for(name, body, path, world)
                ]
    return ["/" + path for path in paths]


@pytest.fixture
def every_path(world) -> list[str]:
    """Every path of the production URLconf with real objects in it, and a few more."""
    LogEntry.objects.log_actions(
        world.staff.pk, [world.seed], ADDITION, change_message="For the admin's log pages."
    )
    # For the webhooks' admin pages: an endpoint and a delivery.
    endpoint = endpoint_create(url="https://93.184.215.14/hooks", event_types=[])
    change = Change.objects.create(type="tag.removed", key="gone", object_id=1)
    DeliveryAttempt.objects.create(
        endpoint=endpoint, change=change, attempt=1, status_code=200, duration_ms=1
    )
    redrive.enqueue()  # a task (django_tasks_db's admin pages)
    # For the sign-in lockout's pages (django-axes): one row of each of its tables.
    seen = {"username": "alice", "ip_address": "127.0.0.1", "user_agent": "-", "http_accept": "-"}
    AccessLog.objects.create(**seen, path_info="/admin/login/")
    AccessFailureLog.objects.create(**seen, path_info="/admin/login/")
    AccessAttempt.objects.create(
        **seen, path_info="/admin/login/", get_data="", post_data="", failures_since_start=1
    )
    paths, unfilled = [], []
    for regexes, pattern in leaf_patterns():
        filled = paths_of(regexes, world)
        if not filled:
            unfilled.append("".join(regexes))
        for path in filled:
            match = resolve(path)
            assert match.func is pattern.callback, f"{path} is not {''.join(regexes)}"
            paths.append(path)
    assert not unfilled, f"teach the walk these patterns' parameters: {unfilled}"
    return [*paths, *EXTRA_PATHS]


@pytest.fixture
def clients(world) -> dict[str, Client]:
    """A client for each kind of visitor, signed in with the session."""
    editor = StaffFactory(username="options-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    moderator = StaffFactory(username="options-moderator")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    users = {
        "reader": world.alice,
        "staff without a role": world.staff,
        "editor": editor,
        "moderator": moderator,
        "superuser": StaffFactory(username="options-chief", is_superuser=True),
    }
    clients = {"anonymous": Client(raise_request_exception=False)}
    for who, user in users.items():
        clients[who] = Client(raise_request_exception=False)
        clients[who].force_login(user)
    return clients


def test_options_on_every_path_answers_without_a_server_error(
    every_path, clients, caplog, unthrottled
):
    failures = []
    requests = 0
    for path in every_path:
        sent = [(who, client, {}) for who, client in clients.items()]
        preflight = {
            "HTTP_ORIGIN": "https://botbeat.example",
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
        }
        sent.append(("a CORS preflight", clients["anonymous"], preflight))
        for who, client, headers in sent:
            caplog.clear()
            with caplog.at_level(logging.ERROR):
                response = client.options(path, **headers)
            requests += 1
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            if response.status_code >= 500 or errors:
                failures.append(f"OPTIONS {path} as {who}: {response.status_code} {errors}")

    NUMBERS["options"] = f"{len(every_path)} paths, {requests} requests"
    assert not failures, "\n".join(failures)
    assert len(every_path) > 70  # the walk found the admin's pages too


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/api/schema/"])
def test_options_on_the_docs_says_what_they_allow_and_renders_nothing(path, client, db):
    response = client.options(path)

    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""
