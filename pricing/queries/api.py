"""Reads only the JSON API, feeds and exports need: pages of models, providers, history, changes, runs.

Every function here runs a fixed number of queries whatever the number of rows (the API's tests
pin the counts), and caps what it returns.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time

from django.db.models import Count, Max, Q, Subquery, Window
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from pricing.models import ChangeEvent, CollectionRun, Model, Offer, PricePeriod, Provider, Source
from pricing.models.querysets import is_stale
from pricing.queries.base import DEFAULT_MIX, MAX_ID, QueryError, check_instant
from pricing.queries.cost import Workload
from pricing.queries.filters import OfferFilter
from pricing.queries.offers import OfferRow, Reference, _attach_perf, offers_for_models, reference

MAX_LIMIT = 500
MAX_HISTORY_LIMIT = 5000
# Deeper than any real table; beyond it an offset only tests the database's integer range.
MAX_OFFSET = 1_000_000


def parse_instant(text: str | None, name: str = "as_of") -> datetime | None:
    """ISO-8601 date or datetime -> aware UTC datetime. A date means its midnight UTC; a naive time is UTC.

    Only ISO-8601 in ASCII: a bare number is not read as epoch seconds, and digits from other
    scripts (which Django's parser would take through ``\\d``) are refused.
    """
    if text is None or text == "":
        return None
    value = text.strip()
    parsed = None
    if value.isascii() and not value.isdigit():
        try:
            parsed = parse_datetime(value)
            if parsed is None:
                day = parse_date(value)
                parsed = datetime.combine(day, time.min) if day else None
        except (ValueError, OverflowError):
            parsed = None
    if parsed is None:
        raise QueryError(f"{name} must be an ISO-8601 date or datetime such as 2025-02-01T00:00:00Z, not {value[:40]!r}")
    return check_instant(parsed, name)


def check_page(limit: int, offset: int, cap: int = MAX_LIMIT) -> tuple[int, int]:
    if limit < 1 or limit > cap:
        raise QueryError(f"limit must be between 1 and {cap}")
    if offset < 0 or offset > MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}")
    return limit, offset


def model_by_slug(slug: str) -> Model:
    """The model named by its canonical ``author/name`` slug; LookupError (a 404) if there is none."""
    model = Model.objects.select_related("first_party").filter(slug=slug).first()
    if model is None:
        raise LookupError(f"unknown model: {slug[:200]}")
    return model


# Models ---------------------------------------------------------------------------------------


@dataclass
class ModelSummary:
    model: Model
    n_offers: int
    cheapest: Reference
    cheapest_row: OfferRow | None
    n_hosts: int = 0


def models_page(
    *, open_weights: bool | None = None, author: str | None = None, q: str | None = None, limit: int = 100,
    offset: int = 0, mix: tuple[int, int] = DEFAULT_MIX,
) -> tuple[list[ModelSummary], int]:
    """A page of models with their number of current offers and hosts, and their cheapest current
    host offer (four queries)."""
    check_page(limit, offset)
    models = Model.objects.select_related("first_party")
    if open_weights is not None:
        models = models.filter(open_weights=open_weights)
    if author:
        models = models.filter(author__iexact=author)
    if q:
        models = models.filter(Q(slug__icontains=q) | Q(name__icontains=q))
    total = models.count()
    page = list(models.order_by("slug")[offset : offset + limit])
    rows = offers_for_models(page, mix=mix, perf=False) if page else {}
    out = []
    for model in page:
        group = rows.get(model.id, [])
        ref = reference(model, group, "cheapest", mix)
        row = next((r for r in group if r.offer_id == ref.offer_id), None)
        n_hosts = len({r.provider_slug for r in group if r.is_host})
        out.append(ModelSummary(model, sum(1 for r in group if r.is_priced), ref, row, n_hosts))
    return out, total


# Offers ---------------------------------------------------------------------------------------


def offers_of_model(
    model: Model, *, as_of: datetime | None, mix: tuple[int, int], offer_filter: OfferFilter | None = None,
    workload: Workload | None = None, limit: int = MAX_LIMIT, offset: int = 0,
) -> tuple[list[OfferRow], int]:
    """A page of a model's offers that pass the filter (cheapest blended first, or cheapest monthly
    cost with a workload), and how many pass in all. Speed is read for every offer: the speed
    filters need it before paging."""
    check_page(limit, offset)
    offer_filter = offer_filter or OfferFilter()
    rows = offers_for_models([model], as_of=as_of, mix=mix, perf=True, ended=not offer_filter.current_only,
                             workload=workload).get(model.id, [])
    kept = offer_filter.apply(rows)
    return kept[offset : offset + limit], len(kept)


@dataclass
class ProviderOffers:
    rows: list[OfferRow]
    total: int  # offers across all pages
    n_models: int  # distinct models among them


def offers_of_provider(
    provider: Provider, *, mix: tuple[int, int] = DEFAULT_MIX, limit: int = MAX_LIMIT, offset: int = 0,
    offer_filter: OfferFilter | None = None, workload: Workload | None = None,
) -> ProviderOffers:
    """A page of one provider's offers, by model then variant, with the totals over all pages:
    four queries whatever its size (the page with its totals as a window count and a scalar
    subquery, the open periods of its models, the speed of its offers). Every provider's periods
    of those models are read: whether an offer is still listed depends on what else its source
    listed for the model."""
    check_page(limit, offset)
    offer_filter = offer_filter or OfferFilter(hosts_only=False)
    offers = Offer.objects.filter(provider=provider)
    if offer_filter.current_only:
        offers = offers.live()
    n_models = offers.order_by().values("provider").annotate(n=Count("model", distinct=True)).values("n")
    page = list(
        offers.select_related("model").annotate(total=Window(Count("id")), n_models=Subquery(n_models[:1]))
        .order_by("model__slug", "variant", "id")[offset : offset + limit]
    )
    if page:
        total, n_distinct = page[0].total, page[0].n_models or 0
    else:  # past the last page: the totals need a query of their own
        total = offers.count()
        n_distinct = offers.values("model").distinct().count() if total else 0
    models = list({offer.model_id: offer.model for offer in page}.values())
    wanted = {offer.id for offer in page}
    rows = offers_for_models(models, mix=mix, perf=False, ended=not offer_filter.current_only, workload=workload)
    out = [r for group in rows.values() for r in group if r.offer_id in wanted]
    out.sort(key=lambda r: (r.model_slug, r.variant))
    _attach_perf(out)
    return ProviderOffers(replace(offer_filter, hosts_only=False).apply(out), total, n_distinct)


# History --------------------------------------------------------------------------------------


def history(
    model: Model, *, provider: str | None = None, since: datetime | None = None, until: datetime | None = None,
    limit: int = 1000, offset: int = 0,
) -> tuple[list[PricePeriod], int]:
    """Price periods of a model's offers overlapping [since, until), grouped by offer in time order."""
    check_page(limit, offset, MAX_HISTORY_LIMIT)
    if since and until and since >= until:
        raise QueryError("since must be before until")
    periods = PricePeriod.objects.filter(offer__model=model)
    if provider:
        periods = periods.filter(offer__provider__slug=provider)
    if since:
        periods = periods.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=since))
    if until:
        periods = periods.filter(valid_from__lt=until)
    total = periods.count()
    page = list(
        periods.select_related("source", "offer__provider")
        .only(
            "id", "offer_id", "valid_from", "valid_to", "first_seen", "last_seen", "input", "output", "cached_input",
            "cache_write", "price_kind", "source__slug", "offer__variant", "offer__quantization",
            "offer__context_length", "offer__provider__slug", "offer__provider__name",
        )
        # The (offer, valid_from) index serves this order.
        .order_by("offer_id", "valid_from", "id")[offset : offset + limit]
    )
    return page, total


# Providers ------------------------------------------------------------------------------------


def providers_page(*, limit: int = 100, offset: int = 0, q: str | None = None) -> tuple[list[Provider], int]:
    check_page(limit, offset)
    providers = Provider.objects.all()
    if q:
        providers = providers.filter(Q(slug__icontains=q) | Q(name__icontains=q))
    total = providers.count()
    # Offers the write path holds open; the providers index page counts current ones exactly.
    live = Q(offers__gone_at__isnull=True, offers__current_period__isnull=False)
    page = list(
        providers.annotate(
            n_offers=Count("offers", filter=live),
            n_models=Count("offers__model", filter=live, distinct=True),
        ).order_by("slug")[offset : offset + limit]
    )
    return page, total


def provider_by_slug(slug: str) -> Provider:
    provider = Provider.objects.filter(slug=slug).first()
    if provider is None:
        raise LookupError(f"unknown provider: {slug[:100]}")
    return provider


# Changes --------------------------------------------------------------------------------------


def encode_cursor(at: datetime, event_id: int) -> str:
    raw = f"{at.astimezone(UTC).isoformat()}|{event_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (at, id) a cursor from ``encode_cursor`` holds; anything else is a QueryError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        at_text, _, id_text = raw.partition("|")
        at = datetime.fromisoformat(at_text)
        if at.utcoffset() is None or not id_text.isascii() or not id_text.isdigit():
            raise ValueError
        at = check_instant(at, "cursor")
        event_id = int(id_text)
        if event_id > MAX_ID:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise QueryError("cursor is not one this API gave out") from None
    return at, event_id


CHANGE_KINDS = tuple(ChangeEvent.Kind.values)


def changes_page(
    *, since: datetime | None = None, until: datetime | None = None, model: str | None = None,
    provider: str | None = None, kind: str | None = None, cursor: str | None = None, limit: int = 100,
) -> tuple[list[ChangeEvent], str | None]:
    """Newest first; the cursor is the (at, id) of the last event shown, so inserts never shift a page."""
    check_page(limit, 0)
    events = ChangeEvent.objects.all()
    if since:
        events = events.filter(at__gte=since)
    if until:
        events = events.filter(at__lt=until)
    if model:
        events = events.filter(offer__model__slug=model)
    if provider:
        events = events.filter(offer__provider__slug=provider)
    if kind:
        if kind not in CHANGE_KINDS:
            raise QueryError(f"kind must be one of {', '.join(CHANGE_KINDS)}")
        events = events.filter(kind=kind)
    if cursor:
        at, event_id = decode_cursor(cursor)
        events = events.filter(Q(at__lt=at) | Q(at=at, id__lt=event_id))
    page = list(
        events.select_related("offer__provider", "offer__model", "source")
        # The (-at, -id) index serves this order and the cursor's keyset condition.
        .order_by("-at", "-id")[: limit + 1]
    )
    next_cursor = encode_cursor(page[limit - 1].at, page[limit - 1].id) if len(page) > limit else None
    return page[:limit], next_cursor


# Runs -----------------------------------------------------------------------------------------


def source_summaries() -> list[Source]:
    """Per source: its freshness (``pricing.queries.freshness``, the one definition), whether it
    is stale, and its failed or refused runs on record (one query)."""
    now = timezone.now()
    sources = list(
        Source.objects.with_freshness()
        .annotate(n_failed=Count("runs", filter=Q(runs__status__in=["failed", "refused"])))
        .order_by("slug")
    )
    for source in sources:
        source.last_complete = source.last_fresh
        source.stale = is_stale(source, now)
    return sources


def runs_page(
    *, source: str | None = None, status: str | None = None, since: datetime | None = None, limit: int = 100,
    offset: int = 0,
) -> tuple[list[CollectionRun], int]:
    check_page(limit, offset)
    runs = CollectionRun.objects.all()
    if source:
        runs = runs.filter(source__slug=source)
    if status:
        if status not in CollectionRun.Status.values:
            raise QueryError(f"status must be one of {', '.join(CollectionRun.Status.values)}")
        runs = runs.filter(status=status)
    if since:
        runs = runs.filter(slot__gte=since)
    total = runs.count()
    page = list(runs.select_related("source").order_by("-slot", "-id")[offset : offset + limit])
    return page, total


def newest_change() -> datetime | None:
    """When the data last changed: the newest finished run or change event."""
    finished = CollectionRun.objects.aggregate(at=Max("finished"))["at"]
    event = ChangeEvent.objects.order_by("-at", "-id").values_list("at", flat=True).first()
    candidates = [d for d in (finished, event) if d is not None]
    return max(candidates) if candidates else None
