"""Load generation: wrk, the Lua scripts it runs and the figures it prints.

wrk drives the server from one process in C, far faster than a Python client: on 2 shared
cores a Python load generator would measure itself. A Lua script picks each request's path: a
rotation over a few paths, or a Zipf-weighted mix (`mix_script`) drawn from a cumulative table,
every request formatted once at start.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = "10s"  # a slower answer counts as a socket timeout (an error)


class LoadError(Exception):
    """wrk is missing, failed or printed something else than its figures."""


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int = 0
    socket_errors: int = 0

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(text: str) -> WrkResult:
    """The figures of one `wrk --latency` run, from its standard output."""

    def find(pattern: str) -> re.Match | None:
        return re.search(pattern, text, re.MULTILINE)

    def percentile(p: int) -> float:
        match = find(rf"^\s*{p}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$")
        if match is None:
            raise ValueError(f"no {p}th percentile in wrk's output (was --latency given?)")
        return float(match[1]) * UNITS_MS[match[2]]

    rate = find(r"^Requests/sec:\s+([\d.]+)")
    count = find(r"^\s*(\d+) requests in ")
    if rate is None or count is None:
        raise ValueError(f"not wrk's output:\n{text}")
    sockets = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    non_2xx = find(r"Non-2xx or 3xx responses: (\d+)")
    return WrkResult(
        requests_per_s=float(rate[1]),
        p50_ms=percentile(50),
        p99_ms=percentile(99),
        requests=int(count[1]),
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def lua_string(text: str) -> str:
    """`text` as a Lua string literal: a JSON string is one when it is ASCII (ensure_ascii)
    and holds no escape Lua reads otherwise (`\\/` and `\\uXXXX`: not in URL paths)."""
    literal = json.dumps(text)
    if "\\u" in literal or "\\/" in literal:
        raise ValueError(f"not a plain ASCII path: {text!r}")
    return literal


def rotating_script(paths: list[str]) -> str:
    """A wrk Lua script that cycles through `paths`."""
    listed = ", ".join(lua_string(p) for p in paths)
    return (
        f"local paths = {{{listed}}}\n"
        "local sent = 0\n"
        "request = function()\n"
        "  sent = sent + 1\n"
        "  return wrk.format(nil, paths[(sent % #paths) + 1])\n"
        "end\n"
    )


def cumulative(weights: list[float]) -> list[float]:
    """Running sums of `weights`, normalised to end at exactly 1.0."""
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    total, running, out = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        out.append(running / total)
    out[-1] = 1.0
    return out


def mix_script(paths: list[str], weights: list[float], *, seed: int = 1) -> str:
    """A wrk Lua script drawing each request's path with probability weight / sum(weights).

    The table of cumulative weights is searched by bisection (12 steps for 4,000 paths) and
    every request is formatted once, at `init`, so each request costs wrk a few table lookups.
    Each wrk thread seeds its own generator (`seed` + its number): runs are reproducible.
    """
    if len(paths) != len(weights):
        raise ValueError("one weight per path")
    sums = cumulative(weights)
    # One value a line: LuaJIT reads long table constructors fine, and diffs stay readable.
    listed = ",\n".join(lua_string(p) for p in paths)
    cum = ",\n".join(f"{s:.12g}" for s in sums)
    return f"""\
local paths = {{
{listed}
}}
local cum = {{
{cum}
}}
local formatted = {{}}
local counter = 0

setup = function(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

init = function(args)
  math.randomseed({seed} + (thread_number or 0))
  for i = 1, #paths do
    formatted[i] = wrk.format(nil, paths[i])
  end
end

request = function()
  local r = math.random()
  local lo, hi = 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < r then lo = mid + 1 else hi = mid end
  end
  return formatted[lo]
end
"""


def ensure_wrk(say) -> None:
    """Installs wrk from Debian's packages when it is missing (apt-get; the machines here run
    as root), refreshing the package lists if the first try fails."""
    if shutil.which("wrk"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "wrk"]
    say(f"wrk is missing: installing Debian's package ({shlex.join(install)}).")
    if subprocess.run(install, env=env, stdin=subprocess.DEVNULL, timeout=600).returncode:
        say("apt-get install failed: refreshing the package lists (apt-get update).")
        subprocess.run(["apt-get", "update"], env=env, stdin=subprocess.DEVNULL, timeout=600)
        subprocess.run(install, env=env, stdin=subprocess.DEVNULL, timeout=600)
    if not shutil.which("wrk"):
        raise LoadError(
            "Could not install wrk (apt-get install -y wrk failed, see above): install it, "
            "then run the benchmark again."
        )


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    return (done.stdout or done.stderr).split("[")[0].strip() or "wrk"


def run_wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    threads: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> WrkResult:
    """One wrk run against `url` (its path is replaced by the script's, when one is given)."""
    command = ["wrk", "--latency", "--timeout", TIMEOUT, "-d", f"{duration}s"]
    command += ["-t", str(threads), "-c", str(connections)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    if done.returncode != 0:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    try:
        return parse_wrk(done.stdout)
    except ValueError as error:
        raise LoadError(str(error)) from None
