from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        # Registers the tasks with Celery in every process, so the services can send them by
        # name (payments/messages.py) without importing the module that imports them.
        from dealers.signals import topped_up

        from . import messages, tasks  # noqa: F401

        topped_up.connect(_resume_after_topup, dispatch_uid="payments.resume_after_topup")


def _resume_after_topup(sender, *, dealer_id: int, **kwargs) -> None:
    """A top-up may let held payments go: resuming them is payments' rule, run by its task on commit."""
    from .messages import resume_held_on_commit

    resume_held_on_commit(dealer_id)
