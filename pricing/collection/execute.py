"""Claim -> fetch -> apply: one live run. (Saved bodies are replayed by ``archive``.)"""

from __future__ import annotations

import logging
import os

import providers
from pricing.collection import payloads
from pricing.collection.runs import Status, claim, finish
from pricing.models import CollectionRun
from providers.http import HttpClient

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
