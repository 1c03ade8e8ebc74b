"""A new password signs the account out everywhere else: every API token is revoked and every
other session ends, whichever door changed it (the admin's forms, `manage.py changepassword`,
`set_password()` and `save()` in code). The session that changed its own password stays in."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import auth_token_issue
from tests.factories import StaffFactory, UserFactory

ME = "/api/v1/auth/me/"
PASSWORD = "a-long-test-password"  # UserFactory's
NEW_PASSWORD = "another-long-password-77"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def session_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signed_in_to_api(client: Client) -> bool:
    response = client.get(ME)
    assert response.status_code in {200, 401}, response.content
    return response.status_code == 200


def signed_in_to_admin(client: Client) -> bool:
    response = client.get("/admin/")
    assert response.status_code in {200, 302}, response.status_code
    return response.status_code == 200


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def ada(db):
    """A staff account (the admin's own password form is for staff) with two API tokens and a
    session elsewhere, all valid before the change."""
    user = StaffFactory(username="ada")
    tokens = [auth_token_issue(user=user)[1] for _ in range(2)]
    other_session = session_for(user)
    assert all(bearer(token).get(ME).status_code == 200 for token in tokens)
    assert signed_in_to_api(other_session)
    return user, tokens, other_session


def assert_signed_out_everywhere_else(tokens, other_session):
    for token in tokens:
        response = bearer(token).get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
    assert not signed_in_to_api(other_session)
    assert not signed_in_to_admin(other_session)


@pytest.mark.django_db
def test_set_password_and_save_revoke_every_token_and_other_session(ada):
    user, tokens, other_session = ada
    bystander = UserFactory(username="bob")
    _, bystander_token = auth_token_issue(user=bystander)

    user = fresh(user)
    user.set_password(NEW_PASSWORD)
    user.save()

    assert_signed_out_everywhere_else(tokens, other_session)
    assert not AuthToken.objects.filter(user=user).exists()
    assert bearer(bystander_token).get(ME).status_code == 200


@pytest.mark.django_db
def test_changepassword_command_revokes_every_token(ada, monkeypatch):
    user, tokens, other_session = ada
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", "ada", stdout=None)

    assert fresh(user).check_password(NEW_PASSWORD)
    assert_signed_out_everywhere_else(tokens, other_session)


@pytest.mark.django_db
def test_admin_own_password_change_revokes_tokens_and_keeps_the_changers_session(ada):
    user, tokens, other_session = ada
    changer = session_for(user)

    response = changer.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert response["Location"] == "/admin/password_change/done/"
    assert fresh(user).check_password(NEW_PASSWORD)
    assert_signed_out_everywhere_else(tokens, other_session)
    # Django's update_session_auth_hash: whoever changed it stays signed in.
    assert signed_in_to_admin(changer)
    assert signed_in_to_api(changer)


@pytest.mark.django_db
def test_admin_setting_another_users_password_revokes_their_tokens_and_sessions(ada):
    user, tokens, other_session = ada
    chief = session_for(StaffFactory(username="chief", is_superuser=True))

    response = chief.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content
    assert fresh(user).check_password(NEW_PASSWORD)
    assert_signed_out_everywhere_else(tokens, other_session)
    assert signed_in_to_admin(chief)


@pytest.mark.django_db
def test_admin_disabling_password_sign_in_revokes_every_token(ada):
    user, tokens, other_session = ada
    chief = session_for(StaffFactory(username="chief", is_superuser=True))

    response = chief.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "false", "unset-password": "Disable password-based authentication"},
    )

    assert response.status_code == 302, response.content
    assert not fresh(user).has_usable_password()
    assert_signed_out_everywhere_else(tokens, other_session)


@pytest.mark.django_db
def test_saving_a_user_without_a_new_password_keeps_their_tokens(ada):
    user, tokens, other_session = ada

    user = fresh(user)
    user.first_name = "Ada"
    user.save()
    get_user_model().objects.get(pk=user.pk).save(update_fields=["last_login"])

    assert all(bearer(token).get(ME).status_code == 200 for token in tokens)
    assert signed_in_to_api(other_session)


@pytest.mark.django_db
def test_the_hashers_upgrade_at_sign_in_is_no_password_change(settings):
    """Django re-hashes a password at sign-in when the hasher's settings changed (every Django
    release raises PBKDF2's iterations): the same password, so the reader's tokens stay."""
    user = UserFactory(username="ada")  # hashed with MD5 (the tests' fast hasher)
    _, token = auth_token_issue(user=user)
    old_hash = fresh(user).password
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    signed_in = APIClient().post(
        "/api/v1/auth/token/", {"username": "ada", "password": PASSWORD}, format="json"
    )

    assert signed_in.status_code == 200
    assert fresh(user).password != old_hash
    assert fresh(user).password.startswith("pbkdf2_sha256$")
    assert bearer(token).get(ME).status_code == 200
