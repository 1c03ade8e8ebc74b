"""The server under test, and what /proc says about it and about the machine.

Four servers, each serving botbeat with `DJANGO_SETTINGS_MODULE=bench.settings` (the production
settings and middleware, plus the ceiling's route) on a loopback port:

- `sync`: `gunicorn botbeat.wsgi --workers N`, as the README deploys it today. A sync worker
  serves one request at a time and closes the connection after each answer.
- `gthread`: gunicorn's threaded workers (`--worker-class gthread --threads T`): connections
  are kept alive, an idle one waits in the worker's poller without holding a thread.
- `granian`: `granian --interface wsgi botbeat.wsgi:application`, Rust's HTTP/1.1 (keep-alive)
  in front of T threads per worker running the WSGI application.
- `uvicorn`: `uvicorn botbeat.asgi:application --workers N`, Django's ASGI handler: BotBeat's
  views and middleware are synchronous, so each request runs in the worker's one thread for
  sync code (asgiref's thread-sensitive mode).
"""

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

HOST = "127.0.0.1"
# The balancer's configuration, as shipped (tests/engines/test_balancer.py and bench/tiers.py
# run it in front of gunicorns on loopback ports).
BALANCER_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "botbeat.conf"
START_TIMEOUT = 60
HTTP_TIMEOUT = 30


class ServerError(Exception):
    """The server exited, or did not answer in time."""


@dataclass(frozen=True)
class ServerKind:
    name: str
    label: str  # for the report
    threaded: bool
    command: Callable[[str, int, int, int], list[str]]  # host, port, workers, threads
    env: tuple[tuple[str, str], ...] = ()  # set over the benchmark's environment


def _gunicorn(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "botbeat.wsgi",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip


def _sync(host: str, port: int, workers: int, threads: int) -> list[str]:
    return _gunicorn(host, port, workers)


def _gthread(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [*_gunicorn(host, port, workers), "--worker-class", "gthread", "--threads", str(threads)]


def _granian(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--blocking-threads", str(threads), "--log-level", "warning",
        "botbeat.wsgi:application",
    ]  # fmt: skip


def _uvicorn(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "botbeat.asgi:application",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


KINDS = {
    kind.name: kind
    for kind in [
        ServerKind("sync", "gunicorn sync", False, _sync),
        ServerKind("gthread", "gunicorn gthread", True, _gthread),
        ServerKind("granian", "granian (WSGI)", True, _granian),
        # Django's advice under ASGI: no persistent connections (each request may run its sync
        # code in another thread, and a thread's connection outlives it): with CONN_MAX_AGE=60
        # uvicorn took PostgreSQL's 100 connections within seconds here.
        ServerKind("uvicorn", "uvicorn (ASGI)", False, _uvicorn, (("CONN_MAX_AGE", "0"),)),
    ]
}


def parse_servers(raw: str) -> list[str]:
    """`sync,gthread,...` (or `all`) as a list of known server names, in the order given."""
    names = list(KINDS) if raw.strip() == "all" else [n.strip() for n in raw.split(",")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in KINDS]
    if unknown or not names:
        raise ValueError(
            f"unknown server {', '.join(unknown) or '(none)'}: choose among {', '.join(KINDS)}"
        )
    return list(dict.fromkeys(names))


def describe(name: str, workers: int, threads: int) -> str:
    kind = KINDS[name]
    text = f"{kind.label}, {workers} workers"
    return text + (f" x {threads} threads" if kind.threaded else "")


class Server:
    """A server in its own process group, so that stopping it stops every worker."""

    def __init__(
        self, kind: str, *, port: int, workers: int, threads: int, env: dict, cwd: Path, log: Path
    ):
        self.kind = KINDS[kind]
        self.port = port
        self.workers = workers
        self.threads = threads
        self.command = self.kind.command(HOST, port, workers, threads)
        self.env = {**env, **dict(self.kind.env)}
        self.cwd = cwd
        self.log_path = log
        self.process: subprocess.Popen | None = None

    @property
    def label(self) -> str:
        return describe(self.kind.name, self.workers, self.threads)

    @property
    def display_command(self) -> str:
        """The command as a deployer would type it (`gunicorn ...`, not `python -m ...`)."""
        command = self.command[2:] if self.command[1:2] == ["-m"] else self.command
        return shlex.join(command)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, path: str) -> None:
        """Until `path` answers and every worker is up; at most START_TIMEOUT seconds."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"{self.kind.label} exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                status, _, _ = http_get(self.port, path, timeout=2)
                if status < 500 and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.2)
        raise ServerError(
            f"{self.kind.label} did not answer in {START_TIMEOUT}s:\n{self.log_tail()}"
        )

    def worker_pids(self) -> list[int]:
        """The master's children (uvicorn's multiprocessing may add a helper or two)."""
        return children(self.process.pid) if self.process else []

    def rss_kib(self) -> dict[int, int]:
        """VmRSS of each worker, in KiB."""
        rss = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss[pid] = int(line.split()[1])
        return rss

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def balancer_config(port: int, upstreams: list[int]) -> str:
    """The shipped nginx configuration, listening on `port` and balancing the loopback ports
    `upstreams`; its relative paths (pid, logs, temporary files) land in the prefix nginx is
    given with -p."""
    text = BALANCER_CONFIG.read_text()
    shipped = re.findall(r"^        server 10\.0\.0\.\d+:8000 .*;$", text, flags=re.MULTILINE)
    assert len(shipped) == 2 and text.count("listen 80;") == 1, "the shipped file changed shape"
    options = shipped[0].split(maxsplit=2)[2]
    servers = "\n".join(f"        server {HOST}:{p} {options}" for p in upstreams)
    text = text.replace("\n".join(shipped), servers)
    return text.replace("listen 80;", f"listen {HOST}:{port};")


def children(parent: int) -> list[int]:
    """The processes whose parent is `parent`, from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            pids.append(int(entry.name))
    return sorted(pids)


def http_get(
    port: int, path: str, headers: dict | None = None, timeout: float = HTTP_TIMEOUT
) -> tuple[int, dict[str, str], bytes]:
    """One GET to the local server (http.client: no proxy from the environment applies)."""
    conn = HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def process_cpu(pid: int | str) -> int:
    """A process's CPU time in clock ticks (user + system; with `self`, its waited-for
    children's too: wrk's runs)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # Fields 14 to 17 of proc(5) (utime, stime, cutime, cstime) are 11 to 14 after the comm.
    return sum(int(n) for n in fields[11 : 15 if pid == "self" else 13])


def machine_cpu() -> tuple[int, int]:
    """Busy and total clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def database_processes(name: str) -> list[int]:
    """The PostgreSQL processes working for database `name` (backends, autovacuum), from /proc:
    they come and go (the workers' connections are recycled after CONN_MAX_AGE)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if command.startswith("postgres:") and f" {name} " in command:
                    pids.append(int(entry.name))
    return pids


class CpuShare:
    """How much of the machine's CPU other processes took while the benchmark ran: the
    machine's busy time less that of ours (this process and its children: wrk, the writers;
    and the processes `pids()` names: the server's, the database's). Processes of ours that end
    within the window (a recycled database connection) count up to the last `sample()`."""

    def __init__(self, pids: Callable[[], list[int]]):
        self.pids = pids
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.busy, self.total = machine_cpu()
        self.own = process_cpu("self")
        self.sample(initial=True)

    def sample(self, initial: bool = False) -> None:
        for pid in self.pids():
            ticks = process_cpu(pid)
            if ticks:
                self.first.setdefault(pid, ticks if initial else 0)
                self.last[pid] = ticks

    def others(self) -> float:
        self.sample()
        busy, total = machine_cpu()
        ours = process_cpu("self") - self.own
        ours += sum(self.last[pid] - self.first[pid] for pid in self.last)
        share = (busy - self.busy - ours) / (total - self.total) if total > self.total else 0.0
        return min(1.0, max(0.0, share))
