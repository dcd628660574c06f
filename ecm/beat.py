"""Exactly one scheduler: Celery beat that runs the schedule only while it holds a lock in Redis.

Two beat processes started by mistake (two machines, a second `docker-compose up` of beat) would
each send every task. With REDIS_URL set, `SingleBeatScheduler` takes the lock `ecm:beat:leader`
with a time to live (BEAT_LOCK_SECONDS) and renews it on every tick; a beat that cannot take it
waits (standby) and tries again every third of that time, so when the leader dies its lock
expires and a standby takes over within BEAT_LOCK_SECONDS. A leader that stops cleanly gives the
lock up at once. A leader that fails to renew (Redis gone, or its lock expired while it was
stalled) stops sending until it holds the lock again.

The leader also keeps each entry's last run time in Redis (`ecm:beat:last-run`), and whoever
takes the lock starts from those times: the new leader neither repeats a run the old one made
nor misses one that fell due in between (it sends that once, late). The local schedule file
then only matters for a single beat without Redis.

Without REDIS_URL (the embedded demo, `make run`, with the filesystem broker) there is one beat
by construction and this is Celery's own PersistentScheduler, unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid

from celery.beat import PersistentScheduler
from django.conf import settings

log = logging.getLogger(__name__)

LOCK_KEY = "ecm:beat:leader"
LAST_RUN_KEY = "ecm:beat:last-run"

# Renew only our own lock; release only our own lock.
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then"
    " return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class SingleBeatScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self.lock_seconds = float(getattr(settings, "BEAT_LOCK_SECONDS", 30))
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False
        self._said_standby = False
        url = getattr(settings, "REDIS_URL", "")
        self._redis = None
        if url:
            import redis

            self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            self._renew = self._redis.register_script(_RENEW)
            self._release = self._redis.register_script(_RELEASE)
        super().__init__(*args, **kwargs)

    @property
    def poll_seconds(self) -> float:
        return max(self.lock_seconds / 3, 0.2)

    # --- The lock --------------------------------------------------------------------------
    def _hold_lock(self) -> bool:
        ttl_ms = int(self.lock_seconds * 1000)
        try:
            if self.leading and self._renew(keys=[LOCK_KEY], args=[self.token, ttl_ms]):
                return True
            if self._redis.set(LOCK_KEY, self.token, nx=True, px=ttl_ms):
                self._take_over()
                return True
            holder = self._redis.get(LOCK_KEY)
        except Exception as exc:  # Redis unreachable: send nothing rather than risk doubling.
            holder = f"unknown ({exc})"
        if self.leading:
            log.warning("beat: lost the scheduler lock (now %s); standing by", holder)
        elif not self._said_standby:
            log.info("beat: standby: the scheduler lock is held by %s", holder)
        self.leading, self._said_standby = False, True
        return False

    def _take_over(self) -> None:
        """Start from the last run times the previous leader recorded."""
        self.leading, self._said_standby = True, False
        stored = self._redis.hgetall(LAST_RUN_KEY)
        for name, entry in self.schedule.items():
            ts = stored.get(name.encode())
            if ts is None:
                continue
            last = dt.datetime.fromtimestamp(float(ts), tz=dt.UTC)
            if entry.last_run_at is None or last > _aware(entry.last_run_at):
                entry.last_run_at = last
        self._heap = None  # rebuilt from those times on this tick
        log.info("beat: took the scheduler lock as %s; sending the schedule", self.token)

    def _record_last_runs(self) -> None:
        runs = {
            name: _aware(entry.last_run_at).timestamp()
            for name, entry in self.schedule.items()
            if entry.last_run_at is not None
        }
        if runs:
            self._redis.hset(LAST_RUN_KEY, mapping=runs)

    # --- Celery's hooks ----------------------------------------------------------------------
    def tick(self, *args, **kwargs):
        if self._redis is None:
            return super().tick(*args, **kwargs)
        if not self._hold_lock():
            return self.poll_seconds
        delay = super().tick(*args, **kwargs)
        if delay == 0:  # an entry was sent (or is due now): share its new last run time
            self._record_last_runs()
        return min(delay, self.poll_seconds)

    def close(self):
        leading = self._redis is not None and self.leading
        if leading:  # before the schedule file closes
            try:
                self._record_last_runs()
            except Exception:
                log.warning("beat: could not record the last runs", exc_info=True)
        try:
            super().close()
        finally:
            if leading:
                try:
                    self._release(keys=[LOCK_KEY], args=[self.token])
                    log.info("beat: gave up the scheduler lock")
                except Exception:  # the lock then expires by itself
                    log.warning("beat: could not give up the scheduler lock", exc_info=True)
                self.leading = False

    @property
    def info(self):
        role = (
            "no lock (single beat)"
            if self._redis is None
            else ("leader" if self.leading else "standby")
        )
        return f"{super().info}\n    . lock -> {LOCK_KEY} ({role}, {self.lock_seconds:g} s)"


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
