from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from pricing import probe_runs as probes
from pricing.models import Model


class Command(BaseCommand):
    help = (
        "Measure time to first token and throughput now, with your own keys (<PROVIDER>_API_KEY), "
        "against each provider's OpenAI-compatible streaming endpoint; or any server with --base-url."
    )

    def add_arguments(self, parser):
        parser.add_argument("provider", nargs="?", help="provider slug (default: every provider with a key set)")
        parser.add_argument("--model", help="canonical model slug, e.g. deepseek/deepseek-r1 (default: PROBE_MODELS)")
        parser.add_argument("--base-url", help="any OpenAI-compatible base URL, e.g. http://127.0.0.1:8001/v1")
        parser.add_argument("--api-key-env", help="environment variable holding the key for --base-url")
        parser.add_argument("--model-id", help="the id the server knows the model by (default: the offer's)")
        parser.add_argument("--workload", choices=["short", "long", "both"], default="both")
        parser.add_argument("--deadline", type=float, default=120.0, help="seconds per probe, all in")
        parser.add_argument("--no-budget", action="store_true", help="ignore the daily budget cap")

    def handle(self, *args, provider, model, base_url, api_key_env, model_id, workload, deadline, no_budget, **opts):
        import os
        from decimal import Decimal

        workloads = ("short", "long") if workload == "both" else (workload,)
        api_key = None
        if base_url:
            if not model:
                raise CommandError("--base-url needs --model (the canonical slug the figures belong to)")
            if not base_url.startswith(("http://", "https://")):
                raise CommandError(f"--base-url must be an http(s) URL, not {base_url!r}")
            if not Model.objects.filter(slug=model).exists():
                raise CommandError(f"unknown model {model!r}")
            api_key = os.environ.get(api_key_env, "") if api_key_env else ""
            offer = probes.custom_offer(model, provider or "self-hosted")
            planned = [
                probes.Planned(offer, base_url, api_key, model_id or model.split("/", 1)[1], w,
                               probes._estimated_cost(offer, w))
                for w in workloads
            ]
        else:
            if model and not Model.objects.filter(slug=model).exists():
                raise CommandError(f"unknown model {model!r}")
            planned = probes.plan(provider=provider, model=model, model_id=model_id, workloads=workloads)
            if not planned:
                raise CommandError(
                    "nothing to probe: set <PROVIDER>_API_KEY for a provider that hosts the model "
                    "(e.g. TOGETHER_API_KEY), or use --base-url"
                )
        outcomes = probes.execute(planned, deadline=deadline, budget=Decimal("1e9") if no_budget else None)
        table = Table(title="probes")
        for column in ("provider", "model", "workload", "ok", "TTFT ms", "tok/s", "total ms", "tokens", "cost $", "note"):
            table.add_column(column)
        for outcome in outcomes:
            item, result = outcome.planned, outcome.result
            if result is None:
                table.add_row(item.offer.provider.slug, item.offer.model.slug, item.workload, "-", "", "", "", "",
                              "", outcome.skipped)
                continue
            table.add_row(
                item.offer.provider.slug, item.offer.model.slug, item.workload, "yes" if result.ok else "no",
                str(result.ttft_ms or ""), str(result.tps or ""), str(result.total_ms or ""),
                str(result.completion_tokens or ""), str(item.cost), result.error or "",
            )
        Console(file=self.stdout, width=160).print(table)
