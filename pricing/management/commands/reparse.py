from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

import providers
from pricing.collection.replay import reparse


class Command(BaseCommand):
    help = (
        "Rebuild a source's price history by re-parsing its stored raw payloads with the current parser "
        "(after a parser fix). Runs are replayed in slot order into a clean history for that source."
    )

    def add_arguments(self, parser):
        parser.add_argument("source")
        parser.add_argument("--yes", action="store_true", help="do it (without it, only count what would be replayed)")

    def handle(self, *args, source, yes, **options):
        if source not in providers.REGISTRY:
            raise CommandError(f"unknown source {source!r}")
        counts = reparse(source, dry_run=not yes)
        verb = "replayed" if yes else "would replay"
        self.stdout.write(f"{source}: {verb} {counts['runs']} runs, {counts['payloads']} payloads")
