from django.core.management.base import BaseCommand

from claims.services import claims_overdue_mark


class Command(BaseCommand):
    help = "Mark overdue claims and e-mail senior support (what the hourly beat task does)."

    def handle(self, *args, **options):
        notified = claims_overdue_mark()
        self.stdout.write(f"{len(notified)} overdue claim(s) notified")
