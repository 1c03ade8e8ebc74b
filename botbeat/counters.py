"""Counters that one kind of write keeps, which every other save leaves alone."""

from django.db import models


def save_leaving(instance: models.Model, counters: tuple[str, ...], args, kwargs) -> None:
    """`instance.save(*args, **kwargs)`, except that saving a stored row without
    `update_fields` writes every field but `counters`.

    A counter moved by F() updates (Article.comment_count, Comment.reply_count: the comment
    services, under the article's row lock) must not be written back by a save of a copy read
    before, such as the admin's form save: that would lose the comments counted meanwhile.
    Persistence plumbing, not a rule: why it lives in save().
    """
    if kwargs.get("update_fields") is None and not instance._state.adding and instance.pk:
        kwargs["update_fields"] = [
            field.name
            for field in instance._meta.concrete_fields
            if not field.primary_key and field.name not in counters
        ]
    models.Model.save(instance, *args, **kwargs)
