"""The Celery app. Tasks are triggers: the database says what work exists
(pricing/collection/tasks.py, pricing/alerts/tasks.py)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ratecard.settings")

app = Celery("ratecard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    # acks_late only because every task is idempotent (unique run slots, claimed rows).
    task_acks_late=True,
    # A task that always kills its worker must not be redelivered forever; the reconciler
    # picks up runs whose lease expired instead.
    task_reject_on_worker_lost=False,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=540,
    task_time_limit=600,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
    enable_utc=True,
)
app.autodiscover_tasks(["pricing.collection", "pricing.alerts"])


@app.on_after_finalize.connect
def _schedule(sender: Celery, **kwargs) -> None:
    from pricing.collection.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
