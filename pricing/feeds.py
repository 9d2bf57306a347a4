"""Atom feeds of price changes: everything, one model, one provider.

Django's syndication framework escapes every string it writes into the XML, so provider-supplied
names are safe here as long as they go in as text (never as pre-built markup).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from pricing.change_text import summary
from pricing.models import ChangeEvent, Model, Provider
from pricing.money import amount

# Attribute events (a context length edited) are not price changes.
FEED_KINDS = ("price", "new_offer", "removed", "returned")
FEED_ITEMS = 50


def _price(state: object) -> str:
    if not isinstance(state, dict):
        return "?"
    kind = state.get("price_kind")
    if kind in ("free", "variable", "unknown"):
        return kind
    parts = []
    for name, label in (("input", "in"), ("output", "out")):
        parts.append(f"{amount(state.get(name), none='?')} {label}")
    return " / ".join(parts) + " per M tokens"


def _events(**filters: object) -> QuerySet[ChangeEvent]:
    return (
        ChangeEvent.objects.filter(kind__in=FEED_KINDS, **filters)
        .select_related("offer__provider", "offer__model", "source")
        .order_by("-at", "-id")[:FEED_ITEMS]
    )


class ChangesFeed(Feed):
    feed_type = Atom1Feed
    title = "Ratecard: price changes"
    subtitle = "Prices of open-weight language models at every host, in USD per million tokens."

    def link(self) -> str:
        return reverse("home")

    def items(self) -> QuerySet[ChangeEvent]:
        return _events()

    def item_title(self, item: ChangeEvent) -> str:
        offer = item.offer
        variant = f" [{offer.variant}]" if offer.variant else ""
        what = {
            "price": summary(item),
            "new_offer": f"new offer at {_price(item.new)}",
            "removed": "offer removed",
            "returned": f"offer returned at {_price(item.new)}",
        }.get(item.kind, item.kind)
        return f"{offer.model.name} at {offer.provider.name}{variant}: {what}"

    def item_description(self, item: ChangeEvent) -> str:
        offer = item.offer
        return (
            f"{offer.model.slug} at {offer.provider.slug}{' [' + offer.variant + ']' if offer.variant else ''}, "
            f"{item.kind} on {item.at:%Y-%m-%d %H:%M} UTC, reported by {item.source.slug}. "
            f"Before: {_price(item.old)}. After: {_price(item.new)}."
        )

    def item_link(self, item: ChangeEvent) -> str:
        model = item.offer.model
        offers = reverse("api-v1:model_offers", kwargs={"author": model.author_part, "name": model.name_part})
        return f"{offers}?as_of={item.at:%Y-%m-%dT%H:%M:%SZ}"

    def item_guid(self, item: ChangeEvent) -> str:
        return f"urn:uuid:{item.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: ChangeEvent) -> datetime:
        return item.at

    def item_updateddate(self, item: ChangeEvent) -> datetime:
        return item.at

    def item_categories(self, item: ChangeEvent) -> list[str]:
        return [item.kind, item.offer.provider.slug, item.offer.model.slug]


class ModelChangesFeed(ChangesFeed):
    def get_object(self, request: HttpRequest, author: str, name: str) -> Model:
        model = Model.objects.filter(slug=f"{author}/{name}").first() if "\x00" not in author + name else None
        if model is None:
            raise Http404("unknown model")
        return model

    def title(self, obj: Model) -> str:
        return f"Ratecard: price changes of {obj.name}"

    def link(self, obj: Model) -> str:
        return reverse("model", args=[obj.author_part, obj.name_part])

    def items(self, obj: Model) -> QuerySet[ChangeEvent]:
        return _events(offer__model=obj)


class ProviderChangesFeed(ChangesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Provider:
        provider = Provider.objects.filter(slug=slug).first() if "\x00" not in slug else None
        if provider is None:
            raise Http404("unknown provider")
        return provider

    def title(self, obj: Provider) -> str:
        return f"Ratecard: price changes at {obj.name}"

    def link(self, obj: Provider) -> str:
        return reverse("provider", args=[obj.slug])

    def items(self, obj: Provider) -> QuerySet[ChangeEvent]:
        return _events(offer__provider=obj)
