import datetime as dt

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import LINK_ORDER, Article, Status, Tag, Takeaway
from comments.models import Comment
from tests.admin.conftest import list_queries
from tests.factories import ArticleFactory, CommentFactory, CompanyFactory, TagFactory

LIST = "/admin/articles/article/"
ADD = "/admin/articles/article/add/"


def change_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


def listed(response) -> list[str]:
    """The titles of the articles on a list page, in order."""
    return [str(article) for article in response.context["cl"].result_list]


def form_data(*, company, article=None, tags=None, takeaways=(), existing=(), **fields) -> dict:
    """What the article form posts: the fields, then the tags' and the takeaways' inline
    formsets.

    `tags`: the article's tags wanted, in order (None: its links as they are), posted as an
    editor gives them (tag_rows); `article`: the article changed, whose links are the tags'
    existing rows. `takeaways`: new rows, (order or None, text); `existing`: (takeaway, order,
    text, delete).
    """
    data = {
        "title": "Anthropic ships a new model",
        "slug": "anthropic-ships-a-new-model",
        "company": company.pk,
        "category": "product_launch",
        **tag_rows(article, tags),
        "status": Status.DRAFT,
        "published_at_0": "2026-06-18",
        "published_at_1": "09:30:00",
        "comments_open": "on",
        "summary": "A summary.",
        "editorial_opinion": "An opinion.",
        "source_name": "Hacker News",
        "source_url": "https://example.com/story",
        "authors": "Ada Lovelace\nAlan Turing",
        "takeaways-TOTAL_FORMS": len(existing) + len(takeaways),
        "takeaways-INITIAL_FORMS": len(existing),
        "takeaways-MIN_NUM_FORMS": 0,
        "takeaways-MAX_NUM_FORMS": 1000,
    }
    for i, (takeaway, order, text, delete) in enumerate(existing):
        data |= {
            f"takeaways-{i}-id": takeaway.pk,
            f"takeaways-{i}-article": takeaway.article_id,
            f"takeaways-{i}-order": "" if order is None else order,
            f"takeaways-{i}-text": text,
        }
        if delete:
            data[f"takeaways-{i}-DELETE"] = "on"
    for i, (order, text) in enumerate(takeaways, start=len(existing)):
        data |= {
            f"takeaways-{i}-order": "" if order is None else order,
            f"takeaways-{i}-text": text,
        }
    return data | fields


def tag_rows(article, tags) -> dict:
    """The tags' inline formset as an editor posts it to have `tags` in that order: each row of
    a linked tag numbered by its place, or deleted when not wanted; a new row for each tag not
    linked yet, numbered too. `tags` None: the rows as the page shows them, untouched."""
    links = list(article.article_tags.order_by(*LINK_ORDER)) if article is not None else []
    wanted = [link.tag for link in links] if tags is None else list(tags)
    data = {
        "article_tags-INITIAL_FORMS": len(links),
        "article_tags-MIN_NUM_FORMS": 0,
        "article_tags-MAX_NUM_FORMS": 1000,
    }
    for i, link in enumerate(links):
        data |= {
            f"article_tags-{i}-id": link.pk,
            f"article_tags-{i}-article": link.article_id,
            f"article_tags-{i}-tag": link.tag_id,
        }
        if link.tag in wanted:
            data[f"article_tags-{i}-order"] = wanted.index(link.tag)
        else:
            data[f"article_tags-{i}-DELETE"] = "on"
    linked = {link.tag for link in links}
    new = [tag for tag in wanted if tag not in linked]
    for i, tag in enumerate(new, start=len(links)):
        data |= {f"article_tags-{i}-tag": tag.pk, f"article_tags-{i}-order": wanted.index(tag)}
    data["article_tags-TOTAL_FORMS"] = len(links) + len(new)
    return data


def texts(article) -> list[str]:
    return list(article.takeaways.order_by("position").values_list("text", flat=True))


# The list


def test_list_tells_drafts_scheduled_and_published_apart(chief):
    now = timezone.now()
    ArticleFactory(title="The draft", status=Status.DRAFT)
    ArticleFactory(title="The scheduled one", published_at=now + dt.timedelta(days=2))
    live = ArticleFactory(title="The live one", company__name="OpenAI")
    CommentFactory.create_batch(2, article=live)
    CommentFactory(article=live, status=Comment.Status.HIDDEN)

    response = chief.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="newsroom-badge newsroom-draft">Draft</span>' in html
    assert '<span class="newsroom-badge newsroom-scheduled">Scheduled</span>' in html
    assert '<span class="newsroom-badge newsroom-published">Published</span>' in html
    assert "OpenAI" in html
    # Visible comments only, linking to the moderation queue of this article.
    assert f'<a href="/admin/comments/comment/?article={live.pk}">2</a>' in html
    assert f'href="/api/v1/articles/{live.slug}/"' in html
    # Newest publication time first: the scheduled one is ahead of the rest.
    assert listed(response) == ["The scheduled one", "The live one", "The draft"]


@pytest.mark.parametrize("rows", [1, 20])
def test_list_queries_do_not_grow_with_rows(chief, superuser, rows, django_assert_num_queries):
    for _ in range(rows):
        article = ArticleFactory(tags=[TagFactory()], takeaways=["one", "two"])
        CommentFactory(article=article)

    # session, user, count, the page (company joined, comment counts annotated)
    with django_assert_num_queries(list_queries(4, unfiltered=True)):
        response = chief.get(LIST)

    assert len(listed(response)) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_filtered_list_queries_do_not_grow_with_rows(chief, rows, django_assert_num_queries):
    company, tag = CompanyFactory(), TagFactory()
    ArticleFactory.create_batch(rows, company=company, tags=[tag])
    ArticleFactory()  # another company's

    # session, user, the chosen company's and tag's names, count, the page
    with django_assert_num_queries(6):
        response = chief.get(LIST, {"company": company.pk, "tag": tag.pk, "state": "published"})

    assert len(listed(response)) == rows


def test_editor_sees_comment_counts_without_links(editor_client):
    article = ArticleFactory()
    CommentFactory(article=article)

    html = editor_client.get(LIST).content.decode()

    assert "/admin/comments/comment/" not in html  # editors do not moderate


@pytest.mark.parametrize(
    ("state", "expected"),
    [("draft", {"draft"}), ("scheduled", {"scheduled"}), ("published", {"published"})],
)
def test_filter_by_state(chief, state, expected):
    ArticleFactory(title="draft", status=Status.DRAFT)
    ArticleFactory(title="scheduled", published_at=timezone.now() + dt.timedelta(hours=1))
    ArticleFactory(title="published")

    response = chief.get(LIST, {"state": state})

    assert set(listed(response)) == expected


def test_filter_by_category(chief):
    ArticleFactory(title="research", category="research")
    ArticleFactory(title="funding", category="funding")

    assert listed(chief.get(LIST, {"category__exact": "funding"})) == ["funding"]


def test_filter_by_company_shows_a_search_box_with_the_chosen_company(chief):
    openai = CompanyFactory(name="OpenAI")
    ArticleFactory(title="theirs", company=openai)
    ArticleFactory(title="another's")

    response = chief.get(LIST, {"company": openai.pk})

    assert listed(response) == ["theirs"]
    html = response.content.decode()
    # The select2 box of the autocomplete view, holding the chosen company; no list of them.
    assert 'data-model-name="article"' in html
    assert 'data-field-name="company"' in html
    assert f'<option value="{openai.pk}" selected>OpenAI</option>' in html


def test_filter_by_tag(chief):
    safety, other = TagFactory(name="AI Safety"), TagFactory()
    ArticleFactory(title="tagged", tags=[safety, other])
    ArticleFactory(title="untagged", tags=[other])

    response = chief.get(LIST, {"tag": safety.pk})

    assert listed(response) == ["tagged"]  # once, though it has two tags
    assert 'data-field-name="tags"' in response.content.decode()


def test_filter_by_publication_date(chief):
    ArticleFactory(title="today", published_at=timezone.now())  # the factory's "an hour ago"
    ArticleFactory(title="last year", published_at=timezone.now() - dt.timedelta(days=400))
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

    # What the filter's "Today" link asks for.
    response = chief.get(
        LIST,
        {"published_at__gte": str(today), "published_at__lt": str(today + dt.timedelta(days=1))},
    )

    assert listed(response) == ["today"]


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999"])
def test_a_malformed_filter_value_is_refused_not_a_crash(chief, value):
    response = chief.get(LIST, {"company": value})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_search_by_title(chief):
    ArticleFactory(title="OpenAI researchers advance alignment")
    ArticleFactory(title="Intel ships a chip")

    response = chief.get(LIST, {"q": "alignment"})

    assert listed(response) == ["OpenAI researchers advance alignment"]


def test_search_by_slug(chief):
    ArticleFactory(title="One", slug="the-exact-slug")
    ArticleFactory(title="Two")

    assert listed(chief.get(LIST, {"q": "the-exact-slug"})) == ["One"]


@pytest.mark.postgres
def test_search_uses_the_full_text_index_with_a_prefix(chief):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    ArticleFactory(title="Reinforcement learning for models", takeaways=["Plain words."])
    ArticleFactory(title="Something else", takeaways=["Mentions reinforcement too."])
    ArticleFactory(title="Unrelated")

    found = set(listed(chief.get(LIST, {"q": "reinforc"})))

    assert found == {"Reinforcement learning for models", "Something else"}


# Adding and changing


def test_add_an_article_with_takeaways_tags_and_authors(chief, superuser):
    company, tags = CompanyFactory(), [TagFactory(), TagFactory()]
    data = form_data(
        company=company,
        tags=tags,
        takeaways=[(None, "First."), (None, "Second."), (None, "Third.")],
    )

    response = chief.post(ADD, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(slug="anthropic-ships-a-new-model")
    assert article.status == Status.DRAFT
    assert article.company == company
    assert list(article.tags_in_order) == tags
    assert texts(article) == ["First.", "Second.", "Third."]
    assert list(article.takeaways.values_list("position", flat=True)) == [0, 1, 2]
    assert article.authors == ["Ada Lovelace", "Alan Turing"]
    entry = LogEntry.objects.get(object_id=str(article.pk))
    assert (entry.action_flag, entry.user) == (ADDITION, superuser)


def test_add_published_publishes_through_the_service(chief):
    data = form_data(company=CompanyFactory(), takeaways=[(None, "One.")], status="published")

    chief.post(ADD, data)

    article = Article.objects.get()
    assert article.status == Status.PUBLISHED
    assert article.published_at == dt.datetime(2026, 6, 18, 9, 30, tzinfo=dt.UTC)


def test_the_add_form_prefills_the_slug_from_the_title_and_has_three_takeaway_rows(chief):
    response = chief.get(ADD)

    (prepopulated,) = response.context["adminform"].prepopulated_fields
    assert prepopulated["field"].name == "slug"
    assert [field.name for field in prepopulated["dependencies"]] == ["title"]
    assert response.context["inline_admin_formsets"][0].formset.total_form_count() == 3


def test_a_new_tag_can_be_added_from_the_article_form(editor_client):
    html = editor_client.get(ADD).content.decode()

    # The admin's "+" beside each tag row: the tag's add form in a popup, chosen on return.
    assert 'id="add_id_article_tags-0-tag"' in html
    assert "/admin/articles/tag/add/?_to_field=id&amp;_popup=1" in html


def test_reorder_delete_and_append_takeaways(chief):
    article = ArticleFactory(takeaways=["A", "B", "C"])
    a, b, c = article.takeaways.order_by("position")
    data = form_data(
        article=article,
        company=article.company,
        title=article.title,
        slug=article.slug,
        status="published",
        existing=[(a, 2, "A", False), (b, 0, "B edited", False), (c, 1, "C", True)],
        takeaways=[(None, "D"), (0, "E")],
    )

    response = chief.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    # order: B (0), E (0, later on the page), A (2), D (blank: last); C deleted.
    assert texts(article) == ["B edited", "E", "A", "D"]
    assert list(article.takeaways.values_list("position", flat=True)) == [0, 1, 2, 3]
    assert Takeaway.objects.filter(pk=a.pk, position=2).exists()  # ids kept
    entry = LogEntry.objects.get(object_id=str(article.pk), action_flag=CHANGE)
    assert "takeaway" in entry.get_change_message()


def test_swapping_two_takeaways_does_not_collide(chief):
    article = ArticleFactory(takeaways=["A", "B"])
    a, b = article.takeaways.order_by("position")
    data = form_data(
        article=article,
        company=article.company,
        title=article.title,
        slug=article.slug,
        status="published",
        existing=[(a, 1, "A", False), (b, 0, "B", False)],
    )

    chief.post(change_url(article), data)

    assert texts(article) == ["B", "A"]


def test_change_form_shows_state_api_link_and_tags(chief):
    tag = TagFactory(name="Generative AI")
    article = ArticleFactory(tags=[tag], published_at=timezone.now() + dt.timedelta(days=1))

    html = chief.get(change_url(article)).content.decode()

    assert "newsroom-scheduled" in html
    assert f'href="/api/v1/articles/{article.slug}/"' in html
    assert "(staff only until published)" in html
    assert f'<option value="{tag.pk}" selected>Generative AI</option>' in html


def test_changing_tags_through_the_form(chief):
    kept, dropped, added = TagFactory(), TagFactory(), TagFactory()
    article = ArticleFactory(tags=[kept, dropped])
    data = form_data(
        article=article,
        company=article.company,
        title=article.title,
        slug=article.slug,
        status="published",
        tags=[kept, added],
    )

    chief.post(change_url(article), data)

    assert set(article.tags.all()) == {kept, added}


# The tags' order: the inline's rows, numbered


def tag_order(article) -> list[str]:
    """The article's tags as the API shows them."""
    return [tag.slug for tag in Article.objects.get(pk=article.pk).tags_in_order]


def test_add_an_article_with_its_tags_in_the_order_given(chief, api):
    robotics, agents, safety = (TagFactory(slug=s) for s in ("robotics", "agents", "safety"))
    data = form_data(company=CompanyFactory(), tags=[safety, robotics, agents], status="published")

    response = chief.post(ADD, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert tag_order(article) == ["safety", "robotics", "agents"]
    detail = api.get(f"/api/v1/articles/{article.slug}/").json()
    assert [tag["slug"] for tag in detail["tags"]] == ["safety", "robotics", "agents"]
    assert sorted(article.article_tags.values_list("position", flat=True)) == [0, 1, 2]


def test_the_change_form_lists_the_tags_in_order_with_their_numbers(chief):
    zeta, alpha = TagFactory(name="Zeta"), TagFactory(name="Alpha")
    article = ArticleFactory(tags=[zeta, alpha])

    response = chief.get(change_url(article))

    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "article_tags"
    ]
    rows = [(form.instance.tag.name, form.initial.get("order")) for form in formset.initial_forms]
    assert rows == [("Zeta", 0), ("Alpha", 1)]


def test_reorder_delete_and_append_tags_through_the_form(chief, superuser):
    # given an article with four tags
    a, b, c, d, e = (TagFactory(slug=s) for s in "abcde")
    article = ArticleFactory(tags=[a, b, c, d])
    rows = {link.tag: link for link in article.article_tags.all()}
    data = form_data(article=article, company=article.company, title=article.title,
                     slug=article.slug, status="published")  # fmt: skip

    # when the editor numbers them d 0, b 1, a 5, deletes c, adds e without a number
    for i, tag in enumerate([a, b, c, d]):
        assert data[f"article_tags-{i}-id"] == rows[tag].pk
    data |= {
        "article_tags-0-order": 5,
        "article_tags-1-order": 1,
        "article_tags-2-DELETE": "on",
        "article_tags-3-order": 0,
        "article_tags-4-tag": e.pk,
        "article_tags-4-order": "",
        "article_tags-TOTAL_FORMS": 5,
    }
    response = chief.post(change_url(article), data)

    # then they are in that order, the blank one last, renumbered; kept links keep their rows
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert tag_order(article) == ["d", "b", "a", "e"]
    assert dict(article.article_tags.values_list("tag__slug", "position")) == {
        "d": 0,
        "b": 1,
        "a": 2,
        "e": 3,
    }
    assert article.article_tags.get(tag=a).pk == rows[a].pk
    assert Tag.objects.get(pk=c.pk).published_count == 0
    assert Tag.objects.get(pk=e.pk).published_count == 1
    entry = LogEntry.objects.get(object_id=str(article.pk), action_flag=CHANGE)
    assert "tag" in entry.get_change_message()


def test_only_the_numbers_change_and_the_order_follows(chief):
    a, b = TagFactory(slug="a"), TagFactory(slug="b")
    article = ArticleFactory(tags=[a, b])

    data = form_data(article=article, company=article.company, title=article.title,
                     slug=article.slug, status="published", tags=[b, a])  # fmt: skip
    response = chief.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert tag_order(article) == ["b", "a"]


def test_the_same_tag_on_two_rows_is_refused_and_nothing_changes(chief):
    a, b = TagFactory(slug="a"), TagFactory(slug="b")
    article = ArticleFactory(tags=[a, b])
    data = form_data(article=article, company=article.company, title=article.title,
                     slug=article.slug, status="published")  # fmt: skip
    data |= {"article_tags-2-tag": a.pk, "article_tags-2-order": 0, "article_tags-TOTAL_FORMS": 3}

    response = chief.post(change_url(article), data)

    assert response.status_code == 200
    errors = [formset.non_form_errors() for formset in response.context["inline_admin_formsets"]]
    assert any("duplicate" in str(error) for error in errors)
    assert tag_order(article) == ["a", "b"]


def test_a_tag_deleted_from_one_row_may_be_chosen_on_another(chief):
    a, b = TagFactory(slug="a"), TagFactory(slug="b")
    article = ArticleFactory(tags=[a, b])
    data = form_data(article=article, company=article.company, title=article.title,
                     slug=article.slug, status="published")  # fmt: skip
    data |= {
        "article_tags-0-DELETE": "on",
        "article_tags-2-tag": a.pk,
        "article_tags-2-order": 9,
        "article_tags-TOTAL_FORMS": 3,
    }

    response = chief.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert tag_order(article) == ["b", "a"]


def test_an_untouched_tags_inline_writes_no_link(chief):
    article = ArticleFactory(tags=[TagFactory(), TagFactory()])
    data = form_data(article=article, company=article.company, title="A new title",
                     slug=article.slug, status="published")  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        response = chief.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    link_writes = [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and "articletag" in q["sql"]
    ]
    assert link_writes == []


def test_an_editor_orders_the_tags_through_the_article_s_permission(editor_client):
    a, b = TagFactory(slug="a"), TagFactory(slug="b")
    article = ArticleFactory(tags=[a, b])
    data = form_data(article=article, company=article.company, title=article.title,
                     slug=article.slug, status="published", tags=[b, a])  # fmt: skip

    response = editor_client.post(change_url(article), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert tag_order(article) == ["b", "a"]


def test_unpublishing_through_the_form_keeps_the_planned_time(chief):
    article = ArticleFactory()
    planned = article.published_at
    data = form_data(
        article=article,
        company=article.company,
        title=article.title,
        slug=article.slug,
        status="draft",
        published_at_0=planned.date().isoformat(),
        published_at_1=planned.time().isoformat(),
    )

    chief.post(change_url(article), data)

    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert abs(article.published_at - planned) < dt.timedelta(seconds=1)


@pytest.mark.postgres
def test_saving_refreshes_the_search_vector(chief):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    article = ArticleFactory(title="Old title")
    data = form_data(
        article=article,
        company=article.company,
        title="Quantum annealing",
        slug=article.slug,
        status="published",
        takeaways=[(None, "Photonic interconnects.")],
    )

    chief.post(change_url(article), data)

    found = Article.objects.filter(search_vector="photonic").filter(search_vector="annealing")
    assert list(found) == [article]


# Actions


def act(client, action: str, articles, **extra):
    return client.post(
        LIST,
        {"action": action, "_selected_action": [a.pk for a in articles], "index": 0} | extra,
        follow=True,
    )


def test_publish_now(chief, superuser):
    now = timezone.now()
    draft = ArticleFactory(status=Status.DRAFT, published_at=now + dt.timedelta(days=3))
    scheduled = ArticleFactory(published_at=now + dt.timedelta(days=3))
    live = ArticleFactory(published_at=now - dt.timedelta(days=3))
    live_since = live.published_at

    response = act(chief, "publish_now", [draft, scheduled, live])

    for article in (draft, scheduled, live):
        article.refresh_from_db()
        assert article.is_public
    assert draft.published_at <= timezone.now()
    assert scheduled.published_at <= timezone.now()
    assert live.published_at == live_since  # "publish now" does not move a live article
    assert "Published 2 articles. 1 was live already." in response.content.decode()
    logged = LogEntry.objects.filter(user=superuser, action_flag=CHANGE)
    assert {int(e.object_id) for e in logged} == {draft.pk, scheduled.pk}


def test_unpublish(chief):
    live = ArticleFactory()
    draft = ArticleFactory(status=Status.DRAFT)

    response = act(chief, "unpublish", [live, draft])

    live.refresh_from_db()
    assert live.status == Status.DRAFT
    assert "Unpublished 1 article. 1 was drafts already." in response.content.decode()


def test_publish_now_costs_the_same_few_queries_per_article(chief):
    # Each article goes through the service (savepoint, lock, update, release, five for the
    # published counts: its links before and after, its company's recount, and its record in
    # the admin's log); the page's own queries do not grow.
    def cost(rows: int) -> int:
        articles = ArticleFactory.create_batch(rows, status=Status.DRAFT)
        with CaptureQueriesContext(connection) as queries:
            act(chief, "publish_now", articles)
        return len(queries)

    # The outbox's own (changes.outbox.touched): what it announced of the article, the
    # article and its tags (3); what it announced of its company, tags and comments, the
    # comments that come with it, the company's visibility (3); the changes, their scopes and
    # the announced state written (3 on SQLite; on PostgreSQL the feed's lock, the changes'
    # ids, then one statement). Cached from the first run on: the admin's content type.
    outbox = 9
    cost(1)
    one, twenty = cost(1), cost(20)

    assert twenty - one == 19 * (10 + outbox)
    assert Article.objects.published().count() == 22


def test_a_publication_through_the_form_is_recorded_once_by_its_service(chief):
    """The form records the fields it saved; the status change is article_unpublish's to
    record, once: no "Changed Status" beside it."""
    hour_ago = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    article = ArticleFactory(published_at=hour_ago)
    planned = timezone.localtime(article.published_at)  # as the form shows it
    data = form_data(
        article=article,
        company=article.company,
        title="A new title",
        slug=article.slug,
        status="draft",
        published_at_0=planned.date().isoformat(),
        published_at_1=planned.time().isoformat(),
    )

    chief.post(change_url(article), data)

    messages = [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(object_id=str(article.pk)).order_by("pk")
    ]
    assert messages[0] == "Unpublished."
    assert len(messages) == 2 and messages[1].startswith("Changed Title")
    assert "Status" not in messages[1]

    data["status"] = "published"
    chief.post(change_url(article), data)  # the status alone changes
    messages = [entry.get_change_message() for entry in LogEntry.objects.order_by("pk")]
    assert [m for m in messages if m.startswith("Published")] == [messages[2]], messages
    assert not [m for m in messages if "Status" in m], messages
