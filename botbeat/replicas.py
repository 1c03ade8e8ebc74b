"""Read replicas: reads on a PostgreSQL streaming replica, writes on the primary, and no read
older than a write acknowledged before it began.

`DATABASE_REPLICA_URLS` names the replicas (settings.py makes them the aliases `replica1`,
`replica2`, ...). `ReplicaMiddleware` lets the reads of a GET or HEAD request go to one of them;
everything else (every write, every read of a POST, the worker, management commands) stays on
the primary, `default`.

How a client reads its own writes, and everyone else's: by WAL position, not by who the client
is. After every write (each request with an unsafe method, and each purge of the response cache,
which the worker's and the commands' writes send too) the primary's WAL position is recorded in
Redis, kept as the highest seen (`note_write`). A request's first read compares it with the
position the replica has replayed: a replica that has not replayed every recorded write is not
used for that request, which reads the primary instead. So the writer reads its own write on any
app server, through any balancer, with any credential or none; so does every other client once
the write is acknowledged; and the response cache is never filled with an answer older than a
purge it has seen (the position is recorded before the purge and read after the cache missed).
On the same network a replica is usually behind by a millisecond, so almost every read still goes
to it. Without an answer from Redis nothing is known about recent writes: reads go to the primary.

A replica is also skipped while it is down (it refused or dropped a connection) or lagging:
behind by more than `DATABASE_REPLICA_MAX_LAG_SECONDS` or not streaming from the primary, since
writes this process did not see (the worker's, a script's) may then be missing from it. Each
process checks each replica at most every `CHECK_SECONDS` (a down one every `DOWN_RETRY_SECONDS`,
as a connection attempt can take `DATABASE_CONNECT_TIMEOUT`), and `/readyz` reports them. A GET
whose replica failed while it ran (a 5xx) is answered again from the primary: a replica lost
mid-request costs that request time, never an error.
"""

import logging
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connections, router
from django.db.models import Model

logger = logging.getLogger(__name__)

PRIMARY = "default"
WRITTEN_KEY = "botbeat:replicas:written"  # a sorted set: "primary" -> the highest WAL position
CHECK_SECONDS = 1.0
DOWN_RETRY_SECONDS = 5.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The position of a WAL location in bytes, as an integer: comparable, and exact in a Redis
# score (a double) up to 8 PiB of WAL.
POSITION_SQL = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
REPLAYED_SQL = "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn"
STATUS_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
    "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END, "
    "EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')"
)


def aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


@dataclass
class Replica:
    """What this process knows of one replica."""

    alias: str
    state: str = "unknown"  # ok, lagging, down
    replayed: int = -1  # the WAL position it has replayed, as of `checked`
    lag_seconds: float | None = None
    checked: float = float("-inf")  # time.monotonic()

    def due(self) -> bool:
        wait = DOWN_RETRY_SECONDS if self.state == "down" else CHECK_SECONDS
        return time.monotonic() - self.checked >= wait

    def check(self) -> None:
        """Ask the replica how far it is (one query), and judge it."""
        self.checked = time.monotonic()
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(STATUS_SQL)
                recovering, replayed, lag, streaming = cursor.fetchone()
        except DatabaseError:
            self.fail()
            return
        self.lag_seconds = None if lag is None else float(lag)
        self.replayed = -1 if replayed is None else int(replayed)
        behind = (
            self.lag_seconds is None or self.lag_seconds > settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        )
        if not recovering:  # promoted: no longer following this primary
            self.fail()
        else:
            self.state = "lagging" if behind or not streaming else "ok"

    def fail(self) -> None:
        if self.state != "down":
            logger.warning("replica %s is down: reads go elsewhere", self.alias)
        self.state, self.replayed, self.lag_seconds = "down", -1, None
        connections[self.alias].close()

    def has_replayed(self, written: int) -> bool:
        """Whether every write up to `written` is visible here; asks again (one query) only if
        what this process last heard is older."""
        if self.replayed >= written:
            return True
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(REPLAYED_SQL)
                (replayed,) = cursor.fetchone()
        except DatabaseError:
            self.fail()
            return False
        self.replayed = -1 if replayed is None else int(replayed)
        return self.replayed >= written


_replicas: dict[str, Replica] = {}


def replicas() -> list[Replica]:
    """This process's replicas, each checked if its last check is old."""
    found = [_replicas.setdefault(alias, Replica(alias)) for alias in aliases()]
    for replica in found:
        if replica.due():
            replica.check()
    return found


def states() -> list[dict]:
    """Each replica as `/readyz` reports it: as this process last checked it (probes add no
    check to the periodic one, so a frequent probe does not load the replicas)."""
    found = []
    for replica in replicas():
        lag = None if replica.lag_seconds is None else round(replica.lag_seconds, 3)
        found.append({"name": replica.alias, "state": replica.state, "lag_seconds": lag})
    return found


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def note_write() -> None:
    """Record the primary's WAL position after a write committed (a no-op without replicas)."""
    if not aliases():
        return
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(POSITION_SQL)
            (position,) = cursor.fetchone()
        _redis().zadd(WRITTEN_KEY, {"primary": int(position)}, gt=True)
    except (DatabaseError, redis.RedisError):
        # Not recorded: readers may miss this write on a replica until it has replayed it.
        logger.warning("the position of a write could not be recorded", exc_info=True)


def written() -> int | None:
    """The highest WAL position a write was recorded at; None when Redis does not answer."""
    try:
        score = _redis().zscore(WRITTEN_KEY, "primary")
    except redis.RedisError:
        return None
    if score is None:  # Redis restarted, or no write yet: start from the primary's position now
        note_write()
        try:
            score = _redis().zscore(WRITTEN_KEY, "primary")
        except redis.RedisError:
            return None
    return None if score is None else int(score)


class Route:
    """One request's reads: a replica or the primary, chosen at its first read."""

    def __init__(self, allowed: bool):
        self.allowed = allowed
        self.replica: Replica | None = None
        self.chosen: str | None = None  # the alias, once a read asked

    def alias(self) -> str:
        if self.chosen is None:
            self.chosen = self._choose() if self.allowed else PRIMARY
        return self.chosen

    def _choose(self) -> str:
        position = written()
        if position is None:
            return PRIMARY
        candidates = [replica for replica in replicas() if replica.state == "ok"]
        random.shuffle(candidates)
        for replica in candidates:
            if replica.has_replayed(position):
                self.replica = replica
                return replica.alias
        return PRIMARY


_route: ContextVar[Route | None] = ContextVar("replica_route", default=None)


def reading(model: type[Model]):
    """The connection a read of `model` goes to, for raw SQL."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    """Reads where the request's route says (the primary outside a request), writes and
    migrations on the primary."""

    def db_for_read(self, model, **hints):
        route = _route.get()
        return PRIMARY if route is None else route.alias()

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every database holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    """Routes a safe request's reads (`Route`), records the position of an unsafe one's writes,
    and answers again from the primary a GET that failed on its replica.

    Inside the response cache: a hit costs no database, and a miss reads the recorded position
    after the cache missed, so that no purge it saw can be older than what it reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not aliases():
            return self.get_response(request)
        safe = request.method in SAFE_METHODS
        route = Route(allowed=safe)
        token = _route.set(route)
        try:
            response = self.get_response(request)
            if route.replica is not None and response.status_code >= 500:
                # Whatever failed (the replica lost, a query cancelled by a conflict with its
                # replay), a safe request can be answered again, from the primary.
                route.replica.check()
                _route.set(Route(allowed=False))
                response = self.get_response(request)
        finally:
            _route.reset(token)
        if not safe:
            note_write()
        return response
