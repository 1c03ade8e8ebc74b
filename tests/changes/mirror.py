"""A client of the change feed that mirrors the public collection, and the collection itself
as the public GETs show it: what the property test compares."""

from django.contrib.auth.models import AnonymousUser

from articles.models import Article, Tag
from comments.models import Comment
from companies.models import Company

PUBLIC = AnonymousUser()


class Mirror:
    """An empty store keyed by (kind, key), kept by reading the feed page by page."""

    def __init__(self, api, page_size: int = 3, **filters):
        self.api = api
        self.page_size = page_size
        self.filters = filters
        self.since: str | None = None
        self.store: dict[tuple[str, str], dict] = {}
        self.seen: list[int] = []

    def sync(self) -> int:
        """Read every page from `since`; how many changes came."""
        read = 0
        while True:
            params = {"page_size": self.page_size, **self.filters}
            if self.since is not None:
                params["since"] = self.since
            response = self.api.get("/api/v1/changes/", params)
            assert response.status_code == 200, response.content
            body = response.json()
            assert len(body["results"]) <= self.page_size
            for change in body["results"]:
                assert not self.seen or change["id"] > self.seen[-1], "out of order, or twice"
                self.seen.append(change["id"])
                kind = change["type"].partition(".")[0]
                if change["data"] is None:
                    self.store.pop((kind, change["key"]), None)
                else:
                    self.store[(kind, change["key"])] = change["data"]
            read += len(body["results"])
            assert body["next_since"]
            self.since = body["next_since"]
            if not body["has_more"]:
                return read


def public_collection(api) -> dict[tuple[str, str], dict]:
    """Every resource the public sees, as its own GET shows it, keyed as the feed keys it."""
    found: dict[tuple[str, str], dict] = {}
    for slug in Article.objects.published().values_list("slug", flat=True):
        found[("article", slug)] = get(api, f"/api/v1/articles/{slug}/")
    for slug in Company.objects.visible_to(PUBLIC).values_list("slug", flat=True):
        found[("company", slug)] = get(api, f"/api/v1/companies/{slug}/")
    for slug in Tag.objects.visible_to(PUBLIC).values_list("slug", flat=True):
        found[("tag", slug)] = get(api, f"/api/v1/tags/{slug}/")
    for pk in Comment.objects.values_list("pk", flat=True):
        response = api.get(f"/api/v1/comments/{pk}/")
        if response.status_code == 200:
            found[("comment", str(pk))] = response.json()
        else:
            assert response.status_code == 404
    return found


def get(api, path: str) -> dict:
    response = api.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.json()
