"""python manage.py load_numbering_plan FILE [FILE ...]: replace the numbering plan (registry CSVs)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.numbering import PlanRefused, plan_load


class Command(BaseCommand):
    help = ("Load the numbering-plan registry (ABC/DEF CSV files, UTF-8 with BOM or windows-1251); "
            "replaces the plan in one transaction, keeps the old one when a file fails.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *, files, **options):
        loaded = []
        for file in files:
            try:
                loaded.append((Path(file).name, Path(file).read_bytes()))
            except OSError as exc:
                raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            changed, rows = plan_load(loaded)
        except PlanRefused as exc:
            raise CommandError(f"refused, the plan in force is unchanged: {exc}") from None
        self.stdout.write(f"{rows} ranges " + ("loaded" if changed else "already in force: nothing changed"))
