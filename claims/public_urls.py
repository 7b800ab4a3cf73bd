"""Customers' pages without login: /check/ and /claims/status/."""
from django.urls import path  # noqa: F401

app_name = "public"

urlpatterns: list = []
