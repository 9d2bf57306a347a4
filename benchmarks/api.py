"""API benchmark: 1,000 offers with a year of weekly price history, served by gunicorn, loaded by wrk.

Measures ``models/{slug}/offers``, ``compare`` and a trivial Django JSON view on the same server
(the baseline, measured in the same run), each for ~10 s at 16 connections, and prints requests/s,
p99 latency, non-2xx responses and socket errors, and the ratio of each endpoint to the baseline.

PostgreSQL (database ``ratecard_bench_api``, created and dropped here) when 127.0.0.1:5432 answers,
else SQLite; Redis db 13 as the cache when 127.0.0.1:6379 answers, else the file cache.

    python -m benchmarks api [--seconds 10] [--connections 16] [--workers 4] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "ratecard_bench_api"
N_MODELS = 100
N_PROVIDERS = 10  # 1,000 offers
WEEKS = 52


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def seed() -> None:
    """Run in a child process with the benchmark's environment: migrate and fill the database."""
    import random
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    import django

    django.setup()
    from django.core.management import call_command

    from pricing.collection.ingest import ingest
    from pricing.models import CollectionRun, Model, Provider, Source
    from providers.base import ParseResult, PerfSample, Quote

    call_command("migrate", verbosity=0)
    rng = random.Random(5)
    labs = [Provider.objects.create(slug=f"lab{i}", name=f"Lab {i}", kind="lab") for i in range(5)]
    Model.objects.bulk_create([
        Model(slug=f"lab{i % 5}/model-{i}", name=f"Model {i}", author=f"lab{i % 5}", open_weights=i % 3 != 0,
              params_total_b=Decimal(7 + i), first_party=labs[i % 5])
        for i in range(N_MODELS)
    ])
    source = Source.objects.create(slug="bench", name="bench", kind="api", weight=90)
    prices = {(m, p): Decimal(rng.randint(5, 400)) / 100 for m in range(N_MODELS) for p in range(N_PROVIDERS)}
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=WEEKS)
    for week in range(WEEKS + 1):
        at = start + timedelta(weeks=week)
        quotes, samples = [], []
        for (m, p), price in prices.items():
            if week and rng.random() < 0.08:  # about one offer in twelve changes price each week
                price = prices[(m, p)] = max(Decimal("0.01"), price + Decimal(rng.randint(-20, 20)) / 100)
            provider = f"lab{m % 5}" if p == 0 else f"host-{p}"
            slug = f"lab{m % 5}/model-{m}"
            quotes.append(Quote(provider=provider, provider_model_id=slug, canonical_hint=slug, input=price,
                                output=price * 3, cached_input=price / 4, provider_name=provider.title(),
                                context_length=131072))
            if week >= WEEKS - 3:
                samples.append(PerfSample(provider=provider, provider_model_id=slug, canonical_hint=slug,
                                          ttft_p50_ms=Decimal(rng.randint(100, 900)),
                                          tps_p50=Decimal(rng.randint(20, 200)), uptime_1d=Decimal("99.5")))
        run = CollectionRun.objects.create(source=source, slot=at, status="running", trigger="bench")
        ingest(run, ParseResult(quotes=quotes, samples=samples, complete=True), at=at, notify=False)
        CollectionRun.objects.filter(pk=run.pk).update(status="complete", started=at, finished=at)
    from pricing.models import Offer, PricePeriod

    print(f"seeded {Offer.objects.count()} offers, {PricePeriod.objects.count()} price periods", flush=True)


def _to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = _to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)) else 0
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors = sum(int(x) for x in m.groups())
    return {"rps": rps, "p99_ms": p99, "non2xx": non2xx, "errors": errors}


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even when PostgreSQL answers")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed")

    var = Path(tempfile.mkdtemp(prefix="ratecard-bench-api-"))
    use_pg = _answers(5432) and not args.sqlite
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ratecard.settings",
        "RATECARD_VAR_DIR": str(var),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_PER_MINUTE": "0",  # one client hammering on purpose
        "RATECARD_BENCH": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}" if use_pg
        else f"sqlite:///{var / 'bench.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    if _answers(6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    print(f"database {'postgresql' if use_pg else 'sqlite'}, cache {'redis' if 'REDIS_URL' in env else 'file'}, "
          f"{N_MODELS * N_PROVIDERS} offers x {WEEKS} weeks; gunicorn {args.worker_class} {args.workers}x{args.threads}; "
          f"wrk {args.connections} connections x {args.seconds}s", flush=True)
    if use_pg:
        _pg(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        _pg(f"CREATE DATABASE {PG_BENCH_DB}")
    server = None
    try:
        subprocess.run([sys.executable, "-c", "from benchmarks.api import seed; seed()"], env=env, cwd=ROOT,
                       check=True)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ratecard.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", args.worker_class, "--threads", str(args.threads),
             "--log-level", "warning"],
            env=env, cwd=ROOT, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        targets = {
            "trivial": f"{base}/api/v1/_bench/trivial",
            "offers": f"{base}/api/v1/models/lab1/model-1/offers",
            "compare": f"{base}/api/v1/compare?models=lab1/model-1,lab2/model-2,lab3/model-3&basis=first-party",
        }
        _wait(targets["trivial"])
        for url in targets.values():
            _wait(url)  # first request builds the cached body
            wrk(url, 2, args.connections)  # warm every worker process and thread before measuring
        results = {name: wrk(url, args.seconds, args.connections) for name, url in targets.items()}
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if use_pg:
            _pg(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        shutil.rmtree(var, ignore_errors=True)

    baseline = results["trivial"]["rps"]
    print(f"{'endpoint':<10} {'req/s':>10} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7} {'vs trivial':>11}")
    for name, r in results.items():
        print(f"{name:<10} {r['rps']:>10.0f} {r['p99_ms']:>8.1f} {r['non2xx']:>8} {r['errors']:>7} "
              f"{r['rps'] / baseline:>11.2f}")
    worst = min(results["offers"]["rps"], results["compare"]["rps"]) / baseline
    print(f"api/trivial throughput ratio (worst of offers, compare): {worst:.2f}")
