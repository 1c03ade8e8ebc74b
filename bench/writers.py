"""The writers of a phase: comment posts or sign-ins at a steady rate, over HTTP.

    python -m bench.writers CONFIG.json RESULT.json

A process of its own, beside wrk, so that neither slows the other's clock: job `i` of the
config starts at `start_at + i / rate` (wall-clock seconds, the same clock as the benchmark's
process), on a pool of threads, until `duration` has passed; a job that cannot start on time
(every thread busy waiting on the server) starts late, and how late is reported. Each answer is
recorded: a post acknowledged is a 201 with the new comment's id, a sign-in a 200 with a token.
The benchmark then checks every acknowledged write in the database.

The config (JSON): `port`, `kind` ("posts" or "signins"), `rate` (per second), `start_at`,
`duration` (seconds), `threads`, and `jobs`: for posts `{"path", "token", "body"}` (the token
a reader's bearer token), for sign-ins `{"username", "password"}`.

Standard library only: it starts in milliseconds and imports nothing of Django.
"""

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

HOST = "127.0.0.1"
TIMEOUT = 30  # seconds for one request; a slower one counts as an error


def post_json(port: int, path: str, payload: dict, headers: dict) -> tuple[int, bytes]:
    body = json.dumps(payload).encode()
    conn = HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def attempt(config: dict, index: int, job: dict) -> dict:
    """One write; returns what the benchmark records of it."""
    port, kind = config["port"], config["kind"]
    started = time.time()
    record = {"i": index, "late_ms": (started - scheduled(config, index)) * 1000}
    try:
        if kind == "posts":
            status, body = post_json(
                port,
                job["path"],
                {"body": job["body"]},
                {"Authorization": f"Bearer {job['token']}"},
            )
        else:
            status, body = post_json(
                port,
                "/api/v1/auth/token/",
                {"username": job["username"], "password": job["password"]},
                {},
            )
    except OSError as error:
        record.update(status=f"{type(error).__name__}", ms=(time.time() - started) * 1000)
        return record
    record.update(status=str(status), ms=(time.time() - started) * 1000)
    try:
        answer = json.loads(body)
    except ValueError:
        return record
    if kind == "posts" and status == 201 and isinstance(answer.get("id"), int):
        record["id"] = answer["id"]
        token, path = job["token"], f"/api/v1/comments/{answer['id']}/"
    elif kind == "signins" and status == 200 and isinstance(answer.get("token"), str):
        record["token"] = answer["token"]
        token, path = answer["token"], "/api/v1/auth/me/"
    else:
        return record
    if config.get("read_back"):  # at once, as the writer: its write must be there
        try:
            record["read_back"] = str(get(port, path, {"Authorization": f"Bearer {token}"}))
        except OSError as error:
            record["read_back"] = type(error).__name__
    return record


def get(port: int, path: str, headers: dict) -> int:
    conn = HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={"Accept": "application/json", **headers})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def scheduled(config: dict, index: int) -> float:
    return config["start_at"] + index / config["rate"]


def run(config: dict) -> dict:
    """Every job whose time comes within the duration, at its time; their records, in order."""
    jobs = config["jobs"]
    end = config["start_at"] + config["duration"]
    records: list[dict] = []
    lock = threading.Lock()

    def work(index: int, job: dict) -> None:
        record = attempt(config, index, job)
        with lock:
            records.append(record)

    with ThreadPoolExecutor(config["threads"]) as pool:
        for index, job in enumerate(jobs):
            at = scheduled(config, index)
            if at >= end:
                break
            delay = at - time.time()
            if delay > 0:
                time.sleep(delay)
            pool.submit(work, index, job)
    return {"records": sorted(records, key=lambda r: r["i"]), "finished_at": time.time()}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0]) as source:
        config = json.load(source)
    result = run(config)
    with open(argv[1], "w") as target:
        json.dump(result, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
