from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kit.demo import DEMO_PASSWORD, USERS, demo_load


class Command(BaseCommand):
    help = "Load the demo dealers, terminals, providers, gateways and users (idempotent; demo only)."

    def handle(self, *args, **options):
        if not settings.KIT_DEMO_DATA:
            raise CommandError("KIT_DEMO_DATA is off: demo data is never loaded under production settings")
        demo_load()
        # The sample numbering plan and ported numbers (marked SAMPLE), for the phone look-up.
        samples = settings.BASE_DIR / "providers" / "samples"
        call_command("load_numbering_plan", str(samples / "SAMPLE-numbering-plan.csv"), stdout=self.stdout)
        call_command("load_ported_numbers", str(samples / "SAMPLE-ported-numbers.csv"), stdout=self.stdout)
        names = ", ".join(u[0] for u in USERS)
        self.stdout.write(f"Demo users (demo only, password {DEMO_PASSWORD!r}): {names}")
