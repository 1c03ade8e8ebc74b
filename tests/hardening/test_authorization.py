"""Authorization everywhere: every operation of the schema, as each identity a request can
carry, against a table of what each must get.

The identities: anonymous, a reader (alice), another reader (bob), a staff account with no role
(`staff`: it sees what the public sees), an Editor, a Moderator and a superuser (botbeat.roles).
Every probe writes down the answer of each of them: a probe missing one fails, and so does an
operation of the schema missing from the table. Each identity signs with its bearer token or, in
the browser frontend's probes, with its session cookie, with or without the CSRF token.

The world (tests/hardening/conftest.py) holds a draft, a scheduled article, a company and a tag
only the draft has, hidden and removed comments and a comment on the draft, each carrying a
marker. Besides each answer's status, every answer is searched for every marker its identity
may not see and the request did not send itself: drafts and scheduled articles (Editors only),
withheld comments (Moderators only) and other people's data must not leak through any path
(lists, details, sub-resources, counts, search, ordering, the schema and its examples).
"""

import importlib
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
    OLD_COMPANY_SLUG,
    OLD_DRAFT_SLUG,
    OLD_HIDDEN_COMPANY_SLUG,
    OLD_HIDDEN_TAG_SLUG,
    OLD_SEED_SLUG,
    OLD_TAG_SLUG,
    SCHEDULED_SLUG,
    SEED_SLUG,
    TOKENS,
    UNPUBLISHED_MARKERS,
    WITHHELD_MARKERS,
)

# In this order: the readers' writes come first, the staff's last.
IDENTITIES = ("anonymous", "alice", "bob", "staff", "editor", "moderator", "superuser")
SEES_UNPUBLISHED = frozenset({"editor", "superuser"})
MODERATES = frozenset({"moderator", "superuser"})
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(IDENTITIES, status)


def editors(public: int = 404, editor: int = 200) -> dict[str, int]:
    """What Editors (and superusers) get differs from everyone else's."""
    return {who: editor if who in SEES_UNPUBLISHED else public for who in IDENTITIES}


def moderators(public: int = 404, moderator: int = 200) -> dict[str, int]:
    """What Moderators (and superusers) get differs from everyone else's."""
    return {who: moderator if who in MODERATES else public for who in IDENTITIES}


def cells(anonymous, alice, bob, staff, editor, moderator, superuser) -> dict[str, int]:
    """One answer per identity, in IDENTITIES' order, each written down."""
    answers = (anonymous, alice, bob, staff, editor, moderator, superuser)
    return dict(zip(IDENTITIES, answers, strict=True))


@dataclass
class Probe:
    """One request, sent by each identity; `path` names the world's objects in braces."""

    what: str
    path: str
    expect: dict[str, int]
    body: dict | None = None
    # Extra checks: (identity, response, world) -> list of problems.
    check: object = None
    fresh_token: bool = False  # signing out revokes the token it is sent with
    per_role_body: bool = False  # `{role}` in the body's values
    # How each identity signs the request: its bearer token, or, as the browser frontend does,
    # its session cookie with the CSRF token (`session`) or without it (`session, no csrf`).
    credentials: str = "bearer"

    def __post_init__(self):
        missing = set(IDENTITIES) - set(self.expect)
        assert not missing, f"{self.what}: no answer written down for {sorted(missing)}"


def may_see(identity: str) -> set[str]:
    """The markers `identity` may find in an answer."""
    allowed = set()
    if identity in SEES_UNPUBLISHED:
        allowed |= set(UNPUBLISHED_MARKERS)
    if identity in MODERATES:
        allowed |= set(WITHHELD_MARKERS)
    return allowed


# Checks


def slugs(response) -> set[str]:
    return {item["slug"] for item in response.json()["results"]}


def feed_is_public_unless_editor(role, response, world):
    got = slugs(response)
    if role in SEES_UNPUBLISHED:
        return [] if {DRAFT_SLUG, SCHEDULED_SLUG} <= got else [f"{role} misses drafts: {got}"]
    return [] if not got & {DRAFT_SLUG, SCHEDULED_SLUG} else [f"{role} sees {got}"]


def changes_show_the_public_only(role, response, world):
    # Drafts never appear in the change feed, whoever asks (API.md, "The change feed").
    keys = {change["key"] for change in response.json()["results"]}
    hidden = keys & {DRAFT_SLUG, SCHEDULED_SLUG, HIDDEN_COMPANY_SLUG, HIDDEN_TAG_SLUG}
    problems = [f"{role} sees {hidden}"] if hidden else []
    return problems + ([] if SEED_SLUG in keys else [f"{role} misses the seed article"])


def scheduled_is_for_editors_only(role, response, world):
    seen = SCHEDULED_SLUG in slugs(response)
    return [] if seen == (role in SEES_UNPUBLISHED) else [f"{role}: scheduled seen: {seen}"]


def thread_is_public_unless_moderator(role, response, world):
    c = world.comments
    public = {c[k].pk for k in ("alice_top", "bob_reply", "bob_top", "hidden_parent",
                                "reply_to_hidden")}  # fmt: skip
    got = {item["id"] for item in response.json()["results"]}
    expected = public | {c["hidden"].pk, c["removed"].pk} if role in MODERATES else public
    problems = [] if got == expected else [f"{role} sees comments {got}, not {expected}"]
    for item in response.json()["results"]:
        withheld = item["status"] != "visible"
        if withheld and role not in MODERATES and (item["body"] or item["author"]):
            problems.append(f"{role} sees the body or author of withheld comment {item['id']}")
    return problems


def withheld_parent_keeps_its_place_without_content(role, response, world):
    body = response.json()
    if role in MODERATES:
        return [] if body["body"] == HIDDEN_WITH_REPLY_BODY else [f"{role} misses the body"]
    return [] if body["body"] is None and body["author"] is None else [f"{role} sees {body}"]


class Section:
    """One section of the page, as a response its own path's check reads."""

    def __init__(self, body):
        self.body = body

    def json(self):
        return self.body


def page_is_public_unless_editor_or_moderator(role, response, world):
    """The page's sections, each held to its own path's checks."""
    body = response.json()
    problems = counts_what_the_public_sees(role, Section(body["article"]), world)
    problems += thread_is_public_unless_moderator(role, Section(body["comments"]), world)
    for panel in ("more_from_company", "suggested"):
        got = {item["slug"] for item in body[panel]["results"]}
        if got & {DRAFT_SLUG, SCHEDULED_SLUG}:
            problems.append(f"{role} sees unpublished articles in {panel}: {got}")
    return problems


def expanded_counts_are_the_publics(role, response, world):
    body = response.json()
    items = body.get("results", [body])
    wrong = [
        item["company"]
        for item in items
        if item["company"]["slug"] == "openai" and item["company"]["article_count"] != 4
    ]
    return [f"{role}: expanded company counts {wrong}"] if wrong else []


def counts_what_the_public_sees(role, response, world):
    return [] if response.json()["comment_count"] == 4 else [f"comment_count {response.json()}"]


def company_counts_published_articles(role, response, world):
    counts = {item["slug"]: item["article_count"] for item in response.json()["results"]}
    return [] if counts.get("openai") == 4 else [f"{role}: article counts {counts}"]


def session_is_mine(role, response, world):
    user = response.json()["user"]
    if role == "anonymous":
        return [] if user is None else [f"anonymous is {user}"]
    got = user and user["username"]
    return [] if got == getattr(world, role).username else [f"{role}'s session is {user}"]


def no_session(role, response, world):
    user = response.json()["user"]
    return [] if user is None else [f"{role}'s bearer token is a session: {user}"]


def signed_in_as_alice(role, response, world):
    got = response.json()["user"]["username"]
    return [] if got == "alice" else [f"{role} signed in as {got}"]


def session_ended(role, response, world):
    cookie = response.cookies.get("sessionid")
    if role == "anonymous":
        return [] if cookie is None else [f"anonymous gets a session cookie: {cookie}"]
    return [] if cookie is not None and cookie.value == "" else [f"{role}'s cookie is {cookie}"]


def me_is_myself(role, response, world):
    if role == "anonymous":
        return []
    got = response.json()["username"]
    return [] if got == getattr(world, role).username else [f"{role} is {response.json()}"]


def my_comments_are_mine(role, response, world):
    # Their own, but not those on the draft (unless they see drafts).
    mine = {
        c.pk
        for name, c in world.comments.items()
        if c.author_id == getattr(world, role).pk
        and (name != "on_draft" or role in SEES_UNPUBLISHED)
    }
    got = {item["id"] for item in response.json()["results"]}
    return [] if got == mine else [f"{role}'s comments are {got}, not {mine}"]


# The table: every operation of the schema, every probe, every identity.

TABLE: dict[str, list[Probe]] = {
    "GET /api/v1/": [Probe("the index", "/api/v1/", everyone(200))],
    "GET /api/v1/articles/": [
        Probe("the feed", "/api/v1/articles/", everyone(200), check=feed_is_public_unless_editor),
        Probe("oldest first", "/api/v1/articles/?ordering=published_at", everyone(200),
              check=feed_is_public_unless_editor),
        Probe("search the drafts' words", "/api/v1/articles/?q=alignment%20reinforcement",
              everyone(200)),
        Probe("search a draft's title", "/api/v1/articles/?q=SECRET", everyone(200)),
        Probe("the future", "/api/v1/articles/?published_after=2099-01-01", everyone(200)),
        Probe("a company with only a draft", f"/api/v1/articles/?company={HIDDEN_COMPANY_SLUG}",
              editors(400)),
        Probe("a tag only a draft has", f"/api/v1/articles/?tag={HIDDEN_TAG_SLUG}",
              editors(400)),
        Probe("any of a tag only a draft has", f"/api/v1/articles/?tag_any={HIDDEN_TAG_SLUG}",
              editors(400)),
        Probe("none of a tag only a draft has",
              f"/api/v1/articles/?exclude_tag={HIDDEN_TAG_SLUG}", editors(400)),
        Probe("any of a scheduled article's tags",
              "/api/v1/articles/?tag_any=ethics-bias&tag_any=open-source", everyone(200),
              check=scheduled_is_for_editors_only),
        Probe("none of a published tag", "/api/v1/articles/?exclude_tag=open-source",
              everyone(200), check=feed_is_public_unless_editor),
        Probe("the company of a scheduled article", "/api/v1/articles/?company=openai",
              everyone(200), check=scheduled_is_for_editors_only),
        Probe("a tag's old slug", f"/api/v1/articles/?tag={OLD_TAG_SLUG}", everyone(301)),
        Probe("an old slug of a tag only a draft has",
              f"/api/v1/articles/?tag={OLD_HIDDEN_TAG_SLUG}", editors(400, 301)),
        Probe("a company's old slug", f"/api/v1/articles/?company={OLD_COMPANY_SLUG}",
              everyone(301)),
        Probe("an old slug of a company with only a draft",
              f"/api/v1/articles/?company={OLD_HIDDEN_COMPANY_SLUG}", editors(400, 301)),
        Probe("expanded, every count", "/api/v1/articles/?expand=company,tags&page_size=100",
              everyone(200), check=expanded_counts_are_the_publics),
        Probe("sparse", "/api/v1/articles/?fields=slug,company.slug,tags.slug&page_size=100",
              everyone(200), check=feed_is_public_unless_editor),
    ],
    "GET /api/v1/articles/{slug}/": [
        Probe("a published article", f"/api/v1/articles/{SEED_SLUG}/", everyone(200),
              check=counts_what_the_public_sees),
        Probe("a draft", f"/api/v1/articles/{DRAFT_SLUG}/", editors()),
        Probe("a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/", editors()),
        Probe("a published article's old slug", f"/api/v1/articles/{OLD_SEED_SLUG}/",
              everyone(301)),
        Probe("a draft's old slug", f"/api/v1/articles/{OLD_DRAFT_SLUG}/", editors(404, 301)),
        # A token that grants nothing is refused alike everywhere, Editors included: the answer
        # does not tell a draft from a published article (articles/previews.py).
        Probe("a draft with a forged preview token",
              f"/api/v1/articles/{DRAFT_SLUG}/?preview=forged:token:x", everyone(403)),
        Probe("a published article with a forged preview token",
              f"/api/v1/articles/{SEED_SLUG}/?preview=forged:token:x", everyone(403)),
        Probe("a published article, expanded",
              f"/api/v1/articles/{SEED_SLUG}/?expand=company,tags", everyone(200),
              check=expanded_counts_are_the_publics),
        Probe("a draft, expanded", f"/api/v1/articles/{DRAFT_SLUG}/?expand=company,tags",
              editors()),
        Probe("a draft, one key", f"/api/v1/articles/{DRAFT_SLUG}/?fields=company.slug",
              editors()),
    ],
    "GET /api/v1/articles/{slug}/page/": [
        Probe("a published article's page", f"/api/v1/articles/{SEED_SLUG}/page/",
              everyone(200), check=page_is_public_unless_editor_or_moderator),
        Probe("its thread newest first, its panels long",
              f"/api/v1/articles/{SEED_SLUG}/page/?comments_ordering=newest&suggested_limit=20"
              "&more_limit=20&expand=company,tags", everyone(200),
              check=page_is_public_unless_editor_or_moderator),
        Probe("a draft's page", f"/api/v1/articles/{DRAFT_SLUG}/page/", editors()),
        Probe("a draft's page, expanded",
              f"/api/v1/articles/{DRAFT_SLUG}/page/?expand=company,tags", editors()),
        Probe("a scheduled article's page", f"/api/v1/articles/{SCHEDULED_SLUG}/page/",
              editors()),
        Probe("a draft's page with a forged preview token",
              f"/api/v1/articles/{DRAFT_SLUG}/page/?preview=forged:token:x", everyone(403)),
    ],
    # Editors only; the others are refused before the article is looked up.
    "POST /api/v1/articles/{slug}/preview/": [
        Probe("a draft's preview link", f"/api/v1/articles/{DRAFT_SLUG}/preview/",
              cells(401, 403, 403, 403, 200, 403, 200)),
        Probe("a scheduled article's preview link", f"/api/v1/articles/{SCHEDULED_SLUG}/preview/",
              cells(401, 403, 403, 403, 200, 403, 200)),
        Probe("a published article's preview link", f"/api/v1/articles/{SEED_SLUG}/preview/",
              cells(401, 403, 403, 403, 400, 403, 400)),
        Probe("no article's preview link", "/api/v1/articles/zz-no-such-article/preview/",
              cells(401, 403, 403, 403, 404, 403, 404)),
    ],
    "GET /api/v1/articles/{slug}/comments/": [
        Probe("a published article's thread", f"/api/v1/articles/{SEED_SLUG}/comments/",
              everyone(200), check=thread_is_public_unless_moderator),
        Probe("newest first", f"/api/v1/articles/{SEED_SLUG}/comments/?ordering=newest",
              everyone(200), check=thread_is_public_unless_moderator),
        Probe("a draft's thread", f"/api/v1/articles/{DRAFT_SLUG}/comments/", editors()),
        Probe("a scheduled article's thread", f"/api/v1/articles/{SCHEDULED_SLUG}/comments/",
              editors()),
        Probe("by an old slug", f"/api/v1/articles/{OLD_SEED_SLUG}/comments/", everyone(301)),
        Probe("by a draft's old slug", f"/api/v1/articles/{OLD_DRAFT_SLUG}/comments/",
              editors(404, 301)),
    ],
    "POST /api/v1/articles/{slug}/comments/": [
        Probe("on a published article", f"/api/v1/articles/{SEED_SLUG}/comments/",
              cells(401, 201, 201, 201, 201, 201, 201), body={"body": "A probe."}),
        # The browser frontend's session: the same answers with the CSRF token, 403 without.
        # (Another body: the same one again within 10 minutes is a 400 `duplicate`.)
        Probe("on a published article, with the session", f"/api/v1/articles/{SEED_SLUG}/comments/",
              cells(401, 201, 201, 201, 201, 201, 201), body={"body": "A probe, signed in."},
              credentials="session"),
        Probe("with the session, without the CSRF token",
              f"/api/v1/articles/{SEED_SLUG}/comments/", cells(401, 403, 403, 403, 403, 403, 403),
              body={"body": "A probe."}, credentials="session, no csrf"),
        # Nobody comments on what the public cannot see, Editors included.
        Probe("on a draft", f"/api/v1/articles/{DRAFT_SLUG}/comments/",
              cells(401, 404, 404, 404, 404, 404, 404), body={"body": "A probe."}),
        Probe("on a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/comments/",
              cells(401, 404, 404, 404, 404, 404, 404), body={"body": "A probe."}),
        # Only reads follow an old slug.
        Probe("by an old slug", f"/api/v1/articles/{OLD_SEED_SLUG}/comments/",
              cells(401, 404, 404, 404, 404, 404, 404), body={"body": "A probe."}),
    ],
    "GET /api/v1/articles/{slug}/more-from-company/": [
        Probe("of a published article", f"/api/v1/articles/{SEED_SLUG}/more-from-company/",
              everyone(200)),
        Probe("of a published article, expanded",
              f"/api/v1/articles/{SEED_SLUG}/more-from-company/?limit=20&expand=company,tags",
              everyone(200), check=expanded_counts_are_the_publics),
        Probe("of a draft", f"/api/v1/articles/{DRAFT_SLUG}/more-from-company/", editors()),
        Probe("of a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/more-from-company/",
              editors()),
        Probe("by an old slug", f"/api/v1/articles/{OLD_SEED_SLUG}/more-from-company/",
              everyone(301)),
        Probe("by a draft's old slug", f"/api/v1/articles/{OLD_DRAFT_SLUG}/more-from-company/",
              editors(404, 301)),
    ],
    "GET /api/v1/articles/{slug}/suggested/": [
        Probe("for a published article", f"/api/v1/articles/{SEED_SLUG}/suggested/?limit=20",
              everyone(200)),
        Probe("for a published article, sparse",
              f"/api/v1/articles/{SEED_SLUG}/suggested/?limit=20&fields=slug,reason&expand=tags",
              everyone(200)),
        Probe("for a draft", f"/api/v1/articles/{DRAFT_SLUG}/suggested/", editors()),
        Probe("for a scheduled article", f"/api/v1/articles/{SCHEDULED_SLUG}/suggested/",
              editors()),
        Probe("by an old slug", f"/api/v1/articles/{OLD_SEED_SLUG}/suggested/", everyone(301)),
        Probe("by a draft's old slug", f"/api/v1/articles/{OLD_DRAFT_SLUG}/suggested/",
              editors(404, 301)),
    ],
    "GET /api/v1/comments/{id}/": [
        Probe("a visible comment", "/api/v1/comments/{alice_top}/", everyone(200)),
        Probe("a hidden comment without replies", "/api/v1/comments/{hidden}/", moderators()),
        Probe("a hidden comment with a visible reply", "/api/v1/comments/{hidden_parent}/",
              everyone(200), check=withheld_parent_keeps_its_place_without_content),
        Probe("a removed comment without replies", "/api/v1/comments/{removed}/", moderators()),
        Probe("a comment on a draft", "/api/v1/comments/{on_draft}/", editors()),
    ],
    "PATCH /api/v1/comments/{id}/": [
        Probe("edit alice's comment", "/api/v1/comments/{alice_top}/",
              cells(401, 200, 403, 403, 403, 403, 403), body={"body": "Edited."}),
        Probe("hide bob's comment", "/api/v1/comments/{bob_top}/",
              cells(401, 403, 403, 403, 403, 200, 200), body={"status": "hidden"}),
        Probe("edit bob's hidden comment", "/api/v1/comments/{hidden}/",
              cells(401, 404, 404, 404, 404, 403, 403), body={"body": "Edited."}),
        Probe("edit bob's hidden comment that has a reply", "/api/v1/comments/{hidden_parent}/",
              cells(401, 403, 403, 403, 403, 403, 403), body={"body": "Edited."}),
        Probe("restore alice's removed comment", "/api/v1/comments/{removed}/",
              cells(401, 404, 404, 404, 404, 403, 403), body={"status": "visible"}),
        # An Editor sees the draft's comment, but does not moderate; a Moderator moderates, but
        # does not see the draft.
        Probe("hide a comment on a draft", "/api/v1/comments/{on_draft}/",
              cells(401, 404, 404, 404, 403, 404, 200), body={"status": "hidden"}),
    ],
    "DELETE /api/v1/comments/{id}/": [
        Probe("alice's comment", "/api/v1/comments/{alice_top}/",
              cells(401, 204, 403, 403, 403, 403, 403)),
        Probe("alice's removed comment", "/api/v1/comments/{removed}/",
              cells(401, 404, 404, 404, 404, 403, 403)),
        Probe("bob's comment on a draft", "/api/v1/comments/{on_draft}/",
              cells(401, 404, 404, 404, 403, 404, 403)),
    ],
    # Likes: any signed-in reader, on what they see, but not their own comment; nobody likes a
    # withheld comment or one on an unpublished article (Editors included).
    "PUT /api/v1/comments/{id}/like/": [
        Probe("like alice's comment", "/api/v1/comments/{alice_top}/like/",
              cells(401, 403, 200, 200, 200, 200, 200)),
        Probe("like a hidden comment", "/api/v1/comments/{hidden}/like/",
              cells(401, 404, 404, 404, 404, 403, 403)),
        Probe("like a hidden comment with a reply", "/api/v1/comments/{hidden_parent}/like/",
              cells(401, 403, 403, 403, 403, 403, 403)),
        Probe("like a comment on a draft", "/api/v1/comments/{on_draft}/like/",
              cells(401, 404, 404, 404, 404, 404, 404)),
    ],
    "DELETE /api/v1/comments/{id}/like/": [
        Probe("unlike alice's comment", "/api/v1/comments/{alice_top}/like/",
              cells(401, 200, 200, 200, 200, 200, 200)),
        Probe("unlike a hidden comment", "/api/v1/comments/{hidden}/like/",
              cells(401, 404, 404, 404, 404, 200, 200)),
        Probe("unlike a comment on a draft", "/api/v1/comments/{on_draft}/like/",
              cells(401, 404, 404, 404, 404, 404, 404)),
    ],
    # Flags: any signed-in reader, on another's comment they see; three of them (the
    # threshold) withhold alice's for review, which still takes flags.
    "POST /api/v1/comments/{id}/flag/": [
        Probe("flag alice's comment", "/api/v1/comments/{alice_top}/flag/",
              cells(401, 403, 201, 201, 201, 201, 201), body={"reason": "spam"}),
        Probe("flag a hidden comment", "/api/v1/comments/{hidden}/flag/",
              cells(401, 404, 404, 404, 404, 403, 403), body={"reason": "spam"}),
        Probe("flag bob's hidden comment that has a reply",
              "/api/v1/comments/{hidden_parent}/flag/",
              cells(401, 403, 403, 403, 403, 403, 403), body={"reason": "abuse"}),
        Probe("flag a comment on a draft", "/api/v1/comments/{on_draft}/flag/",
              cells(401, 404, 404, 404, 404, 404, 404), body={"reason": "other"}),
    ],
    "GET /api/v1/comments/review/": [
        Probe("the review queue", "/api/v1/comments/review/",
              cells(401, 403, 403, 403, 403, 200, 200)),
    ],
    "GET /api/v1/auth/me/comments/": [
        Probe("my comments", "/api/v1/auth/me/comments/",
              cells(401, 200, 200, 200, 200, 200, 200), check=my_comments_are_mine),
    ],
    "GET /api/v1/auth/me/likes/": [
        Probe("my likes on the seed article", f"/api/v1/auth/me/likes/?article={SEED_SLUG}",
              cells(401, 200, 200, 200, 200, 200, 200)),
        Probe("my likes on a draft", f"/api/v1/auth/me/likes/?article={DRAFT_SLUG}",
              cells(401, 404, 404, 404, 200, 404, 200)),
    ],
    "GET /api/v1/companies/": [
        Probe("the companies", "/api/v1/companies/", everyone(200),
              check=company_counts_published_articles),
    ],
    "GET /api/v1/companies/{slug}/": [
        Probe("a company", "/api/v1/companies/openai/", everyone(200)),
        Probe("a company with only a draft", f"/api/v1/companies/{HIDDEN_COMPANY_SLUG}/",
              editors()),
        Probe("a company's old slug", f"/api/v1/companies/{OLD_COMPANY_SLUG}/", everyone(301)),
        Probe("an old slug of a company with only a draft",
              f"/api/v1/companies/{OLD_HIDDEN_COMPANY_SLUG}/", editors(404, 301)),
    ],
    "GET /api/v1/tags/": [Probe("the tags", "/api/v1/tags/?page_size=100", everyone(200))],
    "GET /api/v1/changes/": [
        Probe("the change feed", "/api/v1/changes/?page_size=100", everyone(200),
              check=changes_show_the_public_only),
        Probe("a draft's company", f"/api/v1/changes/?company={HIDDEN_COMPANY_SLUG}",
              everyone(400)),
        Probe("a draft's tag", f"/api/v1/changes/?tag={HIDDEN_TAG_SLUG}", everyone(400)),
    ],
    "GET /api/v1/tags/{slug}/": [
        Probe("a tag", "/api/v1/tags/generative-ai/", everyone(200)),
        Probe("a tag only a draft has", f"/api/v1/tags/{HIDDEN_TAG_SLUG}/", editors()),
        Probe("a tag's old slug", f"/api/v1/tags/{OLD_TAG_SLUG}/", everyone(301)),
        Probe("an old slug of a tag only a draft has", f"/api/v1/tags/{OLD_HIDDEN_TAG_SLUG}/",
              editors(404, 301)),
    ],
    "GET /api/v1/auth/me/": [
        Probe("who am I", "/api/v1/auth/me/", cells(401, 200, 200, 200, 200, 200, 200),
              check=me_is_myself),
    ],
    "POST /api/v1/auth/logout/": [
        Probe("sign out", "/api/v1/auth/logout/", cells(401, 204, 204, 204, 204, 204, 204),
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
    # The browser frontend's sign-in reads the session cookie alone, whoever holds it.
    "GET /api/v1/auth/session/": [
        Probe("who is signed in", "/api/v1/auth/session/", everyone(200),
              check=session_is_mine, credentials="session"),
        Probe("with a bearer token", "/api/v1/auth/session/", everyone(200), check=no_session),
    ],
    "POST /api/v1/auth/session/": [
        Probe("sign in as alice", "/api/v1/auth/session/", everyone(200),
              body={"username": "alice", "password": PASSWORD}, check=signed_in_as_alice,
              credentials="session"),
        Probe("sign in as bob with alice's password", "/api/v1/auth/session/", everyone(400),
              body={"username": "bob", "password": "wrong-" + PASSWORD}, credentials="session"),
        Probe("sign in without the CSRF token", "/api/v1/auth/session/", everyone(403),
              body={"username": "alice", "password": PASSWORD}, credentials="session, no csrf"),
    ],
    "DELETE /api/v1/auth/session/": [
        Probe("sign out", "/api/v1/auth/session/", everyone(204), check=session_ended,
              credentials="session"),
        Probe("sign out without the CSRF token", "/api/v1/auth/session/", everyone(403),
              credentials="session, no csrf"),
    ],
    "GET /healthz": [Probe("alive", "/healthz", everyone(200))],
    "GET /readyz": [Probe("ready", "/readyz", everyone(200))],
}  # fmt: skip
# Served outside the schema's operations, read by the same identities.
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


def session_client_for(role: str, world, probe: Probe) -> APIClient:
    """A browser's client: held to CSRF, signed in with the session unless anonymous, with the
    CSRF cookie from GET /auth/session/ and, unless the probe leaves it out, its header."""
    client = APIClient(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(getattr(world, role))
    csrf = client.get("/api/v1/auth/session/").json()["csrf_token"]
    if probe.credentials == "session":
        client.credentials(HTTP_X_CSRFTOKEN=csrf)
    return client


def client_for(role: str, world, probe: Probe) -> APIClient:
    if probe.credentials != "bearer":
        return session_client_for(role, world, probe)
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
        for role in IDENTITIES:
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
            sent = path + json.dumps(body or {})
            # A redirect's Location is part of the answer; it must lead where its identity may
            # look, in one hop.
            text = response.content.decode() + response.get("Location", "")
            if response.status_code == 301 and client.get(response["Location"]).status_code != 200:
                self.problems.append(f"{where}: {response['Location']} is no 200 for them")
            hidden_from_them = set(UNPUBLISHED_MARKERS + WITHHELD_MARKERS) - may_see(role)
            leaked = sorted(m for m in hidden_from_them if m in text and m not in sent)
            if leaked:
                self.problems.append(f"{where} leaks {leaked}")
            if probe.check and 200 <= response.status_code < 300:
                self.problems.extend(f"{where}: {p}" for p in probe.check(role, response, world))


WALKED = {"requests": 0, "operations": 0}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if WALKED["requests"]:
        NUMBERS["authorization walk"] = (
            f"{WALKED['operations']} operations, {WALKED['requests']} requests as "
            f"{len(IDENTITIES)} identities, no leak"
        )


def test_every_operation_is_in_the_table():
    assert schema_operations() == set(TABLE)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(TABLE))
def test_each_identity_gets_what_the_table_says_and_nothing_leaks(operation, world, unthrottled):
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


# The identity that holds each role of articles/migrations/0002_roles.py: a new role fails here
# until the table gets its column.
ROLE_IDENTITY = {"Editors": "editor", "Moderators": "moderator"}


def test_every_role_is_an_identity_of_the_table():
    roles = importlib.import_module("articles.migrations.0002_roles").ROLES
    assert set(roles) == set(ROLE_IDENTITY)
    assert set(ROLE_IDENTITY.values()) <= set(IDENTITIES)


def test_every_probe_writes_down_every_identity():
    for probes in [*TABLE.values(), EXTRA]:
        for probe in probes:
            assert set(probe.expect) == set(IDENTITIES), probe.what
