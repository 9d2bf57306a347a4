"""Our own probes: latency and throughput measured from the user's network with the user's keys.

Off by default (``PROBES_ENABLED``). For each provider whose ``<PROVIDER>_API_KEY`` is set and each
chosen model it hosts, one short and one long published workload go through the provider's
OpenAI-compatible streaming endpoint (``providers.probe``). Each probe becomes a performance sample
of its offer, marked as our own measurement, with its estimated cost; a daily budget in dollars
(estimated from the offer's stored price) caps the spending. A failed probe is recorded, never
retried in a loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pricing.models import Model, Offer, PerfSample, Provider, Source
from providers import probe as probe_client

# Providers' OpenAI-compatible bases. A provider missing here can still be probed with --base-url.
BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "together": "https://api.together.xyz/v1",
    "deepinfra": "https://api.deepinfra.com/v1/openai",
    "novita": "https://api.novita.ai/openai/v1",
    "fireworks": "https://api.fireworks.ai/inference/v1",
    "groq": "https://api.groq.com/openai/v1",
    "cerebras": "https://api.cerebras.ai/v1",
    "sambanova": "https://api.sambanova.ai/v1",
    "hyperbolic": "https://api.hyperbolic.xyz/v1",
    "nebius": "https://api.studio.nebius.com/v1",
    "chutes": "https://llm.chutes.ai/v1",
    "openrouter": "https://openrouter.ai/api/v1",
}
PROBE_SOURCE = "probe"


def key_env(provider_slug: str) -> str:
    return f"{provider_slug.upper().replace('-', '_')}_API_KEY"


def probe_source() -> Source:
    return Source.objects.get_or_create(
        slug=PROBE_SOURCE, defaults={"name": "Our own probes", "kind": Source.Kind.PROBE, "weight": 50}
    )[0]


@dataclass
class Planned:
    offer: Offer
    base_url: str
    api_key: str
    model_id: str
    workload: str
    cost: Decimal


@dataclass
class Outcome:
    planned: Planned
    result: probe_client.ProbeResult | None
    skipped: str = ""


def spent_today(now: datetime | None = None) -> Decimal:
    """Estimated dollars our probes spent since midnight UTC."""
    now = now or timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    total = Decimal(0)
    for extra in PerfSample.objects.filter(kind=PerfSample.Kind.PROBE, observed_at__gte=midnight).values_list(
        "extra", flat=True
    ):
        total += Decimal(str((extra or {}).get("cost_usd", "0")))
    return total


def _estimated_cost(offer: Offer, workload: str) -> Decimal:
    period = offer.current_period
    if period is None or period.input is None or period.output is None:
        # No stored price: count it at a dear list price rather than as free.
        return probe_client.estimate_cost(Decimal("15"), Decimal("60"), workload)
    return probe_client.estimate_cost(period.input, period.output, workload)


def plan(
    *, provider: str | None = None, model: str | None = None, base_url: str | None = None,
    api_key: str | None = None, model_id: str | None = None, workloads: tuple[str, ...] = ("short", "long"),
) -> list[Planned]:
    """What to probe: offers at providers with a key (or the one named), of the chosen models."""
    model_slugs = [model] if model else list(settings.PROBE_MODELS)
    offers = (
        Offer.objects.filter(model__slug__in=model_slugs, gone_at__isnull=True)
        .select_related("provider", "model", "current_period")
        .order_by("provider__slug", "model__slug", "variant")
    )
    if provider:
        offers = offers.filter(provider__slug=provider)
    out: list[Planned] = []
    seen: set[tuple[int, int]] = set()
    for offer in offers:
        if (offer.provider_id, offer.model_id) in seen:
            continue  # one offer per provider and model: the default variant sorts first
        url = base_url or BASE_URLS.get(offer.provider.slug)
        key = api_key if api_key is not None else os.environ.get(key_env(offer.provider.slug), "")
        if not url or (not key and not base_url):
            continue
        seen.add((offer.provider_id, offer.model_id))
        for workload in workloads:
            out.append(Planned(offer, url, key, model_id or offer.provider_model_id or offer.model.slug, workload,
                               _estimated_cost(offer, workload)))
    return out


def custom_offer(model_slug: str, provider_slug: str = "self-hosted") -> Offer:
    """An offer for a self-hosted (``--base-url``) endpoint, so its probes have somewhere to live."""
    model = Model.objects.get(slug=model_slug)
    provider, _ = Provider.objects.get_or_create(slug=provider_slug, defaults={"name": provider_slug.title()})
    offer, _ = Offer.objects.get_or_create(
        provider=provider, model=model, variant="", defaults={"first_seen": timezone.now()}
    )
    return offer


def execute(planned: list[Planned], *, budget: Decimal | None = None, now: datetime | None = None,
            timeout: float = 30.0, deadline: float = 120.0) -> list[Outcome]:
    """Run planned probes within the day's budget and store each as a sample of its offer."""
    budget = Decimal(settings.PROBE_BUDGET_USD_PER_DAY) if budget is None else budget
    source = probe_source()
    spent = spent_today(now)
    outcomes: list[Outcome] = []
    for item in planned:
        if spent + item.cost > budget:
            outcomes.append(Outcome(item, None, skipped=f"daily budget ${budget} reached (spent ${spent})"))
            continue
        result = probe_client.probe(item.base_url, item.api_key, item.model_id, item.workload,
                                    timeout=timeout, deadline=deadline)
        spent += item.cost
        sample = result.to_perf_sample(item.offer.provider.slug, item.model_id, item.offer.variant)
        extra = dict(sample.extra, cost_usd=str(item.cost), base_url=item.base_url)
        with transaction.atomic():
            PerfSample.objects.create(
                offer=item.offer, source=source, kind=PerfSample.Kind.PROBE,
                observed_at=result.started_at or timezone.now(), window=f"probe-{item.workload}"[:16],
                ttft_p50_ms=sample.ttft_p50_ms, tps_p50=sample.tps_p50, n_requests=1, extra=extra,
            )
        outcomes.append(Outcome(item, result))
    return outcomes


def run_scheduled_probes() -> int:
    if not settings.PROBES_ENABLED:
        return 0
    outcomes = execute(plan())
    return sum(1 for o in outcomes if o.result is not None)


def recent(offer_ids: list[int], days: int = 7) -> list[PerfSample]:
    since = timezone.now() - timedelta(days=days)
    return list(PerfSample.objects.filter(offer_id__in=offer_ids, kind=PerfSample.Kind.PROBE, observed_at__gte=since))
