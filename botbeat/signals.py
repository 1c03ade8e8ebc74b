"""Purge the cached answers a write changed, and nothing else (botbeat.cache, botbeat.purge).

Signals only invalidate (STYLE.md): each save or delete of a model the public API shows purges
the keys of the answers that show that row, after commit. Writes that bypass signals
(QuerySet.update(), bulk_create) call `botbeat.purge.purge(...)` themselves.

What is purged, and why:
- an article: its own key (its detail, its thread, and every list and panel that shows it) and
  `feed` (a publication, an unpublication or a change of date, company, category or text can
  change which articles any list holds, and every count);
- its takeaways: the article's key; its tag links: the article's key and `feed` (tag counts);
- a tag or a company: its key (every article showing it carries it), and `feed` when deleted;
- a comment: its article's key (the thread, the comment count in the detail and in every list);
- a reader's name (username, display name, deactivation): the keys of the articles they
  commented on. A sign-in (`last_login`), a password change, a token: nothing the public sees.
Role changes (groups, permissions, staff and superuser flags) also reset the classes of the
credentials the response cache remembers (botbeat.cache.bump_auth_generation).
"""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from botbeat.cache import (
    FEED_KEY,
    article_key,
    bump_auth_generation,
    company_key,
    tag_key,
)
from botbeat.purge import purge, purge_everything
from comments.models import Comment

# The fields of auth.User that no public answer shows: saving only those purges nothing.
PRIVATE_USER_FIELDS = frozenset({"last_login", "password"})
ROLE_FIELDS = ("is_staff", "is_superuser", "is_active")


def _article(sender, instance, **kwargs):
    purge(article_key(instance.pk), FEED_KEY)
    if instance.is_scheduled:
        # The caches know the earliest scheduled publication (botbeat.cache: a new generation
        # reads it), and keep what they store until then: one sooner than that must start a
        # new generation, or what it changes would stay cached past its time. Scheduling is
        # an editor's act, a few a day: dropping everything then costs little.
        purge_everything()


def _article_part(sender, instance, **kwargs):
    purge(article_key(instance.article_id))


def _article_tag(sender, instance, **kwargs):
    purge(article_key(instance.article_id), tag_key(instance.tag_id), FEED_KEY)


def _article_tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # tag.articles.add(...): `instance` is the tag
        purge(tag_key(instance.pk), FEED_KEY, *(article_key(pk) for pk in pk_set or ()))
    else:
        purge(article_key(instance.pk), FEED_KEY, *(tag_key(pk) for pk in pk_set or ()))


def _tag(sender, instance, created=False, **kwargs):
    purge(tag_key(instance.pk), *([FEED_KEY] if kwargs.get("signal") is post_delete else []))


def _company(sender, instance, **kwargs):
    purge(company_key(instance.pk), *([FEED_KEY] if kwargs.get("signal") is post_delete else []))


def _comment(sender, instance, **kwargs):
    purge(article_key(instance.article_id))


def purge_articles_commented_by(user_id: int) -> None:
    article_ids = (
        Comment.objects.filter(author_id=user_id).values_list("article_id", flat=True).distinct()
    )
    purge(*(article_key(pk) for pk in article_ids))


def _user_before_save(sender, instance, update_fields=None, **kwargs):
    """Note, before the save, whether it changes what the public sees or someone's roles."""
    instance._botbeat_shown = instance._botbeat_roles = False
    if update_fields is not None and set(update_fields) <= PRIVATE_USER_FIELDS:
        return
    if instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values("username", *ROLE_FIELDS).first() or {}
    instance._botbeat_shown = (
        before.get("username") != instance.username or before.get("is_active") != instance.is_active
    )
    instance._botbeat_roles = any(before.get(f) != getattr(instance, f) for f in ROLE_FIELDS)


def _user(sender, instance, **kwargs):
    if kwargs.get("signal") is post_delete:
        transaction.on_commit(bump_auth_generation)
        return  # their comments go with them, each purging its article
    if getattr(instance, "_botbeat_shown", False):
        purge_articles_commented_by(instance.pk)
    if getattr(instance, "_botbeat_roles", False):
        transaction.on_commit(bump_auth_generation)


def _profile(sender, instance, **kwargs):
    purge_articles_commented_by(instance.user_id)


def _roles_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        transaction.on_commit(bump_auth_generation)


def _group_deleted(sender, **kwargs):
    transaction.on_commit(bump_auth_generation)


def connect() -> None:
    def on_write(label: str, receiver) -> None:
        model = apps.get_model(label)
        uid = f"botbeat-purge-{label}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}-delete")

    on_write("articles.Article", _article)
    on_write("articles.Takeaway", _article_part)
    on_write("articles.ArticleTag", _article_tag)
    on_write("articles.Tag", _tag)
    on_write("companies.Company", _company)
    on_write("comments.Comment", _comment)
    on_write("auth.User", _user)
    on_write("accounts.Profile", _profile)
    user = apps.get_model("auth.User")
    pre_save.connect(_user_before_save, sender=user, dispatch_uid="botbeat-purge-user-before")
    m2m_changed.connect(
        _article_tags_changed,
        sender=apps.get_model("articles.Article").tags.through,
        dispatch_uid="botbeat-purge-article-tags",
    )
    for through in (
        user.groups.through,
        user.user_permissions.through,
        apps.get_model("auth.Group").permissions.through,
    ):
        m2m_changed.connect(_roles_changed, sender=through, dispatch_uid=f"botbeat-roles-{through}")
    post_delete.connect(
        _group_deleted, sender=apps.get_model("auth.Group"), dispatch_uid="botbeat-roles-group"
    )
