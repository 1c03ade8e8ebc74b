"""`manage.py import_articles`: JSON Lines upserted by slug (API.md, "Importing articles")."""

import datetime as dt
import io
import json
import sys
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import imports
from articles.management.commands import import_articles
from articles.models import Article, Status, Tag, Takeaway
from articles.services import article_upsert
from companies.models import Company
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

MISSING = object()
SLUG = "anthropic-ships-a-smaller-model"
WRITES = ("INSERT", "UPDATE", "DELETE")


def article_line(**overrides) -> dict:
    """A valid import line; `field=MISSING` leaves a field out."""
    line = {
        "title": "Anthropic Ships a Smaller Model",
        "company": {"name": "Anthropic", "website_url": "https://www.anthropic.com"},
        "category": "product_launch",
        "published_at": "2026-06-01T09:30:00Z",
        "summary": "First paragraph.\n\nSecond paragraph.",
        "editorial_opinion": "A sensible release.",
        "source": {"name": "Hacker News", "url": "https://example.com/story"},
        "authors": ["Ada Lovelace", "Alan Turing"],
        "takeaways": ["It is small", "It is fast", "It is cheap"],
        "tags": ["Generative AI", "Open Source"],
    }
    line.update(overrides)
    return {key: value for key, value in line.items() if value is not MISSING}


@dataclass
class ImportRun:
    stdout: str
    stderr: str
    error: str | None  # the CommandError's message, when the command failed

    @property
    def summary(self) -> str:
        return self.stdout.strip().splitlines()[-1]

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


def encode(line: dict | str | bytes) -> bytes:
    if isinstance(line, dict):
        line = json.dumps(line)
    if isinstance(line, str):
        line = line.encode("utf-8")
    return line + b"\n"


def call_import(*args, **options) -> ImportRun:
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_articles", *args, stdout=stdout, stderr=stderr, **options)
    except CommandError as exc:
        return ImportRun(stdout.getvalue(), stderr.getvalue(), str(exc))
    return ImportRun(stdout.getvalue(), stderr.getvalue(), None)


@pytest.fixture
def run_import(tmp_path):
    """Write these lines (dicts as JSON, str and bytes as they are) to a file and import it."""

    def run(*lines: dict | str | bytes, **options) -> ImportRun:
        path = tmp_path / "articles.jsonl"
        path.write_bytes(b"".join(encode(line) for line in lines))
        return call_import(str(path), **options)

    return run


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Article, Company, Tag, Takeaway)}


# Creating


def test_import_creates_the_article_with_company_tags_takeaways_and_source(run_import):
    run = run_import(article_line())

    assert run.error is None
    assert run.stderr == ""
    assert run.summary.endswith(": 1 created, 0 updated, 0 unchanged, 0 failed.")
    article = Article.objects.get(slug=SLUG)
    assert article.title == "Anthropic Ships a Smaller Model"
    assert article.company.slug == "anthropic"
    assert article.company.name == "Anthropic"
    assert article.company.website_url == "https://www.anthropic.com"
    assert article.category == "product_launch"
    assert article.status == Status.PUBLISHED
    assert article.published_at == dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
    assert article.summary == "First paragraph.\n\nSecond paragraph."
    assert article.editorial_opinion == "A sensible release."
    assert (article.source_name, article.source_url) == ("Hacker News", "https://example.com/story")
    assert article.authors == ["Ada Lovelace", "Alan Turing"]
    assert list(article.takeaways.values_list("position", "text")) == [
        (0, "It is small"),
        (1, "It is fast"),
        (2, "It is cheap"),
    ]
    assert sorted(article.tags.values_list("slug", "name")) == [
        ("generative-ai", "Generative AI"),
        ("open-source", "Open Source"),
    ]


def test_import_takes_the_given_slug(run_import):
    run_import(article_line(slug="my-own-slug"))

    assert Article.objects.get().slug == "my-own-slug"


def test_import_with_only_the_required_fields_uses_the_defaults(run_import):
    # given a line with a title, a company and a category only
    before = timezone.now()
    line = {"title": "Bare", "company": "Acme", "category": "research"}

    # when it is imported
    run = run_import(line)

    # then the article is published now, with empty texts and lists
    assert run.error is None
    article = Article.objects.get(slug="bare")
    assert article.status == Status.PUBLISHED
    assert before <= article.published_at <= timezone.now()
    assert (article.summary, article.editorial_opinion) == ("", "")
    assert (article.source_name, article.source_url, article.authors) == ("", "", [])
    assert not article.takeaways.exists()
    assert not article.tags.exists()


def test_import_keeps_a_draft_a_draft(run_import):
    run_import(article_line(status="draft"))

    assert Article.objects.get().status == Status.DRAFT


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-06-18T17:00:00Z", dt.datetime(2026, 6, 18, 17, tzinfo=dt.UTC)),
        ("2026-06-18T19:00:00+02:00", dt.datetime(2026, 6, 18, 17, tzinfo=dt.UTC)),
        ("2026-06-18T17:00:00", dt.datetime(2026, 6, 18, 17, tzinfo=dt.UTC)),  # naive is UTC
    ],
)
def test_import_reads_published_at_as_iso_8601_in_utc(run_import, given, stored):
    run_import(article_line(published_at=given))

    assert Article.objects.get().published_at == stored


# Importing again


def test_import_twice_changes_nothing(run_import):
    # given an imported line
    line = article_line()
    run_import(line)
    article = Article.objects.get()
    before = counts()

    # when the same line is imported again
    with CaptureQueriesContext(connection) as queries:
        run = run_import(line)

    # then nothing is written, not even updated_at
    assert run.error is None
    assert run.summary.endswith(": 0 created, 0 updated, 1 unchanged, 0 failed.")
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert writes == []
    assert counts() == before
    article_after = Article.objects.get()
    assert article_after.updated_at == article.updated_at
    assert article_after.search_vector == article.search_vector


def test_article_upsert_reports_created_then_unchanged():
    data = imports.parse_line(json.dumps(article_line()).encode())

    first = article_upsert(data=data)
    second = article_upsert(data=data)

    assert first[1] == "created"
    assert second == (first[0], "unchanged")


def test_import_updates_one_changed_field(run_import):
    # given an imported article
    run_import(article_line())
    article = Article.objects.get()
    before = counts()

    # when its summary changes
    run = run_import(article_line(summary="A new summary."))

    # then that field and updated_at change, and nothing else
    assert run.summary.endswith(": 0 created, 1 updated, 0 unchanged, 0 failed.")
    updated = Article.objects.get()
    assert updated.summary == "A new summary."
    assert updated.updated_at > article.updated_at
    assert (updated.title, updated.published_at) == (article.title, article.published_at)
    assert counts() == before


def test_import_without_published_at_keeps_the_existing_time(run_import):
    # given an article published at a known time
    run_import(article_line(published_at="2026-06-01T09:30:00Z"))

    # when a line without published_at is imported for it
    run = run_import(article_line(published_at=MISSING))

    # then its time stays
    assert run.summary.endswith(": 0 created, 0 updated, 1 unchanged, 0 failed.")
    assert Article.objects.get().published_at == dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


def test_import_keeps_takeaways_in_the_given_order(run_import):
    # given an article with three takeaways
    run_import(article_line(takeaways=["first", "second", "third"]))
    article = Article.objects.get()
    first_ids = list(article.takeaways.values_list("id", flat=True))

    # when they are imported in another order
    run = run_import(article_line(takeaways=["third", "first", "second"]))

    # then they are replaced, in that order, at positions 0..n-1
    assert run.summary.endswith(": 0 created, 1 updated, 0 unchanged, 0 failed.")
    assert list(article.takeaways.order_by("position").values_list("position", "text")) == [
        (0, "third"),
        (1, "first"),
        (2, "second"),
    ]
    assert not Takeaway.objects.filter(id__in=first_ids).exists()


def test_import_leaves_unchanged_takeaways_in_place(run_import):
    run_import(article_line())
    ids = list(Takeaway.objects.order_by("position").values_list("id", flat=True))

    run_import(article_line(summary="Another summary."))

    assert list(Takeaway.objects.order_by("position").values_list("id", flat=True)) == ids


def test_import_of_fewer_takeaways_and_tags_removes_the_others(run_import):
    run_import(article_line())

    run_import(article_line(takeaways=["Only one"], tags=["Open Source"]))

    article = Article.objects.get()
    assert list(article.takeaways.values_list("text", flat=True)) == ["Only one"]
    assert list(article.tags.values_list("slug", flat=True)) == ["open-source"]


# Companies


def test_import_creates_a_company_given_by_name(run_import):
    run_import(article_line(company="Mistral AI"))

    company = Article.objects.get().company
    assert (company.slug, company.name, company.website_url) == ("mistral-ai", "Mistral AI", "")


def test_import_creates_a_company_given_as_an_object(run_import):
    company = {
        "name": "Hugging Face",
        "slug": "hf",
        "website_url": "https://huggingface.co",
        "logo_url": "https://huggingface.co/logo.png",
    }

    run_import(article_line(company=company))

    created = Company.objects.get()
    assert Article.objects.get().company == created
    assert (created.slug, created.name) == ("hf", "Hugging Face")
    assert (created.website_url, created.logo_url) == (
        "https://huggingface.co",
        "https://huggingface.co/logo.png",
    )


def test_import_matches_an_existing_company_by_slug_and_fills_only_blanks(run_import):
    # given a company with a name of its own, a logo and no website
    existing = CompanyFactory(
        slug="anthropic", name="Anthropic PBC", logo_url="https://cdn.example.com/a.png"
    )

    # when a line names it differently, with a website and another logo
    run_import(
        article_line(
            company={
                "name": "Anthropic",
                "website_url": "https://www.anthropic.com",
                "logo_url": "https://other.example.com/a.png",
            }
        )
    )

    # then the article is the company's; only its blank website is filled in
    existing.refresh_from_db()
    assert Article.objects.get().company == existing
    assert Company.objects.count() == 1
    assert existing.name == "Anthropic PBC"
    assert existing.website_url == "https://www.anthropic.com"
    assert existing.logo_url == "https://cdn.example.com/a.png"


def test_import_moves_an_article_to_another_company(run_import):
    run_import(article_line(company="Anthropic"))

    run = run_import(article_line(company="OpenAI"))

    assert run.summary.endswith(": 0 created, 1 updated, 0 unchanged, 0 failed.")
    assert Article.objects.get().company.slug == "openai"


# Tags


def test_import_matches_existing_tags_by_slug_and_creates_missing_ones(run_import):
    # given a tag that exists under its own spelling
    existing = TagFactory(slug="generative-ai", name="Generative AI")

    # when a line spells it differently, twice, beside a new tag
    run_import(article_line(tags=["generative ai", "Ethics & Bias", "GENERATIVE AI"]))

    # then the existing tag is linked and kept as it was; the new one keeps the given name
    existing.refresh_from_db()
    assert existing.name == "Generative AI"
    assert Tag.objects.count() == 2
    assert sorted(Article.objects.get().tags.values_list("slug", "name")) == [
        ("ethics-bias", "Ethics & Bias"),
        ("generative-ai", "Generative AI"),
    ]


def test_import_of_new_tags_updates_the_article(run_import):
    run_import(article_line(tags=["Open Source"]))

    run = run_import(article_line(tags=["Open Source", "Robotics"]))

    assert run.summary.endswith(": 0 created, 1 updated, 0 unchanged, 0 failed.")
    assert sorted(Article.objects.get().tags.values_list("slug", flat=True)) == [
        "open-source",
        "robotics",
    ]


def test_import_keeps_the_tags_in_the_line_s_order(run_import, api):
    names = ["Open Source", "AI Agents", "Robotics"]

    run_import(article_line(tags=names))

    detail = api.get(f"/api/v1/articles/{SLUG}/").json()
    assert [tag["name"] for tag in detail["tags"]] == names  # not by name
    feed = api.get("/api/v1/articles/").json()["results"]
    assert [tag["name"] for tag in feed[0]["tags"]] == names


def test_reimporting_the_same_order_writes_nothing_and_another_order_reorders(run_import, api):
    # given a line imported
    run_import(article_line(tags=["Open Source", "AI Agents", "Robotics"]))

    # when the same line is imported again: nothing is written
    with CaptureQueriesContext(connection) as queries:
        same = run_import(article_line(tags=["Open Source", "AI Agents", "Robotics"]))
    assert same.summary.endswith(": 0 created, 0 updated, 1 unchanged, 0 failed.")
    assert [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)] == []

    # when it is imported with its tags in another order: they are reordered, nothing else
    links = set(Article.objects.get().article_tags.values_list("pk", flat=True))
    other = run_import(article_line(tags=["Robotics", "Open Source", "AI Agents"]))
    assert other.summary.endswith(": 0 created, 1 updated, 0 unchanged, 0 failed.")
    detail = api.get(f"/api/v1/articles/{SLUG}/").json()
    assert [tag["name"] for tag in detail["tags"]] == ["Robotics", "Open Source", "AI Agents"]
    assert set(Article.objects.get().article_tags.values_list("pk", flat=True)) == links
    assert Tag.objects.filter(published_count=1).count() == 3


# Errors: each reported with its line number; that line writes nothing, the others import.


def bad_line(**overrides) -> dict:
    """A line to break: its company and tag are named by no other line."""
    return article_line(**{"company": "Ghost Corp", "tags": ["Ghost Tag"], **overrides})


ERRORS = [
    pytest.param('{"title": ', "line 2: json: Expecting value (column 11).", id="json-syntax"),
    pytest.param("[1, 2]", "line 2: json: Expected an object, got an array.", id="not-object"),
    pytest.param(b'{"title": "\xff"}', "line 2: json: Not valid UTF-8 (byte 12).", id="utf-8"),
    pytest.param(bad_line(title=MISSING), "line 2: title: This field is required.", id="no-title"),
    pytest.param(
        bad_line(company=MISSING), "line 2: company: This field is required.", id="no-company"
    ),
    pytest.param(
        bad_line(category=MISSING),
        "line 2: category: This field is required.",
        id="no-category",
    ),
    pytest.param(
        bad_line(title=42), "line 2: title: Expected a string, got a number.", id="title-type"
    ),
    pytest.param(
        bad_line(title="x" * 301),
        "line 2: title: Ensure this field has no more than 300 characters.",
        id="title-length",
    ),
    pytest.param(
        bad_line(title="¿¡!"),
        "line 2: slug: The title has no letters or digits to derive a slug from; give one.",
        id="title-without-slug",
    ),
    pytest.param(
        bad_line(slug="not a slug"),
        'line 2: slug: Enter a valid "slug" consisting of letters, numbers, underscores or '
        "hyphens.",
        id="slug-invalid",
    ),
    pytest.param(
        bad_line(category="gossip"),
        'line 2: category: "gossip" is not a valid choice.',
        id="category",
    ),
    pytest.param(
        bad_line(status="archived"),
        'line 2: status: "archived" is not a valid choice.',
        id="status",
    ),
    pytest.param(
        bad_line(published_at="18/06/2026"),
        "line 2: published_at: Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
        id="published-at",
    ),
    pytest.param(
        bad_line(source={"name": "HN", "url": "not a url"}),
        "line 2: source.url: Enter a valid URL.",
        id="source-url",
    ),
    pytest.param(
        bad_line(company={"name": "Ghost Corp", "website_url": "ghost"}),
        "line 2: company.website_url: Enter a valid URL.",
        id="company-url",
    ),
    pytest.param(
        bad_line(company=["Ghost Corp"]),
        "line 2: company: Expected a company name or an object, got an array.",
        id="company-type",
    ),
    pytest.param(
        bad_line(company="***"),
        "line 2: company.name: Has no letters or digits to derive a slug from; give a slug.",
        id="company-without-slug",
    ),
    pytest.param(
        bad_line(takeaways="one"),
        "line 2: takeaways: Expected an array, got a string.",
        id="takeaways-type",
    ),
    pytest.param(
        bad_line(takeaways=["one", "  "]),
        "line 2: takeaways.1: This field may not be blank.",
        id="takeaway-blank",
    ),
    pytest.param(
        bad_line(tags=["AI", 7]),
        "line 2: tags.1: Expected a string, got a number.",
        id="tag-type",
    ),
    pytest.param(
        bad_line(tags=["AI", "#"]),
        "line 2: tags.1: Has no letters or digits to make a slug of.",
        id="tag-without-slug",
    ),
    pytest.param(
        bad_line(authors=[None]),
        "line 2: authors.0: This field may not be null.",
        id="author-null",
    ),
    pytest.param(
        json.dumps(bad_line(company=MISSING))[:-1] + ', "company": {"name": "A", "name": "B"}}',
        "line 2: company.name: Given more than once: each key of a JSON object once.",
        id="repeated-key",
    ),
    pytest.param(
        json.dumps(bad_line(summary=MISSING))[:-1] + ', "summary": NaN}',
        "line 2: json: Out of range float values are not JSON compliant: 'NaN'",
        id="not-json-nan",
    ),
    pytest.param(
        bad_line(takeaway=["typo"]), "line 2: takeaway: Unknown field.", id="unknown-field"
    ),
    pytest.param(
        bad_line(title="Nul\u0000"),
        "line 2: title: Null characters are not allowed.",
        id="nul-in-title",
    ),
    pytest.param(
        bad_line(takeaways=["ok", "a\u0000b"]),
        "line 2: takeaways.1: Null characters are not allowed.",
        id="nul-in-takeaway",
    ),
    pytest.param(
        bad_line(authors=["\u0000"]),
        "line 2: authors.0: Null characters are not allowed.",
        id="nul-in-author",
    ),
    pytest.param(
        bad_line(company={"name": "Ghost\u0000Corp"}),
        "line 2: company.name: Null characters are not allowed.",
        id="nul-in-company",
    ),
    pytest.param(
        b'{"title": "raw \x00 byte"}',
        "line 2: json: Invalid control character at (column 16).",
        id="raw-nul-byte",
    ),
    pytest.param(
        '{"title": "lone \\ud800 surrogate", "company": "Ghost Corp", "category": "research"}',
        "line 2: title: Not valid Unicode text (a lone surrogate).",
        id="lone-surrogate",
    ),
]


@pytest.mark.parametrize(("line", "message"), ERRORS)
def test_import_reports_a_bad_line_and_imports_the_others(run_import, line, message):
    # given a bad line between two good ones; when the file is imported
    run = run_import(
        article_line(title="First good line"), line, article_line(title="Last good line")
    )

    # then the bad line is reported and writes nothing; the others are imported
    assert message in run.error_lines
    assert all(error.startswith("line 2: ") for error in run.error_lines)
    assert run.summary.endswith(": 2 created, 0 updated, 0 unchanged, 1 failed.")
    assert run.error is not None
    assert sorted(Article.objects.values_list("slug", flat=True)) == [
        "first-good-line",
        "last-good-line",
    ]
    assert not Company.objects.filter(slug="ghost-corp").exists()
    assert not Tag.objects.filter(slug="ghost-tag").exists()


def test_import_reports_every_error_of_a_line(run_import):
    run = run_import(article_line(category="gossip", takeaways=[""], extra=1))

    assert run.error_lines == [
        'line 1: category: "gossip" is not a valid choice.',
        "line 1: takeaways.0: This field may not be blank.",
        "line 1: extra: Unknown field.",
    ]


def test_import_refuses_a_second_line_of_the_same_slug(run_import):
    # given a file that names one slug twice (once derived from the title)
    run = run_import(
        article_line(summary="The first."),
        article_line(title="Other"),
        article_line(slug=SLUG, summary="The second."),
    )

    # then the first line wins and the second is reported
    assert run.error_lines == [f"line 3: slug: {SLUG} is already on line 1."]
    assert Article.objects.get(slug=SLUG).summary == "The first."


def test_import_rolls_back_a_line_the_database_refuses(run_import, monkeypatch):
    # given a database that refuses the second line after its company and tags are written
    real_upsert = import_articles.article_upsert

    def upsert(*, data):
        article, result = real_upsert(data=data)
        if data["slug"] == "refused":
            raise IntegrityError("duplicate key value violates unique constraint\nDETAIL: ...")
        return article, result

    monkeypatch.setattr(import_articles, "article_upsert", upsert)

    # when the file is imported
    run = run_import(
        article_line(title="Good"),
        article_line(slug="refused", company="Ghost Corp", tags=["Ghost Tag"]),
    )

    # then that line is reported and rolled back whole
    assert run.error_lines == ["line 2: database: duplicate key value violates unique constraint"]
    assert list(Article.objects.values_list("slug", flat=True)) == ["good"]
    assert not Company.objects.filter(slug="ghost-corp").exists()
    assert not Tag.objects.filter(slug="ghost-tag").exists()


def test_import_exits_non_zero_when_a_line_failed(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_bytes(encode(article_line()) + encode("not json"))

    with pytest.raises(CommandError, match=r"^1 line\(s\) failed"):
        call_command("import_articles", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_import_succeeds_when_every_line_imports(run_import):
    run = run_import(article_line(), article_line(title="Another one"))

    assert run.error is None
    assert run.summary.endswith(": 2 created, 0 updated, 0 unchanged, 0 failed.")


def test_import_of_a_missing_file_is_a_command_error():
    run = call_import("/nonexistent/articles.jsonl")

    assert run.error == "Cannot read /nonexistent/articles.jsonl: No such file or directory."


# Input


def test_import_reads_standard_input_for_a_dash(monkeypatch):
    data = encode(article_line()) + encode(article_line(title="From stdin too"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))

    run = call_import("-")

    assert run.error is None
    assert run.summary == "Imported -: 2 created, 0 updated, 0 unchanged, 0 failed."
    assert Article.objects.count() == 2


def test_import_skips_blank_lines_and_keeps_counting_them(run_import):
    run = run_import("", article_line(), "   \t", "", "oops")

    assert run.error_lines == ["line 5: json: Expecting value (column 1)."]
    assert run.summary.endswith(": 1 created, 0 updated, 0 unchanged, 1 failed.")


def test_import_accepts_a_byte_order_mark_and_crlf_line_ends(run_import):
    run = run_import(b"\xef\xbb\xbf" + json.dumps(article_line()).encode() + b"\r")

    assert run.error is None
    assert Article.objects.count() == 1


def test_import_prints_each_result_at_verbosity_2(run_import):
    run = run_import(article_line(), verbosity=2)

    assert f"line 1: created {SLUG}" in run.stdout


def test_import_shows_no_progress_bar_when_not_on_a_terminal(run_import):
    run = run_import(*[article_line(title=f"Article {n}") for n in range(3)])

    assert run.stderr == ""


# Search


def test_feed_search_finds_an_imported_article_by_a_takeaway_word(run_import, api):
    run_import(article_line(takeaways=["A quokkalike benchmark"]), article_line(title="Other"))

    response = api.get("/api/v1/articles/", {"q": "quokkalike"})

    assert response.status_code == 200, response.content
    assert [item["slug"] for item in response.json()["results"]] == [SLUG]


@pytest.mark.postgres
def test_import_maintains_the_search_vector_on_postgresql(run_import, api):
    if connection.vendor != "postgresql":
        pytest.skip("the search vector exists on PostgreSQL only")

    def search(word: str) -> list[str]:
        response = api.get("/api/v1/articles/", {"q": word})
        assert response.status_code == 200, response.content
        return [item["slug"] for item in response.json()["results"]]

    # given an article whose takeaway alone says "quokkalike"
    run_import(article_line(takeaways=["A quokkalike benchmark"]), article_line(title="Other"))

    # then its vector is stored and q finds it by that word
    assert Article.objects.get(slug=SLUG).search_vector
    assert search("quokkalike") == [SLUG]

    # when the takeaway changes, the vector follows
    run_import(article_line(takeaways=["A wombatish benchmark"]))
    assert search("quokkalike") == []
    assert search("wombatish") == [SLUG]


def test_import_updates_an_article_created_elsewhere(run_import):
    # given an article created elsewhere (the admin, a factory) under the same slug
    ArticleFactory(slug=SLUG, title="Old title")

    # when the import names it
    run = run_import(article_line())

    # then it is updated, not duplicated
    assert run.summary.endswith(": 0 created, 1 updated, 0 unchanged, 0 failed.")
    assert Article.objects.get().title == "Anthropic Ships a Smaller Model"
