"""Small builders for ingestion tests: quotes, runs, sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pricing.models import CollectionRun, Model, Source
from providers.base import ParseResult, PriceKind, Quote

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def source(slug: str = "testsrc", kind: str = "api", weight: int = 90) -> Source:
    return Source.objects.get_or_create(slug=slug, defaults={"name": slug, "kind": kind, "weight": weight})[0]


def models(n: int) -> list[Model]:
    Model.objects.bulk_create(
        [Model(slug=f"lab/model-{i}", name=f"Model {i}", author="lab") for i in range(n)], ignore_conflicts=True
    )
    return list(Model.objects.filter(slug__startswith="lab/model-").order_by("id"))


def quote(i: int, provider: str = "host", input: str = "1", output: str = "2", **kw) -> Quote:
    return Quote(
        provider=provider,
        provider_model_id=f"lab/model-{i}",
        input=Decimal(input) if input is not None else None,
        output=Decimal(output) if output is not None else None,
        price_kind=kw.pop("price_kind", PriceKind.FIXED),
        **kw,
    )


def result(quotes: list[Quote], complete: bool = True) -> ParseResult:
    return ParseResult(quotes=list(quotes), complete=complete)


def run(src: Source, slot: datetime) -> CollectionRun:
    return CollectionRun.objects.get_or_create(source=src, slot=slot, defaults={"status": "running"})[0]


def hours(n: int) -> timedelta:
    return timedelta(hours=n)
