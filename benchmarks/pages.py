"""Server-side cost of the model, compare and index pages against a trivial page on the same setup.

`python -m benchmarks pages [--offers 1000] [--iterations 30] [--postgres]`

Seeds a separate database (SQLite under a temp dir, or PostgreSQL with --postgres, from
BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/ratecard_bench) with ~1,000 offers and a
year of history: one model with 30 hosts, the rest with 10 each; a tenth of offers change price
daily, three tenths weekly; daily latency roll-ups for a year and hourly raw samples for a week.
Each page is fetched through Django's test Client many times; the median is compared with the
median of a page that renders the base template and runs no query. Prints each ratio and the chart
data size; the last line is the headline ratio (model page, figures rebuilt every time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal


def _setup(postgres: bool) -> None:
    var = tempfile.mkdtemp(prefix="ratecard-bench-")
    os.environ["RATECARD_VAR_DIR"] = var
    os.environ["DEBUG"] = "true"
    os.environ.pop("REDIS_URL", None)
    if postgres:
        os.environ["DATABASE_URL"] = os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ratecard_bench"
        )
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "ratecard.settings"
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    if postgres:
        _ensure_pg_database(settings.DATABASES["default"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ensure_pg_database(db: dict) -> None:
    import psycopg

    name = db["NAME"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(n_offers: int, now: datetime) -> dict:
    """Rows written in bulk: a seed for measuring reads, not a test of the write path."""
    from pricing.models import Model, Offer, PerfRollup, PerfSample, PricePeriod, Provider, Source

    year = now - timedelta(days=365)
    source = Source.objects.create(slug="openrouter", name="OpenRouter", kind="aggregator", weight=60)
    probe = Source.objects.create(slug="probe", name="probes", kind="probe", weight=50)
    providers = Provider.objects.bulk_create([Provider(slug=f"host-{i}", name=f"Host {i}") for i in range(30)])
    n_models = 1 + max(1, (n_offers - 30) // 10)
    models = Model.objects.bulk_create([
        Model(slug=f"lab/model-{i}", name=f"Model {i}", author="lab", open_weights=True) for i in range(n_models)
    ])
    offers = []
    for m, model in enumerate(models):
        hosts = providers if m == 0 else providers[(m % 3) * 10:(m % 3) * 10 + 10]
        for p in hosts:
            offers.append(Offer(provider=p, model=model, quantization="fp8", context_length=131072, first_seen=year))
    offers = Offer.objects.bulk_create(offers[:n_offers])
    periods = []
    for k, offer in enumerate(offers):
        step = 1 if k % 10 == 0 else 7 if k % 10 in (1, 2, 3) else None
        starts = [year + timedelta(days=d) for d in range(0, 365, step)] if step else [year]
        base = Decimal(1 + k % 17) / 10
        for j, start in enumerate(starts):
            end = starts[j + 1] if j + 1 < len(starts) else None
            price = base * (Decimal(100 + (j * 7) % 23) / 100)
            periods.append(PricePeriod(
                offer=offer, source=source, input=price, output=price * 3, valid_from=start, valid_to=end,
                first_seen=start, last_seen=end or now,
            ))
    PricePeriod.objects.bulk_create(periods, batch_size=2000)
    open_ids = dict(PricePeriod.objects.filter(valid_to__isnull=True).values_list("offer_id", "id"))
    for offer in offers:
        offer.current_period_id = open_ids[offer.id]
    Offer.objects.bulk_update(offers, ["current_period"], batch_size=2000)
    rollups, samples = [], []
    for k, offer in enumerate(offers):
        for d in range(1, 366):
            rollups.append(PerfRollup(offer=offer, source=source, day=(now - timedelta(days=d)).date(),
                                      ttft_p50_ms=Decimal(300 + (k * 13 + d * 7) % 500), tps_p50=Decimal(40 + k % 60),
                                      n_samples=24))
        for h in range(0, 24 * 7, 1 if k < 30 else 6):
            samples.append(PerfSample(offer=offer, source=probe if h % 12 == 0 else source,
                                      kind="probe" if h % 12 == 0 else "passive",
                                      observed_at=now - timedelta(hours=h), window="30m",
                                      ttft_p50_ms=Decimal(300 + (k + h) % 400), tps_p50=Decimal(50 + h % 40)))
    PerfRollup.objects.bulk_create(rollups, batch_size=5000)
    PerfSample.objects.bulk_create(samples, batch_size=5000)
    return {"offers": len(offers), "periods": len(periods), "rollups": len(rollups), "samples": len(samples),
            "models": len(models)}


def _median_ms(client, url: str, iterations: int, before=None) -> float:
    times = []
    for _ in range(iterations):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def _figures(html: bytes) -> dict:
    """The chart payloads exactly as the page carries them (json_script blocks)."""
    found = re.findall(rb'<script id="fig-([a-z]+)" type="application/json">(.*?)</script>', html, re.S)
    return {name.decode(): json.loads(body) for name, body in found}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks pages")
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args(argv)
    _setup(args.postgres)

    from django.core.cache import cache
    from django.test import Client

    now = datetime.now(UTC)
    started = time.perf_counter()
    counts = seed(args.offers, now)
    print(f"seeded {counts} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    client = Client()
    trivial_url = "/search/?q="
    model_url = "/models/lab/model-0/"
    compare_url = "/compare/?models=lab/model-0,lab/model-1&basis=cheapest"
    models_url, providers_url = "/models/", "/providers/"
    for url in (trivial_url, model_url, compare_url, model_url + "?range=1y", model_url + "?range=7d", models_url,
                providers_url):
        client.get(url)  # warm imports, template loading, connections

    n = args.iterations
    trivial = _median_ms(client, trivial_url, n)
    model_cold = _median_ms(client, model_url, n, before=cache.clear)
    model_warm = _median_ms(client, model_url, n)
    model_year = _median_ms(client, model_url + "?range=1y", n, before=cache.clear)
    compare_cold = _median_ms(client, compare_url, n, before=cache.clear)
    compare = _median_ms(client, compare_url, n)
    compare_asof = _median_ms(client, compare_url + f"&as_of={(now - timedelta(days=180)).date()}", n,
                              before=cache.clear)
    models_cold = _median_ms(client, models_url, n, before=cache.clear)
    models_warm = _median_ms(client, models_url, n)
    providers_cold = _median_ms(client, providers_url, n, before=cache.clear)
    providers_warm = _median_ms(client, providers_url, n)

    model_response = client.get(model_url)
    figures = _figures(model_response.content)
    year_figures = _figures(client.get(model_url + "?range=1y").content)
    compare_figures = _figures(client.get(compare_url).content)

    def size(obj) -> int:
        return len(json.dumps(obj, separators=(",", ":")).encode())

    print(f"database: {'postgresql' if args.postgres else 'sqlite'}; {counts['offers']} offers, "
          f"{counts['periods']} price periods, {counts['rollups']} roll-ups, {counts['samples']} raw samples")
    print(f"trivial page (base template, no query): {trivial:.2f} ms")
    print(f"model page, 30 offers, figures rebuilt: {model_cold:.2f} ms  ratio {model_cold / trivial:.1f}x")
    print(f"model page, 30 offers, figures cached:  {model_warm:.2f} ms  ratio {model_warm / trivial:.1f}x")
    print(f"model page, 1y latency, figures rebuilt: {model_year:.2f} ms  ratio {model_year / trivial:.1f}x")
    print(f"compare page, a year of daily changes, figures rebuilt: {compare_cold:.2f} ms  "
          f"ratio {compare_cold / trivial:.1f}x")
    print(f"compare page, figures cached:          {compare:.2f} ms  ratio {compare / trivial:.1f}x")
    print(f"compare page, as_of 180 days ago, rebuilt: {compare_asof:.2f} ms  ratio {compare_asof / trivial:.1f}x")
    print(f"models index, market rebuilt:   {models_cold:.2f} ms  ratio {models_cold / trivial:.1f}x")
    print(f"models index, market cached:    {models_warm:.2f} ms  ratio {models_warm / trivial:.1f}x")
    print(f"providers index, market rebuilt: {providers_cold:.2f} ms  ratio {providers_cold / trivial:.1f}x")
    print(f"providers index, market cached:  {providers_warm:.2f} ms  ratio {providers_warm / trivial:.1f}x")
    print(f"chart data, model page (90d latency): {size(figures)} bytes "
          f"(history {size(figures.get('history'))}, latency {size(figures.get('latency'))})")
    print(f"chart data, model page (1y latency):  {size(year_figures)} bytes")
    print(f"chart data, compare page:             {size(compare_figures)} bytes")
    print(f"model page html: {len(model_response.content)} bytes")
    print(f"headline: model page (30 offers, a year of history, figures rebuilt) / trivial page = "
          f"{model_cold / trivial:.1f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
