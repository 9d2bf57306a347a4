"""Collection runs as rows: create a slot's run, claim it, finish it, find the stale ones.

Fetching and applying a run live in ``execute`` and ``payloads``.

The database is the record of what work exists. A run is a row with a unique ``(source, slot)``;
a worker claims it with a conditional UPDATE and a lease, so a duplicated or redelivered message
does nothing, and a run whose worker died (lease expired) is handed out again by the reconciler.
Ingestion is one transaction, so a killed worker leaves either all of a run's prices or none.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

import providers
from pricing.models import CollectionRun, Source

if TYPE_CHECKING:
    from pricing.collection.ingest import IngestStats

log = logging.getLogger(__name__)
Status = CollectionRun.Status


def source_for(slug: str) -> Source:
    """The Source row for a collector, created on first use from the collector's own facts."""
    source = Source.objects.filter(slug=slug).first()
    if source is not None:
        return source
    collector = providers.get_collector(slug)
    source, _ = Source.objects.get_or_create(
        slug=slug,
        defaults={
            "name": collector.name,
            "kind": collector.kind,
            "weight": Source.default_weight(collector.kind),
        },
    )
    return source


def slot_for(at: datetime, minutes: float) -> datetime:
    """The start of the schedule slot containing ``at`` (slots are aligned to the epoch)."""
    step = max(int(minutes * 60), 1)
    stamp = int(at.timestamp()) // step * step
    return datetime.fromtimestamp(stamp, tz=UTC)


def create_run(slug: str, *, slot: datetime | None = None, trigger: str = "beat") -> tuple[CollectionRun, bool]:
    """Get or create the run for a slot. The unique constraint makes a second beat a no-op."""
    source = source_for(slug)
    minutes = settings.COLLECT_INTERVALS.get(slug) or settings.COLLECT_DEFAULT_MINUTES.get(slug, 60)
    slot = slot or slot_for(timezone.now(), minutes)
    try:
        with transaction.atomic():
            return CollectionRun.objects.get_or_create(source=source, slot=slot, defaults={"trigger": trigger})
    except IntegrityError:
        return CollectionRun.objects.get(source=source, slot=slot), False


def claim(run_id: int) -> CollectionRun | None:
    """Take a run for this worker, or None if it is finished or another worker holds it."""
    now = timezone.now()
    claimed = CollectionRun.objects.filter(
        Q(status=Status.PENDING) | Q(status=Status.RUNNING, lease_expires__lt=now), pk=run_id
    ).update(status=Status.RUNNING, started=now, lease_expires=now + timedelta(seconds=settings.COLLECT_LEASE_SECONDS), attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    return CollectionRun.objects.select_related("source").get(pk=run_id)


def finish(run: CollectionRun, status: str, stats: IngestStats | None = None, error: str = "") -> None:
    """Record how a run ended, with every counter of its ingestion."""
    # Errors quote provider text; PostgreSQL refuses NUL in text.
    fields = {"status": status, "finished": timezone.now(), "lease_expires": None,
              "error": error[:5000].replace("\x00", "\ufffd")}
    if stats is not None:
        fields.update(
            n_seen=stats.seen, n_changed=stats.changed, n_new=stats.new, n_rejected=stats.rejected,
            n_pending=stats.pending, n_unmatched=stats.unmatched, n_removed=stats.removed, n_samples=stats.samples,
            n_held=stats.held,
        )
    CollectionRun.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def stale_runs(now: datetime | None = None) -> list[int]:
    """Runs whose worker vanished (lease expired) or whose message was lost (pending too long)."""
    now = now or timezone.now()
    return list(
        CollectionRun.objects.filter(
            Q(status=Status.RUNNING, lease_expires__lt=now)
            | Q(status=Status.PENDING, created__lt=now - timedelta(seconds=settings.COLLECT_PENDING_GRACE_SECONDS))
        ).values_list("pk", flat=True)[:100]
    )
