"""Celery tasks: thin triggers that take ids and call plain functions.

Every task is idempotent: the database rows (unique run slots, claimed runs, claimed deliveries)
decide what work exists, so a duplicated, redelivered or lost message is harmless.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pricing.collection import execute, runs

log = logging.getLogger(__name__)


@shared_task(name="pricing.tasks.schedule_collect", ignore_result=True)
def schedule_collect(slug: str) -> int | None:
    """Beat's trigger: make sure this slot's run exists and is queued once."""
    run, created = runs.create_run(slug, trigger="beat")
    if created:
        transaction.on_commit(lambda: collect.delay(run.pk))
        return run.pk
    return None


@shared_task(name="pricing.tasks.collect", ignore_result=True, soft_time_limit=540, time_limit=600)
def collect(run_id: int) -> str:
    run = execute.execute(run_id)
    return run.status if run else "not claimed"


@shared_task(name="pricing.tasks.reconcile", ignore_result=True)
def reconcile() -> int:
    """Re-queue work lost to a dead worker or a restarted broker, and create slots a stopped
    beat missed. Claims decide who runs, so re-queuing something still alive is harmless."""
    now = timezone.now()
    queued = 0
    for slug, minutes in settings.COLLECT_INTERVALS.items():
        if minutes <= 0:
            continue
        run, created = runs.create_run(slug, slot=runs.slot_for(now, minutes), trigger="reconciler")
        if created:
            collect.delay(run.pk)
            queued += 1
    for run_id in runs.stale_runs(now):
        collect.delay(run_id)
        queued += 1
    return queued


@shared_task(name="pricing.tasks.rollup_performance", ignore_result=True)
def rollup_performance() -> int:
    from pricing.perf import rollup_and_prune

    return rollup_and_prune()


@shared_task(name="pricing.tasks.run_probes", ignore_result=True)
def run_probes() -> None:
    """Beat's trigger: start the probes after a random delay (jitter), well under the broker's
    visibility timeout."""
    if settings.PROBES_ENABLED:
        run_probes_now.apply_async(countdown=random.uniform(0, settings.PROBE_JITTER_SECONDS))


@shared_task(name="pricing.tasks.run_probes_now", ignore_result=True, soft_time_limit=900, time_limit=960)
def run_probes_now() -> int:
    from pricing.probe_runs import run_scheduled_probes

    return run_scheduled_probes()
