from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import providers
from pricing.collection import archive, execute, runs


class Command(BaseCommand):
    help = (
        "Run collectors now (all enabled sources, or the ones named), or ingest a saved response body "
        "with --from-file as if it had been fetched at --at."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", help=f"source slugs: {', '.join(providers.available())}")
        parser.add_argument(
            "--from-file", dest="from_file", action="append", metavar="PATH",
            help="a saved response body (or a folder of them) to ingest instead of fetching; repeat it for the "
                 "bodies of one sweep (a models list and per-model endpoints): they are replayed as one run",
        )
        parser.add_argument("--at", help="ISO-8601 instant the saved bodies were fetched (default: now)")
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
            self._replay(console, sources[0], from_file, when or timezone.now(), kind)
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

    def _replay(self, console: Console, slug: str, paths: list[str], when, kind: str) -> None:
        try:
            files = [file for path in paths for file in archive.files_in(path)]
            if not files:
                raise CommandError(f"no files in {', '.join(paths)}")
            outcome = archive.replay(slug, files, when, kind=kind)
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        if outcome.run is not None and outcome.action != "already":
            self._summary(console, [outcome.run])
        console.print(f"{slug} at {when.isoformat()}: {outcome.action}"
                      + (f": {outcome.message}" if outcome.message else ""), markup=False, soft_wrap=True)
        if outcome.action in ("refused", "failed"):  # no price was stored; the run (above) says why
            raise CommandError(f"not applied: {outcome.message}")

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
