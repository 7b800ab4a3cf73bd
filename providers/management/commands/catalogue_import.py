"""python manage.py catalogue_import FILE [--dry-run]: upsert the catalogue from JSON or a zip of CSVs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.transfer import ImportRefused, catalogue_import


class Command(BaseCommand):
    help = "Import a catalogue file (JSON or zip of CSVs): all or nothing, matched by codes, never deletes."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")

    def handle(self, *, file, dry_run=False, **options):
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            report = catalogue_import(name=path.name, raw=raw, dry_run=dry_run, actor="catalogue_import")
        except ImportRefused as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{file}: refused, {len(exc.errors)} error(s); nothing was imported") from None
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write("dry run: nothing was written" if dry_run else "imported")
