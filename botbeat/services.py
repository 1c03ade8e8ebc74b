"""What every app's services share: their error type, and the audit log they write.

A service refuses a write by raising a ServiceError; it knows nothing of HTTP or of the admin.
The API's exception handler (botbeat.errors) answers it as a problem document, with the status
its kind says; the admin shows its message; a command prints it.

A service that must be audited writes the entry itself, in its own transaction (STYLE.md):
who acted is a keyword argument, and callers (the API, the admin's forms and actions, the
import) log nothing themselves. The log is Django's admin log (LogEntry: who, when, what), which
the admin shows as each object's history.
"""

from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model


class ServiceError(Exception):
    """A write its rules refuse. `code` is machine-readable; the message is for people."""

    status = 400

    def __init__(self, message: str, *, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class Invalid(ServiceError):
    """The input breaks a rule (400), naming the field when one is at fault."""


class Forbidden(ServiceError):
    """Whoever asks may not do this (403)."""

    status = 403


class NotFound(ServiceError):
    """What it acts on does not exist for whoever asks (404)."""

    status = 404


def audit(
    *,
    by: AbstractBaseUser | None,
    objects: Iterable[Model],
    message: str,
    flag: int = CHANGE,
) -> None:
    """Record that `by` did `message` to each of `objects`, in the caller's transaction. With
    nobody to name (`by` None: a command run by the system), nothing is recorded."""
    objects = list(objects)
    if by is None or not objects:
        return
    LogEntry.objects.log_actions(
        user_id=by.pk, queryset=objects, action_flag=flag, change_message=message
    )


def merge_audit(*, by: AbstractBaseUser | None, source: Model, target: Model, carried: int) -> None:
    """Record a merge of the duplicate `source` into `target` (a tag, a company), before
    `source` is deleted: its deletion, and on `target` what it absorbed."""
    audit(by=by, objects=[source], message="", flag=DELETION)
    name = source._meta.verbose_name
    slug = getattr(source, "slug", source.pk)
    audit(
        by=by,
        objects=[target],
        message=f"Merged {name} “{source}” ({slug}) into this one: {carried} articles.",
    )
