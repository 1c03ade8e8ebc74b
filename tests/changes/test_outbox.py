"""Every write the public can see records its changes, whichever door it came through: the
services, the import, the admin's forms, deletes and actions, moderation. Each test starts from
an announced state (the outbox's), does one write, and checks what it recorded."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from articles.models import Article, Status, Tag
from articles.services import (
    article_publish,
    article_rename,
    article_tags_set,
    article_unpublish,
    article_upsert,
    tag_merge,
)
from changes.models import Announced, Change
from changes.outbox import touched
from changes.signals import changes_recorded
from comments.models import Comment
from comments.moderation import user_deactivate
from comments.services import (
    comment_create,
    comment_delete,
    comment_edit,
    comment_hide,
    comment_restore,
)
from companies.services import company_merge
from tests.admin.conftest import client_for
from tests.admin.test_articles import change_url, form_data
from tests.factories import (
    ArticleFactory,
    CompanyFactory,
    ModeratorFactory,
    NewsroomFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class Recorded:
    """The changes recorded since the last look."""

    def __init__(self):
        self.after = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def __call__(self) -> list[tuple[str, str]]:
        changes = list(Change.objects.filter(id__gt=self.after).order_by("id"))
        if changes:
            self.after = changes[-1].id
        return [(change.type, change.key) for change in changes]


@pytest.fixture
def recorded():
    return Recorded


def announced(article: Article) -> Article:
    """A published article, as the outbox announced it."""
    touched(articles=[article.pk])
    return article


@pytest.fixture
def setup(db):
    company = CompanyFactory(slug="acme")
    ai = TagFactory(slug="ai")
    article = announced(ArticleFactory(slug="story", company=company, tags=[ai]))
    return article


def test_publication_cascades_to_company_tags_and_comments(recorded):
    company = CompanyFactory(slug="acme")
    ai = TagFactory(slug="ai")
    article = ArticleFactory(slug="story", company=company, tags=[ai], status=Status.DRAFT)
    comment = Comment.objects.create(article=article, author=UserFactory(), body="Early")
    seen = recorded()

    article_publish(article=article, by=None)
    assert set(seen()) == {
        ("article.published", "story"),
        ("company.updated", "acme"),
        ("tag.updated", "ai"),
        ("comment.created", str(comment.pk)),
    }
    article_unpublish(article=article, by=None)
    assert set(seen()) == {
        ("article.removed", "story"),
        ("company.removed", "acme"),
        ("tag.removed", "ai"),
        ("comment.removed", str(comment.pk)),
    }
    article_unpublish(article=article, by=None)
    assert seen() == []  # nothing changed, nothing recorded


def test_scheduling_a_public_article_removes_it(setup, recorded):
    seen = recorded()
    article_publish(article=setup, by=None, at=timezone.now() + dt.timedelta(days=1))
    assert ("article.removed", "story") in seen()


def test_an_edit_while_public_is_an_update(setup, recorded):
    seen = recorded()
    data = {
        "slug": "story",
        "title": "New title",
        "company": {"slug": "acme", "name": "Acme"},
        "category": "research",
        "published_at": setup.published_at,
        "tags": [{"slug": "ai", "name": "AI"}],
    }
    article_upsert(data=data)
    assert seen() == [("article.updated", "story")]
    article_upsert(data=data)
    assert seen() == []  # the same line again changes nothing


def test_an_import_that_moves_the_publication_time_updates_the_company(setup, recorded):
    seen = recorded()
    data = {
        "slug": "story",
        "title": setup.title,
        "company": {"slug": "acme", "name": "Acme"},
        "category": "research",
        "published_at": setup.published_at - dt.timedelta(days=1),
        "tags": [{"slug": "ai", "name": "AI"}],
    }
    article_upsert(data=data)
    assert set(seen()) == {("article.updated", "story"), ("company.updated", "acme")}


def test_a_rename_drops_the_old_key_of_the_article_and_updates_its_comments(setup, recorded):
    comment = comment_create(article=setup, author=UserFactory(), body="Hi")
    seen = recorded()
    article_rename(article=setup, slug="renamed", by=None)
    assert seen() == [
        ("article.removed", "story"),
        ("article.updated", "renamed"),
        ("comment.updated", str(comment.pk)),  # it shows its article's slug
    ]


def test_tags_set(setup, recorded):
    policy = TagFactory(slug="policy")
    seen = recorded()
    article_tags_set(article=setup, tags=[policy])
    assert set(seen()) == {
        ("article.updated", "story"),
        ("tag.removed", "ai"),
        ("tag.updated", "policy"),
    }


def test_tag_merge(setup, recorded):
    target = TagFactory(slug="ml")
    seen = recorded()
    tag_merge(source=Tag.objects.get(slug="ai"), target=target, by=None)
    assert set(seen()) == {
        ("article.updated", "story"),
        ("tag.removed", "ai"),
        ("tag.updated", "ml"),
    }


def test_company_merge(setup, recorded):
    target = CompanyFactory(slug="globex")
    announced(ArticleFactory(company=target))
    seen = recorded()
    company_merge(source=setup.company, target=target, by=None)
    assert set(seen()) == {
        ("article.updated", "story"),
        ("company.removed", "acme"),
        ("company.updated", "globex"),
    }


def test_comments_through_their_services(setup, recorded):
    reader = UserFactory()
    moderator = ModeratorFactory()
    seen = recorded()
    top = comment_create(article=setup, author=reader, body="Top")
    assert seen() == [("article.updated", "story"), ("comment.created", str(top.pk))]
    reply = comment_create(article=setup, author=UserFactory(), body="Reply", parent=top)
    assert seen() == [
        ("article.updated", "story"),
        ("comment.updated", str(top.pk)),  # its reply_count
        ("comment.created", str(reply.pk)),
    ]
    comment_edit(comment=reply, editor=reply.author, body="Edited")
    assert seen() == [
        ("article.updated", "story"),
        ("comment.updated", str(top.pk)),
        ("comment.updated", str(reply.pk)),
    ]
    comment_hide(comment=top, moderator=moderator)  # it keeps its place above its reply
    assert ("comment.updated", str(top.pk)) in seen()
    comment_restore(comment=top, moderator=moderator)
    assert ("comment.updated", str(top.pk)) in seen()
    comment_delete(comment=reply, actor=reply.author)
    assert ("comment.removed", str(reply.pk)) in seen()
    user_deactivate(user=reader, by=moderator)
    assert ("comment.removed", str(top.pk)) in seen()


def test_the_signal_carries_the_saved_rows_inside_the_transaction(setup):
    got = []

    def receiver(sender, changes, **kwargs):
        from django.db import connection

        got.append(([change.pk for change in changes], connection.in_atomic_block))

    changes_recorded.connect(receiver)
    try:
        article_unpublish(article=setup, by=None)
    finally:
        changes_recorded.disconnect(receiver)
    [(ids, in_transaction)] = got
    assert ids == list(Change.objects.order_by("id").values_list("id", flat=True))[-len(ids) :]
    assert all(ids) and in_transaction


# The admin's doors


@pytest.fixture
def chief(db):
    return client_for(StaffFactory(username="chief", is_superuser=True))


def test_admin_change_form(setup, chief, recorded):
    seen = recorded()
    planned = timezone.localtime(setup.published_at)
    data = form_data(
        article=setup,
        company=setup.company,
        title="Edited in the admin",
        slug="story",
        status="published",
        published_at_0=planned.date().isoformat(),
        published_at_1=planned.time().isoformat(),
    )
    response = chief.post(change_url(setup), data)
    assert response.status_code == 302
    assert ("article.updated", "story") in seen()
    data["status"] = "draft"
    chief.post(change_url(setup), data)
    assert ("article.removed", "story") in seen()


def test_admin_delete_and_bulk_actions(setup, chief, recorded):
    other = announced(ArticleFactory(slug="other"))
    seen = recorded()
    chief.post(
        "/admin/articles/article/",
        {"action": "unpublish", "_selected_action": [setup.pk], "index": 0},
    )
    assert ("article.removed", "story") in seen()
    chief.post(
        "/admin/articles/article/",
        {"action": "publish_now", "_selected_action": [setup.pk], "index": 0},
    )
    assert ("article.published", "story") in seen()
    chief.post(f"/admin/articles/article/{other.pk}/delete/", {"post": "yes"})
    assert ("article.removed", "other") in seen()
    chief.post(
        "/admin/articles/article/",
        {"action": "delete_selected", "_selected_action": [setup.pk], "post": "yes"},
    )
    assert ("article.removed", "story") in seen()


def test_admin_tag_and_company_saves(setup, chief, recorded):
    seen = recorded()
    tag = Tag.objects.get(slug="ai")
    chief.post(
        f"/admin/articles/tag/{tag.pk}/change/", {"name": "Artificial", "slug": "artificial"}
    )
    assert set(seen()) == {
        ("tag.removed", "ai"),
        ("tag.updated", "artificial"),
        ("article.updated", "story"),  # it shows the tag's name and slug
    }
    company = setup.company
    response = chief.post(
        f"/admin/companies/company/{company.pk}/change/",
        {"name": "Acme Corp", "slug": "acme", "description": "", "website_url": "", "logo_url": ""},
    )
    assert response.status_code == 302
    assert set(seen()) == {("company.updated", "acme"), ("article.updated", "story")}
    chief.post(f"/admin/articles/tag/{tag.pk}/delete/", {"post": "yes"})
    assert set(seen()) == {("tag.removed", "artificial"), ("article.updated", "story")}


def test_admin_comment_moderation_and_deactivation(setup, recorded):
    moderator_client = client_for(ModeratorFactory())
    reader = UserFactory()
    comment = comment_create(article=setup, author=reader, body="Hello")
    seen = recorded()
    moderator_client.post(
        "/admin/comments/comment/",
        {"action": "hide", "_selected_action": [comment.pk], "index": 0},
    )
    assert ("comment.removed", str(comment.pk)) in seen()
    moderator_client.post(
        "/admin/comments/comment/",
        {"action": "restore", "_selected_action": [comment.pk], "index": 0},
    )
    assert ("comment.created", str(comment.pk)) in seen()
    moderator_client.post(
        "/admin/comments/comment/",
        {
            "action": "deactivate_authors",
            "_selected_action": [comment.pk],
            "index": 0,
            "apply": "yes",
        },
    )
    assert ("comment.removed", str(comment.pk)) in seen()


def test_a_readers_new_name_updates_their_comments(setup, chief, recorded):
    reader = UserFactory(username="reader")
    comment = comment_create(article=setup, author=reader, body="Hello")
    seen = recorded()
    page = chief.get(f"/admin/auth/user/{reader.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | tuple | dict)
    }
    data |= {
        "username": "renamed",
        "is_active": "on",
        "date_joined_0": timezone.localtime(reader.date_joined).date().isoformat(),
        "date_joined_1": timezone.localtime(reader.date_joined).time().isoformat(),
        "profile-TOTAL_FORMS": 1,
        "profile-INITIAL_FORMS": 0,
        "profile-MIN_NUM_FORMS": 0,
        "profile-MAX_NUM_FORMS": 1,
        "profile-0-display_name": "Reader R.",
    }
    data.pop("password", None)
    data.pop("last_login", None)
    response = chief.post(f"/admin/auth/user/{reader.pk}/change/", data)
    assert response.status_code == 302, json.dumps(
        response.context["adminform"].form.errors if response.context else {}
    )
    assert ("comment.updated", str(comment.pk)) in seen()


def test_the_announced_state_follows_the_public(setup):
    assert Announced.objects.filter(kind="article", object_id=setup.pk, key="story").exists()
    article_unpublish(article=setup, by=None)
    assert not Announced.objects.filter(kind="article", object_id=setup.pk).exists()
    assert not Announced.objects.filter(kind="company").exists()


def test_staff_roles_do_not_change_what_is_recorded(setup, recorded):
    seen = recorded()
    article_unpublish(article=setup, by=NewsroomFactory())
    assert ("article.removed", "story") in seen()
