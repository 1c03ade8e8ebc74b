import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry

from articles.models import Article, ArticleTag, Status, Tag
from companies.models import Company
from tests.admin.conftest import list_queries
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

TAGS = "/admin/articles/tag/"
COMPANIES = "/admin/companies/company/"


def rows(response) -> dict[str, object]:
    return {str(obj): obj for obj in response.context["cl"].result_list}


def merge(client, url, sources, target=None):
    """The merge action: its confirmation page, then (with a target) the merge itself."""
    data = {"action": "merge", "_selected_action": [s.pk for s in sources]}
    if target is None:
        return client.post(url, data | {"index": 0})
    return client.post(url, data | {"apply": "yes", "target": target.pk}, follow=True)


# Lists


def test_tag_list_counts_every_article_and_links_to_them(chief):
    tag = TagFactory(name="Robotics")
    ArticleFactory.create_batch(2, tags=[tag])
    ArticleFactory(tags=[tag], status=Status.DRAFT)

    response = chief.get(TAGS)

    assert rows(response)["Robotics"].articles_total == 3
    assert f'<a href="/admin/articles/article/?tag={tag.pk}">3</a>' in response.content.decode()


def test_tag_page_shows_the_published_count(chief):
    tag = TagFactory()
    ArticleFactory(tags=[tag])
    ArticleFactory(tags=[tag], status=Status.DRAFT)

    response = chief.get(f"/admin/articles/tag/{tag.pk}/change/")

    fields = {f.field["name"]: f.contents() for f in _readonly(response)}
    assert fields["published"] == "1"


def _readonly(response):
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            for field in line:
                if field.is_readonly:
                    yield field


def test_company_list_counts_articles(chief):
    company = CompanyFactory(name="Anthropic")
    ArticleFactory.create_batch(2, company=company)
    ArticleFactory(company=company, status=Status.DRAFT)

    row = rows(chief.get(COMPANIES))["Anthropic"]

    assert (row.articles_total, row.article_count) == (3, 2)
    assert row.latest_published_at is not None


@pytest.mark.parametrize("n", [1, 20])
def test_tag_list_queries_do_not_grow_with_rows(chief, n, django_assert_num_queries):
    for tag in TagFactory.create_batch(n):
        ArticleFactory(tags=[tag])

    # The fifth: the page's scheduled articles, for its published counts.
    with django_assert_num_queries(list_queries(5, unfiltered=True)):
        chief.get(TAGS)


@pytest.mark.parametrize("n", [1, 20])
def test_company_list_queries_do_not_grow_with_rows(chief, n, django_assert_num_queries):
    for company in CompanyFactory.create_batch(n):
        ArticleFactory(company=company)

    with django_assert_num_queries(list_queries(4, unfiltered=True)):
        chief.get(COMPANIES)


def test_search_tags_and_companies(chief):
    TagFactory(name="AI Safety & Alignment", slug="ai-safety")
    TagFactory(name="Robotics")
    CompanyFactory(name="OpenAI", slug="openai")
    CompanyFactory(name="Intel")

    assert set(rows(chief.get(TAGS, {"q": "safety"}))) == {"AI Safety & Alignment"}
    assert set(rows(chief.get(COMPANIES, {"q": "openai"}))) == {"OpenAI"}


def test_tags_and_companies_answer_the_autocomplete(chief):
    TagFactory(name="Generative AI")
    CompanyFactory(name="Google DeepMind")

    tags = chief.get(
        "/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": "tags", "term": "gener"},
    ).json()
    companies = chief.get(
        "/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": "company", "term": "deep"},
    ).json()

    assert [r["text"] for r in tags["results"]] == ["Generative AI"]
    assert [r["text"] for r in companies["results"]] == ["Google DeepMind"]


# Merging tags


def test_merge_asks_for_the_target_first(chief):
    genai, dup = TagFactory(name="Generative AI"), TagFactory(name="GenAI")
    ArticleFactory(tags=[dup])

    response = merge(chief, TAGS, [dup])

    assert response.status_code == 200
    assert response.templates[0].name == "admin/newsroom_merge.html"
    html = response.content.decode()
    assert "GenAI" in html and "1 article" in html
    assert 'name="target"' in html and 'data-field-name="tags"' in html
    assert Tag.objects.filter(pk=dup.pk).exists()  # nothing merged yet
    assert genai.pk


def test_merge_tags_moves_every_link_without_duplicates(chief, superuser):
    target, dup = TagFactory(name="Generative AI"), TagFactory(name="GenAI", slug="genai")
    both = ArticleFactory(tags=[target, dup])
    only_dup = ArticleFactory(tags=[dup])
    only_target = ArticleFactory(tags=[target])

    response = merge(chief, TAGS, [dup], target=target)

    assert not Tag.objects.filter(pk=dup.pk).exists()
    for article in (both, only_dup, only_target):
        assert list(article.tags.all()) == [target]
    assert ArticleTag.objects.filter(tag=target).count() == 3
    assert "Merged 1 tag into “Generative AI”: 2 articles relinked." in response.content.decode()
    entries = LogEntry.objects.filter(user=superuser)
    assert entries.filter(action_flag=DELETION, object_repr="GenAI").exists()
    change = entries.get(action_flag=CHANGE, object_id=str(target.pk))
    assert "GenAI" in change.get_change_message() and "(genai)" in change.get_change_message()


def test_merge_several_tags_at_once(chief):
    target = TagFactory()
    dups = TagFactory.create_batch(3)
    article = ArticleFactory(tags=dups)

    merge(chief, TAGS, dups, target=target)

    assert list(article.tags.all()) == [target]
    assert Tag.objects.count() == 1


def test_merge_into_one_of_the_merged_is_refused(chief):
    a, b = TagFactory(), TagFactory()

    response = merge(chief, TAGS, [a, b], target=b)

    assert response.status_code == 200
    assert "Choose one that is not among those being merged." in response.content.decode()
    assert Tag.objects.count() == 2


# Merging companies


def test_merge_companies_moves_every_article_and_fills_blanks(chief):
    target = CompanyFactory(name="OpenAI", website_url="")
    dup = CompanyFactory(name="Open AI", website_url="https://openai.com", logo_url="")
    theirs = ArticleFactory.create_batch(2, company=dup)
    ours = ArticleFactory(company=target)

    response = merge(chief, COMPANIES, [dup], target=target)

    assert not Company.objects.filter(pk=dup.pk).exists()
    assert set(Article.objects.filter(company=target)) == {*theirs, ours}
    target.refresh_from_db()
    assert target.website_url == "https://openai.com"
    assert "2 articles relinked" in response.content.decode()


def test_editor_merges_but_a_moderator_cannot(editor_client, moderator_client):
    target, dup = TagFactory(), TagFactory()

    assert merge(moderator_client, TAGS, [dup], target=target).status_code == 403
    merge(editor_client, TAGS, [dup], target=target)

    assert not Tag.objects.filter(pk=dup.pk).exists()
