import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from accounts.models import Profile
from tests.factories import UserFactory

User = get_user_model()
REGISTER = "/api/v1/auth/register/"
PASSWORD = "correct-horse-battery"


def error_fields(response) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


@pytest.mark.django_db
def test_register_creates_a_reader_with_a_profile(api):
    response = api.post(
        REGISTER,
        {"username": "ada", "password": PASSWORD, "display_name": "Ada L."},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "username": "ada",
        "display_name": "Ada L.",
        "is_staff": False,
        "date_joined": body["date_joined"],
    }
    user = User.objects.get(username="ada")
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD
    assert not user.is_staff
    assert user.profile.display_name == "Ada L."
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_register_without_display_name_shows_the_username(api):
    response = api.post(REGISTER, {"username": "grace", "password": PASSWORD}, format="json")

    assert response.status_code == 201
    assert response.json()["display_name"] == "grace"
    assert Profile.objects.get(user__username="grace").display_name == ""


@pytest.mark.django_db
@pytest.mark.parametrize("taken", ["Alice", "ALICE", "alice"])
def test_register_refuses_a_username_taken_in_any_case(api, taken):
    UserFactory(username="alice")

    response = api.post(REGISTER, {"username": taken, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {("username", "unique")}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_usernames_differing_only_in_case():
    UserFactory(username="alice")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ALICE")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "password_too_short"),
        ("password123", "password_too_common"),
        ("84736251908", "password_entirely_numeric"),
        ("margaret-hamilton", "password_too_similar"),
    ],
)
def test_register_applies_the_password_validators(api, password, code):
    response = api.post(
        REGISTER, {"username": "margaret-hamilton", "password": password}, format="json"
    )

    assert response.status_code == 400
    assert ("password", code) in error_fields(response)
    assert response["Content-Type"] == "application/problem+json"
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"password": PASSWORD}, "username", "required"),
        ({"username": "bob"}, "password", "required"),
        ({"username": "élodie", "password": PASSWORD}, "username", "invalid"),
        ({"username": "two words", "password": PASSWORD}, "username", "invalid"),
        ({"username": "ab", "password": PASSWORD}, "username", "min_length"),
        ({"username": "a" * 31, "password": PASSWORD}, "username", "max_length"),
        ({"username": 12345, "password": PASSWORD}, "username", "invalid"),
        ({"username": "bob", "password": 123456789012}, "password", "invalid"),
        ({"username": "bob", "password": "x" * 1025}, "password", "max_length"),
        ({"username": "bob", "password": PASSWORD, "display_name": 7}, "display_name", "invalid"),
        (
            {"username": "bob", "password": PASSWORD, "display_name": "x" * 51},
            "display_name",
            "max_length",
        ),
        (
            {"username": "bob", "password": PASSWORD, "display_name": "\u200b\u200b"},
            "display_name",
            "invisible_characters",
        ),
        (
            {"username": "bob", "password": PASSWORD, "display_name": "Bob\x07"},
            "display_name",
            "control_characters",
        ),
    ],
)
def test_register_refuses_bad_input_naming_the_field(api, payload, field, code):
    response = api.post(REGISTER, payload, format="json")

    assert response.status_code == 400
    assert (field, code) in error_fields(response)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_refuses_malformed_json(api):
    response = api.post(REGISTER, '{"username": "bob",', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_refuses_a_form_body_with_415(api):
    response = api.post(REGISTER, {"username": "bob", "password": PASSWORD})  # multipart

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_ignores_a_stale_token(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)

    response = api.post(REGISTER, {"username": "bob", "password": PASSWORD}, format="json")

    assert response.status_code == 201


@pytest.mark.django_db
def test_register_is_throttled_per_client_address(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "register": "2/hour",
        },
    }
    for name in ("reader-a", "reader-b"):
        assert (
            api.post(REGISTER, {"username": name, "password": PASSWORD}, format="json").status_code
            == 201
        )

    # A forged X-Forwarded-For does not make a new client: no proxy is trusted (NUM_PROXIES=0).
    refused = api.post(
        REGISTER,
        {"username": "reader-c", "password": PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    elsewhere = api.post(
        REGISTER,
        {"username": "reader-d", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["Content-Type"] == "application/problem+json"
    assert not User.objects.filter(username="reader-c").exists()
    assert elsewhere.status_code == 201
