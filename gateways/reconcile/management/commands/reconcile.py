"""python manage.py reconcile [--gateway CODE] [--date YYYY-MM-DD]: reconcile on demand."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from gateways.models import Gateway
from gateways.reconcile.services import previous_day, reconciliation_run


class Command(BaseCommand):
    help = "Reconcile a gateway's day (Moscow time) with its registry; all active gateways without --gateway."

    def add_arguments(self, parser):
        parser.add_argument("--gateway", help="gateway code (default: every active gateway)")
        parser.add_argument("--date", help="day, YYYY-MM-DD (default: yesterday, Moscow time)")

    def handle(self, *args, gateway=None, date=None, **options):
        try:
            day = dt.date.fromisoformat(date) if date else previous_day()
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        if gateway:
            gateways = list(Gateway.objects.filter(code=gateway))
            if not gateways:
                raise CommandError(f"no gateway with code {gateway!r}")
        else:
            gateways = list(Gateway.objects.filter(is_active=True))
        for gw in gateways:
            rec = reconciliation_run(gateway=gw, day=day, actor="command")
            line = (f"{gw.code} {day}: {rec.status}; theirs {rec.their_count}, ours {rec.our_count}, "
                    f"matched {rec.matched_count}, open {rec.open_count} of {rec.discrepancy_count}")
            if rec.last_error:
                line += f" ({rec.last_error})"
            self.stdout.write(line)
