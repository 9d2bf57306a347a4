"""Real workers: a worker killed with SIGKILL mid-run, and two beats at once.

These run a real Celery worker (and beat) against Redis and the PostgreSQL test database, and an
OpenRouter-shaped API on 127.0.0.1. Nothing else is faked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.utils import timezone

from pricing.collection import runs
from pricing.models import ChangeEvent, CollectionRun, Offer, PricePeriod, RunPayload
from tests import workers
from tests.faults import FaultServer
from tests.pricing.openrouter_fake import serve

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
REDIS_URL = "redis://127.0.0.1:6379/13"
N_MODELS = 12


@pytest.fixture
def api():
    with FaultServer() as server:
        yield server


def test_a_worker_killed_mid_run_leaves_one_complete_run_and_no_duplicated_history(api):
    # 12 endpoint requests of 1 s each through a per-host limit of 4: about 3 s of fetching.
    serve(api, N_MODELS, delay=1.0)
    workers.flush(REDIS_URL)
    env = workers.worker_env(
        REDIS_URL, RATECARD_OPENROUTER_BASE_URL=api.base_url, COLLECT_SOURCES="openrouter",
        COLLECT_LEASE_SECONDS="3",
    )
    run, _ = runs.create_run("openrouter", trigger="test")
    client = workers.sender(REDIS_URL)

    with workers.worker(env, "victim") as victim:
        client.send_task("pricing.tasks.collect", args=[run.pk])
        workers.wait_for(lambda: api.count() >= 3, 60, "the run to be fetching")
        run.refresh_from_db()
        assert run.status == "running"
        for child in workers.children(victim.pid):
            os.kill(child, signal.SIGKILL)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

    run.refresh_from_db()
    assert run.status == "running"  # held by a dead worker: nothing was ingested
    assert PricePeriod.objects.count() == 0
    time.sleep(3.5)  # let the lease run out

    with workers.worker(env, "rescuer") as rescuer:
        client.send_task("pricing.tasks.reconcile")
        workers.wait_for(
            lambda: CollectionRun.objects.get(pk=run.pk).status in CollectionRun.FINISHED, 90,
            "the reconciler to finish the run",
        )
        client.send_task("pricing.tasks.reconcile")  # a second rescue attempt must do nothing
        time.sleep(2)
    run.refresh_from_db()
    assert run.status == "complete", rescuer.log_text[-3000:]
    assert run.attempts == 2
    assert CollectionRun.objects.filter(source__slug="openrouter").count() == 1
    # 12 models at OpenRouter's list price plus two hosts each: 36 offers, one open period each.
    assert Offer.objects.count() == 3 * N_MODELS
    assert PricePeriod.objects.count() == 3 * N_MODELS
    assert PricePeriod.objects.filter(valid_to__isnull=True).count() == 3 * N_MODELS
    assert ChangeEvent.objects.count() == 0  # the first sweep is a baseline
    assert run.n_seen == 3 * N_MODELS


def test_two_beats_for_thirty_seconds_leave_no_duplicate_runs(api):
    serve(api, 3)
    workers.flush(REDIS_URL)
    env = workers.worker_env(
        REDIS_URL, RATECARD_OPENROUTER_BASE_URL=api.base_url, COLLECT_SOURCES="openrouter",
        COLLECT_OPENROUTER_MINUTES="0.05",  # a slot every 3 seconds
    )
    started = timezone.now()
    with workers.worker(env, "w", concurrency=2) as worker, workers.beat(env, "b1"), workers.beat(env, "b2"):
        time.sleep(30)
    assert worker.log_text  # the worker ran
    finished = CollectionRun.objects.filter(source__slug="openrouter", status__in=CollectionRun.FINISHED)
    runs_by_slot = list(CollectionRun.objects.filter(source__slug="openrouter").values_list("slot", flat=True))
    assert len(runs_by_slot) == len(set(runs_by_slot))  # the unique slot, but say it
    assert finished.count() >= 5, list(CollectionRun.objects.values_list("slot", "status", "error"))
    # Each slot fetched once, although two beats asked for it: one models list per run.
    fetched_runs = RunPayload.objects.filter(kind="models").values_list("run_id", flat=True)
    assert len(fetched_runs) == len(set(fetched_runs))
    assert api.count("/api/v1/models") == CollectionRun.objects.filter(started__isnull=False).count()
    # Nothing changed between sweeps: one open period per offer, no change events.
    assert PricePeriod.objects.count() == PricePeriod.objects.filter(valid_to__isnull=True).count() == 9
    assert ChangeEvent.objects.count() == 0
    assert all(slot >= started.replace(microsecond=0) - timezone.timedelta(seconds=3) for slot in runs_by_slot)


def test_work_lost_in_a_redis_restart_is_redone_once_by_the_reconciler(api, tmp_path):
    # A Redis of our own, so stopping it disturbs nobody else's tests.
    port = 6391
    redis_url = f"redis://127.0.0.1:{port}/0"

    def start_redis():
        subprocess.run(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize", "yes",
                        "--dir", str(tmp_path), "--bind", "127.0.0.1"], check=True)
        workers.wait_for(lambda: _pings(redis_url), 10, "redis to answer")

    def stop_redis():
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, capture_output=True)
        workers.wait_for(lambda: not _pings(redis_url), 10, "redis to stop")

    serve(api, 3)
    start_redis()
    try:
        env = workers.worker_env(redis_url, RATECARD_OPENROUTER_BASE_URL=api.base_url, COLLECT_SOURCES="openrouter",
                                 COLLECT_PENDING_GRACE_SECONDS="1")
        run, _ = runs.create_run("openrouter", trigger="test")
        workers.sender(redis_url).send_task("pricing.tasks.collect", args=[run.pk])  # queued, no worker yet
        stop_redis()  # the queued message dies with it
        start_redis()
        time.sleep(1.5)
        with workers.worker(env, "after-restart") as worker:
            client = workers.sender(redis_url)
            client.send_task("pricing.tasks.reconcile")
            client.send_task("pricing.tasks.reconcile")  # twice: the claim makes the second harmless
            workers.wait_for(lambda: CollectionRun.objects.get(pk=run.pk).status in CollectionRun.FINISHED, 60,
                             "the reconciler to redo the lost run")
            time.sleep(2)
        run.refresh_from_db()
        assert run.status == "complete", worker.log_text[-2000:]
        assert run.attempts == 1
        assert api.count("/api/v1/models") == 1
        assert PricePeriod.objects.count() == 9
    finally:
        stop_redis()


def _pings(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False
