"""python manage.py load_ported_numbers FILE: replace the ported numbers (number;operator_inn;ported_at)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.numbering import PlanRefused, ported_load


class Command(BaseCommand):
    help = "Load ported numbers (lines number;operator_inn;ported_at); they win over the numbering plan."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *, file, **options):
        try:
            raw = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            changed, rows = ported_load(Path(file).name, raw)
        except PlanRefused as exc:
            raise CommandError(f"refused, the ported numbers in force are unchanged: {exc}") from None
        self.stdout.write(f"{rows} ported numbers " + ("loaded" if changed else "already in force: nothing changed"))
