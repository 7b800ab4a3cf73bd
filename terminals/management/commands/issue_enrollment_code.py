from django.core.management.base import BaseCommand, CommandError

from terminals.models import Terminal
from terminals.services import CODE_TTL, enrollment_code_issue


class Command(BaseCommand):
    help = "Issue a one-time enrollment code for a terminal (valid 24 h). The code is the last line printed."

    def add_arguments(self, parser):
        parser.add_argument("terminal", help="terminal number")

    def handle(self, *args, **options):
        terminal = Terminal.objects.filter(number=options["terminal"]).first()
        if terminal is None:
            raise CommandError(f"no terminal {options['terminal']!r}")
        row, code = enrollment_code_issue(terminal=terminal, by="manage.py")
        hours = int(CODE_TTL.total_seconds() // 3600)
        self.stdout.write(f"Enrollment code for terminal {terminal.number}, valid {hours} h "
                          f"(until {row.expires_at.isoformat(timespec='seconds')}), once:")
        self.stdout.write(code)
