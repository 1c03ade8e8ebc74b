"""The session sign-in in a real browser (headless Chromium, tests/browser.py): a frontend page
on the API's origin signs a reader in with fetch(), posts a comment with the CSRF header and
signs out; then pages of other sites try to post a comment with a plain HTML form while the
reader is signed in, and are refused.

The frontend is a page and a script that this module serves from the live server, through its
own URLconf (the product's URLs plus the two): nothing of it is in botbeat/urls.py. The other
sites are a plain HTTP server of the test on another port, without Django and without a
Content-Security-Policy, as any site on the web may be:

- `http://127.0.0.1:<port>` is another *site* than `http://localhost:<port>`: the browser sends
  it no SameSite=Lax cookie, so its post reaches the API signed in as nobody (401);
- `http://localhost:<other port>` is the same site on another *origin*: the browser sends the
  cookies (cookies know no ports, so its script can even read the CSRF cookie and put it in the
  form), and the CSRF check refuses the post all the same, on its `Origin` (403).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.http import HttpResponse
from django.urls import path

from botbeat import urls as product_urls
from comments.models import Comment
from tests.browser import BROWSER_MARKS, PASSWORD
from tests.factories import ArticleFactory, ProfileFactory

pytestmark = BROWSER_MARKS

FRONTEND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BotBeat frontend</title>
<script src="/frontend/app.js"></script></head>
<body><p id="who">nobody</p></body></html>
"""

# What a browser frontend does, in the page's own script (the CSP allows scripts from 'self').
FRONTEND_SCRIPT = """
const SESSION = "/api/v1/auth/session/";

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found === undefined ? null : decodeURIComponent(found.slice(name.length + 1));
}

async function call(method, url, { body, csrf } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrf) headers["X-CSRFToken"] = csrf;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function signIn(username, password) {
  await call("GET", SESSION);  // sets the CSRF cookie
  const answer = await call("POST", SESSION, {
    body: { username, password },
    csrf: cookie("csrftoken"),
  });
  if (answer.status === 200) {
    document.getElementById("who").textContent = answer.body.user.username;
  }
  return answer;
}

async function signInCommentAndSignOut(slug, username, password) {
  const thread = `/api/v1/articles/${slug}/comments/`;
  const steps = {};
  steps.who = await call("GET", SESSION);
  steps.csrfBefore = cookie("csrftoken");
  steps.signInWithoutToken = await call("POST", SESSION, { body: { username, password } });
  steps.signIn = await call("POST", SESSION, {
    body: { username, password },
    csrf: cookie("csrftoken"),
  });
  steps.csrfAfter = cookie("csrftoken");
  steps.scriptSeesSession = document.cookie.includes("sessionid");
  steps.whoNow = await call("GET", SESSION);
  steps.commentWithoutHeader = await call("POST", thread, { body: { body: "No header." } });
  steps.commentWithOldToken = await call("POST", thread, {
    body: { body: "The token from before signing in." },
    csrf: steps.csrfBefore,
  });
  steps.comment = await call("POST", thread, {
    body: { body: "Posted from the browser." },
    csrf: cookie("csrftoken"),
  });
  steps.signOut = await call("DELETE", SESSION, { csrf: cookie("csrftoken") });
  steps.whoAfter = await call("GET", SESSION);
  steps.commentAfter = await call("POST", thread, {
    body: { body: "After signing out." },
    csrf: cookie("csrftoken"),
  });
  return steps;
}

window.frontend = { call, cookie, signIn, signInCommentAndSignOut };
"""

# Another site's page: two forms that post to the API's comment thread, one as a form, one as
# text/plain that reads as JSON (`{"body": "...", "x": "="}`), the classic way to forge a JSON
# post without a script. Its script copies the CSRF cookie into the form, if it can read it.
ATTACKER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>You won a prize</title></head><body>
<form id="form" method="post" action="{target}">
  <input name="body" value="Forged by another site.">
  <input type="hidden" name="csrfmiddlewaretoken" id="stolen">
  <button id="send-form">Claim</button>
</form>
<form id="json" method="post" enctype="text/plain" action="{target}">
  <input name='{{"body": "Forged JSON by another site.", "x": "' value='"}}'>
  <button id="send-json">Claim</button>
</form>
<script>
  const found = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  document.getElementById("stolen").value = found === undefined ? "" : found.slice(10);
</script>
</body></html>
"""


def frontend_page(request):
    return HttpResponse(FRONTEND_PAGE)


def frontend_script(request):
    return HttpResponse(FRONTEND_SCRIPT, content_type="text/javascript")


# This module is the live server's URLconf in its tests (pytest.mark.urls).
urlpatterns = [
    path("frontend/", frontend_page),
    path("frontend/app.js", frontend_script),
    *product_urls.urlpatterns,
]
handler400 = product_urls.handler400
handler403 = product_urls.handler403
handler404 = product_urls.handler404
handler500 = product_urls.handler500


class OtherSite:
    """Pages of another site: a plain HTTP server on 127.0.0.1, on a port of its own."""

    def __init__(self):
        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                page = pages.get(self.path)
                body = (page or "not here").encode()
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other_site():
    site = OtherSite()
    yield site
    site.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def reader(transactional_db):
    return ProfileFactory(user__username="ada", display_name="Ada L.").user


def open_frontend(page, live_server):
    page.goto(f"{live_server.url}/frontend/")
    page.wait_for_function("window.frontend !== undefined")


def sign_in(page, username: str = "ada") -> dict:
    return page.evaluate("([u, p]) => frontend.signIn(u, p)", [username, PASSWORD])


def session_cookie(page):
    cookies = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    return cookies[0] if cookies else None


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_the_frontend_signs_in_posts_a_comment_and_signs_out(live_server, page, reader):
    article = ArticleFactory()
    assert live_server.url.startswith("http://localhost:")
    open_frontend(page, live_server)

    steps = page.evaluate(
        "([slug, name, password]) => frontend.signInCommentAndSignOut(slug, name, password)",
        [article.slug, "ada", PASSWORD],
    )

    # Nobody at first; the answer set the CSRF cookie, which the script reads.
    assert steps["who"]["status"] == 200 and steps["who"]["body"]["user"] is None
    assert steps["csrfBefore"]
    # Signing in without the header is refused; with it, the session starts.
    assert steps["signInWithoutToken"]["status"] == 403
    assert steps["signInWithoutToken"]["body"]["code"] == "permission_denied"
    assert steps["signIn"]["status"] == 200, steps["signIn"]
    assert steps["signIn"]["body"]["user"]["username"] == "ada"
    assert steps["csrfAfter"] != steps["csrfBefore"]  # rotated at sign-in
    assert steps["scriptSeesSession"] is False  # HttpOnly
    assert steps["whoNow"]["body"]["user"]["display_name"] == "Ada L."
    # A write with the session needs the current token.
    assert steps["commentWithoutHeader"]["status"] == 403
    assert "CSRF" in steps["commentWithoutHeader"]["body"]["detail"]
    assert steps["commentWithOldToken"]["status"] == 403
    assert steps["comment"]["status"] == 201, steps["comment"]
    assert steps["comment"]["body"]["author"]["username"] == "ada"
    # Signed out: nobody, and a write is a 401.
    assert steps["signOut"] == {"status": 204, "body": None}
    assert steps["whoAfter"]["body"]["user"] is None
    assert steps["commentAfter"]["status"] == 401
    assert list(Comment.objects.values_list("article", "author__username", "body")) == [
        (article.pk, "ada", "Posted from the browser.")
    ]
    assert session_cookie(page) is None


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_the_session_cookie_is_http_only_and_same_site_lax(live_server, page, reader):
    open_frontend(page, live_server)

    signed_in = sign_in(page)

    assert signed_in["status"] == 200
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["httpOnly"] is True
    assert cookies["sessionid"]["sameSite"] == "Lax"
    assert cookies["csrftoken"]["httpOnly"] is False
    assert cookies["csrftoken"]["sameSite"] == "Lax"
    assert page.inner_text("#who") == "ada"


def submit(page, button: str):
    """Click the form's button: the browser posts it and shows the API's answer."""
    with page.expect_navigation() as navigation:
        page.click(button)
    response = navigation.value
    return response, response.request.all_headers().get("cookie", "")


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_a_form_post_from_another_site_or_origin_is_refused(live_server, page, reader, other_site):
    article = ArticleFactory()
    target = f"{live_server.url}/api/v1/articles/{article.slug}/comments/"
    other_site.pages["/prize"] = ATTACKER_PAGE.format(target=target)
    open_frontend(page, live_server)
    assert sign_in(page)["status"] == 200
    assert session_cookie(page) is not None

    # Another site: the browser withholds the SameSite=Lax cookies; the API sees nobody.
    page.goto(f"http://127.0.0.1:{other_site.port}/prize")
    assert page.input_value("#stolen") == ""  # the API's cookies are not this host's
    for button in ("#send-form", "#send-json"):
        page.goto(f"http://127.0.0.1:{other_site.port}/prize")
        response, cookies = submit(page, button)
        assert "sessionid" not in cookies and "csrftoken" not in cookies
        assert response.status == 401, (button, response.text())
        assert response.json()["code"] == "not_authenticated"

    # The same site on another port: the cookies go, and even with the CSRF cookie copied into
    # the form, the CSRF check refuses the post on its Origin.
    page.goto(f"http://localhost:{other_site.port}/prize")
    assert page.input_value("#stolen") != ""
    for button in ("#send-form", "#send-json"):
        page.goto(f"http://localhost:{other_site.port}/prize")
        response, cookies = submit(page, button)
        assert "sessionid=" in cookies, cookies
        assert response.status == 403, (button, response.text())
        body = response.json()
        assert body["code"] == "permission_denied"
        assert body["detail"].startswith("CSRF Failed: Origin checking failed")

    assert not Comment.objects.exists()
    # The reader was signed in all along: their own page posts.
    open_frontend(page, live_server)
    posted = page.evaluate(
        """(slug) => frontend.call("POST", `/api/v1/articles/${slug}/comments/`,
                                   {body: {body: "Mine."}, csrf: frontend.cookie("csrftoken")})""",
        article.slug,
    )
    assert posted["status"] == 201
    assert list(Comment.objects.values_list("body", flat=True)) == ["Mine."]
