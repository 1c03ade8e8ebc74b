"""What a run measured, how it reads: the Markdown report, the targets and the PNG chart."""

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import WrkResult
from bench.scenarios import Endpoint, MixUrl, Phase, composition

MISS_RUNS = 3  # in-process requests timed per endpoint with the response cache off
COMMENTS_PER_ARTICLE = 10
SLOWEST_SHOWN = 10

# Issue 10's targets for the mix: its requests/s over the ceiling's, per phase (by key).
PHASE_FLOORS = {"reads": 0.80, "posts:2": 0.50, "posts:20": 0.40, "signins:1": 0.50}
P99_MS = 50
# Computed (in-process, the response cache off) at most this many milliseconds, per endpoint of
# the per-endpoint table.
COMPUTED_BOUNDS_MS = {
    "feed": 3,
    "detail": 3,
    "more-from-company": 3,
    "feed ?company": 3,
    "feed ?tag": 3,
    "suggested": 6,
    "comments": 8,  # its first page: 200 comments
}
MIX_COMPUTED_MAX_MS = 50
GROWTH_FLOOR = 0.80  # no endpoint more than 20% slower at the largest size than the smallest


# What was measured


@dataclass
class Measure:
    endpoint: Endpoint
    status: int | None = None  # of one request before the load
    size: int | None = None  # bytes of that answer's body
    # In-process, computed (the response cache off): the second (warm) request's queries,
    # the first's, the warm request's time in the database, and the median time of MISS_RUNS.
    queries: int | None = None
    cold_queries: int | None = None
    db_ms: float | None = None
    miss_ms: float | None = None
    sql: list[str] = field(default_factory=list)  # the warm request's
    slowest_sql: str = ""
    hit_queries: int | None = None  # in-process, served by the response cache (when it is on)
    etag: str | None = None  # the feed's, for the 304's If-None-Match
    problems: list[str] = field(default_factory=list)
    runs: list[WrkResult] = field(default_factory=list)

    def median(self, name: str) -> float | None:
        values = [getattr(run, name) for run in self.runs]
        return statistics.median(values) if values else None

    @property
    def errors(self) -> int | None:
        return sum(run.errors for run in self.runs) if self.runs else None


@dataclass
class UrlCost:
    """One URL of the mix computed in-process, the response cache off."""

    path: str
    group: str
    ms: float
    status: int
    size: int
    queries: int | None = None  # counted for the slowest only


@dataclass
class Writes:
    attempted: int = 0
    acknowledged: int = 0
    lost: int = 0  # acknowledged, and not in the database
    statuses: dict[str, int] = field(default_factory=dict)  # answer -> count
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_late_ms: float = 0.0  # how late the latest write started after its time
    unseen: int | None = None  # acknowledged, and not read back at once by the writer (--replica)

    @property
    def refused(self) -> int:
        return self.attempted - self.acknowledged


@dataclass
class Priming:
    """Requesting every URL of the mix once before a phase (within a time bound)."""

    seconds: float = 0.0
    requested: int = 0
    total: int = 0
    errors: int = 0  # not a 200

    def __str__(self) -> str:
        text = f"{self.requested:,}/{self.total:,} in {self.seconds:.0f}s"
        return text + (f", {self.errors} errors" if self.errors else "")


@dataclass
class PhaseResult:
    phase: Phase
    run: WrkResult | None = None
    priming: Priming = field(default_factory=Priming)
    writes: Writes | None = None
    cpu_others: float | None = None
    db_connections: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class ServerResult:
    name: str
    label: str
    command: str
    ceiling: WrkResult | None = None
    mix_ceiling: WrkResult | None = None
    mix: WrkResult | None = None
    priming: Priming = field(default_factory=Priming)
    db_connections: int | None = None
    rss_mib: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        base = self.mix_ceiling or self.ceiling
        if self.mix and base and base.requests_per_s:
            return self.mix.requests_per_s / base.requests_per_s
        return None


@dataclass
class SizeResult:
    size: int
    migrate_s: float = 0.0
    load_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)
    plans: list[tuple[str, str, str]] = field(default_factory=list)  # endpoint, sql, plan
    feed_plan: str = ""  # EXPLAIN ANALYZE of the feed's page query
    soak_growth: float | None = None  # the workers' memory over the soak, percent
    soak_requests: int = 0
    mix: list[MixUrl] = field(default_factory=list)
    mix_bytes: float | None = None  # the mix's mean body, weighted as wrk draws it
    # The mix's own ceiling: precomputed bodies of the mix's answers' sizes, drawn with its
    # weights (bench/ceiling.py, `?bytes=`): what the mix would do if every answer cost nothing.
    mix_ceiling: WrkResult | None = None
    costs: list[UrlCost] = field(default_factory=list)
    mix_problems: list[str] = field(default_factory=list)
    phases: list[PhaseResult] = field(default_factory=list)
    servers: list[ServerResult] = field(default_factory=list)

    def ratio(self, name: str, to: str = "ceiling") -> float | None:
        """An endpoint's median requests/s over another's (the ceiling's by default)."""
        a, b = self.measure(name), self.measure(to)
        rate, base = (
            (a.median("requests_per_s") if a else None),
            (b.median("requests_per_s") if b else None),
        )
        return rate / base if rate is not None and base else None

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.endpoint.name == name), None)

    @property
    def loaded(self) -> list[Measure]:
        """The endpoints wrk drives."""
        return [m for m in self.measures if m.endpoint.load]

    @property
    def ceiling_rate(self) -> float | None:
        ceiling = self.measure("ceiling")
        return ceiling.median("requests_per_s") if ceiling else None

    def phase_ratio(self, phase: PhaseResult) -> float | None:
        """The phase's requests/s over the mix's ceiling (over the plain ceiling's without)."""
        base = self.mix_ceiling.requests_per_s if self.mix_ceiling else self.ceiling_rate
        return phase.run.requests_per_s / base if phase.run and base else None

    def slowest(self, count: int = SLOWEST_SHOWN) -> list[UrlCost]:
        return sorted(self.costs, key=lambda c: c.ms, reverse=True)[:count]


# Formatting


def markdown_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        padded = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(header), line(rule), *(line(row) for row in rows)])


def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def without_password(text: str) -> str:
    """`text` with the password of any URL in it masked, for the report."""
    return re.sub(r"(://[^/:@\s]*:)[^@\s]*@", r"\1***@", text)


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def code(text: str, limit: int = 110) -> str:
    """`text` as inline code in a table cell, cut to `limit` characters."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "`" + text.replace("|", "%7C").replace("`", "'") + "`"


# The mix


def render_phases(result: SizeResult) -> str:
    rows = []
    for p in result.phases:
        run, writes = p.run, p.writes
        rows.append(
            [
                p.phase.label,
                number(run.requests_per_s if run else None),
                number(result.phase_ratio(p), 2),
                number(run.p50_ms if run else None, 1),
                number(run.p99_ms if run else None, 1),
                number(run.errors if run else None),
                f"{writes.acknowledged:,} / {writes.attempted:,}" if writes else "-",
                number(writes.lost) if writes else "-",
                f"{number(writes.p50_ms, 0)} / {number(writes.p99_ms, 0)}" if writes else "-",
                str(p.priming),
                f"{p.cpu_others:.0%}" if p.cpu_others is not None else "-",
            ]
        )
    return markdown_table(
        ["phase", "req/s", "x ceiling", "p50 ms", "p99 ms", "errors", "writes ack / tried",
         "lost", "write p50 / p99 ms", "primed URLs", "other CPU"],
        rows,
        right=set(range(1, 11)),
    )  # fmt: skip


def render_mix(result: SizeResult) -> str:
    size = result.size
    lines = [f"## The mix at {size:,} articles, {size * COMMENTS_PER_ARTICLE:,} comments", ""]
    if not result.mix:
        return "\n".join([*lines, "No mix was run (--phases none).", ""])
    ceiling = result.measure("ceiling")
    mix_ceiling = result.mix_ceiling
    lines += [
        f"{len(result.mix):,} distinct public URLs, drawn by Zipf weight (each group's share "
        "below, spread by popularity rank); their mean answer: "
        f"{number(result.mix_bytes)} bytes. x ceiling: over the mix's ceiling, "
        f"{number(mix_ceiling.requests_per_s if mix_ceiling else None)} req/s (p99 "
        f"{number(mix_ceiling.p99_ms if mix_ceiling else None, 1)} ms): the ceiling view "
        "serving bodies of the sizes of the mix's answers, drawn with the same weights (the "
        f"plain ceiling, {number(ceiling.size if ceiling else None)} bytes: "
        f"{number(result.ceiling_rate)} req/s). Before each phase "
        "every URL is requested once, the most asked first, within a time bound (primed URLs), "
        "then wrk runs the phase while the writers "
        "(another process) post through HTTP at a steady rate. Errors: non-2xx/3xx answers and "
        "socket errors; lost: acknowledged writes (a 201 and its id, a 200 and its token) not "
        "found in the database afterwards.",
        "",
        render_phases(result),
        "",
    ]
    for p in result.phases:
        if p.writes and p.writes.statuses:
            answers = ", ".join(f"{k}: {v:,}" for k, v in sorted(p.writes.statuses.items()))
            late = f"; the latest write started {p.writes.max_late_ms:,.0f} ms after its time"
            lines.append(f"- {p.phase.label}: writers' answers {answers}{late}")
        lines += [f"- PROBLEM, {p.phase.label}: {problem}" for problem in p.problems]
    lines += [f"- PROBLEM, the mix: {problem}" for problem in result.mix_problems]
    rows = [
        [group, number(urls), f"{share:.1%}", f"{top:.2%}"]
        for group, urls, share, top in composition(result.mix)
    ]
    lines += [
        "",
        "The mix's groups:",
        "",
        markdown_table(["group", "URLs", "of requests", "its top URL"], rows, {1, 2, 3}),
        "",
    ]
    if result.costs:
        slowest = result.slowest()
        lines += [
            f"The {len(slowest)} most expensive URLs of the mix, computed in-process with the "
            f"response cache off (every one of the {len(result.costs):,} URLs computed once; "
            f"these, the median of {MISS_RUNS} more):",
            "",
            markdown_table(
                ["ms", "queries", "bytes", "group", "URL"],
                [
                    [f"{c.ms:.1f}", number(c.queries), number(c.size), c.group, code(c.path)]
                    for c in slowest
                ],
                {0, 1, 2},
            ),
            "",
            cost_summary(result.costs),
            "",
        ]
    return "\n".join(lines)


def cost_summary(costs: list[UrlCost]) -> str:
    """The computed cost over the mix's URLs: median, p90, p99, and how many over 50 ms."""
    values = sorted(c.ms for c in costs)
    if not values:
        return ""

    def at(q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))]

    over = sum(v > MIX_COMPUTED_MAX_MS for v in values)
    return (
        f"Computed cost over the mix's URLs: median {at(0.5):.1f} ms, p90 {at(0.9):.1f} ms, "
        f"p99 {at(0.99):.1f} ms, max {values[-1]:.1f} ms; {over:,} over {MIX_COMPUTED_MAX_MS} ms."
    )


def render_servers(result: SizeResult) -> str:
    if not result.servers:
        return ""
    base = next((s.ceiling.requests_per_s for s in result.servers if s.ceiling), None)
    rows = [
        [
            s.label,
            number(s.ceiling.requests_per_s if s.ceiling else None),
            number(s.ceiling.requests_per_s / base if s.ceiling and base else None, 2),
            number(s.mix_ceiling.requests_per_s if s.mix_ceiling else None),
            number(s.mix.requests_per_s if s.mix else None),
            number(s.ratio, 2),
            number(s.mix.p50_ms if s.mix else None, 1),
            number(s.mix.p99_ms if s.mix else None, 1),
            number(sum(run.errors for run in (s.ceiling, s.mix_ceiling, s.mix) if run)),
            number(s.db_connections),
            number(s.rss_mib, 0),
        ]
        for s in result.servers
    ]
    lines = [
        f"## Servers at {result.size:,} articles: the ceiling and the mix without writes",
        "",
        markdown_table(
            [
                "server",
                "ceiling req/s",
                "x first",
                "mix ceiling req/s",
                "mix req/s",
                "mix x its ceiling",
                "mix p50 ms",
                "mix p99 ms",
                "errors",
                "db connections",
                "workers' MiB",
            ],
            rows,
            set(range(1, 11)),
        ),
        "",
        "Each server in turn on the same data, the same settings (bench.settings), the same wrk "
        "(its connections kept alive when the server allows it): the ceiling (the feed's size), "
        "the mix's ceiling and the mix, each primed first; x first: the ceiling over the first "
        "server's; db connections: the database's sessions after the mix (CONN_MAX_AGE keeps "
        "one per worker thread).",
        "",
    ]
    lines += [f"- `{s.command}`" for s in result.servers]
    for s in result.servers:
        lines += [f"- PROBLEM, {s.label}: {problem}" for problem in s.problems]
    return "\n".join(lines)


# The per-endpoint table


def render_size(result: SizeResult) -> str:
    rows = []
    for m in result.measures:
        status = "-" if m.status is None else str(m.status)
        if m.status is not None and m.status != m.endpoint.expect:
            status += "!"
        rows.append(
            [
                m.endpoint.name,
                status,
                number(m.size),
                number(m.median("requests_per_s")),
                number(m.median("p50_ms"), 1),
                number(m.median("p99_ms"), 1),
                number(m.errors),
                number(result.ratio(m.endpoint.name), 2),
                number(m.miss_ms, 1),
                number(m.queries),
                number(m.db_ms, 1),
                number(m.hit_queries),
            ]
        )
    table = markdown_table(
        ["endpoint", "status", "bytes", "req/s", "p50 ms", "p99 ms", "errors", "x ceiling",
         "computed ms", "queries", "db ms", "cached: queries"],
        rows,
        right=set(range(1, 12)),
    )  # fmt: skip
    legend = (
        "One URL at a time into a warm cache. req/s, p50, p99, errors: through the server under "
        "wrk (medians of the runs); x ceiling: req/s over the ceiling's; computed ms, queries, "
        f"db ms: in-process with the response cache off (median of {MISS_RUNS} requests; the "
        "second request's queries and their time in the database); cached: queries: a request "
        "the response cache answers ('-' when it is off)."
    )
    lines = [
        f"## Each endpoint at {result.size:,} articles, "
        f"{result.size * COMMENTS_PER_ARTICLE:,} comments"
    ]
    lines += ["", *(f"- {note}" for note in result.notes), "", table, "", legend, ""]
    lines += [f"- {line}" for line in result.memory]
    for m in result.measures:
        lines += [f"- PROBLEM, {m.endpoint.name}: {p}" for p in m.problems]
    return "\n".join(lines)


def growth(results: list[SizeResult], name: str, result: SizeResult) -> float | None:
    """An endpoint's ratio to the ceiling at `result`'s size over the same at the smallest.

    Each size is measured minutes apart, on a machine whose speed drifts (shared cores,
    frequency); the ceiling measured beside each endpoint cancels that drift out.
    """
    base, now = results[0].ratio(name), result.ratio(name)
    return now / base if now is not None and base else None


def computed_growth(results: list[SizeResult], name: str, result: SizeResult) -> float | None:
    """An endpoint's computed cost at the smallest size over the same at `result`'s: 1.00 as
    cheap, 0.80 20% more expensive (the same sense as `growth`)."""
    a, b = results[0].measure(name), result.measure(name)
    if a and b and a.miss_ms and b.miss_ms:
        return a.miss_ms / b.miss_ms
    return None


def render_growth(results: list[SizeResult]) -> str:
    if len(results) < 2:
        return ""
    header = ["endpoint", *(f"{r.size:,}" for r in results)]
    rows = [
        [m.endpoint.name, *(number(growth(results, m.endpoint.name, r), 2) for r in results)]
        for m in results[0].loaded
        if m.endpoint.name != "ceiling"
    ]
    title = (
        f"## How cost grows: requests/s relative to {results[0].size:,} articles, each "
        "size's figure taken as a ratio to its own ceiling (1.00: as fast; 0.80: 20% slower)"
    )
    computed = [
        [m.endpoint.name, *(number(r.measure(m.endpoint.name).miss_ms, 1) for r in results)]
        for m in results[0].measures
        if m.endpoint.name != "ceiling" and all(r.measure(m.endpoint.name) for r in results)
    ]
    return "\n".join(
        [
            title,
            "",
            markdown_table(header, rows, set(range(1, len(header)))),
            "",
            "## Computed (the response cache off), in-process: milliseconds per request",
            "",
            markdown_table(header, computed, set(range(1, len(header)))),
        ]
    )


# The targets


def targets(results: list[SizeResult], connections: int) -> list[tuple[str, str, bool]]:
    """Issues 5's and 10's targets as (target, figure, met), at the largest size (growth: from
    the smallest). Ratios are of requests/s measured in this run."""
    big = results[-1]
    checks: list[tuple[str, str, bool]] = []

    # Issue 10: the mix.
    for p in big.phases:
        floor = PHASE_FLOORS.get(p.phase.key)
        value = big.phase_ratio(p)
        if floor is not None and value is not None:
            checks.append(
                (f"mix, {p.phase.label}: >= {floor:.2f} x ceiling", f"{value:.2f}", value >= floor)
            )
    runs = [(p.run.p99_ms, p.phase.label) for p in big.phases if p.run]
    if runs:
        value, label = max(runs)
        checks.append(
            (
                f"mix p99 < {P99_MS} ms in every phase",
                f"highest: {label} {value:.1f} ms",
                value < P99_MS,
            )
        )
    phases = [p for r in results for p in r.phases]
    if phases:
        wrk_errors = sum(p.run.errors for p in phases if p.run)
        refused = sum(p.writes.refused for p in phases if p.writes)
        priming = sum(p.priming.errors for p in phases)
        checks.append(
            (
                "mix: no errors (every size and phase)",
                f"{wrk_errors} under wrk, {priming} priming, {refused} writes refused",
                wrk_errors + refused + priming == 0,
            )
        )
        written = [p.writes for p in phases if p.writes]
        if written:
            lost = sum(w.lost for w in written)
            acknowledged = sum(w.acknowledged for w in written)
            checks.append(("0 acknowledged writes lost", f"{lost} of {acknowledged:,}", lost == 0))
    for name, bound in COMPUTED_BOUNDS_MS.items():
        measure = big.measure(name)
        if measure and measure.miss_ms is not None:
            checks.append(
                (
                    f"{name} computed <= {bound} ms",
                    f"{measure.miss_ms:.1f} ms",
                    measure.miss_ms <= bound,
                )
            )
    if big.costs:
        worst = big.slowest(1)[0]
        checks.append(
            (
                f"the mix's most expensive request computed < {MIX_COMPUTED_MAX_MS} ms",
                f"{worst.ms:.1f} ms: {worst.path[:80]}",
                worst.ms < MIX_COMPUTED_MAX_MS,
            )
        )
    if len(results) > 1:
        known = [
            (value, m.endpoint.name)
            for m in results[0].measures
            if m.endpoint.name != "ceiling"
            and (value := computed_growth(results, m.endpoint.name, big)) is not None
        ]
        if known:
            value, name = min(known)
            checks.append(
                (
                    f"computed cost flat from {results[0].size:,} to {big.size:,} articles "
                    "(none >20% slower)",
                    f"slowest: {name} {value:.2f}",
                    value >= GROWTH_FLOOR,
                )
            )

    # Issue 5: each endpoint into a warm cache.
    def at_least(label: str, name: str, to: str, floor: float) -> None:
        value = big.ratio(name, to)
        if value is not None:
            checks.append((label, f"{value:.2f}", value >= floor))

    at_least("feed >= 0.50 x ceiling", "feed", "ceiling", 0.50)
    at_least("detail >= 0.65 x ceiling", "detail", "ceiling", 0.65)
    at_least("deep cursor >= 0.90 x feed", "feed deep cursor", "feed", 0.90)
    for name in ("feed ?tag", "feed ?company", "feed ?tag&company", "search ?q"):
        at_least(f"{name} >= 0.50 x feed", name, "feed", 0.50)
    for name in ("suggested", "more-from-company"):
        at_least(f"{name} >= 0.70 x detail", name, "detail", 0.70)
    at_least("feed 304 >= 0.80 x ceiling", "feed 304", "ceiling", 0.80)
    if len(results) > 1:
        known = [
            (value, m.endpoint.name)
            for m in results[0].loaded
            if m.endpoint.name != "ceiling"
            and (value := growth(results, m.endpoint.name, big)) is not None
        ]
        if known:
            value, name = min(known)
            checks.append(
                (
                    f"{results[0].size:,} to {big.size:,} articles: none >20% slower",
                    f"slowest: {name} {value:.2f}",
                    value >= GROWTH_FLOOR,
                )
            )
    errors = sum(m.errors or 0 for r in results for m in r.loaded)
    checks.append(("no errors (every size)", str(errors), errors == 0))
    p99 = [
        (m.median("p99_ms"), m.endpoint.name)
        for m in big.loaded
        if m.runs and not m.endpoint.name.startswith("search")
    ]
    if p99:
        value, name = max(p99)
        checks.append(
            (
                f"p99 < {P99_MS} ms at {connections} connections, search aside",
                f"highest: {name} {value:.1f} ms",
                value < P99_MS,
            )
        )
    feed = big.measure("feed")
    if feed and feed.sql:
        counts = sum("COUNT(*)" in sql.upper() for sql in feed.sql)
        checks.append(
            ("the feed runs no COUNT(*)", f"{counts} of {len(feed.sql)} queries", counts == 0)
        )
    if big.feed_plan:
        index = re.search(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", big.feed_plan)
        sort = re.search(r"^\s*(?:->\s*)?(?:Incremental )?Sort\b", big.feed_plan, re.M)
        checks.append(
            (
                "the feed's plan: an index scan, no sort",
                f"{'index ' + index[1] if index else 'no index scan'}, "
                f"{'a sort' if sort else 'no sort'}",
                bool(index) and not sort,
            )
        )
    suggested = big.measure("suggested")
    if suggested and suggested.sql:
        ranking = sum("SUM(CASE" in sql.upper() for sql in suggested.sql)
        checks.append(("suggested: one ranking query", str(ranking), ranking == 1))
    more = big.measure("more-from-company")
    if more and more.sql:
        pages = sum(" LIMIT " in sql and "ORDER BY" in sql for sql in more.sql)
        checks.append(("more-from-company: one ranking query (its page)", str(pages), pages == 1))
    if big.soak_growth is not None:
        checks.append(
            (
                "workers' memory grows < 10% over the soak",
                f"{big.soak_growth:+.1f}% over {big.soak_requests:,} requests",
                big.soak_growth < 10,
            )
        )
    return checks


def render_targets(results: list[SizeResult], connections: int) -> str:
    checks = targets(results, connections)
    if not checks:
        return ""
    rows = [[label, figure, "met" if met else "MISSED"] for label, figure, met in checks]
    missed = sum(not met for _, _, met in checks)
    return "\n".join(
        [
            f"## Targets at {results[-1].size:,} articles: {len(checks) - missed} met, "
            f"{missed} missed",
            "",
            markdown_table(["target", "measured", ""], rows, set()),
        ]
    )


def render(header: list[str], results: list[SizeResult], *, connections: int, chart: str) -> str:
    """The whole report: the run, the targets, the mix (first), the servers, each endpoint,
    how cost grows, the plans."""
    parts = ["\n".join(header)]
    if results:
        parts.append(render_targets(results, connections))
    if chart:
        parts.append(f"![requests/s and p99 per phase]({chart})")
    parts += [render_mix(r) for r in results if r.mix or r.phases]
    parts += [render_servers(r) for r in results if r.servers]
    parts += [render_size(r) for r in results]
    growth_table = render_growth(results)
    if growth_table:
        parts.append(growth_table)
    for result in results:
        if not result.plans:
            continue
        parts.append(
            f"## EXPLAIN ANALYZE at {result.size:,} articles: each endpoint's slowest query"
        )
        for name, sql, plan in result.plans:
            parts.append(f"### {name}\n\n```sql\n{sql}\n```\n\n```\n{plan}\n```")
    return "\n\n".join(parts) + "\n"


# The chart


def draw_chart(results: list[SizeResult], path: Path) -> bool:
    """requests/s and p99 per phase (one bar per size), and the servers when compared, as a
    PNG; False when there is nothing to draw. matplotlib is imported here: it takes a second,
    and only the benchmark needs it (pyproject's `bench` group)."""
    measured = [r for r in results if any(p.run for p in r.phases)]
    servers = next((r for r in reversed(results) if r.servers), None)
    if not measured and not servers:
        return False
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot

    panels = 2 + (servers is not None)
    figure, axes = pyplot.subplots(1, panels, figsize=(5.5 * panels, 4.6), squeeze=False)
    axes = axes[0]
    labels = [p.phase.label for p in measured[0].phases] if measured else []
    width = 0.8 / max(1, len(measured))
    for i, result in enumerate(measured):
        xs = [x + (i - (len(measured) - 1) / 2) * width for x in range(len(labels))]
        rates = [p.run.requests_per_s if p.run else 0 for p in result.phases]
        p99s = [p.run.p99_ms if p.run else 0 for p in result.phases]
        name = f"{result.size:,} articles"
        axes[0].bar(xs, rates, width, label=name)
        axes[1].bar(xs, p99s, width, label=name)
        base = result.mix_ceiling.requests_per_s if result.mix_ceiling else result.ceiling_rate
        if base:
            axes[0].axhline(base, linestyle="--", linewidth=1, color=f"C{i}")
            axes[0].annotate(
                f"the mix's ceiling, {name}",
                (-0.4, base),
                va="bottom",
                fontsize=7,
                color=f"C{i}",
            )
    axes[1].axhline(P99_MS, linestyle=":", color="red", linewidth=1)
    axes[1].annotate(f"target {P99_MS} ms", (-0.4, P99_MS), va="bottom", fontsize=7, color="red")
    for ax, title in ((axes[0], "the mix: requests/s"), (axes[1], "the mix: p99 latency, ms")):
        ax.set_title(title)
        ax.set_xticks(range(len(labels)), labels, rotation=15, fontsize=8)
        ax.legend(fontsize=8)
    if servers is not None:
        names = [s.name for s in servers.servers]
        ceilings = [s.ceiling.requests_per_s if s.ceiling else 0 for s in servers.servers]
        ceilings_mix = [
            s.mix_ceiling.requests_per_s if s.mix_ceiling else 0 for s in servers.servers
        ]
        mixes = [s.mix.requests_per_s if s.mix else 0 for s in servers.servers]
        xs = range(len(names))
        axes[2].bar([x - 0.27 for x in xs], ceilings, 0.27, label="ceiling (the feed's size)")
        axes[2].bar(list(xs), ceilings_mix, 0.27, label="the mix's ceiling")
        axes[2].bar([x + 0.27 for x in xs], mixes, 0.27, label="the mix, 0 writes")
        axes[2].set_xticks(list(xs), names, fontsize=8)
        axes[2].set_title(f"servers at {servers.size:,} articles: requests/s")
        axes[2].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return True
