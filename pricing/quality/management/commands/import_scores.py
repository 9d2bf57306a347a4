"""``manage.py import_scores FILE.csv``: load your own benchmark scores, all rows or none."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from pricing.quality.loader import OPTIONAL, REQUIRED, USER_SOURCE, ScoreFileError, import_file


class Command(BaseCommand):
    help = (f"Import benchmark scores from a CSV file with columns {', '.join(REQUIRED)} "
            f"(optional: {', '.join(OPTIONAL)}). Every row is checked; one bad row refuses the file, "
            "with a reason per bad row. Importing the same file again changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the CSV file")
        parser.add_argument("--source", default=USER_SOURCE,
                            help=f"slug of the scores source the rows are filed under (default {USER_SOURCE})")

    def handle(self, *args, **options):
        try:
            report = import_file(options["file"], source_slug=options["source"])
        except FileNotFoundError:
            raise CommandError(f"no such file: {options['file']}") from None
        except ScoreFileError as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        if report.refused:
            for line, reason in report.problems:
                self.stderr.write(f"line {line}: {reason}")
            raise CommandError(f"refused: {len(report.problems)} bad row(s); nothing was written "
                               f"(run {report.run.pk} keeps the file and the reasons)")
        self.stdout.write(f"scores: {report.new} new, {report.changed} changed, {report.same} unchanged "
                          f"(run {report.run.pk})")
