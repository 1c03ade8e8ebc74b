"""Who may see or do more than the public: the one rule that the API, the admin and the
querysets all ask.

Roles are Django permissions, held through the "Editors" and "Moderators" groups
(articles/migrations/0002_roles.py) or granted one by one, and a superuser holds them all.
`is_staff` alone grants nothing: it only lets an account into the admin, where the same
permissions decide what it finds. A staff account with no role sees exactly what the public
sees, here and in the admin.

- Editors (`articles.change_article`) see drafts and scheduled articles, and the tags and
  companies that only those carry, on every path.
- Moderators (`comments.change_comment`) hide and restore comments, and see withheld comments
  (hidden or removed) with their body and author, on the articles they may see.

An inactive account holds no permission, so it is the public too; a superuser holds them all.
That is Django's ModelBackend's rule, which the admin asks through `has_perm`: here the two
permissions come in one query per request (cached on the user), where `has_perm` would take two
(the account's own permissions, then its groups').
"""

from typing import TYPE_CHECKING

from django.contrib.auth.models import Permission
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The permission each role is known by: the one the admin asks before it lets the role change
# what the API would show it.
EDITOR_PERMISSION = "articles.change_article"
MODERATOR_PERMISSION = "comments.change_comment"
ROLE_PERMISSIONS = frozenset({EDITOR_PERMISSION, MODERATOR_PERMISSION})

type Someone = "User | AnonymousUser | None"


def role_permissions(user: Someone) -> frozenset[str]:
    """Which of ROLE_PERMISSIONS `user` holds, by ModelBackend's rule (active accounts only; a
    superuser holds all), through a group or their own."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ROLE_PERMISSIONS
    held = getattr(user, "_botbeat_role_permissions", None)
    if held is None and hasattr(user, "_perm_cache"):
        # ModelBackend has loaded them all already (the admin asked has_perm): no query.
        held = ROLE_PERMISSIONS & user._perm_cache
    if held is None:
        wanted = Q()
        for name in ROLE_PERMISSIONS:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        rows = (
            Permission.objects.filter(wanted)
            .filter(Q(user=user) | Q(group__user=user))
            .values_list("content_type__app_label", "codename")
            .distinct()
        )
        held = frozenset(f"{app_label}.{codename}" for app_label, codename in rows)
        setattr(user, "_botbeat_role_permissions", held)  # noqa: B010 (not a field)
    return held


def sees_unpublished(user: Someone) -> bool:
    """Whether `user` sees drafts, scheduled articles and the tags and companies only they
    carry: Editors."""
    return EDITOR_PERMISSION in role_permissions(user)


def moderates(user: Someone) -> bool:
    """Whether `user` hides and restores comments and sees withheld ones: Moderators."""
    return MODERATOR_PERMISSION in role_permissions(user)


# Granted to the Moderators group: deactivating a reader from the moderation queue.
# auth.change_user would do too, but it lets its holder edit any account, staff included.
DEACTIVATE_PERMISSION = "comments.deactivate_commenter"


def may_deactivate(user: Someone) -> bool:
    """Whether `user` may deactivate readers: Moderators, and whoever administers users."""
    return user is not None and (
        user.has_perm(DEACTIVATE_PERMISSION) or user.has_perm("auth.change_user")
    )


def sees_more_than_public(user: Someone) -> bool:
    """Whether any answer to `user` may differ from the public's: an Editor or a Moderator.
    Everyone else (readers, staff without a role) gets the public's bytes."""
    return bool(role_permissions(user))
