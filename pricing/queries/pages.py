"""Reads several pages share: dates in the query string, the changes list, search, model choices.
The home page, model page, provider page, index pages and timelines have their own modules.

Every function here runs a fixed number of queries whatever the number of offers (the page tests
pin the counts); the rest is arithmetic in Python over rows already fetched.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When

from pricing.models import ChangeEvent, Model, Offer, Provider
from pricing.queries.base import QueryError, check_instant


def parse_day(text: str | None, name: str = "as_of") -> date | None:
    """``2025-02-01`` (ASCII digits, within the instants a user may name) -> a date."""
    if not text:
        return None
    value = text.strip()
    try:
        if not value.isascii():
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name} must be a date like 2025-02-01, not {text[:20]!r}") from None
    check_instant(datetime.combine(day, time.min, tzinfo=UTC), name)
    return day


def end_of_day(day: date) -> datetime:
    """Prices "on" a date are those standing at the end of that UTC day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Changes


EVENT_KINDS = [k for k, _ in ChangeEvent.Kind.choices]


def events_query(*, model: str = "", provider: str = "", kind: str = "", since: date | None = None):
    if kind and kind not in EVENT_KINDS:
        raise QueryError(f"kind must be one of {', '.join(EVENT_KINDS)}, not {kind[:20]!r}")
    # pricing_event_recent serves the ORDER BY; the filters narrow it.
    query = ChangeEvent.objects.select_related("offer__provider", "offer__model", "source").order_by("-at", "-id")
    if model:
        query = query.filter(offer__model__slug=model)
    if provider:
        query = query.filter(offer__provider__slug=provider)
    if kind:
        query = query.filter(kind=kind)
    if since:
        query = query.filter(at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    return query


# ---------------------------------------------------------------------------------------------
# Search


def search(q: str, limit: int = 50) -> tuple[list[Model], list[Provider]]:
    q = q.strip()[:100]
    if not q:
        return [], []
    models = list(
        Model.objects.filter(Q(slug__icontains=q) | Q(name__icontains=q))
        .annotate(n_offers=Count("offers", filter=Q(offers__gone_at__isnull=True)))
        .order_by("-n_offers", "slug")[:limit]
    )
    providers = list(
        Provider.objects.filter(Q(slug__icontains=q) | Q(name__icontains=q))
        .annotate(n_offers=Count("offers", filter=Q(offers__gone_at__isnull=True)))
        .order_by("-n_offers", "slug")[:limit]
    )
    return models, providers


MAX_CHOICES = 300


def model_choices(include: list[str] | None = None, limit: int = MAX_CHOICES) -> list[tuple[str, str]]:
    """(slug, name) for the compare form: the models with the most live offers, at most
    ``limit`` (a flooded catalogue must not make a 5 MB page), plus the ones already chosen;
    any other slug can still be typed into the URL."""
    include = list(include or [])[:20]
    priced = Offer.objects.filter(model=OuterRef("pk"), current_period__isnull=False, gone_at__isnull=True)
    chosen = Case(When(slug__in=include, then=Value(0)), default=Value(1), output_field=IntegerField())
    # One query: the chosen models first, then the most offered.
    return sorted(
        Model.objects.filter(Q(Exists(priced)) | Q(slug__in=include))
        .annotate(n=Count("offers", filter=Q(offers__gone_at__isnull=True)), chosen=chosen)
        .order_by("chosen", "-n", "slug").values_list("slug", "name")[: limit + len(include)]
    )
