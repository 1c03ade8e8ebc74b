from django.apps import apps
from django.contrib.auth.models import Group, Permission

from articles.models import Status
from tests.admin.conftest import client_for, roles_migration
from tests.factories import ArticleFactory, CommentFactory, CompanyFactory, StaffFactory, TagFactory

EDITORS = {
    f"{app}.{verb}_{model}"
    for app, model in [
        ("articles", "article"),
        ("articles", "takeaway"),
        ("articles", "tag"),
        ("articles", "articletag"),
        ("companies", "company"),
    ]
    for verb in ("add", "change", "delete", "view")
}
MODERATORS = {
    "comments.view_comment",
    "comments.change_comment",
    "comments.deactivate_commenter",
    "articles.view_article",
}


def permissions(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def index(client) -> dict[str, list[str]]:
    """The admin index as its user sees it: app label -> model names."""
    response = client.get("/admin/")
    assert response.status_code == 200
    return {
        app["app_label"]: sorted(model["object_name"] for model in app["models"])
        for app in response.context["app_list"]
    }


def test_the_migration_makes_both_roles_with_exactly_their_permissions(db):
    # What the data migration runs (`migrate` ran it on the test database, but a transactional
    # test's flush, earlier in the same process, empties the groups with every table).
    roles_migration.roles_sync(apps, None)
    assert permissions("Editors") == EDITORS
    assert permissions("Moderators") == MODERATORS


def test_syncing_the_roles_again_resets_them(db):
    roles_migration.roles_sync(apps, None)
    editors = Group.objects.get(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="change_comment"))

    roles_migration.roles_sync(apps, None)

    assert permissions("Editors") == EDITORS
    assert Group.objects.filter(name__in=["Editors", "Moderators"]).count() == 2


def test_editor_index_shows_newsroom_content_not_comments(editor_client):
    assert index(editor_client) == {
        "articles": ["Article", "Tag"],
        "companies": ["Company"],
        "webhooks": ["DeliveryAttempt", "Endpoint"],  # webhooks/admin.py: Editors only
    }


def test_moderator_index_shows_comments_and_articles_to_read(moderator_client):
    assert index(moderator_client) == {
        "admin": ["LogEntry"],
        "articles": ["Article"],
        "comments": ["Comment", "CommentWord"],
    }


def test_staff_without_a_role_sees_an_empty_admin(db):
    client = client_for(StaffFactory())

    response = client.get("/admin/")

    assert response.context["app_list"] == []
    assert "You don\u2019t have permission to view or edit anything." in response.content.decode()
    for url in (
        "/admin/articles/article/",
        "/admin/articles/tag/",
        "/admin/companies/company/",
        "/admin/comments/comment/",
        "/admin/auth/user/",
        "/admin/admin/logentry/",
        "/admin/webhooks/endpoint/",
        "/admin/webhooks/deliveryattempt/",
    ):
        assert client.get(url).status_code == 403, url


def test_editor_changes_articles_and_not_comments(editor_client):
    article = ArticleFactory(status=Status.DRAFT)
    comment = CommentFactory()

    assert editor_client.get(f"/admin/articles/article/{article.pk}/change/").status_code == 200
    assert editor_client.get("/admin/articles/article/add/").status_code == 200
    assert editor_client.get(f"/admin/articles/tag/{TagFactory().pk}/change/").status_code == 200
    company = CompanyFactory()
    assert editor_client.get(f"/admin/companies/company/{company.pk}/change/").status_code == 200
    response = editor_client.post(
        "/admin/articles/article/",
        {"action": "publish_now", "_selected_action": [article.pk], "index": 0},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED

    assert editor_client.get("/admin/comments/comment/").status_code == 403
    assert editor_client.get(f"/admin/comments/comment/{comment.pk}/change/").status_code == 403
    assert (
        editor_client.post(
            f"/admin/comments/comment/{comment.pk}/change/", {"status": "hidden"}
        ).status_code
        == 403
    )
    assert editor_client.get("/admin/auth/user/").status_code == 403


def test_moderator_changes_comments_and_only_reads_articles(moderator_client):
    article = ArticleFactory(status=Status.DRAFT, title="Untouched")
    live = ArticleFactory(title="Live")
    comment = CommentFactory()

    assert moderator_client.get("/admin/comments/comment/").status_code == 200
    moderator_client.post(f"/admin/comments/comment/{comment.pk}/change/", {"status": "hidden"})
    comment.refresh_from_db()
    assert comment.status == "hidden"

    page = moderator_client.get(f"/admin/articles/article/{live.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False  # read-only
    assert (
        moderator_client.post(
            f"/admin/articles/article/{live.pk}/change/", {"title": "Defaced"}
        ).status_code
        == 403
    )
    live.refresh_from_db()
    assert live.title == "Live"
    response = moderator_client.post(
        "/admin/articles/article/",
        {"action": "publish_now", "_selected_action": [article.pk], "index": 0},
    )
    assert response.status_code in {200, 302}  # no such action for them: nothing happens
    article.refresh_from_db()
    assert (article.status, article.title) == (Status.DRAFT, "Untouched")
    assert moderator_client.get("/admin/articles/article/add/").status_code == 403
    assert moderator_client.get("/admin/articles/tag/").status_code == 403
    assert moderator_client.get("/admin/companies/company/").status_code == 403
    assert moderator_client.get("/admin/auth/user/").status_code == 403


def test_a_moderator_reading_an_article_sees_its_tags_in_order(moderator_client):
    robotics, safety = TagFactory(name="Robotics"), TagFactory(name="AI Safety")
    article = ArticleFactory(tags=[robotics, safety])

    response = moderator_client.get(f"/admin/articles/article/{article.pk}/change/")

    html = response.content.decode()
    shown = [
        f'<a href="/admin/articles/tag/{tag.pk}/change/">{tag.name}</a>'
        for tag in (robotics, safety)
    ]
    assert all(link in html for link in shown)
    assert html.index(shown[0]) < html.index(shown[1])  # the editors' order, not by name
    assert 'name="article_tags-0-tag"' not in html  # read-only: nothing to post


def test_the_admin_asks_the_apis_rule_for_articles_and_comments(editor, moderator, superuser):
    """botbeat.roles decides here as in the API: a Moderator (who views articles) does not find
    drafts or their comments; an Editor finds drafts; a superuser finds everything."""
    draft = ArticleFactory(status=Status.DRAFT, title="Unannounced model")
    on_draft = CommentFactory(article=draft, body="Early comment")
    CommentFactory(body="Public comment")

    def found(user, path: str, text: str) -> bool:
        response = client_for(user).get(path)
        return response.status_code == 200 and text in response.content.decode()

    articles, comments = "/admin/articles/article/", "/admin/comments/comment/"
    assert found(editor, articles, "Unannounced model")
    assert not found(moderator, articles, "Unannounced model")
    assert client_for(moderator).get(f"{articles}{draft.pk}/change/").status_code == 302
    assert found(superuser, articles, "Unannounced model")
    assert found(moderator, comments, "Public comment")
    assert not found(moderator, comments, "Early comment")
    assert client_for(moderator).get(f"{comments}{on_draft.pk}/change/").status_code == 302
    assert found(superuser, comments, "Early comment")
