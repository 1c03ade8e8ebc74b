"""`manage.py load_demo` and `manage.py demo`: the seed page, served by the API."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.commands import runserver

from articles.models import Article
from companies.models import Company

pytestmark = pytest.mark.django_db

SEED_SLUG = (
    "openai-researchers-advance-ai-alignment-using-reinforcement-learning-for-persistently-"
    "beneficial-models"
)
SEED_SUMMARY = (
    "OpenAI's alignment team has published new research on using reinforcement learning "
    "techniques to develop AI models that are broadly beneficial and maintain their beneficial "
    "behavior persistently over time. The work, authored by Akshay V. Jagadeesh, Rahul K. "
    "Arora, Khaled Saab, Ali Malik, Mikhail Trofimov, Foivos Tsimpourlas, Johannes Heidecke, "
    "and Karan Singhal, addresses a critical challenge in AI safety: ensuring that large "
    "language models and other AI systems reliably pursue beneficial goals across diverse "
    "contexts and over extended periods of deployment.\n\n"
    "The research leverages reinforcement learning as a tool for steering AI models toward "
    "alignment with human values and societal benefit. Rather than relying solely on "
    "supervised fine-tuning or RLHF (Reinforcement Learning from Human Feedback), the approach "
    "explores deeper integration of RL principles to create models that demonstrate robust "
    "beneficial behavior across varied scenarios. This represents a significant contribution "
    "to the field of AI safety, as maintaining alignment at scale remains one of the most "
    "pressing challenges in advanced AI development.\n\n"
    "The findings build on OpenAI's ongoing commitment to responsible AI development and add "
    "to the growing body of technical work demonstrating how alignment can be approached "
    "systematically through machine learning techniques."
)
SEED_OPINION = (
    "This research represents important progress in the technically challenging domain of AI "
    "alignment. By treating beneficial AI behavior as a learning objective rather than a "
    "constraint, OpenAI is helping shift the field toward more systematic and scalable "
    "approaches to safety. As AI systems become more capable and widely deployed, research "
    "like this\u2014which bridges alignment theory with practical RL techniques\u2014will be "
    "essential for ensuring these systems remain beneficial at scale."
)


def load_demo() -> str:
    stdout = io.StringIO()
    call_command("load_demo", stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def get_json(api, path: str):
    response = api.get(path)
    assert response.status_code == 200, response.content
    return response.json()


# load_demo


def test_load_demo_loads_the_seven_articles_of_the_seed_page():
    output = load_demo()

    assert output.strip().endswith(": 7 created, 0 updated, 0 unchanged, 0 failed.")
    assert Article.objects.published().count() == 7
    assert sorted(Company.objects.values_list("name", flat=True)) == [
        "Anthropic",
        "Intel",
        "OpenAI",
        "OpenMontage",
    ]


def test_load_demo_twice_changes_nothing():
    # given the demo, loaded
    load_demo()
    before = dict(Article.objects.values_list("slug", "updated_at"))

    # when it is loaded again
    output = load_demo()

    # then every article is unchanged
    assert output.strip().endswith(": 0 created, 0 updated, 7 unchanged, 0 failed.")
    assert dict(Article.objects.values_list("slug", "updated_at")) == before


# The seed page, through the API


def test_seed_article_is_served_in_full(api):
    load_demo()

    body = get_json(api, f"/api/v1/articles/{SEED_SLUG}/")

    expected = {
        "slug": SEED_SLUG,
        "title": (
            "OpenAI Researchers Advance AI Alignment Using Reinforcement Learning for "
            "Persistently Beneficial Models"
        ),
        "category": {"value": "research", "label": "Research"},
        "published_at": "2026-06-18T17:00:00Z",
        "takeaways": [
            "OpenAI's new research demonstrates how reinforcement learning can be applied to "
            "develop AI models that maintain beneficial behavior persistently across diverse "
            "contexts",
            "The work addresses the critical AI safety challenge of ensuring large language "
            "models remain aligned with human values over extended deployment periods",
            "The research suggests a path forward for building AI systems that are broadly "
            "beneficial rather than optimized for narrow metrics that may not capture true "
            "alignment",
        ],
        "summary": SEED_SUMMARY,
        "editorial_opinion": SEED_OPINION,
        "source": {"name": "Hacker News", "url": "https://alignment.openai.com/beneficial-rl/"},
        "authors": [
            "Akshay V. Jagadeesh",
            "Rahul K. Arora",
            "Khaled Saab",
            "Ali Malik",
            "Mikhail Trofimov",
            "Foivos Tsimpourlas",
            "Johannes Heidecke",
            "Karan Singhal",
        ],
        # In the seed page's order (the editors'), not by name.
        "tags": [
            {"slug": "generative-ai", "name": "Generative AI"},
            {"slug": "reinforcement-learning", "name": "Reinforcement Learning"},
            {"slug": "ethics-bias", "name": "Ethics & Bias"},
            {"slug": "ai-safety-alignment", "name": "AI Safety & Alignment"},
        ],
    }
    # The fields the seed page shows; test_detail.py pins the body's full shape.
    assert {key: body[key] for key in expected} == expected
    assert body["company"]["slug"] == "openai"
    assert body["company"]["name"] == "OpenAI"
    assert Company.objects.get(slug="openai").website_url == "https://openai.com"


def test_seed_more_from_company_lists_the_page_order(api):
    load_demo()

    body = get_json(api, f"/api/v1/articles/{SEED_SLUG}/more-from-company/")

    assert [(item["title"], item["category"]["value"]) for item in body["results"]] == [
        ("OpenAI Joins Rust Foundation as Platinum Member", "partnership"),
        (
            "OpenAI's o3 Deep Research Solves 18 Rare Disease Cases Previously Missed by "
            "Expert Review",
            "research",
        ),
        (
            "Two Agentic AI Systems Outperform Physicians in Medical Diagnosis and Care Planning",
            "research",
        ),
    ]


def test_seed_suggested_lists_intel_openmontage_anthropic(api):
    load_demo()

    body = get_json(api, f"/api/v1/articles/{SEED_SLUG}/suggested/")

    assert [
        (
            item["company"]["name"],
            item["title"],
            [tag["slug"] for tag in item["reason"]["shared_tags"]],
        )
        for item in body["results"]
    ] == [
        (
            "Intel",
            "Intelica Launches AI Agent-Ready Competitive Intelligence API with Blockchain "
            "Micropayments",
            ["generative-ai", "ethics-bias"],  # in the suggestion's own order
        ),
        (
            "OpenMontage",
            "OpenMontage: First Open-Source Agentic Video Production System Launches",
            ["generative-ai", "ethics-bias"],
        ),
        (
            "Anthropic",
            "The Ghost Couple: How LLMs Generate Consistent Fictional Personas That "
            "Contaminate Academic Publishing",
            ["ethics-bias"],
        ),
    ]


def test_demo_articles_are_all_on_the_seed_day_newest_first(api):
    load_demo()

    body = get_json(api, "/api/v1/articles/")

    times = [item["published_at"] for item in body["results"]]
    assert times == sorted(times, reverse=True)
    assert {dt.datetime.fromisoformat(t).date() for t in times} == {dt.date(2026, 6, 18)}
    assert body["results"][0]["slug"] == SEED_SLUG


# demo


@pytest.fixture
def served(monkeypatch):
    """Record runserver's options instead of serving."""
    calls = []
    monkeypatch.setattr(runserver.Command, "handle", lambda self, *a, **o: calls.append(o))
    return calls


def test_demo_migrates_loads_prints_the_urls_and_runs_the_server(served, capsys):
    stdout = io.StringIO()

    call_command("demo", stdout=stdout)

    assert Article.objects.count() == 7
    printed = stdout.getvalue()
    for url in (
        "http://127.0.0.1:8000/api/v1/articles/",
        f"http://127.0.0.1:8000/api/v1/articles/{SEED_SLUG}/",
        "http://127.0.0.1:8000/api/docs/",
        "http://127.0.0.1:8000/api/redoc/",
        "http://127.0.0.1:8000/admin/",
    ):
        assert url in printed
    assert [(o["addrport"], o["use_reloader"]) for o in served] == [("127.0.0.1:8000", True)]


def test_demo_serves_on_the_given_address(served, capsys):
    stdout = io.StringIO()

    call_command("demo", "0.0.0.0:9000", "--noreload", stdout=stdout)

    assert "http://127.0.0.1:9000/api/docs/" in stdout.getvalue()
    assert [(o["addrport"], o["use_reloader"]) for o in served] == [("0.0.0.0:9000", False)]


def test_demo_in_the_reloaded_child_only_serves(served, monkeypatch, capsys):
    # given the process the autoreloader starts (the parent has prepared the database)
    monkeypatch.setenv("RUN_MAIN", "true")

    call_command("demo", stdout=io.StringIO())

    assert not Article.objects.exists()
    assert len(served) == 1
