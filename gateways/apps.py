from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewaysConfig(AppConfig):
    name = "gateways"
    verbose_name = _("Gateways")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import Gateway, Route
        from .router import routes_invalidate

        # The router keeps routes and gateways per process for KIT_CATALOGUE_TTL: a change made
        # in this process is seen at once, in others within the TTL.
        for model in (Gateway, Route):
            post_save.connect(routes_invalidate, sender=model, dispatch_uid=f"gateways.routes.{model.__name__}.save")
            post_delete.connect(routes_invalidate, sender=model,
                                dispatch_uid=f"gateways.routes.{model.__name__}.delete")
