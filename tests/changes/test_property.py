"""The change feed's property (issue 13): a client that applies the feed page by page to an
empty store ends with exactly the public collection, whatever the writes were.

Random sequences (fixed seeds: the same sequence every run, a failure names its seed) of
imports (creates and edits), publications, schedules with the clock moving and the scheduled
task running, unpublications, renames, tag changes, tag and company merges, admin saves and
deletions, comments, edits, deletions and moderation (a reader's deactivation too), likes,
flags past the threshold, pre-moderated comments and their approval, through
the services and the admin's own methods. The mirror reads the feed between the writes, with
small pages, and at the end its store must equal every public GET."""

import datetime as dt
import random

import pytest
from django.contrib import admin
from django.test import override_settings
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
from changes.models import Change
from changes.tasks import catch_up
from comments.models import Comment
from comments.moderation import user_deactivate
from comments.services import (
    comment_approve,
    comment_create,
    comment_delete,
    comment_edit,
    comment_flag,
    comment_hide,
    comment_like,
    comment_restore,
    comment_unlike,
)
from companies.models import Company
from companies.services import company_merge
from tests.changes.mirror import Mirror, public_collection
from tests.factories import NewsroomFactory, UserFactory

pytestmark = pytest.mark.django_db

SEEDS = [1, 2, 3, 4, 5, 6, 7, 8]
STEPS = 45
DUMMY_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "webhooks"],
    }
}


class Clock:
    """timezone.now(), moved by the test: scheduled articles come due."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, hours: float) -> None:
        self.now += dt.timedelta(hours=hours)


class World:
    def __init__(self, rng: random.Random, clock: Clock, capture):
        self.rng = rng
        self.clock = clock
        self.capture = capture
        self.editor = NewsroomFactory()
        self.readers = [UserFactory() for _ in range(4)]
        self.serial = 0

    # helpers

    def pick(self, queryset):
        items = list(queryset)
        return self.rng.choice(items) if items else None

    def name(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def line(self, slug: str) -> dict:
        rng = self.rng
        company = rng.choice(["acme", "globex", "initech", "umbrella"])
        tags = rng.sample(["ai", "ml", "policy", "chips", "safety"], rng.randint(0, 3))
        status = rng.choice([Status.PUBLISHED, Status.PUBLISHED, Status.DRAFT])
        when = self.clock.now + dt.timedelta(hours=rng.choice([-30, -2, -1, 1, 2]))
        return {
            "slug": slug,
            "title": f"Title {self.name('t')}",
            "company": {"slug": company, "name": company.title()},
            "category": rng.choice(["research", "funding"]),
            "status": status,
            "published_at": when,
            "summary": f"Summary {self.name('s')}",
            "takeaways": [f"Point {self.name('p')}"],
            "tags": [{"slug": tag, "name": tag.upper()} for tag in tags],
        }

    def tick(self) -> None:
        """Time passes; the worker runs the tasks that came due (django.tasks' DummyBackend
        keeps what was enqueued)."""
        from django.tasks import default_task_backend

        self.clock.advance(self.rng.choice([0.5, 1, 2]))
        due = [
            result
            for result in default_task_backend.results
            if result.task.run_after is None or result.task.run_after <= self.clock.now
        ]
        for result in due:
            default_task_backend.results.remove(result)
        for result in due:
            with self.capture(execute=True):
                result.task.call(*result.args, **result.kwargs)

    # operations

    def op_import_new(self):
        article_upsert(data=self.line(self.name("article")))

    def op_import_edit(self):
        article = self.pick(Article.objects.all())
        if article:
            data = self.line(article.slug)
            data["published_at"] = article.published_at  # an edit, at its time
            article_upsert(data=data)

    def op_publish_now(self):
        article = self.pick(Article.objects.all())
        if article:
            article_publish(article=article, by=self.editor)

    def op_schedule(self):
        article = self.pick(Article.objects.all())
        if article:
            at = self.clock.now + dt.timedelta(hours=self.rng.choice([0.5, 1, 3]))
            article_publish(article=article, by=self.editor, at=at)

    def op_unpublish(self):
        article = self.pick(Article.objects.all())
        if article:
            article_unpublish(article=article, by=self.editor)

    def op_rename(self):
        article = self.pick(Article.objects.all())
        if article:
            article_rename(article=article, slug=self.name("renamed"), by=self.editor)

    def op_tags_set(self):
        article = self.pick(Article.objects.all())
        tags = list(Tag.objects.all())
        if article and tags:
            chosen = self.rng.sample(tags, self.rng.randint(0, min(3, len(tags))))
            article_tags_set(article=article, tags=chosen)

    def op_tag_merge(self):
        tags = list(Tag.objects.all())
        if len(tags) >= 3:
            source, target = self.rng.sample(tags, 2)
            tag_merge(source=source, target=target, by=self.editor)

    def op_company_merge(self):
        companies = list(Company.objects.all())
        if len(companies) >= 3:
            source, target = self.rng.sample(companies, 2)
            company_merge(source=source, target=target, by=self.editor)

    def op_admin_rename_tag(self):
        tag = self.pick(Tag.objects.all())
        if tag:
            tag.name = f"Tag {self.name('n')}"
            if self.rng.random() < 0.5:
                tag.slug = self.name("tag")
            admin.site.get_model_admin(Tag).save_model(None, tag, None, True)

    def op_admin_edit_company(self):
        company = self.pick(Company.objects.all())
        if company:
            company.name = f"Company {self.name('n')}"
            company.logo_url = f"https://example.com/{self.name('logo')}.png"
            if self.rng.random() < 0.3:
                company.slug = self.name("company")
            admin.site.get_model_admin(Company).save_model(None, company, None, True)

    def op_admin_delete_article(self):
        article = self.pick(Article.objects.all())
        if article and self.rng.random() < 0.5:
            admin.site.get_model_admin(Article).delete_model(None, article)

    def op_admin_delete_tag(self):
        tag = self.pick(Tag.objects.all())
        if tag and self.rng.random() < 0.3:
            admin.site.get_model_admin(Tag).delete_model(None, tag)

    def op_comment(self):
        article = self.pick(Article.objects.published())
        if article:
            parent = self.pick(
                Comment.objects.filter(article=article, status=Comment.Status.VISIBLE)
            )
            comment_create(
                article=article,
                author=self.rng.choice(self.readers),
                body=f"Comment {self.name('c')}",
                parent=parent if self.rng.random() < 0.6 else None,
            )

    def op_comment_edit(self):
        comment = self.pick(Comment.objects.filter(status=Comment.Status.VISIBLE))
        if comment:
            comment_edit(comment=comment, editor=comment.author, body=f"Edited {self.name('e')}")

    def op_comment_delete(self):
        comment = self.pick(Comment.objects.all())
        if comment:
            comment_delete(comment=comment, actor=comment.author)

    def op_comment_hide(self):
        comment = self.pick(Comment.objects.exclude(status=Comment.Status.REMOVED))
        if comment:
            comment_hide(comment=comment, moderator=self.editor)

    def op_comment_restore(self):
        comment = self.pick(Comment.objects.filter(status=Comment.Status.HIDDEN))
        if comment:
            comment_restore(comment=comment, moderator=self.editor)

    def other_reader(self, comment):
        others = [reader for reader in self.readers if reader.pk != comment.author_id]
        return self.rng.choice(others)

    def public_comments(self):
        """Comments of published articles: likes and flags are for what the public sees."""
        return Comment.objects.filter(article__in=Article.objects.published())

    def op_comment_like(self):
        comment = self.pick(self.public_comments().filter(status=Comment.Status.VISIBLE))
        if comment:
            comment_like(comment=comment, user=self.other_reader(comment))

    def op_comment_unlike(self):
        comment = self.pick(self.public_comments().filter(like_count__gt=0))
        if comment:
            liker = comment.likes.order_by("pk").first().user
            comment_unlike(comment=comment, user=liker)

    def op_comment_flag(self):
        comment = self.pick(self.public_comments().filter(status=Comment.Status.VISIBLE))
        if comment:
            with override_settings(COMMENT_FLAG_THRESHOLD=2):
                comment_flag(comment=comment, user=self.other_reader(comment), reason="spam")

    def op_comment_pending(self):
        article = self.pick(Article.objects.published())
        if article:
            with override_settings(COMMENT_PREMODERATION=1000):
                comment_create(
                    article=article,
                    author=self.rng.choice(self.readers),
                    body=f"Pending {self.name('p')}",
                )

    def op_comment_approve(self):
        waiting = [Comment.Status.PENDING, Comment.Status.PENDING_REVIEW]
        comment = self.pick(Comment.objects.filter(status__in=waiting))
        if comment:
            comment_approve(comment=comment, moderator=self.editor)

    def op_deactivate(self):
        if self.rng.random() < 0.3:
            user_deactivate(user=self.rng.choice(self.readers), by=self.editor)

    def op_tick(self):
        self.tick()


OPERATIONS = [name for name in dir(World) if name.startswith("op_")]
# Creation weighs more, so that the collection grows.
WEIGHTS = {"op_import_new": 4, "op_comment": 4, "op_tick": 3, "op_schedule": 2}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_mirror_ends_with_exactly_the_public_collection(
    seed, api, monkeypatch, django_capture_on_commit_callbacks
):
    rng = random.Random(seed)
    with override_settings(TASKS=DUMMY_TASKS):
        clock = Clock(monkeypatch)
        world = World(rng, clock, django_capture_on_commit_callbacks)
        mirror = Mirror(api, page_size=rng.choice([1, 2, 3, 5]))
        ops = rng.choices(OPERATIONS, weights=[WEIGHTS.get(op, 1) for op in OPERATIONS], k=STEPS)
        done = []
        for op in ops:
            with django_capture_on_commit_callbacks(execute=True):
                getattr(world, op)()
            done.append(op)
            if rng.random() < 0.3:
                mirror.sync()
        # The scheduled articles still to come: their time comes, their tasks run.
        for _ in range(4):
            clock.advance(2)
            world.tick()
        mirror.sync()

        assert catch_up() == 0, "an article went public that no change announced"
        expected = public_collection(api)
        assert set(mirror.store) == set(expected), (seed, done)
        for key, data in expected.items():
            assert mirror.store[key] == data, (seed, key, done)
        assert len(mirror.seen) == Change.objects.count()  # none missed, none twice
        assert mirror.sync() == 0
