from django.urls import re_path

from . import views

app_name = "screens"

urlpatterns = [
    re_path(r"^img/(?P<sha256>[0-9a-f]{64})$", views.image, name="image"),
]
