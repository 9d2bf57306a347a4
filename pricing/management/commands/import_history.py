from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import providers
from pricing.collection import archive

# Above this many captures the summary lists only the ones that were not applied.
ROWS_IN_FULL = 40


class Command(BaseCommand):
    help = (
        "Import a history archive: a chronological series of saved responses of one source, each "
        "capture replayed as its own run, in time order. PATH is a folder whose file names (or "
        "folder names) carry their fetch time, e.g. models-2025-05-23T18-35-39Z.json or "
        "2026-08-08/models.json.gz, or a CSV manifest with the columns path,fetched_at (paths "
        "absolute or relative to the manifest). Files of one instant are one run. Importing again "
        "changes nothing; an interrupted import completes when run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help=f"source slug: {', '.join(providers.available())}")
        parser.add_argument("path", help="a folder of dated files, or a CSV manifest (path,fetched_at)")
        parser.add_argument("--kind", default="", help="payload kind for every file (OpenRouter: models or "
                                                       "endpoints; guessed per file by default)")

    def handle(self, *args, source, path, kind, **options):
        if source not in providers.REGISTRY:
            raise CommandError(f"unknown source {source!r}; known: {', '.join(providers.available())}")
        console = Console(file=self.stdout, force_terminal=False, width=160)
        try:
            captures = archive.discover(Path(path))
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        if not captures:
            raise CommandError(f"{path}: no saved responses found")
        outcomes = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"importing {source}", total=len(captures))
            for capture in captures:
                progress.update(task, description=f"{source} {capture.at:%Y-%m-%d %H:%M}Z")
                try:
                    outcomes.append(archive.replay(source, capture.paths, capture.at, kind=kind, trigger="archive",
                                                   notify=False))
                except archive.ArchiveError as exc:
                    raise CommandError(str(exc)) from None
                progress.advance(task)
        self._summary(console, source, outcomes)
        not_applied = [o for o in outcomes if o.action in ("refused", "failed")]
        for o in not_applied:  # in full, not cut to a table cell
            console.print(f"not applied: {o.at:%Y-%m-%d %H:%M:%S}Z: {o.message}", markup=False, soft_wrap=True)
        if not_applied:
            raise CommandError(f"{len(not_applied)} of {len(outcomes)} captures were not applied (see the table)")

    def _summary(self, console: Console, source: str, outcomes: list[archive.Outcome]) -> None:
        table = Table(title=f"{source}: {len(outcomes)} captures")
        for column in ("fetched at", "files", "result", "run", "status", "seen", "new", "changed", "removed",
                       "rejected", "note"):
            table.add_column(column)
        shown = outcomes if len(outcomes) <= ROWS_IN_FULL else [o for o in outcomes if not o.applied and o.action != "already"]
        for o in shown:
            run = o.run
            figures = [str(getattr(run, f"n_{name}", "")) if run is not None and o.applied else ""
                       for name in ("seen", "new", "changed", "removed", "rejected")]
            table.add_row(f"{o.at:%Y-%m-%d %H:%M:%S}Z", str(len(o.paths)), o.action, f"#{run.pk}" if run else "",
                          run.status if run else "", *figures, o.message[:70])
        counts = Counter(o.action for o in outcomes)
        applied = [o.run for o in outcomes if o.applied and o.run is not None]
        table.add_section()
        table.add_row("total", str(sum(len(o.paths) for o in outcomes)),
                      ", ".join(f"{n} {action}" for action, n in sorted(counts.items())), "", "",
                      *(str(sum(getattr(r, f"n_{name}") for r in applied))
                        for name in ("seen", "new", "changed", "removed", "rejected")), "")
        console.print(table)
