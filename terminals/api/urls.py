from django.urls import path, re_path

from updates import api as updates_api

from . import fleet, logs, lookups, views

app_name = "terminal_api"

urlpatterns = [
    path("enroll", views.enroll, name="enroll"),
    path("payments", views.payments, name="payments"),
    path("payments/batch", views.payments_batch, name="payments-batch"),
    path("payments/<str:txn>", views.payment_status, name="payment"),
    path("config", views.config, name="config"),
    path("heartbeat", views.heartbeat, name="heartbeat"),
    path("openapi.json", views.openapi, name="openapi"),
    path("phone/<str:number>", lookups.phone, name="phone"),
    path("checks", lookups.checks, name="checks"),
    path("encashments", fleet.encashments, name="encashments"),
    path("logs", logs.logs, name="logs"),
    path("releases/<str:version>/manifest", updates_api.release_manifest, name="release-manifest"),
    path("releases/<str:version>/archive", updates_api.release_archive, name="release-archive"),
    # Anything else under the API is a JSON 404 (never Django's HTML page or a slash redirect).
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
