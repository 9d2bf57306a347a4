"""History replay benchmark: many days of per-model OpenRouter endpoint bodies, replayed exactly?

Starts from the real endpoints of three models as OpenRouter listed them on 2026-08-08
(sui414/openrouter-pricing-data ``model_stats.jsonl.gz`` @83ec0dd3, copied into
../shared/reference/payloads/: Llama 3.3 70B with 13 endpoints including SambaNova's 25%
discount, DeepSeek R1 with 2, DeepSeek V3 0324 with 4) and scripts day-to-day changes from a
seeded random generator: prices move (by -20% to +25%), quantizations change while the tag
stays (``fp8`` -> ``bf16``) or with it (``novita/fp8`` -> ``novita/bf16``), statuses flip, and
now and then an endpoint is delisted for a while. Each day's body of each model is written in
OpenRouter's public endpoints shape with its own fetch time (day + i minutes), and the whole
series is imported with ``manage.py import_history openrouter MANIFEST.csv``.

Then it counts, against the script's own truth: per-host prices right at each body's instant
(``price_at``), price-change events against real price changes, quantization events against
real quantization changes, "removed" events against real delistings, and refused runs. The
import is run twice; the second must change nothing. Time is reported against a baseline
measured in the same run: parsing the same bodies without a database.

    python -m benchmarks history [--days 30] [--seed 7] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.children import run_child

PG_BENCH_DB = "ratecard_bench_history"
MILLION = Decimal(1_000_000)
QUANTS = ("fp8", "bf16", "fp4", "fp16", "unknown")
START = datetime(2026, 8, 8, tzinfo=UTC)


@dataclass(frozen=True)
class Endpoint:
    tag: str
    provider_name: str
    quantization: str
    status: int
    prompt: str  # USD per token, as OpenRouter writes it (already net of the discount)
    completion: str
    cache_read: str | None
    discount: float
    context: int
    max_out: int | None


# (model slug, display name) -> endpoints, values as captured on 2026-08-08.
CAPTURED: dict[tuple[str, str], list[Endpoint]] = {
    ("meta-llama/llama-3.3-70b-instruct", "Meta: Llama 3.3 70B Instruct"): [
        Endpoint("akashml/fp8", "AkashML", "fp8", 0, "0.00000013", "0.0000004", None, 0, 131072, 128000),
        Endpoint("novita/bf16", "Novita", "bf16", 0, "0.000000135", "0.0000004", None, 0, 12288, 12288),
        Endpoint("crusoe/bf16", "Crusoe", "bf16", 0, "0.00000025", "0.00000075", "0.00000013", 0, 131072, 131072),
        Endpoint("cloudflare/fp8", "Cloudflare", "fp8", 0, "0.000000293", "0.000002253", None, 0, 24000, 24000),
        Endpoint("sambanova-turbo", "SambaNova", "bf16", 0, "0.00000045", "0.0000009", None, 0.25, 131072, 3072),
        Endpoint("groq", "Groq", "unknown", 0, "0.00000059", "0.00000079", "0.000000295", 0, 131072, 32768),
        Endpoint("coreweave/fp16", "CoreWeave", "fp16", 0, "0.00000071", "0.00000071", "0.00000071", 0, 128000, 128000),
        Endpoint("google-vertex", "Google", "unknown", 0, "0.00000072", "0.00000072", None, 0, 128000, None),
        Endpoint("google-vertex/us-central1", "Google", "unknown", 0, "0.00000072", "0.00000072", None, 0, 128000, 8192),
        Endpoint("together/fp8", "Together", "fp8", 0, "0.00000104", "0.00000104", None, 0, 131072, 2048),
        Endpoint("deepinfra/turbo", "DeepInfra", "fp8", -2, "0.0000001", "0.00000032", None, 0, 131072, 16384),
        Endpoint("parasail/fp8", "Parasail", "fp8", -2, "0.00000022", "0.0000005", "0.00000011", 0, 131072, 16384),
        Endpoint("nebius/fp8", "Nebius", "fp8", -5, "0.00000013", "0.0000004", None, 0, 131072, None),
    ],
    ("deepseek/deepseek-r1", "DeepSeek: R1"): [
        Endpoint("novita/fp8", "Novita", "fp8", 0, "0.0000007", "0.0000025", None, 0, 64000, 16000),
        Endpoint("azure", "Azure", "unknown", -5, "0.000001485", "0.00000594", None, 0, 163840, 4096),
    ],
    ("deepseek/deepseek-chat-v3-0324", "DeepSeek: DeepSeek V3 0324"): [
        Endpoint("siliconflow/fp8", "SiliconFlow", "fp8", 0, "0.00000025", "0.000001", None, 0, 163840, 163840),
        Endpoint("novita/fp8", "Novita", "fp8", 0, "0.00000027", "0.00000112", "0.000000135", 0, 163840, 65536),
        Endpoint("crusoe/bf16", "Crusoe", "bf16", 0, "0.0000005", "0.0000015", "0.00000025", 0, 163840, 163840),
        Endpoint("deepinfra/fp4", "DeepInfra", "fp4", -2, "0.00000024", "0.0000009", "0.000000135", 0, 163840, 16384),
    ],
}


def offer_key(tag: str) -> tuple[str, str]:
    """(provider slug, variant) of an endpoint: what stays the same while it is listed (a tag's
    quantization changes with the endpoint's, so it is no part of it). The truth is kept per key."""
    from providers.names import split_tag

    provider, rest = split_tag(tag)
    return provider, "" if rest in QUANTS or rest in ("int4", "int8", "fp6", "fp32") else rest


def stored_key(tag: str) -> tuple[str, str]:
    """(provider slug, variant) of the offer the checkout under test stores an endpoint as."""
    from providers import base
    from providers.names import split_tag

    if hasattr(base, "ListingScope"):
        return offer_key(tag)
    # A checkout from before issue 10: the tag's rest (quantization or not) was the variant.
    provider, rest = split_tag(tag)
    head = tag.partition("/")[0].strip().lower()
    if not rest and head != provider and head.startswith(provider + "-"):
        rest = head[len(provider) + 1 :]
    return provider, rest


def _scaled(value: str, factor: Decimal) -> str:
    return format((Decimal(value) * factor).quantize(Decimal("1e-12")).normalize(), "f")


def _vary(rng: random.Random, e: Endpoint) -> Endpoint:
    """One day's change to one endpoint (most days: none)."""
    roll = rng.random()
    if roll < 0.08:
        factor = Decimal(rng.choice(["0.8", "0.9", "1.1", "1.25"]))
        cache = _scaled(e.cache_read, factor) if e.cache_read else None
        return replace(e, prompt=_scaled(e.prompt, factor), completion=_scaled(e.completion, factor), cache_read=cache)
    if roll < 0.13:
        quant = rng.choice([q for q in QUANTS if q != e.quantization])
        head, _, rest = e.tag.partition("/")
        tag = f"{head}/{quant}" if rest in QUANTS and quant != "unknown" else e.tag
        return replace(e, quantization=quant, tag=tag)
    if roll < 0.15:
        return replace(e, status=0 if e.status else -2)
    return e


@dataclass
class Day:
    at: datetime
    model: str
    name: str
    endpoints: list[Endpoint]


def series(days: int, seed: int, start: datetime = START, delist: bool = True) -> list[Day]:
    """One body per model per day, each at its own instant (day + i minutes), in time order.
    With ``delist``, an endpoint is now and then left out for 5 days (then listed again)."""
    rng = random.Random(seed)
    state = {key: list(endpoints) for key, endpoints in CAPTURED.items()}
    away: dict[tuple[str, str], int] = {}  # (model, tag at delisting) -> days left
    out: list[Day] = []
    for d in range(days):
        for i, ((slug, name), endpoints) in enumerate(state.items()):
            if d:
                endpoints[:] = [_vary(rng, e) for e in endpoints]
            listed = []
            for e in endpoints:
                key = (slug, offer_key(e.tag))
                if key in away:
                    away[key] -= 1
                    if away[key] <= 0:
                        del away[key]
                    continue
                if delist and d and len(endpoints) > 3 and rng.random() < 0.01:
                    away[key] = 5
                    continue
                listed.append(e)
            out.append(Day(start + timedelta(days=d, minutes=i), slug, name, listed))
    return out


def body(day: Day) -> bytes:
    """The day's body in the shape of GET /api/v1/models/{slug}/endpoints."""
    endpoints = []
    for e in day.endpoints:
        pricing = {"prompt": e.prompt, "completion": e.completion}
        if e.cache_read:
            pricing["input_cache_read"] = e.cache_read
        pricing["discount"] = e.discount
        endpoints.append({
            "name": f"{e.provider_name} | {day.model}", "model_id": day.model, "model_name": day.name,
            "context_length": e.context, "pricing": pricing, "provider_name": e.provider_name, "tag": e.tag,
            "quantization": e.quantization, "max_completion_tokens": e.max_out, "max_prompt_tokens": None,
            "status": e.status, "uptime_last_30m": None, "uptime_last_5m": None, "uptime_last_1d": None,
            "latency_last_30m": None, "throughput_last_30m": None,
        })
    return json.dumps({"data": {"id": day.model, "name": day.name, "endpoints": endpoints}}, indent=1).encode()


def write_archive(days: list[Day], folder: Path) -> Path:
    """The bodies as files plus a manifest (path,fetched_at); returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["path,fetched_at"]
    for day in days:
        name = f"{day.model.replace('/', '__')}-{day.at:%Y%m%dT%H%M%SZ}.json"
        (folder / name).write_bytes(body(day))
        lines.append(f"{name},{day.at.isoformat()}")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


@dataclass
class Truth:
    """What really happened in a series, per offer (model, provider, variant)."""

    prices: list[tuple[datetime, str, str, Decimal, Decimal]]  # (at, model, tag, input, output)
    price_changes: int
    quant_changes: int
    delistings: int


def truth(days: list[Day], remove_after_days: int) -> Truth:
    prices = []
    last: dict[tuple[str, tuple[str, str]], tuple[Endpoint, datetime]] = {}
    # An offer keeps its attributes while delisted: coming back in another quantization is a change.
    quantization: dict[tuple[str, tuple[str, str]], str] = {}
    n_price = n_quant = n_delist = 0
    by_model: dict[str, list[Day]] = {}
    for day in days:
        by_model.setdefault(day.model, []).append(day)
    for model_days in by_model.values():
        for day in model_days:
            seen = set()
            for e in day.endpoints:
                key = offer_key(e.tag)
                seen.add(key)
                prices.append((day.at, day.model, e.tag, Decimal(e.prompt) * MILLION, Decimal(e.completion) * MILLION))
                before = last.get((day.model, key))
                if before is not None:
                    old = before[0]
                    n_price += (old.prompt, old.completion, old.cache_read) != (e.prompt, e.completion, e.cache_read)
                n_quant += quantization.get((day.model, key), e.quantization) != e.quantization
                quantization[(day.model, key)] = e.quantization
                last[(day.model, key)] = (e, day.at)
            for (model, key), (_, at) in list(last.items()):
                if model == day.model and key not in seen and day.at - at >= timedelta(days=remove_after_days):
                    n_delist += 1
                    del last[(model, key)]
    return Truth(prices, n_price, n_quant, n_delist)


def _child(days_n: int, seed: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command, get_commands

    from pricing.collection.ingest import price_at
    from pricing.models import ChangeEvent, CollectionRun, Offer, PricePeriod
    from providers.base import Payload
    from providers.openrouter import OpenRouterCollector

    call_command("migrate", verbosity=0)
    days = series(days_n, seed)
    folder = Path(tempfile.mkdtemp(prefix="ratecard-history-"))
    manifest = write_archive(days, folder)

    collector = OpenRouterCollector()
    started = time.perf_counter()
    for day in days:  # the baseline: parsing alone
        collector.parse(Payload(url="file://x", body=body(day), fetched_at=day.at, kind="endpoints"))
    t_parse = time.perf_counter() - started

    def replay_all() -> str:
        """Through import_history; on a checkout without it, one ``collect --from-file --at`` per body."""
        try:
            if "import_history" in get_commands():
                call_command("import_history", "openrouter", str(manifest), stdout=open(os.devnull, "w"))
                return ""
            for day in days:
                path = folder / f"{day.model.replace('/', '__')}-{day.at:%Y%m%dT%H%M%SZ}.json"
                call_command("collect", "openrouter", "--from-file", str(path), "--at", day.at.isoformat(),
                             stdout=open(os.devnull, "w"))
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            return f"{exc.__class__.__name__}: {exc}"
        return ""

    started = time.perf_counter()
    failed = replay_all()
    t_import = time.perf_counter() - started
    counts = (PricePeriod.objects.count(), ChangeEvent.objects.count())
    replay_all()
    again_changed = (PricePeriod.objects.count(), ChangeEvent.objects.count()) != counts

    real = truth(days, getattr(settings, "INGEST_REMOVE_AFTER_DAYS", 3))
    offers = {(o.model.slug, (o.provider.slug, o.variant)): o for o in Offer.objects.select_related("model", "provider")}
    right = 0
    wrong = []
    for at, model, tag, input_price, output_price in real.prices:
        key = stored_key(tag)
        period = price_at(offers[(model, key)], at) if (model, key) in offers else None
        if period is not None and (period.input, period.output) == (input_price, output_price):
            right += 1
        elif len(wrong) < 5:
            wrong.append(f"{model} @ {key} {at:%m-%d}: want {input_price}/{output_price}, "
                         f"got {None if period is None else (period.input, period.output)}")
    events = ChangeEvent.objects
    return {
        "vendor": django.db.connection.vendor,
        "bodies": len(days), "days": days_n,
        "runs": CollectionRun.objects.count(),
        "refused": CollectionRun.objects.filter(status__in=["refused", "failed"]).count(),
        "prices_right": right, "prices": len(real.prices), "wrong": wrong,
        "price_events": events.filter(kind="price").count(), "price_changes": real.price_changes,
        "quant_events": events.filter(kind="attribute", field="quantization").count(),
        "quant_changes": real.quant_changes,
        "removed_events": events.filter(kind="removed").count(), "delistings": real.delistings,
        "returned_events": events.filter(kind="returned").count(),
        "second_import_changed": again_changed, "failed": failed,
        "t_import": t_import, "t_parse": t_parse,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks history", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.days, args.seed), default=str))
        return
    for backend in args.backends.split(","):
        d = run_child(backend, PG_BENCH_DB, ["history", "--child", "--days", str(args.days), "--seed", str(args.seed)])
        if d is None:
            continue
        print(
            f"{d['vendor']:>10}: {d['days']} days x {len(CAPTURED)} models = {d['bodies']} bodies, {d['runs']} runs | "
            f"per-host prices right at each as_of {d['prices_right']} of {d['prices']} | "
            f"price events {d['price_events']} for {d['price_changes']} real changes | "
            f"quantization events {d['quant_events']} for {d['quant_changes']} real changes | "
            f"removed {d['removed_events']} for {d['delistings']} delistings (returned {d['returned_events']}) | "
            f"refused or failed runs {d['refused']} | second import changed something: {d['second_import_changed']} | "
            f"import {d['t_import']:.1f}s = {d['t_import'] / max(d['t_parse'], 1e-9):.0f}x parsing alone"
        )
        for line in d["wrong"]:
            print("    wrong:", line)
        if d["failed"]:
            print("    import failed:", d["failed"])
