"""Correction actions on payments and the approvals page (included by support/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
