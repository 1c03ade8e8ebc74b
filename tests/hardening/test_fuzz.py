"""Schema fuzzing: schemathesis against a live server, every operation, every check.

The schema is the one /api/schema/ serves (read when the module is collected, since
schemathesis makes one test per operation from it; `test_the_fuzzed_schema_is_the_served_one`
checks the live server serves the same). Every case goes over HTTP to pytest-django's live
server, on a loopback port, against the test database. For every operation schemathesis runs
its three single-request phases (the schema's examples; coverage: boundaries, missing, extra
and repeated parameters, undocumented methods; fuzzing: positive and negative data from
Hypothesis), and every check it has (CHECKS, each enabled).

Deterministic: Hypothesis derandomized with a fixed seed. The world (tests/hardening/conftest.py)
is rebuilt for each operation: the demo articles, a draft, a scheduled article, readers,
staff, comments of every status, so that slugs and ids exist. FuzzAuth signs the requests:
some anonymous, most as a reader, moderation as staff. Throttles are raised out of reach.
"""

import collections
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

from articles.models import Article, Tag
from comments.models import Comment
from companies.models import Company
from tests.hardening.conftest import NUMBERS, TOKENS, install_token

# Per operation, for the fuzzing phase; the examples and coverage phases add their own cases
# (a few dozen more per operation). 19 operations x ~120 requests: about a minute on 2 cores.
MAX_EXAMPLES = 75
SEED = 20261126

# Every check schemathesis has, all on (its default for `call_and_validate()`), listed so that
# a new version's new check is noticed (test_every_check_schemathesis_has_runs).
# `object_level_authorization` compares identities configured for the stateful phase, and
# finds nothing to compare here: tests/hardening/test_authorization.py walks every operation
# as four identities instead.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
    "object_level_authorization",
    "max_response_time",
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "mode": "all"},
        # The stateful phase needs OpenAPI links, which the schema does not declare.
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": True,
            # The contract (API.md): "Input that passes the schema but breaks a rule (a taken
            # username, a `parent` comment that does not exist, a password Django's validators
            # refuse) is a 400 validation error naming the field"; so are unknown filter values
            # and cursors that do not decode. Schema-valid input may therefore get a 400, but
            # only for one of those rules: the check below (`only_documented_rules_refuse_
            # valid_input`) holds every such 400 to the list in RULES.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            },
            # Generous: a slow answer on a loaded CI machine is not a bug; a hang is.
            "max_response_time": 5.0,
        },
    }
)

# The rules the schema cannot say (they depend on the data, or on Django's password
# validators), per operation: `(field, code)` of each error a schema-valid request may get.
PASSWORD_RULES = {
    ("password", code)
    for code in (
        "password_too_short",
        "password_too_common",
        "password_entirely_numeric",
        "password_too_similar",
    )
}
TEXT_RULES = {("blank",), ("control_characters",)}
# The expanded company's and tags' keys (`company.article_count`) are in `fields`' enum, and
# are unknown without `expand=company` (`expand=tags`): a rule between two parameters.
NEEDS_EXPAND = {("fields", "unknown_field")}
RULES = {
    "GET /api/v1/articles/": {
        ("company", "invalid_choice"),  # no visible company has this slug
        ("tag", "invalid_choice"),  # no visible tag has this slug
        ("tag_any", "invalid_choice"),  # the same, for the other tag filters
        ("exclude_tag", "invalid_choice"),
        ("cursor", "invalid_cursor"),  # opaque: the pattern cannot say what decodes
        ("ordering", "needs_q"),  # `relevance` orders search results only
        *NEEDS_EXPAND,
    },
    "GET /api/v1/articles/{slug}/": NEEDS_EXPAND,
    "GET /api/v1/articles/{slug}/more-from-company/": NEEDS_EXPAND,
    "GET /api/v1/articles/{slug}/suggested/": NEEDS_EXPAND,
    "GET /api/v1/articles/{slug}/page/": NEEDS_EXPAND,
    "GET /api/v1/articles/{slug}/comments/": {("cursor", "invalid_cursor")},
    "GET /api/v1/auth/me/comments/": {("cursor", "invalid_cursor")},
    "GET /api/v1/changes/": {
        ("company", "invalid_choice"),  # no public company has this slug
        ("tag", "invalid_choice"),  # no public tag has this slug
        ("since", "invalid_since"),  # opaque: the pattern cannot say what decodes
    },
    "POST /api/v1/auth/register/": {
        ("username", "unique"),
        ("display_name", "control_characters"),
        # Beyond the Basic Multilingual Plane, which the pattern cannot name (accounts/names.py)
        ("display_name", "invisible_characters"),
        *PASSWORD_RULES,
    },
    "POST /api/v1/auth/token/": {(None, "invalid_credentials")},
    "POST /api/v1/auth/session/": {(None, "invalid_credentials")},
    "POST /api/v1/articles/{slug}/comments/": {
        *{("body", code) for (code,) in TEXT_RULES},
        ("parent", "does_not_exist"),
        ("parent", "other_article"),
        ("parent", "withheld"),
        ("body", "duplicate"),  # the same body again, within the window: the data's rule
        ("body", "banned_word"),  # the newsroom's word lists
    },
    "PATCH /api/v1/comments/{id}/": {
        *{("body", code) for (code,) in TEXT_RULES},
        ("body", "banned_word"),
    },
}


def only_documented_rules_refuse_valid_input(ctx, response, case):
    """A 400 to schema-valid input names only rules of RULES; anything else (a parse error, a
    type error, a rule nobody listed) means the schema and the server disagree."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    errors = response.json().get("errors") or [{"field": None, "code": response.json()["code"]}]
    allowed = RULES.get(case.operation.label, set())
    unexpected = {(e["field"], e["code"]) for e in errors} - allowed
    assert not unexpected, (
        f"Schema-valid input to {case.operation.label} refused for {sorted(unexpected, key=str)}:"
        " the schema should say so, or the rule belongs in RULES (and in the operation's 400)."
    )
    return None


STATS: collections.Counter = collections.Counter()
SESSION = "/api/v1/auth/session/"
# The `csrftoken` cookie's secret (32 letters and digits) that FuzzAuth sends the session's
# operations; sent as the header too, it is a valid token.
CSRF_SECRET = "fuzz" * 8


class FuzzAuth:
    """Who sends each case: deterministic, so that a run is reproducible.

    Operations open to anonymous readers alternate between anonymous and alice; operations that
    need a signed-in reader are alice's, and every other PATCH of a comment is staff's, so that
    moderation (`status`) is reached too. Signing out is carol's: it revokes her token, which
    the test installs again before each case. The session's own operations get the CSRF cookie,
    and the header that matches it unless the case's headers are the negative part, so that
    the cases reach what they test rather than all stopping at the CSRF check.
    """

    turn = itertools.count()

    def get(self, case, ctx):
        operation = case.operation
        if operation.path == SESSION:
            return CSRF_SECRET
        security = operation.definition.raw.get("security", [])
        turn = next(self.turn)
        if operation.label == "POST /api/v1/auth/logout/":
            return TOKENS["carol"]
        if not security or ({} in security and turn % 2 == 0):
            return None
        if operation.method.upper() == "PATCH" and turn % 4 == 1:
            return TOKENS["staff"]
        return TOKENS["alice"]

    def set(self, case, data, ctx):
        if case.operation.path == SESSION:
            case.cookies = {**(case.cookies or {}), "csrftoken": data}
            negative = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
            if case.method.upper() != "GET" and not negative:
                case.headers = {**(case.headers or {}), "X-CSRFToken": data}
            return
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def before_generate_path_parameters(context, strategy):
    """Half the cases address resources that exist (published, draft and scheduled articles,
    comments of every status), half whatever Hypothesis draws."""
    names = {p.name for p in context.operation.path_parameters}
    known = {}
    if "slug" in names:
        path = context.operation.path
        if path.startswith("/api/v1/companies/"):
            known["slug"] = list(Company.objects.values_list("slug", flat=True))
        elif path.startswith("/api/v1/tags/"):
            known["slug"] = list(Tag.objects.values_list("slug", flat=True))
        else:
            known["slug"] = list(Article.objects.values_list("slug", flat=True))
    if "id" in names:
        known["id"] = list(Comment.objects.values_list("id", flat=True))
    if not known or not all(known.values()):
        return strategy
    existing = st.fixed_dictionaries(
        {name: st.sampled_from(sorted(v)) for name, v in known.items()}
    )
    return st.one_of(strategy, existing)


def served_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (test_the_fuzzed_schema_is_the_served_one
    checks the live server serves the same). Loaded when the module is collected, before any
    server runs, because schemathesis makes one test per operation from it."""
    from django.test import Client

    response = Client().get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json", HTTP_HOST="localhost"
    )
    assert response.status_code == 200, response.content
    return response.json()


SERVED_SCHEMA = served_schema()
schema = schemathesis.openapi.from_dict(SERVED_SCHEMA, config=CONFIG)
schema.auth(refresh_interval=None)(FuzzAuth)
schema.hook(before_generate_path_parameters)


@pytest.fixture
def server(live_server, world, unthrottled):
    """The live server, the world built, the throttles out of reach."""
    FuzzAuth.turn = itertools.count()  # the same signers for an operation, whatever runs before
    return live_server


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if STATS["cases"]:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(STATS.items(), key=str) if k != "cases")
        NUMBERS["schema fuzzing"] = (
            f"{STATS['cases']} cases over {len(OPERATIONS)} operations "
            f"(answers by status: {statuses})"
        )


OPERATIONS: collections.Counter = collections.Counter()


def test_every_check_schemathesis_has_runs():
    from schemathesis.checks import CHECKS as REGISTERED
    from schemathesis.checks import load_all_checks

    load_all_checks()
    assert {check.__name__ for check in REGISTERED.get_all()} | {"max_response_time"} == set(CHECKS)
    for name in CHECKS:
        assert CONFIG.projects.get_default().checks.get_by_name(name=name).enabled, name


def test_the_fuzzed_schema_is_the_served_one(live_server):
    import requests

    response = requests.get(
        f"{live_server.url}/api/schema/",
        headers={"Accept": "application/vnd.oai.openapi+json"},
        timeout=10,
    )

    assert response.json() == SERVED_SCHEMA


@schema.parametrize()
# The same ids in every run, whatever ran before: what the server answers feeds schemathesis's
# generation (it learns from responses), so the data must be the same for the run to be.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
# The world is built once per operation, and its cases run against it one after the other, as
# real traffic would (a case may see what an earlier one wrote): that is the point, not the
# surprise this health check warns about.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_conforms_to_the_schema(case, server, world):
    install_token(world.carol, TOKENS["carol"])
    response = case.call_and_validate(
        base_url=server.url, additional_checks=[only_documented_rules_refuse_valid_input]
    )
    STATS["cases"] += 1
    STATS[response.status_code] += 1
    OPERATIONS[case.operation.label] += 1
