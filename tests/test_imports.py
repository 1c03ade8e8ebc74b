"""The project's imports go one way (STYLE.md): what several apps share lives in botbeat/, an app
imports another app's models and services but never its views or admin, the benchmark is a
package of its own (as is the schema check), and no module imports itself back.

Read from the source with ast, no module imported: every import counts, one inside a function
too (a function-local import that hides a cycle is a cycle); only those under
`if TYPE_CHECKING:` are left out of the cycles, since they never run.
"""

import ast
import graphlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("botbeat", "accounts", "articles", "companies", "comments", "bench", "schemacheck")
APPS = ("accounts", "articles", "companies", "comments")
# Not the product: the benchmark and the schema check import the project, never the reverse.
TOOLING = ("bench", "schemacheck")

# The project's wiring, above every app: the URLconf, the signals that purge every app's
# answers, the entry points (settings, WSGI/ASGI, management commands). Nothing below imports it.
WIRING = ("botbeat.urls", "botbeat.signals", "botbeat.apps", "botbeat.settings", "botbeat.wsgi")
WIRING += ("botbeat.asgi", "botbeat.management")
# The modules that face people, above their app's models and services: another app may not
# import them (for the mixins, schema pieces or base classes they hold, botbeat/ is the place).
UI_MODULES = ("admin", "views", "urls", "serializers", "schema", "throttles")

# Which app's models and services each app uses, through every module but its UI. articles and
# companies are one domain in two apps, taken as one here: an article belongs to a company (a
# foreign key) and a company's visibility and counts are its articles'.
SAME_DOMAIN = {"companies": "articles"}
DEPENDS_ON = {
    "accounts": set(),
    "articles": set(),
    "comments": {"accounts", "articles"},  # a comment has an author and an article
}
# What botbeat's shared modules read of the apps. The response cache bounds an answer's
# max-age by the next scheduled publication, tells staff from the public, and classifies a
# credential as the API authenticates it.
SHARED_READS = {
    "botbeat.cache": {"articles.models", "accounts.authentication"},
}
# UI imports of another app's UI that other work of this issue removes: each must still be
# there (so that the entry goes with it), and none may be added.
PENDING: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the project module imported
    line: int
    runs: bool  # False: under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = module_files()


def project_module(name: str) -> str | None:
    """The project module that `name` (a module, or a name in one) comes from."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, runs: bool) -> None:
        for child in ast.iter_child_nodes(node):
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the package, up level - 1
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                names = [f"{base}.{alias.name}" for alias in child.names]
            for name in names:
                target = project_module(name)
                if target is not None and target != module:
                    found.append(Import(module, target, child.lineno, runs))
            type_checking = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            visit(child, runs and not type_checking)

    visit(ast.parse(path.read_text(), filename=str(path)), True)
    return found


IMPORTS = [found for module in MODULES for found in imports_of(module)]


def app_of(module: str) -> str:
    return module.split(".")[0]


def is_wiring(module: str) -> bool:
    return any(module == w or module.startswith(f"{w}.") for w in WIRING)


def is_ui(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in APPS and len(parts) > 1 and parts[1] in UI_MODULES


def domain(app: str) -> str:
    return SAME_DOMAIN.get(app, app)


def test_the_reader_sees_the_imports_it_checks():
    # The walk itself: imports at the top and inside a function, of a module and of a name.
    found = {(i.source, i.target) for i in IMPORTS}
    assert ("botbeat.apps", "botbeat.signals") in found  # inside AppConfig.ready()
    assert ("comments.admin", "botbeat.admin") in found
    assert ("botbeat.management.commands.generate_fake", "bench.fake") in found
    assert len(MODULES) > 60


def test_no_module_imports_itself_back():
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for found in IMPORTS:
        if found.runs:
            graph[found.source].add(found.target)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = error.args[1][::-1]  # graphlib lists each node before the ones that import it
        raise AssertionError(f"an import cycle: {' -> '.join(cycle)}") from None


def test_the_apps_depend_one_way():
    wrong = {
        str(found)
        for found in IMPORTS
        if app_of(found.source) in APPS
        and app_of(found.target) in APPS
        and not is_ui(found.source)
        and domain(app_of(found.source)) != domain(app_of(found.target))
        and domain(app_of(found.target)) not in DEPENDS_ON[domain(app_of(found.source))]
    }
    assert not wrong, "\n".join(sorted(wrong))


def test_no_app_imports_another_apps_views_or_admin():
    crossing = {
        (found.source, found.target): found
        for found in IMPORTS
        if app_of(found.source) in APPS
        and is_ui(found.target)
        and app_of(found.source) != app_of(found.target)
    }
    wrong = {str(found) for pair, found in crossing.items() if pair not in PENDING}
    assert not wrong, "\n".join(sorted(wrong))
    gone = PENDING - crossing.keys()
    assert not gone, f"no longer imported, drop from PENDING: {sorted(gone)}"


def test_botbeats_shared_modules_import_no_app_but_what_they_read():
    wrong = {
        str(found)
        for found in IMPORTS
        if app_of(found.source) == "botbeat"
        and not is_wiring(found.source)
        and (
            app_of(found.target) in TOOLING
            or is_wiring(found.target)
            or (
                app_of(found.target) in APPS
                and found.target not in SHARED_READS.get(found.source, set())
            )
        )
    }
    assert not wrong, "\n".join(sorted(wrong))


def test_nothing_below_imports_the_wiring_or_the_tooling():
    wrong = {
        str(found)
        for found in IMPORTS
        if app_of(found.source) in APPS
        and (is_wiring(found.target) or app_of(found.target) in TOOLING)
    }
    assert not wrong, "\n".join(sorted(wrong))
