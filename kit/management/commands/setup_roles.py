from django.core.management.base import BaseCommand

from kit.roles import roles_sync


class Command(BaseCommand):
    help = "Create or update the role groups (admin, support, senior support, dealer)."

    def handle(self, *args, **options):
        groups = roles_sync()
        self.stdout.write(f"roles: {', '.join(groups)}")
