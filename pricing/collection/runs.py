"""Running collections: claim a run, fetch, keep raw payloads, parse, ingest, record the outcome.

The database is the record of what work exists. A run is a row with a unique ``(source, slot)``;
a worker claims it with a conditional UPDATE and a lease, so a duplicated or redelivered message
does nothing, and a run whose worker died (lease expired) is handed out again by the reconciler.
Ingestion is one transaction, so a killed worker leaves either all of a run's prices or none.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

import providers
from pricing.collection.ingest import IngestStats, ingest, store_payload
from pricing.models import CollectionRun, Source
from providers.base import FetchError, ParseError, ParseResult, Payload, SkipSource
from providers.http import HttpClient

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
    fields = {"status": status, "finished": timezone.now(), "lease_expires": None, "error": error[:5000]}
    if stats is not None:
        fields.update(
            n_seen=stats.seen, n_changed=stats.changed, n_new=stats.new, n_rejected=stats.rejected,
            n_pending=stats.pending, n_unmatched=stats.unmatched, n_removed=stats.removed, n_samples=stats.samples,
        )
    CollectionRun.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def process_payloads(run: CollectionRun, payloads: Iterable[Payload], collector, *, at: datetime | None = None,
                     notify: bool = True) -> None:
    """Store, parse and ingest a run's payloads, and record how it ended. Never raises for a
    source's fault: a bad response becomes a failed or partial run with the reason."""
    result = ParseResult()
    errors: list[str] = []
    n_ok = 0
    first_fetch = None
    payload_ids: dict[int, int] = {}
    try:
        for payload in payloads:
            use = store_payload(run, payload)
            first_fetch = first_fetch or payload.fetched_at
            if payload.error:
                errors.append(f"{payload.url}: {payload.error}")
                continue
            try:
                parsed = collector.parse(payload)
                if use.payload_id:
                    payload_ids.update((id(quote), use.payload_id) for quote in parsed.quotes)
                result.extend(parsed)
                n_ok += 1
            except ParseError as exc:
                errors.append(f"{payload.url}: {exc}")
                # A per-model payload may fail alone; the listing failing fails the run.
                if payload.kind in ("", "models", "list"):
                    result.complete = False
                    finish(run, Status.FAILED, error=f"parse error: {exc}")
                    return
    except SkipSource as exc:
        finish(run, Status.SKIPPED, error=str(exc))
        return
    except FetchError as exc:
        finish(run, Status.FAILED, error=f"fetch failed: {exc}")
        return
    if n_ok == 0:
        finish(run, Status.FAILED, error="; ".join(errors)[:5000] or "no payloads")
        return
    if errors:
        result.complete = False
        run.status = Status.PARTIAL
    # Prices are as of the first response of the run, so a re-parse replays the same history.
    stats = ingest(run, result, at=at or first_fetch, payload_ids=payload_ids, notify=notify)
    if stats.refused:
        finish(run, Status.REFUSED, stats, error=stats.refused)
        return
    status = Status.PARTIAL if errors else Status.COMPLETE
    finish(run, status, stats, error="; ".join(errors)[:5000])


def execute(run_id: int, *, http: HttpClient | None = None) -> CollectionRun | None:
    """Claim and perform one run. Returns the run, or None if there was nothing to do."""
    run = claim(run_id)
    if run is None:
        return None
    collector = providers.get_collector(run.source.slug)
    api_key = os.environ.get(collector.api_key_env) if getattr(collector, "api_key_env", None) else None
    if getattr(collector, "key_required", False) and not api_key:
        finish(run, Status.SKIPPED, error=f"skipped: {collector.api_key_env} is not set")
        return run
    client = http or HttpClient()
    try:
        process_payloads(run, collector.fetch(client, api_key=api_key), collector)
    except Exception as exc:  # a bug, not a source's fault: record it, keep the worker alive
        log.exception("collection of %s failed", run.source.slug)
        finish(run, Status.FAILED, error=f"{exc.__class__.__name__}: {exc}")
    finally:
        if http is None:
            client.close()
    return run


def guess_kind(slug: str, body: bytes) -> str:
    """OpenRouter saves are a models list or one model's endpoints; tell them apart by shape."""
    if slug != "openrouter":
        return "models"
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        return "models"  # the parser will say what is wrong with it
    return "endpoints" if isinstance(data, dict) and "endpoints" in data else "models"


def stale_runs(now: datetime | None = None) -> list[int]:
    """Runs whose worker vanished (lease expired) or whose message was lost (pending too long)."""
    now = now or timezone.now()
    return list(
        CollectionRun.objects.filter(
            Q(status=Status.RUNNING, lease_expires__lt=now)
            | Q(status=Status.PENDING, created__lt=now - timedelta(seconds=settings.COLLECT_PENDING_GRACE_SECONDS))
        ).values_list("pk", flat=True)[:100]
    )
