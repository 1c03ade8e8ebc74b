"""Names hide nothing: bidirectional controls, zero-width and other invisible characters are
refused in usernames and display names, at sign-up and in the admin, with a 400 (or a form
error) naming the field; usernames are unique regardless of case in the admin too."""

import re
import unicodedata

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Profile
from tests.factories import ProfileFactory, StaffFactory, UserFactory

REGISTER = "/api/v1/auth/register/"
PASSWORD = "a-long-test-password"
IMPOSTOR = "padmin\u202eflig\u200b"  # shows as "padmingilf", a staff name, with a hidden tail
User = get_user_model()

REFUSED = [
    *(chr(c) for c in range(0x202A, 0x202F)),  # embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # isolates
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\u2064",  # invisible plus
    "\ufeff",  # zero width no-break space (BOM)
    "\u180e",  # Mongolian vowel separator
    "\u00ad",  # soft hyphen
    "\U000e0041",  # tag Latin capital A
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\ue000",  # private use
    "\u3164",  # Hangul filler: a "letter" that shows as nothing
    "\u2800",  # braille pattern blank
]
KEPT = ["José", "Zoë Ångström", "محمد", "李小龙", "Ада", "Bob 🙂", "❤️ fan", "O'Brien-Smith"]


def register(api, **payload):
    return api.post(REGISTER, {"username": "bob", "password": PASSWORD, **payload}, format="json")


def errors_of(response) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


@pytest.mark.django_db
def test_the_impostor_is_refused_as_a_display_name(api):
    response = register(api, display_name=IMPOSTOR)

    assert response.status_code == 400
    assert errors_of(response) == {("display_name", "invisible_characters")}
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.json()["errors"][0]["message"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_impostor_is_refused_as_a_username(api):
    response = api.post(REGISTER, {"username": IMPOSTOR, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert errors_of(response) == {("username", "invisible_characters")}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_every_invisible_or_bidi_character_is_refused_in_display_names(api, char):
    response = register(api, display_name=f"Bo{char}b")

    assert response.status_code == 400
    assert errors_of(response) == {("display_name", "invisible_characters")}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", KEPT)
def test_names_in_every_script_and_emoji_are_kept(api, name):
    response = register(api, display_name=name)

    assert response.status_code == 201, response.json()
    assert response.json()["display_name"] == name
    assert Profile.objects.get().display_name == name


@pytest.mark.django_db
def test_a_control_character_keeps_its_own_code(api):
    assert errors_of(register(api, display_name="Bob\x07")) == {
        ("display_name", "control_characters")
    }


def test_the_schemas_pattern_is_the_rule_on_the_basic_multilingual_plane():
    """The pattern the schema publishes accepts a character exactly when the server does."""
    from accounts.names import display_name_validator, refused_reason

    pattern = re.compile(display_name_validator.regex.pattern)
    disagree = [
        f"U+{code:04X}"
        for code in range(0x10000)
        if bool(pattern.match(chr(code))) != (refused_reason(chr(code)) is None)
    ]
    # Surrogates: left to the check, so that ECMA-262 reads the pattern as accepting emoji.
    assert disagree == [f"U+{code:04X}" for code in range(0xD800, 0xE000)]
    assert pattern.match("Bob 🙂 李")
    # Beyond the plane the check refuses what the pattern cannot name.
    assert refused_reason("\U000e0001") and refused_reason("\U0001d173")
    assert refused_reason("\U0001f642") is None  # 🙂
    # Every format character is refused, the listed ones and the rest of the category.
    assert all(
        refused_reason(chr(c))
        for c in range(0x110000)
        if unicodedata.category(chr(c)) in {"Cf", "Cc", "Zl", "Zp"}
    )


@pytest.mark.django_db
def test_the_schema_states_the_rule():
    from drf_spectacular.generators import SchemaGenerator

    from accounts.names import display_name_validator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    field = schema["components"]["schemas"]["RegisterRequest"]["properties"]["display_name"]
    pattern = field["oneOf"][0]["pattern"]  # the other choice: "" (no display name)
    assert pattern == display_name_validator.regex.pattern.replace("\\Z", "$")
    assert "\\u202e" in pattern and "\\u200b" in pattern and "\\ud800" not in pattern
    assert "invisible" in field["description"]


# The admin's user forms.


@pytest.fixture
def chief(db):
    client = Client()
    client.force_login(StaffFactory(username="chief", is_superuser=True))
    return client


INLINE = {
    "profile-TOTAL_FORMS": 1,
    "profile-INITIAL_FORMS": 0,
    "profile-MIN_NUM_FORMS": 0,
    "profile-MAX_NUM_FORMS": 1,
}


def add_user(chief, username, display_name=""):
    return chief.post(
        "/admin/auth/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "profile-0-display_name": display_name,
            **INLINE,
        },
    )


def change_user(chief, user, **changes):
    page = chief.get(f"/admin/auth/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if key in {"username", "first_name", "last_name", "email"} and value is not None
    }
    inline = {**INLINE}
    if Profile.objects.filter(user=user).exists():
        inline |= {"profile-INITIAL_FORMS": 1, "profile-0-user": user.pk}
    data |= {
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **inline,
        **changes,
    }
    return chief.post(f"/admin/auth/user/{user.pk}/change/", data)


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code  # the form again, with errors
    errors = dict(response.context["adminform"].form.errors)
    for formset in response.context["inline_admin_formsets"]:
        for form_errors in formset.formset.errors:
            errors |= {f"profile.{k}": v for k, v in form_errors.items()}
    return errors


@pytest.mark.parametrize("username", [IMPOSTOR, "\u0430dmin", "bob\u200b", "élodie"])
def test_the_admin_refuses_such_usernames_when_adding_a_user(chief, username):
    errors = form_errors(add_user(chief, username))

    assert "username" in errors
    assert not User.objects.exclude(username="chief").exists()


def test_the_admin_folds_fullwidth_letters_and_case_before_the_unique_check(chief):
    """Django's username field applies NFKC: fullwidth `CHIEF` is `CHIEF`, taken as `chief`."""
    errors = form_errors(add_user(chief, "\uff23\uff28\uff29\uff25\uff26"))

    assert [e.code for e in errors["username"].as_data()] == ["unique"]
    assert User.objects.count() == 1


def test_the_admin_refuses_such_display_names(chief):
    errors = form_errors(add_user(chief, "bob", display_name=IMPOSTOR))

    assert "profile.display_name" in errors
    assert "U+202E" in str(errors["profile.display_name"])
    assert not User.objects.filter(username="bob").exists()


def test_the_admin_refuses_a_display_name_change_that_hides_characters(chief):
    profile = ProfileFactory(user__username="bob", display_name="Bob")

    errors = form_errors(change_user(chief, profile.user, **{"profile-0-display_name": IMPOSTOR}))

    assert "profile.display_name" in errors
    profile.refresh_from_db()
    assert profile.display_name == "Bob"


def test_the_admin_refuses_renaming_to_a_taken_username_in_another_case(chief):
    UserFactory(username="ada")
    bob = UserFactory(username="bob")

    errors = form_errors(change_user(chief, bob, username="ADA"))

    assert "username" in errors
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_the_admin_refuses_renaming_to_a_name_that_hides_characters(chief):
    bob = UserFactory(username="bob")

    errors = form_errors(change_user(chief, bob, username=IMPOSTOR))

    assert "username" in errors


def test_the_admin_still_edits_a_user_whose_old_name_predates_the_rule(chief):
    old = UserFactory(username="élodie")

    response = change_user(chief, old, first_name="Élodie")

    assert response.status_code == 302, form_errors(response)
    old.refresh_from_db()
    assert old.first_name == "Élodie"


@pytest.mark.django_db
def test_comment_bodies_keep_what_names_refuse(bearer_api):
    """The documented rule for bodies: format characters stay (emoji sequences, right-to-left
    text and its controls); control characters other than newline and tab do not."""
    from tests.factories import ArticleFactory

    article = ArticleFactory()
    client = bearer_api(UserFactory())
    thread = f"/api/v1/articles/{article.slug}/comments/"
    body = (
        "family \U0001f468\u200d\U0001f469\u200d\U0001f467, "  # joined by zero-width joiners
        "\u05e9\u05dc\u05d5\u05dd\u200f\n\tand \u202eoverride\u202c"
    )

    kept = client.post(thread, {"body": body}, format="json")
    refused = client.post(thread, {"body": "bell\x07"}, format="json")

    assert kept.status_code == 201, kept.json()
    assert kept.json()["body"] == body
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "control_characters"
