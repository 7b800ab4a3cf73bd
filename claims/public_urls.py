"""Customers' pages without login: /check/ and /claims/status/."""

from django.urls import path

from . import public

app_name = "public"

urlpatterns: list = [
    path("check/", public.check, name="check"),
    path("claims/status/", public.claim_status, name="claim_status"),
]
