"""Preview links (articles/previews.py): an Editor's signed, expiring link to a draft or
scheduled article, which shows it to whoever holds it until it expires or the article changes;
never cached, never listed, never counted."""

import datetime as dt
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import Article, Status, Tag
from articles.previews import PREVIEW_SALT
from articles.services import tag_merge
from botbeat.conditional import RENDERED
from companies.models import Company
from tests.factories import (
    ArticleFactory,
    EditorFactory,
    ModeratorFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)
from tests.response_caches import response_cache_on

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


def detail(article) -> str:
    return f"{FEED}{article.slug}/"


def preview_of(article) -> str:
    return f"{FEED}{article.slug}/preview/"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def editor_api(db):
    return signed_in(EditorFactory())


@pytest.fixture
def draft(db):
    return ArticleFactory(
        slug="secret-draft",
        title="A draft nobody may see",
        status=Status.DRAFT,
        company__slug="stealth",
        tags=[TagFactory(slug="draft-only")],
        takeaways=["first", "second"],
    )


def link_for(editor_api, article) -> dict:
    response = editor_api.post(preview_of(article))
    assert response.status_code == 200, response.content
    return response.json()


def token_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["preview"][0]


def at_offset(seconds: float):
    """The signer's clock moved by `seconds` (django.core.signing reads time.time() alone)."""
    real = time.time
    return SimpleNamespace(time=lambda: real() + seconds)


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert "draft nobody" not in response.content.decode()


def assert_private(response) -> None:
    assert response["Cache-Control"] == "private, no-store"
    for header in ("ETag", "Last-Modified", "Surrogate-Key", "Cache-Tag"):
        assert header not in response, header


# Getting a link


def test_an_editor_gets_a_link_to_the_api_detail_with_its_expiry(editor_api, draft):
    before = timezone.now().replace(microsecond=0)

    response = editor_api.post(preview_of(draft))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "token", "expires_at"}
    assert body["url"].startswith(f"http://testserver{detail(draft)}?preview=")
    assert token_in(body["url"]) == body["token"]
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert before + dt.timedelta(hours=24) <= expires_at <= timezone.now() + dt.timedelta(hours=24)
    assert response["Cache-Control"] == "private, no-store"


def test_an_empty_object_is_an_empty_body_and_anything_else_is_refused(editor_api, draft):
    assert editor_api.post(preview_of(draft), {}, format="json").status_code == 200

    refused = editor_api.post(preview_of(draft), {"ttl": 60}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "ttl", "code": "unknown_field", "message": "Unknown field."}
    ]
    with_query = editor_api.post(f"{preview_of(draft)}?ttl=60")
    assert with_query.status_code == 400
    assert with_query.json()["errors"][0]["code"] == "unknown_parameter"


def test_a_scheduled_article_gets_a_link_and_a_public_one_is_refused(editor_api):
    scheduled = ArticleFactory(published_at=timezone.now() + dt.timedelta(days=1))
    public = ArticleFactory()

    assert editor_api.post(preview_of(scheduled)).status_code == 200
    refused = editor_api.post(preview_of(public))
    assert refused.status_code == 400
    assert refused.json()["code"] == "already_public"
    assert editor_api.post(f"{FEED}no-such-article/preview/").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("reader", 403),
        ("staff without a role", 403),
        ("moderator", 403),
        ("superuser", 200),
    ],
)
def test_only_editors_get_a_link(draft, who, status):
    users = {
        "reader": UserFactory,
        "staff without a role": StaffFactory,
        "moderator": ModeratorFactory,
        "superuser": lambda: StaffFactory(is_superuser=True),
    }
    client = APIClient() if who == "anonymous" else signed_in(users[who]())

    response = client.post(preview_of(draft))

    assert response.status_code == status
    # Refused before the article is looked up: the same for a slug that does not exist.
    if status != 200:
        assert client.post(f"{FEED}no-such-article/preview/").status_code == status


# Using it


def test_anyone_with_the_link_sees_the_draft_as_an_editor_does(api, editor_api, draft):
    link = link_for(editor_api, draft)

    response = api.get(link["url"])

    assert response.status_code == 200
    assert response.json() == editor_api.get(detail(draft)).json()
    assert response.json()["status"] == "draft"
    assert response.json()["takeaways"] == ["first", "second"]
    assert_private(response)
    # A reader and staff without a role see it too, with the link only.
    for user in (UserFactory(), StaffFactory()):
        assert signed_in(user).get(link["url"]).status_code == 200
        assert signed_in(user).get(detail(draft)).status_code == 404


def test_without_the_link_the_draft_is_a_404(api, editor_api, draft):
    link_for(editor_api, draft)

    assert api.get(detail(draft)).status_code == 404


def test_a_scheduled_article_is_shown_with_its_link_before_it_goes_out(api, editor_api):
    scheduled = ArticleFactory(published_at=timezone.now() + dt.timedelta(days=1))
    link = link_for(editor_api, scheduled)

    assert api.get(detail(scheduled)).status_code == 404
    assert api.get(link["url"]).status_code == 200


def test_the_link_answers_no_conditional_request_and_is_remembered_nowhere(api, editor_api, draft):
    link = link_for(editor_api, draft)
    remembered = len(RENDERED._values)

    first = api.get(link["url"])
    again = api.get(link["url"], HTTP_IF_NONE_MATCH="*")
    since = api.get(link["url"], HTTP_IF_MODIFIED_SINCE="Sat, 01 Jan 2100 00:00:00 GMT")

    assert (first.status_code, again.status_code, since.status_code) == (200, 200, 200)
    assert again.content == first.content
    assert_private(again)
    assert len(RENDERED._values) == remembered  # no ETag of it in the conditional memory


def page_of(article) -> str:
    return f"{FEED}{article.slug}/page/"


def test_the_link_shows_the_drafts_page_as_an_editor_sees_it(api, editor_api, draft):
    token = link_for(editor_api, draft)["token"]

    response = api.get(page_of(draft), {"preview": token, "more_limit": 5})

    assert response.status_code == 200, response.content
    assert response.json() == editor_api.get(page_of(draft), {"more_limit": 5}).json()
    assert response.json()["article"]["status"] == "draft"
    assert_private(response)
    assert api.get(page_of(draft)).status_code == 404


def test_the_link_composes_with_fields_on_the_detail_and_the_page(api, editor_api, draft):
    token = link_for(editor_api, draft)["token"]

    shown = api.get(detail(draft), {"preview": token, "fields": "slug,company.slug"})
    page = api.get(page_of(draft), {"preview": token, "fields": "title"})

    assert shown.json() == {"slug": "secret-draft", "company": {"slug": "stealth"}}
    assert page.json()["article"] == {"title": "A draft nobody may see"}
    assert_private(shown)
    assert_private(page)


def test_the_page_refuses_what_the_detail_refuses(api, editor_api, draft):
    other = ArticleFactory(slug="another-draft", status=Status.DRAFT)
    token = link_for(editor_api, draft)["token"]

    assert_refused(api.get(page_of(other), {"preview": token}), 403, "preview_invalid")
    Article.objects.filter(pk=draft.pk).update(updated_at=timezone.now() + dt.timedelta(seconds=1))
    assert_refused(api.get(page_of(draft), {"preview": token}), 403, "preview_expired")


# Refusals


def test_a_token_for_another_article_is_refused(api, editor_api, draft):
    other = ArticleFactory(slug="another-draft", status=Status.DRAFT)
    published = ArticleFactory(slug="published")
    token = link_for(editor_api, draft)["token"]

    for article in (other, published):
        response = api.get(detail(article), {"preview": token})
        assert_refused(response, 403, "preview_invalid")
        assert response.json()["detail"] == "This preview link is for another article."
        assert_private(response)


def test_an_expired_link_is_refused(api, editor_api, draft, monkeypatch):
    link = link_for(editor_api, draft)

    monkeypatch.setattr(signing, "time", at_offset(24 * 3600 + 1))
    response = api.get(link["url"])

    assert_refused(response, 403, "preview_expired")
    assert_private(response)


def test_a_link_lasts_the_ttl_exactly(api, editor_api, draft, monkeypatch, settings):
    settings.PREVIEW_TTL = dt.timedelta(seconds=60)
    link = link_for(editor_api, draft)
    issued = signing.b62_decode(link["token"].rsplit(":", 2)[1])
    assert dt.datetime.fromisoformat(link["expires_at"]).timestamp() == issued + 60

    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: issued + 59))
    assert api.get(link["url"]).status_code == 200
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: issued + 61))
    assert_refused(api.get(link["url"]), 403, "preview_expired")


def test_an_edit_after_signing_ends_the_link(api, editor_api, draft):
    link = link_for(editor_api, draft)
    draft.refresh_from_db()
    draft.title = "A new title"
    draft.save()

    response = api.get(link["url"])

    assert_refused(response, 403, "preview_expired")
    assert "changed" in response.json()["detail"]
    assert (
        api.get(detail(draft), {"preview": link_for(editor_api, draft)["token"]}).json()["title"]
        == "A new title"
    )


def test_a_merge_that_relinks_the_articles_tags_ends_the_link(api, editor_api, draft):
    link = link_for(editor_api, draft)

    tag_merge(source=Tag.objects.get(slug="draft-only"), target=TagFactory(), by=None)

    assert_refused(api.get(link["url"]), 403, "preview_expired")


def test_a_link_to_an_article_since_deleted_or_renamed_finds_nothing_there(api, editor_api, draft):
    renamed = ArticleFactory(slug="old-slug", status=Status.DRAFT)
    renamed_link = link_for(editor_api, renamed)
    deleted_link = link_for(editor_api, draft)
    renamed.refresh_from_db()
    renamed.slug = "new-slug"
    renamed.save()
    Article.objects.filter(pk=draft.pk).delete()

    assert_refused(api.get(deleted_link["url"]), 404, "not_found")
    assert_refused(api.get(renamed_link["url"]), 404, "not_found")
    # At the new address, the token names another slug.
    refused = api.get(f"{FEED}new-slug/", {"preview": renamed_link["token"]})
    assert_refused(refused, 403, "preview_invalid")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a:b:c",
        "x" * 1001,
        "é",
        # A signature of something else, in the right shape.
        signing.dumps({"id": 1, "slug": "secret-draft", "at": "2026-01-01T00:00:00+00:00"}),
    ],
)
def test_a_malformed_or_forged_token_is_refused(api, editor_api, draft, token):
    assert_refused(api.get(detail(draft), {"preview": token}), 403, "preview_invalid")


def test_a_tampered_token_is_refused_and_another_salts_signature_too(api, editor_api, draft):
    token = link_for(editor_api, draft)["token"]
    payload, stamp, signature = token.split(":")
    other_id = signing.b64_encode(
        signing.b64_decode(payload.encode()).replace(b'"id":', b'"id":9')
    ).decode()
    other_salt = signing.TimestampSigner(salt=PREVIEW_SALT + ".other").sign_object(
        signing.TimestampSigner(salt=PREVIEW_SALT).unsign_object(token)
    )

    for forged in (
        f"{other_id}:{stamp}:{signature}",
        f"{payload}:{stamp}:{signature[:-1]}{'B' if signature.endswith('A') else 'A'}",
    ):
        assert_refused(api.get(detail(draft), {"preview": forged}), 403, "preview_invalid")
    assert_refused(api.get(detail(draft), {"preview": other_salt}), 403, "preview_invalid")


def test_a_refusal_depends_on_the_token_only_whatever_the_article(api, editor_api, draft):
    """A bad token gets the same answer at a draft, a published article and a missing slug's
    address: nobody without a genuine link learns which slugs are drafts."""
    published = ArticleFactory(slug="published")
    answers = {
        slug: api.get(f"{FEED}{slug}/", {"preview": "garbage"})
        for slug in (draft.slug, published.slug, "no-such-article")
    }

    assert {r.status_code for r in answers.values()} == {403}
    assert len({r.json()["detail"] for r in answers.values()}) == 1


def test_the_preview_parameter_is_strict(api, editor_api, draft):
    token = link_for(editor_api, draft)["token"]

    blank = api.get(detail(draft), {"preview": ""})
    twice = api.get(f"{detail(draft)}?preview={token}&preview={token}")

    assert blank.status_code == 400 and blank.json()["errors"][0]["code"] == "blank"
    assert twice.status_code == 400 and twice.json()["errors"][0]["code"] == "repeated"


@pytest.mark.parametrize(
    "path", [FEED, f"{FEED}{{slug}}/more-from-company/", f"{FEED}{{slug}}/suggested/"]
)
def test_only_the_detail_and_the_page_take_a_preview_token(api, editor_api, draft, path):
    token = link_for(editor_api, draft)["token"]

    response = api.get(path.format(slug=draft.slug), {"preview": token})

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "preview",
        "code": "unknown_parameter",
        "message": "Unknown query parameter.",
    }


# Never listed, never counted


def test_a_previewed_draft_is_never_listed_and_moves_no_count(api, editor_api, draft):
    published = ArticleFactory(company=draft.company, tags=list(draft.tags.all()))
    published_only = ArticleFactory()

    def public_view() -> list:
        return [
            api.get(FEED).json(),
            api.get(f"{detail(published)}more-from-company/").json(),
            api.get(f"{detail(published_only)}suggested/?limit=20").json(),
            api.get("/api/v1/tags/").json(),
            api.get("/api/v1/companies/").json(),
            api.get(detail(published)).json(),
        ]

    def stored_counts() -> list:
        return [
            list(Article.objects.values_list("pk", "comment_count", "updated_at")),
            list(Tag.objects.values_list("pk", "published_count")),
            list(Company.objects.values_list("pk", "published_count")),
        ]

    before, counts = public_view(), stored_counts()
    link = link_for(editor_api, draft)
    for _ in range(3):
        assert api.get(link["url"]).status_code == 200

    assert public_view() == before
    assert stored_counts() == counts
    assert draft.slug not in str(before)


# The caches


@pytest.fixture(params=["locmem", "redis"])
def response_cache(request, settings):
    """The response cache on, as tests/test_response_cache.py sets it up: on the local memory
    cache, and on the Redis here (RedisStore)."""
    import botbeat.cache

    with response_cache_on(settings, request.param):
        yield botbeat.cache


def entry_name(url: str) -> str:
    import hashlib

    from botbeat.cache import normalized_url

    return (
        "response:" + hashlib.sha256(normalized_url(RequestFactory().get(url)).encode()).hexdigest()
    )


def test_a_preview_is_never_stored_in_the_response_cache(api, editor_api, draft, response_cache):
    public = ArticleFactory()
    api.get(detail(public))
    assert response_cache.store().read([entry_name(detail(public))])[0] is not None  # stores
    link = link_for(editor_api, draft)

    first = api.get(link["url"])
    again = api.get(link["url"])

    assert first.status_code == again.status_code == 200
    assert_private(again)
    assert response_cache.store().read([entry_name(link["url"])]) == [None]
    # Computed each time: it reads the database.
    with CaptureQueriesContext(connection) as queries:
        api.get(link["url"])
    assert len(queries) > 0


def test_a_preview_is_never_served_from_the_response_cache(api, editor_api, draft, response_cache):
    """Even an entry planted under its URL (which no answer could have stored) is not served:
    a URL with `preview=` passes the cache."""
    from botbeat.cache import GENERATION_KEY

    api.get(FEED)  # starts a generation
    link = link_for(editor_api, draft)
    store = response_cache.store()
    generation = store.read([GENERATION_KEY])[0]
    planted = (generation, b'{"planted": true}', {"Content-Type": "application/json"})
    store.set(entry_name(link["url"]), planted, timeout=600)

    response = api.get(link["url"])

    assert response.status_code == 200
    assert response.json()["slug"] == draft.slug
    assert_private(response)


def test_an_edit_ends_a_link_at_once_with_the_response_cache_on(
    api, editor_api, draft, response_cache
):
    link = link_for(editor_api, draft)
    assert api.get(link["url"]).status_code == 200
    draft.refresh_from_db()
    draft.summary = "Rewritten."
    draft.save()

    assert_refused(api.get(link["url"]), 403, "preview_expired")


def test_varnish_passes_a_preview_link_before_any_lookup():
    from tests.hardening.servers import BASE_DIR

    vcl = (BASE_DIR / "deploy" / "varnish" / "botbeat.vcl").read_text()
    recv = vcl[vcl.index("sub vcl_recv") : vcl.index("sub vcl_backend_response")]

    assert 'if (req.url ~ "[?&]preview=") {\n        return (pass);' in recv
    assert recv.index("preview=") < recv.index("return (hash);")


# The admin


ADMIN_CHANGE = "/admin/articles/article/{}/change/"
ADMIN_PREVIEW = "/admin/articles/article/{}/preview/"


def admin_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_admin_gives_an_editor_a_link_to_copy_with_its_expiry(api, draft):
    editor = admin_client(EditorFactory())

    page = editor.get(ADMIN_CHANGE.format(draft.pk))
    assert page.status_code == 200
    assert f'href="{ADMIN_PREVIEW.format(draft.pk)}">Preview link</a>' in page.content.decode()

    shown = editor.get(ADMIN_PREVIEW.format(draft.pk))

    assert shown.status_code == 200
    url, expires_at = shown.context["url"], shown.context["expires_at"]
    assert f'value="{url}"' in shown.content.decode()
    assert expires_at.strftime("%-d %B %Y, %H:%M UTC") in shown.content.decode()
    assert abs(expires_at - (timezone.now() + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
    assert url.startswith(f"http://testserver{detail(draft)}?preview=")
    seen = api.get(url)
    assert seen.status_code == 200
    assert seen.json()["title"] == draft.title


def test_the_admin_link_ends_when_the_article_is_saved_there(api, draft):
    editor = admin_client(EditorFactory())
    url = editor.get(ADMIN_PREVIEW.format(draft.pk)).context["url"]
    draft.refresh_from_db()
    draft.comments_open = False
    draft.save()

    assert_refused(api.get(url), 403, "preview_expired")


def test_the_admin_refuses_a_link_to_a_public_article(api):
    public = ArticleFactory()
    editor = admin_client(EditorFactory())

    page = editor.get(ADMIN_CHANGE.format(public.pk))
    assert ADMIN_PREVIEW.format(public.pk) not in page.content.decode()
    response = editor.get(ADMIN_PREVIEW.format(public.pk), follow=True)

    assert response.redirect_chain == [(ADMIN_CHANGE.format(public.pk), 302)]
    assert "public already" in response.content.decode()


@pytest.mark.parametrize("factory", [ModeratorFactory, StaffFactory])
def test_the_admin_link_is_for_editors_only(draft, factory):
    public = ArticleFactory()
    client = admin_client(factory())

    for article in (draft, public):
        assert client.get(ADMIN_PREVIEW.format(article.pk)).status_code == 403
