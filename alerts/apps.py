from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        from dealers.signals import balance_changed

        balance_changed.connect(_recheck_balance_on_commit, dispatch_uid="alerts.recheck_balance")


def _recheck_balance_on_commit(sender, *, dealer_ids, **kwargs) -> None:
    """A person moved money or changed a threshold: judge `balance_low` at once, after the commit
    (never inside the money's transaction, which stays as it was)."""
    from django.db import transaction

    from .services import balance_alerts_recheck

    ids = list(dealer_ids)
    transaction.on_commit(lambda: balance_alerts_recheck(ids))
