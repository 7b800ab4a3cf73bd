from django.core.management.base import BaseCommand

from dealers.services import rewards_settle


class Command(BaseCommand):
    help = "Credit every dealer's accrued reward shares now (one ledger entry per dealer), as the hourly run does."

    def handle(self, *args, **options):
        result = rewards_settle()
        self.stdout.write(f"credited {result['dealers']} dealer(s), {result['total']} RUB")
