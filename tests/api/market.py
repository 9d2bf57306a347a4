"""A small market built through ingestion: o1 and R1 at their launch prices, Llama at two hosts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pricing.collection.ingest import ingest
from pricing.models import CollectionRun, Model, Provider, Source
from providers.base import ParseResult, PerfSample, PriceKind, Quote

O1_LAUNCH = datetime(2024, 12, 17, tzinfo=UTC)
R1_LAUNCH = datetime(2025, 1, 20, tzinfo=UTC)
AGG_BASELINE = datetime(2025, 1, 1, tzinfo=UTC)
LLAMA_DAY = datetime(2025, 1, 25, tzinfo=UTC)
R1_CUT = datetime(2025, 3, 1, tzinfo=UTC)
NOW = datetime(2025, 6, 1, tzinfo=UTC)
EVIL = 'Evil <script>alert("x")</script> & Co'

O1 = "openai/o1"
R1 = "deepseek/deepseek-r1"
LLAMA = "meta-llama/llama-3.3-70b-instruct"


def q(provider: str, model: str, input: str | None, output: str | None, **kw) -> Quote:
    return Quote(
        provider=provider, provider_model_id=model, canonical_hint=model,
        input=Decimal(input) if input is not None else None, output=Decimal(output) if output is not None else None,
        price_kind=kw.pop("price_kind", PriceKind.FIXED), **kw,
    )


def sweep(source: Source, at: datetime, quotes: list[Quote], samples: list[PerfSample] = (),
          status: str = "complete") -> CollectionRun:
    run = CollectionRun.objects.create(source=source, slot=at, status="running", trigger="test")
    ingest(run, ParseResult(quotes=list(quotes), samples=list(samples), complete=False), at=at, notify=False)
    CollectionRun.objects.filter(pk=run.pk).update(status=status, started=at, finished=at)
    return run


def clear_caches() -> None:
    from django.core.cache import cache

    from pricing.api import http

    cache.clear()
    http.forget_local()


def build() -> dict:
    api_src = Source.objects.create(slug="hostapi", name="Hosts' own APIs", kind="api", weight=90)
    agg = Source.objects.create(slug="aggregator", name="Aggregator", kind="aggregator", weight=60)
    openai = Provider.objects.create(slug="openai", name="OpenAI", kind="lab")
    deepseek = Provider.objects.create(slug="deepseek", name="DeepSeek", kind="lab")
    Model.objects.create(slug=O1, name="OpenAI: o1", author="openai", open_weights=False, first_party=openai)
    Model.objects.create(slug=R1, name="DeepSeek: R1", author="deepseek", open_weights=True,
                         params_total_b=Decimal("671"), params_active_b=Decimal("37"), first_party=deepseek,
                         context_length=163840)
    Model.objects.create(slug=LLAMA, name="Meta: Llama 3.3 70B Instruct", author="meta-llama", open_weights=True,
                         params_total_b=Decimal("70"))

    sweep(api_src, O1_LAUNCH, [q("openai", O1, "15", "60", cached_input=Decimal("7.5"))])
    sweep(api_src, R1_LAUNCH, [
        q("deepseek", R1, "0.55", "2.19", cached_input=Decimal("0.14")),
        q("together", R1, "7", "7", provider_name="Together AI", quantization="fp8", context_length=131072),
    ])
    # A source's first sweep is its baseline (no "new offer" events), so the aggregator starts small.
    free_llama = q("deepinfra", LLAMA, "0", "0", variant="free", price_kind=PriceKind.FREE, provider_name="DeepInfra")
    sweep(agg, AGG_BASELINE, [free_llama])
    sweep(agg, LLAMA_DAY, [
        q("deepinfra", LLAMA, "0.23", "0.40", provider_name="DeepInfra", quantization="bf16"),
        q("evil", LLAMA, "0.88", "0.88", provider_name=EVIL),
        free_llama,
    ], samples=[PerfSample(provider="deepinfra", provider_model_id=LLAMA, canonical_hint=LLAMA, window="30m",
                           ttft_p50_ms=Decimal("310.5"), tps_p50=Decimal("42"), uptime_1d=Decimal("99.5"))])
    sweep(api_src, R1_CUT, [q("together", R1, "3", "7", provider_name="Together AI", quantization="fp8",
                              context_length=131072)])
    sweep(agg, NOW, [], status="failed")
    return {"api": api_src, "agg": agg}
