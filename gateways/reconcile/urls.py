from django.urls import path

from . import views

app_name = "reconcile"

urlpatterns = [
    path("", views.reconciliation_list, name="list"),
    path("run", views.run, name="run"),
    path("<slug:code>/<str:day>/", views.day_detail, name="day"),
    path("<slug:code>/<str:day>/run", views.day_run, name="day-run"),
    path("<slug:code>/<str:day>/upload", views.day_upload, name="day-upload"),
    path("<slug:code>/<str:day>/discrepancies/<int:pk>/resolve", views.resolve, name="resolve"),
]
