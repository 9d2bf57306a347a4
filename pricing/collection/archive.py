"""Saved responses replayed as runs: ``collect --from-file`` and ``import_history``.

A *capture* is one or more saved response bodies of one source fetched at one instant (a models
list, and perhaps one endpoints body per model): it is replayed as one run at that instant, each
body stored as a raw payload of the run, through the same apply step as a live run.

Replaying is idempotent and says what it did:

- a capture whose bodies were all ingested at that instant already changes nothing ("already");
- bodies that add to a run at that instant without restating any of its offers (another model's
  endpoints body) are applied to that run ("added");
- bodies that state a different price for an offer the run at that instant already priced are
  refused with the reason ("refused"): two different answers for one instant cannot both be true;
- a run left unfinished by an interrupted replay, or one that failed or was refused without
  applying anything, is redone ("ingested");
- bodies the apply step cannot use make a failed (or refused) run that says why ("failed").

An archive (``import_history``) is a chronological series of captures. Its instants come from a
CSV manifest (columns ``path,fetched_at``) or from the file names (see :func:`time_in_name`).
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

import providers
from pricing.collection import payloads as apply_step
from pricing.collection import runs
from pricing.models import CollectionRun, QuoteRejection, RawPayload, RunPayload
from providers.base import ParseError, Payload
from providers.units import loads_strict

Status = CollectionRun.Status
# Counters of a run that a second capture at the same instant adds to.
COUNTERS = ("n_seen", "n_changed", "n_new", "n_rejected", "n_pending", "n_unmatched", "n_removed", "n_samples")
TRIGGERS = ("file", "archive")

# A date, optionally a time, optionally a zone, as people put them in file names:
# 2025-05-23, 20250523, 2025-05-23T18:35:39Z, 2025-05-23T18-35-39Z, 20250523T183539Z,
# 2025-05-23_1835, 2025-05-23 18:35:39+02:00.
_STAMP = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})-?(?P<mo>[01]\d)-?(?P<d>[0-3]\d)"
    r"(?:[T_ ](?P<h>[0-2]\d)[:\-]?(?P<mi>[0-5]\d)(?:[:\-]?(?P<s>[0-5]\d)(?:\.\d+)?)?)?"
    r"(?P<z>Z|[+-][0-2]\d:?[0-5]\d)?(?!\d)"
)


class ArchiveError(ValueError):
    """An archive that cannot be read as described (bad manifest, a file without a time)."""


@dataclass
class Capture:
    at: datetime
    paths: list[Path]


@dataclass
class Outcome:
    at: datetime
    paths: list[Path]
    action: str  # ingested, added, already, refused (nothing stored), failed (a failed or refused run)
    run: CollectionRun | None = None
    message: str = ""

    @property
    def applied(self) -> bool:
        return self.action in ("ingested", "added")


def read_saved(path: Path) -> bytes:
    """A saved body as the source sent it (``.gz`` files are decompressed)."""
    data = Path(path).read_bytes()
    if str(path).endswith(".gz"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ArchiveError(f"{path}: not a readable gzip file ({exc})") from None
    return data


def files_in(path: Path) -> list[Path]:
    """A file, or the files directly inside a folder (hidden ones and manifests left out), sorted."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix != ".csv")
    if not path.exists():
        raise ArchiveError(f"no such file or folder: {path}")
    return [path]


def time_in_name(path: Path, root: Path | None = None) -> datetime | None:
    """The fetch time a file's name carries: in its name first, else in the folders between it and
    ``root`` (``data/raw/2026-08-08/models.json.gz``). Without a zone the time is UTC; a date alone
    is midnight UTC. None when there is none."""
    parts = [path.name]
    if root is not None:
        try:
            parts += list(reversed(path.parent.relative_to(root).parts))
        except ValueError:
            pass
    for part in parts:
        for match in _STAMP.finditer(part):
            when = _stamp(match)
            if when is not None:
                return when
    return None


def _stamp(match: re.Match) -> datetime | None:
    g = match.groupdict()
    text = f"{g['y']}-{g['mo']}-{g['d']}T{g['h'] or '00'}:{g['mi'] or '00'}:{g['s'] or '00'}"
    zone = g["z"] or "Z"
    if zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        when = datetime.fromisoformat(text + ("+00:00" if zone == "Z" else zone))
    except ValueError:  # 2025-13-45 is not a date
        return None
    return when.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (``2025-05-23T18:35:39Z``) or date (midnight UTC); no zone means UTC."""
    text = text.strip()
    when = parse_datetime(text)
    if when is None:
        day = parse_date(text)
        if day is None:
            raise ArchiveError(f"{text!r} is not an ISO-8601 date or time")
        when = datetime(day.year, day.month, day.day)
    if timezone.is_naive(when):
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def read_manifest(manifest: Path) -> list[tuple[Path, datetime]]:
    """``path,fetched_at`` rows; paths absolute or relative to the manifest's folder."""
    rows: list[tuple[Path, datetime]] = []
    with open(manifest, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"path", "fetched_at"} <= {name.strip() for name in reader.fieldnames}:
            raise ArchiveError(f"{manifest}: the header must name the columns path,fetched_at")
        for number, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if not row.get("path"):
                raise ArchiveError(f"{manifest} line {number}: no path")
            path = Path(row["path"])
            path = path if path.is_absolute() else manifest.parent / path
            if not path.is_file():
                raise ArchiveError(f"{manifest} line {number}: no such file {path}")
            try:
                rows.append((path, parse_instant(row.get("fetched_at", ""))))
            except ArchiveError as exc:
                raise ArchiveError(f"{manifest} line {number}: {exc}") from None
    return rows


def discover(path: Path) -> list[Capture]:
    """The captures of an archive in time order: a CSV manifest, or a folder (searched through
    its subfolders) whose file names carry their fetch times. Files of one instant are one
    capture. Raises ArchiveError naming the files whose time cannot be told."""
    path = Path(path)
    if path.is_file() and path.suffix == ".csv":
        dated = read_manifest(path)
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix != ".csv")
        stamps = {p: time_in_name(p, path) for p in files}
        undated = [p for p, at in stamps.items() if at is None]
        if undated:
            names = ", ".join(str(p.relative_to(path)) for p in undated[:5])
            raise ArchiveError(f"{len(undated)} file(s) carry no date in their name or folder ({names}); "
                               "rename them (e.g. models-2025-05-23T18-35-39Z.json) or list them in a manifest")
        dated = [(p, at) for p, at in stamps.items() if at is not None]
    else:
        raise ArchiveError(f"{path}: expected a folder or a CSV manifest (path,fetched_at)")
    groups: dict[datetime, list[Path]] = {}
    for file, at in dated:
        groups.setdefault(at, []).append(file)
    return [Capture(at, sorted(paths)) for at, paths in sorted(groups.items())]


def replay(slug: str, paths: Iterable[Path], at: datetime, *, kind: str = "", trigger: str = "file",
           notify: bool | None = None) -> Outcome:
    """Replay saved bodies fetched at ``at`` as one run of ``slug`` (see the module docstring).

    ``notify``: whether its changes may alert. By default only a capture newer than every finished
    run of the source is news (``collect --from-file`` of today's body, as a live run would be); an
    older capture is history. Archive imports pass False: a backfill alerts nobody."""
    paths = [Path(p) for p in paths]
    collector = providers.get_collector(slug)
    payloads = []
    for path in paths:
        body = read_saved(path)
        payloads.append(Payload(url=f"file://{os.path.abspath(path)}", body=body, fetched_at=at,
                                kind=kind or guess_kind(slug, body)))
    run, created = runs.create_run(slug, slot=at, trigger=trigger)
    outcome = Outcome(at, paths, "ingested", run)
    digests = {RawPayload.digest(p.body) for p in payloads}
    seen_before = dict(RawPayload.objects.filter(sha256__in=digests).values_list("sha256", "first_fetched_at"))
    if created and seen_before and len(seen_before) == len(digests):
        first = min(seen_before.values())
        outcome.message = (f"the same content was ingested before (first at {first:%Y-%m-%d %H:%M:%S}Z): "
                           "its prices are recorded as seen again at this instant")
    if not created:
        verdict = _against_existing(run, payloads, collector, outcome)
        if verdict is not None:
            return verdict
    claimed = runs.claim(run.pk)
    if claimed is None:
        return _refused(outcome, f"run #{run.pk} at {at:%Y-%m-%d %H:%M:%S}Z is being worked on; try again later")
    before = {name: getattr(run, name) for name in COUNTERS} if outcome.action == "added" else {}
    earlier_status = run.status if outcome.action == "added" else ""
    if notify is None:
        notify = not CollectionRun.objects.filter(
            source_id=claimed.source_id, slot__gt=at, status__in=CollectionRun.FINISHED
        ).exists()
    apply_step.apply(claimed, apply_step.receive(claimed, payloads), collector, at=at, notify=notify)
    if before:
        _add_counters(claimed, before, earlier_status)
    claimed.refresh_from_db()
    outcome.run = claimed
    if claimed.status in (Status.FAILED, Status.REFUSED):  # recorded as such: the run says why
        outcome.action, outcome.message = "failed", claimed.error[:300]
    return outcome


def _against_existing(run: CollectionRun, payloads: list[Payload], collector, outcome: Outcome) -> Outcome | None:
    """What to do with bodies for an instant that already has a run; None means "apply them"."""
    stored = list(run.payloads.select_related("payload"))
    have = {use.payload.sha256 for use in stored if use.payload is not None}
    fresh = [p for p in payloads if RawPayload.digest(p.body) not in have]
    if run.status not in CollectionRun.FINISHED:
        if run.trigger not in TRIGGERS:
            return _refused(outcome, f"run #{run.pk} at this instant is in progress ({run.trigger}); try again later")
        _reset(run)  # an interrupted replay: nothing of it or all of it was applied; redo it whole
        outcome.message = "redone: an earlier replay of this instant was interrupted"
        return None
    if not fresh and run.status in (Status.FAILED, Status.REFUSED):
        return _refused(outcome, f"these bodies were {run.status} before in run #{run.pk} ({run.error[:150]}); "
                                 "nothing changed (after a parser fix: manage.py reparse)")
    if not fresh:
        outcome.action = "already"
        outcome.message = f"already ingested in run #{run.pk} ({run.status}); nothing changed"
        return outcome
    if run.status in (Status.FAILED, Status.REFUSED, Status.SKIPPED):
        _reset(run)  # nothing of it was applied: retry with these bodies
        outcome.message = f"retried run #{run.pk} (it had been {run.status}: {run.error[:120]})"
        return None
    for payload in fresh:  # a body that cannot be read must not turn a good run into a failed one
        try:
            collector.parse(payload)
        except ParseError as exc:
            return _refused(outcome, f"{payload.url}: cannot be read ({exc}); run #{run.pk} left as it was")
    clash = _clash(collector, [use for use in stored if use.payload is not None], fresh)
    if clash:
        return _refused(outcome, f"run #{run.pk} at {run.slot:%Y-%m-%d %H:%M:%S}Z already priced {clash} "
                                 "from a different body; two answers for one instant cannot both be right. "
                                 "Replay it with its own --at")
    outcome.action = "added"
    outcome.message = f"added {len(fresh)} new body(ies) to run #{run.pk}"
    payloads[:] = fresh
    CollectionRun.objects.filter(pk=run.pk).update(status=Status.PENDING)  # so it can be claimed again
    return None


def _clash(collector, stored: list[RunPayload], fresh: list[Payload]) -> str:
    """Offers both the stored bodies of a run and the fresh ones price ("" if none)."""
    def offers(bodies: Iterable[Payload]) -> set[tuple[str, str, str]]:
        keys: set[tuple[str, str, str]] = set()
        for payload in bodies:
            try:
                parsed = collector.parse(payload)
            except ParseError:
                continue
            keys.update((q.provider, q.provider_model_id, q.variant) for q in parsed.quotes)
        return keys

    old = offers(Payload(url=use.url, body=use.payload.body, fetched_at=use.fetched_at, kind=use.kind)
                 for use in stored if use.payload is not None)
    both = sorted(old & offers(fresh))
    if not both:
        return ""
    named = ", ".join(f"{pmid} @ {provider}{'/' + variant if variant else ''}" for provider, pmid, variant in both[:3])
    return named + (f" and {len(both) - 3} more" if len(both) > 3 else "")


def _reset(run: CollectionRun) -> None:
    """Forget an attempt that applied nothing (or that the redo re-applies idempotently)."""
    with transaction.atomic():
        RunPayload.objects.filter(run=run).delete()
        QuoteRejection.objects.filter(run=run).delete()
        CollectionRun.objects.filter(pk=run.pk).update(status=Status.PENDING, lease_expires=None, error="",
                                                       **dict.fromkeys(COUNTERS, 0))
    run.refresh_from_db()


def _add_counters(run: CollectionRun, before: dict[str, int], earlier_status: str) -> None:
    run.refresh_from_db()
    fields = {name: getattr(run, name) + before[name] for name in COUNTERS}
    if earlier_status == Status.PARTIAL and run.status == Status.COMPLETE:
        fields["status"] = Status.PARTIAL
    CollectionRun.objects.filter(pk=run.pk).update(**fields)


def _refused(outcome: Outcome, message: str) -> Outcome:
    outcome.action, outcome.message = "refused", message
    return outcome


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
