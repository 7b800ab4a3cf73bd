"""Simulator: arrives with its gateway's issue (the URL is reserved here)."""

urlpatterns: list = []
