"""The beat schedule as data: one entry per source at its own interval, plus housekeeping."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def beat_schedule() -> dict:
    schedule: dict = {}
    for slug, minutes in settings.COLLECT_INTERVALS.items():
        if minutes <= 0:
            continue
        schedule[f"collect-{slug}"] = {
            "task": "pricing.tasks.schedule_collect",
            "schedule": timedelta(minutes=minutes),
            "args": [slug],
            # A trigger older than its interval is pointless: the next one is coming.
            "options": {"expires": max(int(minutes * 60), 1)},
        }
    schedule["reconcile-runs"] = {
        "task": "pricing.tasks.reconcile",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    }
    schedule["roll-up-performance"] = {
        "task": "pricing.tasks.rollup_performance",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3600},
    }
    if settings.PROBES_ENABLED:
        schedule["run-probes"] = {
            "task": "pricing.tasks.run_probes",
            "schedule": timedelta(minutes=settings.PROBE_INTERVAL_MINUTES),
            "options": {"expires": 600},
        }
    schedule["dispatch-alerts"] = {
        "task": "pricing.tasks.dispatch_alerts",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 25},
    }
    return schedule
