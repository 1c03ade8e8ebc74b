"""The services the admin calls: publication, merges and moderation, on their own."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Article, ArticleTag, Status, Tag
from articles.services import article_publish, article_unpublish, tag_merge
from botbeat.services import Forbidden, Invalid
from comments.models import Comment
from comments.moderation import comments_hide, comments_restore, user_deactivate
from companies.models import Company
from companies.services import company_merge
from tests.factories import (
    ArticleFactory,
    CommentFactory,
    CompanyFactory,
    ModeratorFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def test_publish_a_draft_now():
    article = ArticleFactory(status=Status.DRAFT, published_at=NOW + dt.timedelta(days=9))

    published = article_publish(by=None, article=article)

    assert published.is_public
    assert NOW <= published.published_at <= timezone.now()


def test_publish_now_leaves_a_live_article_alone():
    article = ArticleFactory(published_at=NOW - dt.timedelta(days=9))
    before = Article.objects.values("published_at", "updated_at").get(pk=article.pk)

    article_publish(by=None, article=article)

    assert Article.objects.values("published_at", "updated_at").get(pk=article.pk) == before


def test_publish_at_a_future_time_schedules():
    article = ArticleFactory(status=Status.DRAFT)
    later = NOW + dt.timedelta(days=1)

    scheduled = article_publish(by=None, article=article, at=later)

    assert (scheduled.status, scheduled.published_at, scheduled.is_public) == (
        Status.PUBLISHED,
        later,
        False,
    )


def test_publish_refuses_a_naive_time():
    with pytest.raises(Invalid, match="time zone"):
        article_publish(by=None, article=ArticleFactory(), at=dt.datetime(2026, 1, 1))


def test_unpublish_keeps_the_planned_time_and_is_idempotent():
    article = ArticleFactory()
    planned = article.published_at

    article_unpublish(by=None, article=article)
    again = article_unpublish(by=None, article=article)

    assert (again.status, again.published_at) == (Status.DRAFT, planned)


def test_tag_merge_moves_links_and_drops_duplicates():
    source, target, other = TagFactory(), TagFactory(), TagFactory()
    both = ArticleFactory(tags=[source, target, other])
    only_source = ArticleFactory(tags=[source])
    untouched = ArticleFactory(tags=[other])
    Article.objects.update(updated_at=NOW - dt.timedelta(days=1))

    carried = tag_merge(by=None, source=source, target=target)

    assert carried == 2
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert set(both.tags.all()) == {target, other}
    assert list(only_source.tags.all()) == [target]
    assert ArticleTag.objects.filter(tag=target).count() == 2
    changed = set(Article.objects.filter(updated_at__gt=NOW).values_list("pk", flat=True))
    assert changed == {both.pk, only_source.pk}
    assert untouched.pk not in changed


def test_tag_merge_into_itself_is_refused():
    tag = TagFactory()

    with pytest.raises(Invalid):
        tag_merge(by=None, source=tag, target=tag)


def test_company_merge_moves_articles_and_keeps_the_targets_own_fields():
    target = CompanyFactory(name="OpenAI", description="", website_url="https://openai.com")
    source = CompanyFactory(
        name="Open AI", description="Makes GPT.", website_url="https://other.example"
    )
    articles = ArticleFactory.create_batch(3, company=source)

    moved = company_merge(by=None, source=source, target=target)

    assert moved == 3
    assert not Company.objects.filter(pk=source.pk).exists()
    assert set(target.articles.all()) == set(articles)
    target.refresh_from_db()
    assert (target.name, target.description, target.website_url) == (
        "OpenAI",
        "Makes GPT.",
        "https://openai.com",
    )


def test_comments_hide_and_restore_report_what_they_did():
    moderator = ModeratorFactory()
    visible, hidden = CommentFactory(), CommentFactory(status=Comment.Status.HIDDEN)
    removed = CommentFactory(status=Comment.Status.REMOVED)

    result = comments_hide(comments=[visible, hidden, removed], moderator=moderator)
    restored = comments_restore(comments=[visible, removed], moderator=moderator)

    assert ([c.pk for c in result.changed], result.unchanged, result.refused) == (
        [visible.pk],
        1,
        1,
    )
    assert ([c.pk for c in restored.changed], restored.refused) == ([visible.pk], 1)


def test_user_deactivate_is_for_moderators_and_never_oneself():
    moderator = StaffFactory(is_superuser=True)
    reader = UserFactory()

    with pytest.raises(Forbidden):
        user_deactivate(user=moderator, by=moderator)
    with pytest.raises(Forbidden):
        user_deactivate(user=reader, by=StaffFactory())  # staff, but no role
    reader.refresh_from_db()
    assert reader.is_active


def test_user_deactivate_again_hides_what_was_written_since():
    moderator = StaffFactory(is_superuser=True)
    reader = UserFactory()
    CommentFactory(author=reader)

    first = user_deactivate(user=reader, by=moderator)
    CommentFactory(author=reader)  # e.g. through a token issued before
    second = user_deactivate(user=reader, by=moderator)

    assert (first, second) == (1, 1)
    assert not Comment.objects.filter(author=reader, status=Comment.Status.VISIBLE).exists()
