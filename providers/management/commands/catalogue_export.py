"""python manage.py catalogue_export FILE: the whole catalogue as JSON (.json) or a zip of CSVs (.zip)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from providers.transfer import export_bytes


class Command(BaseCommand):
    help = "Export the provider catalogue to FILE (.zip: one CSV per table; otherwise JSON)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["json", "zip"], default=None,
                            help="default: by the file's extension")

    def handle(self, *, file, format=None, **options):
        fmt = format or ("zip" if file.lower().endswith(".zip") else "json")
        data = export_bytes(fmt)
        Path(file).write_bytes(data)
        self.stdout.write(f"exported {len(data)} bytes ({fmt}) to {file}")
