"""Mounted at /sim/ when KIT_SIMULATORS is on: one simulator per gateway protocol."""

from django.urls import include, path

from . import registry

urlpatterns = [
    path("<slug:code>/registry", registry.view, name="sim-registry"),
    path("cyberplat/", include("gateways.simulators.cyberplat")),
    path("osmp/", include("gateways.simulators.osmp")),
    path("contact/", include("gateways.simulators.contact")),
    path("comepay/", include("gateways.simulators.comepay")),
    path("provider/", include("gateways.simulators.provider")),
]
