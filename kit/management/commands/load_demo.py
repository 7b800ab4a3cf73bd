from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kit.demo import DEMO_PASSWORD, USERS, demo_load


class Command(BaseCommand):
    help = "Load the demo dealers, terminals, providers, gateways and users (idempotent; demo only)."

    def handle(self, *args, **options):
        if not settings.KIT_DEMO_DATA:
            raise CommandError("KIT_DEMO_DATA is off: demo data is never loaded under production settings")
        demo_load()
        names = ", ".join(u[0] for u in USERS)
        self.stdout.write(f"Demo users (demo only, password {DEMO_PASSWORD!r}): {names}")
