"""Load the bundled snapshot (pricing/snapshot/snapshot.json): real, dated prices with sources.

Each (source, date) group of observations is ingested as one run of that source, in date order,
through the same ingestion as live data, so the snapshot's changes are real price periods and
events (marked as history: they do not alert). Loading twice changes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from pricing.collection import payloads
from pricing.models import CollectionRun, Model, ModelAlias, Provider, Source
from pricing.quality.loader import load_snapshot as load_scores
from providers.base import ListingScope, ParseResult, PerfSample, PriceKind, Quote
from providers.identity import list_prices

SNAPSHOT = Path(__file__).resolve().parent.parent / "snapshot" / "snapshot.json"


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _extra(obs: dict, prices: dict[str, Decimal | None]) -> dict:
    """The citation, and a stated discount with the list price before it (as collectors keep them)."""
    extra = {"cite": obs["cite"]} if obs.get("cite") else {}
    if obs.get("discount"):
        rate = Decimal(obs["discount"])
        extra.update(discount=obs["discount"], list_price=list_prices(prices, rate, what="snapshot discount"))
    return extra


def load(path: Path = SNAPSHOT) -> dict[str, int]:
    data = json.loads(Path(path).read_text())
    # The "quality" section adds the models of the benchmark tables, their prices and the scores.
    quality = data.get("quality", {})
    with transaction.atomic():
        for item in data.get("sources", []):
            Source.objects.update_or_create(
                slug=item["slug"],
                defaults={"name": item.get("name", item["slug"]), "kind": item.get("kind", "curated"),
                          "url": item.get("url", ""),
                          "weight": Source.default_weight(item.get("kind", "curated"))},
            )
        for item in data.get("providers", []):
            Provider.objects.update_or_create(
                slug=item["slug"],
                defaults={"name": item.get("name", item["slug"]), "website": item.get("website", ""),
                          "kind": item.get("kind", "host")},
            )
        providers = {p.slug: p for p in Provider.objects.all()}
        for item in [*data.get("models", []), *quality.get("models", [])]:
            author = item.get("author") or item["slug"].split("/")[0]
            model, _ = Model.objects.update_or_create(
                slug=item["slug"],
                defaults={
                    "name": item.get("name", item["slug"]),
                    "author": author,
                    "open_weights": item.get("open_weights"),
                    "params_total_b": _dec(item.get("params_total_b")),
                    "params_active_b": _dec(item.get("params_active_b")),
                    "licence": item.get("licence") or "",
                    "release_date": date.fromisoformat(item["release_date"]) if item.get("release_date") else None,
                    "hf_id": item.get("hf_id") or "",
                    "context_length": item.get("context_length"),
                    "first_party": providers.get(item.get("first_party") or author),
                },
            )
            for alias in item.get("aliases", []):
                ModelAlias.objects.update_or_create(
                    source=alias.get("source", "*"), alias=alias["id"], defaults={"model": model}
                )

    groups: dict[tuple[str, datetime], list[dict]] = defaultdict(list)
    for obs in [*data.get("observations", []), *quality.get("observations", [])]:
        at = parse_datetime(obs["at"])
        if at is None:
            raise ValueError(f"snapshot observation with a bad 'at': {obs['at']!r}")
        groups[(obs["source"], at)].append(obs)
    # Groups that list every offer of some models (see the snapshot's README): complete for those
    # models, so offers an earlier group had and this one leaves out stop being current.
    complete_for = {(item["source"], parse_datetime(item["at"])): frozenset(item["complete_for"])
                    for item in data.get("listings", [])}
    counts = {"runs": 0, "changed": 0, "new": 0, "skipped": 0}
    for (source_slug, at), observations in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        source = Source.objects.get(slug=source_slug)
        run, created = CollectionRun.objects.get_or_create(source=source, slot=at, defaults={"trigger": "snapshot"})
        if not created and run.status == CollectionRun.Status.COMPLETE:
            counts["skipped"] += 1
            continue
        models = complete_for.get((source_slug, at))
        if models:
            ids = models | {obs.get("provider_model_id") or obs["model"] for obs in observations if obs["model"] in models}
            result = ParseResult(complete=True, scope=ListingScope(ids=frozenset(ids), ids_except=frozenset({source_slug})))
        else:
            result = ParseResult(complete=False)  # a curated excerpt, not a full listing
        for obs in observations:
            prices: dict[str, Any] = {name: _dec(obs.get(name)) for name in ("input", "output", "cached_input",
                                                                              "cache_write")}
            kind = PriceKind.FREE if prices["input"] == 0 and prices["output"] == 0 else PriceKind.FIXED
            quote = Quote(
                provider=obs["provider"],
                provider_model_id=obs.get("provider_model_id") or obs["model"],
                canonical_hint=obs["model"],
                variant=obs.get("variant") or "",
                quantization=obs.get("quantization") or "",
                context_length=obs.get("context_length"),
                price_kind=kind,
                extra=_extra(obs, prices),
                **prices,
            )
            result.quotes.append(quote)
            if obs.get("ttft_ms") is not None or obs.get("tps") is not None:
                result.samples.append(
                    PerfSample(provider=quote.provider, provider_model_id=quote.provider_model_id,
                               canonical_hint=obs["model"], variant=quote.variant, window="30m",
                               ttft_p50_ms=_dec(obs.get("ttft_ms")), tps_p50=_dec(obs.get("tps")))
                )
        # The same apply step as a live run, from the point where quotes exist.
        payloads.conclude(run, payloads.Parsed(result=result, n_ok=1, first_fetch=at), at=at, notify=False)
        CollectionRun.objects.filter(pk=run.pk).update(started=at, finished=at)
        counts["runs"] += 1
        counts["changed"] += run.n_changed
        counts["new"] += run.n_new
    counts.update(load_scores(quality))
    return counts
