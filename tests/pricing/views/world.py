"""A small world built through ingestion, like the bundled snapshot: o1 and R1 at their launch
prices, hosts of R1 and Llama with performance from OpenRouter, Hugging Face and our probe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from pricing.collection.ingest import ingest
from pricing.models import CollectionRun, Model, Offer, Provider, Source
from pricing.models import PerfSample as PerfSampleRow
from providers.base import ParseResult, PerfSample, PriceKind, Quote

O1 = "openai/o1"
R1 = "deepseek/deepseek-r1"
LLAMA = "meta-llama/llama-3.3-70b-instruct"
XSS_MODEL = "<img src=x onerror=alert(1)>"
XSS_PROVIDER = "</script><script>alert(2)</script>"


def _source(slug: str, kind: str) -> Source:
    return Source.objects.get_or_create(
        slug=slug, defaults={"name": slug, "kind": kind, "weight": Source.default_weight(kind)}
    )[0]


def sweep(source: Source, at: datetime, quotes: list[Quote], samples: list[PerfSample] = (), status="complete"):
    run = CollectionRun.objects.get_or_create(source=source, slot=at, defaults={"status": "running"})[0]
    stats = ingest(run, ParseResult(quotes=list(quotes), samples=list(samples), complete=False), at=at, notify=False)
    CollectionRun.objects.filter(pk=run.pk).update(status=status, started=at, finished=at)
    return stats


def q(provider: str, model: str, input: str, output: str, **kw) -> Quote:
    return Quote(provider=provider, provider_model_id=model, canonical_hint=model, input=Decimal(input),
                 output=Decimal(output), price_kind=kw.pop("price_kind", PriceKind.FIXED), **kw)


def s(provider: str, model: str, ttft: str, tps: str, window: str = "30m", uptime: str | None = "99.5") -> PerfSample:
    return PerfSample(provider=provider, provider_model_id=model, canonical_hint=model, window=window,
                      ttft_p50_ms=Decimal(ttft), tps_p50=Decimal(tps),
                      uptime_1d=Decimal(uptime) if uptime else None)


def build(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    for slug, name, kind in [("openai", "OpenAI", "lab"), ("deepseek", "DeepSeek", "lab")]:
        Provider.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
    openai, deepseek = Provider.objects.get(slug="openai"), Provider.objects.get(slug="deepseek")
    Model.objects.get_or_create(slug=O1, defaults=dict(name="OpenAI: o1", author="openai", open_weights=False,
                                                       first_party=openai))
    Model.objects.get_or_create(slug=R1, defaults=dict(
        name="DeepSeek: R1", author="deepseek", open_weights=True, params_total_b=Decimal("671"),
        params_active_b=Decimal("37"), licence="MIT", release_date=datetime(2025, 1, 20).date(),
        first_party=deepseek, context_length=163840))
    Model.objects.get_or_create(slug=LLAMA, defaults=dict(name="Meta: Llama 3.3 70B Instruct", author="meta-llama",
                                                          open_weights=True, params_total_b=Decimal("70")))
    curated = _source("llm-prices", "curated")
    sweep(curated, datetime(2024, 12, 17, tzinfo=UTC), [q("openai", O1, "15", "60", cached_input=Decimal("7.5"))])
    sweep(curated, datetime(2025, 1, 20, tzinfo=UTC), [q("deepseek", R1, "0.55", "2.19", cached_input=Decimal("0.14"))])
    openrouter = _source("openrouter", "aggregator")
    earlier = now - timedelta(days=20)
    sweep(openrouter, earlier, [
        q("deepinfra", R1, "0.85", "2.5", quantization="fp8", context_length=163840),
        q("together", R1, "3", "7", quantization="fp8", context_length=131072),
        q("deepinfra", LLAMA, "0.23", "0.4", quantization="bf16", context_length=131072),
    ], [s("deepinfra", R1, "900", "30"), s("together", R1, "400", "80")])
    recent = now - timedelta(minutes=12)
    sweep(openrouter, recent, [
        q("deepinfra", R1, "0.45", "2.15", quantization="fp8", context_length=163840),
        q("together", R1, "3", "7", quantization="fp8", context_length=131072),
        q("fireworks", R1, "3", "8", quantization="fp8", context_length=163840, provider_name="Fireworks"),
        q("deepinfra", LLAMA, "0.23", "0.4", quantization="fp8", context_length=131072),
        q("together", LLAMA, "0.88", "0.88", context_length=131072),
    ], [s("deepinfra", R1, "567", "90.8"), s("together", R1, "350", "85"), s("fireworks", R1, "300", "110")])
    hf = _source("huggingface", "aggregator")
    sweep(hf, recent, [q("novita", R1, "0.7", "2.5", context_length=64000)], [s("novita", R1, "949", "30.6")])
    probe = _source("probe", "probe")
    # Our probe writes samples for offers others priced (pricing.probe_runs); recorded here directly.
    PerfSampleRow.objects.create(
        offer=Offer.objects.get(model__slug=LLAMA, provider__slug="deepinfra"), source=probe, kind="probe",
        observed_at=now - timedelta(minutes=5), window="probe", ttft_p50_ms=Decimal("210"), tps_p50=Decimal("120"),
    )
    failing = _source("chutes", "api")
    CollectionRun.objects.create(source=failing, slot=now - timedelta(hours=2), status="failed", error="HTTP 503")
    return {"now": now}


def add_xss(now: datetime | None = None) -> None:
    """A hostile model and provider name, arriving the way any name does: through ingestion."""
    now = now or timezone.now()
    openrouter = _source("openrouter", "aggregator")
    sweep(openrouter, now - timedelta(minutes=1), [
        q("evil-host", "evil/xss-model", "1", "2", model_name=XSS_MODEL, provider_name=XSS_PROVIDER,
          variant="<b>v</b>"),
    ], [s("evil-host", "evil/xss-model", "100", "50")])
    Model.objects.filter(slug="evil/xss-model").update(open_weights=True)


def add_hosts(n: int, model: str = R1, start: int = 0) -> None:
    """More offers of one model (for the no-N+1 tests)."""
    openrouter = _source("openrouter", "aggregator")
    at = timezone.now() - timedelta(minutes=3)
    quotes = [q(f"host-{i}", model, f"{1 + i / 100}", f"{2 + i / 100}") for i in range(start, start + n)]
    samples = [s(f"host-{i}", model, f"{300 + i}", f"{50 + i}") for i in range(start, start + n)]
    sweep(openrouter, at + timedelta(seconds=start), quotes, samples)
