"""factory_boy factories shared by every test module."""

import datetime as dt
import importlib

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Profile
from articles.models import Article, Category, Status, Tag, Takeaway
from articles.services import article_refresh_search_vector, tag_counts_refresh
from comments.models import Comment, thread_place
from comments.services import comment_counts_refresh
from companies.models import Company
from companies.services import company_counts_refresh


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"reader{n}")
    password = factory.django.Password("a-long-test-password")


class StaffFactory(UserFactory):
    """A staff account with no role: it may sign in to the admin, and sees what the public
    sees (botbeat.roles)."""

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


def role_groups() -> dict[str, Group]:
    """The Editors and Moderators groups as their migration makes them. Made again here: a
    transactional test (live_server) empties every table when it ends, migrations' data too."""
    roles = importlib.import_module("articles.migrations.0002_roles")
    if Group.objects.filter(name__in=roles.ROLES).count() < len(roles.ROLES):
        roles.roles_sync(apps, None)
    return {name: Group.objects.get(name=name) for name in roles.ROLES}


def in_groups(*names: str):
    """A post-generation declaration that adds the account to these role groups."""

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        if create:
            found = role_groups()
            user.groups.add(*(found[name] for name in names))

    return groups


class EditorFactory(StaffFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"editor{n}")
    groups = in_groups("Editors")


class ModeratorFactory(StaffFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"moderator{n}")
    groups = in_groups("Moderators")


class NewsroomFactory(StaffFactory):
    """Staff with both roles: an Editor who also moderates."""

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"newsroom{n}")
    groups = in_groups("Editors", "Moderators")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article, an hour old unless told otherwise; `tags=[...]` links tags, in
    that order (the editors')."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.Sequence(lambda n: f"Article number {n}")
    company = factory.SubFactory(CompanyFactory)
    category = Category.RESEARCH
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    summary = factory.Sequence(lambda n: f"Summary of article {n}.")
    editorial_opinion = "An opinion."
    source_name = "Hacker News"
    source_url = "https://example.com/story"

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            for position, tag in enumerate(extracted):
                self.tags.add(tag, through_defaults={"position": position})

    @factory.post_generation
    def takeaways(self, create, extracted, **kwargs):
        if create and extracted:
            Takeaway.objects.bulk_create(
                Takeaway(article=self, position=i, text=text) for i, text in enumerate(extracted)
            )

    @factory.post_generation
    def published_counts(self, create, extracted, **kwargs):
        # What the write paths do: the article's tags and company recounted.
        if create:
            tag_counts_refresh(tag_ids=self.article_tags.values_list("tag_id", flat=True))
            company_counts_refresh(company_ids=[self.company_id])

    @factory.post_generation
    def search_vector(self, create, extracted, **kwargs):
        # Last, after takeaways: what the write paths do (a no-op on SQLite).
        if create:
            article_refresh_search_vector(article_ids=[self.pk])


class CommentFactory(factory.django.DjangoModelFactory):
    """A comment written around the services: the counts they keep (the article's
    comment_count, the reply_count above it) are recounted after it."""

    class Meta:
        model = Comment

    article = factory.SubFactory(ArticleFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"Comment {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        comment = cls._place(super()._create(model_class, *args, **kwargs), kwargs)
        comment_counts_refresh(article_ids=[comment.article_id])
        comment.refresh_from_db(fields=["reply_count"])
        return comment

    @classmethod
    def _place(cls, comment, kwargs):
        return comment


class ProfileFactory(factory.django.DjangoModelFactory):
    """A reader's profile; `user__username=...` names the reader."""

    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Reader {n}")


class ThreadedCommentFactory(CommentFactory):
    """A comment placed in its thread as comment_create places it (`depth`, `path`, `thread`);
    `parent=` makes a reply, on the parent's article. No rule is checked: a test can build
    any thread, then withhold comments by setting `status`."""

    article = factory.LazyAttribute(lambda o: o.parent.article if o.parent else ArticleFactory())
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        parent = kwargs.get("parent")
        kwargs["depth"] = parent.depth + 1 if parent else 0
        return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _place(cls, comment, kwargs):
        comment.path, comment.thread = thread_place(pk=comment.pk, parent=kwargs.get("parent"))
        comment.save(update_fields=["path", "thread"])
        return comment
