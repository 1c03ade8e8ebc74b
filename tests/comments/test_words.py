"""The word lists (banned, suspect), matched on words, case- and accent-folded; and the
duplicate window."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry

from comments.models import Comment, CommentWord
from comments.words import entry_of, fold, judge, words_of
from tests.comments.conftest import comment_count, comment_url, snapshot, thread_url
from tests.factories import ArticleFactory, ModeratorFactory, ThreadedCommentFactory, UserFactory

BANNED, SUSPECT = CommentWord.Kind.BANNED, CommentWord.Kind.SUSPECT


def listed(word: str, kind: str) -> CommentWord:
    return CommentWord.objects.create(word=entry_of(word), kind=kind)


def test_folding_drops_case_and_accents():
    assert fold("CAFÉ Ñandú") == "cafe nandu"
    assert words_of("Ça va? Très-bien, MERCI!") == ["ca", "va", "tres", "bien", "merci"]
    assert entry_of("  Buy   NOW ") == "buy now"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "banned"),
    [
        ("I grew up in Scunthorpe.", False),  # the list holds its middle: not a word of it
        ("Cunt.", True),
        ("what a CUNT", True),
        ("a cünt, with an accent", True),
        ("cunts", False),  # another word
        ("class assignment", False),
    ],
)
def test_banned_words_match_words_not_substrings(body, banned):
    listed("cunt", BANNED)

    assert judge(body).banned is banned


@pytest.mark.django_db
def test_a_phrase_matches_its_words_in_sequence():
    listed("buy now", SUSPECT)

    assert judge("Great deal: BUY, now!").suspect
    assert not judge("Now buy it").suspect
    assert not judge("buynow").suspect


@pytest.fixture
def article(db):
    return ArticleFactory()


@pytest.fixture
def reader(db, bearer_api):
    user = UserFactory()
    return user, bearer_api(user)


def post(client, article, body: str, **extra):
    return client.post(thread_url(article), {"body": body, **extra}, format="json")


def test_a_banned_word_refuses_the_comment_naming_no_word(article, reader):
    listed("Verboten", BANNED)
    before = snapshot()

    response = post(reader[1], article, "This is VERBOTEN talk.")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("body", "banned_word")]
    assert "verboten" not in response.content.decode().lower()
    assert snapshot() == before


def test_scunthorpe_passes_a_list_holding_its_middle(article, reader):
    listed("cunt", BANNED)
    listed("thor", SUSPECT)

    response = post(reader[1], article, "Greetings from Scunthorpe!")

    assert response.status_code == 201 and response.json()["status"] == "visible"


def test_a_suspect_word_holds_the_comment_for_approval(article, reader, bearer_api):
    listed("crypto", SUSPECT)
    client = reader[1]

    response = post(client, article, "Buy my Crypto today")

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["body"] == "Buy my Crypto today"  # its author sees what they wrote
    comment = Comment.objects.get(pk=response.json()["id"])
    assert comment_count(article) == 0
    assert client.get(thread_url(article)).json()["results"] == []  # the public answer
    assert client.get(comment_url(comment)).status_code == 404
    mine = client.get("/api/v1/auth/me/comments/").json()["results"]
    assert [(c["id"], c["status"], c["body"]) for c in mine] == [
        (comment.pk, "pending", "Buy my Crypto today")
    ]

    moderator = bearer_api(ModeratorFactory())
    approved = moderator.patch(comment_url(comment), {"status": "visible"}, format="json")

    assert approved.status_code == 200 and approved.json()["status"] == "visible"
    assert comment_count(article) == 1
    comment.refresh_from_db()
    assert comment.approved_at is not None
    entry = LogEntry.objects.get(object_id=str(comment.pk))
    assert entry.get_change_message() == "Approved by a moderator."


def test_an_edit_with_a_suspect_word_sends_the_comment_back_for_approval(article, reader):
    user, client = reader
    comment = ThreadedCommentFactory(article=article, author=user)
    listed("crypto", SUSPECT)
    listed("verboten", BANNED)

    refused = client.patch(comment_url(comment), {"body": "verboten"}, format="json")
    held = client.patch(comment_url(comment), {"body": "crypto now"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "banned_word"
    assert held.status_code == 200
    assert (held.json()["status"], held.json()["body"]) == ("pending", "crypto now")
    assert client.get(comment_url(comment)).status_code == 404  # gone from the public's view
    assert Comment.objects.get(pk=comment.pk).status == "pending"
    assert comment_count(article) == 0


def test_the_same_body_twice_within_the_window_is_a_duplicate(article, reader):
    client = reader[1]

    first = post(client, article, "Well said.")
    again = post(client, article, "  Well said.  ")  # the same body, once trimmed

    assert first.status_code == 201
    assert again.status_code == 400
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [("body", "duplicate")]
    assert Comment.objects.count() == 1


def test_a_duplicate_is_per_reader_per_article_and_per_window(article, reader, bearer_api):
    client = reader[1]
    first = post(client, article, "Well said.")
    assert post(bearer_api(UserFactory()), article, "Well said.").status_code == 201
    assert post(client, ArticleFactory(), "Well said.").status_code == 201
    assert post(client, article, "Well said!").status_code == 201

    Comment.objects.filter(pk=first.json()["id"]).update(
        created_at=Comment.objects.get(pk=first.json()["id"]).created_at - dt.timedelta(minutes=11)
    )

    assert post(client, article, "Well said.").status_code == 201


def test_a_reply_with_the_same_body_is_a_duplicate_too(article, reader):
    client = reader[1]
    parent = ThreadedCommentFactory(article=article)
    assert post(client, article, "+1").status_code == 201

    response = post(client, article, "+1", parent=parent.pk)

    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "duplicate"
