"""A real browser (headless Chromium, driven by Playwright) on the live admin: an editor signs
in, writes an article with three takeaways and two tags in an order, publishes it, and the
public API serves it.

Chromium is Debian's `chromium` package (`apt-get install -y chromium`); without
/usr/bin/chromium the test is skipped.
"""

import json
import urllib.request

import pytest

from articles.models import Article
from tests.browser import BROWSER_MARKS, PASSWORD
from tests.factories import CompanyFactory, StaffFactory, TagFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.set_default_timeout(20_000)
    return page


def choose(page, select_id: str, text: str) -> None:
    """Pick `text` in the select2 box (the admin's autocomplete) that stands for `select_id`."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.keyboard.type(text[:4])
    page.click(f".select2-results__option:text-is('{text}')")


@pytest.mark.django_db(transaction=True)
def test_editor_writes_and_publishes_an_article_the_api_then_serves(live_server, page, roles):
    editor = StaffFactory(username="eddie", password=PASSWORD)
    editor.groups.add(roles["Editors"])
    CompanyFactory(name="Anthropic")
    TagFactory(name="AI Safety", slug="ai-safety")
    TagFactory(name="Policy", slug="policy")
    title = "Anthropic publishes a safety case"

    # Sign in.
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "eddie")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=BotBeat newsroom")

    # Write the article: the slug follows the title, company and tag come from search boxes.
    page.click("a[href='/admin/articles/article/add/']")
    page.locator("#id_title").press_sequentially(title)
    assert page.input_value("#id_slug") == "anthropic-publishes-a-safety-case"
    choose(page, "id_company", "Anthropic")
    page.select_option("#id_category", "research")
    # Two tags, the second row numbered first: the API shows them in that order.
    choose(page, "id_article_tags-0-tag", "AI Safety")
    choose(page, "id_article_tags-1-tag", "Policy")
    page.fill("#id_article_tags-0-order", "1")
    page.fill("#id_article_tags-1-order", "0")
    page.fill("#id_summary", "Anthropic describes how it argues a model is safe to deploy.")
    for i, text in enumerate(["Safety cases.", "Evidence, not vibes.", "Third parties check."]):
        page.fill(f"#id_takeaways-{i}-text", text)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    article = Article.objects.get(slug="anthropic-publishes-a-safety-case")
    assert "Draft" in page.inner_text(f"tr:has(input.action-select[value='{article.pk}'])")

    # Publish it from the list.
    page.check(f"input.action-select[value='{article.pk}']")
    page.select_option("select[name=action]", "publish_now")
    page.click("button[name=index]")
    page.wait_for_selector("text=Published 1 article.")
    assert "Published" in page.inner_text(f"tr:has(input.action-select[value='{article.pk}'])")

    # The public API serves it, takeaways in order.
    url = f"{live_server.url}/api/v1/articles/{article.slug}/"
    with urllib.request.urlopen(url) as response:
        status, body = response.status, json.load(response)
    assert status == 200
    assert body["title"] == title
    assert body["takeaways"] == ["Safety cases.", "Evidence, not vibes.", "Third parties check."]
    assert [tag["slug"] for tag in body["tags"]] == ["policy", "ai-safety"]
    assert body["company"]["name"] == "Anthropic"
