"""The HTML pages under their Content-Security-Policy, in a real browser (headless Chromium):
Swagger UI and ReDoc render the schema, and the admin works, without one violation and
without one request leaving the site (clients may be offline).

Chromium is Debian's `chromium` package (`apt-get install -y chromium`); without
/usr/bin/chromium the test is skipped.
"""

from urllib.parse import urlsplit

import pytest

from tests.browser import BROWSER_MARKS, PASSWORD
from tests.factories import StaffFactory

REDOCLY_LOGO = "img-src https://cdn.redoc.ly/redoc/logo-mini.svg"

pytestmark = BROWSER_MARKS

# Every violation the page reports, however it reports it: the event (with the directive) and
# the console message Chromium prints.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


class Watched:
    """A page that records CSP violations, console errors and requests to other hosts."""

    def __init__(self, browser, base_url: str):
        self.page = browser.new_page()
        self.page.set_default_timeout(20_000)
        self.page.add_init_script(RECORD_VIOLATIONS)
        self.host = urlsplit(base_url).netloc
        self.console: list[str] = []
        self.elsewhere: list[str] = []
        self.page.on(
            "console", lambda m: self.console.append(m.text) if m.type == "error" else None
        )
        self.page.on("request", self.on_request)
        self.page.on("requestfailed", self.on_request_failed)

    def on_request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in {"http", "https"} and url.netloc != self.host:
            self.elsewhere.append(request.url)

    def on_request_failed(self, request) -> None:
        # Refused by the policy before anything was sent: it never left the browser.
        if request.failure in {"csp", "net::ERR_BLOCKED_BY_CSP"} and request.url in self.elsewhere:
            self.elsewhere.remove(request.url)

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")

    def assert_clean(self, expected: tuple[str, ...] = ()) -> None:
        assert [v for v in self.violations() if v not in expected] == []
        reported = [m for m in self.console if "Content Security Policy" in m]
        assert [m for m in reported if not any(e.split()[1] in m for e in expected)] == []
        assert self.elsewhere == []


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_every_operation_under_the_csp(live_server, browser):
    watched = Watched(browser, live_server.url)

    response = watched.page.goto(f"{live_server.url}/api/docs/")

    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    watched.page.wait_for_selector(".opblock-summary-path >> text=/api/v1/articles/")
    assert watched.page.locator(".opblock").count() >= 19
    # Open one operation: its parameters and responses render from the schema.
    watched.page.click(".opblock-summary-path >> text=/api/v1/articles/")
    watched.page.wait_for_selector("text=page_size")
    watched.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_redoc_renders_under_its_csp(live_server, browser):
    watched = Watched(browser, live_server.url)

    response = watched.page.goto(f"{live_server.url}/api/redoc/")

    assert "worker-src 'self' blob:" in response.headers["content-security-policy"]
    watched.page.wait_for_selector("h2 >> text=The feed: published articles, newest first")
    watched.page.wait_for_selector("h1 >> text=BotBeat API")
    # ReDoc's bundle always shows Redocly's logo from its CDN; the policy refuses it (nothing
    # leaves the site) and ReDoc then leaves the logo out. That one refusal is the policy working.
    watched.assert_clean(expected=(REDOCLY_LOGO,))


@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_the_csp(live_server, browser):
    StaffFactory(username="csp-editor", password=PASSWORD, is_superuser=True)
    watched = Watched(browser, live_server.url)
    page = watched.page

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "csp-editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content-main")
    for path in ("/admin/articles/article/", "/admin/articles/article/add/",
                 "/admin/comments/comment/"):  # fmt: skip
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "Content-Security-Policy" in response.headers or response.headers.get(
            "content-security-policy"
        )
        page.wait_for_selector("#content")
    # The add form's scripts run: the slug follows the title (prepopulated fields).
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    page.locator("#id_title").press_sequentially("Under a policy")
    assert page.input_value("#id_slug") == "under-a-policy"
    watched.assert_clean()
