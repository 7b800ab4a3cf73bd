from django.urls import path

from . import views

app_name = "gateways"

urlpatterns = [
    path("health/", views.gateway_health, name="health"),
]
