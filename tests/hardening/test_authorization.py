"""Authorization everywhere: every operation of the schema, as anonymous, a reader (alice),
another reader (bob) and staff, against a table of what each must get.

The world (tests/hardening/conftest.py) holds a draft, a scheduled article, a company and a tag
only the draft has, hidden and removed comments and a comment on the draft, each carrying a
marker. Besides each answer's status, every answer to someone other than staff is searched for
every marker it did not send itself: drafts, scheduled articles, hidden comments and other
people's data must not leak through any path (lists, details, sub-resources, counts, search,
ordering, the schema and its examples).

A new operation in the schema fails `test_every_operation_is_in_the_table` until it gets rows.
"""

import json
from dataclasses import dataclass, field

import pytest
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.hardening.conftest import (
    DRAFT_SLUG,
    HIDDEN_COMPANY_SLUG,
    HIDDEN_TAG_SLUG,
    HIDDEN_WITH_REPLY_BODY,
    NUMBERS,
    PUBLIC_ONLY_TO_STAFF,
    SCHEDULED_SLUG,
    SEED_SLUG,
    TOKENS,
)

ROLES = ("anonymous", "alice", "bob", "staff")  # in this order: staff's writes come last
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def staff_only(public: int = 404, staff: int = 200) -> dict[str, int]:
    return {"anonymous": public, "alice": public, "bob": public, "staff": staff}


def signed_in(anonymous: int = 401, **statuses: int) -> dict[str, int]:
    return {"anonymous": anonymous, **statuses}


@dataclass
class Probe:
    """One request, sent by each role; `path` names the world's objects in braces."""

    what: str
    path: str
    expect: dict[str, int]
    body: dict | None = None
    # Extra checks: (role, response, world) -> list of problems.
    check: object = None
    fresh_token: bool = False  # signing out revokes the token it is sent with
    per_role_body: bool = False  # `{role}` in the body's values


# Checks


def slugs(response) -> set[str]:
    return {item["slug"] for item in response.json()["results"]}


def feed_is_public_unless_staff(role, response, world):
    got = slugs(response)
    if role == "staff":
        return [] if {DRAFT_SLUG, SCHEDULED_SLUG} <= got else [f"staff misses drafts: {got}"]
    return [] if not got & {DRAFT_SLUG, SCHEDULED_SLUG} else [f"{role} sees {got}"]


def scheduled_is_for_staff_only(role, response, world):
    seen = SCHEDULED_SLUG in slugs(response)
    return [] if seen == (role == "staff") else [f"{role}: scheduled article seen: {seen}"]


def thread_is_public_unless_staff(role, response, world):
    c = world.comments
    public = {c[k].pk for k in ("alice_top", "bob_reply", "bob_top", "hidden_parent",
                                "reply_to_hidden")}  # fmt: skip
    got = {item["id"] for item in response.json()["results"]}
    expected = public | {c["hidden"].pk, c["removed"].pk} if role == "staff" else public
    problems = [] if got == expected else [f"{role} sees comments {got}, not {expected}"]
    for item in response.json()["results"]:
        withheld = item["status"] != "visible"
        if withheld and role != "staff" and (item["body"] or item["author"]):
            problems.append(f"{role} sees the body or author of withheld comment {item['id']}")
    return problems


def withheld_parent_keeps_its_place_without_content(role, response, world):
    body = response.json()
    if role == "staff":
        return [] if body["body"] == HIDDEN_WITH_REPLY_BODY else ["staff misses the body"]
    return [] if body["body"] is None and body["author"] is None else [f"{role} sees {body}"]


def counts_what_the_public_sees(role, response, world):
    return [] if response.json()["comment_count"] == 4 else [f"comment_count {response.json()}"]


def company_counts_published_articles(role, response, world):
    counts = {item["slug"]: item["article_count"] for item in response.json()["results"]}
    return [] if counts.get("openai") == 4 else [f"{role}: article counts {counts}"]


def me_is_myself(role, response, world):
    expected = {"alice": "alice", "bob": "bob", "staff": "editor"}[role]
    return [] if response.json()["username"] == expected else [f"{role} is {response.json()}"]


# The table: every operation of the schema, every probe, every role.

TABLE: dict[str, list[Probe]] = {
    "GET /api/v1/articles/": [
        Probe("the feed", "/api/v1/articles/", everyone(200), check=feed_is_public_unless_staff),
        Probe("oldest first", "/api/v1/articles/?ordering=published_at", everyone(200),
              check=feed_is_public_unless_staff),
        Probe("search the drafts' words", "/api/v1/articles/?q=alignment%20reinforcement",
              everyone(200)),
        Probe("search a draft's title", "/api/v1/articles/?q=SECRET", everyone(200)),
        Probe("the future", "/api/v1/articles/?published_after=2099-01-01", everyone(200)),
        Probe("a company with only a draft", f"/api/v1/articles/?company={HIDDEN_COMPANY_SLUG}",
              staff_only(400)),
        Probe("a tag only a draft has", f"/api/v1/articles/?tag={HIDDEN_TAG_SLUG}",
              staff_only(400)),
        Probe("the company of a scheduled article", "/api/v1/articles/?company=openai",
              everyone(200), check=scheduled_is_for_staff_only),
    ],
    "GET /api/v1/articles/{slug}/": [
        Probe("a published article", f"/api/v1/articles/{SEED_SLUG}/", everyone(200),
              check=counts_what_the_public_sees),
        Probe("a draft", f"/api/v1/articles/{DRAFT_SLUG}/", staff_only()),
        Probe("a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/", staff_only()),
    ],
    "GET /api/v1/articles/{slug}/comments/": [
        Probe("a published article's thread", f"/api/v1/articles/{SEED_SLUG}/comments/",
              everyone(200), check=thread_is_public_unless_staff),
        Probe("newest first", f"/api/v1/articles/{SEED_SLUG}/comments/?ordering=newest",
              everyone(200), check=thread_is_public_unless_staff),
        Probe("a draft's thread", f"/api/v1/articles/{DRAFT_SLUG}/comments/", staff_only()),
        Probe("a scheduled article's thread", f"/api/v1/articles/{SCHEDULED_SLUG}/comments/",
              staff_only()),
    ],
    "POST /api/v1/articles/{slug}/comments/": [
        Probe("on a published article", f"/api/v1/articles/{SEED_SLUG}/comments/",
              signed_in(alice=201, bob=201, staff=201), body={"body": "A probe."}),
        # Nobody comments on what the public cannot see, staff included.
        Probe("on a draft", f"/api/v1/articles/{DRAFT_SLUG}/comments/",
              signed_in(alice=404, bob=404, staff=404), body={"body": "A probe."}),
        Probe("on a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/comments/",
              signed_in(alice=404, bob=404, staff=404), body={"body": "A probe."}),
    ],
    "GET /api/v1/articles/{slug}/more-from-company/": [
        Probe("of a published article", f"/api/v1/articles/{SEED_SLUG}/more-from-company/",
              everyone(200)),
        Probe("of a draft", f"/api/v1/articles/{DRAFT_SLUG}/more-from-company/", staff_only()),
        Probe("of a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/more-from-company/",
              staff_only()),
    ],
    "GET /api/v1/articles/{slug}/suggested/": [
        Probe("for a published article", f"/api/v1/articles/{SEED_SLUG}/suggested/?limit=20",
              everyone(200)),
        Probe("for a draft", f"/api/v1/articles/{DRAFT_SLUG}/suggested/", staff_only()),
        Probe("for a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/suggested/",
              staff_only()),
    ],
    "GET /api/v1/comments/{id}/": [
        Probe("a visible comment", "/api/v1/comments/{alice_top}/", everyone(200)),
        Probe("a hidden comment without replies", "/api/v1/comments/{hidden}/", staff_only()),
        Probe("a hidden comment with a visible reply", "/api/v1/comments/{hidden_parent}/",
              everyone(200), check=withheld_parent_keeps_its_place_without_content),
        Probe("a removed comment without replies", "/api/v1/comments/{removed}/", staff_only()),
        Probe("a comment on a draft", "/api/v1/comments/{on_draft}/", staff_only()),
    ],
    "PATCH /api/v1/comments/{id}/": [
        Probe("edit alice's comment", "/api/v1/comments/{alice_top}/",
              signed_in(alice=200, bob=403, staff=403), body={"body": "Edited."}),
        Probe("hide bob's comment", "/api/v1/comments/{bob_top}/",
              signed_in(alice=403, bob=403, staff=200), body={"status": "hidden"}),
        Probe("edit bob's hidden comment", "/api/v1/comments/{hidden}/",
              signed_in(alice=404, bob=404, staff=403), body={"body": "Edited."}),
        Probe("edit bob's hidden comment that has a reply", "/api/v1/comments/{hidden_parent}/",
              signed_in(alice=403, bob=403, staff=403), body={"body": "Edited."}),
        Probe("restore a comment on a draft", "/api/v1/comments/{on_draft}/",
              signed_in(alice=404, bob=404, staff=200), body={"status": "visible"}),
    ],
    "DELETE /api/v1/comments/{id}/": [
        Probe("alice's comment", "/api/v1/comments/{alice_top}/",
              signed_in(alice=204, bob=403, staff=403)),
        Probe("alice's removed comment", "/api/v1/comments/{removed}/",
              signed_in(alice=404, bob=404, staff=403)),
        Probe("bob's comment on a draft", "/api/v1/comments/{on_draft}/",
              signed_in(alice=404, bob=404, staff=403)),
    ],
    "GET /api/v1/companies/": [
        Probe("the companies", "/api/v1/companies/", everyone(200),
              check=company_counts_published_articles),
    ],
    "GET /api/v1/companies/{slug}/": [
        Probe("a company", "/api/v1/companies/openai/", everyone(200)),
        Probe("a company with only a draft", f"/api/v1/companies/{HIDDEN_COMPANY_SLUG}/",
              staff_only()),
    ],
    "GET /api/v1/tags/": [Probe("the tags", "/api/v1/tags/?page_size=100", everyone(200))],
    "GET /api/v1/tags/{slug}/": [
        Probe("a tag", "/api/v1/tags/generative-ai/", everyone(200)),
        Probe("a tag only a draft has", f"/api/v1/tags/{HIDDEN_TAG_SLUG}/", staff_only()),
    ],
    "GET /api/v1/auth/me/": [
        Probe("who am I", "/api/v1/auth/me/", signed_in(alice=200, bob=200, staff=200),
              check=lambda role, response, world: [] if role == "anonymous" else me_is_myself(
                  role, response, world)),
    ],
    "POST /api/v1/auth/logout/": [
        Probe("sign out", "/api/v1/auth/logout/", signed_in(alice=204, bob=204, staff=204),
              fresh_token=True),
    ],
    # Signing up and in ignore any credential sent with them.
    "POST /api/v1/auth/register/": [
        Probe("sign up", "/api/v1/auth/register/", everyone(201), per_role_body=True,
              body={"username": "new-{role}", "password": "an-unusual-passphrase-42"}),
    ],
    "POST /api/v1/auth/token/": [
        Probe("sign in as alice", "/api/v1/auth/token/", everyone(200),
              body={"username": "alice", "password": PASSWORD}),
        Probe("sign in as bob with alice's password", "/api/v1/auth/token/", everyone(400),
              body={"username": "bob", "password": "wrong-" + PASSWORD}),
    ],
    "GET /healthz": [Probe("alive", "/healthz", everyone(200))],
    "GET /readyz": [Probe("ready", "/readyz", everyone(200))],
}  # fmt: skip
# Served outside the schema's operations, read by the same four.
EXTRA = [
    Probe("the schema", "/api/schema/", everyone(200)),
    Probe("Swagger UI", "/api/docs/", everyone(200)),
    Probe("ReDoc", "/api/redoc/", everyone(200)),
]


def schema_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def client_for(role: str, world, probe: Probe) -> APIClient:
    client = APIClient()
    if role == "anonymous":
        return client
    token = TOKENS[role]
    if probe.fresh_token:
        _, token = AuthToken.objects.create(user=getattr(world, role))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@dataclass
class Walk:
    requests: int = 0
    problems: list[str] = field(default_factory=list)

    def run(self, probe: Probe, operation: str, world) -> None:
        method = operation.split()[0].lower() if operation else "get"
        path = probe.path.format(**{k: c.pk for k, c in world.comments.items()})
        for role in ROLES:
            body = probe.body
            if body is not None and probe.per_role_body:
                body = {k: v.format(role=role) for k, v in body.items()}
            client = client_for(role, world, probe)
            self.requests += 1
            response = getattr(client, method)(path, body, format="json" if body else None)
            where = f"{probe.what} ({method.upper()} {path}) as {role}"
            if response.status_code != probe.expect[role]:
                self.problems.append(
                    f"{where}: {response.status_code}, expected {probe.expect[role]}: "
                    f"{response.content[:300]!r}"
                )
                continue
            if role != "staff":
                sent = path + json.dumps(body or {})
                text = response.content.decode()
                leaked = [m for m in PUBLIC_ONLY_TO_STAFF if m in text and m not in sent]
                if leaked:
                    self.problems.append(f"{where} leaks {leaked}")
            if probe.check and 200 <= response.status_code < 300 and response.content:
                self.problems.extend(f"{where}: {p}" for p in probe.check(role, response, world))


WALKED = {"requests": 0, "operations": 0}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if WALKED["requests"]:
        NUMBERS["authorization walk"] = (
            f"{WALKED['operations']} operations, {WALKED['requests']} requests as "
            f"{len(ROLES)} identities, no leak"
        )


def test_every_operation_is_in_the_table():
    assert schema_operations() == set(TABLE)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(TABLE))
def test_each_role_gets_what_the_table_says_and_nothing_leaks(operation, world, unthrottled):
    walk = Walk()
    for probe in TABLE[operation]:
        walk.run(probe, operation, world)

    assert walk.problems == []
    WALKED["requests"] += walk.requests
    WALKED["operations"] += 1


@pytest.mark.django_db
def test_the_schema_and_the_docs_leak_nothing(world):
    walk = Walk()
    for probe in EXTRA:
        walk.run(probe, "", world)

    assert walk.problems == []
