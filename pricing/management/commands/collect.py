from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import providers
from pricing.collection import execute, runs


class Command(BaseCommand):
    help = (
        "Run collectors now (all enabled sources, or the ones named), or ingest a saved response body "
        "with --from-file as if it had been fetched at --at."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", help=f"source slugs: {', '.join(providers.available())}")
        parser.add_argument("--from-file", dest="from_file", help="a saved response body to ingest instead of fetching")
        parser.add_argument("--at", help="ISO-8601 instant the saved body was fetched (default: now)")
        parser.add_argument("--kind", default="", help="payload kind (OpenRouter: models or endpoints; guessed)")

    def handle(self, *args, sources, from_file, at, kind, **options):
        from django.conf import settings

        console = Console(file=self.stdout, force_terminal=False, width=160)
        unknown = [s for s in sources if s not in providers.REGISTRY]
        if unknown:
            raise CommandError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(providers.available())}")
        when = None
        if at:
            when = parse_datetime(at)
            if when is None:
                raise CommandError(f"--at {at!r} is not an ISO-8601 datetime (e.g. 2025-05-23T00:00:00Z)")
            if timezone.is_naive(when):
                raise CommandError("--at needs a timezone (end it with Z for UTC)")
        if from_file:
            if len(sources) != 1:
                raise CommandError("--from-file takes exactly one source")
            try:
                run = execute.ingest_file(sources[0], from_file, at=when, kind=kind)
            except FileNotFoundError:
                raise CommandError(f"no such file: {from_file}") from None
            self._summary(console, [run])
            return
        if when:
            raise CommandError("--at only goes with --from-file")
        slugs = sources or list(settings.COLLECT_SOURCES)
        done = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("collecting", total=len(slugs))
            for slug in slugs:
                progress.update(task, description=f"collecting {slug}")
                run, _ = runs.create_run(slug, slot=timezone.now(), trigger="command")
                result = execute.execute(run.pk) or run
                done.append(result)
                progress.advance(task)
        self._summary(console, done)

    def _summary(self, console: Console, done) -> None:
        table = Table(title="collection runs")
        for column in ("source", "status", "seen", "new", "changed", "pending", "rejected", "unmatched", "note"):
            table.add_column(column)
        for run in done:
            run.refresh_from_db()
            table.add_row(
                run.source.slug, run.status, str(run.n_seen), str(run.n_new), str(run.n_changed), str(run.n_pending),
                str(run.n_rejected), str(run.n_unmatched), (run.error or "")[:80],
            )
        console.print(table)
