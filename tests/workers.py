"""Real Celery worker and beat processes for tests about workers (Redis broker, the test database).

The processes run ``ratecard.settings`` with the test database's URL, so they see what a
``transaction=True`` test committed. Each is killed at the end, whatever happens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import redis
from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "RATECARD_TEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ratecard.settings",
        DATABASE_URL=test_database_url(),
        REDIS_URL=redis_url,
        DEBUG="true",
        RATECARD_VAR_DIR=tempfile.mkdtemp(prefix="ratecard-worker-"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def flush(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()


def sender(redis_url: str) -> Celery:
    """A Celery client on the workers' broker (the test process itself has none configured)."""
    return Celery("ratecard-test-sender", broker=redis_url, set_as_current=False)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(x) for x in out.split()]


@contextmanager
def process(args: list[str], env: dict[str, str], log_name: str):
    log = open(Path(env["RATECARD_VAR_DIR"]) / f"{log_name}.log", "w+")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)
        log.seek(0)
        proc.log_text = log.read()  # type: ignore[attr-defined]
        log.close()


def worker(env: dict[str, str], name: str = "w1", concurrency: int = 1):
    return process(
        [CELERY, "-A", "ratecard", "worker", "--loglevel=INFO", f"--concurrency={concurrency}", "-n", f"{name}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env, f"worker-{name}",
    )


def beat(env: dict[str, str], name: str = "b1"):
    env = dict(env, RATECARD_VAR_DIR=tempfile.mkdtemp(prefix=f"ratecard-beat-{name}-"))
    return process([CELERY, "-A", "ratecard", "beat", "--loglevel=INFO"], env, f"beat-{name}")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
