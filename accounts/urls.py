from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("2fa/", views.manage, name="2fa"),
    path("2fa/setup/", views.setup, name="2fa_setup"),
    path("2fa/verify/", views.verify, name="2fa_verify"),
    path("2fa/recovery/", views.recovery_regenerate, name="2fa_recovery"),
    path("2fa/remove/", views.remove, name="2fa_remove"),
]
