from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorsConfig(AppConfig):
    """The outside systems of the demo and the tests: one simulated gateway per protocol.

    It owns its tables (its book of accepted payments, its switches and keys) and its own
    codes. Nothing outside this app and the tests imports it (tests/gateways/test_architecture.py);
    it is mounted under /sim/ only when KIT_SIMULATORS is on.
    """

    name = "gateways.simulators"
    label = "simulators"
    verbose_name = _("Gateway simulators")

    def ready(self):
        from django.conf import settings

        if settings.KIT_SIMULATORS:
            # The demo's adapters reach the simulators through a transport that honours
            # their "down" switch; production (simulators off) never installs it.
            from gateways import services

            from .transport import switched_client

            services.adapter_client_use(switched_client)
