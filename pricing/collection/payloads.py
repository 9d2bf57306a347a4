"""The one apply step: a run's payloads in, the run finished out.

Every way prices enter Ratecard goes through :func:`apply`: a live run (``execute``), a saved body
(``collect --from-file``), a replay of stored bodies (``reparse``); the bundled snapshot, which has
quotes rather than bodies, joins at :func:`conclude`. So they cannot drift apart:

1. **store** each body as received (once per distinct body), before anything reads it;
2. **parse** each with the source's collector; a per-request error or a per-model parse error
   makes the run partial, a parse error of the listing itself fails it;
3. **ingest** the quotes (``pricing.collection.ingest``: guard, match, write, announce);
4. **finish** the run with its status and every counter.

Scope and completeness are decided by the parsed result (``ParseResult.complete``), not here.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from pricing.collection.ingest import ingest
from pricing.collection.runs import Status, finish
from pricing.models import CollectionRun, RawPayload, RunPayload
from providers.base import Collector, FetchError, ParseError, ParseResult, Payload, SkipSource

log = logging.getLogger(__name__)

# Payload kinds that are a source's listing: failing to read one fails the run.
LISTING_KINDS = frozenset({"", "models", "list"})


@dataclass(frozen=True)
class Received:
    """One body of a run, and the RawPayload it is stored as (None for an error without a body)."""

    payload: Payload
    raw_id: int | None


@dataclass
class Parsed:
    """What a run's payloads said, before anything is written."""

    result: ParseResult = field(default_factory=ParseResult)
    payload_ids: dict[int, int] = field(default_factory=dict)  # id(quote) -> RawPayload id
    errors: list[str] = field(default_factory=list)
    n_ok: int = 0
    first_fetch: datetime | None = None
    failed: str = ""  # set when the run cannot be applied at all


def store_payload(run: CollectionRun, payload: Payload) -> RunPayload:
    """Keep the body as received (once per distinct body) and note that this run received it."""
    raw = None
    if payload.body:
        digest = RawPayload.digest(payload.body)
        raw = RawPayload.objects.filter(sha256=digest).first()
        if raw is None:
            try:
                with transaction.atomic():
                    raw = RawPayload.objects.create(
                        sha256=digest,
                        body_gz=gzip.compress(payload.body, compresslevel=6),
                        size=len(payload.body),
                        first_url=payload.url[:2000],
                        first_fetched_at=payload.fetched_at,
                    )
            except IntegrityError:  # another process stored the same body first
                raw = RawPayload.objects.get(sha256=digest)
    return RunPayload.objects.create(
        run=run,
        payload=raw,
        url=payload.url[:2000],
        kind=payload.kind,
        fetched_at=payload.fetched_at,
        status=payload.status,
        error=payload.error[:2000],
    )


def receive(run: CollectionRun, payloads: Iterable[Payload]) -> Iterator[Received]:
    """Store each payload as it arrives (a fetch is a generator: one stored before the next)."""
    for payload in payloads:
        use = store_payload(run, payload)
        yield Received(payload, use.payload_id)


def stored(run: CollectionRun) -> Iterator[Received]:
    """The payloads a run already stored, in the order they were received (for a replay)."""
    for use in run.payloads.select_related("payload").order_by("pk"):
        body = use.payload.body if use.payload is not None else b""
        yield Received(Payload(url=use.url, body=body, fetched_at=use.fetched_at, kind=use.kind, status=use.status,
                               error=use.error or ("" if use.payload is not None else "no body stored")),
                       use.payload_id)


def parse(received: Iterable[Received], collector: Collector) -> Parsed:
    """Read every payload with the source's parser. A failure of the whole source (raised by the
    fetch while ``received`` is consumed) or of the listing's parse ends the reading."""
    parsed = Parsed()
    for item in received:
        payload = item.payload
        parsed.first_fetch = parsed.first_fetch or payload.fetched_at
        if payload.error:
            parsed.errors.append(f"{payload.url}: {payload.error}")
            continue
        try:
            one = collector.parse(payload)
        except ParseError as exc:
            parsed.errors.append(f"{payload.url}: {exc}")
            # A per-model payload may fail alone; the listing failing fails the run.
            if payload.kind in LISTING_KINDS:
                parsed.result.complete = False
                parsed.failed = f"parse error: {exc}"
                return parsed
            continue
        except RecursionError:  # a parser that walks a body nested beyond Python's stack
            parsed.failed = f"parse error: {payload.url}: nested too deeply to read"
            return parsed
        if item.raw_id:
            parsed.payload_ids.update((id(quote), item.raw_id) for quote in one.quotes)
        parsed.result.extend(one)
        parsed.n_ok += 1
    return parsed


def conclude(run: CollectionRun, parsed: Parsed, *, at: datetime | None = None, notify: bool = True,
             cap_new: bool = True) -> CollectionRun:
    """Ingest what was parsed and finish the run with its status and every counter.
    ``cap_new=False`` is for quotes a person confirmed over the cap on new models and offers."""
    if parsed.failed:
        finish(run, Status.FAILED, error=parsed.failed)
        return run
    if parsed.n_ok == 0:
        finish(run, Status.FAILED, error="; ".join(parsed.errors)[:5000] or "no payloads")
        return run
    if parsed.errors:
        parsed.result.complete = False
        run.status = Status.PARTIAL
    # Prices are as of the first response of the run, so a replay gives the same history.
    stats = ingest(run, parsed.result, at=at or parsed.first_fetch, notify=notify, payload_ids=parsed.payload_ids,
                   cap_new=cap_new)
    if stats.refused:
        finish(run, Status.REFUSED, stats, error=stats.refused)
        return run
    notes = list(parsed.errors)
    if stats.held:
        notes.insert(0, f"held {stats.held} quotes of new models/offers over the per-run cap for a person to "
                        f"confirm (admin: held quotes)")
    finish(run, Status.PARTIAL if parsed.errors else Status.COMPLETE, stats, error="; ".join(notes))
    return run


def apply(run: CollectionRun, received: Iterable[Received], collector: Collector, *, at: datetime | None = None,
          notify: bool = True) -> CollectionRun:
    """Parse, ingest and finish one run. Never raises for a source's fault: a bad response
    becomes a failed or partial run with the reason."""
    try:
        parsed = parse(received, collector)
    except SkipSource as exc:
        finish(run, Status.SKIPPED, error=str(exc))
        return run
    except FetchError as exc:
        finish(run, Status.FAILED, error=f"fetch failed: {exc}")
        return run
    return conclude(run, parsed, at=at, notify=notify)
