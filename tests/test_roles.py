"""botbeat.roles: the one rule for who sees and does more than the public, which must agree
with Django's own (`has_perm`, which the admin asks) for every kind of account."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from botbeat import roles
from tests.factories import (
    EditorFactory,
    ModeratorFactory,
    NewsroomFactory,
    StaffFactory,
    UserFactory,
)


def accounts():
    editor_perm = Permission.objects.get(codename="change_article")
    granted = UserFactory(username="granted")
    granted.user_permissions.add(editor_perm)  # a role held without its group
    return {
        "reader": UserFactory(username="plain"),
        "staff without a role": StaffFactory(),
        "editor": EditorFactory(),
        "moderator": ModeratorFactory(),
        "both": NewsroomFactory(),
        "superuser": StaffFactory(is_superuser=True),
        "inactive superuser": StaffFactory(is_superuser=True, is_active=False),
        "inactive editor": EditorFactory(is_active=False),
        "granted by hand": granted,
    }


@pytest.mark.django_db
def test_the_roles_agree_with_has_perm_for_every_kind_of_account():
    for name, user in accounts().items():
        fresh = type(user).objects.get(pk=user.pk)
        assert roles.sees_unpublished(fresh) == user.has_perm(roles.EDITOR_PERMISSION), name
        assert roles.moderates(fresh) == user.has_perm(roles.MODERATOR_PERMISSION), name


@pytest.mark.django_db
def test_who_sees_more_than_the_public():
    got = {name: roles.sees_more_than_public(user) for name, user in accounts().items()}

    assert got == {
        "reader": False,
        "staff without a role": False,
        "editor": True,
        "moderator": True,
        "both": True,
        "superuser": True,
        "inactive superuser": False,
        "inactive editor": False,
        "granted by hand": True,
    }
    assert not roles.sees_more_than_public(AnonymousUser())
    assert not roles.sees_more_than_public(None)


@pytest.mark.django_db
def test_one_query_tells_both_roles(django_assert_num_queries):
    user = type(EditorFactory()).objects.get(username__startswith="editor")
    with django_assert_num_queries(1):
        assert roles.sees_unpublished(user)
        assert not roles.moderates(user)
        assert roles.sees_more_than_public(user)
