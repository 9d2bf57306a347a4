"""Claim -> fetch -> apply: one live run, or one saved body as if it had been fetched."""

from __future__ import annotations

import logging
import os
from datetime import datetime

from django.utils import timezone

import providers
from pricing.collection import payloads
from pricing.collection.runs import Status, claim, create_run, finish
from pricing.models import CollectionRun
from providers.base import ParseError, Payload
from providers.http import HttpClient
from providers.units import loads_strict

log = logging.getLogger(__name__)


def execute(run_id: int, *, http: HttpClient | None = None) -> CollectionRun | None:
    """Claim and perform one run. Returns the run, or None if there was nothing to do."""
    run = claim(run_id)
    if run is None:
        return None
    collector = providers.get_collector(run.source.slug)
    key_env = getattr(collector, "api_key_env", None)
    api_key = os.environ.get(key_env) if key_env else None
    if getattr(collector, "key_required", False) and not api_key:
        finish(run, Status.SKIPPED, error=f"skipped: {collector.api_key_env} is not set")
        return run
    client = http or HttpClient()
    try:
        payloads.apply(run, payloads.receive(run, collector.fetch(client, api_key=api_key)), collector)
    except Exception as exc:  # a bug, not a source's fault: record it, keep the worker alive
        log.exception("collection of %s failed", run.source.slug)
        finish(run, Status.FAILED, error=f"{exc.__class__.__name__}: {exc}")
    finally:
        if http is None:
            client.close()
    return run


def ingest_file(slug: str, path: str, *, at: datetime | None = None, kind: str = "") -> CollectionRun:
    """Ingest a saved response body as if it had been fetched at ``at`` (default: now)."""
    at = at or timezone.now()
    collector = providers.get_collector(slug)
    with open(path, "rb") as handle:
        body = handle.read()
    if not kind:
        kind = guess_kind(slug, body)
    run, created = create_run(slug, slot=at, trigger="file")
    if not created and run.status in CollectionRun.FINISHED:
        return run
    run = claim(run.pk) or run
    payload = Payload(url=f"file://{os.path.abspath(path)}", body=body, fetched_at=at, kind=kind)
    return payloads.apply(run, payloads.receive(run, [payload]), collector, at=at)


def guess_kind(slug: str, body: bytes) -> str:
    """OpenRouter saves are a models list or one model's endpoints; tell them apart by shape.
    Anything unreadable is guessed a list: the parser then says what is wrong with it."""
    if slug != "openrouter":
        return "models"
    try:
        data = loads_strict(body)
    except ParseError:
        return "models"
    inner = data.get("data") if isinstance(data, dict) else None
    return "endpoints" if isinstance(inner, dict) and "endpoints" in inner else "models"
