"""Step 2 of ingestion: the catalogue a run's quotes refer to.

Models (OpenRouter's slugs are the canonical list), providers, and offers (one per provider, model
and variant) are found or created here; attribute changes of existing offers (quantization,
context, status) become events; each touched offer is pointed at its most trusted open period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from pricing.collection.ingest.guards import id_problem, rejection
from pricing.collection.matching import Matcher
from pricing.models import ChangeEvent, CollectionRun, Model, Offer, PricePeriod, Provider, QuoteRejection, Source
from providers.base import ModelInfo, Quote

CHUNK = 900  # under SQLite's bound-parameter limit with room to spare
ATTRIBUTES = ("quantization", "context_length", "status")


class OfferKey(NamedTuple):
    provider_id: int
    model_id: int
    variant: str


class KnownAttributes(NamedTuple):
    """An existing offer's attributes, and whether they follow this run's source (its current
    price comes from this source, or it has none: attributes follow the most trusted source)."""

    quantization: str
    context_length: int | None
    status: str
    follows_source: bool


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def model_slug(quote: Quote) -> str:
    """The OpenRouter model a quote names (its canonical id without the ``:variant``)."""
    return (quote.canonical_hint or quote.provider_model_id).split(":", 1)[0]


def ensure_models(matcher: Matcher, infos: list[ModelInfo], quotes: list[Quote], source: Source,
                  max_new: int) -> set[str]:
    """OpenRouter's catalogue is the canonical list of models: its slugs create models, at most
    ``max_new`` in one run. Returns the slugs beyond the cap (not created; their quotes are held)."""
    if source.slug != "openrouter":
        return set()
    wanted: dict[str, ModelInfo] = {}
    for info in infos:
        slug = info.source_id.split(":", 1)[0]
        if not id_problem(slug, source.slug):  # a malformed catalogue entry creates nothing
            wanted.setdefault(slug, info)
    for quote in quotes:
        slug = model_slug(quote)
        if slug and "/" in slug and slug not in wanted:
            wanted[slug] = ModelInfo(source_id=slug, name=quote.model_name, hf_id=quote.hf_id,
                                     context_length=quote.context_length)
    missing = [slug for slug in wanted if slug.lower() not in matcher.by_slug]
    held = set(missing[max_new:])
    missing = missing[:max_new]
    for batch in chunks(missing):
        Model.objects.bulk_create(
            [
                Model(
                    slug=slug,
                    name=(wanted[slug].name or slug)[:300],
                    author=slug.split("/", 1)[0],
                    hf_id=(wanted[slug].hf_id or "")[:200],
                    context_length=wanted[slug].context_length,
                )
                for slug in batch
            ],
            ignore_conflicts=True,
        )
        for model in Model.objects.filter(slug__in=batch):
            matcher.add_model(model)
    # Fill in Hugging Face ids learnt later: they are the bridge to every host's own ids.
    for slug, info in wanted.items():
        if info.hf_id and slug.lower() in matcher.by_slug and info.hf_id.lower() not in matcher.by_hf:
            Model.objects.filter(slug=slug, hf_id="").update(hf_id=info.hf_id[:200])
            matcher.by_hf[info.hf_id.lower()] = matcher.by_slug[slug.lower()]
    return held


def ensure_providers(quotes: list[Quote], source: Source) -> dict[str, int]:
    """Provider ids by slug for every provider the quotes name, creating the missing ones."""
    names: dict[str, str] = {}
    for quote in quotes:
        names.setdefault(quote.provider, quote.provider_name or quote.provider)
    existing = dict(Provider.objects.filter(slug__in=list(names)).values_list("slug", "id"))
    missing = [slug for slug in names if slug not in existing]
    if missing:
        # A source that quotes itself (OpenRouter's list price) is an aggregator, not a host.
        aggregator = source.kind == Source.Kind.AGGREGATOR
        Provider.objects.bulk_create(
            [
                Provider(slug=slug[:64], name=names[slug][:200],
                         kind=Provider.Kind.AGGREGATOR if aggregator and slug == source.slug else Provider.Kind.HOST)
                for slug in missing
            ],
            ignore_conflicts=True,
        )
        existing.update(Provider.objects.filter(slug__in=missing).values_list("slug", "id"))
    return existing


def ensure_offers(
    keys: list[OfferKey], attrs: dict[OfferKey, Quote], at: datetime, known_attrs: dict[int, KnownAttributes],
    source: Source, max_new: int,
) -> tuple[dict[OfferKey, int], set[int], list[OfferKey]]:
    """Offer ids for keys that have no open period of this source, creating the missing offers
    (at most ``max_new``, in listing order). Fills ``known_attrs`` for the offers that already
    existed; returns (ids, ids created now, keys beyond the cap: not created)."""
    by_key: dict[OfferKey, int] = {}
    if not keys:
        return by_key, set(), []
    wanted = set(keys)
    provider_ids = {k.provider_id for k in keys}
    model_ids = {k.model_id for k in keys}
    fields = ("id", "provider_id", "model_id", "variant", *ATTRIBUTES, "current_period__source_id")
    # A big sweep reads its providers' offers in one pass; a small one asks by model.
    batches: list = [None] if len(model_ids) > CHUNK else list(chunks(sorted(model_ids)))
    for model_batch in batches:
        query = Offer.objects.filter(provider_id__in=provider_ids)
        if model_batch is not None:
            query = query.filter(model_id__in=model_batch)
        for offer_id, provider_id, model_id, variant, quantization, context, status, current_source in (
            query.values_list(*fields)
        ):
            key = OfferKey(provider_id, model_id, variant)
            if key in wanted:
                by_key[key] = offer_id
                known_attrs[offer_id] = KnownAttributes(quantization, context, status,
                                                        current_source in (None, source.id))
    missing = [k for k in keys if k not in by_key]
    over = missing[max_new:]
    missing = missing[:max_new]
    created: set[int] = set()
    if missing:
        Offer.objects.bulk_create(
            [
                Offer(
                    provider_id=k.provider_id,
                    model_id=k.model_id,
                    variant=k.variant,
                    quantization=attrs[k].quantization[:32],
                    context_length=attrs[k].context_length,
                    max_output=attrs[k].max_output,
                    status=attrs[k].status[:32],
                    provider_model_id=attrs[k].provider_model_id[:300],
                    first_seen=attrs[k].valid_from or at,
                )
                for k in missing
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        missing_providers = {k.provider_id for k in missing}
        for model_batch in chunks(sorted({k.model_id for k in missing})):
            for offer_id, provider_id, model_id, variant in Offer.objects.filter(
                model_id__in=model_batch, provider_id__in=missing_providers
            ).values_list("id", "provider_id", "model_id", "variant"):
                key = OfferKey(provider_id, model_id, variant)
                if key not in by_key:
                    by_key[key] = offer_id
                    created.add(offer_id)
    return by_key, created, over


def attribute_changes(
    quoted: list[tuple[int, Quote]], known_attrs: dict[int, KnownAttributes],
    source: Source, at: datetime, run: CollectionRun, notify: bool,
) -> tuple[list[ChangeEvent], dict[int, dict]]:
    """Quantization, context and status are history too: a change is an event, price or not.
    ``quoted``: (offer id, its last quote in the run), in listing order. Returns the events and,
    per offer, the attributes to write."""
    events: list[ChangeEvent] = []
    updates: dict[int, dict] = {}
    for offer_id, quote in quoted:
        known = known_attrs.get(offer_id)
        if known is None:
            continue  # created in this run with the quote's attributes, or they are the same
        if not known.follows_source:
            continue  # the offer's attributes follow its most trusted source
        if (quote.quantization, quote.context_length, quote.status) == known[:3]:
            continue
        changes = {}
        for name in ATTRIBUTES:
            old, new = getattr(known, name), getattr(quote, name)
            if new in (None, "") or new == old:
                continue
            if old not in (None, ""):
                events.append(ChangeEvent(kind=ChangeEvent.Kind.ATTRIBUTE, offer_id=offer_id, source=source, at=at,
                                          field=name, old={name: old}, new={name: new}, run=run, notify=notify))
            changes[name] = new
        if changes:
            updates[offer_id] = changes
    return events, updates


def refresh_current(offer_ids: set[int]) -> None:
    """Point each touched offer at the open period of its most trusted source (one UPDATE with a
    correlated subquery per chunk: Django's bulk_update builds a CASE per row and is far slower)."""
    if not offer_ids:
        return
    best = (
        PricePeriod.objects.filter(offer=OuterRef("pk")).open().most_trusted_first()
        .values("id")[:1]
    )
    now = timezone.now()
    for batch in chunks(sorted(offer_ids)):
        Offer.objects.filter(pk__in=batch).update(current_period=Subquery(best))
        Offer.objects.filter(pk__in=batch, current_period__isnull=False, gone_at__isnull=False).update(gone_at=None)
        Offer.objects.filter(pk__in=batch, current_period__isnull=True, gone_at__isnull=True).update(gone_at=now)


def group_by_offer(quotes: list[Quote], matcher: Matcher, provider_ids: dict[str, int],
                   run: CollectionRun) -> tuple[dict[OfferKey, list[Quote]], list[QuoteRejection]]:
    """Each matched quote under its offer's key, in date order. Curated history lists several
    dated prices of one offer in one payload; two undated quotes for one offer in one run are a
    source bug (the first is kept). Unmatched ids are counted by the matcher for a person."""
    keyed: dict[OfferKey, list[Quote]] = {}
    rejections: list[QuoteRejection] = []
    memo = matcher.memo
    for quote in quotes:
        model_id = memo.get((quote.provider_model_id, quote.canonical_hint, quote.hf_id)) or matcher.match(
            quote.provider_model_id, quote.canonical_hint, quote.hf_id)
        if model_id is None:
            continue
        key = (provider_ids[quote.provider], model_id, quote.variant[:100])  # an OfferKey's fields
        group = keyed.get(key)  # type: ignore[call-overload]
        if group is None:
            keyed[OfferKey._make(key)] = [quote]
            continue
        if quote.valid_from is None or group[0].valid_from is None:
            rejections.append(rejection(run, quote, "a second quote for the same offer in one run; the first was kept"))
            continue
        group.append(quote)
    for group in keyed.values():
        if len(group) > 1:
            group.sort(key=lambda q: q.valid_from or datetime.min)  # a group of many is all dated
    return keyed, rejections
