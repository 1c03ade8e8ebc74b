"""changes.tasks: scheduled publication, the periodic catch-up and pruning, on django.tasks."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.tasks import default_task_backend
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Status
from articles.services import article_publish, article_unpublish
from changes.models import Change, Pruned
from changes.outbox import touched
from changes.tasks import catch_up, maintain, prune, publish_due
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


def types() -> list[str]:
    return list(Change.objects.order_by("id").values_list("type", flat=True))


@override_settings(TASKS=DUMMY)
def test_scheduling_enqueues_the_publication_for_its_time(django_capture_on_commit_callbacks):
    default_task_backend.clear()
    article = ArticleFactory(status=Status.DRAFT)
    at = timezone.now() + dt.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        article_publish(article=article, by=None, at=at)
    [result] = default_task_backend.results
    assert result.task.name == "publish_due"
    assert result.task.run_after == at
    assert result.kwargs["article_id"] == article.pk
    assert types() == []  # nothing public yet


def test_publish_due_announces_once_and_only_when_public(monkeypatch):
    at = timezone.now() + dt.timedelta(hours=2)
    article = ArticleFactory(published_at=at)
    assert publish_due.call(article_id=article.pk) is False  # not yet
    later = at + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert publish_due.call(article_id=article.pk) is True
    assert types() == ["article.published", "company.updated"]
    assert publish_due.call(article_id=article.pk) is False  # twice: nothing twice
    assert types() == ["article.published", "company.updated"]


def test_publish_due_of_an_article_unpublished_meanwhile_records_nothing(monkeypatch):
    at = timezone.now() + dt.timedelta(hours=1)
    article = ArticleFactory(published_at=at)
    article_unpublish(article=article, by=None)
    monkeypatch.setattr(timezone, "now", lambda: at + dt.timedelta(hours=1))
    assert publish_due.call(article_id=article.pk) is False
    assert types() == []


def test_the_database_backend_keeps_the_task_with_its_time(django_capture_on_commit_callbacks):
    article = ArticleFactory(status=Status.DRAFT)
    at = timezone.now() + dt.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        article_publish(article=article, by=None, at=at)
    row = DBTaskResult.objects.get(task_path="changes.tasks.publish_due")
    assert row.run_after == at and row.status == "READY"


def test_catch_up_announces_what_no_change_announced():
    ArticleFactory.create_batch(3)  # around the outbox, as data from before it
    ArticleFactory(status=Status.DRAFT)
    assert catch_up() == 3
    assert types().count("article.published") == 3
    assert catch_up() == 0


def test_prune_keeps_the_retention(settings):
    settings.CHANGES_RETENTION_DAYS = 10
    article = ArticleFactory()
    touched(articles=[article.pk])
    old = list(Change.objects.values_list("id", flat=True))
    Change.objects.update(at=timezone.now() - dt.timedelta(days=11))
    article_unpublish(article=article, by=None)
    assert prune() == len(old)
    assert not Change.objects.filter(id__in=old).exists()
    assert Change.objects.exists()
    assert Pruned.objects.get().through_id == max(old)
    assert prune() == 0


def test_maintain_comes_back_later_once():
    DBTaskResult.objects.all().delete()
    result = maintain.call()
    assert result == {"announced": 0, "pruned": 0}
    [waiting] = DBTaskResult.objects.filter(task_path="changes.tasks.maintain")
    assert waiting.run_after > timezone.now()
    maintain.call()  # another run finds one waiting: no second chain
    assert DBTaskResult.objects.filter(task_path="changes.tasks.maintain").count() == 1


def test_the_command_starts_the_chain_once_or_runs_a_pass(capsys):
    DBTaskResult.objects.all().delete()
    call_command("changes_maintain")
    call_command("changes_maintain")
    assert DBTaskResult.objects.filter(task_path="changes.tasks.maintain").count() == 1
    ArticleFactory()
    call_command("changes_maintain", "--now")
    assert "Announced 1 articles" in capsys.readouterr().out
