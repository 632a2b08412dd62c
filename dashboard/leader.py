"""One leader among workers: a Redis lock with a TTL that only its holder can extend."""

import json
import logging
import os
import socket
from datetime import timedelta
from pathlib import Path

import redis
from redis.exceptions import LockError

from socwall.dashboard.clock import utc_now
from socwall.dashboard.outage import StoreOutage
from socwall.file_commit import Fence
from socwall.keys import Keys

log = logging.getLogger(__name__)


HISTORY_BACK = timedelta(days=36)  # the band needs five weeks of history (events' retention)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leader:
    """Call `tick()` every ttl/3: it takes the lock when free and extends it while held."""

    def __init__(self, client: redis.Redis, keys: Keys, ttl: timedelta, worker_id: str):
        self.client, self.keys, self.ttl, self.worker_id = client, keys, ttl, worker_id
        self.lock = client.lock(
            keys.leader(), timeout=ttl.total_seconds(), blocking=False, thread_local=False
        )
        self.is_leader = False
        self.heartbeat_file: Path | None = None  # rewritten while the store answers
        self.config_note: dict = {}  # the config version in force and any refused reload
        self.epoch = 0
        self.outage = StoreOutage()  # shared with this worker's jobs: one log line per streak
        self.marker_seen = False  # this worker saw the store's marker: its loss means data lost

    @property
    def fence(self) -> Fence | None:
        """What a commit must still find in the store to be written: this worker, this epoch."""
        return Fence(self.worker_id, self.epoch) if self.is_leader else None

    def tick(self) -> bool:
        """Keep or take leadership; returns whether this worker leads now."""
        was_leader = self.is_leader
        try:
            if self.is_leader:
                self.lock.reacquire()
            else:
                self.is_leader = bool(self.lock.acquire(blocking=False, token=self.worker_id))
                if self.is_leader:
                    self.epoch = int(self.client.incr(self.keys.leader_epoch()))
        except LockError:
            self.is_leader = False
        except redis.exceptions.RedisError as error:
            self.outage.failed("stepping down", error)
            self.is_leader = False
        else:
            self.outage.answered()
        if self.is_leader != was_leader:
            log.info(
                "worker %s %s leadership", self.worker_id, "took" if self.is_leader else "lost"
            )
        self._heartbeat()
        return self.is_leader

    def _history_lost(self, at: str) -> None:
        """Redis came back empty: say so on the strip and in /healthz until the band is back."""
        notice = (f"Redis lost the wall's data at {at[11:16]} UTC (a restart without "
                  "persistence?): history before then is gone; bands and week-ago comparisons "
                  "return as the weeks fill again")  # fmt: skip
        self.client.set(self.keys.history_lost(), notice, ex=int(HISTORY_BACK.total_seconds()))
        log.warning("%s; see docs/operations.md, 'Redis persistence'", notice)

    def release(self) -> None:
        """Step down at shutdown so another worker takes over at once."""
        if self.is_leader:
            try:
                self.lock.release()
            except (LockError, redis.exceptions.RedisError):
                pass
            self.is_leader = False

    def _heartbeat(self) -> None:
        beat = {"pid": os.getpid(), "leader": self.is_leader, "at": utc_now().isoformat()}
        beat |= self.config_note
        expire_ms = int(self.ttl.total_seconds() * 1000)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self.keys.worker(self.worker_id), json.dumps(beat), px=expire_ms)
            pipe.sadd(self.keys.workers(), self.worker_id)
            if self.is_leader:  # the config that computes the panels, for serve to compare
                pipe.set(self.keys.running_config(), json.dumps(beat), px=expire_ms)
            pipe.set(self.keys.store_marker(), beat["at"], nx=True)
            *_, marked = pipe.execute()
            if marked and self.marker_seen:  # it was there, and now it had to be set again
                self._history_lost(beat["at"])
            self.marker_seen = True
        except redis.exceptions.RedisError:
            return  # no fresh file either: a probe on its age sees the worker cut off
        if self.heartbeat_file is not None:
            partial = self.heartbeat_file.with_name(self.heartbeat_file.name + ".tmp")
            partial.write_text(json.dumps({**beat, "worker": self.worker_id}) + "\n")
            partial.replace(self.heartbeat_file)  # atomic: a probe never reads half a file
