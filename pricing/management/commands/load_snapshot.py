from django.core.management.base import BaseCommand

from pricing.collection.snapshot import SNAPSHOT, load


class Command(BaseCommand):
    help = "Load the bundled dated price snapshot (idempotent: a second load changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(SNAPSHOT))

    def handle(self, *args, path, **options):
        counts = load(path)
        self.stdout.write(
            f"snapshot: {counts['runs']} runs loaded ({counts['skipped']} already there), "
            f"{counts['new']} offers, {counts['changed']} price changes; "
            f"{counts['score_runs']} score runs, {counts['scores_new']} new scores"
        )
