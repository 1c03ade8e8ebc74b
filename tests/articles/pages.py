"""Reading the feed the way a client does: every page, by its `next` link."""

FEED = "/api/v1/articles/"


def walk(api, params) -> list[str]:
    """Every slug of the filtered feed, page after page."""
    response = api.get(FEED, params)
    seen = []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen.extend(item["slug"] for item in body["results"])
        if not body["next"]:
            return seen
        response = api.get(body["next"])
