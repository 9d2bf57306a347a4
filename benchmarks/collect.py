"""Collect benchmark: the OpenRouter sweep against a local server that takes 100 ms per endpoint.

A server on 127.0.0.1 answers the models list at once and each of N endpoint requests after a
fixed delay. The collector's fetch runs over it with the HTTP client's per-host limit; with
perfect use of that limit the sweep takes N x delay / limit. The ratio of the measured wall time
to that ideal shows the overhead of the client (threads, connections, the deadline watchdog),
and the server's count of requests in flight proves the limit is never exceeded.

    python -m benchmarks collect [--models 300] [--delay 0.1] [--limit 8]
"""

from __future__ import annotations

import argparse
import sys
import time

from providers.base import ParseResult
from providers.http import HttpClient
from providers.openrouter import OpenRouterCollector
from tests.faults import FaultServer, Request, Step


def _catalogue(n: int) -> dict:
    return {
        "data": [
            {
                "id": f"bench/model-{i:04d}",
                "name": f"Bench: Model {i}",
                "context_length": 131072,
                "pricing": {"prompt": "0.0000002", "completion": "0.0000006"},
                "top_provider": {"context_length": 131072, "max_completion_tokens": 16384},
            }
            for i in range(n)
        ],
        "total_count": n,
        "links": {"next": None},
    }


def _endpoints(request: Request) -> bytes:
    model_id = request.path.removeprefix("/api/v1/models/").removesuffix("/endpoints")
    return (
        '{"data": {"id": "%s", "endpoints": [{"name": "DeepInfra | %s", "provider_name": "DeepInfra",'
        ' "tag": "deepinfra/fp8", "quantization": "fp8", "context_length": 131072, "status": 0,'
        ' "pricing": {"prompt": "0.0000002", "completion": "0.0000006", "discount": 0},'
        ' "latency_last_30m": {"p50": 420, "p75": 510, "p90": 700, "p99": 1400},'
        ' "throughput_last_30m": {"p50": 80, "p75": 70, "p90": 55, "p99": 30},'
        ' "uptime_last_5m": 100, "uptime_last_30m": 99.8, "uptime_last_1d": 99.9}]}}' % (model_id, model_id)
    ).encode()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks collect", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=300, help="endpoint requests to make (default 300)")
    parser.add_argument("--delay", type=float, default=0.1, help="server seconds per endpoint request (default 0.1)")
    parser.add_argument("--limit", type=int, default=8, help="HttpClient per-host limit (default 8)")
    args = parser.parse_args(argv)

    with FaultServer() as server:
        server.script("/api/v1/models", Step.json(_catalogue(args.models)))
        server.route(
            lambda request: Step(body=_endpoints, delay=args.delay) if request.path.endswith("/endpoints") else None
        )
        http = HttpClient(per_host=args.limit, deadline=60)
        collector = OpenRouterCollector(base_url=server.base_url)
        started = time.perf_counter()
        payloads = list(collector.fetch(http))
        wall = time.perf_counter() - started
        http.close()
        in_flight, connections, requests = server.max_in_flight, server.max_concurrent, server.count()

    parse_started = time.perf_counter()
    result = ParseResult()
    for payload in payloads:
        result.extend(collector.parse(payload))
    parse_time = time.perf_counter() - parse_started

    errors = [p for p in payloads if p.error]
    ideal = args.models * args.delay / args.limit
    ratio = wall / ideal if ideal else float("nan")
    print(f"collect: {requests} requests ({args.models} endpoints + models list), {len(errors)} failed")
    print(f"collect: parsed {len(result.quotes)} quotes, {len(result.samples)} samples in {parse_time:.3f}s")
    print(f"collect: max requests in flight {in_flight}, max open connections {connections}")
    print(f"collect: wall {wall:.3f}s, ideal {ideal:.3f}s ({args.models} x {args.delay:g}s / {args.limit})")
    print(f"collect: ratio to ideal {ratio:.2f}x (limit {args.limit}, max concurrent {in_flight})")
    if errors or in_flight > args.limit or len(payloads) != args.models + 1:
        sys.exit(1)
