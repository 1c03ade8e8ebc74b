"""The world the hardening tests attack: the demo articles plus everything that must never leak.

`build_world()` loads the seed page's seven articles and adds, with markers that must never show
up where they should not:
- a draft (of a company and with a tag that no published article has) and a scheduled article;
- two readers (alice, bob), carol (who signs out), and the staff: one with no role (`staff`),
  an Editor, a Moderator and a superuser, each with an API token: a fixed one (TOKENS), so that
  requests can be written before the world exists;
- old slugs (as renames and merges record them) of the seed article, a tag and a company, and
  of the draft, its tag and its company;
- on the seed article: visible comments and replies, a hidden comment without replies (gone for
  the public), a hidden comment with a visible reply (its place kept, its body and author null),
  a comment its author removed; and a comment on the draft.
"""

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS

from articles.models import Article, ArticleSlugRedirect, Status, Tag, TagSlugRedirect
from comments.models import Comment, CommentWord
from companies.models import CompanySlugRedirect
from tests.factories import (
    ArticleFactory,
    CompanyFactory,
    EditorFactory,
    ModeratorFactory,
    ProfileFactory,
    StaffFactory,
    TagFactory,
    ThreadedCommentFactory,
)

SEED_SLUG = (
    "openai-researchers-advance-ai-alignment-using-reinforcement-learning-for-persistently-"
    "beneficial-models"
)
# Markers: any of them in an answer to someone who may not see it is a leak.
DRAFT_SLUG = "zz-secret-draft-article"
DRAFT_TITLE = "SECRET-DRAFT-TITLE"
SCHEDULED_SLUG = "zz-secret-scheduled-article"
SCHEDULED_TITLE = "SECRET-SCHEDULED-TITLE"
HIDDEN_COMPANY_SLUG = "zz-stealth-company"
HIDDEN_TAG_SLUG = "zz-secret-tag"
HIDDEN_BODY = "SECRET-HIDDEN-BODY"
HIDDEN_WITH_REPLY_BODY = "SECRET-HIDDEN-PARENT-BODY"
REMOVED_BODY = "SECRET-REMOVED-BODY"
DRAFT_COMMENT_BODY = "SECRET-COMMENT-ON-DRAFT"
# Old slugs (botbeat.redirects): of the seed article, the tag generative-ai and OpenAI, which
# everyone follows; and of the draft, its tag and its company, which only Editors follow.
OLD_SEED_SLUG = "openai-researchers-advance-ai-alignment"
OLD_TAG_SLUG = "genai"
OLD_COMPANY_SLUG = "open-ai"
OLD_DRAFT_SLUG = "zz-old-draft-address"
OLD_HIDDEN_TAG_SLUG = "zz-old-secret-tag"
OLD_HIDDEN_COMPANY_SLUG = "zz-old-stealth-company"
# What only Editors (and superusers) may see: the unpublished articles and what they carry.
UNPUBLISHED_MARKERS = (
    DRAFT_SLUG,
    DRAFT_TITLE,
    SCHEDULED_SLUG,
    SCHEDULED_TITLE,
    HIDDEN_COMPANY_SLUG,
    HIDDEN_TAG_SLUG,
    DRAFT_COMMENT_BODY,
)
# What only Moderators (and superusers) may see: the withheld comments' bodies.
WITHHELD_MARKERS = (HIDDEN_BODY, HIDDEN_WITH_REPLY_BODY, REMOVED_BODY)
MARKERS = UNPUBLISHED_MARKERS + WITHHELD_MARKERS


# Each user's API token: knox's shape (64 hex characters), fixed so that a test can build its
# requests first (schemathesis generates them at collection).
TOKENS = {
    name: hashlib.sha256(f"botbeat-hardening-{name}".encode()).hexdigest()
    for name in ("alice", "bob", "staff", "editor", "moderator", "superuser", "carol")
}


def install_token(user, token: str) -> None:
    """Make `token` a valid API token of `user` (again, after a sign-out revoked it)."""
    AuthToken.objects.get_or_create(
        digest=hash_token(token),
        defaults={
            "token_key": token[: CONSTANTS.TOKEN_KEY_LENGTH],
            "user": user,
            "expiry": timezone.now() + dt.timedelta(days=1),
        },
    )


@dataclass
class World:
    seed: Article
    draft: Article
    scheduled: Article
    alice: object
    bob: object
    staff: object
    editor: object
    moderator: object
    superuser: object
    carol: object
    comments: dict[str, Comment] = field(default_factory=dict)


def build_world() -> World:
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    seed = Article.objects.get(slug=SEED_SLUG)
    stealth = CompanyFactory(slug=HIDDEN_COMPANY_SLUG, name="Stealth Company")
    secret_tag = TagFactory(slug=HIDDEN_TAG_SLUG, name="Secret Tag")
    draft = ArticleFactory(
        slug=DRAFT_SLUG,
        title=DRAFT_TITLE,
        summary=f"{DRAFT_TITLE} alignment reinforcement",
        company=stealth,
        status=Status.DRAFT,
        tags=[secret_tag],
    )
    scheduled = ArticleFactory(
        slug=SCHEDULED_SLUG,
        title=SCHEDULED_TITLE,
        summary=f"{SCHEDULED_TITLE} alignment reinforcement",
        company=seed.company,
        published_at=timezone.now() + dt.timedelta(days=30),
        tags=list(seed.tags.all()[:2]),
    )
    ArticleSlugRedirect.objects.create(old_slug=OLD_SEED_SLUG, target=seed)
    ArticleSlugRedirect.objects.create(old_slug=OLD_DRAFT_SLUG, target=draft)
    TagSlugRedirect.objects.create(
        old_slug=OLD_TAG_SLUG, target=Tag.objects.get(slug="generative-ai")
    )
    TagSlugRedirect.objects.create(old_slug=OLD_HIDDEN_TAG_SLUG, target=secret_tag)
    CompanySlugRedirect.objects.create(old_slug=OLD_COMPANY_SLUG, target=seed.company)
    CompanySlugRedirect.objects.create(old_slug=OLD_HIDDEN_COMPANY_SLUG, target=stealth)
    alice = ProfileFactory(user__username="alice", display_name="Alice A.").user
    bob = ProfileFactory(user__username="bob", display_name="Bob B.").user
    world = World(
        seed=seed,
        draft=draft,
        scheduled=scheduled,
        alice=alice,
        bob=bob,
        staff=StaffFactory(username="staff"),
        editor=EditorFactory(username="editor"),
        moderator=ModeratorFactory(username="moderator"),
        superuser=StaffFactory(username="superuser", is_superuser=True),
        carol=ProfileFactory(user__username="carol").user,
    )
    for name in TOKENS:
        install_token(getattr(world, name), TOKENS[name])

    c = world.comments
    c["alice_top"] = ThreadedCommentFactory(article=seed, author=alice, body="Alice's take.")
    c["bob_reply"] = ThreadedCommentFactory(parent=c["alice_top"], author=bob, body="Bob agrees.")
    c["bob_top"] = ThreadedCommentFactory(article=seed, author=bob, body="Bob's own thread.")
    c["hidden"] = ThreadedCommentFactory(
        article=seed, author=bob, body=HIDDEN_BODY, status=Comment.Status.HIDDEN
    )
    c["hidden_parent"] = ThreadedCommentFactory(
        article=seed, author=bob, body=HIDDEN_WITH_REPLY_BODY, status=Comment.Status.HIDDEN
    )
    c["reply_to_hidden"] = ThreadedCommentFactory(
        parent=c["hidden_parent"], author=alice, body="A reply that keeps its parent's place."
    )
    c["removed"] = ThreadedCommentFactory(
        article=seed, author=alice, body=REMOVED_BODY, status=Comment.Status.REMOVED
    )
    c["on_draft"] = ThreadedCommentFactory(article=draft, author=bob, body=DRAFT_COMMENT_BODY)
    # The word lists: one entry each, that no probe writes (the admin's pages have a row).
    CommentWord.objects.create(word="zzbannedword", kind=CommentWord.Kind.BANNED)
    CommentWord.objects.create(word="zzsuspectword", kind=CommentWord.Kind.SUSPECT)
    return world


def table_counts() -> dict[str, int]:
    """Rows in every table of the project's models: to show that a request wrote nothing."""
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in counts or not model._meta.managed:
                continue
            if model._meta.app_label == "axes":
                continue  # failed sign-ins are recorded on purpose (accounts/lockout.py)
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # the names are Django's
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def world(db, fast_password_hasher, empty_cache) -> World:
    return build_world()


@pytest.fixture
def unthrottled(settings):
    """Rates no test run reaches: a fuzzer's hundreds of requests are not an attack here."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            scope: "100000/minute" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        },
    }
    settings.AXES_FAILURE_LIMIT = 100000  # the sign-in lockout, likewise


# The numbers the hardening tests report (operations fuzzed, cases, corpus requests, faults):
# each module fills its line, and pytest prints them after the run (tests/conftest.py, which
# also gathers them from pytest-xdist's workers).
NUMBERS: dict[str, str] = {}


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: hand them to the controller
        workeroutput["hardening"] = dict(NUMBERS)
